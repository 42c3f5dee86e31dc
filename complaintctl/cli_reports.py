"""Commands for managers and cron: `warn` (the morning digest), `report`, `export`.

Imported by cli.py, whose `app` these commands join.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

from complaintctl.cli import AtOpt, Format, UsageError, _now, _state, _time, app

EXIT_OVERDUE = 3


class GroupBy(str, Enum):
    owner = "owner"
    department = "department"


@app.command("warn")
def warn_cli(
    ctx: typer.Context,
    at: AtOpt = None,
    within: Annotated[
        str | None,
        typer.Option(
            help="Also list what falls due within this long, e.g. 1wd, 4h [default: the "
            "config's warn.within, 1wd]."
        ),
    ] = None,
    by: Annotated[
        GroupBy, typer.Option(help="Group cases by owner or department.")
    ] = GroupBy.owner,
    owner: Annotated[str | None, typer.Option(help="Only this owner's cases.")] = None,
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    mail_to: Annotated[
        list[str] | None,
        typer.Option(
            "--mail-to",
            metavar="ADDR",
            help="Also e-mail the digest (repeat for several "
            "addresses), through [smtp] of the config.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="With --mail-to: print the exact message instead of sending."
        ),
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when something is overdue.")
    ] = False,
    even_on_holidays: Annotated[
        bool, typer.Option("--even-on-holidays", help="Run on a non-working day too.")
    ] = False,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or csv.")
    ] = Format.table,
) -> None:
    """The morning digest for cron: overdue and due-soon cases by owner, and early warnings.

    Exit status: 0 nothing overdue, 3 something overdue (0 with --exit-zero), 4 the mail
    could not be sent (the digest is printed first).
    """
    from complaintctl import render, render_digest
    from complaintctl.config import parse_duration
    from complaintctl.digest import build_digest

    if dry_run and not mail_to:
        raise UsageError("--dry-run needs --mail-to (it shows the message that would be sent)")
    st = _state(ctx)
    reg, now = st.register(), _now()
    when = _time(reg, "--at", at, now) or now
    span = parse_duration(within, "--within") if within else None
    if within and span is None:
        raise UsageError("--within must be a duration such as 1wd or 4h")
    smtp = reg.settings.smtp
    if mail_to and smtp is None:
        from complaintctl.errors import ConfigError

        raise ConfigError("smtp: --mail-to needs an [smtp] section in the config")
    digest = build_digest(reg, when, span, by.value, owner, department)
    if not digest.working_day and not even_on_holidays:
        typer.echo(
            f"{digest.at:%Y-%m-%d} is not a working day ({digest.day_off_reason}): "
            "no reminders sent (--even-on-holidays to run anyway)"
        )
        return

    if format is Format.json:
        typer.echo(render.to_json(render_digest.digest_json(digest)))
    elif format is Format.csv:
        render.write_csv(render_digest.digest_rows(digest), render_digest.DIGEST_FIELDS, sys.stdout)
    else:
        console = render.console()
        if console.is_terminal:
            console.print(render_digest.digest_rich(digest))
        else:
            sys.stdout.write(render_digest.digest_text(digest))
    sys.stdout.flush()

    if mail_to:
        from complaintctl import mail

        msg = mail.build_message(
            smtp,
            mail_to,
            render_digest.subject(digest),
            render_digest.digest_text(digest),
            render_digest.digest_html(digest),
        )
        if dry_run:
            typer.echo("--- message that would be sent ---")
            typer.echo(msg.as_string())
        else:
            mail.send(smtp, msg)
            typer.echo(f"mailed to {', '.join(mail_to)}", err=True)
    if digest.has_overdue and not exit_zero:
        raise typer.Exit(EXIT_OVERDUE)
