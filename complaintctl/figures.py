"""Every figure of the monthly report, once: what it counts (in SQL), its unit, its names,
where the HTML report shows it, and the target it is judged against.

`report.monthly_report` computes every figure from this table; the screen, CSV, JSON and
HTML renderers read its keys, names, units and order from here and only format them;
`config` reads the [targets] keys from here. Adding a figure is one entry in FIGURES.

Cohorts (also in the README): figures about *arrivals* count the cases received in the
period; figures about *outcomes* count the cases whose step was done in the period.

A definition is written against `q`, the query context `report` passes in: `q.c` the case
columns, `q.ev` the history's columns, `q.settings`, and helpers such as `q.in_period(col)`.
This module imports no SQLAlchemy (the CLI reads the table to build `--by` and the config
reads its targets, both before any database is opened).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from complaintctl.enums import Action, Outcome, Step
from complaintctl.messages import N_

Sql = Callable[..., object]  # q -> an SQL expression


# -- what a figure counts -----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Cohort:
    """The rows a group of figures counts: one query per period (and per --by grouping).
    `where(q)` gives its conditions; None: the rows meeting any of its counts' conditions,
    so the figures no index can serve share one pass over the table."""

    name: str
    where: Callable[..., list] | None
    events: bool = False  # history events (joined to their case), not cases
    # Merged duplicates (`merge`) only; every other cohort leaves them out: a complaint
    # logged twice is one complaint.
    duplicates: bool = False


@dataclass(frozen=True, eq=False)
class Count:
    """How many rows of the cohort meet `where` (every row: None), of those counted by
    `within` if given; with `distinct`, how many distinct values of it."""

    cohort: Cohort
    where: Sql | None = None
    within: Count | None = None
    distinct: Sql | None = None


@dataclass(frozen=True, eq=False)
class Sum:
    """The total of `expr` over the rows counted by `within`."""

    expr: Sql
    within: Count


@dataclass(frozen=True, eq=False)
class Histogram:
    """How many rows of the cohort have each value of `expr` ({value: rows})."""

    cohort: Cohort
    expr: Sql


Measure = Count | Sum | Histogram


# -- a figure as a function of measures ----------------------------------------------------
def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Cases:
    """A count of cases (0 when there are none)."""

    of: Count

    def measures(self) -> tuple[Measure, ...]:
        return (self.of,)

    def value(self, m: Mapping) -> int:
        return m.get(self.of, 0)


@dataclass(frozen=True)
class Rate:
    """part / whole in % (one decimal); n/a without a whole."""

    part: Count
    whole: Count

    def measures(self) -> tuple[Measure, ...]:
        return (self.part, self.whole)

    def value(self, m: Mapping) -> float | None:
        return _pct(m.get(self.part, 0), m.get(self.whole, 0))


@dataclass(frozen=True)
class Mean:
    """total / n (two decimals); n/a without any."""

    total: Sum

    def measures(self) -> tuple[Measure, ...]:
        return (self.total, self.total.within)

    def value(self, m: Mapping) -> float | None:
        n = m.get(self.total.within, 0)
        return round(m.get(self.total, 0) / n, 2) if n else None


@dataclass(frozen=True)
class HistogramMean:
    """The mean of a histogram's values (two decimals); n/a without any."""

    of: Histogram

    def measures(self) -> tuple[Measure, ...]:
        return (self.of,)

    def value(self, m: Mapping) -> float | None:
        counts = m.get(self.of) or {}
        n = sum(counts.values())
        return round(sum(d * c for d, c in counts.items()) / n, 2) if n else None


@dataclass(frozen=True)
class HistogramMedian:
    """The median of a histogram's values; n/a without any."""

    of: Histogram

    def measures(self) -> tuple[Measure, ...]:
        return (self.of,)

    def value(self, m: Mapping) -> float | None:
        counts = m.get(self.of) or {}
        n = sum(counts.values())
        if not n:
            return None
        ordered = sorted(counts.items())

        def nth(k: int) -> int:  # the k-th smallest value, 0-based
            seen = 0
            for value, c in ordered:
                seen += c
                if k < seen:
                    return value
            raise IndexError(k)

        return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


Definition = Cases | Rate | Mean | HistogramMean | HistogramMedian


# -- targets --------------------------------------------------------------------------------
AT_LEAST, AT_MOST, UP_ON_YEAR_BEFORE = "at least", "at most", "up on the year before"


