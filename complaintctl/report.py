"""The monthly report (《投诉处理月报》): every figure of figures.FIGURES for a period
and the one before it, aggregated in SQL; plain rows for the renderers. Also the other
reads the HTML report shows (scores given, the monthly trend, the targets judged).

What each figure counts is in figures.py; this module turns those definitions into one
query per cohort (and per histogram), runs them, and works out each figure's value and
change from the results.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from complaintctl import figures
from complaintctl.db import unit_of_work
from complaintctl.errors import InvalidValue
from complaintctl.messages import N_
from complaintctl.models import Case, Event
from complaintctl.parse import day_start
from complaintctl.register import Register

ALL = "(all)"
NONE = N_("(none)")


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
        raise InvalidValue("month", N_("give one of --month, --quarter, --year or --from/--to"))
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InvalidValue(
                "month", N_("{value} is not a month like 2025-10"), value=repr(month)
            )
        first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        return Period("month", first, first + relativedelta(months=1))
    if quarter:
        m = re.fullmatch(r"(\d{4})-?Q([1-4])", quarter.strip().upper())
        if not m:
            raise InvalidValue(
                "quarter", N_("{value} is not a quarter like 2025Q3"), value=repr(quarter)
            )
        first = dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return Period("quarter", first, first + relativedelta(months=3))
    if year:
        if not re.fullmatch(r"\d{4}", year.strip()):
            raise InvalidValue("year", N_("{value} is not a year like 2025"), value=repr(year))
        first = dt.date(int(year), 1, 1)
        return Period("year", first, dt.date(int(year) + 1, 1, 1))
    if start or end:
        if not (start and end):
            raise InvalidValue("from", N_("--from and --to go together"))
        if end < start:
            raise InvalidValue("to", N_("{end} is before --from {start}"), end=end, start=start)
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

    option = "month" if month else "quarter" if quarter else "year" if year else "from"
    try:
        period = _parse_period(today, month, quarter, year, start, end)
        period.previous()
        period.end + dt.timedelta(1)
    except (ValueError, OverflowError):
        raise InvalidValue(option, N_("is outside the calendar this report can cover")) from None
    if period.start.year < FIRST_YEAR or (period.end - dt.timedelta(1)).year > LAST_YEAR:
        raise InvalidValue(
            option,
            N_("is outside the years {first}-{last}"),
            first=FIRST_YEAR,
            last=LAST_YEAR,
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


def _count(expr) -> sa.ColumnElement:
    return sa.func.sum(sa.case((expr, 1), else_=0))


class _Query:
    """What the definitions in figures.py are written against, for one period: the tables'
    columns, the period's bounds (UTC), the settings, and the SQL that differs by backend."""

    def __init__(self, reg: Register, session, days: sa.Table | None, period: Period) -> None:
        tz = reg.settings.tz
        self.s, self.e = day_start(period.start, tz), day_start(period.end, tz)
        self.c, self.ev = Case.__table__.c, Event.__table__.c
        self.settings, self.session, self.days = reg.settings, session, days
        self.repeat_window = int(reg.settings.repeat_window.total_seconds())

    def in_period(self, column: sa.ColumnElement) -> sa.ColumnElement:
        return sa.and_(column >= self.s, column < self.e)

    def seconds_before(self, time: sa.ColumnElement, seconds: int) -> sa.ColumnElement:
        if self.session.bind.dialect.name == "sqlite":
            return sa.func.datetime(time, f"-{seconds} seconds")
        return time - sa.text(f"interval '{seconds} seconds'")

    def latest_earlier_receipt(self) -> sa.ScalarSelect:
        """When the case's contact last complained before it: one backward step on the
        (contact_key, received_at) index per case. Not EXISTS: PostgreSQL turns that into
        a hash semi-join that, when thousands of cases share a contact, tests every case of
        the period against every case of the contact."""
        p = Case.__table__.alias("p")
        return (
            sa.select(p.c.received_at)
            .where(p.c.contact_key == self.c.contact_key, p.c.received_at < self.c.received_at)
            .order_by(p.c.received_at.desc())
            .limit(1)
            .scalar_subquery()
        )

    def working_days(self, start: sa.ColumnElement, end: sa.ColumnElement) -> sa.ColumnElement:
        """Working days after the day of `start` up to the day of `end` (the day table)."""
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

        return day_index(end) - day_index(start)


