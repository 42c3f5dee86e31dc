"""One function per thing that happens to a case; each is one transaction.

Every function takes the open `Register`, the case number, `now` (the CLI reads the clock,
nobody else does), `actor` (who is doing it) and optionally `at` (when it really happened,
for work recorded after the fact).  It validates its input, moves the case through
`Case.apply()` and appends one history event, or changes nothing and raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from complaintctl.case import COLUMNS, CaseRecord
from complaintctl.clock import local_text
from complaintctl.contacts import contact_key
from complaintctl.enums import (
    Action,
    CustomerType,
    Kind,
    Outcome,
    Remedy,
    Responsibility,
    Severity,
    Step,
)
from complaintctl.errors import CaseChanged, CaseNotFound, InvalidTransition, InvalidValue
from complaintctl.history import SEALED, event_hash
from complaintctl.messages import N_, _, label
from complaintctl.parse import day_start
from complaintctl.parse import parse_field as _field
from complaintctl.parse import parse_text as _text
from complaintctl.register import Register
from complaintctl.schema import TIME_COLUMNS
from complaintctl.store import Storage

# How far in the future an --at may lie (clock skew between machines), nothing more.
FUTURE_SLACK = dt.timedelta(minutes=5)


# -- validation -------------------------------------------------------------------------
def _choice(
    field_name: str,
    value: str | None,
    allowed: tuple[str, ...] | list[str],
    required: bool = True,
) -> str | None:
    if value is None or str(value).strip() == "":
        if required:
            raise InvalidValue(
                field_name, N_("is required; allowed: {allowed}"), allowed=", ".join(allowed)
            )
        return None
    value = str(value).strip()
    # Codes are matched case-insensitively, but stored as the configuration spells them.
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise InvalidValue(
        field_name,
        N_("unknown value {value}; allowed: {allowed}"),
        value=repr(value),
        allowed=", ".join(allowed),
    )


def _values(enum: type) -> tuple[str, ...]:
    return tuple(e.value for e in enum)


def _when(
    reg: Register,
    case: Case | None,
    at: dt.datetime | None,
    now: dt.datetime,
    since_step: bool = True,
) -> dt.datetime:
    """When the action happened: `at` (checked) or now."""
    at = at or now
    if at > now + FUTURE_SLACK:
        raise InvalidValue("at", N_("{time} is in the future"), time=_local(reg, at))
    if case is not None:
        floor, what = (
            (
                case.step_started_at,
                _("step '{step}' began").format(step=label("step", case.step)),
            )
            if since_step
            else (case.received_at, _("the complaint was received"))
        )
        if case.on_hold and since_step and case.hold_started_at:
            floor, what = case.hold_started_at, _("the hold began")
        if at < floor:
            raise InvalidValue(
                "at",
                N_("{time} is before {what} ({floor})"),
                time=_local(reg, at),
                what=what,
                floor=_local(reg, floor),
            )
    return at


def _local(reg: Register, t: dt.datetime) -> str:
    return local_text(t, reg.settings.tz)


# -- the unit of work -------------------------------------------------------------------
# A case read, changed and written back through the thin storage layer (complaintctl.store):
# the same SQL on SQLite (the standard library's sqlite3) and PostgreSQL.
Case = CaseRecord
_EVENT_COLUMNS = (*SEALED, "hash")
_INSERT_EVENT = "INSERT INTO events ({}) VALUES ({})".format(
    ", ".join(_EVENT_COLUMNS), ", ".join(f":{c}" for c in _EVENT_COLUMNS)
)
_NEW_CASE_COLUMNS = tuple(c for c in COLUMNS if c != "id")
_INSERT_CASE = "INSERT INTO cases ({}) VALUES ({}) RETURNING id".format(
    ", ".join(_NEW_CASE_COLUMNS), ", ".join(f":{c}" for c in _NEW_CASE_COLUMNS)
)


def _snapshot(case: Case) -> dict:
    data = case.values()
    del data["version"], data["id"]
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in data.items()}


def _load(store: Storage, number: str) -> Case:
    row = store.one(
        "SELECT * FROM cases WHERE number = :number", {"number": number.strip().upper()}
    )
    if row is None:
        raise CaseNotFound(number)
    return Case(row)


def _write(store: Storage, case: Case, read: dict, claim: bool = True) -> None:
    """Write back the columns that changed since `read`, but only if the case is still the
    version this transaction read.

    On SQLite the write lock taken at BEGIN already keeps other writers out.  On PostgreSQL
    another process may have changed the case between our read and this write: its
    committed version no longer matches, the UPDATE touches no row, and the command is
    refused instead of overwriting that change (the row stays locked until we commit).
    Without `claim` (a case being made, in the transaction that inserted it) the version
    stays.
    """
    changed = {
        k: v for k, v in case.values().items() if k not in ("id", "version") and read[k] != v
    }
    bump = 1 if claim else 0
    sets = "".join(f"{name} = :{name}, " for name in changed)
    claimed = store.execute(
        f"UPDATE cases SET {sets}version = :read + {bump} WHERE id = :id AND version = :read",
        changed | {"id": case.id, "read": case.version},
    )
    if claimed != 1:
        raise CaseChanged(case.number)
    case.version += bump


def _event(
    store: Storage,
    case: Case,
    action: Action,
    at: dt.datetime,
    now: dt.datetime,
    actor: str,
    before: dict | None,
    step_from: str | None,
    note: str | None = None,
) -> None:
    after = _snapshot(case)
    changes = {
        k: [before.get(k) if before else None, v]
        for k, v in after.items()
        if (before.get(k) if before else None) != v
    }
    event = {
        "case_id": case.id,
        "action": action.value,
        "at": at,
        "recorded_at": now,
        "actor": actor,
        "step_from": step_from,
        "step_to": case.step,
        "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else None,
        "note": note,
    }
    prev = store.scalar(
        "SELECT hash FROM events WHERE case_id = :id ORDER BY id DESC LIMIT 1", {"id": case.id}
    )
    event["hash"] = event_hash(prev, event)
    store.execute(_INSERT_EVENT, event)


def _change(
    reg: Register,
    number: str,
    action: Action,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None,
    mutate: Callable[[Case, dt.datetime], None],
    note: str | None = None,
    since_step: bool = True,
) -> Case:
    """Load the case, check the action is allowed, apply it, and record it: one transaction."""
    with reg.store.transaction() as store:
        case = _load(store, number)
        case.check(action)
        when = _when(reg, case, at, now, since_step)
        read, before, step_from = case.values(), _snapshot(case), case.step
        mutate(case, when)
        _write(store, case, read)
        _event(store, case, action, when, now, actor, before, step_from, note)
        return case


def _apply(
    reg: Register,
    number: str,
    action: Action,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None,
    note: str | None = None,
    since_step: bool = True,
    **fields: object,
) -> Case:
    """`_change` for the common case: the action is one `Case.apply` with these fields."""
    return _change(
        reg,
        number,
        action,
        now,
        actor,
        at,
        lambda c, when: c.apply(action, when, reg.clock, **fields),
        note=note,
        since_step=since_step,
    )


# -- logging a complaint ----------------------------------------------------------------
@dataclass
class Logged:
    case: Case
    duplicates: list[str] = field(default_factory=list)


def reserve_numbers(store: Storage, pattern: str, year: int, count: int = 1) -> list[str]:
    """Hand out the next `count` numbers of the series; safe against concurrent writers
    because the counter row is updated inside the caller's write transaction (a row lock /
    SQLite's write lock), and the counter never goes back, so a number is never reused."""
    series = f"{pattern}|{year}" if "{year" in pattern else pattern
    store.execute(
        "INSERT INTO counters (series, value) VALUES (:series, 0) ON CONFLICT (series) DO NOTHING",
        {"series": series},
    )
    last = store.scalar(
        "UPDATE counters SET value = value + :count WHERE series = :series RETURNING value",
        {"series": series, "count": count},
    )
    return [pattern.format(year=year, seq=seq) for seq in range(last - count + 1, last + 1)]