@dataclass(frozen=True)
class Target:
    """A goal of the config's [targets] for a figure: `key` = its value, judged by `rule`."""

    key: str
    rule: str  # AT_LEAST | AT_MOST | UP_ON_YEAR_BEFORE (the value is a % rise)
    default: float
    low: float  # what the config accepts: low..high
    high: float
    allowed: str  # msgid: what the config accepts, in words
    note: str  # the comment `config init` writes beside it
    text: str  # msgid: the target as the HTML report states it ({target:g} = its value)
    position: int  # where it comes in the config's [targets] and the HTML report


# -- the cohorts and their counts ---------------------------------------------------------
RECEIVED = Cohort("received", lambda q: [q.in_period(q.c.received_at)])
# Only ended cases have a closing time, so "not rejected" is "closed" here; written so, the
# closed_at index serves it (step = 'closed' drew the step index instead).
CLOSED = Cohort("closed", lambda q: [q.in_period(q.c.closed_at), q.c.step != Step.rejected.value])
RESOLVED = Cohort("resolved", lambda q: [q.in_period(q.c.resolved_at)])
# Received in the period, the contact's latest earlier case within the repeat window.
REPEAT = Cohort(
    "repeat",
    lambda q: [
        q.in_period(q.c.received_at),
        q.latest_earlier_receipt() >= q.seconds_before(q.c.received_at, q.repeat_window),
    ],
)
# A step taken back by `undo` is counted as never taken (the history keeps both).
REOPENED = Cohort(
    "reopened",
    lambda q: [
        q.in_period(q.ev.at),
        (q.ev.action == Action.reopen.value)
        | ((q.ev.action == Action.feedback.value) & (q.ev.step_to == Step.investigate.value)),
        q.not_undone(),
    ],
    events=True,
)
# Duplicates received in the period and merged into their original (at any time since).
MERGED = Cohort("merged", lambda q: [q.in_period(q.c.received_at)], duplicates=True)


def is_merged(q):
    """A merged duplicate (`merge`): counted by the figure "merged" and by no other."""
    return q.c.outcome == Outcome.merged.value


def not_merged(q):
    return q.c.outcome.is_(None) | (q.c.outcome != Outcome.merged.value)


# The figures no index can serve (open at period end; most done-at columns; the feedback
# given), in one pass over the table instead of one full scan each.
UNINDEXED = Cohort("unindexed", None)


def _accepted(q):
    return q.c.classified_at.is_not(None) & (q.c.step != Step.rejected.value)


def is_satisfied(score, min_score):
    """A feedback score that counts as satisfied (a column or a number)."""
    return score >= min_score


ANY_RECEIVED = Count(RECEIVED)
ACCEPTED = Count(RECEIVED, _accepted)
SCORED = Count(UNINDEXED, lambda q: q.in_period(q.c.feedback_at) & q.c.feedback_score.is_not(None))
RESOLVED_CASES = Count(RESOLVED)
DAYS_TO_RESOLVE = Histogram(RESOLVED, lambda q: q.working_days(q.c.received_at, q.c.resolved_at))


def _on_time(done: str, due: str) -> Rate:
    """Of the steps done in the period that had a due time, the share done by it."""
    with_due = Count(UNINDEXED, lambda q: q.in_period(q.c[done]) & q.c[due].is_not(None))
    return Rate(Count(UNINDEXED, lambda q: q.c[done] <= q.c[due], within=with_due), with_due)


# -- the figures, in the order every format prints them --------------------------------------
@dataclass(frozen=True)
class Figure:
    key: str  # in the JSON/CSV rows
    label: str  # English: the rows' `label`, and its name on an English screen
    name: str  # msgid of its name for people (the catalog's Chinese)
    unit: str  # a key of CHANGE_DIGITS
    definition: Definition
    headline: int | None = None  # its card among the HTML report's headline figures
    breakdown: int | None = None  # its column in the HTML report's breakdown tables
    short: str | None = None  # msgid: that column's heading
    step: str | None = None  # msgid: its bar in the HTML report's on-time chart
    target: Target | None = None


# How a change against the previous period is rounded, per unit (0: a whole number).
CHANGE_DIGITS = {"cases": 0, "%": 1, "working days": 2, "score 1-5": 2}

