"""Shared fixtures: every test gets its own real database (a SQLite file in tmp_path, and
the PostgreSQL test database when COMPLAINTCTL_TEST_POSTGRES names one), no user config."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from complaintctl import i18n

# The working-day cache of this test run (and of the commands it starts), not the user's.
os.environ["COMPLAINTCTL_CACHE_DIR"] = tempfile.mkdtemp(prefix="complaintctl-test-cache-")
i18n.use("en")  # before the commands are defined: their help is made in English

from complaintctl.cli import app  # noqa: E402
from complaintctl.clock import to_utc  # noqa: E402
from complaintctl.config import Settings  # noqa: E402
from complaintctl.db import open_db  # noqa: E402
from complaintctl.register import Register  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """A wall-clock time in Asia/Shanghai as the naive UTC the core works in."""
    return to_utc(dt.datetime(*args, tzinfo=SHANGHAI))


# PostgreSQL: when this names a server's database (a SQLAlchemy URL, psycopg 3), every test
# that touches the register through the CLI or the services runs on it as well as on SQLite.
# Tests that read the SQLite file itself (they ask for `db_path`), and tests that touch no
# database at all, run on SQLite only.
POSTGRES_ENV = "COMPLAINTCTL_TEST_POSTGRES"
POSTGRES_SERVER_URL = os.environ.get(POSTGRES_ENV, "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_SERVER_URL else ["sqlite"]


def _private_database(url: str) -> str:
    """This test run's own database on that server ("<name>_<pid>"), so that two runs at
    once (two developers, or a run beside CI) never empty each other's tables."""
    if not url:
        return ""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database=f"{base.database}_{os.getpid()}").render_as_string(hide_password=False)


POSTGRES_URL = _private_database(POSTGRES_SERVER_URL)


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

    server = sa.create_engine(
        POSTGRES_SERVER_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    name = sa.engine.make_url(POSTGRES_URL).database
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:  # named but not reachable: fail, never skip
        pytest.exit(f"{POSTGRES_ENV} is set but PostgreSQL is not reachable: {exc.orig}", 3)
    engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


def empty_postgres(engine) -> None:
    """Every register table emptied and its id sequences reset; the schema stays (and is
    made when a test dropped it: the test database always holds a register, as if
    `db init` had been run on it)."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        # db check runs PostgreSQL's index check where it can (a test may drop the schema)
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        tables = set(sa.inspect(conn).get_table_names())
        if tables - {"meta", "alembic_version"}:
            mine = ", ".join(sorted(tables - {"meta", "alembic_version"}))
            conn.exec_driver_sql(f"TRUNCATE {mine} RESTART IDENTITY CASCADE")
    if "alembic_version" not in tables:
        open_db(POSTGRES_URL, create=True).dispose()


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
    # English unless a test asks for Chinese (in this process and in the programs it runs).
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.use("en")
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


@pytest.fixture(scope="session")
def register_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A new, empty SQLite register as `db init` makes it (made once, copied per test)."""
    path = tmp_path_factory.mktemp("register-template") / "register.db"
    open_db(f"sqlite:///{path}", create=True).dispose()
    return path.read_bytes()


def init_register(path: Path, template: bytes) -> None:
    """`complaintctl db init` at `path`, from the template: the same file, 0600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(template)


@pytest.fixture
def initialised(
    backend: str, isolated: Path, register_file: bytes, request: pytest.FixtureRequest
) -> None:
    """The test's database holds an empty register (PostgreSQL's always does), as after
    `db init`, unless the test is marked `no_register`."""
    if backend == "sqlite" and request.node.get_closest_marker("no_register") is None:
        init_register(isolated, register_file)


@pytest.fixture
def register(db_url: str, initialised: None) -> Register:
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
def cli(initialised: None) -> Callable[..., object]:
    """The CLI, on the test's database, which holds an empty register."""
    return Run()


def _engine(db_url: str):
    """A short-lived engine for the tests' own reads and copies (no pool: nothing stays
    open on a test's SQLite file or holds a PostgreSQL connection between tests)."""
    import sqlalchemy as sa

    return sa.create_engine(db_url, poolclass=sa.pool.NullPool)


def in_schema(url: str, schema: str) -> str:
    """The PostgreSQL URL whose connections work in `schema` (libpq's `options`, which
    SQLAlchemy passes to psycopg): the CLI then creates and finds its tables there."""
    import sqlalchemy as sa

    u = sa.engine.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return u.render_as_string(hide_password=False)


