"""Where the database is, opening it (pragmas, schema check) and the unit of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, SQLModel

from complaintctl import models
from complaintctl.config import DB_ENV, Settings
from complaintctl.errors import DatabaseError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> Path:
    """The per-user database file used when nothing else names one."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("complaintctl")) / "complaintctl.db"


def resolve_db_url(cli_value: str | None, settings: Settings) -> str:
    """--db > $COMPLAINTCTL_DB > the config's `database` > the per-user default.

    Each may be a file path or a SQLAlchemy URL.
    """
    value = cli_value or os.environ.get(DB_ENV) or settings.database or str(default_db_path())
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def _sqlite_pragmas(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's begin event (below) issue BEGIN, so writers can take the lock
        # up front with BEGIN IMMEDIATE instead of failing to upgrade a read lock later.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Readers take no lock up front; writers say so (unit_of_work(write=True)).
        write = conn.get_execution_options().get("complaintctl_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_db(url: str, create: bool = True) -> sa.Engine:
    """Open (and on first use create) the register; refuse a schema newer than ours."""
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            if not Path(path).exists() and not create:
                raise DatabaseError(f"database {path} does not exist; run complaintctl db init")
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"--db: cannot create {Path(path).parent}: {exc}") from None
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseError(f"--db: {url!r} is not a usable database URL or path: {exc}") from None
    if is_sqlite:
        _sqlite_pragmas(engine)
    try:
        _ensure_schema(engine)
    except sa.exc.DatabaseError as exc:
        raise DatabaseError(f"--db: cannot open {url}: {exc.orig}") from None
    return engine


def _ensure_schema(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        version = _schema_version(conn)
        conn.rollback()
    if version is None:
        with engine.connect() as conn, conn.execution_options(complaintctl_write=True).begin():
            # Re-check under the write lock: another process may have just created it.
            if _schema_version(conn) is None:
                SQLModel.metadata.create_all(conn)
                conn.execute(
                    sa.insert(models.Meta.__table__).values(
                        key="schema_version", value=str(SCHEMA_VERSION)
                    )
                )
    elif version > SCHEMA_VERSION:
        raise DatabaseError(
            f"the database has schema version {version}, newer than this complaintctl "
            f"understands ({SCHEMA_VERSION}); upgrade complaintctl"
        )


def _schema_version(conn: sa.Connection) -> int | None:
    if not sa.inspect(conn).has_table("meta"):
        return None
    value = conn.execute(
        sa.text("SELECT value FROM meta WHERE key = 'schema_version'")
    ).scalar_one_or_none()
    return int(value) if value is not None else None


@contextmanager
def unit_of_work(engine: sa.Engine, write: bool = True) -> Iterator[Session]:
    """One transaction: everything done in the block commits together or not at all."""
    with engine.connect() as conn:
        conn.execution_options(complaintctl_write=write)
        session = Session(bind=conn, expire_on_commit=False, autoflush=True)
        try:
            yield session
            if write:
                session.commit()
            else:
                session.rollback()
        except sa.exc.OperationalError as exc:
            session.rollback()
            # Locked past the busy timeout, disk full, file gone: say so in one line.
            raise DatabaseError(f"database unavailable: {exc.orig}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
