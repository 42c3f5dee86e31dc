"""Commands for managers and cron: `warn` (the morning digest), `report`, `export`,
`purge`.

The root app takes `app`'s commands as its own.
"""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from complaintctl.cli.common import (
    AtOpt,
    CategoryOpt,
    DepartmentOpt,
    FileFormat,
    Format,
    FromOpt,
    LocaliseOpt,
    OverdueOpt,
    OwnerOpt,
    SearchOpt,
    SeverityOpt,
    Status,
    StatusOpt,
    StepOpt,
    ToOpt,
    UsageError,
    _now,
    _state,
    _time,
    list_filter,
    one_line,
)
from complaintctl.figures import BREAKDOWN_KEYS
from complaintctl.i18n import _

EXIT_OVERDUE = 3

# The commands join the root app as top-level commands (see complaintctl/cli/__init__.py).
app = typer.Typer()


# What `report --by` takes: the breakdowns of the figure table, in its order.
Breakdown = Enum("Breakdown", {key: key for key in BREAKDOWN_KEYS}, type=str)


class GroupBy(str, Enum):
    owner = "owner"
    department = "department"


# warn's options.
WithinOpt = Annotated[
    str | None,
    typer.Option(
        help=_(
            "Also list what falls due within this long, e.g. 1wd, 4h [default: the "
            "config's warn.within, 1wd]."
        )
    ),
]
ByOpt = Annotated[GroupBy, typer.Option(help=_("Group cases by owner or department."))]
MailToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--mail-to",
        metavar="ADDR",
        help=_(
            "Also e-mail the digest (repeat for several addresses), through [smtp] of the config."
        ),
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help=_("With --mail-to: print the exact message instead of sending.")
    ),
]
ExitZeroOpt = Annotated[
    bool, typer.Option("--exit-zero", help=_("Exit 0 even when something is overdue."))
]
EvenOnHolidaysOpt = Annotated[
    bool, typer.Option("--even-on-holidays", help=_("Run on a non-working day too."))
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help=_("table, json or csv."))]


@app.command("warn")
def warn_cli(
    ctx: typer.Context,
    at: AtOpt = None,
    within: WithinOpt = None,
    by: ByOpt = GroupBy.owner,
    owner: OwnerOpt = None,
    department: DepartmentOpt = None,
    mail_to: MailToOpt = None,
    dry_run: DryRunOpt = False,
    exit_zero: ExitZeroOpt = False,
    even_on_holidays: EvenOnHolidaysOpt = False,
    format: FormatOpt = Format.table,
    wide: Annotated[
        bool,
        typer.Option("--wide", help=_("On a terminal: every column, however narrow it is.")),
    ] = False,
) -> None:
    """The morning digest for cron: overdue and due-soon cases by owner, and early warnings.

    Exit status: 0 nothing overdue, 3 something overdue (0 with --exit-zero), 4 the mail
    could not be sent (the digest is printed first).
    """
    from complaintctl.digest import build_digest

    if dry_run and not mail_to:
        raise UsageError(_("--dry-run needs --mail-to (it shows the message that would be sent)"))
    st = _state(ctx)
    reg, now = st.register(), _now()
    when = _time(reg, "--at", at, now) or now
    span = _within(within)
    smtp, password = _mail_setup(reg, mail_to, dry_run)
    digest = build_digest(reg, when, span, by.value, owner, department)
    if not digest.working_day and not even_on_holidays:
        reason = digest.day_off_reason
        if reason == "weekend":  # the calendar's word for a day off that is no holiday
            reason = _("weekend")
        typer.echo(
            _(
                "{day} is not a working day ({reason}): no reminders sent "
                "(--even-on-holidays to run anyway)"
            ).format(day=f"{digest.at:%Y-%m-%d}", reason=reason)
        )
        return
    _print_digest(digest, format, wide)
    if mail_to:
        _mail_digest(smtp, mail_to, digest, dry_run, password)
    if digest.has_overdue and not exit_zero:
        raise typer.Exit(EXIT_OVERDUE)


def _within(within: str | None):
    """--within as a Duration (None when not given): at most about ten years."""
    from complaintctl.config import parse_duration

    span = parse_duration(within, "--within") if within else None
    if within and span is None:
        raise UsageError(_("--within must be a duration such as 1wd or 4h"))
    if span is not None and span.amount > 3660:  # about ten years of days or working days
        raise UsageError(
            _("--within {value} is too long; at most 3660 of its unit").format(value=repr(within))
        )
    return span


