"""Two languages: every message has its Chinese, the catalog shipped is the one compiled from
the .po, every code has a name, and the language follows the config, then LC_ALL/LANG."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_cli_workflow import to_investigate

from complaintctl import i18n
from complaintctl.enums import (
    Action,
    CustomerType,
    Kind,
    Outcome,
    Remedy,
    Responsibility,
    Severity,
    Step,
)


@pytest.fixture
def chinese():
    i18n.use("zh")
    yield
    i18n.use("en")


def test_every_message_in_the_code_has_a_chinese_translation():
    assert i18n.missing() == []


def test_the_shipped_catalog_is_the_one_compiled_from_the_po_file():
    entries = i18n.read_po(i18n.PO_FILE.read_text(encoding="utf-8"))
    assert i18n.MO_FILE.read_bytes() == i18n.compile_mo(entries), (
        "run: python -m complaintctl.i18n compile"
    )


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("step", [s.value for s in Step]),
        ("action", [a.value for a in Action]),
        ("severity", [s.value for s in Severity]),
        ("kind", [k.value for k in Kind]),
        ("customer_type", [c.value for c in CustomerType]),
        ("responsibility", [r.value for r in Responsibility]),
        ("remedy", [r.value for r in Remedy]),
        ("outcome", [o.value for o in Outcome]),
        ("channel", ["phone", "email", "online", "social", "letter", "visit", "other"]),
    ],
)
def test_every_code_has_a_chinese_name(kind, codes, chinese):
    for code in codes:
        name = i18n.label(kind, code)
        assert name != code and name, (kind, code)


def test_codes_keep_their_english_spelling_in_english_and_unknown_codes_show_as_themselves(
    chinese,
):
    assert i18n.label("channel", "wechat") == "wechat"  # an office's own channel
    i18n.use("en")
    assert i18n.label("step", "investigate") == "investigate"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({}, "en"),
    ],
)
def test_the_language_follows_lc_all_then_lc_messages_then_lang(monkeypatch, env, expected):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.detect() == expected


def test_the_config_language_wins_over_the_environment(monkeypatch, tmp_path):
    config = tmp_path / "office.toml"
    config.write_text('language = "zh"\n', encoding="utf-8")
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.detect() == "zh"
    config.write_text('language = "en"\n', encoding="utf-8")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.detect() == "en"


def test_a_config_language_that_is_not_one_is_refused_naming_the_key(cli, tmp_path):
    config = tmp_path / "office.toml"
    config.write_text('language = "klingon"\n', encoding="utf-8")
    result = cli("--config", str(config), "list")
    assert result.exit_code == 2
    assert result.stderr == "error: language: 'klingon' is not a language; allowed: en, zh\n"


def test_show_and_list_speak_chinese(cli, chinese):
    number = to_investigate(cli, assigned="2025-10-09 10:00")
    out = cli.ok("show", number)
    assert "处理进程" in out and "调查核实" in out and "受理确认" in out and "处理记录" in out
    assert "渠道" in out and "电话" in out
    listed = cli.ok("list")
    assert "编号" in listed and "共 1 件" in listed and "已超期" in listed


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_lang_zh_cn_in_the_environment_makes_the_program_speak_chinese(cli, db_path):
    to_investigate(cli)
    env = {**os.environ, "COMPLAINTCTL_DB": str(db_path), "LANG": "zh_CN.UTF-8"}
    run = [sys.executable, "-c", "from complaintctl.cli import main; main()", "list"]
    out = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert "调查核实" in out and "负责人" in out
    env["LANG"] = "en_US.UTF-8"
    out = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert "investigate" in out and "Owner" in out and "负责人" not in out