FIGURES: tuple[Figure, ...] = (
    Figure(
        "received",
        "Received",
        N_("figure:received"),
        "cases",
        Cases(ANY_RECEIVED),
        headline=0,
        breakdown=0,
        short=N_("Cases received"),  # a count (the catalog's "Received" is a time)
    ),
    Figure("accepted", "Accepted", N_("figure:accepted"), "cases", Cases(ACCEPTED)),
    Figure(
        "rejected",
        "Rejected",
        N_("figure:rejected"),
        "cases",
        Cases(Count(RECEIVED, lambda q: q.c.step == Step.rejected.value)),
    ),
    Figure(
        "closed",
        "Closed",
        N_("figure:closed"),
        "cases",
        Cases(Count(CLOSED)),
        headline=1,
        breakdown=1,
        short=N_("Closed"),
    ),
    Figure(
        "open_at_end",
        "Open at period end",
        N_("figure:open_at_end"),
        "cases",
        Cases(
            Count(
                UNINDEXED,
                lambda q: (
                    (q.c.received_at < q.e) & (q.c.closed_at.is_(None) | (q.c.closed_at >= q.e))
                ),
            )
        ),
        headline=2,
        breakdown=2,
        short=N_("Open at end"),
    ),
    Figure(
        "ontime_acknowledge",
        "On time: acknowledge",
        N_("figure:ontime_acknowledge"),
        "%",
        _on_time("acknowledged_at", "ack_due"),
        step=N_("acknowledge"),
    ),
    Figure(
        "ontime_investigate",
        "On time: investigate",
        N_("figure:ontime_investigate"),
        "%",
        _on_time("investigated_at", "investigate_due"),
        step=N_("investigate"),
    ),
    Figure(
        "ontime_resolve",
        "On time: resolve",
        N_("figure:ontime_resolve"),
        "%",
        _on_time("resolved_at", "resolve_due"),
        headline=5,
        step=N_("resolve"),
    ),
    Figure(
        "ontime_escalate",
        "On time: escalate (A)",
        N_("figure:ontime_escalate"),
        "%",
        _on_time("escalated_at", "escalate_due"),
        step=N_("escalate (A)"),
    ),
    Figure(
        "ontime_plan",
        "On time: plan (A)",
        N_("figure:ontime_plan"),
        "%",
        _on_time("plan_at", "plan_due"),
        step=N_("plan (A)"),
    ),
    Figure(
        "resolved",
        "Resolved",
        N_("figure:resolved"),
        "cases",
        Cases(RESOLVED_CASES),
        breakdown=3,
        short=N_("Resolved"),
    ),
    # Working days after the day of receipt up to the day of resolution, of the cases
    # resolved in the period.
    Figure(
        "mean_days_to_resolve",
        "Mean working days to resolution",
        N_("figure:mean_days_to_resolve"),
        "working days",
        HistogramMean(DAYS_TO_RESOLVE),
        headline=4,
        breakdown=5,
        short=N_("Mean days"),
        target=Target(
            "mean_days_to_resolve",
            AT_MOST,
            3.0,
            0.0,
            3660.0,
            N_("a number of working days, e.g. 3"),
            "mean working days from receipt to resolution, at most",
            N_("Mean working days to resolution at most {target:g}"),
            1,
        ),
    ),
    Figure(
        "median_days_to_resolve",
        "Median working days to resolution",
        N_("figure:median_days_to_resolve"),
        "working days",
        HistogramMedian(DAYS_TO_RESOLVE),
    ),
    # Of the cases received and accepted in the period, the share resolved by now.
    Figure(
        "resolution_rate",
        "Resolution rate",
        N_("figure:resolution_rate"),
        "%",
        Rate(Count(RECEIVED, lambda q: q.c.resolved_at.is_not(None), within=ACCEPTED), ACCEPTED),
        headline=3,
        breakdown=4,
        short=N_("Resolution rate"),
        target=Target(
            "resolution_rate",
            AT_LEAST,
            95.0,
            0.0,
            100.0,
            N_("a percentage 0..100, e.g. 95"),
            "% of the accepted cases resolved, at least",
            N_("Resolution rate at least {target:g} %"),
            0,
        ),
    ),
    Figure("feedback", "Feedback received", N_("figure:feedback"), "cases", Cases(SCORED)),
    Figure(
        "mean_score",
        "Mean satisfaction score",
        N_("figure:mean_score"),
        "score 1-5",
        Mean(Sum(lambda q: q.c.feedback_score, within=SCORED)),
        headline=6,
        breakdown=6,
        short=N_("Mean score"),
        target=Target(
            "satisfaction_increase",
            UP_ON_YEAR_BEFORE,
            5.0,
            -100.0,
            1000.0,
            N_("a percentage, e.g. 5 (for +5 %)"),
            "% rise of the mean score on the year before",
            N_("Mean satisfaction up {target:g} % on the same period a year before"),
            2,
        ),
    ),
    Figure(
        "satisfied_share",
        "Satisfied",
        N_("figure:satisfied_share"),
        "%",
        Rate(
            Count(
                UNINDEXED,
                lambda q: is_satisfied(q.c.feedback_score, q.settings.satisfied_min_score),
                within=SCORED,
            ),
            SCORED,
        ),
        headline=7,
        breakdown=7,
        short=N_("Satisfied"),
    ),
    # Of the cases resolved in the period, the share whose customer has answered since.
    Figure(
        "feedback_response_rate",
        "Feedback response rate",
        N_("figure:feedback_response_rate"),
        "%",
        Rate(
            Count(
                RESOLVED,
                lambda q: q.c.feedback_at.is_not(None) & (q.c.feedback_at >= q.c.resolved_at),
            ),
            RESOLVED_CASES,
        ),
    ),
    # Cases sent back to work in the period: reopened, or a dissatisfied feedback.
    Figure(
        "reopened",
        "Reopened",
        N_("figure:reopened"),
        "cases",
        Cases(Count(REOPENED, distinct=lambda q: q.ev.case_id)),
    ),
    Figure(
        "repeat_complainants",
        "Repeat complainants",
        N_("figure:repeat_complainants"),
        "cases",
        Cases(Count(REPEAT)),
    ),
    Figure(
        "merged",
        "Merged duplicates",
        N_("figure:merged"),
        "cases",
        Cases(Count(MERGED)),
    ),
)
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
HEADLINE = tuple(sorted((f for f in FIGURES if f.headline is not None), key=lambda f: f.headline))
BREAKDOWN_COLUMNS = tuple(
    sorted((f for f in FIGURES if f.breakdown is not None), key=lambda f: f.breakdown)
)
ON_TIME = tuple(f for f in FIGURES if f.step)
TARGETS: tuple[tuple[Figure, Target], ...] = tuple(
    sorted(((f, f.target) for f in FIGURES if f.target), key=lambda pair: pair[1].position)
)


