"""Read-only views of the register: plain rows (dicts) for the renderers.

Times in the rows are aware datetimes in the office's time zone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from complaintctl.clock import to_local
from complaintctl.db import unit_of_work
from complaintctl.errors import CaseNotFound, InvalidValue
from complaintctl.messages import _
from complaintctl.models import (
    CLOCKED_STEPS,
    ENDED_STEPS,
    Attachment,
    Case,
    Event,
    Step,
)
from complaintctl.parse import day_start, format_amount
from complaintctl.register import Register

# When each clocked step counts as done.
_DONE_AT = {
    Step.acknowledge: "acknowledged_at",
    Step.investigate: "investigated_at",
    Step.resolve: "resolved_at",
    Step.feedback: "feedback_at",
}
_DUE = {
    Step.acknowledge: "ack_due",
    Step.investigate: "investigate_due",
    Step.resolve: "resolve_due",
    Step.feedback: "feedback_due",
}
# The fields of a case row, in the order every format prints them (stable names).
CASE_FIELDS = (
    "number",
    "step",
    "on_hold",
    "hold_reason",
    "outcome",
    "received_at",
    "channel",
    "customer_name",
    "contact",
    "customer_type",
    "summary",
    "description",
    "demand",
    "order_no",
    "product",
    "amount_claimed",
    "external_ref",
    "category",
    "severity",
    "kind",
    "reject_reason",
    "department",
    "owner",
    "escalated_to",
    "escalated_at",
    "plan",
    "plan_at",
    "findings",
    "root_cause",
    "responsibility",
    "proposal",
    "remedy",
    "remedy_amount",
    "resolution_note",
    "customer_told_at",
    "feedback_score",
    "feedback_comment",
    "feedback_at",
    "closed_at",
    "close_reason",
    "reopen_count",
    "due_at",
    "overdue",
    "logged_at",
    "logged_by",
)
# `export`: every case field, then each step's time and each clock's deadline.
EXPORT_FIELDS = CASE_FIELDS + (
    "acknowledged_at",
    "classified_at",
    "assigned_at",
    "investigated_at",
    "resolved_at",
    "ack_due",
    "investigate_due",
    "resolve_due",
    "feedback_due",
    "escalate_due",
    "plan_due",
)
LIST_FIELDS = (
    "number",
    "step",
    "on_hold",
    "received_at",
    "channel",
    "customer_name",
    "summary",
    "category",
    "severity",
    "department",
    "owner",
    "due_at",
    "overdue",
)


def _local(reg: Register, t: dt.datetime | None) -> dt.datetime | None:
    return to_local(t, reg.settings.tz) if t else None


def case_row(
    reg: Register, case: Case, now: dt.datetime, fields: tuple[str, ...] = CASE_FIELDS
) -> dict:
    """Every field of a case as a plain row, times in the office zone."""
    row = {}
    for name in fields:
        if name in ("amount_claimed", "remedy_amount"):
            value = format_amount(getattr(case, f"{name}_cents"))
        elif name == "overdue":
            value = bool(case.due_at and case.due_at < now)
        else:
            value = getattr(case, name)
        row[name] = _local(reg, value) if isinstance(value, dt.datetime) else value
    return row


def deadlines(reg: Register, case: Case, now: dt.datetime) -> dict[str, dict]:
    """Each clocked step's deadline, when it was done, and whether that was on time."""
    out = {}
    current = Step(case.step)
    extra = {
        "escalate": ("escalate_due", "escalated_at"),
        "plan": ("plan_due", "plan_at"),
    }
    items = [(s.value, _DUE[s], _DONE_AT[s]) for s in CLOCKED_STEPS]
    items += [(k, due, done) for k, (due, done) in extra.items()]
    for name, due_col, done_col in items:
        due, done = getattr(case, due_col), getattr(case, done_col)
        if (
            name == Step.feedback.value
            and done
            and (not case.resolved_at or done < case.resolved_at)
        ):
            done = None  # the score kept from an earlier round does not answer this one
        if name in extra and due is None:
            continue  # severity-A clocks exist only for severity-A cases
        if due is None:
            status = "no clock" if done else "not started"
        elif done and (name in extra or current.value != name):
            status = "on time" if done <= due else "late"
        elif not case.is_open:
            expired = name == Step.feedback.value and case.closed_at and case.closed_at >= due
            status = "expired" if expired else "stopped"
        elif case.on_hold and current.value == name:
            status = "on hold"
        elif due < now:
            status = "expired" if name == Step.feedback.value else "overdue"
        else:
            status = "pending"
        out[name] = {
            "due": _local(reg, due),
            "done": _local(reg, done),
            "status": status,
        }
    return out


