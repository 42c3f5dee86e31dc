"""Where the database is, opening it (pragmas, schema check) and the unit of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, SQLModel

from complaintctl import models
from complaintctl.errors import CaseChanged, DatabaseError, NoRegister
from complaintctl.messages import N_
from complaintctl.store import (
    HEAD,
    REVISIONS,
    busy_timeout,
    schema_mismatch,
)
from complaintctl.store import storage_error as store_error


def _sqlite_pragmas(engine: sa.Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's begin event (below) issue BEGIN, so writers can take the lock
        # up front with BEGIN IMMEDIATE instead of failing to upgrade a read lock later.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        # No journal_mode here: setting it writes to the file, and a file that is not a
        # register yet (empty, or someone else's database) must stay as it is; the mode is
        # set once the schema is known to be ours (_use_wal) and the file keeps it.
        cur.execute("PRAGMA foreign_keys = ON")
        # FULL: a committed change is on disk before the command says so, even if the
        # machine loses power the next moment (NORMAL would only survive a crashed process).
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Readers take no lock up front; writers say so (unit_of_work(write=True)).
        write = conn.get_execution_options().get("complaintctl_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_db(url: str, create: bool = False, check: bool = True) -> sa.Engine:
    """Open the register at `url`; with `create`, make it first if there is none.

    Without `create` nothing is ever made or written: a missing file (or folder), an empty
    file and a database without our tables are all `NoRegister`.  Only `db init`, a copy's
    target and a case-adding command on the per-user default ask for `create`.

    With `check`, refuse a database whose schema is not this release's: an older one must
    be upgraded first (`db upgrade`), a newer one needs a newer complaintctl.
    """
    timeout = busy_timeout()  # a bad setting is refused before anything is created
    is_sqlite = url.startswith("sqlite")
    # A plain file path (not ":memory:", not a "file:...?uri=true" URI, which SQLite itself
    # opens with its own mode=ro/rw/rwc rules): its directory and the file are made here.
    path = sa.engine.make_url(url).database if is_sqlite else None
    if path and (path == ":memory:" or path.startswith("file:")):
        path = None
    if path and not Path(path).exists():
        if not create:
            raise NoRegister(path)
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                N_("--db: cannot create {path}: {reason}"), path=Path(path).parent, reason=exc
            ) from None
        _create_private_file(Path(path))
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseError(
            N_("--db: {url} is not a usable database URL or path: {reason}"),
            url=repr(url),
            reason=exc,
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            N_(
                "--db: the driver for {url} is not installed ({module}); "
                "for PostgreSQL run: pip install 'complaintctl[postgresql]'"
            ),
            url=engine_name(url),
            module=exc.name,
        ) from None
    if is_sqlite:
        _sqlite_pragmas(engine, timeout)
    elif engine.dialect.name == "postgresql":
        _postgres_timeouts(engine, timeout)
    try:
        revision = _ensure_schema(engine, create)
    except (sa.exc.DatabaseError, engine.dialect.loaded_dbapi.Error) as exc:
        engine.dispose()
        raise DatabaseError(
            N_("--db: cannot open {url}: {reason}"),
            url=engine_name(url),
            reason=getattr(exc, "orig", None) or exc,
        ) from None
    if revision is None:
        engine.dispose()
        raise NoRegister(path or engine_name(url))
    if check and revision != HEAD:
        engine.dispose()
        raise schema_mismatch(revision)
    return engine


def _create_private_file(path: Path) -> None:
    """Create a new database file readable and writable by its owner only (0600): it holds
    customers' personal data.  SQLite gives its -wal and -shm files the same mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process created it just now
    except OSError as exc:
        raise DatabaseError(
            N_("--db: cannot create {path}: {reason}"), path=path, reason=exc.strerror
        ) from None


def _postgres_timeouts(engine: sa.Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # A row another session holds locked longer than this: "database is busy", no hang.
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(timeout * 1000)}")
        dbapi_conn.commit()


def engine_name(url: str | sa.Engine) -> str:
    """The URL as it may be shown: the password hidden."""
    u = url.url if isinstance(url, sa.Engine) else sa.engine.make_url(url)
    return u.render_as_string(hide_password=True)


