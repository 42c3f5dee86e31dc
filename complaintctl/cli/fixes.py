"""The commands that fix mistakes, visibly: `edit` corrects a case's data, `undo` takes
back its last step, `merge` ends a complaint logged twice as part of its original.

Each writes one history entry saying what changed, who did it and why (`--reason`), and
keeps every earlier entry; each command parses its options and calls one service.
"""

from typing import Annotated

import typer

from complaintctl.cli.common import CaseArg, UsageError, _local, _now, _report, _state, option_name
from complaintctl.errors import CaseNotFound, InvalidValue
from complaintctl.i18n import _, label

# The commands join the root app as top-level commands (see complaintctl/cli/__init__.py).
app = typer.Typer()

ReasonOpt = Annotated[
    str | None, typer.Option(help=_("Why; kept in the history with the change. Required."))
]


def _opt(text: str):
    return Annotated[str | None, typer.Option(help=text)]


def _need_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise UsageError(_("--reason is required: say why, for the history"))
    return reason


@app.command("edit")
def edit_cli(
    ctx: typer.Context,
    case: CaseArg,
    customer: _opt(_("Customer name.")) = None,
    contact: _opt(_("Phone number or e-mail address (the contact key follows it).")) = None,
    customer_type: _opt(_("individual or enterprise.")) = None,
    channel: _opt(_("How it arrived (the config's channels).")) = None,
    summary: _opt(_("One line: what the complaint is about.")) = None,
    description: _opt(_("What happened, in full ('' empties it).")) = None,
    demand: _opt(_("What the customer asks for ('' empties it).")) = None,
    order: _opt(_("Order number ('' empties it).")) = None,
    product: _opt(_("Product or service concerned ('' empties it).")) = None,
    amount: _opt(_("Amount claimed, e.g. 120.50 ('' empties it).")) = None,
    external_ref: _opt(_("Reference in another system ('' empties it).")) = None,
    category: _opt(_("Category code from the config (a classified case).")) = None,
    severity: _opt(
        _(
            "A, B or C (a classified case). The clocks stay as they are: the severity-A "
            "escalation and plan clocks are not started or stopped (classify an open case "
            "again for that)."
        )
    ) = None,
    kind: _opt(_("general, claim or unjustified (a classified case).")) = None,
    department: _opt(_("Department code from the config (an assigned case).")) = None,
    owner: _opt(_("The person responsible (an assigned case).")) = None,
    findings: _opt(_("Investigation findings (an investigated case).")) = None,
    cause: _opt(_("Root cause (an investigated case).")) = None,
    responsibility: _opt(_("internal, external or mixed (an investigated case).")) = None,
    proposal: _opt(_("Proposed remedy (an investigated case).")) = None,
    remedy: _opt(_("The remedy carried out (a resolved case).")) = None,
    reason: ReasonOpt = None,
) -> None:
    """Correct a case's data (open or ended) without moving its step or clocks; the
    history keeps each old and new value, who and why."""
    from complaintctl import services
    from complaintctl.parse import parse_amount

    given = {
        "customer_name": customer,
        "contact": contact,
        "customer_type": customer_type,
        "channel": channel,
        "summary": summary,
        "description": description,
        "demand": demand,
        "order_no": order,
        "product": product,
        "external_ref": external_ref,
        "category": category,
        "severity": severity,
        "kind": kind,
        "department": department,
        "owner": owner,
        "findings": findings,
        "root_cause": cause,
        "responsibility": responsibility,
        "proposal": proposal,
        "remedy": remedy,
    }
    values: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    if amount is not None:
        values["amount_claimed_cents"] = parse_amount("--amount", amount)
    if not values:
        raise UsageError(_("give at least one field to correct, e.g. --contact 13800000000"))
    reason = _need_reason(reason)
    st = _state(ctx)
    reg = st.register()
    result = services.edit(reg, case, values=values, reason=reason, now=_now(), actor=st.actor)
    for name, (old, new) in result.changed.items():
        typer.echo(
            _("{number}: {field} {old} → {new}").format(
                number=result.case.number,
                field=option_name(name.removesuffix("_cents")),
                old=_shown(name, old),
                new=_shown(name, new),
            )
        )


def _shown(name: str, value: object) -> str:
    if value in (None, ""):
        return _("(empty)")
    if name.endswith("_cents") and isinstance(value, int):
        return f"{value / 100:.2f}"
    return repr(label(name, str(value)))


@app.command("undo")
def undo_cli(ctx: typer.Context, case: CaseArg, reason: ReasonOpt = None) -> None:
    """Take back the case's last step when nothing but notes came after it: its step,
    outcome and clocks return to what they were, reports count it as never taken, and
    the history keeps both entries. Config [undo] may limit it (same_actor, within)."""
    from complaintctl import services

    reason = _need_reason(reason)
    st = _state(ctx)
    reg = st.register()
    result = services.undo(reg, case, reason=reason, now=_now(), actor=st.actor)
    _report(
        reg,
        result.case,
        _("took back {action} of {time}").format(
            action=label("action", result.action), time=_local(reg, result.at)
        ),
    )


@app.command("merge")
def merge_cli(
    ctx: typer.Context,
    case: CaseArg,
    into: Annotated[
        str | None,
        typer.Option("--into", metavar="ORIGINAL", help=_("The case it duplicates. Required.")),
    ] = None,
    reason: ReasonOpt = None,
) -> None:
    """End a complaint logged twice as a duplicate of its original: outcome merged, not
    counted as a complaint of its own; the original's show lists it."""
    from complaintctl import queries, services

    if into is None or not into.strip():
        raise UsageError(_("--into is required: the case this one duplicates"))
    reason = _need_reason(reason)
    st = _state(ctx)
    reg, now = st.register(), _now()
    try:  # as CASE: 15 for this year's, the nearest numbers for one that does not exist
        into = queries.resolve_number(reg, into, now)
    except CaseNotFound as exc:
        raise InvalidValue("into", exc.message, **exc.values) from None
    c = services.merge(reg, case, into=into, reason=reason, now=now, actor=st.actor)
    _report(reg, c, _("merged into {original}").format(original=c.merged_into))