_TIME_FIELDS = frozenset(
    name for name, col in Case.__table__.c.items() if isinstance(col.type, sa.DateTime)
)


def _local_changes(reg: Register, changes: str | None) -> dict:
    """A history event's {field: [old, new]}, its times (stored as UTC) in the office zone."""
    out = json.loads(changes) if changes else {}
    for name, pair in out.items():
        if name in _TIME_FIELDS:
            out[name] = [_local(reg, dt.datetime.fromisoformat(v)) if v else v for v in pair]
    return out


def case_detail(reg: Register, number: str, now: dt.datetime) -> dict:
    """One case with its deadlines, attachments and full history."""
    with unit_of_work(reg.engine, write=False) as session:
        case = session.execute(
            sa.select(Case).where(Case.number == number.strip().upper())
        ).scalar_one_or_none()
        if case is None:
            raise CaseNotFound(number)
        atts = session.execute(
            sa.select(
                Attachment.id,
                Attachment.name,
                Attachment.size,
                Attachment.sha256,
                Attachment.added_at,
                Attachment.added_by,
            )
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.id)
        ).all()
        events = (
            session.execute(sa.select(Event).where(Event.case_id == case.id).order_by(Event.id))
            .scalars()
            .all()
        )
        detail = case_row(reg, case, now)
        detail["deadlines"] = deadlines(reg, case, now)
        detail["attachments"] = [
            {
                "id": a.id,
                "name": a.name,
                "size": a.size,
                "sha256": a.sha256,
                "added_at": _local(reg, a.added_at),
                "added_by": a.added_by,
            }
            for a in atts
        ]
        detail["history"] = [
            {
                "at": _local(reg, e.at),
                "recorded_at": _local(reg, e.recorded_at),
                "actor": e.actor,
                "action": e.action,
                "step_from": e.step_from,
                "step_to": e.step_to,
                "note": e.note,
                "changes": _local_changes(reg, e.changes),
            }
            for e in events
        ]
        return detail


SEARCH_LIMIT = 1_000  # longer than any one field a search could usefully match


@dataclass
class ListFilter:
    status: str = "open"  # open | ended | all
    step: str | None = None
    owner: str | None = None
    department: str | None = None
    category: str | None = None
    severity: str | None = None
    overdue: bool = False
    received_from: dt.date | None = None  # office-local day, included
    received_to: dt.date | None = None  # office-local day, included
    search: str | None = None


def _where(reg: Register, f: ListFilter, now: dt.datetime) -> list:
    c = Case.__table__.c
    conds = []
    ended = [s.value for s in ENDED_STEPS]
    if f.step:
        if f.step not in {s.value for s in Step}:
            raise InvalidValue(
                "step",
                _("unknown step {value}; allowed: {allowed}").format(
                    value=repr(f.step), allowed=", ".join(s.value for s in Step)
                ),
            )
        conds.append(c.step == f.step)
    elif f.status == "open":
        conds.append(c.step.notin_(ended))
    elif f.status == "ended":
        conds.append(c.step.in_(ended))
    elif f.status != "all":
        raise InvalidValue(
            "status",
            _("unknown status {value}; allowed: open, ended, all").format(value=repr(f.status)),
        )
    for col, value in (
        ("owner", f.owner),
        ("department", f.department),
        ("category", f.category),
        ("severity", f.severity),
    ):
        if value:
            conds.append(sa.func.lower(c[col]) == value.strip().lower())
    if f.overdue:
        conds.append(c.due_at < now)
    if f.received_from:
        conds.append(c.received_at >= day_start(f.received_from, reg.settings.tz))
    if f.received_to:
        next_day = f.received_to + dt.timedelta(days=1)
        conds.append(c.received_at < day_start(next_day, reg.settings.tz))
    if f.search:
        if len(f.search) > SEARCH_LIMIT:
            raise InvalidValue(
                "search",
                _("is {length} characters long; at most {limit}").format(
                    length=len(f.search), limit=SEARCH_LIMIT
                ),
            )
        escaped = f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped.lower()}%"
        conds.append(
            sa.or_(
                *[
                    sa.func.lower(c[col]).like(pattern, escape="\\")
                    for col in (
                        "number",
                        "summary",
                        "description",
                        "customer_name",
                        "contact",
                        "order_no",
                        "product",
                        "demand",
                        "external_ref",
                    )
                ]
            )
        )
    return conds


