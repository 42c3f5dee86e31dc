"""The thin storage layer on a real SQLite file: it reads and writes what the SQLAlchemy
engine does, opens only registers, and keeps a transaction whole."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlmodel import Session, SQLModel, select

from complaintctl import models, schema, services
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.errors import DatabaseError, NoRegister
from complaintctl.register import Register
from complaintctl.store import HEAD, open_sqlite, sqlite_path

NOW = dt.datetime(2025, 10, 20, 1, 0)  # naive UTC, as stored
KINDS = {
    "Integer": schema.INTEGER,
    "String": schema.TEXT,
    "AutoString": schema.TEXT,
    "DateTime": schema.TIME,
    "Boolean": schema.BOOLEAN,
    "LargeBinary": schema.BLOB,
}


def test_the_plain_schema_says_what_the_sqlmodel_tables_say():
    declared = {
        table.name: {c.name: KINDS[type(c.type).__name__] for c in table.columns}
        for table in SQLModel.metadata.sorted_tables
    }
    assert declared == schema.TABLES


def test_a_column_name_is_read_the_same_way_in_every_table():
    kinds: dict[str, set[str]] = {}
    for columns in schema.TABLES.values():
        for name, kind in columns.items():
            kinds.setdefault(name, set()).add(kind)
    for name in schema.TIME_COLUMNS | schema.BOOLEAN_COLUMNS:
        assert len(kinds[name]) == 1, name


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "register.db"
    engine = open_db(f"sqlite:///{path}", create=True)
    reg = Register(engine, Settings())
    for contact in ("13800000001", "13800000002"):
        services.log_complaint(
            reg, now=NOW, actor="t", channel="phone", customer_name="王伟",
            contact=contact, summary="漏水",
        )  # fmt: skip
    later = NOW + dt.timedelta(minutes=1)
    services.hold(reg, "C2025-000002", reason="等客户", now=later, actor="t")
    reg.close()
    return path


def _orm_cases(path):
    engine = open_db(f"sqlite:///{path}")
    with Session(engine) as session:
        cases = {c.number: c.model_dump() for c in session.exec(select(models.Case))}
    engine.dispose()
    return cases


def test_rows_read_through_sqlite3_equal_what_the_orm_reads(file):
    store = open_sqlite(str(file))
    rows = {r["number"]: r for r in store.rows("SELECT * FROM cases ORDER BY id")}
    assert rows == _orm_cases(file)
    held = rows["C2025-000002"]
    assert held["on_hold"] is True and isinstance(held["hold_started_at"], dt.datetime)
    assert rows["C2025-000001"]["on_hold"] is False


def test_times_written_through_sqlite3_read_back_and_sort_as_times(file):
    store = open_sqlite(str(file))
    later = dt.datetime(2025, 10, 21, 2, 3, 4, 500)
    with store.transaction():
        changed = store.execute(
            "UPDATE cases SET received_at = :at WHERE number = :n",
            {"at": later, "n": "C2025-000001"},
        )
    assert changed == 1
    assert _orm_cases(file)["C2025-000001"]["received_at"] == later
    newest = store.scalar("SELECT number FROM cases ORDER BY received_at DESC LIMIT 1")
    assert newest == "C2025-000001"
    found = store.rows(
        "SELECT number FROM cases WHERE received_at > :t", {"t": dt.datetime(2025, 10, 21)}
    )
    assert found == [{"number": "C2025-000001"}]


def test_a_failed_transaction_leaves_nothing(file):
    store = open_sqlite(str(file))
    with pytest.raises(RuntimeError), store.transaction():
        store.execute("UPDATE cases SET summary = 'changed'")
        raise RuntimeError("stop")
    assert {r["summary"] for r in store.rows("SELECT summary FROM cases")} == {"漏水"}


def test_a_writer_waits_for_another_then_says_busy(file, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_BUSY_TIMEOUT", "0.2")
    other = sqlite3.connect(file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        store = open_sqlite(str(file))
        with pytest.raises(DatabaseError, match="database is busy"), store.transaction():
            store.execute("UPDATE cases SET summary = 'x'")
    finally:
        other.execute("ROLLBACK")
    assert {r["summary"] for r in open_sqlite(str(file)).rows("SELECT summary FROM cases")} == {
        "漏水"
    }


def test_only_a_register_opens_and_nothing_is_written_into_anything_else(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(NoRegister):
        open_sqlite(str(missing))
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(NoRegister):
        open_sqlite(str(empty))
    assert empty.read_bytes() == b""
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(NoRegister):
        open_sqlite(str(foreign))
    assert foreign.read_bytes() == before


def test_an_older_schema_is_refused_with_the_upgrade_hint(file):
    conn = sqlite3.connect(file)
    conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match=rf"schema 0001, older than .*\({HEAD}\).*db upgrade"):
        open_sqlite(str(file))
    assert open_sqlite(str(file), check=False).scalar("SELECT count(*) FROM cases") == 2


def test_the_register_is_left_in_wal_mode(file):
    conn = sqlite3.connect(file)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    open_sqlite(str(file))
    assert sqlite3.connect(file).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///register.db", "register.db"),
        ("sqlite:////srv/complaints/register.db", "/srv/complaints/register.db"),
        ("sqlite:///my%20files/r.db", "my files/r.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:r.db?mode=ro&uri=true", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_which_urls_the_adapter_opens_itself(url, path):
    assert sqlite_path(url) == path
