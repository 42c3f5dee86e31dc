"""A register is made by `db init` (or, on the per-user default only, by the first case
logged or imported), never by a typo: every other command finds no register, says so in
one line, exits 2 and leaves no file, no folder and no table behind."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
from conftest import POSTGRES_SERVER_URL, Run

from complaintctl.paths import default_db_path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE = (str(EXAMPLES / "import-sample.csv"), "--mapping", str(EXAMPLES / "import-mapping.toml"))
LOG = ("log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
       "--summary", "洗衣机漏水", "-q")  # fmt: skip

# Commands that only read (and --dry-run): never a register, wherever it would be.
READING = {
    "warn": ("warn",),
    "warn --mail-to --dry-run": ("warn", "--mail-to", "a@example.com", "--dry-run"),
    "list": ("list",),
    "show": ("show", "C2025-000001"),
    "report": ("report", "--month", "2025-10"),
    "export": ("export", "EXPORT"),
    "db check": ("db", "check"),
    "db status": ("db", "status"),
    "db upgrade": ("db", "upgrade"),
    "db backup": ("db", "backup", "EXPORT"),
    "db copy": ("db", "copy", "--to", "EXPORT"),
    "import --dry-run": ("import", "--dry-run", *SAMPLE),
    "purge --dry-run": ("purge", "--closed-before", "2025-01-01", "--dry-run"),
}
# Commands that write: they too refuse a named register that is not there.
WRITING = {
    "log": LOG,
    "import": ("import", *SAMPLE),
    "ack": ("ack", "C2025-000001"),
    "note": ("note", "C2025-000001", "called back"),
    "purge": ("purge", "--closed-before", "2025-01-01"),
}


def refusal(where: str) -> str:
    return f"error: no register at {where} (create one with: complaintctl db init)\n"


def run(args: tuple[str, ...], out: Path, *before: str):
    """The command, its output file (export, backup, copy target) put at `out`."""
    return Run()(*before, *(str(out) if a == "EXPORT" else a for a in args))


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def typo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request):
    """A register path with a typo in its folder, named one of three ways; returns the
    options to put before the command and the file the message must name."""
    wrong = tmp_path / "srv" / "typo" / "office.db"
    how = request.param
    if how == "--db":
        return ("--db", str(wrong)), wrong
    if how == "env":
        monkeypatch.setenv("COMPLAINTCTL_DB", str(wrong))
        return (), wrong
    config = tmp_path / "complaintctl.toml"
    config.write_text('database = "srv/typo/office.db"\n')  # relative to the config's folder
    monkeypatch.delenv("COMPLAINTCTL_DB")
    return ("--config", str(config)), wrong


NAMED = pytest.mark.parametrize("typo", ["--db", "env", "config"], indirect=True)


@NAMED
@pytest.mark.parametrize("command", [*READING, *WRITING])
def test_a_named_register_that_is_not_there_is_refused_and_nothing_is_made(
    typo, command, tmp_path: Path
):
    before, wrong = typo
    args = READING.get(command) or WRITING[command]
    out = tmp_path / "out" / "file.db"
    result = run(args, out, *before)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", refusal(str(wrong)))
    assert not (tmp_path / "srv").exists()  # neither the folder nor the file
    assert not out.parent.exists()
    assert not (tmp_path / "xdg-data").exists()  # nor the per-user default instead


@NAMED
def test_db_init_creates_the_named_register_and_then_warn_has_one_to_read(typo, tmp_path: Path):
    before, wrong = typo
    assert Run().ok(*before, "db", "init") == f"database ready: sqlite:///{wrong}\n"
    assert stat.S_IMODE(wrong.stat().st_mode) == 0o600
    result = Run()(*before, "warn")
    assert result.exit_code == 0, result.stderr
    assert "Nothing overdue" in result.stdout
    assert Run().ok(*before, *LOG).strip() != ""
    assert Run().ok(*before, "list", "--format", "csv").count("\n") == 2  # header, the case


def test_warn_on_a_missing_register_is_an_error_cron_mails_never_an_all_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    wrong = tmp_path / "srv" / "typo" / "office.db"
    monkeypatch.setenv("COMPLAINTCTL_DB", str(wrong))
    result = Run()("warn", "--exit-zero")
    assert result.exit_code == 2
    assert "Nothing overdue" not in result.stdout
    assert result.stderr == refusal(str(wrong))


# -- the per-user default ----------------------------------------------------------------------
@pytest.fixture
def default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Nothing names a register: the per-user default (under XDG_DATA_HOME, in tmp_path)."""
    monkeypatch.delenv("COMPLAINTCTL_DB")
    path = default_db_path()
    assert path.is_relative_to(tmp_path / "xdg-data")
    return path


