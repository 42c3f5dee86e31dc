"""The case commands: `log` a complaint, move it down the workflow (`ack`, `classify`,
`assign`, `investigate`, `resolve`, `feedback`, `close`, `reopen`, `hold`, `resume`,
`escalate`, `plan`), keep notes and files with it, and read it back (`show`, `list`).

Each command parses its options, calls one service or query, and renders the result.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from complaintctl.cli.common import (
    AtOpt,
    CaseArg,
    CategoryOpt,
    DepartmentOpt,
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
    _local,
    _move,
    _now,
    _report,
    _state,
    _time,
    list_filter,
    one_line,
    option_name,
)
from complaintctl.enums import CustomerType, Kind, Remedy, Responsibility, Severity
from complaintctl.errors import ComplaintError
from complaintctl.fields import FIELDS
from complaintctl.i18n import _, label

if TYPE_CHECKING:
    from complaintctl.register import Register

# The commands join the root app as top-level commands (see complaintctl/cli/__init__.py).
app = typer.Typer()


# -- logging ------------------------------------------------------------------------------
# log's options.
ChannelOpt = Annotated[
    str | None,
    typer.Option(
        help=_(
            "How it arrived: phone, email, online, social, "
            "letter, visit, other (or the config's list). Required."
        )
    ),
]
CustomerOpt = Annotated[str | None, typer.Option(help=_("Customer name. Required."))]
ContactOpt = Annotated[
    str | None, typer.Option(help=_("Phone number or e-mail address. Required."))
]
SummaryOpt = Annotated[
    str | None, typer.Option(help=_("One line: what the complaint is about. Required."))
]
CustomerTypeOpt = Annotated[CustomerType, typer.Option(help=_("individual or enterprise."))]
DescriptionOpt = Annotated[str | None, typer.Option(help=_("What happened, in full."))]
DemandOpt = Annotated[str | None, typer.Option(help=_("What the customer asks for."))]
OrderOpt = Annotated[str | None, typer.Option(help=_("Order number."))]
ProductOpt = Annotated[str | None, typer.Option(help=_("Product or service concerned."))]
AmountOpt = Annotated[str | None, typer.Option(help=_("Amount claimed, e.g. 120.50."))]
ExternalRefOpt = Annotated[
    str | None, typer.Option(help=_("Reference in another system (web form, ticket)."))
]
ReceivedAtOpt = Annotated[
    str | None,
    typer.Option(help=_("When it arrived, if earlier than now, e.g. '2025-09-30 09:15'.")),
]
AckOpt = Annotated[
    bool,
    typer.Option("--ack", help=_("The customer was told the number on the spot.")),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help=_("Print only the number."))]


@app.command("log")
def log_cli(
    ctx: typer.Context,
    channel: ChannelOpt = None,
    customer: CustomerOpt = None,
    contact: ContactOpt = None,
    summary: SummaryOpt = None,
    customer_type: CustomerTypeOpt = CustomerType.individual,
    description: DescriptionOpt = None,
    demand: DemandOpt = None,
    order: OrderOpt = None,
    product: ProductOpt = None,
    amount: AmountOpt = None,
    external_ref: ExternalRefOpt = None,
    received_at: ReceivedAtOpt = None,
    ack: AckOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Register a complaint: prints its number and the acknowledgement deadline.

    On a terminal, run it without options to be asked for each field in turn.
    """
    from complaintctl import services

    form: dict[str, Any] = {
        "channel": channel,
        "customer": customer,
        "customer_type": customer_type.value,
        "contact": contact,
        "summary": summary,
        "description": description,
        "demand": demand,
        "order": order,
        "product": product,
        "amount": amount,
        "received_at": received_at,
        "ack": ack,
    }
    missing = _missing_log_options(form)
    st = _state(ctx)
    reg, now = st.register(adds=True), _now()
    if missing:
        unset = [n for n in form if ctx.get_parameter_source(n).name == "DEFAULT"]
        form.update(_ask_log_form(reg, now, unset))
    values = _log_values(reg, now, form, external_ref)
    result = services.log_complaint(reg, now=now, actor=st.actor, **values)
    _print_logged(reg, result, quiet, form["ack"])


def _missing_log_options(form: dict[str, Any]) -> list[str]:
    """The required options not given; refused at once unless a person at a terminal can
    be asked for them."""
    missing = [f"--{name}" for name in _LOG_REQUIRED if form[name] is None]
    if missing and not _at_terminal():
        # Click's own wording (scripts may match it), naming every missing option at once.
        hint = _(" (stdin is not a terminal, so nothing was asked)") if sys.stderr.isatty() else ""
        names = ", ".join(map(repr, missing))
        many = len(missing) > 1
        message = _("Missing options {names}.") if many else _("Missing option {names}.")
        raise UsageError(message.format(names=names) + hint)
    return missing


