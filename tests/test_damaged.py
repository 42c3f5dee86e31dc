"""Issue 18, defect 2: a damaged register is one line, never an exit 70.  `db check` lists
the damage (a damaged page, text in a time column, attachment bytes stored as text, a
schema version that is no number) and exits 1; every other command meeting it stops with
`the register is damaged (…): run complaintctl db check`, writing nothing; `db init`
adds no tables to another application's database."""

from __future__ import annotations

import sqlite3

import pytest

DAMAGED = "the register is damaged"


def seeded(cli, tmp_path) -> None:
    for i in range(40):
        cli.ok(
            "log", "--channel", "phone", "--customer", f"客户{i}", "--contact",
            f"1380000{i:04d}", "--summary", "洗衣机漏水" * 20, "--received-at",
            "2025-10-01 09:00", "-q",
        )  # fmt: skip
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    cli.ok("attach", "C2025-000001", str(photo))


def tamper(db_path, sql: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)  # each statement commits
    try:
        conn.execute(sql)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def one_line(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout[-300:], result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    (line,) = result.stderr.splitlines()
    return line


def events(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def test_text_in_a_time_column(cli, db_path, tmp_path):
    seeded(cli, tmp_path)
    tamper(db_path, "UPDATE cases SET received_at = 'garbage' WHERE number = 'C2025-000002'")
    before = events(db_path)
    for args in (
        ("show", "C2025-000002"),
        ("list",),
        ("export", "-"),
        ("note", "C2025-000002", "x"),
    ):
        line = one_line(cli(*args))
        assert line == (
            f"error: {DAMAGED} (received_at holds 'garbage'): run complaintctl db check"
        ), args
    assert events(db_path) == before  # nothing written
    check = cli("db", "check")
    assert check.exit_code == 1
    assert "case C2025-000002: cases.received_at holds 'garbage', not a time" in check.stdout


def test_attachment_bytes_stored_as_text(cli, db_path, tmp_path):
    seeded(cli, tmp_path)
    tamper(db_path, "UPDATE attachments SET content = 'text!'")
    line = one_line(cli("fetch", "C2025-000001", "--to", str(tmp_path / "out")))
    assert line.startswith(f"error: {DAMAGED} (attachment 1 holds str)")
    check = cli("db", "check")
    assert check.exit_code == 1 and "attachment 1 holds text" in check.stdout


def test_a_zeroed_page_is_found_by_db_check_and_met_in_one_line(cli, db_path, tmp_path):
    seeded(cli, tmp_path)
    tamper(db_path, "SELECT 1")
    page = 4096
    with open(db_path, "r+b") as f:  # a page of the cases table's data in the middle
        size = f.seek(0, 2)
        f.seek((size // page // 2) * page)
        f.write(b"\0" * page)
    check = cli("db", "check")
    assert check.exit_code == 1 and "Traceback" not in check.stderr
    assert "SQLite integrity:" in check.stdout
    assert "note: the case-by-case checks were skipped" in check.stderr
    # A command that reads the whole table meets the damage: one line.
    result = cli("export", "-")
    if result.exit_code != 0:
        assert one_line(result).startswith(f"error: {DAMAGED} (")


def test_a_schema_version_that_is_no_number(cli, db_path, tmp_path):
    seeded(cli, tmp_path)
    tamper(db_path, "DROP TABLE alembic_version")  # as complaintctl 0.1 left its registers
    tamper(db_path, "UPDATE meta SET value = 'abc' WHERE key = 'schema_version'")
    for args in (("list",), ("db", "status"), ("db", "upgrade")):
        line = one_line(cli(*args))
        assert line == f"error: {DAMAGED} (meta.schema_version is 'abc'): run complaintctl db check"


@pytest.mark.no_register
def test_db_init_adds_no_tables_to_another_applications_database(cli, db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    line = one_line(cli("db", "init"))
    assert "holds another application's tables (invoices)" in line
    with sqlite3.connect(db_path) as conn:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["invoices"]
    assert one_line(cli("list"), code=2).startswith("error: no register at")


def test_db_backup_refuses_to_call_a_damaged_copy_good(cli, db_path, tmp_path):
    seeded(cli, tmp_path)
    good = tmp_path / "good.db"
    cli.ok("db", "backup", str(good))
    tamper(db_path, "SELECT 1")
    with open(db_path, "r+b") as f:
        size = f.seek(0, 2)
        f.seek((size // 4096 // 2) * 4096)
        f.write(b"\0" * 4096)
    line = one_line(cli("db", "backup", str(good), "--force"))
    assert line.startswith(f"error: {DAMAGED} (") and "no backup was written" in line
    with sqlite3.connect(good) as conn:  # the last good backup is as it was
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (40,)
