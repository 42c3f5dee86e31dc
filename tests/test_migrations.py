"""Schema migrations: a register made by an earlier release upgrades in place with every
case and every history entry intact; old and new releases never share a register."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from complaintctl import db, history

# SQLAlchemy cannot reflect expression indexes (lower(owner)) on SQLite and says so;
# test_the_migrations_build_exactly_the_schema_a_new_register_gets compares them by name.
pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based"),
]

RELEASE_01_SQLITE = Path(__file__).parent / "data" / "release-0.1-sqlite.sql"
# The columns each table had in schema 0001 (what complaintctl 0.1 wrote).
TABLES_0001 = ("cases", "events", "attachments", "counters")


def _alembic() -> Config:
    config = Config()
    config.set_main_option("script_location", "complaintctl:migrations")
    return config


@pytest.fixture
def empty_db(db_url: str, backend: str) -> Iterator[sa.Engine]:
    """An engine on a database with no tables at all (PostgreSQL: the test database's
    public schema dropped and made anew, before and after)."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)

    def wipe() -> None:
        if backend == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")

    wipe()
    try:
        yield engine
    finally:
        wipe()
        engine.dispose()


def _release_01_database(engine: sa.Engine, backend: str) -> None:
    """A database as complaintctl 0.1 left it: schema 0001, `meta.schema_version` = 1 and
    no Alembic version table."""
    if backend == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.driver_connection.executescript(RELEASE_01_SQLITE.read_text())
        finally:
            raw.close()
        return
    from alembic import command

    with engine.begin() as conn:
        config = _alembic()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.exec_driver_sql("DROP TABLE alembic_version")


def _build_source(cli, tmp_path: Path, monkeypatch) -> str:
    """A realistic register built through the CLI in its own SQLite file; its URL."""
    source = tmp_path / "source.db"
    monkeypatch.setenv("COMPLAINTCTL_DB", str(source))
    cli.ok("db", "init")
    numbers = []
    for i, (customer, summary) in enumerate(
        [
            ("张伟", "洗衣机漏水"),
            ("Li Na", "billed twice"),
            ("王芳", "快递丢件"),
            ("赵六", "态度差"),
        ]
    ):
        numbers.append(
            cli.ok(
                "log", "--channel", "phone", "--customer", customer, "--contact",
                f"138{i:08d}", "--summary", summary, "--received-at", "2025-09-29 09:00", "-q",
            ).strip()
        )  # fmt: skip
    a, b, c, d = numbers
    for n in (a, b, c):
        cli.ok("ack", n, "--at", "2025-09-29 09:30")
        cli.ok("classify", n, "--category", "PQ", "--severity", "B", "--kind", "claim",
               "--at", "2025-09-29 10:00")  # fmt: skip
    cli.ok("assign", a, "--department", "QA", "--owner", "李娜", "--at", "2025-09-30 10:00")
    cli.ok("investigate", a, "--findings", "密封圈老化", "--responsibility", "external",
           "--at", "2025-10-09 15:00")  # fmt: skip
    cli.ok("resolve", a, "--remedy", "repair", "--note", "已更换", "--at", "2025-10-10 11:00")
    cli.ok("feedback", a, "--score", "5", "--at", "2025-10-13 09:30")
    cli.ok("ack", d, "--at", "2025-09-29 09:40")
    cli.ok("classify", d, "--reject", "不属于投诉")
    cli.ok("note", b, "客户来电催促")
    evidence = tmp_path / "照片.txt"
    evidence.write_bytes(b"\x00\x01 binary evidence \xff")
    cli.ok("attach", c, str(evidence))
    cli.ok("hold", c, "--reason", "等客户照片")
    return f"sqlite:///{source}"


def _rows(engine: sa.Engine, table: str, columns: list[str] | None = None) -> list[tuple]:
    with engine.connect() as conn:
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        cols = [t.c[c] for c in (columns or [c.name for c in t.columns])]
        rows = conn.execute(sa.select(*cols).order_by(*t.primary_key.columns)).all()
    return [tuple(_plain(v) for v in r) for r in rows]


def _plain(v: object) -> object:
    # Both drivers give datetimes and ints; SQLite gives 0/1 for booleans.
    return bool(v) if isinstance(v, bool) else v


def _copy_0001_rows(source: sa.Engine, target: sa.Engine) -> dict[str, list[str]]:
    """Copy the source's rows into the 0.1-era target, the 0001 columns only; those columns."""
    columns: dict[str, list[str]] = {}
    with target.begin() as out:
        for name in TABLES_0001:
            old = sa.Table(name, sa.MetaData(), autoload_with=out)
            columns[name] = [c.name for c in old.columns]
            rows = _rows(source, name, columns[name])
            out.execute(old.insert(), [dict(zip(columns[name], r, strict=True)) for r in rows])
            if out.dialect.name == "postgresql" and "id" in columns[name]:
                # As 0.1 would have left them: the id sequences past the rows it wrote.
                out.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
    return columns


def test_revisions_listed_in_db_are_exactly_the_migrations_in_order():
    script = ScriptDirectory.from_config(_alembic())
    chain = [r.revision for r in script.walk_revisions()][::-1]
    assert tuple(chain) == db.REVISIONS
    assert script.get_current_head() == db.HEAD


def test_the_migrations_build_exactly_the_schema_a_new_register_gets(empty_db):
    before, after = db.upgrade(empty_db)
    assert (before, after) == (None, db.HEAD)
    with empty_db.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert db.current_revision(conn) == db.HEAD
        version = conn.execute(sa.text("SELECT value FROM meta")).scalar()
    assert diffs == []
    assert version == str(int(db.HEAD))
    # Alembic cannot compare expression indexes (lower(owner)): compare their names.
    with empty_db.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        built = {n for (n,) in conn.execute(sa.text(sql)) if n.startswith("ix_")}
    declared = {i.name for t in SQLModel.metadata.tables.values() for i in t.indexes}
    assert built == declared
    assert {"ix_cases_owner_lower", "ix_cases_department_lower"} <= built


