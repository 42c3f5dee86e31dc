"""Read-only views of the register: plain rows (dicts) for the renderers.

Times in the rows are aware datetimes in the office's time zone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from complaintctl.clock import to_local
from complaintctl.config import LIST_COLUMNS
from complaintctl.contacts import contact_key, is_phone
from complaintctl.enums import CLOCKED_STEPS, ENDED_STEPS, Outcome, Step
from complaintctl.errors import CaseNotFound, InvalidValue, RegisterDamaged
from complaintctl.messages import N_, _
from complaintctl.parse import day_start, format_amount
from complaintctl.register import Register
from complaintctl.schema import TABLES, TIME

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
# `list`'s rows: its columns (config.LIST_COLUMNS), and whether the case is on hold and
# overdue (shown in the step and the deadline).
LIST_FIELDS = (*LIST_COLUMNS[:2], "on_hold", *LIST_COLUMNS[2:], "overdue")


def _local(reg: Register, t: dt.datetime | None) -> dt.datetime | None:
    return to_local(t, reg.settings.tz) if t else None


class CaseRow(dict):
    """A case as the storage layer reads it (column → value), its columns also readable
    as attributes, as on the model (`case.step`), for case_row() and deadlines()."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def is_open(self) -> bool:
        return self["step"] not in _ENDED


_ENDED = tuple(s.value for s in ENDED_STEPS)


def case_row(
    reg: Register, case: CaseRow, now: dt.datetime, fields: tuple[str, ...] = CASE_FIELDS
) -> dict:
    """Every field of a case as a plain row, times in the office zone (export asks this
    for every case: plain dict lookups, the zone looked up once)."""
    tz = reg.settings.tz
    row = {}
    for name in fields:
        if name in _AMOUNTS:
            value = format_amount(case[f"{name}_cents"])
        elif name == "overdue":
            due = case["due_at"]
            value = bool(due and due < now)
        else:
            value = case[name]
        row[name] = to_local(value, tz) if isinstance(value, dt.datetime) else value
    return row


_AMOUNTS = frozenset({"amount_claimed", "remedy_amount"})


def deadlines(reg: Register, case: Any, now: dt.datetime) -> dict[str, dict]:
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


_TIME_FIELDS = frozenset(name for name, kind in TABLES["cases"].items() if kind == TIME)


def _local_changes(reg: Register, changes: str | None) -> dict:
    """A history event's {field: [old, new]}, its times (stored as UTC) in the office zone."""
    out = json.loads(changes) if changes else {}
    for name, pair in out.items():
        if name in _TIME_FIELDS:
            out[name] = [_local(reg, dt.datetime.fromisoformat(v)) if v else v for v in pair]
    return out


OTHER_CASES = 10  # how many of the customer's other cases `show` names