def log_complaint(
    reg: Register,
    *,
    now: dt.datetime,
    actor: str,
    channel: str,
    customer_name: str,
    contact: str,
    summary: str,
    customer_type: str = CustomerType.individual.value,
    description: str | None = None,
    demand: str | None = None,
    order_no: str | None = None,
    product: str | None = None,
    amount_claimed_cents: int | None = None,
    external_ref: str | None = None,
    received_at: dt.datetime | None = None,
    ack: bool = False,
) -> Logged:
    """Register a complaint and give it a number; with `ack`, the customer was told it."""
    s = reg.settings
    values = dict(
        channel=_choice("channel", channel, s.channels),
        customer_name=_field("customer_name", customer_name),
        contact=_field("contact", contact),
        summary=_field("summary", summary),
        customer_type=_choice("customer_type", customer_type, _values(CustomerType)),
        description=_field("description", description),
        demand=_field("demand", demand),
        order_no=_field("order_no", order_no),
        product=_field("product", product),
        external_ref=_field("external_ref", external_ref),
        amount_claimed_cents=amount_claimed_cents,
    )
    received = received_at or now
    if received > now + FUTURE_SLACK:
        raise InvalidValue("received_at", N_("{time} is in the future"), time=_local(reg, received))
    key = contact_key(values["contact"])
    with reg.store.transaction() as store:
        since = now - reg.settings.duplicate_window
        dupes = [
            r["number"]
            for r in store.rows(
                "SELECT number FROM cases WHERE contact_key = :key AND logged_at >= :since "
                "AND step NOT IN (:closed, :rejected) ORDER BY id",
                {
                    "key": key,
                    "since": since,
                    "closed": Step.closed.value,
                    "rejected": Step.rejected.value,
                },
            )
        ]
        year = reg.calendar.local_date(received).year
        case = Case(
            dict.fromkeys(COLUMNS)
            | {"step": Step.acknowledge.value, "on_hold": False, "reopen_count": 0, "version": 1}
            | values
            | {
                "number": reserve_numbers(store, s.number_pattern, year)[0],
                "contact_key": key,
                "received_at": received,
                "logged_at": now,
                "logged_by": actor,
                "step_started_at": received,
            }
        )
        case.start(received, reg.clock)
        new = case.values()
        del new["id"]
        case.id = store.scalar(_INSERT_CASE, new)
        _event(store, case, Action.log, received, now, actor, None, None)
        if ack:
            read, before, step_from = case.values(), _snapshot(case), case.step
            case.apply(Action.ack, received, reg.clock)
            _write(store, case, read, claim=False)
            _event(
                store,
                case,
                Action.ack,
                received,
                now,
                actor,
                before,
                step_from,
                note="told on the spot",
            )
        return Logged(case, dupes)