def _condition(q: _Query, m: figures.Count) -> sa.ColumnElement:
    own = m.where(q)
    return own if m.within is None else sa.and_(_condition(q, m.within), own)


def _column(q: _Query, m: figures.Count | figures.Sum) -> sa.ColumnElement:
    if isinstance(m, figures.Sum):
        return sa.func.sum(sa.case((_condition(q, m.within), m.expr(q)), else_=0))
    if m.distinct is not None:
        return sa.func.count(sa.distinct(m.distinct(q)))
    return sa.func.count() if m.where is None else _count(_condition(q, m))


def _cohort(m: figures.Measure) -> figures.Cohort:
    return m.within.cohort if isinstance(m, figures.Sum) else m.cohort


def _measure(q: _Query, group: sa.ColumnElement) -> dict[str, dict[figures.Measure, object]]:
    """Every measure of figures.py for one period, per group: one query per cohort (and
    per histogram), aggregated in SQL."""
    out: dict[str, dict] = {}
    cohorts: dict[figures.Cohort, list] = {}
    for m in figures.measures():
        cohorts.setdefault(_cohort(m), []).append(m)
    for cohort, ms in cohorts.items():
        flat = [m for m in ms if not isinstance(m, figures.Histogram)]
        if cohort.where is not None:
            where = cohort.where(q)
        else:  # the rows meeting any of its counts' conditions
            where = [
                sa.or_(
                    *(
                        _condition(q, m)
                        for m in flat
                        if isinstance(m, figures.Count) and m.within is None
                    )
                )
            ]
        if flat:
            stmt = sa.select(group, *(_column(q, m) for m in flat))
            if cohort.events:
                stmt = stmt.select_from(
                    Event.__table__.join(Case.__table__, q.ev.case_id == q.c.id)
                )
            for g, *values in q.session.execute(stmt.where(*where).group_by(group)):
                out.setdefault(g, {}).update(zip(flat, values, strict=True))
        for h in ms:
            if not isinstance(h, figures.Histogram) or q.days is None:
                continue  # no day table: nothing was resolved in either period
            value = h.expr(q).label("x")
            rows = q.session.execute(
                sa.select(group, value, sa.func.count()).where(*where).group_by(group, value)
            ).all()
            for g, x, n in rows:
                counts = out.setdefault(g, {}).setdefault(h, {})
                counts[x] = counts.get(x, 0) + n
    return out


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
    """Every figure of figures.FIGURES for `period` and the period before it (with --by:
    per group too)."""
    if by is not None and by not in figures.BREAKDOWN_KEYS:
        raise InvalidValue(
            "by",
            N_("unknown breakdown {value}; allowed: {allowed}"),
            value=repr(by),
            allowed=", ".join(figures.BREAKDOWN_KEYS),
        )
    report = Report(period=period, previous=period.previous(), by=by)
    dimension = figures.BREAKDOWN_BY_KEY.get(by or "")
    codes = getattr(reg.settings, dimension.codes) if dimension and dimension.codes else ()
    report.group_names_zh = {c.code: c.name_zh for c in codes if c.name_zh}
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
            group = (sa.func.coalesce(t[grouping], NONE) if grouping else sa.literal(ALL)).label(
                "g"
            )
            results[name] = tuple(
                _measure(_Query(reg, session, days, p), group) for p in (period, report.previous)
            )
        report.chart_unit, report.chart = _chart(reg, session, period)
    for name, (cur, prev) in results.items():
        groups = sorted(set(cur) | set(prev)) if name == "by" else [ALL]
        for g in groups:
            now, before = figures.values(cur.get(g, {})), figures.values(prev.get(g, {}))
            for f in figures.FIGURES:
                report.rows.append(
                    {
                        "period": period.label,
                        "group": g,
                        "figure": f.key,
                        "label": f.label,
                        "unit": f.unit,
                        "value": now[f.key],
                        "previous": before[f.key],
                        "change": figures.change(f, now[f.key], before[f.key]),
                    }
                )
    return report


