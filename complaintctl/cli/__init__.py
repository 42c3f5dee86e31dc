"""The command line: parse options, call one service or query, render the result.

The root app is built here from the command modules: `cases` (log, the workflow, show,
list), `fixes` (edit, undo, merge), `reports` (warn, report, export, purge, import),
`forms` (form),
`setup` (calendar, config), `db` and `imports`.  Each of them imports only `common` and
the domain, never this package or each other.  Heavy modules (SQLAlchemy, Rich, the
services) are imported inside the commands so that `--help` and shell completion start
fast.
"""

import os
from typing import Annotated

import typer

from complaintctl import __version__
from complaintctl.cli import cases, db, fixes, forms, imports, reports, setup
from complaintctl.cli.common import (
    ComplaintGroup,
    State,
    login_name,
    one_line,
    option_name,
    show_tracebacks,
)
from complaintctl.i18n import _, translate_commands

# What other code takes from the command line: the app, the console script, and how an
# error's field is named for its reader.
__all__ = ["app", "main", "one_line", "option_name"]

app = typer.Typer(
    cls=ComplaintGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help=_(
        "A complaint register: log, acknowledge, classify, assign, investigate, resolve, "
        "collect feedback and close, inside working-day deadlines."
    ),
)

# Top-level commands, in the order --help lists them, then the command groups.
for _module in (cases, fixes, reports, forms, imports, setup):
    app.registered_commands.extend(_module.app.registered_commands)
app.add_typer(db.db_app, name="db")
app.add_typer(imports.imports_app, name="imports")
app.add_typer(setup.config_app, name="config")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"complaintctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help=_("Database file or SQLAlchemy URL [env: COMPLAINTCTL_DB].")),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", help=_("Config file (TOML) [env: COMPLAINTCTL_CONFIG].")),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help=_("Who is acting, for the history [env: COMPLAINTCTL_USER; default: login name]."),
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks."))] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help=_("Print the version and exit."),
        ),
    ] = False,
) -> None:
    """complaintctl: the complaint register."""
    show_tracebacks(debug)
    if as_ is not None:
        actor = _actor("--as", as_)
    elif os.environ.get("COMPLAINTCTL_USER"):
        actor = _actor("COMPLAINTCTL_USER", os.environ["COMPLAINTCTL_USER"])
    else:
        actor = login_name()
    ctx.obj = State(db=db, config=config, actor=actor)


ACTOR_LIMIT = 100


def _actor(source: str, name: str) -> str:
    """Who is acting, as the history records it: trimmed, not empty, at most 100 characters."""
    from complaintctl.parse import parse_text

    return parse_text(source, name, required=True, max_len=ACTOR_LIMIT)


def main() -> None:
    """The console script."""
    # complaintctl uses no Pydantic plugins (Typer and SQLModel use Pydantic); looking for
    # them reads every installed package's entry points, 8 ms of every run.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    typer.main.get_command(app).main(prog_name="complaintctl")


translate_commands(app)  # every command's help in the language of this run