def measures() -> list[Measure]:
    """Every measure the figures need, each once, in the order of the table."""
    seen: dict[Measure, None] = {}
    for f in FIGURES:
        for m in f.definition.measures():
            seen.setdefault(m, None)
    return list(seen)


def values(measured: Mapping) -> dict[str, float | int | None]:
    """Every figure's value from its measures' values ({measure: value}; a measure with no
    rows is absent)."""
    return {f.key: f.definition.value(measured) for f in FIGURES}


def change(figure: Figure, value, before):
    """This period's value against the previous one, rounded as the unit says; None when
    either is n/a."""
    if value is None or before is None:
        return None
    digits = CHANGE_DIGITS[figure.unit]
    return int(round(value - before, 1)) if digits == 0 else round(value - before, digits)


# -- what --by breaks the figures down by -------------------------------------------------
@dataclass(frozen=True)
class Breakdown:
    key: str  # the --by value and the cases column
    name: str  # msgid: its name for people
    heading: str  # msgid: the heading of its HTML breakdown table
    table: int  # the position of that table (owner last: its table is the longest)
    codes: str | None = None  # the settings' code list naming its groups
    coded: bool = False  # its groups are codes with names in the catalog


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown("category", N_("breakdown:category"), N_("By category"), 0, codes="categories"),
    Breakdown("channel", N_("breakdown:channel"), N_("By channel"), 1, coded=True),
    Breakdown("severity", N_("breakdown:severity"), N_("By severity"), 2, coded=True),
    Breakdown(
        "department", N_("breakdown:department"), N_("By department"), 3, codes="departments"
    ),
    Breakdown("owner", N_("breakdown:owner"), N_("By owner"), 5),
    Breakdown("kind", N_("breakdown:kind"), N_("By kind"), 4, coded=True),
)
BREAKDOWN_KEYS = tuple(b.key for b in BREAKDOWNS)
BREAKDOWN_BY_KEY = {b.key: b for b in BREAKDOWNS}
BREAKDOWN_TABLES = tuple(sorted(BREAKDOWNS, key=lambda b: b.table))


# -- judging the targets ------------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    figure: Figure
    target: Target
    goal: float  # the config's value
    status: str  # met | missed | n/a
    value: float | None  # the figure this period
    before: float | None = None  # UP_ON_YEAR_BEFORE: the figure the year before


def judge(
    targets: object, now: Mapping[str, float | None], year_before: Mapping | None
) -> list[Judgement]:
    """Each target (`targets`: the config's, an attribute per key) against this period's
    figures `now` ({key: value}); `year_before` the same period a year earlier's figures
    (None: not known)."""
    out = []
    for figure, target in TARGETS:
        goal = getattr(targets, target.key)
        value = now[figure.key]
        before = None
        if target.rule == UP_ON_YEAR_BEFORE:
            before = year_before.get(figure.key) if year_before is not None else None
            judged = value is not None and before is not None
            met = judged and value >= before * (1 + goal / 100)
        else:
            judged = value is not None
            met = judged and (value >= goal if target.rule == AT_LEAST else value <= goal)
        status = "met" if met else "missed" if judged else "n/a"
        out.append(Judgement(figure, target, goal, status, value, before))
    return out
