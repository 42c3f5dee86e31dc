"""Customers' personal data: redacted exports, the retention purge, who did what."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
import sqlalchemy as sa

NAME, PHONE, EMAIL = "欧阳娜娜", "139-1234-5678", "nana.ouyang@example.com"


def _log(cli, customer: str, contact: str, received: str, *extra: str) -> str:
    return cli.ok(
        "log", "--channel", "phone", "--customer", customer, "--contact", contact,
        "--summary", f"{customer} 说洗衣机漏水，回电 {contact}", "--received-at", received,
        "--description", f"客户{customer}来电，电话{contact}", "--order", "SO-778899", "-q",
        *extra,
    ).strip()  # fmt: skip


def _close(cli, number: str, day: str, customer: str, score: str = "5") -> None:
    cli.ok("ack", number, "--at", f"{day} 09:30")
    cli.ok("classify", number, "--category", "PQ", "--severity", "C", "--kind", "claim",
           "--at", f"{day} 10:00")  # fmt: skip
    cli.ok("assign", number, "--department", "QA", "--owner", "李娜", "--at", f"{day} 10:30")
    cli.ok("note", number, f"打给 {PHONE} 没人接")
    cli.ok("investigate", number, "--findings", "密封圈老化", "--responsibility", "external",
           "--at", f"{day} 11:00")  # fmt: skip
    cli.ok("resolve", number, "--remedy", "repair", "--note", "上门更换", "--at", f"{day} 15:00")
    cli.ok("feedback", number, "--score", score, "--comment", f"我是{customer}，很满意",
           "--at", f"{day} 16:00")  # fmt: skip


@pytest.fixture
def register_with_people(cli, tmp_path):
    """Two closed cases of one customer in 2024, one of another closed in 2025, one open."""
    old1 = _log(cli, NAME, PHONE, "2024-03-04 09:00")
    _close(cli, old1, "2024-03-04", NAME)
    photo = tmp_path / "身份证.jpg"
    photo.write_bytes(b"\xff\xd8 not really a photo")
    cli.ok("attach", old1, str(photo))
    old2 = _log(cli, NAME, PHONE, "2024-03-11 09:00")
    _close(cli, old2, "2024-03-11", NAME, score="4")
    recent = _log(cli, "王芳", EMAIL, "2025-06-02 09:00")
    _close(cli, recent, "2025-06-02", "王芳")
    open_ = _log(cli, "赵六", "13700001111", "2025-09-29 09:00")
    return {"old1": old1, "old2": old2, "recent": recent, "open": open_}


def _every_text(db_url: str) -> str:
    """Every value of every row of every table, as one text to search."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            parts = []
            for table in ("cases", "events", "attachments", "counters", "meta"):
                for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                    parts += [
                        bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview)
                        else str(v)
                        for v in row
                    ]  # fmt: skip
            return "\n".join(parts)
    finally:
        engine.dispose()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@pytest.mark.slow
def test_export_redact_masks_names_and_contacts_everywhere(cli, register_with_people):
    out = cli.ok("export", "-", "--redact")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    old = next(r for r in rows if r["number"] == register_with_people["old1"])
    assert old["customer_name"] == "欧***"
    assert old["contact"] == "139****5678"
    assert old["summary"] == "欧*** 说洗衣机漏水，回电 139****5678"
    recent = next(r for r in rows if r["number"] == register_with_people["recent"])
    assert recent["contact"] == "n***@example.com"
    for secret in (NAME, PHONE, _digits(PHONE), EMAIL, "王芳", "赵六", "13700001111"):
        assert secret not in out, secret
    # What is not personal stays as it was.
    assert old["order_no"] == "SO-778899" and old["owner"] == "李娜"
    jsonl = cli.ok("export", "-", "--redact", "--format", "jsonl")
    assert NAME not in jsonl and _digits(PHONE) not in jsonl
    assert json.loads(jsonl.splitlines()[0])["customer_name"].endswith("*")