def _log_values(
    reg: "Register", now, form: dict[str, Any], external_ref: str | None
) -> dict[str, Any]:
    """log's form (and --external-ref, never asked) as services.log_complaint's arguments,
    the amount and time parsed."""
    from complaintctl.parse import parse_amount

    return {
        "channel": form["channel"],
        "customer_name": form["customer"],
        "contact": form["contact"],
        "summary": form["summary"],
        "customer_type": form["customer_type"],
        "description": form["description"],
        "demand": form["demand"],
        "order_no": form["order"],
        "product": form["product"],
        "amount_claimed_cents": parse_amount("--amount", form["amount"]),
        "external_ref": external_ref,
        "received_at": _time(reg, "--received-at", form["received_at"], now),
        "ack": form["ack"],
    }


def _print_logged(reg: "Register", result, quiet: bool, ack: bool) -> None:
    """The new case's number and what is due next; a likely duplicate noted on stderr."""
    case = result.case
    if quiet:
        typer.echo(case.number)
    elif ack:
        typer.echo(_("Logged {number} (acknowledged); next: classify").format(number=case.number))
    else:
        typer.echo(
            _("Logged {number}; acknowledge by {time}").format(
                number=case.number, time=_local(reg, case.ack_due)
            )
        )
    if result.duplicates:
        typer.echo(
            _(
                "note: likely duplicate of {numbers} (an open case from the same contact, "
                "logged recently)"
            ).format(numbers=", ".join(result.duplicates)),
            err=True,
        )


# The fields every case needs, as log's options; but the time received (log takes now).
_LOG_REQUIRED = tuple(f.key for f in FIELDS if f.required and f.name != "received_at")


def _at_terminal() -> bool:
    """Prompts are for a person: both stdin and stdout are terminals (never a script's pipe)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(label: str, check: Any, default: str = "") -> Any:
    """Ask until `check` accepts the answer; a refusal is shown as the same one-line reason
    the option would get, and the question is asked again."""

    def value(text: str) -> Any:
        try:
            return check(text)
        except ComplaintError as exc:
            raise typer.BadParameter(one_line(exc.describe(option_name))) from None

    return typer.prompt(label, default=default, value_proc=value, show_default=bool(default))


def _chinese_name(kind: str, code: str) -> str:
    """A code's Chinese name from the catalog, whatever the language of this run."""
    import gettext

    from complaintctl.i18n import MO_FILE

    key = f"{kind}:{code}"
    try:
        with open(MO_FILE, "rb") as f:
            name = gettext.GNUTranslations(f).gettext(key)
    except OSError:
        return code
    return code if name == key else name


def _named_choice(kind: str, codes: tuple[str, ...]) -> tuple[str, Any, str]:
    """A guided question about a code: the choices shown by their names in this run's
    language (the codes themselves in English), the first as the default; a code, or a
    name in either language, is taken (stored as the code)."""
    from complaintctl import services
    from complaintctl.messages import join

    names = {}
    for code in codes:
        for name in (code, label(kind, code), _chinese_name(kind, code)):
            names.setdefault(name.casefold(), code)

    def check(text: str) -> str:
        code = names.get(text.strip().casefold())
        return code if code is not None else services._choice(kind, text, codes)

    shown = [label(kind, c) for c in codes]
    return join(shown), check, shown[0]