@pytest.mark.slow
@pytest.mark.no_register  # empty_db: the file holds no tables
def test_a_release_01_register_upgrades_with_every_case_and_history_entry_intact(
    cli, empty_db, backend, tmp_path, monkeypatch
):
    source = sa.create_engine(_build_source(cli, tmp_path, monkeypatch))
    _release_01_database(empty_db, backend)
    columns = _copy_0001_rows(source, empty_db)
    monkeypatch.setenv("COMPLAINTCTL_DB", empty_db.url.render_as_string(hide_password=False))

    # Before: the new release reads its version, and refuses to work on it until upgraded.
    status = cli("db", "status")
    assert status.exit_code == 1
    assert "schema:   0001 (this complaintctl uses" in status.stdout
    listed = cli("list")
    assert listed.exit_code == 1
    assert listed.stderr == (
        f"error: the database has schema 0001, older than this complaintctl's ({db.HEAD}); "
        "back it up (complaintctl db backup FILE) and run: complaintctl db upgrade\n"
    )

    assert cli.ok("db", "upgrade") == f"schema upgraded: 0001 -> {db.HEAD}\n"
    assert cli.ok("db", "upgrade") == f"schema {db.HEAD}: already current\n"
    assert "(current)" in cli.ok("db", "status")

    # Every row of every table, every 0001 column, exactly as before.
    for name in TABLES_0001:
        assert _rows(empty_db, name, columns[name]) == _rows(source, name, columns[name]), name
    # The history is sealed as if the events had been written by this release.
    assert _rows(empty_db, "events", ["id", "hash"]) == _rows(source, "events", ["id", "hash"])
    assert "no problems found" in cli.ok("db", "check")

    # And the register goes on working: the held case resumes, a new case follows on.
    number = _rows(source, "cases", ["number", "step"])[2][0]
    cli.ok("resume", number)
    new = cli.ok("log", "--channel", "email", "--customer", "x", "--contact", "x@y.cn",
                 "--summary", "after the upgrade", "-q").strip()  # fmt: skip
    numbers = [n for (n,) in _rows(empty_db, "cases", ["number"])]
    assert len(numbers) == 5 and numbers[-1] == new and new not in numbers[:-1]
    source.dispose()


@pytest.mark.slow
@pytest.mark.no_register  # empty_db: the file holds no tables
def test_a_failed_upgrade_leaves_the_register_as_it_was(
    cli, empty_db, backend, tmp_path, monkeypatch
):
    source = sa.create_engine(_build_source(cli, tmp_path, monkeypatch))
    _release_01_database(empty_db, backend)
    _copy_0001_rows(source, empty_db)
    monkeypatch.setenv("COMPLAINTCTL_DB", empty_db.url.render_as_string(hide_password=False))
    before = {name: _rows(empty_db, name) for name in (*TABLES_0001, "meta")}
    sealed = []

    def fail_halfway(prev, event):
        if len(sealed) == 10:
            raise OSError("disk full")
        sealed.append(event)
        return "x" * 64

    monkeypatch.setattr(history, "event_hash", fail_halfway)
    result = cli("db", "upgrade")
    assert result.exit_code != 0
    assert len(sealed) == 10
    # The same rows, the same columns (no half-added hash column), still 0001.
    assert {name: _rows(empty_db, name) for name in (*TABLES_0001, "meta")} == before
    with empty_db.connect() as conn:
        assert db.current_revision(conn) == "0001"
        assert "hash" not in {c["name"] for c in sa.inspect(conn).get_columns("events")}
    source.dispose()


def test_a_register_newer_than_the_program_is_refused_and_left_alone(cli, db_url):
    number = cli.ok("log", "--channel", "phone", "--customer", "c", "--contact", "c@x.cn",
                    "--summary", "s", "-q").strip()  # fmt: skip
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    before = {name: _rows(engine, name) for name in (*TABLES_0001, "meta")}
    expected = (
        f"error: the database has schema 0099, newer than this complaintctl understands "
        f"({db.HEAD}); refusing to use it: install a newer complaintctl\n"
    )
    for args in (("ack", number), ("show", number), ("db", "upgrade")):
        result = cli(*args)
        assert (result.exit_code, result.stderr) == (1, expected), args
    assert {name: _rows(engine, name) for name in (*TABLES_0001, "meta")} == before
    with engine.begin() as conn:  # leave the test database usable for the next test
        conn.execute(sa.text(f"UPDATE alembic_version SET version_num = '{db.HEAD}'"))
    engine.dispose()


def test_release_01_itself_refuses_an_upgraded_register():
    """0.1 only knew meta.schema_version and refused anything above 1: each migration
    raises it, so an old copy of the program left on a desk cannot write to a new register."""
    assert int(db.HEAD) > 1
    (script,) = (Path(db.__file__).parent / "migrations" / "versions").glob(f"{db.HEAD}_*.py")
    text = script.read_text()
    assert f"UPDATE meta SET value = '{int(db.HEAD)}'" in text


def test_a_new_register_is_stamped_with_the_current_revision(cli, db_url):
    cli.ok("db", "init")
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert db.current_revision(conn) == db.HEAD
        assert conn.execute(sa.text("SELECT value FROM meta")).scalar() == str(int(db.HEAD))
    engine.dispose()
