"""The morning digest that `warn` prints and mails: what is overdue or due soon, and the
early-warning signals of DESIGN.md.  Read-only; plain rows; times in the office zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from complaintctl.clock import to_local
from complaintctl.config import Duration
from complaintctl.enums import OPEN_STEPS, Outcome, Severity, Step
from complaintctl.messages import N_, _
from complaintctl.parse import day_start
from complaintctl.register import Register

_OPEN = [s.value for s in OPEN_STEPS]
UNASSIGNED = N_("(unassigned)")
# What a severity-A case lacks (kept English in the data, like codes).
NOT_ESCALATED = N_("not escalated")
NO_PLAN = N_("no handling plan")
# Fields of a Digest that only the renderers read: digest_json leaves them out.
FOR_RENDERERS = {"json": False}


@dataclass(frozen=True)
class Lateness:
    """How late a deadline is, or how soon it falls due: `amount` of `unit` (wd working
    days, wh working hours, h calendar hours, min minutes)."""

    amount: int
    unit: str
    late: bool


def amount_words(amount: float, unit: str, tr: Callable[[str], str] = _) -> str:
    """A length in words, the same for a deadline, a lateness and the `warn` headings:
    '1 working day', '3 working h', '2 h', '30 min', '90 days' (`unit`: wd, wh, h, d, or
    min/m)."""
    n = int(amount) if amount == int(amount) else amount
    if unit == "wd":
        words = tr(N_("{n} working day")) if n == 1 else tr(N_("{n} working days"))
    elif unit == "wh":
        words = tr(N_("{n} working h"))
    elif unit == "h":
        words = tr(N_("{n} h"))
    elif unit == "d":
        words = tr(N_("{n} day")) if n == 1 else tr(N_("{n} days"))
    else:
        words = tr(N_("{n} min"))
    return words.format(n=n)


def late_words(late: Lateness, tr: Callable[[str], str] = _) -> str:
    """`late` in words: '2 working days late', 'due in 30 min' (in this run's language;
    with tr=N_, in English, as the JSON and CSV values are)."""
    amount = amount_words(late.amount, late.unit, tr)
    words = tr(N_("{amount} late")) if late.late else tr(N_("due in {amount}"))
    return words.format(amount=amount)


@dataclass
class Digest:
    at: dt.datetime  # office-local
    working_day: bool
    day_off_reason: str | None
    within: str
    horizon: dt.datetime  # office-local: "due soon" means due before this
    by: str
    overdue: list[dict] = field(default_factory=list)
    due_soon: list[dict] = field(default_factory=list)
    severity_a: list[dict] = field(default_factory=list)
    ready_to_close: list[dict] = field(default_factory=list)
    repeat_complainants: list[dict] = field(default_factory=list)
    category_spikes: list[dict] = field(default_factory=list)
    # Cases no deadline speaks for: waiting at classify or assign (steps without a clock)
    # longer than [warn] waiting, and cases whose clock is on hold, longest first.
    waiting: list[dict] = field(default_factory=list)
    hold_ended: list[dict] = field(default_factory=list)  # held until a day that has come
    on_hold: list[dict] = field(default_factory=list)
    # How long each of those has waited or been held, for the renderers' words.
    waited: dict[str, Lateness] = field(default_factory=dict, metadata=FOR_RENDERERS)
    # The parts of the words above, by case number, for the renderers to say them in the
    # reader's language (the items' own values stay English): how late, what is missing.
    lateness: dict[str, Lateness] = field(default_factory=dict, metadata=FOR_RENDERERS)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict, metadata=FOR_RENDERERS)
    # The settings' Chinese names of categories and departments (code → name_zh).
    category_names_zh: dict[str, str] = field(default_factory=dict, metadata=FOR_RENDERERS)
    department_names_zh: dict[str, str] = field(default_factory=dict, metadata=FOR_RENDERERS)

    @property
    def has_overdue(self) -> bool:
        return bool(self.overdue)


def _waiting_clock(c: dict[str, Any]) -> str:
    """Which clock `due_at` belongs to: the step's, or a severity-A clock."""
    due = c["due_at"]
    if c["escalate_due"] is not None and c["escalated_at"] is None and c["escalate_due"] == due:
        return "escalate"
    if c["plan_due"] is not None and c["plan_at"] is None and c["plan_due"] == due:
        return "plan"
    return c["step"]