def _ask_log_form(reg: "Register", now, unset: list[str]) -> dict[str, Any]:
    """Guided `log`: the register form's fields not given on the command line, asked in
    turn, with the choices and defaults shown (Enter accepts the default, or skips an
    optional field).  Ctrl-C or end of input aborts before anything is written."""
    from complaintctl import services
    from complaintctl.errors import InvalidValue
    from complaintctl.fields import BY_NAME
    from complaintctl.parse import parse_amount, parse_field, parse_time

    def text(name: str) -> tuple[str, Any, str]:
        # The field table's prompt and limit, as services.log_complaint checks it again.
        return _(BY_NAME[name].prompt), lambda v: parse_field(name, v), ""

    def amount(v: str) -> str | None:
        parse_amount("--amount", v)
        return v.strip() or None

    def received(v: str) -> str:
        when = parse_time("--received-at", v, reg.settings.tz, now, reg.settings.date_order)
        if when > now + services.FUTURE_SLACK:
            raise InvalidValue(
                "--received-at", _("{time} is in the future").format(time=_local(reg, when))
            )
        return v

    channels, channel_check, channel_default = _named_choice("channel", reg.settings.channels)
    types, type_check, type_default = _named_choice(
        "customer_type", tuple(t.value for t in CustomerType)
    )
    questions = {
        "channel": (
            _("Channel ({choices})").format(choices=channels),
            channel_check,
            channel_default,
        ),
        "customer": text("customer_name"),
        "customer_type": (
            _("Customer type ({choices})").format(choices=types),
            type_check,
            type_default,
        ),
        "contact": text("contact"),
        "summary": text("summary"),
        "description": text("description"),
        "demand": text("demand"),
        "order": text("order_no"),
        "product": text("product"),
        "amount": (_(BY_NAME["amount_claimed"].prompt), amount, ""),
        "received_at": (_(BY_NAME["received_at"].prompt), received, "now"),
    }
    typer.echo(_("New complaint. Enter accepts the [default]; Ctrl-C cancels, nothing is saved."))
    try:
        answers = {
            name: _ask(label, check, default)
            for name, (label, check, default) in questions.items()
            if name in unset
        }
        if "ack" in unset:
            answers["ack"] = typer.confirm(_("Customer told the case number now?"), default=False)
    except typer.Abort:
        typer.echo("", err=True)  # end the question's line before "aborted"
        raise
    return answers


# -- the workflow -------------------------------------------------------------------------
@app.command("ack")
def ack_cli(
    ctx: typer.Context,
    case: CaseArg,
    at: AtOpt = None,
    note: Annotated[str | None, typer.Option(help=_("How the customer was told."))] = None,
) -> None:
    """Acknowledge: the customer has been told the case number."""
    reg, c = _move(ctx, "ack", case, at, note=note)
    _report(reg, c, _("acknowledged"))


@app.command("classify")
def classify_cli(
    ctx: typer.Context,
    case: CaseArg,
    category: Annotated[
        str | None,
        typer.Option(
            help=_("Category code from the config (default list: PQ SA TS DL BL FE SM OT).")
        ),
    ] = None,
    severity: Annotated[
        Severity | None,
        typer.Option(help=_("A serious (media, authorities), B watched, C ordinary.")),
    ] = None,
    kind: Annotated[Kind | None, typer.Option(help=_("general, claim or unjustified."))] = None,
    reject: Annotated[
        str | None,
        typer.Option(
            "--reject",
            metavar="REASON",
            help=_("Do not accept the complaint; ends the case."),
        ),
    ] = None,
    at: AtOpt = None,
) -> None:
    """Classify and accept a complaint (category, severity, kind), or reject it with a reason."""
    from complaintctl import services

    st = _state(ctx)
    reg, now = st.register(), _now()
    when = _time(reg, "--at", at, now)
    _check_grade(reject, category, severity, kind)
    if reject is not None:
        c = services.reject(reg, case, reason=reject, now=now, actor=st.actor, at=when)
        _report(reg, c, _("rejected"))
        return
    c = services.classify(
        reg,
        case,
        category=category,
        severity=severity.value,
        kind=kind.value,
        now=now,
        actor=st.actor,
        at=when,
    )
    _print_classified(reg, c)


def _check_grade(
    reject: str | None, category: str | None, severity: Severity | None, kind: Kind | None
) -> None:
    """classify takes --reject alone, or all of --category, --severity and --kind."""
    if reject is not None:
        if category or severity or kind:
            raise UsageError(_("--reject cannot be combined with --category/--severity/--kind"))
        return
    missing = [
        n
        for n, v in (
            ("--category", category),
            ("--severity", severity),
            ("--kind", kind),
        )
        if v is None
    ]
    if missing:
        raise UsageError(
            _("{options} required (or --reject REASON)").format(options=", ".join(missing))
        )


def _print_classified(reg: "Register", c) -> None:
    """The classified case's line; for severity A, the escalation and plan deadlines."""
    _report(
        reg,
        c,
        _("classified {category}/{severity}/{kind}").format(
            category=c.category, severity=c.severity, kind=label("kind", c.kind)
        ),
    )
    if c.escalate_due and not c.escalated_at:
        typer.echo(
            _("severity A: escalate by {escalate}, handling plan by {plan}").format(
                escalate=_local(reg, c.escalate_due), plan=_local(reg, c.plan_due)
            )
        )