def totals(report: Report, group: str = ALL) -> dict[str, dict]:
    """The report's rows of one group (the totals by default), by figure key."""
    return {r["figure"]: r for r in report.rows if r["group"] == group}


# -- what the HTML report shows besides the figures ----------------------------------------
def month_of(day: dt.date) -> Period:
    """The calendar month `day` falls in."""
    from dateutil.relativedelta import relativedelta

    first = day.replace(day=1)
    return Period("month", first, first + relativedelta(months=1))


def year_before(period: Period) -> Period:
    """The same period one year earlier (29 February becomes the 28th)."""
    from dateutil.relativedelta import relativedelta

    year = relativedelta(years=1)
    return Period(period.kind, period.start - year, period.end - year)


def report_or_none(reg: Register, period: Period) -> Report | None:
    """`monthly_report`, or None for a period at the very start of the calendar (its
    first local day, or the one before it, is not a date in UTC)."""
    try:
        return monthly_report(reg, period)
    except (ValueError, OverflowError):
        return None


def figures_year_before(
    reg: Register, report: Report
) -> tuple[Period | None, dict[str, float | int | None] | None]:
    """The same period a year earlier and its figures ({key: value}); (None, None) when
    that period is off the calendar, its figures None when they cannot be computed."""
    try:
        earlier = year_before(report.period)
    except (ValueError, OverflowError):  # the year before is off the calendar
        return None, None
    if earlier == report.previous:  # a year: its previous period is the year before
        return earlier, {key: r["previous"] for key, r in totals(report).items()}
    year_ago = report_or_none(reg, earlier)
    if year_ago is None:
        return earlier, None
    return earlier, {key: r["value"] for key, r in totals(year_ago).items()}


def judge_targets(reg: Register, report: Report) -> tuple[list[figures.Judgement], Period | None]:
    """Each target of the config against the report's figures (figures.judge), and the
    period the year-on-year targets compared with (None: off the calendar)."""
    earlier, before = figures_year_before(reg, report)
    now = {key: r["value"] for key, r in totals(report).items()}
    return figures.judge(reg.settings.targets, now, before), earlier


def trend(reg: Register, period: Period, months: int, keys: tuple[str, ...]) -> list[dict]:
    """The figures `keys` of each of the `months` months up to the one the period ends in,
    each exactly as `report --month` gives it ({month, key: value, ...}). A month's report
    also carries the month before it, so every other month is computed."""
    last = month_of(period.end - dt.timedelta(days=1))
    periods = [last]
    while len(periods) < months:
        try:
            periods.insert(0, periods[0].previous())
        except (ValueError, OverflowError):  # before year 1
            break
    out: dict[str, dict] = {}
    # Every other month, ending with the last one: each also covers the month before it.
    for p in periods[(len(periods) + 1) % 2 :: 2]:
        report = report_or_none(reg, p)
        if report is None:
            continue
        rows = totals(report)
        for which, month in (("value", p), ("previous", report.previous)):
            out[month.label] = {"month": month.label, **{k: rows[k][which] for k in keys}}
    return [out[p.label] for p in periods if p.label in out]


def score_counts(reg: Register, period: Period) -> list[tuple[int, int, bool]]:
    """(score, customers who gave it in the period, whether it counts as satisfied) for
    each score 1..5: the same cases as the `feedback` figure, split by score."""
    t = Case.__table__.c
    tz = reg.settings.tz
    s, e = day_start(period.start, tz), day_start(period.end, tz)
    with unit_of_work(reg.engine, write=False) as session:
        rows = dict(
            session.execute(
                sa.select(t.feedback_score, sa.func.count())
                .where(t.feedback_at >= s, t.feedback_at < e, t.feedback_score.is_not(None))
                .group_by(t.feedback_score)
            ).all()
        )
    min_score = reg.settings.satisfied_min_score
    return [
        (score, rows.get(score, 0), bool(figures.is_satisfied(score, min_score)))
        for score in range(1, 6)
    ]


def non_working_days(reg: Register, period: Period) -> set[dt.date]:
    """The days of `period` the office is closed."""
    out, day = set(), period.start
    while day < period.end:
        if not reg.calendar.is_working_day(day):
            out.add(day)
        day += dt.timedelta(days=1)
    return out