def case_detail(reg: Register, number: str, now: dt.datetime) -> dict:
    """One case with its deadlines, attachments and full history."""
    store = reg.store
    with store.transaction(write=False):
        found = store.one(
            "SELECT * FROM cases WHERE number = :number", {"number": number.strip().upper()}
        )
        if found is None:
            raise CaseNotFound(number)
        case = CaseRow(found)
        atts = store.rows(
            "SELECT id, name, size, sha256, added_at, added_by FROM attachments "
            "WHERE case_id = :id ORDER BY id",
            {"id": case.id},
        )
        events = store.rows(
            "SELECT at, recorded_at, actor, action, step_from, step_to, note, changes "
            "FROM events WHERE case_id = :id ORDER BY id",
            {"id": case.id},
        )
        merged = store.rows(
            "SELECT number FROM cases WHERE merged_into = :number AND outcome = :merged "
            "ORDER BY id",
            {"number": case.number, "merged": Outcome.merged.value},
        )
        others = store.rows(
            "SELECT number, step, outcome, received_at, summary FROM cases "
            "WHERE contact_key = :key AND id <> :id ORDER BY received_at DESC, id DESC "
            f"LIMIT {OTHER_CASES + 1}",
            {"key": case.contact_key, "id": case.id},
        )
        other_count = (
            store.scalar(
                "SELECT count(*) FROM cases WHERE contact_key = :key AND id <> :id",
                {"key": case.contact_key, "id": case.id},
            )
            if len(others) > OTHER_CASES
            else len(others)
        )
    detail = case_row(reg, case, now)
    # The same customer's other cases (one key: complaintctl.contacts), latest first.
    detail["other_cases"] = [
        dict(o, received_at=_local(reg, o["received_at"])) for o in others[:OTHER_CASES]
    ]
    detail["other_cases_total"] = other_count
    # A duplicate merged into another case, and the duplicates merged into this one.
    merged_into = found["merged_into"] if found["outcome"] == Outcome.merged.value else None
    detail["merged_into"] = merged_into
    detail["merged_duplicates"] = [r["number"] for r in merged]
    detail["deadlines"] = deadlines(reg, case, now)
    detail["attachments"] = [dict(a, added_at=_local(reg, a["added_at"])) for a in atts]
    detail["history"] = [
        dict(
            e,
            at=_local(reg, e["at"]),
            recorded_at=_local(reg, e["recorded_at"]),
            changes=_local_changes(reg, e["changes"]),
        )
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
    due_by: dt.datetime | None = None  # the next deadline falls before this (overdue too)
    on_hold: bool = False


_SEARCHED = (
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


def _where(reg: Register, f: ListFilter, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    """The SQL condition on `cases` (columns unqualified) for a filter, and its parameters."""
    from complaintctl.roster import known_owner  # a name not on a [[staff]] roster: a typo

    known_owner(reg.settings, f.owner)
    conds: list[str] = []
    params: dict[str, Any] = {}
    if f.step:
        if f.step not in {s.value for s in Step}:
            raise InvalidValue(
                "step",
                N_("unknown step {value}; allowed: {allowed}"),
                value=repr(f.step),
                allowed=", ".join(s.value for s in Step),
            )
        conds.append("step = :step")
        params["step"] = f.step
    elif f.status in ("open", "ended"):
        conds.append(f"step {'NOT IN' if f.status == 'open' else 'IN'} ({_ENDED_SQL})")
    elif f.status != "all":
        raise InvalidValue(
            "status",
            N_("unknown status {value}; allowed: open, ended, all"),
            value=repr(f.status),
        )
    for col, value in (
        ("owner", f.owner),
        ("department", f.department),
        ("category", f.category),
        ("severity", f.severity),
    ):
        if value:
            conds.append(f"lower({col}) = :{col}")
            params[col] = value.strip().lower()
    if f.due_by is not None:
        conds.append("due_at < :due_by")
        params["due_by"] = f.due_by
    if f.on_hold:
        conds.append("on_hold = :on_hold")
        params["on_hold"] = True
    if f.overdue:
        conds.append("due_at < :now")
        params["now"] = now
    if f.received_from:
        conds.append("received_at >= :received_from")
        params["received_from"] = day_start(f.received_from, reg.settings.tz)
    if f.received_to:
        conds.append("received_at < :received_to")
        params["received_to"] = day_start(f.received_to + dt.timedelta(days=1), reg.settings.tz)
    if f.search:
        if len(f.search) > SEARCH_LIMIT:
            raise InvalidValue(
                "search",
                N_("is {length} characters long; at most {limit}"),
                length=len(f.search),
                limit=SEARCH_LIMIT,
            )
        escaped = f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["search"] = f"%{escaped.lower()}%"
        likes = " OR ".join(f"lower({col}) LIKE :search ESCAPE '\\'" for col in _SEARCHED)
        if is_phone(f.search):  # any way of writing the number finds it
            params["search_key"] = f"%{contact_key(f.search)}%"
            likes += " OR contact_key LIKE :search_key"
        conds.append(f"({likes})")
    return (" AND ".join(conds) or "1 = 1"), params


_ENDED_SQL = ", ".join(f"'{s}'" for s in _ENDED)


def resolve_number(reg: Register, text: str, now: dt.datetime) -> str:
    """The case a CASE argument names: as typed, or a bare sequence number (`15`) in this
    year's numbering (C2025-000015).  A case that does not exist is refused with the
    existing numbers nearest to it."""
    typed = text.strip()
    number = typed.upper()
    pattern, year = reg.settings.number_pattern, reg.calendar.local_date(now).year
    if number.isdigit() and len(number) <= 9:
        number = pattern.format(year=year, seq=int(number))
    store = reg.store
    with store.transaction(write=False):
        if _exists(store, number):
            return number
        # C2025-15 for C2025-000015: the year and the sequence, in the office's pattern
        found = re.search(r"(\d{4})\D*?(\d{1,9})$", number)
        if found and 1900 <= int(found[1]) <= 2999:
            year = int(found[1])
            number = pattern.format(year=year, seq=int(found[2]))
            if _exists(store, number):
                raise CaseNotFound(typed, (number,))
        before = store.rows(
            "SELECT number FROM cases WHERE number < :n ORDER BY number DESC LIMIT 2",
            {"n": number},
        )
        after = store.rows(
            "SELECT number FROM cases WHERE number > :n ORDER BY number LIMIT 2", {"n": number}
        )
    near = [r["number"] for r in reversed(before)] + [r["number"] for r in after]
    raise CaseNotFound(typed, tuple(near))


def _exists(store: Any, number: str) -> bool:
    return store.scalar("SELECT 1 FROM cases WHERE number = :n", {"n": number}) is not None


def due_by(reg: Register, when: str, now: dt.datetime) -> dt.datetime:
    """`list --due`: the time a case's next deadline must fall before.  `today` is the end
    of the office's day, `overdue` now, and a length (`2wd`, `4h`, `3d`) that long from
    now, counted as the clocks count it."""
    from complaintctl.config import ConfigError, parse_duration

    text = when.strip().lower()
    if text == "overdue":
        return now
    if text == "today":
        today = reg.calendar.local_date(now)
        return day_start(today + dt.timedelta(days=1), reg.settings.tz)
    try:
        span = parse_duration(text, "due")
    except ConfigError:
        span = None
    if span is None or not 0 < span.amount <= 3660:
        raise InvalidValue(
            "due",
            N_("{value} is not a time to be due by; use today, overdue or a length such as "
               "2wd, 4h, 3d"),
            value=repr(when),
        )  # fmt: skip
    return reg.calendar.add(now, span)


# `list --sort`: the orders a list can be put in (a field, - before it for descending).
SORTS = {
    "due_at": "due_at IS NULL, due_at",
    "received_at": "received_at",
    "number": "number",
    "step": "step",
    "owner": "owner IS NULL, owner",
    "department": "department IS NULL, department",
    "category": "category IS NULL, category",
    "severity": "severity IS NULL, severity",
    "customer_name": "customer_name",
}


def _order(sort: str | None) -> str:
    """The ORDER BY of a list: --sort's field (a - in front: the other way round), then the
    next deadline, received time and id, so that pages never overlap."""
    default = "due_at IS NULL, due_at, received_at, id"
    if not sort:
        return default
    name = sort.strip().lower()
    descending = name.startswith("-")
    name = name.lstrip("-")
    if name not in SORTS:
        raise InvalidValue(
            "sort",
            N_("unknown field {value}; allowed: {allowed} (a - in front for descending)"),
            value=repr(sort),
            allowed=", ".join(SORTS),
        )
    keys = SORTS[name].split(", ")
    if descending:
        keys = [k if k.endswith(" IS NULL") else f"{k} DESC" for k in keys]
    return ", ".join(keys) + ", " + default


def list_cases(
    reg: Register,
    f: ListFilter,
    now: dt.datetime,
    page: int = 1,
    per_page: int = 50,
    sort: str | None = None,
) -> tuple[list[dict], int]:
    """Cases matching `f`, next deadline first (cases with none last) or in the order of
    `sort` (a SORTS field, - in front for descending); (rows, total)."""
    if not 1 <= page <= 10_000_000:
        raise InvalidValue("page", N_("must be 1 or more (at most 10,000,000)"))
    if not 1 <= per_page <= 10_000:
        raise InvalidValue("per_page", N_("must be 1 or more (at most 10,000)"))
    where, params = _where(reg, f, now)
    order = _order(sort)
    columns = ", ".join(n for n in LIST_FIELDS if n != "overdue")
    store = reg.store
    with store.transaction(write=False):
        total = store.scalar(f"SELECT count(*) FROM cases WHERE {where}", params)
        rows = store.rows(
            f"SELECT {columns} FROM cases WHERE {where} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset",
            params | {"limit": per_page, "offset": (page - 1) * per_page},
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
    store = reg.store
    with store.transaction(write=False):
        case_id = store.scalar(
            "SELECT id FROM cases WHERE number = :number", {"number": number.strip().upper()}
        )
        if case_id is None:
            raise CaseNotFound(number)
        rows = store.rows(
            "SELECT id, name, content FROM attachments WHERE case_id = :id ORDER BY id",
            {"id": case_id},
        )
    if ids:
        known = {r["id"] for r in rows}
        missing = [i for i in ids if i not in known]
        if missing:
            raise InvalidValue(
                "id",
                N_("case {number} has no attachment {id}; it has: {ids}"),
                number=number,
                id=missing[0],
                ids=", ".join(str(i) for i in sorted(known)) or _("none"),
            )
        rows = [r for r in rows if r["id"] in ids]
    for r in rows:
        if not isinstance(r["content"], bytes | memoryview):
            raise RegisterDamaged(f"attachment {r['id']} holds {type(r['content']).__name__}")
    return [(r["id"], r["name"], bytes(r["content"])) for r in rows]


def export_rows(reg: Register, f: ListFilter, now: dt.datetime) -> Iterator[dict]:
    """Every matching case with all of EXPORT_FIELDS, oldest first, streamed in batches.
    The filter is checked here, before the first row is asked for."""
    conds = _where(reg, f, now)
    return _export_rows(reg, conds, now)


def _export_rows(reg: Register, where: tuple[str, dict], now: dt.datetime) -> Iterator[dict]:
    sql, params = where
    store = reg.store
    with store.transaction(write=False):
        for case in store.stream(
            f"SELECT * FROM cases WHERE {sql} ORDER BY received_at, id", params
        ):
            yield case_row(reg, CaseRow(case), now, EXPORT_FIELDS)


def export_rows_for(reg: Register, ids: list[int], now: dt.datetime) -> list[dict]:
    """The export_rows() rows of these cases, in this order."""
    store = reg.store
    with store.transaction(write=False):
        found = {
            r["id"]: r
            for r in store.rows(
                f"SELECT * FROM cases WHERE id IN ({', '.join(str(int(i)) for i in ids)})"
            )
        }
    return [case_row(reg, CaseRow(found[i]), now, EXPORT_FIELDS) for i in ids]


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


def _export_events(reg: Register, where: tuple[str, dict], redact: bool) -> Iterator[dict]:
    if redact:
        from complaintctl.privacy import redact_event
    sql, params = where
    store = reg.store
    with store.transaction(write=False):
        rows = store.stream(
            "SELECT c.number, e.at, e.recorded_at, e.actor, e.action, e.step_from, e.step_to, "
            "e.note, e.changes, c.customer_name, c.contact "
            "FROM events e JOIN cases c ON e.case_id = c.id "
            f"WHERE e.case_id IN (SELECT id FROM cases WHERE {sql}) "
            "ORDER BY c.received_at, c.id, e.id",
            params,
        )
        for r in rows:
            row = {k: r[k] for k in EVENT_FIELDS}
            row["at"], row["recorded_at"] = _local(reg, r["at"]), _local(reg, r["recorded_at"])
            changes = _local_changes(reg, r["changes"])
            if redact:
                row, changes = redact_event(row, changes, (r["customer_name"], r["contact"]))
            row["changes"] = (
                json.dumps(changes, ensure_ascii=False, default=_iso) if changes else None
            )
            yield row


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