@app.command("assign")
def assign_cli(
    ctx: typer.Context,
    case: CaseArg,
    department: Annotated[
        str,
        typer.Option(
            help=_("Department code from the config (default list: CS SALES TECH LOG QA).")
        ),
    ],
    owner: Annotated[str, typer.Option(help=_("The person responsible."))],
    at: AtOpt = None,
) -> None:
    """Assign (or re-assign) a responsible department and owner."""
    reg, c = _move(ctx, "assign", case, at, department=department, owner=owner)
    _report(
        reg,
        c,
        _("assigned to {owner} ({department})").format(owner=c.owner, department=c.department),
    )


@app.command("investigate")
def investigate_cli(
    ctx: typer.Context,
    case: CaseArg,
    findings: Annotated[str, typer.Option(help=_("What the investigation found."))],
    responsibility: Annotated[Responsibility, typer.Option(help=_("internal, external or mixed."))],
    cause: Annotated[str | None, typer.Option(help=_("Root cause."))] = None,
    proposal: Annotated[str | None, typer.Option(help=_("Proposed remedy."))] = None,
    at: AtOpt = None,
) -> None:
    """Record the investigation report (findings, root cause, responsibility, proposal)."""
    reg, c = _move(
        ctx,
        "investigate",
        case,
        at,
        findings=findings,
        cause=cause,
        responsibility=responsibility.value,
        proposal=proposal,
    )
    _report(reg, c, _("investigation report recorded"))


@app.command("resolve")
def resolve_cli(
    ctx: typer.Context,
    case: CaseArg,
    remedy: Annotated[Remedy, typer.Option(help=_("What was done for the customer."))],
    amount: Annotated[str | None, typer.Option(help=_("Amount refunded or paid, e.g. 99."))] = None,
    note: Annotated[str | None, typer.Option(help=_("How it was resolved."))] = None,
    told_at: Annotated[
        str | None,
        typer.Option(help=_("When the customer was told (default: --at or now).")),
    ] = None,
    at: AtOpt = None,
) -> None:
    """Resolve: the remedy was carried out and the customer told; feedback window opens."""
    from complaintctl import services
    from complaintctl.parse import parse_amount

    st = _state(ctx)
    reg, now = st.register(), _now()
    c = services.resolve(
        reg,
        case,
        remedy=remedy.value,
        amount_cents=parse_amount("--amount", amount),
        note=note,
        told_at=_time(reg, "--told-at", told_at, now),
        now=now,
        actor=st.actor,
        at=_time(reg, "--at", at, now),
    )
    _report(reg, c, _("resolved ({remedy})").format(remedy=label("remedy", c.remedy)))


@app.command("feedback")
def feedback_cli(
    ctx: typer.Context,
    case: CaseArg,
    score: Annotated[int, typer.Option(help=_("Satisfaction 1 (very dissatisfied) .. 5."))],
    comment: Annotated[str | None, typer.Option(help=_("What the customer said."))] = None,
    at: AtOpt = None,
) -> None:
    """Record the customer's score: satisfied closes the case, dissatisfied reopens it."""
    reg, c = _move(ctx, "record_feedback", case, at, score=score, comment=comment)
    verb = (
        _("customer satisfied, closed")
        if c.step == "closed"
        else _("customer dissatisfied, reopened to {owner}").format(owner=c.owner)
    )
    _report(reg, c, _("feedback {score}/5: {verb}").format(score=score, verb=verb))


@app.command("close")
def close_cli(
    ctx: typer.Context,
    case: CaseArg,
    reason: Annotated[
        str | None,
        typer.Option(help=_("Why; required while the feedback window is still open.")),
    ] = None,
    at: AtOpt = None,
) -> None:
    """Close a resolved case without feedback (the feedback window expired, or a reason)."""
    reg, c = _move(ctx, "close", case, at, reason=reason)
    _report(reg, c, _("closed"))


@app.command("reopen")
def reopen_cli(
    ctx: typer.Context,
    case: CaseArg,
    reason: Annotated[str, typer.Option(help=_("Why it is reopened."))],
    at: AtOpt = None,
) -> None:
    """Reopen a closed or rejected case: back to its owner with a fresh investigation clock."""
    reg, c = _move(ctx, "reopen", case, at, reason=reason)
    _report(reg, c, _("reopened"))