def _ensure_schema(engine: sa.Engine, create: bool) -> str | None:
    """The database's schema revision (None: not a register); with `create`, an empty
    database is created at HEAD."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        conn.rollback()
    if revision is None and create:
        with engine.connect() as conn, conn.execution_options(complaintctl_write=True).begin():
            # Re-check under the write lock: another process may have just created it.
            revision = current_revision(conn)
            if revision is None:
                foreign = sorted(sa.inspect(conn).get_table_names())
                if foreign:  # another application's database: not ours to add tables to
                    raise DatabaseError(
                        N_(
                            "--db: {url} holds another application's tables ({tables}); a "
                            "register is made only in a new file or an empty database"
                        ),
                        url=engine_name(engine),
                        tables=", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else ""),
                    )
                _create(conn)
                revision = HEAD
    if revision is not None and engine.dialect.name == "sqlite":
        _use_wal(engine)
    return revision


def _use_wal(engine: sa.Engine) -> None:
    """Write-ahead logging, so readers never wait for a writer: a setting the file keeps,
    made only on a database known to be a register (a no-op once it is set)."""
    raw = engine.raw_connection()
    try:
        # Outside any transaction (the connection runs in autocommit, see _sqlite_pragmas).
        raw.driver_connection.execute("PRAGMA journal_mode = WAL").close()
    finally:
        raw.close()


def _create(conn: sa.Connection) -> None:
    """A new register: the tables as the models define them, stamped with HEAD (a test
    checks that this equals what the migrations build)."""
    if sa.inspect(conn).has_table("cases"):
        raise DatabaseError(
            N_("the database has a 'cases' table but is not a complaintctl register")
        )
    SQLModel.metadata.create_all(conn)
    conn.execute(
        sa.insert(models.Meta.__table__).values(key="schema_version", value=str(int(HEAD)))
    )
    _stamp(conn, HEAD)


def _stamp(conn: sa.Connection, revision: str) -> None:
    version = sa.table("alembic_version", sa.column("version_num"))
    sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), primary_key=True),
    ).create(conn, checkfirst=True)
    conn.execute(sa.delete(version))
    conn.execute(sa.insert(version).values(version_num=revision))


def current_revision(conn: sa.Connection) -> str | None:
    """Where the database's schema stands: an Alembic revision, or None when it is empty.

    complaintctl 0.1 kept only `meta.schema_version` = 1, which is revision 0001.
    """
    inspector = sa.inspect(conn)
    if inspector.has_table("alembic_version"):
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if not inspector.has_table("meta"):
        return None
    value = conn.execute(
        sa.text("SELECT value FROM meta WHERE key = 'schema_version'")
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return f"{int(value):04d}"
    except (TypeError, ValueError):
        from complaintctl.errors import RegisterDamaged

        raise RegisterDamaged(f"meta.schema_version is {value!r:.40}") from None


@dataclass(frozen=True)
class Status:
    """What `db status` reports of a database."""

    name: str  # its URL, the password hidden
    backend: str
    revision: str | None
    cases: int


def status(url: str) -> Status:
    """The database at `url` as it stands, whatever its schema revision."""
    engine = open_db(url, check=False)
    with engine.connect() as conn:
        revision = current_revision(conn)
        cases = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar()
    return Status(engine_name(engine), engine.dialect.name, revision, cases)


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the database to HEAD in one transaction; (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config

    with engine.connect() as conn, conn.execution_options(complaintctl_write=True).begin():
        before = current_revision(conn)
        if before is not None and before not in REVISIONS:
            raise schema_mismatch(before)
        if before is not None and not sa.inspect(conn).has_table("alembic_version"):
            _stamp(conn, before)  # a 0.1 database: its schema is the baseline
        if before != HEAD:
            config = Config()
            config.set_main_option("script_location", "complaintctl:migrations")
            config.attributes["connection"] = conn
            command.upgrade(config, HEAD)
    return before, HEAD


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
            raise storage_error(exc, engine) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def storage_error(exc: sa.exc.OperationalError, engine: sa.Engine | None = None) -> DatabaseError:
    """One line for what went wrong with the storage; the transaction was rolled back, so
    nothing of the command was written."""
    text = str(exc.orig) or type(exc.orig).__name__
    return store_error(text, engine_name(engine) if engine is not None else "file")


def claim(session: Session, case: models.Case) -> None:
    """Bump the case's version, but only if it is still the version this transaction read.

    On SQLite the write lock taken at BEGIN already keeps other writers out.  On PostgreSQL
    another process may have changed the case between our read and this write: its
    committed version no longer matches, the UPDATE touches no row, and the command is
    refused instead of overwriting that change (the row stays locked until we commit).
    """
    read = case.version
    table = models.Case.__table__
    claimed = session.execute(
        sa.update(table)
        .where(table.c.id == case.id, table.c.version == read)
        .values(version=read + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise CaseChanged(case.number)
    case.version = read + 1
    session.add(case)
