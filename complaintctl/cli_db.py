"""`complaintctl db ...`: create, upgrade and look after the database."""

from __future__ import annotations

import typer

from complaintctl.cli import _state, db_app


@db_app.command("init")
def db_init_cli(ctx: typer.Context) -> None:
    """Create the database (if it does not exist) and print where it is."""
    reg = _state(ctx).register()
    typer.echo(f"database ready: {reg.engine.url.render_as_string(hide_password=True)}")


@db_app.command("status")
def db_status_cli(ctx: typer.Context) -> None:
    """Show the database, its schema version, and whether it needs `db upgrade`.

    Exits 0 when the schema is this release's, 1 when it must be upgraded (or is newer
    than this complaintctl).
    """
    from complaintctl import db

    engine = db.open_db(_state(ctx).database_url(), check=False)
    with engine.connect() as conn:
        revision = db.current_revision(conn)
        cases = conn.execute(db.sa.text("SELECT count(*) FROM cases")).scalar()
    typer.echo(f"database: {db.engine_name(engine)}")
    typer.echo(f"backend:  {engine.dialect.name}")
    typer.echo(f"cases:    {cases}")
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