@pytest.mark.parametrize("command", READING)
def test_reading_before_the_first_case_says_there_is_no_register_yet_and_makes_none(
    default: Path, command: str, tmp_path: Path
):
    out = tmp_path / "out" / "file.db"
    result = run(READING[command], out)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", refusal(str(default)))
    assert not (tmp_path / "xdg-data").exists()
    assert not out.parent.exists()


@pytest.mark.parametrize("command", ["ack", "note", "purge"])
def test_a_write_to_a_case_before_the_first_case_makes_no_register(
    default: Path, command: str, tmp_path: Path
):
    result = Run()(*WRITING[command])
    assert (result.exit_code, result.stderr) == (2, refusal(str(default)))
    assert not (tmp_path / "xdg-data").exists()


def test_the_first_case_logged_creates_the_default_register(default: Path):
    number = Run().ok(*LOG).strip()
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert Run().ok("list", "--format", "csv").splitlines()[1].startswith(f"{number},")


def test_the_first_import_creates_the_default_register(default: Path):
    assert "imported 6" in Run().ok("import", *SAMPLE)
    assert Run().ok("list", "--status", "all", "--format", "csv").count("\n") == 7


# -- a file that is there but is not a register ------------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", [*READING, "log", "import"])
def test_an_empty_file_is_no_register_and_stays_empty(command: str, tmp_path: Path):
    empty = tmp_path / "empty.db"
    empty.touch()
    args = READING.get(command) or WRITING[command]
    result = run(args, tmp_path / "out.db", "--db", str(empty))
    assert (result.exit_code, result.stderr) == (2, refusal(str(empty)))
    assert empty.stat().st_size == 0
    assert files_under(tmp_path) == ["empty.db"]  # no -wal, no -shm, no output


@pytest.mark.parametrize("command", [*READING, "log", "import"])
def test_someone_elses_sqlite_database_is_no_register_and_is_left_as_it_was(
    command: str, tmp_path: Path
):
    other = tmp_path / "inventory.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO parts (name) VALUES ('valve')")
    con.close()
    digest = _digest(other)
    args = READING.get(command) or WRITING[command]
    result = run(args, tmp_path / "out.db", "--db", str(other))
    assert (result.exit_code, result.stderr) == (2, refusal(str(other)))
    assert _digest(other) == digest  # no tables added, not even switched to WAL
    assert files_under(tmp_path) == ["inventory.db"]


def test_db_init_makes_an_empty_file_a_register(tmp_path: Path):
    empty = tmp_path / "empty.db"
    empty.touch()
    Run().ok("--db", str(empty), "db", "init")
    assert Run().ok("--db", str(empty), "db", "status").splitlines()[2] == "cases:    0"
    with sqlite3.connect(empty) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()


# -- PostgreSQL --------------------------------------------------------------------------------
@pytest.fixture
def fresh_postgres():
    """A new, empty database on the test server (dropped afterwards); its URL."""
    if not POSTGRES_SERVER_URL:
        pytest.skip("COMPLAINTCTL_TEST_POSTGRES names no PostgreSQL server")
    import sqlalchemy as sa

    server = sa.create_engine(
        POSTGRES_SERVER_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    name = f"complaintctl_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(POSTGRES_SERVER_URL).set(database=name)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def _tables(url) -> list[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_postgresql_database_is_no_register_until_db_init(fresh_postgres):
    url = fresh_postgres.render_as_string(hide_password=False)
    shown = fresh_postgres.render_as_string(hide_password=True)
    for args in (("warn",), ("list",), LOG, ("import", *SAMPLE)):
        result = Run()("--db", url, *args)
        assert (result.exit_code, result.stderr) == (2, refusal(shown)), args
    assert _tables(fresh_postgres) == []
    assert Run().ok("--db", url, "db", "init") == f"database ready: {shown}\n"
    assert "cases" in _tables(fresh_postgres)
    result = Run()("--db", url, "warn")
    assert result.exit_code == 0, result.stderr
    assert "Nothing overdue" in result.stdout