def lateness(reg: Register, due: dt.datetime, now: dt.datetime) -> tuple[Lateness, float]:
    """How late (or how soon): whole working days of office time when at least one, else
    working hours, else (a night, a weekend) calendar hours or minutes; and the signed
    calendar hours (positive = late) for sorting and machines."""
    hours = (now - due).total_seconds() / 3600
    cal = reg.calendar
    a, b = sorted((due, now))
    day = dt.datetime.combine(dt.date(2000, 1, 1), cal.closing) - dt.datetime.combine(
        dt.date(2000, 1, 1), cal.opening
    )
    office = cal.working_seconds_between(a, b)
    days = int(office // day.total_seconds())
    if days >= 1 and due > now:
        # Not more working days than the clocks count (a 1wd clock ends at closing time on
        # the next working day): "due within 1 working day" holds nothing "due in 2".
        days = min(days, _working_days_after(cal, cal.local_date(now), cal.local_date(due)))
    if days >= 1:
        amount, unit = float(days), "wd"
    elif office >= 3600:
        amount, unit = office / 3600, "wh"
    elif abs(hours) >= 1:
        amount, unit = abs(hours), "h"
    else:
        amount, unit = abs(hours) * 60, "min"
    # Rounded as "%.0f" rounds (half to even), as the words always were.
    return Lateness(int(f"{amount:.0f}"), unit, late=hours >= 0), round(hours, 2)


def _working_days_after(cal: Any, first: dt.date, last: dt.date) -> int:
    """How many working days follow `first`, up to and including `last`."""
    days, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        days += cal.is_working_day(day)
    return days


def build_digest(
    reg: Register,
    now: dt.datetime,
    within: Duration | None = None,
    by: str = "owner",
    owner: str | None = None,
    department: str | None = None,
) -> Digest:
    """Everything `warn` reports, evaluated as of `now` (naive UTC)."""
    s, cal = reg.settings, reg.calendar
    within = within or s.warn_within
    horizon = cal.add(now, within)
    today = cal.local_date(now)
    reason = cal.holiday_name(today)
    digest = Digest(
        at=to_local(now, s.tz),
        working_day=reason is None,
        day_off_reason=reason,
        within=str(within),
        horizon=to_local(horizon, s.tz),
        by=by,
        category_names_zh={c.code: c.name_zh for c in s.categories if c.name_zh},
        department_names_zh={d.code: d.name_zh for d in s.departments if d.name_zh},
    )
    from complaintctl.roster import known_owner  # a name not on a [[staff]] roster: a typo

    known_owner(s, owner)
    scope, params = _scope("", owner, department)
    params |= {"now": now, "horizon": horizon, "feedback": Step.feedback.value}
    params |= {"severity_a": Severity.A.value, **_open_params()}
    store = reg.store

    with store.transaction(write=False):
        # One index range on due_at: every pending deadline up to the horizon, but an open
        # feedback window (the customer's clock, not staff's). Rows are read as they come.
        rows = store.stream(
            f"SELECT {COLUMNS} FROM cases"
            f" WHERE due_at IS NOT NULL AND due_at <= :horizon AND NOT {FEEDBACK_CLOCK}{scope}"
            " ORDER BY due_at, number",
            params,
        )
        for r in rows:
            clock = _waiting_clock(r)
            late, hours = lateness(reg, r["due_at"], now)
            digest.lateness[r["number"]] = late
            item = _item(reg, r, clock=clock, late=late_words(late, N_), hours_late=hours, by=by)
            (digest.overdue if r["due_at"] <= now else digest.due_soon).append(item)

        a_rows = store.stream(
            f"SELECT {COLUMNS} FROM cases"
            f" WHERE step IN ({OPEN_IN})"  # the step index finds the open cases
            f" AND severity = :severity_a{scope}"
            " AND (escalate_due <= :now AND escalated_at IS NULL"
            " OR plan_due <= :now AND plan_at IS NULL)"
            " ORDER BY escalate_due, number",
            params,
        )
        for r in a_rows:
            missing = tuple(
                w
                for w, due, done in (
                    (NOT_ESCALATED, r["escalate_due"], r["escalated_at"]),
                    (NO_PLAN, r["plan_due"], r["plan_at"]),
                )
                if due is not None and due <= now and done is None
            )
            digest.missing[r["number"]] = missing
            digest.severity_a.append(_item(reg, r, problem=", ".join(missing), by=by))

        for r in store.stream(
            f"SELECT {COLUMNS} FROM cases"
            " WHERE step = :feedback AND on_hold = :no AND feedback_due <= :now"
            f"{scope} ORDER BY feedback_due, number",
            params | {"no": False},
        ):
            digest.ready_to_close.append(
                _item(reg, r, window_ended=to_local(r["feedback_due"], s.tz), by=by)
            )

        digest.waiting = _waiting(reg, now, scope, params, by, digest.waited)
        held = _held(reg, now, scope, params, by, digest.waited)
        digest.hold_ended = [i for i in held if i["until"] and i["until"] <= digest.at]
        digest.on_hold = [i for i in held if not (i["until"] and i["until"] <= digest.at)]
        digest.repeat_complainants = _repeats(reg, owner, department)
        digest.category_spikes = _spikes(reg, now)
    for rows_ in (digest.overdue, digest.due_soon):
        # Grouped by owner/department, the group with the most overdue case first.
        first: dict[str, dt.datetime] = {}
        for row in rows_:
            first.setdefault(row["group"], row["due_at"])
        rows_.sort(key=lambda row: (first[row["group"]], row["group"], row["due_at"]))
    return digest


def _waiting(
    reg: Register, now: dt.datetime, scope: str, params: dict, by: str, waited: dict
) -> list[dict]:
    """Open cases at classify or assign (no clock runs there) since longer than the
    [warn] waiting setting, the longest waiting first."""
    span = reg.settings.warn_waiting
    if span.unit == "wd":  # n working days are at least n - 1 calendar days
        cutoff = now - dt.timedelta(days=max(0, int(span.amount) - 1))
    elif span.unit == "wh":
        cutoff = now
    else:
        cutoff = now - span.timedelta
    deadline = reg.calendar.deadline_function(span)
    items = []
    for r in reg.store.stream(
        f"SELECT {COLUMNS}, step_started_at FROM cases"
        " WHERE step IN (:classify, :assign) AND on_hold = :no"
        f" AND step_started_at <= :cutoff{scope} ORDER BY step_started_at, number",
        params
        | {"classify": Step.classify.value, "assign": Step.assign.value, "no": False}
        | {"cutoff": cutoff},
    ):
        if deadline(r["step_started_at"]) > now:
            continue
        length, _hours = lateness(reg, r["step_started_at"], now)
        waited[r["number"]] = length
        items.append(
            _item(
                reg,
                r,
                by=by,
                since=to_local(r["step_started_at"], reg.settings.tz),
                waiting=amount_words(length.amount, length.unit, N_),
            )
        )
    return items


def _held(
    reg: Register, now: dt.datetime, scope: str, params: dict, by: str, waited: dict
) -> list[dict]:
    """Open cases whose clock is on hold, the longest held first, with how long and why."""
    items = []
    for r in reg.store.stream(
        f"SELECT {COLUMNS}, hold_started_at, hold_reason, hold_until FROM cases"
        f" WHERE on_hold = :yes AND step IN ({OPEN_IN}){scope}"
        " ORDER BY hold_started_at, number",
        params | {"yes": True},
    ):
        started = r["hold_started_at"] or now
        length, _hours = lateness(reg, started, now)
        waited[r["number"]] = length
        items.append(
            _item(
                reg,
                r,
                by=by,
                since=to_local(started, reg.settings.tz),
                held=amount_words(length.amount, length.unit, N_),
                hold_reason=r["hold_reason"],
                until=to_local(r["hold_until"], reg.settings.tz) if r["hold_until"] else None,
            )
        )
    return items


# The columns an item of the digest is made from.
COLUMNS = (
    "number, step, owner, department, severity, category, summary, customer_name, contact,"
    " due_at, escalate_due, escalated_at, plan_due, plan_at, feedback_due, received_at, on_hold"
)
# SQL for `_waiting_clock(case) == "feedback"` (given a due_at): the customer's clock; with
# the parameter `feedback`.
FEEDBACK_CLOCK = (
    "(step = :feedback"
    " AND NOT (escalate_due IS NOT NULL AND escalated_at IS NULL AND escalate_due = due_at)"
    " AND NOT (plan_due IS NOT NULL AND plan_at IS NULL AND plan_due = due_at))"
)
# `step IN (…)` the open steps, as parameters open0, open1… (from _open_params()).
OPEN_IN = ", ".join(f":open{i}" for i in range(len(_OPEN)))


def _open_params() -> dict[str, str]:
    return {f"open{i}": step for i, step in enumerate(_OPEN)}


def most_overdue(reg: Register, now: dt.datetime, limit: int) -> tuple[list[dict], int]:
    """The `limit` most overdue cases (the items `warn` lists as overdue, most overdue
    first) and how many cases are overdue in all: two index reads, whatever the size."""
    late = f"due_at IS NOT NULL AND due_at <= :now AND NOT {FEEDBACK_CLOCK}"
    params = {"now": now, "feedback": Step.feedback.value, "limit": limit}
    store = reg.store
    with store.transaction(write=False):
        count = store.scalar(f"SELECT count(*) FROM cases WHERE {late}", params)
        rows = store.rows(
            f"SELECT {COLUMNS} FROM cases WHERE {late} ORDER BY due_at, number LIMIT :limit",
            params,
        )
    items = []
    for r in rows:
        late_by, hours = lateness(reg, r["due_at"], now)
        items.append(
            _item(
                reg,
                r,
                clock=_waiting_clock(r),
                late=late_words(late_by, N_),
                lateness=late_by,  # for words in the reader's language (the HTML report)
                hours_late=hours,
                by="owner",
            )
        )
    return items, count


def _item(reg: Register, r: dict[str, Any], by: str, **extra: object) -> dict:
    group = (r["owner"] if by == "owner" else r["department"]) or UNASSIGNED
    return {
        "group": group,
        "number": r["number"],
        "step": r["step"],
        "owner": r["owner"],
        "department": r["department"],
        "severity": r["severity"],
        "category": r["category"],
        "customer_name": r["customer_name"],
        "summary": r["summary"],
        "due_at": to_local(r["due_at"], reg.settings.tz) if r["due_at"] else None,
        **extra,
    }


def _scope(alias: str, owner: str | None, department: str | None) -> tuple[str, dict]:
    """The --owner/--department filters on the cases table (or on `alias.`): SQL to append
    to a WHERE (empty, or starting with ' AND'), and its parameters."""
    sql, params = "", {}
    for name, value in (("owner", owner), ("department", department)):
        if value:
            sql += f" AND lower({alias}{name}) = :{name}"
            params[name] = value.strip().lower()
    return sql, params


# How many of a repeat complainant's earlier cases the digest names (the most recent ones);
# `earlier_count` says how many there are, `first_earlier` which came first.
EARLIER_SHOWN = 3


def _repeats(reg: Register, owner: str | None, department: str | None) -> list[dict]:
    """Open cases whose contact complained before, within the repeat window: per case the
    number of earlier cases in its window, the first of them and the most recent few.

    Counted per contact in one ordered pass (window functions over the cases of the
    contacts that have such an open case), never pair by pair: one contact with thousands
    of cases costs a sort of those cases, not the square of their number."""
    window = reg.settings.repeat_window
    micros = int(window.total_seconds() * 1_000_000)
    scope_c, params = _scope("c.", owner, department)
    scope_p = _scope("p.", owner, department)[0]
    params |= _open_params() | {"merged": Outcome.merged.value}
    store = reg.store
    # -- The one place the SQL differs by database: time arithmetic. --------------------
    if store.dialect == "sqlite":
        seconds = micros // 1_000_000

        def since(col: str) -> str:  # to the second: a bound, the frame below is exact
            return f"datetime({col}, '-{seconds + 1} seconds')"

        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC: whole microseconds since 1970.
        key = (
            "(CAST(strftime('%s', p.received_at) AS INTEGER) * 1000000"
            " + CAST(substr(p.received_at, 21, 6) AS INTEGER))"
        )
        frame = f"{micros} PRECEDING"
    else:

        def since(col: str) -> str:
            return f"{col} - interval '{micros} microseconds'"

        key = "p.received_at"
        frame = f"interval '{micros} microseconds' PRECEDING"
    # -----------------------------------------------------------------------------------
    latest = ", ".join(
        f"lag(number, CAST(tie + {k} AS INTEGER)) OVER o AS earlier_{k}"
        for k in range(EARLIER_SHOWN)
    )
    sql = f"""
WITH flagged AS (
    -- The contacts with an open case that has an earlier one in its window, and the
    -- span of those open cases (the `step IN` lets the step index find open cases). The
    -- latest earlier case is one backward step on the (contact_key, received_at) index;
    -- EXISTS would let PostgreSQL hash-join every open case to every case of its contact.
    SELECT c.contact_key, min(c.received_at) AS lo, max(c.received_at) AS hi
    FROM cases c
    WHERE c.step IN ({OPEN_IN}){scope_c}
      AND (SELECT e.received_at FROM cases e
           WHERE e.contact_key = c.contact_key AND e.received_at < c.received_at
             AND COALESCE(e.outcome, '') <> :merged
           ORDER BY e.received_at DESC LIMIT 1) >= {since("c.received_at")}
    GROUP BY c.contact_key
), counted AS (
    -- Every case of those contacts from a window before the first such open case to the
    -- last: how many cases lie in each one's window before it (its own and any received
    -- at the same moment left out), and the first of them.
    SELECT p.id, p.number, p.contact, p.customer_name, p.owner, p.department,
           p.received_at, p.contact_key,
           CASE WHEN p.step IN ({OPEN_IN}){scope_p} THEN 1 ELSE 0 END AS candidate,
           count(*) OVER w
             - count(*) OVER (PARTITION BY p.contact_key, p.received_at) AS earlier_count,
           first_value(p.number) OVER w AS first_earlier,
           row_number() OVER (PARTITION BY p.contact_key, p.received_at ORDER BY p.id) AS tie
    FROM flagged f
    JOIN cases p ON p.contact_key = f.contact_key
      AND p.received_at >= {since("f.lo")} AND p.received_at <= f.hi
      -- a duplicate merged into its original is not a complaint of its own
      AND COALESCE(p.outcome, '') <> :merged
    WINDOW w AS (PARTITION BY p.contact_key ORDER BY {key}
                 RANGE BETWEEN {frame} AND CURRENT ROW)
), recent AS (
    -- The most recent earlier cases: the ones just before this case's moment.
    SELECT counted.*,
           {latest}
    FROM counted
    WINDOW o AS (PARTITION BY contact_key ORDER BY received_at, id)
)
SELECT * FROM recent
WHERE candidate = 1 AND earlier_count > 0
ORDER BY received_at, number
"""
    out = []
    for r in store.stream(sql, params):
        shown = min(r["earlier_count"], EARLIER_SHOWN)
        latest = [r[f"earlier_{k}"] for k in range(shown)]
        out.append(
            {
                "number": r["number"],
                "contact": r["contact"],
                "customer_name": r["customer_name"],
                "owner": r["owner"],
                "department": r["department"],
                "received_at": to_local(r["received_at"], reg.settings.tz),
                "earlier_count": r["earlier_count"],
                "first_earlier": r["first_earlier"],
                "earlier": latest[::-1],  # oldest first, as they happened
            }
        )
    return out


def _spikes(reg: Register, now: dt.datetime) -> list[dict]:
    """Categories whose count this ISO week is at least `spike_factor` × their trailing
    mean over `spike_weeks` full weeks, and at least `spike_min_cases`."""
    s = reg.settings
    today = reg.calendar.local_date(now)
    monday = today - dt.timedelta(days=today.weekday())
    params = {
        "now": now,
        "week_start": day_start(monday, s.tz),
        "trail_start": day_start(monday - dt.timedelta(weeks=s.spike_weeks), s.tz),
    }
    per_category = (
        "SELECT category, count(*) AS n FROM cases WHERE {span} AND category IS NOT NULL"
        " GROUP BY category"
    )
    store = reg.store
    this_week = {
        r["category"]: r["n"]
        for r in store.stream(
            per_category.format(span="received_at >= :week_start AND received_at <= :now"),
            params,
        )
    }
    before = {
        r["category"]: r["n"]
        for r in store.stream(
            per_category.format(span="received_at >= :trail_start AND received_at < :week_start"),
            params,
        )
    }
    out = []
    for category, count in sorted(this_week.items()):
        mean = before.get(category, 0) / s.spike_weeks
        if count >= s.spike_min_cases and count >= s.spike_factor * mean:
            out.append(
                {
                    "category": category,
                    "this_week": count,
                    "trailing_mean": round(mean, 2),
                    "weeks": s.spike_weeks,
                    "week": f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
                }
            )
    return out
