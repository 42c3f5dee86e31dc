"""The morning digest that `warn` prints and mails: what is overdue or due soon, and the
early-warning signals of DESIGN.md.  Read-only; plain rows; times in the office zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from complaintctl.clock import to_local
from complaintctl.config import Duration
from complaintctl.db import unit_of_work
from complaintctl.messages import N_, _
from complaintctl.models import ENDED_STEPS, OPEN_STEPS, Case, Severity, Step
from complaintctl.parse import day_start
from complaintctl.register import Register

_ENDED = [s.value for s in ENDED_STEPS]
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


def late_words(late: Lateness, tr: Callable[[str], str] = _) -> str:
    """`late` in words: '2 working days late', 'due in 30 min' (in this run's language;
    with tr=N_, in English, as the JSON and CSV values are)."""
    if late.unit == "wd":
        amount = tr(N_("{n} working day")) if late.amount == 1 else tr(N_("{n} working days"))
    elif late.unit == "wh":
        amount = tr(N_("{n} working h"))
    elif late.unit == "h":
        amount = tr(N_("{n} h"))
    else:
        amount = tr(N_("{n} min"))
    amount = amount.format(n=late.amount)
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


def _waiting_clock(c) -> str:
    """Which clock `due_at` belongs to: the step's, or a severity-A clock."""
    if c.escalate_due is not None and c.escalated_at is None and c.escalate_due == c.due_at:
        return "escalate"
    if c.plan_due is not None and c.plan_at is None and c.plan_due == c.due_at:
        return "plan"
    return c.step


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
    t = Case.__table__.c
    scope = _scope(t, owner, department)
    cols = _columns(t)

    with unit_of_work(reg.engine, write=False) as session:
        # One index range on due_at: every pending deadline up to the horizon, but an open
        # feedback window (the customer's clock, not staff's). Rows are read as they come.
        rows = session.execute(
            sa.select(*cols)
            .where(t.due_at.is_not(None), t.due_at <= horizon, sa.not_(_feedback_clock(t)), *scope)
            .order_by(t.due_at, t.number)
        )
        for r in rows:
            clock = _waiting_clock(r)
            late, hours = lateness(reg, r.due_at, now)
            digest.lateness[r.number] = late
            item = _item(reg, r, clock=clock, late=late_words(late, N_), hours_late=hours, by=by)
            (digest.overdue if r.due_at <= now else digest.due_soon).append(item)

        a_rows = session.execute(
            sa.select(*cols)
            .where(
                t.step.in_(_OPEN),  # the step index finds the open cases
                t.severity == Severity.A.value,
                *scope,
                sa.or_(
                    sa.and_(t.escalate_due <= now, t.escalated_at.is_(None)),
                    sa.and_(t.plan_due <= now, t.plan_at.is_(None)),
                ),
            )
            .order_by(t.escalate_due, t.number)
        )
        for r in a_rows:
            missing = tuple(
                w
                for w, due, done in (
                    (NOT_ESCALATED, r.escalate_due, r.escalated_at),
                    (NO_PLAN, r.plan_due, r.plan_at),
                )
                if due is not None and due <= now and done is None
            )
            digest.missing[r.number] = missing
            digest.severity_a.append(_item(reg, r, problem=", ".join(missing), by=by))

        for r in session.execute(
            sa.select(*cols)
            .where(
                t.step == Step.feedback.value, t.on_hold.is_(False), t.feedback_due <= now, *scope
            )
            .order_by(t.feedback_due, t.number)
        ):
            digest.ready_to_close.append(
                _item(reg, r, window_ended=to_local(r.feedback_due, s.tz), by=by)
            )

        digest.repeat_complainants = _repeats(reg, session, owner, department)
        digest.category_spikes = _spikes(reg, session, now)
    for rows_ in (digest.overdue, digest.due_soon):
        # Grouped by owner/department, the group with the most overdue case first.
        first: dict[str, dt.datetime] = {}
        for row in rows_:
            first.setdefault(row["group"], row["due_at"])
        rows_.sort(key=lambda row: (first[row["group"]], row["group"], row["due_at"]))
    return digest


def _feedback_clock(t) -> sa.ColumnElement[bool]:
    """SQL for `_waiting_clock(case) == "feedback"` (given a due_at): the customer's clock."""
    waiting = [
        sa.and_(due.is_not(None), done.is_(None), due == t.due_at)
        for due, done in ((t.escalate_due, t.escalated_at), (t.plan_due, t.plan_at))
    ]
    return sa.and_(t.step == Step.feedback.value, *(sa.not_(w) for w in waiting))


def most_overdue(reg: Register, now: dt.datetime, limit: int) -> tuple[list[dict], int]:
    """The `limit` most overdue cases (the items `warn` lists as overdue, most overdue
    first) and how many cases are overdue in all: two index reads, whatever the size."""
    t = Case.__table__.c
    late = [t.due_at.is_not(None), t.due_at <= now, sa.not_(_feedback_clock(t))]
    with unit_of_work(reg.engine, write=False) as session:
        count = session.execute(
            sa.select(sa.func.count()).select_from(Case.__table__).where(*late)
        ).scalar_one()
        rows = session.execute(
            sa.select(*_columns(t)).where(*late).order_by(t.due_at, t.number).limit(limit)
        ).all()
    items = []
    for r in rows:
        late_by, hours = lateness(reg, r.due_at, now)
        items.append(
            _item(
                reg,
                r,
                clock=_waiting_clock(r),
                late=late_words(late_by, N_),
                hours_late=hours,
                by="owner",
            )
        )
    return items, count