@pytest.mark.slow
def test_export_events_shows_who_did_what_and_redacts_the_history_too(
    cli, register_with_people, monkeypatch
):
    number = register_with_people["open"]
    cli.ok("--as", "前台小王", "ack", number)
    monkeypatch.setenv("COMPLAINTCTL_USER", "主管老张")
    cli.ok("classify", number, "--category", "PQ", "--severity", "C", "--kind", "general")
    out = cli.ok("export", "-", "--events", "--status", "open")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["number"], r["action"], r["actor"]) for r in rows] == [
        (number, "log", "tester"),
        (number, "ack", "前台小王"),
        (number, "classify", "主管老张"),
    ]
    assert json.loads(rows[0]["changes"])["contact"] == [None, "13700001111"]
    redacted = cli.ok("export", "-", "--events", "--redact")
    assert len(list(csv.DictReader(io.StringIO(redacted)))) > 20
    for secret in (NAME, _digits(PHONE), EMAIL, "赵六", "13700001111"):
        assert secret not in redacted, secret
    shown = cli.ok("show", number, "--format", "json")
    assert [h["actor"] for h in json.loads(shown)["history"]] == ["tester", "前台小王", "主管老张"]


@pytest.mark.slow
def test_an_export_file_is_readable_by_its_owner_only(cli, register_with_people, tmp_path):
    target = tmp_path / "cases.csv"
    old = os.umask(0o022)
    try:
        cli.ok("export", str(target))
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_purge_removes_personal_data_keeps_the_statistics_and_says_so(
    cli, db_url, register_with_people
):
    reports = {
        period: cli.ok("report", *period, "--format", "json")
        for period in (("--year", "2024"), ("--month", "2024-03"), ("--year", "2025"))
    }
    assert cli.ok("purge", "--closed-before", "2025-01-01", "--dry-run") == (
        "would purge 2 case(s) closed before 2025-01-01: 17 history entries, 1 attachment(s)\n"
    )
    assert NAME in _every_text(db_url)  # the dry run wrote nothing
    out = cli.ok("--as", "DPO", "purge", "--closed-before", "2025-01-01")
    assert out == (
        "purged 2 case(s) closed before 2025-01-01: 17 history entries, 1 attachment(s)\n"
    )
    text = _every_text(db_url)
    for secret in (NAME, _digits(PHONE), f"我是{NAME}", "身份证", "not really a photo"):
        assert secret not in text, secret
    # The same statistics (repeat complainants included) before and after.
    for period, before in reports.items():
        assert cli.ok("report", *period, "--format", "json") == before, period
    # Each purged case says what happened, by whom; its history still checks clean.
    shown = json.loads(cli.ok("show", register_with_people["old1"], "--format", "json"))
    assert shown["customer_name"] == shown["contact"] == "(purged)"
    assert shown["attachments"] == []
    last = shown["history"][-1]
    assert (last["action"], last["actor"]) == ("purge", "DPO")
    assert last["note"].startswith("personal data purged (retention: closed before 2025-01-01)")
    assert "no problems found" in cli.ok("db", "check")
    # Cases closed later, and open cases, keep everything; a second run finds nothing.
    for key in ("recent", "open"):
        assert "(purged)" not in cli.ok("show", register_with_people[key])
    assert "王芳" in text and "赵六" in text
    assert cli.ok("purge", "--closed-before", "2025-01-01").startswith("purged 0 case(s)")


@pytest.mark.slow
@pytest.mark.parametrize(
    "value,message",
    [
        ("soon", "--closed-before: 'soon' is not a date; use e.g. 2025-09-30"),
        ("2999-01-01", "--closed-before: 2999-01-01 is in the future"),
    ],
)
def test_purge_refuses_a_bad_date_in_one_line(cli, db_url, register_with_people, value, message):
    before = _every_text(db_url)
    result = cli("purge", "--closed-before", value)
    assert (result.exit_code, result.stderr) == (1, f"error: {message}\n")
    assert _every_text(db_url) == before
