"""Shared fixtures: every test gets its own real database (a SQLite file in tmp_path, and
the PostgreSQL test database when COMPLAINTCTL_TEST_POSTGRES names one), no user config."""

from __future__ import annotations

import datetime as dt
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from complaintctl.cli import app
from complaintctl.clock import to_utc
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.register import Register

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """A wall-clock time in Asia/Shanghai as the naive UTC the core works in."""
    return to_utc(dt.datetime(*args, tzinfo=SHANGHAI))


# PostgreSQL: when this names a server's database (a SQLAlchemy URL, psycopg 3), every test
# that touches the register through the CLI or the services runs on it as well as on SQLite.
# Tests that read the SQLite file itself (they ask for `db_path`), and tests that touch no
# database at all, run on SQLite only.
POSTGRES_ENV = "COMPLAINTCTL_TEST_POSTGRES"
POSTGRES_URL = os.environ.get(POSTGRES_ENV, "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    explicit = set(inspect.signature(metafunc.function).parameters)
    touches_register = {"cli", "register", "db_url"} & set(metafunc.fixturenames)
    sqlite_only = (
        not touches_register
        or "db_path" in metafunc.fixturenames
        or "isolated" in explicit
        or metafunc.definition.get_closest_marker("sqlite_only") is not None
    )
    backends = ["sqlite"] if sqlite_only else BACKENDS
    metafunc.parametrize("backend", backends, indirect=True, scope="function")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_engine():
    """The test database on the PostgreSQL server, emptied of every table at the start."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    except sa.exc.OperationalError as exc:  # named but not reachable: fail, never skip
        pytest.exit(f"{POSTGRES_ENV} is set but PostgreSQL is not reachable: {exc.orig}", 3)
    yield engine
    engine.dispose()


def empty_postgres(engine) -> None:
    """Every register table emptied and its id sequences reset; the schema stays."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if tables - {"meta", "alembic_version"}:
            mine = ", ".join(sorted(tables - {"meta", "alembic_version"}))
            conn.exec_driver_sql(f"TRUNCATE {mine} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def isolated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, request: pytest.FixtureRequest
) -> Path:
    """Point complaintctl at a fresh database (a file in tmp_path, or the emptied PostgreSQL
    test database) and away from any real user's config."""
    db = tmp_path / "register.db"
    if backend == "postgresql":
        empty_postgres(request.getfixturevalue("postgres_engine"))
        monkeypatch.setenv("COMPLAINTCTL_DB", POSTGRES_URL)
    else:
        monkeypatch.setenv("COMPLAINTCTL_DB", str(db))
    monkeypatch.delenv("COMPLAINTCTL_CONFIG", raising=False)
    monkeypatch.setenv("COMPLAINTCTL_USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return db


@pytest.fixture
def db_url(backend: str, isolated: Path) -> str:
    """The SQLAlchemy URL of this test's database, whichever the backend."""
    return POSTGRES_URL if backend == "postgresql" else f"sqlite:///{isolated}"


@pytest.fixture
def db_path(isolated: Path) -> Path:
    """The SQLite file itself (asking for it makes a test SQLite-only)."""
    return isolated


@pytest.fixture
def register(db_url: str) -> Register:
    """The register with default settings (CN calendar, Asia/Shanghai), on a real database."""
    return Register(open_db(db_url), Settings())


class Run:
    """Runs the CLI in-process; `run("log", ...)` returns the click Result."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, list(args), input=input)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result.stdout


@pytest.fixture
def cli() -> Callable[..., object]:
    return Run()


def build_template(factory: pytest.TempPathFactory, name: str, build) -> tuple[Path, object]:
    """Build a database once per module with `build(Run())`, in the same isolated
    environment a test gets; (its path for `copy_database`, what `build` returned)."""
    path = factory.mktemp(name) / "register.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLAINTCTL_DB", str(path))
        mp.setenv("COMPLAINTCTL_USER", "tester")
        mp.delenv("COMPLAINTCTL_CONFIG", raising=False)
        mp.setenv("XDG_CONFIG_HOME", str(path.parent / "xdg-config"))
        return path, build(Run())


def copy_database(source_path: Path, target_path: Path) -> None:
    """Give a test its own copy of a template database (SQLite's backup API)."""
    import sqlite3

    source, copy = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
