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

from complaintctl import figures
from complaintctl.enums import Action, Outcome
from complaintctl.errors import InvalidValue
from complaintctl.messages import N_
from complaintctl.parse import day_start
from complaintctl.register import Register
from complaintctl.sqltext import Columns, Sql, all_of, any_of, count_if, sum_if, value
from complaintctl.store import Storage

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


class _Query:
    """What the definitions in figures.py are written against, for one period: the tables'
    columns (cases as `c`, events as `e`), the period's bounds (UTC), the settings, and
    the SQL that differs by backend."""

    def __init__(self, reg: Register, store: Storage, days: str | None, period: Period) -> None:
        tz = reg.settings.tz
        self.s, self.e = day_start(period.start, tz), day_start(period.end, tz)
        self.c, self.ev = Columns("c"), Columns("e")
        self.settings, self.store, self.days = reg.settings, store, days
        self.repeat_window = int(reg.settings.repeat_window.total_seconds())

    def in_period(self, column: Sql) -> Sql:
        return (column >= self.s) & (column < self.e)

    def seconds_before(self, time: Sql, seconds: int) -> Sql:
        if self.store.dialect == "sqlite":
            return Sql(f"datetime({time.text}, '-{int(seconds)} seconds')", time.params)
        return Sql(f"({time.text} - interval '{int(seconds)} seconds')", time.params)

    def latest_earlier_receipt(self) -> Sql:
        """When the case's contact last complained before it: one backward step on the
        (contact_key, received_at) index per case. Not EXISTS: PostgreSQL turns that into
        a hash semi-join that, when thousands of cases share a contact, tests every case of
        the period against every case of the contact."""
        merged = value(Outcome.merged.value)  # a merged duplicate is no earlier complaint
        return Sql(
            "(SELECT p.received_at FROM cases p WHERE p.contact_key = c.contact_key "
            "AND p.received_at < c.received_at "
            f"AND (p.outcome IS NULL OR p.outcome != {merged.text}) "
            "ORDER BY p.received_at DESC LIMIT 1)",
            merged.params,
        )

    def not_undone(self) -> Sql:
        """The history event `e` was not taken back: the case's next event, notes and
        files aside, is not an `undo` (services.undo takes back only such a last step)."""
        note, attach, undo = (value(a.value) for a in (Action.note, Action.attach, Action.undo))
        return Sql(
            "(coalesce((SELECT n.action FROM events n WHERE n.case_id = e.case_id "
            f"AND n.id > e.id AND n.action NOT IN ({note.text}, {attach.text}) "
            f"ORDER BY n.id LIMIT 1), '') != {undo.text})",
            note.params | attach.params | undo.params,
        )

    def working_days(self, start: Sql, end: Sql) -> Sql:
        """Working days after the day of `start` up to the day of `end` (the day table)."""

        def day_index(time: Sql) -> Sql:
            # The day a time falls on: the last one starting at or before it (days are
            # contiguous), one step on the table's key per case. A join on the range
            # (day_start <= time < day_end) made PostgreSQL test every case against
            # every day: minutes for a report when the days span years.
            return Sql(
                f"(SELECT d.idx FROM {self.days} d WHERE d.day_start <= {time.text} "
                "ORDER BY d.day_start DESC LIMIT 1)",
                time.params,
            )

        return day_index(end) - day_index(start)


def _condition(q: _Query, m: figures.Count) -> Sql:
    own = m.where(q)
    return own if m.within is None else _condition(q, m.within) & own


def _column(q: _Query, m: figures.Count | figures.Sum) -> Sql:
    if isinstance(m, figures.Sum):
        return sum_if(_condition(q, m.within), m.expr(q))
    if m.distinct is not None:
        d = m.distinct(q)
        return Sql(f"count(DISTINCT {d.text})", d.params)
    return Sql("count(*)") if m.where is None else count_if(_condition(q, m))


def _cohort(m: figures.Measure) -> figures.Cohort:
    return m.within.cohort if isinstance(m, figures.Sum) else m.cohort


def _grouped(q: _Query, group: Sql | None, columns: list[Sql], source: str, where: Sql):
    """(group, *values) per group of the rows of `source` meeting `where`: with no
    grouping, one row for all of them, or none when there are none."""
    head = [group] if group is not None else []
    parts = head + columns
    # Each value named apart (PostgreSQL calls every sum "sum": a row keyed by name would
    # lose all but one).
    named = ", ".join(f"{p.text} AS v{i}" for i, p in enumerate(parts))
    sql = f"SELECT {named} FROM {source} WHERE {where.text} " + (
        f"GROUP BY {', '.join(str(i) for i in range(1, len(head) + 1))}" if head else ""
    )
    params: dict = where.params.copy()
    for p in parts:
        params |= p.params
    if group is None:
        sql += " HAVING count(*) > 0"
    for row in q.store.stream(sql, params):
        values = list(row.values())
        yield (values[0], *values[1:]) if group is not None else (ALL, *values)


