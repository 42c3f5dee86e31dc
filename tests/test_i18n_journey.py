"""The main journey — log, ack, classify, assign, investigate, resolve, feedback, warn,
report — in English and in Chinese: the same case, the same figures, each in its language;
and the help, the calendar and a refused command in Chinese as the program prints them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from complaintctl import i18n

NUMBER = re.compile(r"C\d{4}-\d{6}")

# What each step prints, in each language (the number and the times filled in by the test).
EXPECTED = {
    "en": {
        "log": "Logged {n}; acknowledge by 2025-10-01 09:00",
        "ack": "{n}: acknowledged; now at step 'classify'",
        "classify": "{n}: classified PQ/B/general; now at step 'assign'",
        "assign": "{n}: assigned to 李娜 (QA); now at step 'investigate', due 2025-10-11 18:00",
        "investigate": "{n}: investigation report recorded; now at step 'resolve', "
        "due 2025-10-16 18:00",
        "resolve": "{n}: resolved (repair); now at step 'feedback', due 2025-10-23 18:00",
        "feedback": "{n}: feedback 5/5: customer satisfied, closed; now at step 'closed' "
        "(satisfied)",
    },
    "zh": {
        "log": "已登记 {n}；请于 2025-10-01 09:00 前受理确认",
        "ack": "{n}：已受理确认；当前环节“分类定级”",
        "classify": "{n}：已分类定级 PQ/B/一般；当前环节“分派”",
        "assign": "{n}：已分派给 李娜（QA）；当前环节“调查核实”，期限 2025-10-11 18:00",
        "investigate": "{n}：已记录调查报告；当前环节“处理答复”，期限 2025-10-16 18:00",
        "resolve": "{n}：已处理答复（维修）；当前环节“回访”，期限 2025-10-23 18:00",
        "feedback": "{n}：回访 5/5：客户满意，已结案；当前环节“已结案”（客户满意）",
    },
}


@pytest.fixture(params=["en", "zh"])
def language(request):
    i18n.use(request.param)
    yield request.param
    i18n.use("en")


def journey(cli) -> tuple[str, dict[str, str]]:
    """One complaint through every step; (its number, what each step printed)."""
    out = {}
    out["log"] = cli.ok(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        "13800000000",
        "--summary",
        "洗衣机漏水",
        "--received-at",
        "2025-09-30 09:00",
    )
    n = NUMBER.search(out["log"]).group(0)
    out["ack"] = cli.ok("ack", n, "--at", "2025-09-30 09:30")
    out["classify"] = cli.ok(
        "classify", n, "--category", "PQ", "--severity", "B", "--kind", "general",
        "--at", "2025-09-30 09:45",
    )  # fmt: skip
    out["assign"] = cli.ok(
        "assign", n, "--department", "QA", "--owner", "李娜", "--at", "2025-09-30 10:00"
    )
    out["investigate"] = cli.ok(
        "investigate", n, "--findings", "密封圈老化", "--responsibility", "internal",
        "--at", "2025-10-10 15:00",
    )  # fmt: skip
    out["resolve"] = cli.ok("resolve", n, "--remedy", "repair", "--at", "2025-10-14 11:00")
    out["feedback"] = cli.ok("feedback", n, "--score", "5", "--at", "2025-10-15 10:00")
    return n, out


def test_the_main_journey_speaks_the_language_of_the_run(cli, language):
    n, out = journey(cli)
    for step, text in EXPECTED[language].items():
        assert out[step] == text.format(n=n) + "\n", step
    report = cli.ok("report", "--month", "2025-09")
    if language == "zh":
        assert "投诉处理月报" in report and "2025年9月" in report
    else:
        assert "2025-09" in report or "September 2025" in report
    warn = cli("warn")
    assert warn.exit_code == 0, warn.output


@pytest.mark.slow
def test_the_figures_and_the_data_are_the_same_in_both_languages(cli):
    n, _ = journey(cli)
    english = [cli.ok(*args) for args in _FORMATS(n)]
    i18n.use("zh")
    try:
        chinese = [cli.ok(*args) for args in _FORMATS(n)]
    finally:
        i18n.use("en")
    assert chinese == english  # CSV/JSON: field names and values are an interface
    assert json.loads(english[0])["step"] == "closed"


def _FORMATS(n: str) -> list[tuple[str, ...]]:
    return [
        ("show", n, "--format", "json"),
        ("list", "--status", "all", "--format", "csv"),
        ("report", "--month", "2025-09", "--format", "json"),
        ("report", "--month", "2025-10", "--format", "csv"),
    ]


# -- as the program prints it, with LANG=zh_CN.UTF-8 ---------------------------------------
def run(*args: str, lang: str = "zh_CN.UTF-8", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from complaintctl.cli import main; main()", *args],
        env={**os.environ, "LANG": lang, **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_help_is_in_chinese_for_a_chinese_locale():
    out = run("--help").stdout
    assert "投诉登记簿" in out and "登记一件投诉" in out
    out = run("log", "--help").stdout
    assert "客户姓名。必填。" in out
    out = run("--help", lang="en_US.UTF-8").stdout
    assert "the complaint register" in out and "投诉登记簿" not in out


@pytest.mark.slow
def test_a_refused_command_explains_itself_in_chinese(tmp_path):
    db = tmp_path / "r.db"
    assert run("db", "init", COMPLAINTCTL_DB=str(db)).returncode == 0
    result = run("ack", "C2025-000001", COMPLAINTCTL_DB=str(db))
    assert result.returncode == 1
    assert result.stderr.startswith("错误：") and "C2025-000001" in result.stderr


@pytest.mark.slow
def test_the_october_2025_calendar_in_chinese(tmp_path):
    out = run("calendar", "--month", "2025-10", NO_COLOR="1").stdout
    lines = out.splitlines()
    assert lines[0].strip() == "2025年10月"
    assert lines[1].split() == ["一", "二", "三", "四", "五", "六", "日"]
    assert "* 节假日   + 调休工作日   # 单位停业日" in out
    assert re.search(r"\b11\+", out)  # Saturday 11 October: a make-up working day
    assert "国庆节" in out


def test_localise_gives_csv_and_json_values_as_names_and_keeps_field_names(cli):
    n, _ = journey(cli)
    plain = cli.ok("list", "--status", "all", "--format", "csv")
    i18n.use("zh")
    try:
        named = cli.ok("list", "--status", "all", "--format", "csv", "--localise")
        detail = json.loads(cli.ok("show", n, "--format", "json", "--localise"))
        exported = cli.ok("export", "-", "--format", "jsonl", "--localise")
    finally:
        i18n.use("en")
    assert named.splitlines()[0] == plain.splitlines()[0]  # the field names
    assert ",已结案," in named and ",电话," in named and ",closed," in plain
    assert (detail["step"], detail["outcome"], detail["channel"]) == ("已结案", "客户满意", "电话")
    assert [e["action"] for e in detail["history"]][:2] == ["登记", "受理确认"]
    assert detail["deadlines"]["acknowledge"]["status"] == "按时"
    assert json.loads(exported)["remedy"] == "维修"
    # English, or without --localise, values stay codes.
    assert json.loads(cli.ok("show", n, "--format", "json", "--localise"))["step"] == "closed"


@pytest.mark.slow
@pytest.mark.parametrize(("day", "reason"), [("2025-10-01", "国庆节"), ("2025-10-19", "周末")])
def test_warn_on_a_day_off_says_why_in_chinese(cli, day, reason):
    journey(cli)
    i18n.use("zh")
    try:
        out = cli.ok("warn", "--at", f"{day} 09:00")
    finally:
        i18n.use("en")
    assert out == (
        f"{day} 不是工作日（{reason}）：未发送提醒（使用 --even-on-holidays 仍要运行）\n"
    )