@app.command("hold")
def hold_cli(
    ctx: typer.Context,
    case: CaseArg,
    reason: Annotated[str, typer.Option(help=_("What the office is waiting for."))],
    until: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help=_("The day `warn` lists the case again (hold ended), e.g. 2025-11-03."),
        ),
    ] = None,
    at: AtOpt = None,
) -> None:
    """Pause the current step's clock while the office waits on the customer."""
    from complaintctl.parse import parse_date

    settings = _state(ctx).register().settings
    day = parse_date("--until", until, settings.date_order) if until else None
    reg, c = _move(ctx, "hold", case, at, reason=reason, until=day)
    _report(reg, c, _("on hold"))


@app.command("resume")
def resume_cli(ctx: typer.Context, case: CaseArg, at: AtOpt = None) -> None:
    """Restart a paused clock; the deadline moves by the working time spent on hold."""
    reg, c = _move(ctx, "resume", case, at)
    _report(reg, c, _("resumed"))


@app.command("escalate")
def escalate_cli(
    ctx: typer.Context,
    case: CaseArg,
    to: Annotated[str, typer.Option(help=_("Who it was reported to."))],
    note: Annotated[str | None, typer.Option(help=_("What was reported."))] = None,
    at: AtOpt = None,
) -> None:
    """Record that the case was escalated (severity A: within 1 hour)."""
    reg, c = _move(ctx, "escalate", case, at, to=to, note=note)
    _report(reg, c, _("escalated to {whom}").format(whom=c.escalated_to))


@app.command("plan")
def plan_cli(
    ctx: typer.Context,
    case: CaseArg,
    text: Annotated[str, typer.Argument(metavar="PLAN", help=_("The handling plan."))],
    at: AtOpt = None,
) -> None:
    """Record the handling plan (severity A: within 4 hours)."""
    reg, c = _move(ctx, "plan", case, at, text=text)
    _report(reg, c, _("handling plan recorded"))


@app.command("note")
def note_cli(
    ctx: typer.Context,
    case: CaseArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help=_("The note."))],
    at: AtOpt = None,
) -> None:
    """Add a note: a contact with the customer, or an internal remark."""
    reg, c = _move(ctx, "add_note", case, at, text=text)
    typer.echo(_("{number}: note added").format(number=c.number))


@app.command("attach")
def attach_cli(
    ctx: typer.Context,
    case: CaseArg,
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help=_("Files to keep."))],
) -> None:
    """Keep files as evidence with the case (stored in the database, with their sha256)."""
    from complaintctl import services

    st = _state(ctx)
    reg = st.register()
    for a in services.attach(reg, case, paths=files, now=_now(), actor=st.actor):
        typer.echo(
            _("{number}: attached #{id} {name} ({size} bytes, sha256 {sha256})").format(
                number=case.upper(), id=a.id, name=a.name, size=a.size, sha256=a.sha256
            )
        )


@app.command("fetch")
def fetch_cli(
    ctx: typer.Context,
    case: CaseArg,
    ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="[ID...]", help=_("Attachment ids (see show); default: all.")),
    ] = None,
    to: Annotated[Path, typer.Option(help=_("Directory to write them to."))] = Path("."),
    force: Annotated[bool, typer.Option(help=_("Overwrite existing files."))] = False,
) -> None:
    """Write a case's attachments back out to files."""
    from complaintctl import outputs, queries
    from complaintctl.errors import InvalidValue

    files = queries.attachment_files(_state(ctx).register(), case, ids)
    if not files:
        raise InvalidValue("CASE", _("case {number} has no attachments").format(number=case))
    outputs.make_folder(to, "--to")
    names = [Path(name).name for _, name, _ in files]
    # Two attachments with one name are both kept: each written as "ID-name".
    targets = [
        (to / (f"{att_id}-{name}" if names.count(name) > 1 else name), data)
        for (att_id, _, data), name in zip(files, names, strict=True)
    ]
    # All checked, then all written, then all put in place: owner only, never through a
    # link or out of --to, an existing file replaced only with --force.
    outputs.write_files(
        [(path, lambda out, data=data: out.write(data)) for path, data in targets],
        "--to",
        replace=force,
        within=to,
        binary=True,
    )
    for path, data in targets:
        typer.echo(_("wrote {path} ({size} bytes)").format(path=path, size=len(data)))


