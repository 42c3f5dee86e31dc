"""The thin storage layer: SQL with named parameters (`:name`), run by one small adapter.

On SQLite the standard library's `sqlite3` runs the SQL (it takes `:name` natively), with
the same connection settings as the SQLAlchemy engine in complaintctl.db (busy timeout,
foreign keys, synchronous=FULL, WAL, BEGIN IMMEDIATE for writers); on PostgreSQL
SQLAlchemy's `text()` runs the same SQL over the engine complaintctl.db opens.  Loading
SQLAlchemy costs more than a whole `show` does, so a command that reads or changes one
case on SQLite never imports it.

Values cross in one form on both: times are naive-UTC `datetime`s, flags are `bool`s.
SQLite keeps times as the text SQLAlchemy writes (`2025-10-13 01:05:00.000000`, which sorts
as the time does) and flags as 0/1; the adapter converts them by column name, from the
column types in complaintctl.schema (a test checks that table against the SQLModel one).

SQLModel stays the declaration of the schema, the source of the migrations and the
PostgreSQL engine.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from complaintctl.errors import DatabaseError, NoRegister, RegisterDamaged
from complaintctl.messages import N_
from complaintctl.schema import BOOLEAN_COLUMNS, TIME_COLUMNS

# Every migration in complaintctl/migrations/versions, oldest first (a test checks this
# against Alembic).  Kept here so that opening a database never has to import Alembic.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
HEAD = REVISIONS[-1]
BUSY_TIMEOUT_ENV = "COMPLAINTCTL_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's SQLite dialect stores a DateTime
# The same as a GLOB pattern ('2025-10-13 01:05:00.000000'): a stored time, nothing else.
TIME_GLOB = (
    "-".join(["[0-9]" * 4, "[0-9]" * 2, "[0-9]" * 2])
    + " "
    + ":".join(["[0-9]" * 2] * 3)
    + "."
    + "[0-9]" * 6
)

Params = Mapping[str, Any]


def busy_timeout() -> float:
    """Seconds to wait for a lock held by another process ($COMPLAINTCTL_BUSY_TIMEOUT)."""
    value = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise DatabaseError(
            N_("{variable}: {value} is not a number of seconds (0-3600]"),
            variable=BUSY_TIMEOUT_ENV,
            value=repr(value),
        )
    return seconds


def schema_mismatch(revision: str | None) -> DatabaseError:
    """The one-line refusal for a database this release cannot use as it is."""
    if revision in REVISIONS:
        return DatabaseError(
            N_(
                "the database has schema {revision}, older than this complaintctl's ({head}); "
                "back it up (complaintctl db backup FILE) and run: complaintctl db upgrade"
            ),
            revision=revision,
            head=HEAD,
        )
    return DatabaseError(
        N_(
            "the database has schema {revision}, newer than this complaintctl understands "
            "({head}); refusing to use it: install a newer complaintctl"
        ),
        revision=revision,
        head=HEAD,
    )


def sqlite_path(url: str) -> str | None:
    """The file of a plain `sqlite:///PATH` URL; None for anything the adapter leaves to
    SQLAlchemy (another database, `:memory:`, a `file:` URI, query options)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = unquote(url[len("sqlite:///") :])
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


# -- values -------------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, bool):
        return int(value)
    return value


def _decoder(names: list[str]):
    """A function turning one SQLite row (a tuple) into a dict with times and flags as
    Python values, for these column names."""
    times = [i for i, n in enumerate(names) if n in TIME_COLUMNS]
    flags = [i for i, n in enumerate(names) if n in BOOLEAN_COLUMNS]
    if not times and not flags:
        return lambda row: dict(zip(names, row, strict=True))
    parse = dt.datetime.fromisoformat

    def decode(row: tuple) -> dict[str, Any]:
        values = list(row)
        for i in times:
            if values[i] is not None:
                try:
                    values[i] = parse(values[i])
                except (TypeError, ValueError):
                    raise RegisterDamaged(f"{names[i]} holds {values[i]!r:.40}") from None
        for i in flags:
            if values[i] is not None:
                values[i] = bool(values[i])
        return dict(zip(names, values, strict=True))

    return decode