def list_cases(
    reg: Register, f: ListFilter, now: dt.datetime, page: int = 1, per_page: int = 50
) -> tuple[list[dict], int]:
    """Cases matching `f`, next deadline first (cases with none last); (rows, total)."""
    if not 1 <= page <= 10_000_000:
        raise InvalidValue("page", _("must be 1 or more (at most 10,000,000)"))
    if not 1 <= per_page <= 10_000:
        raise InvalidValue("per_page", _("must be 1 or more (at most 10,000)"))
    c = Case.__table__.c
    conds = _where(reg, f, now)
    with unit_of_work(reg.engine, write=False) as session:
        total = session.execute(
            sa.select(sa.func.count()).select_from(Case.__table__).where(*conds)
        ).scalar_one()
        rows = (
            session.execute(
                sa.select(*[c[n] for n in LIST_FIELDS if n != "overdue"])
                .where(*conds)
                .order_by(c.due_at.is_(None), c.due_at, c.received_at, c.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
            .mappings()
            .all()
        )
    out = []
    for r in rows:
        row = {n: r[n] for n in LIST_FIELDS if n != "overdue"}
        row["overdue"] = bool(r["due_at"] and r["due_at"] < now)
        for k in ("received_at", "due_at"):
            row[k] = _local(reg, row[k])
        out.append(row)
    return out, total


def attachment_files(
    reg: Register, number: str, ids: list[int] | None
) -> list[tuple[int, str, bytes]]:
    """The stored files of a case (all, or those with the given ids): (id, name, content)."""
    with unit_of_work(reg.engine, write=False) as session:
        case_id = session.execute(
            sa.select(Case.id).where(Case.number == number.strip().upper())
        ).scalar_one_or_none()
        if case_id is None:
            raise CaseNotFound(number)
        q = (
            sa.select(Attachment.id, Attachment.name, Attachment.content)
            .where(Attachment.case_id == case_id)
            .order_by(Attachment.id)
        )
        rows = session.execute(q).all()
    if ids:
        known = {r.id for r in rows}
        missing = [i for i in ids if i not in known]
        if missing:
            raise InvalidValue(
                "id",
                _("case {number} has no attachment {id}; it has: {ids}").format(
                    number=number,
                    id=missing[0],
                    ids=", ".join(str(i) for i in sorted(known)) or _("none"),
                ),
            )
        rows = [r for r in rows if r.id in ids]
    return [(r.id, r.name, r.content) for r in rows]


def export_rows(reg: Register, f: ListFilter, now: dt.datetime) -> Iterator[dict]:
    """Every matching case with all of EXPORT_FIELDS, oldest first, streamed in batches.
    The filter is checked here, before the first row is asked for."""
    conds = _where(reg, f, now)
    return _export_rows(reg, conds, now)


def _export_rows(reg: Register, conds: list, now: dt.datetime) -> Iterator[dict]:
    c = Case.__table__.c
    with unit_of_work(reg.engine, write=False) as session:
        result = session.execute(
            sa.select(Case)
            .where(*conds)
            .order_by(c.received_at, c.id)
            .execution_options(yield_per=1000)
        ).scalars()
        for case in result:
            yield case_row(reg, case, now, EXPORT_FIELDS)


# `export --events`: one row per history entry of the matching cases.
EVENT_FIELDS = (
    "number",
    "at",
    "recorded_at",
    "actor",
    "action",
    "step_from",
    "step_to",
    "note",
    "changes",
)


def export_events(
    reg: Register, f: ListFilter, now: dt.datetime, redact: bool = False
) -> Iterator[dict]:
    """Every history entry of every matching case (who did what, when), case by case in
    the order of `export_rows`, each case's entries in the order they were written."""
    conds = _where(reg, f, now)
    return _export_events(reg, conds, redact)


def _export_events(reg: Register, conds: list, redact: bool) -> Iterator[dict]:
    from complaintctl.privacy import redact_event

    c, e = Case.__table__.c, Event.__table__.c
    with unit_of_work(reg.engine, write=False) as session:
        result = session.execute(
            sa.select(
                c.number,
                e.at,
                e.recorded_at,
                e.actor,
                e.action,
                e.step_from,
                e.step_to,
                e.note,
                e.changes,
                c.customer_name,
                c.contact,
            )  # fmt: skip
            .join_from(Case.__table__, Event.__table__, e.case_id == c.id)
            .where(*conds)
            .order_by(c.received_at, c.id, e.id)
            .execution_options(yield_per=2000)
        )
        for r in result:
            row = {k: getattr(r, k) for k in EVENT_FIELDS}
            row["at"], row["recorded_at"] = _local(reg, r.at), _local(reg, r.recorded_at)
            changes = _local_changes(reg, r.changes)
            if redact:
                row, changes = redact_event(row, changes, (r.customer_name, r.contact))
            row["changes"] = (
                json.dumps(changes, ensure_ascii=False, default=_iso) if changes else None
            )
            yield row


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