def _mail_setup(reg, mail_to: list[str] | None, dry_run: bool):
    """(the [smtp] settings, the password) for --mail-to, both checked before the digest is
    built; the password only when the message is really sent."""
    smtp = reg.settings.smtp
    if mail_to and smtp is None:
        from complaintctl.errors import ConfigError

        raise ConfigError(_("smtp: --mail-to needs an [smtp] section in the config"))
    password = None
    if mail_to and not dry_run:
        from complaintctl.mail import smtp_password

        password = smtp_password(smtp)
    return smtp, password


def _print_digest(digest, format: Format, wide: bool = False) -> None:
    """The digest on stdout: JSON, CSV, a Rich view on a terminal, else plain text."""
    from complaintctl import render, render_digest

    if format is Format.json:
        typer.echo(render.to_json(render_digest.digest_json(digest)))
    elif format is Format.csv:
        render.write_csv(render_digest.digest_rows(digest), render_digest.DIGEST_FIELDS, sys.stdout)
    else:
        console = render.console()
        if console.is_terminal:
            view = render_digest.digest_rich(digest, console.width, wide)
            if wide:
                render.widen(console, view)
            console.print(view)
        else:
            sys.stdout.write(render_digest.digest_text(digest))
    sys.stdout.flush()


def _mail_digest(smtp, mail_to: list[str], digest, dry_run: bool, password) -> None:
    """E-mail the digest (text and HTML), or with --dry-run print the message instead."""
    from complaintctl import mail, render_digest

    msg = mail.build_message(
        smtp,
        mail_to,
        render_digest.subject(digest),
        render_digest.digest_text(digest),
        render_digest.digest_html(digest),
    )
    if dry_run:
        typer.echo(_("--- message that would be sent ---"))
        typer.echo(msg.as_string())
    else:
        mail.send(smtp, msg, password)
        typer.echo(_("mailed to {addresses}").format(addresses=", ".join(mail_to)), err=True)


@app.command("report")
def report_cli(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option(help=_("A month, e.g. 2025-10 [default: the last full month]."))
    ] = None,
    quarter: Annotated[str | None, typer.Option(help=_("A quarter, e.g. 2025Q3."))] = None,
    year: Annotated[str | None, typer.Option(help=_("A year, e.g. 2025."))] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help=_("First day of a custom period (with --to)."))
    ] = None,
    to: Annotated[str | None, typer.Option(help=_("Last day of a custom period."))] = None,
    by: Annotated[
        Breakdown | None, typer.Option(help=_("Also break every figure down by this."))
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help=_("table, csv or json."))
    ] = Format.table,
    excel: Annotated[
        bool,
        typer.Option("--excel", help=_("CSV with a UTF-8 BOM for Excel (implies --format csv).")),
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help=_(
                "Write the report as one self-contained HTML file with charts, targets and "
                "the most overdue cases (needs matplotlib: pip install 'complaintctl[charts]')."
            ),
        ),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            metavar="FILE",
            help=_(
                "Write the report as an Excel workbook: a sheet of totals, one for the "
                "--by breakdown, one of cases received (needs openpyxl: "
                "pip install 'complaintctl[excel]')."
            ),
        ),
    ] = None,
) -> None:
    """The monthly report (投诉处理月报): counts, on-time rates, resolution times and rates,
    satisfaction, reopened and repeat cases, each against the previous period."""
    from complaintctl.report import monthly_report

    if html is not None and xlsx is not None:
        raise UsageError(_("--html and --xlsx are two files: give one"))
    if html is not None:
        _check_html(html, format, excel)
    if xlsx is not None:
        check_xlsx(str(xlsx), "--xlsx", format is not Format.table or excel)
    reg, now = _state(ctx).register(), _now()
    period = _period(reg, now, month, quarter, year, from_, to)
    report = monthly_report(reg, period, by.value if by else None)
    if html is not None:
        _write_html(reg, report, period, html, now)
    elif xlsx is not None:
        _write_report_xlsx(reg, report, period, xlsx)
    else:
        _print_report(report, format, excel)


def _check_html(html: Path, format: Format, excel: bool) -> None:
    """Refuse --html with another format, without matplotlib, or to a path that cannot be
    written: all before any work, so nothing is half-done or written."""
    from complaintctl import report_html

    if format is not Format.table or excel:
        raise UsageError(_("--html writes a file of its own; leave out --format and --excel"))
    report_html.require_charts()
    report_html.check_target(html)


def _period(reg, now, month, quarter, year, from_, to):
    """The period asked for (--month, --quarter, --year or --from/--to; default the last
    full month)."""
    from complaintctl.parse import parse_date
    from complaintctl.report import parse_period

    return parse_period(
        reg.calendar.local_date(now),
        month=month,
        quarter=quarter,
        year=year,
        start=parse_date("--from", from_, reg.settings.date_order) if from_ else None,
        end=parse_date("--to", to, reg.settings.date_order) if to else None,
    )