def _row_key(row: tuple) -> tuple:
    # NULLs sort first without ever being compared with a value.
    return tuple((v is not None, v) for v in row)


def table_rows(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the database (either backend), each table's rows sorted:
    equal before and after a command proves the command wrote nothing."""
    import sqlalchemy as sa

    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {
                n: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{n}"')), key=_row_key)
                for n in names
            }
    finally:
        engine.dispose()


def postgres_schema(name: str) -> str:
    """A new, empty schema in this run's PostgreSQL test database, for a database that
    outlives one test (a template, a read-only fixture); the URL whose connections work in
    it. It goes when the test database is dropped at the end of the run."""
    schema = f"{re.sub(r'[^a-z0-9]+', '_', name.lower())}_{uuid.uuid4().hex[:8]}"
    engine = _engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        engine.dispose()
    return in_schema(POSTGRES_URL, schema)


class Template:
    """A database built by `build(Run())` at most once per module and backend, on first use,
    in the same isolated environment a test gets; `copy_to` gives a test its own copy."""

    def __init__(self, factory: pytest.TempPathFactory, name: str, build) -> None:
        self.factory, self.name, self.build = factory, name, build
        self._built: dict[str, tuple[str, object, list]] = {}

    def _make(self, backend: str) -> tuple[str, object, list]:
        home = self.factory.mktemp(self.name)
        if backend == "postgresql":
            url = postgres_schema(self.name)
        else:
            url = f"sqlite:///{home / 'register.db'}"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("COMPLAINTCTL_DB", url)
            mp.setenv("COMPLAINTCTL_USER", "tester")
            mp.delenv("COMPLAINTCTL_CONFIG", raising=False)
            mp.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
            mp.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
            open_db(url, create=True).dispose()
            value = self.build(Run())
        plan = _copy_plan(url) if backend == "postgresql" else []
        return url, value, plan

    def copy_to(self, db_url: str):
        """Replace everything in the test's database `db_url` with the template's rows;
        returns what `build` returned."""
        backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
        if backend not in self._built:
            self._built[backend] = self._make(backend)
        source, value, plan = self._built[backend]
        copy_database(source, db_url, plan)
        return value


def build_template(factory: pytest.TempPathFactory, name: str, build) -> Template:
    """A template database for a module-scoped fixture (built lazily, per backend)."""
    return Template(factory, name, build)


def _copy_plan(url: str) -> list[str]:
    """The SQL that copies the schema `url` works in into the public schema: empty every
    table, insert the template's rows parents first, then move each id sequence past the
    copied ids."""
    import sqlalchemy as sa

    schema = sa.engine.make_url(url).query["options"].removeprefix("-csearch_path=")
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            meta = sa.MetaData()
            meta.reflect(conn, schema=schema)
            serial = conn.execute(
                sa.text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = :s "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
                ),
                {"s": schema},
            ).all()
    finally:
        engine.dispose()
    tables = meta.sorted_tables
    plan = ["TRUNCATE " + ", ".join(f'public."{t.name}"' for t in tables) + " CASCADE"]
    for t in tables:
        cols = ", ".join(f'"{c.name}"' for c in t.columns)
        plan.append(
            f'INSERT INTO public."{t.name}" ({cols}) SELECT {cols} FROM "{schema}"."{t.name}"'
        )
    for table, column in serial:
        plan.append(
            f"SELECT setval(pg_get_serial_sequence('public.\"{table}\"', '{column}'), "
            f'COALESCE((SELECT max("{column}") FROM public."{table}"), 0) + 1, false)'
        )
    return plan


def copy_database(source_url: str, target_url: str, plan: list[str] | None = None) -> None:
    """Make the target database a copy of the source: SQLite's backup API file to file; on
    PostgreSQL the template schema's rows into the (created if need be) public tables."""
    if target_url.startswith("sqlite"):
        import sqlite3

        import sqlalchemy as sa

        source = sqlite3.connect(sa.engine.make_url(source_url).database)
        copy = sqlite3.connect(sa.engine.make_url(target_url).database)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        return
    import sqlalchemy as sa

    engine = _engine(target_url)
    try:
        for attempt in range(2):
            try:
                with engine.begin() as conn:
                    for statement in plan or []:
                        conn.exec_driver_sql(statement)
                return
            except sa.exc.ProgrammingError:
                if attempt:
                    raise
                open_db(target_url, create=True).dispose()  # no public tables yet
    finally:
        engine.dispose()