# -- the workflow -----------------------------------------------------------------------
def ack(
    reg: Register,
    number: str,
    *,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
    note: str | None = None,
) -> Case:
    """The customer has been told the case number."""
    return _apply(reg, number, Action.ack, now, actor, at, note=_text("note", note))


def classify(
    reg: Register,
    number: str,
    *,
    category: str,
    severity: str,
    kind: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Accept the complaint with a category, severity and kind (again: re-classify)."""
    values = dict(
        category=_choice("category", category, reg.settings.category_codes),
        severity=_choice("severity", severity, _values(Severity)),
        kind=_choice("kind", kind, _values(Kind)),
    )
    return _apply(reg, number, Action.classify, now, actor, at, **values)


def reject(
    reg: Register,
    number: str,
    *,
    reason: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Not accepted: the case ends here, with the reason."""
    reason = _field("reject_reason", reason, required=True)
    return _apply(reg, number, Action.reject, now, actor, at, reject_reason=reason, note=reason)


def assign(
    reg: Register,
    number: str,
    *,
    department: str,
    owner: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Give the case a responsible department and owner (again: re-assign)."""
    from complaintctl.roster import known_owner  # with a [[staff]] roster: one of its names

    values = dict(
        department=_choice("department", department, reg.settings.department_codes),
        owner=known_owner(reg.settings, _field("owner", owner, required=True)),
    )
    return _apply(reg, number, Action.assign, now, actor, at, **values)


def investigate(
    reg: Register,
    number: str,
    *,
    findings: str,
    cause: str | None,
    responsibility: str,
    proposal: str | None,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """The investigation report: findings, root cause, responsibility, proposed remedy."""
    values = dict(
        findings=_field("findings", findings, required=True),
        root_cause=_field("root_cause", cause),
        responsibility=_choice("responsibility", responsibility, _values(Responsibility)),
        proposal=_field("proposal", proposal),
    )
    return _apply(reg, number, Action.investigate, now, actor, at, **values)


def resolve(
    reg: Register,
    number: str,
    *,
    remedy: str,
    amount_cents: int | None,
    note: str | None,
    told_at: dt.datetime | None,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """The remedy was carried out and the customer told; the feedback window opens."""
    values = dict(
        remedy=_choice("remedy", remedy, _values(Remedy)),
        remedy_amount_cents=amount_cents,
        resolution_note=_field("resolution_note", note),
    )

    def mutate(c: Case, when: dt.datetime) -> None:
        if told_at is not None and told_at > now + FUTURE_SLACK:
            raise InvalidValue("told_at", N_("{time} is in the future"), time=_local(reg, told_at))
        if told_at is not None and told_at < c.step_started_at:
            raise InvalidValue("told_at", N_("is before the investigation report"))
        c.apply(Action.resolve, when, reg.clock, customer_told_at=told_at or when, **values)

    return _change(reg, number, Action.resolve, now, actor, at, mutate)


def record_feedback(
    reg: Register,
    number: str,
    *,
    score: int,
    comment: str | None,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """The customer's score: satisfied closes the case, dissatisfied reopens it to its owner."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidValue(
            "score",
            N_("{score} is not allowed; use a whole number 1..5"),
            score=repr(score),
        )
    comment = _field("feedback_comment", comment)
    satisfied = score >= reg.settings.satisfied_min_score
    return _change(
        reg,
        number,
        Action.feedback,
        now,
        actor,
        at,
        lambda c, when: c.apply(
            Action.feedback,
            when,
            reg.clock,
            satisfied=satisfied,
            feedback_score=score,
            feedback_comment=comment,
        ),
        note=comment,
    )


def close(
    reg: Register,
    number: str,
    *,
    reason: str | None,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Close a case waiting for feedback: the window expired, or (with a reason) earlier."""
    reason = _field("close_reason", reason)

    def mutate(c: Case, when: dt.datetime) -> None:
        if reason is None and c.feedback_due and when < c.feedback_due:
            raise InvalidValue(
                "reason",
                N_(
                    "the feedback window of {number} is open until {time}; "
                    "give a reason to close it earlier"
                ),
                number=c.number,
                time=_local(reg, c.feedback_due),
            )
        c.apply(Action.close, when, reg.clock, close_reason=reason)

    return _change(reg, number, Action.close, now, actor, at, mutate, note=reason)


def reopen(
    reg: Register,
    number: str,
    *,
    reason: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Reopen an ended case: back to its owner's investigation (or to classification)."""
    reason = _text("reason", reason, required=True)
    return _apply(reg, number, Action.reopen, now, actor, at, note=reason)


def hold(
    reg: Register,
    number: str,
    *,
    reason: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
    until: dt.date | None = None,
) -> Case:
    """Pause the current step's clock while the office waits on the customer; `until`: the
    office day `warn` brings the case back (listed as "hold ended" until it is resumed)."""
    reason = _field("hold_reason", reason, required=True)
    fields: dict = {"hold_reason": reason}
    if until is not None:
        held_on = reg.calendar.local_date(at or now)
        if not held_on < until <= held_on + dt.timedelta(days=3660):
            raise InvalidValue(
                "until",
                N_("{day} is not a day after the hold began ({held}), within ten years"),
                day=until.isoformat(),
                held=held_on.isoformat(),
            )
        fields["hold_until"] = day_start(until, reg.settings.tz)
    return _apply(reg, number, Action.hold, now, actor, at, note=reason, **fields)


def resume(
    reg: Register,
    number: str,
    *,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Restart the paused clock; its deadline moves by the working time spent on hold."""

    return _change(
        reg,
        number,
        Action.resume,
        now,
        actor,
        at,
        lambda c, when: c.apply(Action.resume, when, reg.clock, shift=reg.shift),
    )


def escalate(
    reg: Register,
    number: str,
    *,
    to: str,
    note: str | None,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Report the case up (severity A: within 1 hour of grading)."""
    to = _field("escalated_to", to, required=True)
    note = _text("note", note)
    return _apply(
        reg, number, Action.escalate, now, actor, at, escalated_to=to, note=note, since_step=False
    )


def plan(
    reg: Register,
    number: str,
    *,
    text: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """Record the handling plan (severity A: within 4 hours of grading)."""
    text = _field("plan", text, required=True)
    return _apply(reg, number, Action.plan, now, actor, at, plan=text, note=text, since_step=False)


def add_note(
    reg: Register,
    number: str,
    *,
    text: str,
    now: dt.datetime,
    actor: str,
    at: dt.datetime | None = None,
) -> Case:
    """A contact with the customer or an internal remark, kept in the history."""
    text = _text("text", text, required=True)
    return _change(
        reg,
        number,
        Action.note,
        now,
        actor,
        at,
        lambda c, when: None,
        note=text,
        since_step=False,
    )


@dataclass(frozen=True)
class Attached:
    """A file kept with a case."""

    id: int
    name: str
    size: int
    sha256: str


def attach(
    reg: Register, number: str, *, paths: list[Path], now: dt.datetime, actor: str
) -> list[Attached]:
    """Store files as evidence with the case (all of them, or none if one is unusable)."""
    limit = reg.settings.max_attachment_bytes
    blobs = []
    for path in paths:
        if not path.is_file():
            raise InvalidValue("file", N_("{path} is not a readable file"), path=path)
        size = path.stat().st_size
        if size > limit:
            raise InvalidValue(
                "file",
                N_("{name} is {size} bytes; the limit is {limit} (attachments.max_bytes)"),
                name=path.name,
                size=size,
                limit=limit,
            )
        data = path.read_bytes()
        blobs.append((path.name, data))
    if not blobs:
        raise InvalidValue("file", N_("give at least one file"))
    with reg.store.transaction() as store:
        case = _load(store, number)
        case.check(Action.attach)
        read, before = case.values(), _snapshot(case)
        added = []
        for name, data in blobs:
            row = {
                "case_id": case.id,
                "name": name,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "content": data,
                "added_at": now,
                "added_by": actor,
            }
            new_id = store.scalar(
                "INSERT INTO attachments (case_id, name, size, sha256, content, added_at, "
                "added_by) VALUES (:case_id, :name, :size, :sha256, :content, :added_at, "
                ":added_by) RETURNING id",
                row,
            )
            added.append(Attached(new_id, name, row["size"], row["sha256"]))
        _write(store, case, read)
        _event(
            store,
            case,
            Action.attach,
            now,
            now,
            actor,
            before,
            case.step,
            note=", ".join(f"{a.name} ({a.size} bytes, sha256 {a.sha256[:12]})" for a in added),
        )
    return added


# -- fixing mistakes --------------------------------------------------------------------
# What `edit` corrects: each field checked as the command that first sets it checks it
# (log, classify, assign, investigate, resolve).  A field a step sets can be corrected
# once the case has that step's answer (the field named here holds a value): edit
# corrects, it does not take a step.
def _editors(reg: Register) -> dict[str, Callable[[object], object]]:
    from complaintctl.roster import known_owner  # with a [[staff]] roster: one of its names

    s = reg.settings
    return {
        "channel": lambda v: _choice("channel", v, s.channels),
        "customer_name": lambda v: _field("customer_name", v),
        "contact": lambda v: _field("contact", v),
        "customer_type": lambda v: _choice("customer_type", v, _values(CustomerType)),
        "summary": lambda v: _field("summary", v),
        "description": lambda v: _field("description", v),
        "demand": lambda v: _field("demand", v),
        "order_no": lambda v: _field("order_no", v),
        "product": lambda v: _field("product", v),
        "amount_claimed_cents": lambda v: v,  # parsed by the caller (parse.parse_amount)
        "external_ref": lambda v: _field("external_ref", v),
        "category": lambda v: _choice("category", v, s.category_codes),
        "severity": lambda v: _choice("severity", v, _values(Severity)),
        "kind": lambda v: _choice("kind", v, _values(Kind)),
        "department": lambda v: _choice("department", v, s.department_codes),
        "owner": lambda v: known_owner(s, _field("owner", v, required=True)),
        "findings": lambda v: _field("findings", v, required=True),
        "root_cause": lambda v: _field("root_cause", v),
        "responsibility": lambda v: _choice("responsibility", v, _values(Responsibility)),
        "proposal": lambda v: _field("proposal", v),
        "remedy": lambda v: _choice("remedy", v, _values(Remedy)),
    }


EDITABLE = (
    "channel",
    "customer_name",
    "contact",
    "customer_type",
    "summary",
    "description",
    "demand",
    "order_no",
    "product",
    "amount_claimed_cents",
    "external_ref",
    "category",
    "severity",
    "kind",
    "department",
    "owner",
    "findings",
    "root_cause",
    "responsibility",
    "proposal",
    "remedy",
)
# A step's own fields, and the field whose value shows the case has that step's answer.
_STEP_FIELDS = {
    "category": ("category", "classify"),
    "severity": ("category", "classify"),
    "kind": ("category", "classify"),
    "department": ("department", "assign"),
    "owner": ("department", "assign"),
    "findings": ("findings", "investigate"),
    "root_cause": ("findings", "investigate"),
    "responsibility": ("findings", "investigate"),
    "proposal": ("findings", "investigate"),
    "remedy": ("remedy", "resolve"),
}


@dataclass
class Edited:
    case: Case
    changed: dict[str, tuple[object, object]]  # field: (old, new)


def edit(
    reg: Register,
    number: str,
    *,
    values: dict[str, object],
    reason: str,
    now: dt.datetime,
    actor: str,
) -> Edited:
    """Correct data fields of a case, open or ended, with a reason; its step, times and
    clocks stay (a new severity does not start or stop the severity-A clocks: classify an
    open case again for that).  The history keeps each old and new value."""
    reason = _text("reason", reason, required=True)
    editors = _editors(reg)
    unknown = [name for name in values if name not in editors]
    if unknown:
        raise InvalidValue(
            unknown[0], N_("cannot be edited; allowed: {allowed}"), allowed=", ".join(EDITABLE)
        )
    if not values:
        raise InvalidValue(
            "field",
            N_("give at least one field to correct; allowed: {allowed}"),
            allowed=", ".join(EDITABLE),
        )
    checked = {name: editors[name](value) for name, value in values.items()}
    if "contact" in checked:
        checked["contact_key"] = contact_key(checked["contact"])
    with reg.store.transaction() as store:
        case = _load(store, number)
        for name in checked:
            holder, step = _STEP_FIELDS.get(name, (None, None))
            if holder is not None and getattr(case, holder) is None:
                raise InvalidTransition(
                    N_("case {number} has no {field} yet: {action} it first"),
                    number=case.number,
                    field=name,
                    action=label("action", step),
                )
        changed = {
            name: (getattr(case, name), value)
            for name, value in checked.items()
            if getattr(case, name) != value
        }
        changed.pop("contact_key", None)
        if not changed:
            raise InvalidValue(
                next(iter(values)),
                N_("nothing to change: case {number} already has these values"),
                number=case.number,
            )
        read, before = case.values(), _snapshot(case)
        for name, value in checked.items():
            setattr(case, name, value)
        _write(store, case, read)
        _event(store, case, Action.edit, now, now, actor, before, case.step, note=reason)
        return Edited(case, changed)


# Events that are not steps: undo neither takes them back nor stops at them (notes and
# files change nothing on the case), or refuses them (an edit is corrected by another).
_PASSIVE = (Action.note.value, Action.attach.value)
_NOT_UNDONE = {
    Action.log.value: N_("case {number} has no step to undo (only its logging)"),
    Action.import_.value: N_(
        "the last change to case {number} came from an import; undo takes back only steps"
    ),
    Action.edit.value: N_(
        "the last change to case {number} was an edit: edit the field back instead"
    ),
    Action.undo.value: N_("the last step of case {number} was already undone"),
    Action.purge.value: N_("case {number} was purged; a purge cannot be undone"),
}


@dataclass
class Undone:
    case: Case
    action: str  # the step taken back
    at: dt.datetime  # when that step was taken


def undo(
    reg: Register,
    number: str,
    *,
    reason: str,
    now: dt.datetime,
    actor: str,
) -> Undone:
    """Take back the case's last step (nothing but notes or files after it): every column
    it changed returns to what it was before, from what its history recorded.  The
    history keeps the step and this undo; reports count the case as if the step had not
    happened.  Config [undo]: same_actor (only who took the step), within (how soon)."""
    reason = _text("reason", reason, required=True)
    s = reg.settings
    with reg.store.transaction() as store:
        case = _load(store, number)
        last = store.one(
            "SELECT id, action, at, recorded_at, actor, step_from, step_to, changes "
            "FROM events WHERE case_id = :id AND action NOT IN (:note, :attach) "
            "ORDER BY id DESC LIMIT 1",
            {"id": case.id, "note": _PASSIVE[0], "attach": _PASSIVE[1]},
        )
        if last is None or last["action"] in _NOT_UNDONE:
            action = last["action"] if last else Action.log.value
            raise InvalidTransition(_NOT_UNDONE[action], number=case.number)
        if s.undo_same_actor and last["actor"] != actor:
            raise InvalidTransition(
                N_(
                    "only {actor} may undo their {action} of case {number} "
                    "(undo.same_actor in the config)"
                ),
                actor=last["actor"],
                action=label("action", last["action"]),
                number=case.number,
            )
        if s.undo_within is not None and now - last["recorded_at"] > s.undo_within:
            raise InvalidTransition(
                N_(
                    "the {action} of case {number} was recorded {time}, longer ago than "
                    "undo.within allows ({within}); correct it with a new step instead"
                ),
                action=label("action", last["action"]),
                number=case.number,
                time=_local(reg, last["recorded_at"]),
                within=_span_text(s.undo_within),
            )
        changes = json.loads(last["changes"]) if last["changes"] else {}
        current = _snapshot(case)
        if any(current.get(name) != new for name, (_old, new) in changes.items()):
            raise CaseChanged(case.number)  # changed behind the history's back
        read, before = case.values(), current
        for name, (old, _new) in changes.items():
            if old is not None and name in TIME_COLUMNS:
                old = dt.datetime.fromisoformat(old)
            setattr(case, name, old)
        _write(store, case, read)
        _event(store, case, Action.undo, now, now, actor, before, last["step_to"], note=reason)
        return Undone(case, last["action"], last["at"])


def _span_text(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g}d" if hours >= 24 and hours % 24 == 0 else f"{hours:g}h"


def merge(
    reg: Register,
    number: str,
    *,
    into: str,
    reason: str,
    now: dt.datetime,
    actor: str,
) -> Case:
    """End a duplicate (a complaint logged twice) as merged into its original: it is no
    complaint of its own in the reports, and the original's `show` lists it."""
    reason = _text("reason", reason, required=True)
    with reg.store.transaction() as store:
        case = _load(store, number)
        try:
            original = _load(store, into)
        except CaseNotFound:
            raise InvalidValue("into", N_("case {number} does not exist"), number=into) from None
        if original.id == case.id:
            raise InvalidValue("into", N_("a case cannot be merged into itself"))
        if original.outcome == Outcome.merged.value:
            raise InvalidValue(
                "into",
                N_("case {number} is itself merged into {original}; merge into that one"),
                number=original.number,
                original=original.merged_into,
            )
        if not case.is_open:
            raise InvalidTransition(
                N_(
                    "case {number} has ended ({outcome}); only an open case is merged "
                    "(undo or reopen it first)"
                ),
                number=case.number,
                outcome=label("outcome", case.outcome),
            )
        read, before, step_from = case.values(), _snapshot(case), case.step
        case.merged_into = original.number
        case.outcome = Outcome.merged.value
        case.closed_at = now
        case.step = Step.closed.value
        case.step_started_at = now
        case.step_due_at = None
        case.due_at = None
        case.on_hold = False
        case.hold_started_at = None
        _write(store, case, read)
        _event(store, case, Action.merge, now, now, actor, before, step_from, note=reason)
        return case