def _write_html(reg, report, period, html: Path, now) -> None:
    """The report as one HTML file; its warnings and where it went on stderr."""
    from complaintctl import render_report, report_html

    for warning in report_html.write_report(reg, report, html, now):
        typer.echo(_("warning: {message}").format(message=warning), err=True)
    typer.echo(
        _("wrote the {period} report to {path}").format(
            period=render_report.period_name(period), path=one_line(str(html))
        ),
        err=True,
    )


def _write_report_xlsx(reg, report, period, target: Path) -> None:
    """The report as a workbook; where it went on stderr."""
    from complaintctl import outputs, render_report, xlsx

    sheets = xlsx.report_sheets(report, xlsx.code_names(reg.settings))
    outputs.write_file(target, lambda out: xlsx.write(out, sheets), "--xlsx", binary=True)
    typer.echo(
        _("wrote the {period} report to {path}").format(
            period=render_report.period_name(period), path=one_line(str(target))
        ),
        err=True,
    )


def _print_report(report, format: Format, excel: bool) -> None:
    """The report on stdout: CSV (with a BOM for --excel), JSON, or the Rich view."""
    from complaintctl import render, render_report

    if format is Format.csv or excel:
        render.write_csv(
            render_report.csv_rows(report), render_report.REPORT_FIELDS, sys.stdout, excel=excel
        )
    elif format is Format.json:
        typer.echo(render.to_json(render_report.json_data(report)))
    else:
        render.console().print(render_report.report_view(report))


@app.command("export")
def export_cli(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help=_("Where to write; - for standard output."))
    ],
    status: StatusOpt = Status.all,
    step: StepOpt = None,
    owner: OwnerOpt = None,
    department: DepartmentOpt = None,
    category: CategoryOpt = None,
    severity: SeverityOpt = None,
    overdue: OverdueOpt = False,
    from_: FromOpt = None,
    to: ToOpt = None,
    search: SearchOpt = None,
    format: Annotated[
        FileFormat, typer.Option("--format", "-f", help=_("csv or jsonl."))
    ] = FileFormat.csv,
    excel: Annotated[
        bool,
        typer.Option(
            "--excel",
            help=_("CSV with a UTF-8 BOM for Excel (text as stored; for typed cells use --xlsx)."),
        ),
    ] = False,
    xlsx: Annotated[
        bool,
        typer.Option(
            "--xlsx",
            help=_(
                "Write FILE as an Excel workbook (.xlsx): date-time cells in office time, "
                "contacts and order numbers as text, headers in the language of the run "
                "(needs openpyxl: pip install 'complaintctl[excel]')."
            ),
        ),
    ] = False,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help=_("Mask customers' names and contacts (张*, 138****5678), also in free text."),
        ),
    ] = False,
    events: Annotated[
        bool,
        typer.Option(
            "--events",
            help=_("One row per history entry (who did what, when) instead of one per case."),
        ),
    ] = False,
    localise: LocaliseOpt = False,
) -> None:
    """Export cases (all, or filtered as for list) with every field, step time and deadline,
    to CSV, JSON Lines or an Excel workbook; or, with --events, their history."""
    if excel and format is not FileFormat.csv:
        raise UsageError(_("--excel applies to --format csv"))
    if xlsx:
        check_xlsx(file, "FILE", format is not FileFormat.csv or excel)
    reg = _state(ctx).register()
    f = list_filter(
        status, step, owner, department, category, severity, overdue, from_, to, search,
        reg.settings.date_order,
    )  # fmt: skip
    write, fields, what = _export_rows(reg, f, events, redact, localise, format, excel, xlsx)
    if file == "-":
        write(sys.stdout)
        return
    target = Path(file)
    count = _write_replacing(target, write, binary=xlsx)
    typer.echo(
        _("exported {count} {what} to {path}").format(count=count, what=what, path=target), err=True
    )


