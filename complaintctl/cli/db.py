"""`complaintctl db ...`: create, upgrade and look after the database."""

from pathlib import Path
from typing import Annotated

import typer

from complaintctl.cli.common import _state
from complaintctl.i18n import _

db_app = typer.Typer(
    help=_("Create and look after the database."),
    no_args_is_help=True,
    rich_markup_mode=None,
)


@db_app.command("init")
def db_init_cli(ctx: typer.Context) -> None:
    """Create the register (if there is none) and print where it is.

    The one command that creates a register named by --db, COMPLAINTCTL_DB or the config
    (a file with its folder, or the tables in an empty PostgreSQL database); every other
    command refuses, exit 2, when the register is not there.
    """
    from complaintctl import db

    engine = db.open_db(_state(ctx).database_url(), create=True)
    typer.echo(f"database ready: {db.engine_name(engine)}")


@db_app.command("status")
def db_status_cli(ctx: typer.Context) -> None:
    """Show the database, its schema version, and whether it needs `db upgrade`.

    Exits 0 when the schema is this release's, 1 when it must be upgraded (or is newer
    than this complaintctl).
    """
    from complaintctl import db

    st = db.status(_state(ctx).database_url())
    revision = st.revision
    typer.echo(f"database: {st.name}")
    typer.echo(f"backend:  {st.backend}")
    typer.echo(f"cases:    {st.cases}")
    if revision == db.HEAD:
        typer.echo(f"schema:   {revision} (current)")
        return
    typer.echo(f"schema:   {revision} (this complaintctl uses {db.HEAD})")
    typer.echo(f"error: {db.schema_mismatch(revision)}", err=True)
    raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade_cli(ctx: typer.Context) -> None:
    """Bring the database's schema up to this release, in one transaction; every case and
    its history are kept.  Back the database up first (`db backup FILE`)."""
    from complaintctl import db

    engine = db.open_db(_state(ctx).database_url(), check=False)
    before, after = db.upgrade(engine)
    if before == after:
        typer.echo(f"schema {after}: already current")
    else:
        typer.echo(f"schema upgraded: {before} -> {after}")


@db_app.command("backup")
def db_backup_cli(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help=_("Where to write the backup."))],
    force: Annotated[bool, typer.Option("--force", help=_("Replace FILE if it exists."))] = False,
) -> None:
    """Copy the SQLite database to FILE, consistent even while others are writing (SQLite's
    online backup API); the file is readable by its owner only.  For PostgreSQL use pg_dump."""
    from complaintctl import db, dbops

    engine = db.open_db(_state(ctx).database_url(), create=False, check=False)
    done = dbops.backup(engine, file, force=force)
    typer.echo(f"backup written: {done.path} ({done.cases} cases, {done.size:,} bytes)")


@db_app.command("check")
def db_check_cli(ctx: typer.Context) -> None:
    """Check the database and every case's history: SQLite's integrity and foreign keys,
    references between tables, each case's row against its history, and the history's seal.

    Prints one line per problem, then a summary; exits 0 when clean, 1 when problems were
    found.
    """
    from complaintctl import dbops

    reg = _state(ctx).register()
    summary = dbops.check(reg.engine, lambda problem: typer.echo(str(problem)))
    for note in summary.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(
        f"checked {summary.cases} cases, {summary.events} events, {summary.attachments} attachments"
    )
    if summary.unsealed_events:
        typer.echo(
            f"warning: {summary.unsealed_events} events in {summary.unsealed_cases} cases are "
            "not sealed (written by an import without a seal)"
        )
    if summary.clean:
        typer.echo("no problems found")
        return
    typer.echo(
        f"error: {summary.problems} problems found in {summary.problem_cases} cases", err=True
    )
    raise typer.Exit(1)


@db_app.command("copy")
def db_copy_cli(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help=_("The empty register to copy into: a SQLite file path or a SQLAlchemy URL."),
        ),
    ],
) -> None:
    """Copy the whole register (ids, case numbers, counters, history and its seals,
    attachments) into an empty register, e.g. from SQLite to PostgreSQL; committed only
    after every table's row count and every case's checksum were found equal."""
    from complaintctl import dbops
    from complaintctl.config import resolve_db_url

    reg = _state(ctx).register()
    done = dbops.copy(reg.engine, resolve_db_url(to, reg.settings))
    typer.echo(f"copied {done.source} -> {done.target}")
    for table, n in done.counts.items():
        typer.echo(f"  {table:<14} {n}")
    typer.echo("verified: every table's row count and every case's checksum match")
    typer.echo(f"checksum: sha256:{done.checksum}")