def _measure(q: _Query, group: Sql | None) -> dict[str, dict[figures.Measure, object]]:
    """Every measure of figures.py for one period, per group: one query per cohort (and
    per histogram), aggregated in SQL."""
    out: dict[str, dict] = {}
    cohorts: dict[figures.Cohort, list] = {}
    for m in figures.measures():
        cohorts.setdefault(_cohort(m), []).append(m)
    for cohort, ms in cohorts.items():
        flat = [m for m in ms if not isinstance(m, figures.Histogram)]
        if cohort.where is not None:
            where = all_of(cohort.where(q))
        else:  # the rows meeting any of its counts' conditions
            where = any_of(
                [
                    _condition(q, m)
                    for m in flat
                    if isinstance(m, figures.Count) and m.within is None
                ]
            )
        where = where & (figures.is_merged(q) if cohort.duplicates else figures.not_merged(q))
        source = "events e JOIN cases c ON e.case_id = c.id" if cohort.events else "cases c"
        if flat:
            columns = [_column(q, m) for m in flat]
            for g, *values in _grouped(q, group, columns, source, where):
                out.setdefault(g, {}).update(zip(flat, values, strict=True))
        for h in ms:
            if not isinstance(h, figures.Histogram) or q.days is None:
                continue  # no day table: nothing was resolved in either period
            x = h.expr(q)
            head = [group] if group is not None else []
            params: dict = where.params | x.params
            for p in head:
                params |= p.params
            keys = ", ".join(str(i) for i in range(1, len(head) + 2))
            named = ", ".join(f"{p.text} AS v{i}" for i, p in enumerate([*head, x]))
            rows = q.store.stream(
                f"SELECT {named}, count(*) AS n FROM {source} WHERE {where.text} GROUP BY {keys}",
                params,
            )
            for row in rows:
                values = list(row.values())
                g, xv, n = values if head else [ALL, *values]
                counts = out.setdefault(g, {}).setdefault(h, {})
                counts[xv] = counts.get(xv, 0) + n
    return out


_TYPES = {  # the temporary tables' column types, by backend
    "sqlite": {"time": "DATETIME", "int": "INTEGER", "text": "VARCHAR"},
    "postgresql": {"time": "TIMESTAMP WITHOUT TIME ZONE", "int": "INTEGER", "text": "VARCHAR"},
}


def _temp_table(store: Storage, name: str, rows: list[dict], key: str | None = None, **columns):
    """A temporary table (this connection only, gone with the transaction) holding `rows`,
    its primary key `key` if given: lets SQL join cases to buckets computed in Python from
    the working-day calendar.  Returns its name."""
    types = _TYPES.get(store.dialect, _TYPES["postgresql"])
    defs = ", ".join(f"{c} {types[t]}{' NOT NULL' if c == key else ''}" for c, t in columns.items())
    if key:
        defs += f", PRIMARY KEY ({key})"
    store.execute(f"CREATE TEMPORARY TABLE {name} ({defs})")
    insert = f"INSERT INTO {name} ({', '.join(columns)}) VALUES " + (
        f"({', '.join(':' + c for c in columns)})"
    )
    for row in rows:
        store.execute(insert, row)
    return name


def _day_table(reg: Register, store: Storage, first: dt.date, last: dt.date) -> str:
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
        store,
        "tmp_report_days",
        rows,
        key="day_start",
        day_start="time",
        day_end="time",
        idx="int",
    )


def received_chart(reg: Register, period: Period, unit: str) -> list[tuple[str, int]]:
    """Received counts of `period` per `unit` ('day', 'week' or 'month'), as in
    Report.chart (e.g. a year per ISO week for `report --html`)."""
    store = reg.store
    with store.transaction(write=False):
        return _chart(reg, store, period, unit)[1]


def _chart(
    reg: Register, store: Storage, period: Period, unit: str | None = None
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
        store,
        "tmp_report_buckets",
        [
            {"pos": i, "label": label, "b_start": day_start(a, tz), "b_end": day_start(b, tz)}
            for i, (label, a, b) in enumerate(buckets)
        ],
        pos="int",
        label="text",
        b_start="time",
        b_end="time",
    )
    rows = store.rows(
        f"SELECT b.label, count(c.id) AS n FROM {table} b LEFT OUTER JOIN cases c "
        "ON c.received_at >= b.b_start AND c.received_at < b.b_end "
        "AND (c.outcome IS NULL OR c.outcome != :merged) "
        "GROUP BY b.pos, b.label ORDER BY b.pos",
        {"merged": Outcome.merged.value},
    )
    return unit, [(r["label"], r["n"]) for r in rows]


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
    store = reg.store
    with store.transaction(write=False):
        # One table of days, from the earliest receipt among the cases resolved in either
        # period to the end of this one, serves every resolution-time query.
        first = store.one(
            "SELECT min(received_at) AS received_at FROM cases "
            "WHERE resolved_at >= :s AND resolved_at < :e",
            {"s": day_start(report.previous.start, tz), "e": day_start(period.end, tz)},
        )["received_at"]
        days = (
            None
            if first is None
            else _day_table(
                reg, store, reg.calendar.local_date(first), period.end + dt.timedelta(1)
            )
        )
        results = {}
        for name, grouping in (("all", None), ("by", by)):
            if name == "by" and not by:
                continue
            group = None
            if grouping:
                none = value(NONE)
                group = Sql(f"coalesce(c.{grouping}, {none.text})", none.params)
            results[name] = tuple(
                _measure(_Query(reg, store, days, p), group) for p in (period, report.previous)
            )
        report.chart_unit, report.chart = _chart(reg, store, period)
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
    tz = reg.settings.tz
    rows = {
        r["feedback_score"]: r["n"]
        for r in reg.store.rows(
            "SELECT feedback_score, count(*) AS n FROM cases WHERE feedback_at >= :s "
            "AND feedback_at < :e AND feedback_score IS NOT NULL GROUP BY feedback_score",
            {"s": day_start(period.start, tz), "e": day_start(period.end, tz)},
        )
    }
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