def _columns(t) -> list:
    """The columns an item of the digest is made from."""
    return [
        t.number,
        t.step,
        t.owner,
        t.department,
        t.severity,
        t.category,
        t.summary,
        t.customer_name,
        t.contact,
        t.due_at,
        t.escalate_due,
        t.escalated_at,
        t.plan_due,
        t.plan_at,
        t.feedback_due,
        t.received_at,
        t.on_hold,
    ]


def _item(reg: Register, r, by: str, **extra: object) -> dict:
    group = (r.owner if by == "owner" else r.department) or UNASSIGNED
    return {
        "group": group,
        "number": r.number,
        "step": r.step,
        "owner": r.owner,
        "department": r.department,
        "severity": r.severity,
        "category": r.category,
        "customer_name": r.customer_name,
        "summary": r.summary,
        "due_at": to_local(r.due_at, reg.settings.tz) if r.due_at else None,
        **extra,
    }


def _scope(cols, owner: str | None, department: str | None) -> list:
    """The --owner/--department filters on a cases table (or an alias of it)."""
    conds = []
    if owner:
        conds.append(sa.func.lower(cols.owner) == owner.strip().lower())
    if department:
        conds.append(sa.func.lower(cols.department) == department.strip().lower())
    return conds


# How many of a repeat complainant's earlier cases the digest names (the most recent ones);
# `earlier_count` says how many there are, `first_earlier` which came first.
EARLIER_SHOWN = 3


def _repeats(reg: Register, session, owner: str | None, department: str | None) -> list[dict]:
    """Open cases whose contact complained before, within the repeat window: per case the
    number of earlier cases in its window, the first of them and the most recent few.

    Counted per contact in one ordered pass (window functions over the cases of the
    contacts that have such an open case), never pair by pair: one contact with thousands
    of cases costs a sort of those cases, not the square of their number."""
    window = reg.settings.repeat_window
    micros = int(window.total_seconds() * 1_000_000)
    params: dict[str, object] = {"open": _OPEN}
    scope_c, scope_p = [], []
    for name, value in (("owner", owner), ("department", department)):
        if value:
            params[name] = value.strip().lower()
            scope_c.append(f"AND lower(c.{name}) = :{name}")
            scope_p.append(f"AND lower(p.{name}) = :{name}")
    if session.bind.dialect.name == "sqlite":
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
    WHERE c.step IN :open {" ".join(scope_c)}
      AND (SELECT e.received_at FROM cases e
           WHERE e.contact_key = c.contact_key AND e.received_at < c.received_at
           ORDER BY e.received_at DESC LIMIT 1) >= {since("c.received_at")}
    GROUP BY c.contact_key
), counted AS (
    -- Every case of those contacts from a window before the first such open case to the
    -- last: how many cases lie in each one's window before it (its own and any received
    -- at the same moment left out), and the first of them.
    SELECT p.id, p.number, p.contact, p.customer_name, p.owner, p.department,
           p.received_at, p.contact_key,
           CASE WHEN p.step IN :open {" ".join(scope_p)} THEN 1 ELSE 0 END AS candidate,
           count(*) OVER w
             - count(*) OVER (PARTITION BY p.contact_key, p.received_at) AS earlier_count,
           first_value(p.number) OVER w AS first_earlier,
           row_number() OVER (PARTITION BY p.contact_key, p.received_at ORDER BY p.id) AS tie
    FROM flagged f
    JOIN cases p ON p.contact_key = f.contact_key
      AND p.received_at >= {since("f.lo")} AND p.received_at <= f.hi
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
    stmt = sa.text(sql).bindparams(sa.bindparam("open", expanding=True))
    out = []
    for r in session.execute(stmt, params).mappings():
        shown = min(r["earlier_count"], EARLIER_SHOWN)
        latest = [r[f"earlier_{k}"] for k in range(shown)]
        out.append(
            {
                "number": r["number"],
                "contact": r["contact"],
                "customer_name": r["customer_name"],
                "owner": r["owner"],
                "department": r["department"],
                "received_at": to_local(_naive(r["received_at"]), reg.settings.tz),
                "earlier_count": r["earlier_count"],
                "first_earlier": r["first_earlier"],
                "earlier": latest[::-1],  # oldest first, as they happened
            }
        )
    return out


def _naive(t: dt.datetime | str) -> dt.datetime:
    """A time from a plain-SQL row (text on SQLite) as the naive UTC of the models."""
    return dt.datetime.fromisoformat(t) if isinstance(t, str) else t


def _spikes(reg: Register, session, now: dt.datetime) -> list[dict]:
    """Categories whose count this ISO week is at least `spike_factor` × their trailing
    mean over `spike_weeks` full weeks, and at least `spike_min_cases`."""
    s = reg.settings
    today = reg.calendar.local_date(now)
    monday = today - dt.timedelta(days=today.weekday())
    week_start = day_start(monday, s.tz)
    trail_start = day_start(monday - dt.timedelta(weeks=s.spike_weeks), s.tz)
    t = Case.__table__.c
    this_week = dict(
        session.execute(
            sa.select(t.category, sa.func.count())
            .where(t.received_at >= week_start, t.received_at <= now, t.category.is_not(None))
            .group_by(t.category)
        ).all()
    )
    before = dict(
        session.execute(
            sa.select(t.category, sa.func.count())
            .where(
                t.received_at >= trail_start, t.received_at < week_start, t.category.is_not(None)
            )
            .group_by(t.category)
        ).all()
    )
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