# -- the adapter --------------------------------------------------------------------------
class _Reads:
    """What both adapters build on their `stream()`."""

    def stream(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def rows(self, sql: str, params: Params | None = None) -> list[dict[str, Any]]:
        return list(self.stream(sql, params))

    def one(self, sql: str, params: Params | None = None) -> dict[str, Any] | None:
        for row in self.stream(sql, params):
            return row
        return None


class Store(_Reads):
    """Runs SQL on one register; rows come back as dicts keyed by column name."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._conn = connection
        self.path = path
        self._depth = 0

    # reading
    def scalar(self, sql: str, params: Params | None = None) -> Any:
        row = self._run(sql, params).fetchone()
        return None if row is None else row[0]

    def stream(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """The rows as they come (constant memory, whatever the count)."""
        cursor = self._run(sql, params)
        decode = _decoder([d[0] for d in cursor.description or ()])
        while batch := cursor.fetchmany(500):
            yield from map(decode, batch)

    def batches(self, sql: str, params: Params | None = None) -> Iterator[list[tuple]]:
        """The rows as SQLite gives them (tuples, times as stored text), in batches."""
        cursor = self._run(sql, params)
        while batch := cursor.fetchmany(500):
            yield batch

    # writing
    def execute(self, sql: str, params: Params | None = None) -> int:
        """Run one statement that changes rows; the number of rows it changed."""
        return self._run(sql, params).rowcount

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Store]:
        """One transaction: everything in the block commits together or not at all.  A
        writer takes the write lock at BEGIN (so it never fails to upgrade a read lock)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._guard(lambda: self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN"))
        self._depth = 1
        try:
            yield self
            self._guard(lambda: self._conn.execute("COMMIT" if write else "ROLLBACK"))
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def close(self) -> None:
        self._conn.close()

    # inside
    def _run(self, sql: str, params: Params | None) -> sqlite3.Cursor:
        values = {k: _encode(v) for k, v in params.items()} if params else {}
        return self._guard(lambda: self._conn.execute(sql, values))

    def _guard(self, run):
        try:
            return run()
        except sqlite3.OperationalError as exc:
            raise storage_error(str(exc), f"sqlite:///{self.path}") from None
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed", ...
            raise RegisterDamaged(str(exc)) from None


def storage_error(text: str, where: str) -> DatabaseError:
    """One line for what went wrong with the storage; the transaction was rolled back, so
    nothing of the command was written."""
    text = text.splitlines()[0] if text else "error"
    low = text.lower()
    if "locked" in low or "busy" in low or "lock timeout" in low:
        return DatabaseError(
            N_(
                "database is busy: another process held it for more than {seconds:g} s; "
                "nothing was written, try again"
            ),
            seconds=busy_timeout(),
        )
    if "readonly" in low or "read-only" in low:
        return DatabaseError(
            N_("database {where} is read-only for you; nothing was written"), where=where
        )
    if "full" in low:
        return DatabaseError(
            N_("no space left for database {where}; nothing was written"), where=where
        )
    return DatabaseError(
        N_("database {where} unavailable: {reason}; nothing was written"), where=where, reason=text
    )


def open_sqlite(path: str, check: bool = True) -> Store:
    """The register in the SQLite file `path`, opened as complaintctl.db.open_db opens it
    (never created here: a missing or empty file, or one without our tables, is
    `NoRegister`); with `check`, refused unless its schema is this release's."""
    timeout = busy_timeout()
    if not Path(path).exists():
        raise NoRegister(path)
    try:
        # isolation_level=None: no implicit transactions; BEGIN is ours (transaction()).
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        revision = _revision(conn)
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):
            raise RegisterDamaged(str(exc)) from None
        raise DatabaseError(
            N_("--db: cannot open {url}: {reason}"), url=f"sqlite:///{path}", reason=exc
        ) from None
    if revision is None:
        conn.close()
        raise NoRegister(path)
    if check and revision != HEAD:
        conn.close()
        raise schema_mismatch(revision)
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")  # a register's file keeps it
    return Store(conn, path)


def _revision(conn: sqlite3.Connection) -> str | None:
    """Where the schema stands: an Alembic revision, or None when it is not a register
    (complaintctl 0.1 kept only meta.schema_version = 1, which is revision 0001)."""
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name IN ('alembic_version', 'meta')"
        )
    }
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    if "meta" not in tables:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    try:
        return f"{int(row[0]):04d}"
    except (TypeError, ValueError):
        raise RegisterDamaged(f"meta.schema_version is {row[0]!r:.40}") from None


class EngineStore(_Reads):
    """The same adapter over a SQLAlchemy engine: PostgreSQL, and SQLite URLs the adapter
    does not open itself.  The SQL is the same; `text()` takes the same `:name` parameters."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._conn = None  # the connection of the open transaction, if any

    @classmethod
    def bound(cls, conn) -> EngineStore:
        """The adapter inside a transaction a caller already holds on `conn` (a bulk
        import's): every statement runs in it, and it commits with the caller's."""
        store = cls(conn.engine)
        store._conn = conn
        return store

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        with self._connection() as conn:
            return self._run(conn, sql, params).scalar()

    def stream(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        with self._connection() as conn:
            result = self._run(conn, sql, params)
            names = list(result.keys())
            # psycopg returns times and flags as Python values; SQLite's text needs reading.
            if self.dialect == "sqlite":
                decode = _decoder(names)
            else:
                decode = lambda row: dict(zip(names, row, strict=True))  # noqa: E731
            while batch := result.fetchmany(500):
                yield from map(decode, batch)

    def execute(self, sql: str, params: Params | None = None) -> int:
        with self._connection(write=True) as conn:
            return self._run(conn, sql, params).rowcount

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[EngineStore]:
        if self._conn is not None:
            yield self
            return
        import sqlalchemy as sa

        try:
            with self.engine.connect() as conn:
                conn.execution_options(complaintctl_write=write)
                with conn.begin() as tx:
                    self._conn = conn
                    try:
                        yield self
                    finally:
                        self._conn = None
                    if not write:
                        tx.rollback()
        except sa.exc.OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            raise storage_error(str(exc.orig) or type(exc.orig).__name__, where) from None

    def close(self) -> None:
        pass  # the engine is the register's

    @contextmanager
    def _connection(self, write: bool = False):
        if self._conn is not None:
            yield self._conn
        else:
            with self.transaction(write=write):
                yield self._conn

    def _run(self, conn, sql: str, params: Params | None):
        import sqlalchemy as sa

        values = dict(params) if params else {}
        if self.dialect == "sqlite":
            values = {k: _encode(v) for k, v in values.items()}
        return conn.execute(sa.text(sql), values)


# What the domain is handed: either adapter (the same methods, the same SQL).
Storage = Store | EngineStore