def _export_rows(
    reg, f, events: bool, redact: bool, localise: bool, format, excel: bool, xlsx: bool = False
):
    """(a function writing the export to a file and returning how many rows it wrote, the
    rows' field names, what they are called in the summary): the cases, or with --events
    their history entries; masked with --redact, codes named in the run's language with
    --localise; a workbook with --xlsx.  The filter is checked here, before anything is
    written."""
    from complaintctl import csvsql, queries, render

    now = _now()
    if events:
        rows = queries.export_events(reg, f, now, redact=redact)
        fields, what = queries.EVENT_FIELDS, _("history entries")
    else:
        fields, what = queries.EXPORT_FIELDS, _("case(s)")
        plain = format is FileFormat.csv and not (redact or localise or xlsx)
        lines = csvsql.export_lines(reg, f, now) if plain else None
        if lines is not None:  # SQLite writes the lines: a plain CSV at its speed

            def write(out) -> int:
                def redo(ids):
                    return queries.export_rows_for(reg, ids, now)

                return render.write_csv_lines(lines, fields, out, redo, excel=excel)

            return write, fields, what
        rows = queries.export_rows(reg, f, now)
        if redact:
            from complaintctl.privacy import redact_row

            rows = map(redact_row, rows)
    if localise:
        rows = map(render.localise, rows)
    if xlsx:
        title = _("History") if events else _("Cases")
        return (lambda out: write_xlsx(out, reg, title, rows, fields, localise)), fields, what
    return (lambda out: _write_rows(out, rows, fields, format, excel)), fields, what


def check_xlsx(file: str, option: str, other: bool, excel: bool = True) -> None:
    """Refuse --xlsx with another format, to standard output, to a path that cannot be
    written, or without openpyxl: before any work."""
    from complaintctl import outputs, xlsx

    if other:
        raise UsageError(
            _("--xlsx writes a workbook of its own; leave out --format and --excel")
            if excel
            else _("--xlsx writes a workbook of its own; leave out --format")
        )
    if file == "-":
        raise UsageError(_("--xlsx writes a file: give its name, not -"))
    xlsx.require_openpyxl()
    outputs.check(file, option)


def write_xlsx(out, reg, title: str, rows, fields, localise: bool) -> int:
    """The rows as a one-sheet workbook (categories and departments by their config names
    with --localise); warns of text cut to a cell's size; how many rows."""
    from complaintctl import xlsx

    names = xlsx.code_names(reg.settings) if localise else {}
    written = xlsx.write_table(out, title, fields, xlsx.case_cells(rows, fields, names))
    _warn_cut(written)
    return written.rows[0]


def _warn_cut(written) -> None:
    if written.cut:
        typer.echo(
            _(
                "warning: {count} text(s) longer than {most} characters were cut to fit a cell"
            ).format(count=written.cut, most=f"{32_767:,}"),
            err=True,
        )


def _write_rows(out, rows, fields, format: FileFormat, excel: bool) -> int:
    """Write the rows to `out` as CSV or JSON Lines; how many there were."""
    from complaintctl import render

    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    if format is FileFormat.csv:
        render.write_csv(counted(), fields, out, excel=excel)
    else:
        for row in counted():
            out.write(render.to_json_line(row) + "\n")
    return count


def _write_replacing(target: Path, write, binary: bool = False):
    """Run `write(out)` on a file beside `target`, then rename it into place: never a
    half-written file, owner only (0600).  Only a regular file is replaced: a device, a
    pipe, a directory or a symbolic link at `target` is refused (`-` writes standard
    output).  Returns what `write` returns."""
    from complaintctl import outputs

    return outputs.write_file(target, write, "FILE", dash=True, binary=binary)


@app.command("purge")
def purge_cli(
    ctx: typer.Context,
    closed_before: Annotated[
        str,
        typer.Option(
            "--closed-before",
            metavar="DATE",
            help=_("Purge cases that ended before this day (office time), e.g. 2023-01-01."),
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Only count what would be purged."))
    ] = False,
) -> None:
    """Retention: anonymise the personal data of cases that ended before a date.

    Names, contacts, descriptions, demands, order numbers and feedback comments are
    replaced by '(purged)', names, phones and e-mails are masked in free text and in the
    history, attachments are removed, and a 'purge' entry is added to each case's
    history.  Statistics are unchanged.  One transaction; cannot be undone."""
    from complaintctl import privacy
    from complaintctl.parse import parse_date

    st = _state(ctx)
    reg = st.register()
    day = parse_date("--closed-before", closed_before, reg.settings.date_order)
    now = _now()
    done = privacy.purge(
        reg,
        closed_before=day,
        now=now,
        actor=st.actor,
        dry_run=dry_run,
    )
    message = (
        _(
            "would purge {cases} case(s) closed before {day}: {events} history entries, "
            "{attachments} attachment(s)"
        )
        if dry_run
        else _(
            "purged {cases} case(s) closed before {day}: {events} history entries, "
            "{attachments} attachment(s)"
        )
    )
    typer.echo(
        message.format(
            cases=done.cases, day=day.isoformat(), events=done.events, attachments=done.attachments
        )
    )