# -- reading --------------------------------------------------------------------------------
@app.command("show")
def show_cli(
    ctx: typer.Context,
    case: CaseArg,
    format: Annotated[
        Format, typer.Option("--format", "-f", help=_("table, json or csv."))
    ] = Format.table,
    localise: LocaliseOpt = False,
) -> None:
    """Everything about one case: fields, deadlines, attachments and history."""
    from complaintctl import queries

    detail = queries.case_detail(_state(ctx).register(), case, _now())
    from complaintctl import render  # Rich: only once there is something to show

    if localise and format is not Format.table:
        detail = render.localise(detail)
    if format is Format.json:
        typer.echo(render.to_json(detail))
    elif format is Format.csv:
        render.write_csv([detail], queries.CASE_FIELDS, sys.stdout)
    else:
        con = render.console()
        con.print(render.case_view(detail, con.width))


@app.command("list")
def list_cli(
    ctx: typer.Context,
    status: StatusOpt = Status.open,
    step: StepOpt = None,
    owner: OwnerOpt = None,
    department: DepartmentOpt = None,
    category: CategoryOpt = None,
    severity: SeverityOpt = None,
    overdue: OverdueOpt = False,
    from_: FromOpt = None,
    to: ToOpt = None,
    search: SearchOpt = None,
    due: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help=_(
                "Only cases whose next deadline falls by then: today (the end of the day), "
                "overdue, or a length such as 2wd, 4h; overdue cases included."
            ),
        ),
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help=_("Only the acting user's cases (as --owner)."))
    ] = False,
    on_hold: Annotated[
        bool, typer.Option("--on-hold", help=_("Only cases whose clock is on hold."))
    ] = False,
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="FIELD",
            help=_(
                "Order by due_at (the default), received_at, number, step, owner, "
                "department, category, severity or customer_name; -FIELD for descending."
            ),
        ),
    ] = None,
    page: Annotated[int, typer.Option(help=_("Page number."))] = 1,
    per_page: Annotated[int, typer.Option(help=_("Cases per page (at most 10,000)."))] = 50,
    format: Annotated[
        Format, typer.Option("--format", "-f", help=_("table, json or csv."))
    ] = Format.table,
    localise: LocaliseOpt = False,
    columns: Annotated[
        str | None,
        typer.Option(
            metavar="NAME,...",
            help=_(
                "The table's columns, in this order: field names of --format csv, e.g. "
                "number,step,owner,summary [default: the config's display.list_columns, "
                "else as many as the terminal's width holds]."
            ),
        ),
    ] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help=_("Every column, however narrow the terminal."))
    ] = False,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            metavar="FILE",
            help=_(
                "Write the page as an Excel workbook (the fields of --format csv, typed "
                "cells; needs openpyxl: pip install 'complaintctl[excel]')."
            ),
        ),
    ] = None,
) -> None:
    """List cases, next deadline first (or --sort), with filters; paged."""
    from complaintctl import queries, render

    chosen = render.list_columns(columns)
    if xlsx is not None:
        from complaintctl.cli.reports import check_xlsx

        check_xlsx(str(xlsx), "--xlsx", format is not Format.table, excel=False)

    st = _state(ctx)
    if mine and owner:
        raise UsageError(_("--mine and --owner are two owners: give one"))
    reg, now = st.register(), _now()
    f = list_filter(
        status, step, st.actor if mine else owner, department, category, severity, overdue,
        from_, to, search, reg.settings.date_order,
    )  # fmt: skip
    f.due_by = queries.due_by(reg, due, now) if due else None
    f.on_hold = on_hold
    rows, total = queries.list_cases(reg, f, now, page, per_page, sort)
    if localise and (format is not Format.table or xlsx is not None):
        rows = render.localise(rows)
    if xlsx is not None:
        _list_xlsx(reg, rows, xlsx, localise)
    elif format is Format.json:
        typer.echo(
            render.to_json({"total": total, "page": page, "per_page": per_page, "cases": rows})
        )
    elif format is Format.csv:
        render.write_csv(rows, queries.LIST_FIELDS, sys.stdout)
    else:
        con, chosen = render.console(), chosen or reg.settings.list_columns
        table = render.list_table(rows, total, page, per_page, con.width, chosen, wide)
        render.print_paged(table, con, wide=wide or bool(chosen))


def _list_xlsx(reg, rows: list[dict], target: Path, localise: bool) -> None:
    """list --xlsx: the page's rows as a workbook; how many on stderr."""
    from complaintctl import outputs, queries
    from complaintctl.cli.reports import write_xlsx

    count = outputs.write_file(
        target,
        lambda out: write_xlsx(out, reg, _("Cases"), rows, queries.LIST_FIELDS, localise),
        "--xlsx",
        binary=True,
    )
    typer.echo(
        _("wrote {count} case(s) to {path}").format(count=count, path=one_line(str(target))),
        err=True,
    )
