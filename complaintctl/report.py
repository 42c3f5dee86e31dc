"""The monthly report (《投诉处理月报》): figures for a period and the one before it,
aggregated in SQL; plain rows for the renderers.

Cohorts (also in the README): figures about *arrivals* count the cases received in the
period; figures about *outcomes* count the cases whose step was done in the period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from complaintctl.db import unit_of_work
from complaintctl.errors import InvalidValue
from complaintctl.i18n import N_, _
from complaintctl.models import Case, Event, Step
from complaintctl.parse import day_start
from complaintctl.register import Register

BREAKDOWNS = ("category", "channel", "severity", "department", "owner", "kind")
ALL = "(all)"
NONE = N_("(none)")

# key, label, unit: the figures in the order every format prints them.  The label stays
# English in the CSV and JSON; people read label("figure", key) (i18n.CODE_NAMES).
FIGURES = (
    ("received", "Received", "cases"),
    ("accepted", "Accepted", "cases"),
    ("rejected", "Rejected", "cases"),
    ("closed", "Closed", "cases"),
    ("open_at_end", "Open at period end", "cases"),
    ("ontime_acknowledge", "On time: acknowledge", "%"),
    ("ontime_investigate", "On time: investigate", "%"),
    ("ontime_resolve", "On time: resolve", "%"),
    ("ontime_escalate", "On time: escalate (A)", "%"),
    ("ontime_plan", "On time: plan (A)", "%"),
    ("resolved", "Resolved", "cases"),
    ("mean_days_to_resolve", "Mean working days to resolution", "working days"),
    ("median_days_to_resolve", "Median working days to resolution", "working days"),
    ("resolution_rate", "Resolution rate", "%"),
    ("feedback", "Feedback received", "cases"),
    ("mean_score", "Mean satisfaction score", "score 1-5"),
    ("satisfied_share", "Satisfied", "%"),
    ("feedback_response_rate", "Feedback response rate", "%"),
    ("reopened", "Reopened", "cases"),
    ("repeat_complainants", "Repeat complainants", "cases"),
)
_ON_TIME = {
    "ontime_acknowledge": ("acknowledged_at", "ack_due"),
    "ontime_investigate": ("investigated_at", "investigate_due"),
    "ontime_resolve": ("resolved_at", "resolve_due"),
    "ontime_escalate": ("escalated_at", "escalate_due"),
    "ontime_plan": ("plan_at", "plan_due"),
}


# -- periods ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """Local calendar days [start, end): `end` is the day after the last one."""

    kind: str  # month | quarter | year | range
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{(self.end - dt.timedelta(1)).isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        from dateutil.relativedelta import relativedelta

        step = {
            "month": relativedelta(months=1),
            "quarter": relativedelta(months=3),
            "year": relativedelta(years=1),
        }.get(self.kind)
        if step is None:
            length = self.end - self.start
            return Period(self.kind, self.start - length, self.start)
        return Period(self.kind, self.start - step, self.start)


def _parse_period(
    today: dt.date,
    month: str | None = None,
    quarter: str | None = None,
    year: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """The period asked for; none asked for = the last full month before `today`."""
    from dateutil.relativedelta import relativedelta

    given = [x for x in (month, quarter, year) if x] + (["range"] if start or end else [])
    if len(given) > 1:
        raise InvalidValue("--month", _("give one of --month, --quarter, --year or --from/--to"))
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InvalidValue(
                "--month", _("{value} is not a month like 2025-10").format(value=repr(month))
            )
        first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        return Period("month", first, first + relativedelta(months=1))
    if quarter:
        m = re.fullmatch(r"(\d{4})-?Q([1-4])", quarter.strip().upper())
        if not m:
            raise InvalidValue(
                "--quarter", _("{value} is not a quarter like 2025Q3").format(value=repr(quarter))
            )
        first = dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return Period("quarter", first, first + relativedelta(months=3))
    if year:
        if not re.fullmatch(r"\d{4}", year.strip()):
            raise InvalidValue(
                "--year", _("{value} is not a year like 2025").format(value=repr(year))
            )
        first = dt.date(int(year), 1, 1)
        return Period("year", first, dt.date(int(year) + 1, 1, 1))
    if start or end:
        if not (start and end):
            raise InvalidValue("--from", _("--from and --to go together"))
        if end < start:
            raise InvalidValue(
                "--to", _("{end} is before --from {start}").format(end=end, start=start)
            )
        return Period("range", start, end + dt.timedelta(1))
    first = today.replace(day=1) - relativedelta(months=1)
    return Period("month", first, today.replace(day=1))


def parse_period(
    today: dt.date,
    month: str | None = None,
    quarter: str | None = None,
    year: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """The period asked for; none asked for = the last full month before `today`.
    Like every date complaintctl reads, it lies in the years FIRST_YEAR..LAST_YEAR."""
    from complaintctl.parse import FIRST_YEAR, LAST_YEAR

    option = "--month" if month else "--quarter" if quarter else "--year" if year else "--from"
    try:
        period = _parse_period(today, month, quarter, year, start, end)
        period.previous()
        period.end + dt.timedelta(1)
    except (ValueError, OverflowError):
        raise InvalidValue(option, _("is outside the calendar this report can cover")) from None
    if period.start.year < FIRST_YEAR or (period.end - dt.timedelta(1)).year > LAST_YEAR:
        raise InvalidValue(
            option,
            _("is outside the years {first}-{last}").format(first=FIRST_YEAR, last=LAST_YEAR),
        )
    return period


# -- the figures ------------------------------------------------------------------------
@dataclass
class Report:
    period: Period
    previous: Period
    by: str | None
    rows: list[dict] = field(default_factory=list)  # group, figure, label, unit, value, ...
    chart_unit: str = "day"
    chart: list[tuple[str, int]] = field(default_factory=list)
    # The settings' Chinese names of the --by groups, when they are categories or
    # departments (code → name_zh): what people read in Chinese.
    group_names_zh: dict[str, str] = field(default_factory=dict)


def _pct(num: int, den: int) -> float | None:
    return round(100 * num / den, 1) if den else None


def _count(expr) -> sa.ColumnElement:
    return sa.func.sum(sa.case((expr, 1), else_=0))


class _Figures:
    """Runs the aggregation queries for one period, optionally grouped by one column."""

    def __init__(self, reg: Register, session, by: str | None, days: sa.Table | None) -> None:
        self.reg, self.session, self.days = reg, session, days
        self.t = Case.__table__.c
        self.group = (sa.func.coalesce(self.t[by], NONE) if by else sa.literal(ALL)).label("g")

    def _rows(self, *cols, where) -> list:
        return self.session.execute(
            sa.select(self.group, *cols).where(*where).group_by(self.group)
        ).all()

    def compute(self, period: Period) -> dict[str, dict[str, float | int | None]]:
        tz = self.reg.settings.tz
        s, e = day_start(period.start, tz), day_start(period.end, tz)
        t = self.t
        out: dict[str, dict] = {}

        def put(group: str, key: str, value) -> None:
            out.setdefault(group, {})[key] = value

        rejected_step = Step.rejected.value
        rejected = t.step == rejected_step
        accepted = sa.and_(t.classified_at.is_not(None), ~rejected)
        for g, received, acc, rej, res in self._rows(
            sa.func.count(),
            _count(accepted),
            _count(rejected),
            _count(sa.and_(accepted, t.resolved_at.is_not(None))),
            where=[t.received_at >= s, t.received_at < e],
        ):
            put(g, "received", received)
            put(g, "accepted", acc)
            put(g, "rejected", rej)
            put(g, "resolution_rate", _pct(res, acc))
        # Only ended cases have a closing time, so "not rejected" is "closed" here; written
        # so, the closed_at index serves it (step = 'closed' drew the step index instead).
        for g, n in self._rows(
            sa.func.count(), where=[t.closed_at >= s, t.closed_at < e, t.step != rejected_step]
        ):
            put(g, "closed", n)
        # The figures no index can serve (open at period end; most done-at columns; the
        # feedback given) in one pass over the table instead of one full scan each.
        open_at_end = sa.and_(t.received_at < e, sa.or_(t.closed_at.is_(None), t.closed_at >= e))
        conds, cols = [open_at_end], [_count(open_at_end)]
        for done, due in _ON_TIME.values():
            cond = sa.and_(t[done] >= s, t[done] < e, t[due].is_not(None))
            conds.append(cond)
            cols += [_count(cond), _count(sa.and_(cond, t[done] <= t[due]))]
        min_score = self.reg.settings.satisfied_min_score
        scored = sa.and_(t.feedback_at >= s, t.feedback_at < e, t.feedback_score.is_not(None))
        conds.append(scored)
        cols += [
            _count(scored),
            sa.func.sum(sa.case((scored, t.feedback_score), else_=0)),
            _count(sa.and_(scored, t.feedback_score >= min_score)),
        ]
        for g, still_open, *counts in self._rows(*cols, where=[sa.or_(*conds)]):
            if still_open:
                put(g, "open_at_end", still_open)
            for i, key in enumerate(_ON_TIME):
                n, ok = counts[2 * i], counts[2 * i + 1]
                if n:
                    put(g, key, _pct(ok, n))
            n, total, happy = counts[-3:]
            if n:
                put(g, "feedback", n)
                put(g, "mean_score", round(total / n, 2))
                put(g, "satisfied_share", _pct(happy, n))
        for g, n, answered in self._rows(
            sa.func.count(),
            _count(sa.and_(t.feedback_at.is_not(None), t.feedback_at >= t.resolved_at)),
            where=[t.resolved_at >= s, t.resolved_at < e],
        ):
            put(g, "resolved", n)
            put(g, "feedback_response_rate", _pct(answered, n))
        self._reopened(s, e, put)
        self._repeats(s, e, put)
        self._days_to_resolve(s, e, put)
        return out

    def _reopened(self, s, e, put) -> None:
        ev = Event.__table__.c
        reopen = sa.or_(
            ev.action == "reopen",
            sa.and_(ev.action == "feedback", ev.step_to == Step.investigate.value),
        )
        rows = self.session.execute(
            sa.select(self.group, sa.func.count(sa.distinct(ev.case_id)))
            .select_from(Event.__table__.join(Case.__table__, ev.case_id == self.t.id))
            .where(ev.at >= s, ev.at < e, reopen)
            .group_by(self.group)
        ).all()
        for g, n in rows:
            put(g, "reopened", n)

    def _repeats(self, s, e, put) -> None:
        """Cases received in the period whose contact complained before within the window."""
        t = self.t
        p = Case.__table__.alias("p")
        window = int(self.reg.settings.repeat_window.total_seconds())
        if self.session.bind.dialect.name == "sqlite":
            since = sa.func.datetime(t.received_at, f"-{window} seconds")
        else:
            since = t.received_at - sa.text(f"interval '{window} seconds'")
        # "The contact's latest earlier case lies within the window", as one backward step
        # on the (contact_key, received_at) index per case. Not EXISTS: PostgreSQL turns
        # that into a hash semi-join that, when thousands of cases share a contact, tests
        # every case of the period against every case of the contact.
        latest = (
            sa.select(p.c.received_at)
            .where(p.c.contact_key == t.contact_key, p.c.received_at < t.received_at)
            .order_by(p.c.received_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        for g, n in self._rows(
            sa.func.count(), where=[t.received_at >= s, t.received_at < e, latest >= since]
        ):
            put(g, "repeat_complainants", n)

    def _days_to_resolve(self, s, e, put) -> None:
        """Mean and median working days from receipt to resolution, for cases resolved in
        the period: working days after the day of receipt up to the day of resolution."""
        t = self.t
        if self.days is None:
            return  # nothing was resolved in either period
        days = self.days

        def day_index(time: sa.ColumnElement) -> sa.ScalarSelect:
            # The day a time falls on: the last one starting at or before it (days are
            # contiguous), one step on the table's key per case. A join on the range
            # (day_start <= time < day_end) made PostgreSQL test every case against
            # every day: minutes for a report when the days span years.
            return (
                sa.select(days.c.idx)
                .where(days.c.day_start <= time)
                .order_by(days.c.day_start.desc())
                .limit(1)
                .scalar_subquery()
            )

        gap = (day_index(t.resolved_at) - day_index(t.received_at)).label("gap")
        hist = self.session.execute(
            sa.select(self.group, gap, sa.func.count())
            .where(t.resolved_at >= s, t.resolved_at < e)
            .group_by(self.group, gap)
        ).all()
        by_group: dict[str, dict[int, int]] = {}
        for g, d, n in hist:
            by_group.setdefault(g, {})[d] = by_group.get(g, {}).get(d, 0) + n
        for g, counts in by_group.items():
            n = sum(counts.values())
            put(g, "mean_days_to_resolve", round(sum(d * c for d, c in counts.items()) / n, 2))
            put(g, "median_days_to_resolve", _median(counts))


def _median(counts: dict[int, int]) -> float:
    """The median of a histogram {value: count}."""
    n = sum(counts.values())
    ordered = sorted(counts.items())

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for value, c in ordered:
            seen += c
            if k < seen:
                return value
        raise IndexError(k)

    return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def _temp_table(
    session, name: str, rows: list[dict], key: str | None = None, **columns
) -> sa.Table:
    """A temporary table (this connection only, gone with the transaction) holding `rows`,
    its primary key `key` if given: lets SQL join cases to buckets computed in Python from
    the working-day calendar."""
    table = sa.Table(
        name,
        sa.MetaData(),
        *(sa.Column(c, t, primary_key=c == key) for c, t in columns.items()),
        prefixes=["TEMPORARY"],
    )
    conn = session.connection()
    table.create(conn)
    if rows:
        conn.execute(table.insert(), rows)
    return table


def _day_table(reg: Register, session, first: dt.date, last: dt.date) -> sa.Table:
    """A temporary table of local days [first, last): each day's UTC bounds and the count
    of working days up to and including it, so SQL can measure working days between two
    times with two joins."""
    rows, idx, tz = [], 0, reg.settings.tz
    day = first
    while day < last:
        idx += reg.calendar.is_working_day(day)
        rows.append(
            {
                "day_start": day_start(day, tz),
                "day_end": day_start(day + dt.timedelta(1), tz),
                "idx": idx,
            }
        )
        day += dt.timedelta(1)
    return _temp_table(
        session,
        "tmp_report_days",
        rows,
        key="day_start",
        day_start=sa.DateTime,
        day_end=sa.DateTime,
        idx=sa.Integer,
    )


def received_chart(reg: Register, period: Period, unit: str) -> list[tuple[str, int]]:
    """Received counts of `period` per `unit` ('day', 'week' or 'month'), as in
    Report.chart (e.g. a year per ISO week for `report --html`)."""
    with unit_of_work(reg.engine, write=False) as session:
        return _chart(reg, session, period, unit)[1]


def _chart(
    reg: Register, session, period: Period, unit: str | None = None
) -> tuple[str, list[tuple[str, int]]]:
    """Received counts per day (up to ~2 months), per ISO week (up to ~6 months), else
    per month (or per `unit`); buckets come from a temporary table so empty ones show as
    0."""
    from dateutil.relativedelta import relativedelta

    length = (period.end - period.start).days
    unit = unit or ("day" if length <= 62 else "week" if length <= 190 else "month")
    buckets, day = [], period.start
    while day < period.end:
        if unit == "day":
            nxt, label = day + dt.timedelta(1), f"{day:%m-%d %a}"
        elif unit == "week":
            nxt = min(day + dt.timedelta(7 - day.weekday()), period.end)
            iso = day.isocalendar()
            label = f"{iso.year}-W{iso.week:02d}"
        else:
            nxt = min(day.replace(day=1) + relativedelta(months=1), period.end)
            label = f"{day:%Y-%m}"
        buckets.append((label, day, nxt))
        day = nxt
    tz = reg.settings.tz
    table = _temp_table(
        session,
        "tmp_report_buckets",
        [
            {"pos": i, "label": label, "b_start": day_start(a, tz), "b_end": day_start(b, tz)}
            for i, (label, a, b) in enumerate(buckets)
        ],
        pos=sa.Integer,
        label=sa.String,
        b_start=sa.DateTime,
        b_end=sa.DateTime,
    )
    conn = session.connection()
    t = Case.__table__.c
    rows = conn.execute(
        sa.select(table.c.label, sa.func.count(t.id))
        .select_from(
            table.outerjoin(
                Case.__table__,
                sa.and_(t.received_at >= table.c.b_start, t.received_at < table.c.b_end),
            )
        )
        .group_by(table.c.pos, table.c.label)
        .order_by(table.c.pos)
    ).all()
    return unit, [(label, n) for label, n in rows]


def monthly_report(reg: Register, period: Period, by: str | None = None) -> Report:
    """Every figure for `period` and the period before it (with --by: per group too)."""
    if by is not None and by not in BREAKDOWNS:
        raise InvalidValue(
            "--by",
            _("unknown breakdown {value}; allowed: {allowed}").format(
                value=repr(by), allowed=", ".join(BREAKDOWNS)
            ),
        )
    report = Report(period=period, previous=period.previous(), by=by)
    codes = {"category": reg.settings.categories, "department": reg.settings.departments}
    report.group_names_zh = {c.code: c.name_zh for c in codes.get(by or "", ()) if c.name_zh}
    tz = reg.settings.tz
    t = Case.__table__.c
    with unit_of_work(reg.engine, write=False) as session:
        # One table of days, from the earliest receipt among the cases resolved in either
        # period to the end of this one, serves every resolution-time query.
        first = session.execute(
            sa.select(sa.func.min(t.received_at)).where(
                t.resolved_at >= day_start(report.previous.start, tz),
                t.resolved_at < day_start(period.end, tz),
            )
        ).scalar()
        days = (
            None
            if first is None
            else _day_table(
                reg, session, reg.calendar.local_date(first), period.end + dt.timedelta(1)
            )
        )
        results = {}
        for name, grouping in (("all", None), ("by", by)):
            if name == "by" and not by:
                continue
            figures = _Figures(reg, session, grouping, days)
            results[name] = (figures.compute(period), figures.compute(report.previous))
        report.chart_unit, report.chart = _chart(reg, session, period)
    for name, (cur, prev) in results.items():
        groups = sorted(set(cur) | set(prev)) if name == "by" else [ALL]
        for g in groups:
            for key, label, unit in FIGURES:
                value = cur.get(g, {}).get(key, _zero(unit))
                before = prev.get(g, {}).get(key, _zero(unit))
                change = None
                if value is not None and before is not None:
                    change = round(
                        value - before, 2 if unit in ("working days", "score 1-5") else 1
                    )
                    if unit == "cases":
                        change = int(change)
                report.rows.append(
                    {
                        "period": period.label,
                        "group": g,
                        "figure": key,
                        "label": label,
                        "unit": unit,
                        "value": value,
                        "previous": before,
                        "change": change,
                    }
                )
    return report


def _zero(unit: str) -> int | None:
    """A count with no rows is 0; a rate or mean with no denominator is n/a (None)."""
    return 0 if unit == "cases" else None
