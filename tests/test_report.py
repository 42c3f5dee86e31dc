"""`complaintctl report` against figures worked out independently, in plain Python.

A fixture built once per backend walks ~200 complaints received 2025-08-01..2025-10-31 (National Day
week and its make-up days included) through randomly chosen paths with the services, each
step at an explicit time.  It records everything it did — receipt, each step's time, the
deadlines the services returned on the case, scores, reopen times, contact, groups — and the
expected figures are computed from that record following the README's table of
definitions (never from the database, never with SQL).  Every figure of the screen, the CSV
and the JSON must match.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from conftest import Run, local, postgres_schema

from complaintctl import services
from complaintctl.clock import WorkCalendar
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.register import Register
from complaintctl.render_report import cell, change_cell
from complaintctl.report import Period, parse_period

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = local(2025, 11, 20, 12, 0)  # every service call's `now`: after every step
CAP = local(2025, 11, 19, 18, 0)  # no step is taken later than this
SATISFIED_MIN = 4
REPEAT_WINDOW = dt.timedelta(days=90)
CALENDAR = WorkCalendar()

CATEGORIES = ("PQ", "SA", "TS", "DL", "BL", "FE", "SM", "OT")
CHANNELS = ("phone", "email", "online", "social", "letter", "visit", "other")
SEVERITIES = ("A", "B", "C")
KINDS = ("general", "claim", "unjustified")
OWNERS = {
    "CS": ("王芳", "李娜"),
    "SALES": ("张伟",),
    "TECH": ("刘洋", "陈静"),
    "LOG": ("杨磊",),
    "QA": ("赵敏", "黄强"),
}
NATIONAL_DAY = [dt.date(2025, 10, d) for d in range(1, 9)]
EMPTY_DAYS = {dt.date(2025, 10, 3), dt.date(2025, 10, 5)}  # no complaint arrives on these

# The figures in the order the report prints them: key, label on screen, unit.
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
    ("merged", "Merged duplicates", "cases"),
)
UNIT = {key: unit for key, _, unit in FIGURES}
LABEL = {key: label for key, label, _ in FIGURES}
COUNTS = [key for key, _, unit in FIGURES if unit == "cases"]
ON_TIME = {
    "ontime_acknowledge": ("ack_at", "ack_due"),
    "ontime_investigate": ("investigated_at", "investigate_due"),
    "ontime_resolve": ("resolved_at", "resolve_due"),
    "ontime_escalate": ("escalated_at", "escalate_due"),
    "ontime_plan": ("plan_at", "plan_due"),
}


# -- the fixture's own record of what it did -----------------------------------------------
@dataclass
class Rec:
    """One case as the fixture walked it; the fields hold its *current* round (a reopened
    case starts a new round: its later steps' times and deadlines start over)."""

    number: str
    person: int
    received: dt.datetime
    channel: str
    step: str = "acknowledge"
    ack_at: dt.datetime | None = None
    ack_due: dt.datetime | None = None
    classified: bool = False  # a classify action was taken (a rejection is not one)
    category: str | None = None
    severity: str | None = None
    kind: str | None = None
    department: str | None = None
    owner: str | None = None
    escalated_at: dt.datetime | None = None
    escalate_due: dt.datetime | None = None
    plan_at: dt.datetime | None = None
    plan_due: dt.datetime | None = None
    investigated_at: dt.datetime | None = None
    investigate_due: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    resolve_due: dt.datetime | None = None
    feedback_due: dt.datetime | None = None
    feedback_at: dt.datetime | None = None
    score: int | None = None
    ended_at: dt.datetime | None = None  # closed or rejected, and not reopened since
    reopens: list[dt.datetime] = field(default_factory=list)
    scores: list[tuple[dt.datetime, int]] = field(default_factory=list)
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)


def local_day(t: dt.datetime) -> dt.date:
    return t.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).date()


def wall(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return local(day.year, day.month, day.day, hour, minute, second)


class Walker:
    """Takes one case through a list of actions, each at a time after the previous one
    (on time or late against the deadline the service returned), stopping at CAP."""

    def __init__(self, reg: Register, rng: random.Random, rec: Rec) -> None:
        self.reg, self.rng, self.rec = reg, rng, rec
        self.t = rec.received

    def _after(self, lo_min: float, hi_min: float) -> dt.datetime:
        return self.t + dt.timedelta(minutes=self.rng.uniform(lo_min, hi_min))

    def _against(self, due: dt.datetime) -> dt.datetime:
        """A time after the cursor: by `due` (sometimes exactly at it) or after it."""
        roll = self.rng.random()
        if due > self.t and roll < 0.06:
            return due
        if due > self.t + dt.timedelta(minutes=2) and roll < 0.75:
            return self.t + (due - self.t) * self.rng.uniform(0.02, 0.97)
        return max(due, self.t) + dt.timedelta(minutes=self.rng.uniform(1, 4 * 24 * 60))

    def walk(self, actions: list[str]) -> None:
        for action in actions:
            if not self.do(action):
                return

    def do(self, action: str) -> bool:
        r, rng, reg = self.rec, self.rng, self.reg
        common = {"now": NOW, "actor": "fixture"}
        if action == "ack":
            at = self._against(r.ack_due)
        elif action in ("escalate", "plan"):
            at = self._against(r.escalate_due if action == "escalate" else r.plan_due)
        elif action == "investigate":
            at = self._against(r.investigate_due)
        elif action == "resolve":
            at = self._against(r.resolve_due)
        elif action == "close_expired":
            at = max(r.feedback_due, self.t) + (
                dt.timedelta(0)
                if rng.random() < 0.2
                else dt.timedelta(minutes=rng.uniform(1, 3 * 24 * 60))
            )
        elif action == "close_early":
            if r.feedback_due <= self.t + dt.timedelta(hours=1):
                return False
            at = self.t + (r.feedback_due - self.t) * rng.uniform(0.1, 0.9)
        elif action in ("sat", "dissat"):
            at = self._after(30, 12 * 24 * 60)
        elif action == "reopen":
            at = self._after(120, 15 * 24 * 60)
        else:  # classify, reclassify, reject, assign, reassign: no deadline
            at = self._after(5, 40 * 60)
        if at > CAP:
            return False
        self.t = at
        r.steps.append((action, at))
        n = r.number
        if action == "ack":
            services.ack(reg, n, at=at, **common)
            r.ack_at, r.step = at, "classify"
        elif action in ("classify", "reclassify"):
            if action == "classify":
                r.severity = rng.choices(SEVERITIES, (2, 4, 5))[0]
                r.kind = rng.choice(KINDS)
            r.category = rng.choice(CATEGORIES)
            case = services.classify(
                reg, n, category=r.category, severity=r.severity, kind=r.kind, at=at, **common
            )
            r.classified = True
            if action == "classify":
                r.step = "assign"
                r.escalate_due, r.plan_due = case.escalate_due, case.plan_due
                assert (r.escalate_due is not None) == (r.severity == "A")
        elif action == "reject":
            services.reject(reg, n, reason="不属于投诉", at=at, **common)
            r.step, r.ended_at = "rejected", at
        elif action in ("assign", "reassign"):
            r.department = rng.choice(sorted(OWNERS))
            r.owner = rng.choice(OWNERS[r.department])
            case = services.assign(reg, n, department=r.department, owner=r.owner, at=at, **common)
            if action == "assign":
                r.step, r.investigate_due = "investigate", case.investigate_due
        elif action == "escalate":
            services.escalate(reg, n, to="总经理", note=None, at=at, **common)
            r.escalated_at = at
        elif action == "plan":
            services.plan(reg, n, text="先退款后调查", at=at, **common)
            r.plan_at = at
        elif action == "investigate":
            case = services.investigate(
                reg,
                n,
                findings="查明原因",
                cause="包装破损",
                responsibility=rng.choice(("internal", "external", "mixed")),
                proposal="换货",
                at=at,
                **common,
            )
            r.investigated_at, r.resolve_due, r.step = at, case.resolve_due, "resolve"
        elif action == "resolve":
            case = services.resolve(
                reg,
                n,
                remedy=rng.choice(("refund", "replacement", "apology", "repair")),
                amount_cents=None,
                note=None,
                told_at=None,
                at=at,
                **common,
            )
            r.resolved_at, r.feedback_due, r.step = at, case.feedback_due, "feedback"
        elif action in ("sat", "dissat"):
            score = rng.choice((4, 5)) if action == "sat" else rng.choice((1, 2, 3))
            case = services.record_feedback(reg, n, score=score, comment=None, at=at, **common)
            r.feedback_at, r.score = at, score
            r.scores.append((at, score))
            if action == "sat":
                r.step, r.ended_at = "closed", at
            else:
                self._new_round(at, "investigate", case.investigate_due)
        elif action in ("close_expired", "close_early"):
            reason = None if action == "close_expired" else "客户无法联系"
            services.close(reg, n, reason=reason, at=at, **common)
            r.step, r.ended_at = "closed", at
        elif action == "reopen":
            case = services.reopen(reg, n, reason="客户再次来电", at=at, **common)
            step = "investigate" if r.owner else "classify"
            assert case.step == step
            self._new_round(at, step, case.investigate_due)
        return True

    def _new_round(self, at: dt.datetime, step: str, investigate_due) -> None:
        r = self.rec
        r.reopens.append(at)
        r.step, r.ended_at = step, None
        r.investigated_at = r.resolved_at = r.resolve_due = r.feedback_due = None
        r.investigate_due = investigate_due if step == "investigate" else None


# The paths: the steps a case goes through (the walk stops early if it would pass CAP).
_TO_RESOLVE = ["ack", "classify", "assign", "investigate", "resolve"]
PATHS: list[tuple[int, list[str]]] = [
    (4, []),
    (4, ["ack"]),
    (4, ["ack", "classify"]),
    (4, ["ack", "reject"]),
    (3, ["ack", "classify", "reject"]),
    (5, ["ack", "classify", "assign"]),
    (5, ["ack", "classify", "assign", "investigate"]),
    (7, _TO_RESOLVE),
    (22, [*_TO_RESOLVE, "sat"]),
    (4, ["ack", "classify", "reclassify", "assign", "reassign", "investigate", "resolve", "sat"]),
    (3, [*_TO_RESOLVE, "dissat"]),
    (3, [*_TO_RESOLVE, "dissat", "investigate"]),
    (4, [*_TO_RESOLVE, "dissat", "investigate", "resolve"]),
    (5, [*_TO_RESOLVE, "dissat", "investigate", "resolve", "sat"]),
    (2, [*_TO_RESOLVE, "dissat", "investigate", "resolve", "dissat"]),
    (2, [*_TO_RESOLVE, "dissat", "investigate", "resolve", "close_expired"]),
    (8, [*_TO_RESOLVE, "close_expired"]),
    (3, [*_TO_RESOLVE, "close_early"]),
    (3, [*_TO_RESOLVE, "sat", "reopen"]),
    (3, [*_TO_RESOLVE, "sat", "reopen", "investigate", "resolve", "sat"]),
    (2, [*_TO_RESOLVE, "close_expired", "reopen", "investigate"]),
    (2, [*_TO_RESOLVE, "close_early", "reopen", "investigate", "resolve"]),
]


def _with_a_clocks(rng: random.Random, path: list[str]) -> list[str]:
    """For severity A: escalate and/or plan right after classifying (if the path does)."""
    if "classify" not in path:
        return path
    i = path.index("classify") + 1
    extra = rng.choice((["escalate", "plan"], ["escalate", "plan"], ["escalate"], []))
    return path[:i] + extra + path[i:]


def _contact(person: int, rng: random.Random) -> str:
    """Person `person`'s contact, written one of the ways people write it."""
    if person % 5 == 0:
        user = f"Customer.{person}@Example.COM"
        return rng.choice((user, user.lower()))
    digits = f"139{person:08d}"
    return rng.choice(
        (
            digits,
            f"{digits[:3]} {digits[3:7]} {digits[7:]}",
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        )
    )


@dataclass
class Fixture:
    db: str  # the database's URL
    recs: list[Rec]


@pytest.fixture(scope="module")
def worlds() -> dict[str, Fixture]:
    """The fixture's database per backend, each built on first use (the tests only read it)."""
    return {}


@pytest.fixture
def world(worlds: dict[str, Fixture], backend: str, db_url: str, tmp_path_factory) -> Fixture:
    if backend not in worlds:
        if backend == "postgresql":
            url = postgres_schema("report")
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'register.db'}"
        worlds[backend] = build_world(url)
    return worlds[backend]


def build_world(db: str) -> Fixture:
    reg = Register(open_db(db, create=True), Settings())
    rng = random.Random(20251001)
    days = [
        dt.date(2025, 8, 1) + dt.timedelta(i)
        for i in range(92)
        if dt.date(2025, 8, 1) + dt.timedelta(i) not in EMPTY_DAYS
    ]
    arrivals: list[tuple[dt.datetime, int]] = []
    for _ in range(176):
        day = rng.choice(days)
        t = wall(day, rng.randrange(24), rng.randrange(60), rng.randrange(60))
        arrivals.append((t, rng.randrange(1, 250)))  # 249 people: some complain again
    # Fixed arrivals: National Day, its make-up working days, local-midnight edges, and
    # repeat contacts just inside and just outside the 90-day window.
    for day in [*NATIONAL_DAY, dt.date(2025, 9, 28), dt.date(2025, 10, 11)]:
        if day not in EMPTY_DAYS:
            arrivals.append((wall(day, rng.randrange(8, 20), rng.randrange(60)), 900 + day.day))
    arrivals += [
        (wall(dt.date(2025, 9, 30), 23, 59, 30), 950),
        (wall(dt.date(2025, 10, 1), 0, 0, 30), 951),
        (wall(dt.date(2025, 10, 31), 23, 58), 952),
        (wall(dt.date(2025, 8, 1), 0, 5), 953),
        (wall(dt.date(2025, 8, 31), 7, 30), 954),  # 2025-08-30 in UTC
        (wall(dt.date(2025, 8, 1), 9, 30), 960),
        (wall(dt.date(2025, 10, 30), 9, 0), 960),  # 89 d 23.5 h later: a repeat
        (wall(dt.date(2025, 8, 1), 10, 0), 961),
        (wall(dt.date(2025, 10, 31), 10, 30), 961),  # 91 days later: not a repeat
        (wall(dt.date(2025, 8, 2), 10, 0), 963),
        (wall(dt.date(2025, 10, 31), 10, 0), 963),  # exactly 90 days: within the window
        (wall(dt.date(2025, 9, 10), 11, 0), 962),
        (wall(dt.date(2025, 9, 10), 15, 0), 962),  # the same day: a repeat
    ]
    weights = [w for w, _ in PATHS]
    recs: list[Rec] = []
    special: dict[int, list[str]] = {
        # rejected without being classified, then the rejection withdrawn: waits at classify
        950: ["ack", "reject", "reopen"],
        # rejected after classification, then reopened and taken on again
        951: ["ack", "classify", "reject", "reopen", "classify", "assign", "investigate"],
    }
    for received, person in arrivals:
        rec = Rec(
            number="",
            person=person,
            received=received,
            channel=rng.choice(CHANNELS),
        )
        on_the_spot = rng.random() < 0.2
        logged = services.log_complaint(
            reg,
            now=NOW,
            actor="fixture",
            channel=rec.channel,
            customer_name=f"客户{person}",
            contact=_contact(person, rng),
            summary="投诉",
            received_at=received,
            ack=on_the_spot,
        )
        rec.number, rec.ack_due = logged.case.number, logged.case.ack_due
        path = special.get(person) or rng.choices([p for _, p in PATHS], weights)[0]
        if on_the_spot:
            rec.ack_at, rec.step = received, "classify"
            rec.steps.append(("ack", received))
            path = [a for a in path if a != "ack"]
        walker = Walker(reg, rng, rec)
        for i, action in enumerate(path):
            if not walker.do(action):
                break
            if action == "classify" and rec.escalate_due and not rec.escalated_at:
                # severity A: escalate and/or plan next (on time or late), then the rest
                walker.walk(_with_a_clocks(rng, path[i:])[1:])
                break
        recs.append(rec)
    reg.engine.dispose()
    # the fixture itself covers what the tests rely on
    assert 190 <= len(recs) <= 210
    got = {local_day(r.received) for r in recs}
    assert set(NATIONAL_DAY) - EMPTY_DAYS <= got and not EMPTY_DAYS & got
    assert {dt.date(2025, 9, 28), dt.date(2025, 10, 11)} <= got
    ties = {
        (a.person, b.person) for a in recs for b in recs if b.received - a.received == REPEAT_WINDOW
    }
    assert ties == {(963, 963)}  # only the one meant to sit on the boundary
    kinds = {a for r in recs for a, _ in r.steps}
    assert {"sat", "dissat", "close_expired", "close_early", "reopen", "escalate"} <= kinds
    assert any(r.category is None for r in recs) and any(r.owner is None for r in recs)
    return Fixture(db, recs)


# -- the expected figures, from the fixture's record ---------------------------------------
def pct(num: int, den: int) -> float | None:
    return round(100 * num / den, 1) if den else None


def working_days(received: dt.datetime, resolved: dt.datetime) -> int:
    """Working days after the local day of receipt up to and including the day resolved."""
    day, last, n = local_day(received), local_day(resolved), 0
    while day < last:
        day += dt.timedelta(1)
        n += CALENDAR.is_working_day(day)
    return n


def figures(recs: list[Rec], everyone: list[Rec], start: dt.date, end: dt.date) -> dict:
    """Every figure for local days [start, end) over `recs` (one group, or all cases);
    `everyone` is every case (an earlier complaint of a repeat contact is in any group)."""

    def inside(t: dt.datetime | None) -> bool:
        return t is not None and start <= local_day(t) < end

    received = [r for r in recs if inside(r.received)]
    accepted = [r for r in received if r.classified and r.step != "rejected"]
    out: dict[str, int | float | None] = {
        "received": len(received),
        "accepted": len(accepted),
        "rejected": sum(r.step == "rejected" for r in received),
        "closed": sum(r.step == "closed" and inside(r.ended_at) for r in recs),
        "open_at_end": sum(
            local_day(r.received) < end and (r.ended_at is None or local_day(r.ended_at) >= end)
            for r in recs
        ),
    }
    for key, (done, due) in ON_TIME.items():
        cohort = [r for r in recs if inside(getattr(r, done)) and getattr(r, due) is not None]
        out[key] = pct(sum(getattr(r, done) <= getattr(r, due) for r in cohort), len(cohort))
    resolved = [r for r in recs if inside(r.resolved_at)]
    days = [working_days(r.received, r.resolved_at) for r in resolved]
    out["resolved"] = len(resolved)
    out["mean_days_to_resolve"] = round(sum(days) / len(days), 2) if days else None
    out["median_days_to_resolve"] = float(statistics.median(days)) if days else None
    out["resolution_rate"] = pct(sum(r.resolved_at is not None for r in accepted), len(accepted))
    answered = [r for r in recs if inside(r.feedback_at)]
    out["feedback"] = len(answered)
    out["mean_score"] = (
        round(sum(r.score for r in answered) / len(answered), 2) if answered else None
    )
    out["satisfied_share"] = pct(sum(r.score >= SATISFIED_MIN for r in answered), len(answered))
    out["feedback_response_rate"] = pct(
        sum(r.feedback_at is not None and r.feedback_at >= r.resolved_at for r in resolved),
        len(resolved),
    )
    out["reopened"] = sum(any(inside(t) for t in r.reopens) for r in recs)
    out["repeat_complainants"] = sum(
        any(
            p is not r
            and p.person == r.person
            and r.received - REPEAT_WINDOW <= p.received < r.received
            for p in everyone
        )
        for r in received
    )
    out["merged"] = 0  # the fixture merges no duplicates (tests/test_fixes.py does)
    return out


def change(key: str, value, before):
    if value is None or before is None:
        return None
    unit = UNIT[key]
    if unit == "cases":
        return value - before
    return round(value - before, 1 if unit == "%" else 2)


def expected_rows(world: Fixture, period: Period, by: str | None = None) -> dict:
    """{(group, figure): (value, previous, change)} for `(all)` and, with `by`, each group."""
    prev = period.previous()
    recs = world.recs
    groups = {"(all)": recs}
    if by:
        for r in recs:
            groups.setdefault(getattr(r, by) or "(none)", []).append(r)
        groups["(all)"] = recs
    out = {}
    for g, members in groups.items():
        cur = figures(members, recs, period.start, period.end)
        before = figures(members, recs, prev.start, prev.end)
        for key in UNIT:
            out[(g, key)] = (cur[key], before[key], change(key, cur[key], before[key]))
    return out


def daily_counts(recs: list[Rec], start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    counts: dict[dt.date, int] = {}
    for r in recs:
        counts[local_day(r.received)] = counts.get(local_day(r.received), 0) + 1
    days = [start + dt.timedelta(i) for i in range((end - start).days)]
    return [(d, counts.get(d, 0)) for d in days]


def weekly_counts(recs: list[Rec], start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    weeks: dict[str, int] = {}
    for d, n in daily_counts(recs, start, end):
        iso = d.isocalendar()
        key = f"{iso.year}-W{iso.week:02d}"
        weeks[key] = weeks.get(key, 0) + n
    return list(weeks.items())


# -- running the CLI and reading what it printed -------------------------------------------
PERIODS = {
    "month 2025-10": (
        ("--month", "2025-10"),
        Period("month", dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
    ),
    "month 2025-09": (
        ("--month", "2025-09"),
        Period("month", dt.date(2025, 9, 1), dt.date(2025, 10, 1)),
    ),
    "quarter 2025Q3": (
        ("--quarter", "2025Q3"),
        Period("quarter", dt.date(2025, 7, 1), dt.date(2025, 10, 1)),
    ),
    "range National Day": (
        ("--from", "2025-09-29", "--to", "2025-10-12"),
        Period("range", dt.date(2025, 9, 29), dt.date(2025, 10, 13)),
    ),
}
_outputs: dict[tuple, str] = {}


def run_report(world: Fixture, *args: str) -> str:
    """`complaintctl report ARGS` on the fixture's database (outputs cached per database and
    args)."""
    key = (world.db, *args)
    if key not in _outputs:
        result = Run()("--db", world.db, "report", *args)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in result.output
        _outputs[key] = result.stdout
    return _outputs[key]


def number(text: str) -> int | float | None:
    if text == "n/a":
        return None
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def csv_table(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == [
        "period", "group", "figure", "label", "unit", "value", "previous", "change"
    ]  # fmt: skip
    return rows


def json_table(text: str) -> list[dict]:
    """The JSON's rows: a list of rows, or an object whose `rows`/`figures` are the figure
    rows and whose `chart` holds the bar chart's counts (returned as rows of figure
    `received_per_<unit>`, as in the CSV)."""
    data = json.loads(text)
    if isinstance(data, dict):
        chart = data.get("chart") or {}
        rows = list(data["rows"] if "rows" in data else data["figures"])
        for bar in chart.get("received", []):
            rows.append(
                {
                    "period": rows[0]["period"] if rows else None,
                    "group": bar["label"],
                    "figure": f"received_per_{chart['unit']}",
                    "label": bar["label"],
                    "value": bar["count"],
                }
            )
        data = rows
    assert isinstance(data, list) and all(isinstance(r, dict) for r in data)
    return data


def compare(expected: dict, got: dict) -> list[str]:
    """Mismatches between {(group, key): (value, previous, change)} dicts, one line each."""
    problems = []
    for k in sorted(set(expected) | set(got), key=str):
        if expected.get(k) != got.get(k):
            problems.append(f"{k}: expected {expected.get(k)}, got {got.get(k)}")
    return problems


def assert_same(expected: dict, got: dict) -> None:
    problems = compare(expected, got)
    assert not problems, f"{len(problems)} figure(s) differ:\n" + "\n".join(problems)


def figure_rows(rows: list[dict], parse) -> tuple[dict, list[dict]]:
    """The figure rows as {(group, key): (value, previous, change)}, and the chart rows."""
    got, chart = {}, []
    for r in rows:
        if r["figure"].startswith("received_per_"):
            chart.append(r)
            continue
        assert r["label"] == LABEL[r["figure"]] and r["unit"] == UNIT[r["figure"]], r
        got[(r["group"], r["figure"])] = tuple(parse(r[c]) for c in ("value", "previous", "change"))
    return got, chart


def screen_rows(text: str) -> dict[str, tuple[str, str, str]]:
    """The totals table on screen: {label: (this period, previous, change)} as printed."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) == 4 and cells[0] in LABEL.values():
            out[cells[0]] = tuple(cells[1:])
    return out


def restrict(expected: dict, groups: set[str]) -> dict:
    return {k: v for k, v in expected.items() if k[0] in groups}


# -- every figure, every format ------------------------------------------------------------
@pytest.mark.parametrize("name", list(PERIODS))
def test_the_api_period_matches_the_options(name):
    args, period = PERIODS[name]
    options = dict(zip(args[::2], args[1::2], strict=True))
    got = parse_period(
        dt.date(2025, 11, 20),
        month=options.get("--month"),
        quarter=options.get("--quarter"),
        start=dt.date.fromisoformat(options["--from"]) if "--from" in options else None,
        end=dt.date.fromisoformat(options["--to"]) if "--to" in options else None,
    )
    assert got == period


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_figure_in_the_csv_matches_the_independent_computation(world, name):
    args, period = PERIODS[name]
    rows = csv_table(run_report(world, *args, "--format", "csv"))
    assert {r["period"] for r in rows} == {period.label}
    got, _ = figure_rows(rows, number)
    expected = expected_rows(world, period)
    assert [k for (_, k) in got] == list(UNIT)  # the README's order, (all) only
    assert_same(expected, got)
    for r in rows:  # the numbers are written as on screen: 75 not 75.0, n/a, no unit sign
        if r["figure"].startswith("received_per_"):
            continue
        value, before, _ = expected[(r["group"], r["figure"])]
        assert (r["value"], r["previous"]) == (cell(value), cell(before)), r
        if r["unit"] == "cases":
            assert re.fullmatch(r"-?\d+", r["change"]), r


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_figure_in_the_json_matches_the_independent_computation(world, name):
    args, period = PERIODS[name]
    rows = json_table(run_report(world, *args, "--format", "json"))
    assert {r["period"] for r in rows} == {period.label}
    got, _ = figure_rows(rows, lambda v: v)
    assert_same(expected_rows(world, period), got)
    for r in rows:
        if not r["figure"].startswith("received_per_"):
            for c in ("value", "previous", "change"):
                assert r[c] is None or isinstance(r[c], int | float), r  # null, never "n/a"


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_figure_on_screen_matches_the_independent_computation(world, name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    args, period = PERIODS[name]
    text = run_report(world, *args)
    assert f"— {period.label} (previous: {period.previous().label})" in text
    shown = screen_rows(text)
    expected = expected_rows(world, period)
    want = {
        LABEL[key]: (
            cell(value, UNIT[key]),
            cell(before, UNIT[key]),
            change_cell(diff, UNIT[key]),
        )
        for (_, key), (value, before, diff) in expected.items()
    }
    assert_same(want, shown)


def test_the_quarter_before_the_first_cases_is_all_zeros_and_n_a(world):
    rows = csv_table(run_report(world, "--quarter", "2025Q3", "--format", "csv"))
    for r in rows:
        if r["figure"].startswith("received_per_"):
            continue
        assert r["previous"] == ("0" if r["unit"] == "cases" else "n/a"), r
        if r["unit"] != "cases":
            assert r["change"] == "n/a", r


def test_the_fixture_exercises_late_and_on_time_steps_in_october(world):
    """Guards the fixture: the October figures are not trivially 0 % or 100 %."""
    ex = expected_rows(world, PERIODS["month 2025-10"][1])
    for key in ("ontime_acknowledge", "ontime_investigate", "ontime_resolve"):
        assert 0 < ex[("(all)", key)][0] < 100, key
    for key in ("reopened", "repeat_complainants", "closed", "feedback", "rejected"):
        assert ex[("(all)", key)][0] > 0, key


# -- --by ----------------------------------------------------------------------------------
def _by_expected(world: Fixture, period: Period, by: str, listed: set[str]) -> dict:
    expected = expected_rows(world, period, by)
    nonzero = {
        g
        for (g, key), (value, before, _) in expected.items()
        if key in COUNTS and (value or before)
    }
    assert nonzero <= listed, f"groups with figures but not listed: {nonzero - listed}"
    assert listed <= {g for g, _ in expected}, (
        f"unknown groups: {listed - {g for g, _ in expected}}"
    )
    return restrict(expected, listed)


@pytest.mark.parametrize("by", ["category", "department", "channel", "severity", "owner", "kind"])
def test_every_figure_per_group_in_the_csv(world, by):
    period = PERIODS["month 2025-10"][1]
    rows = csv_table(run_report(world, "--month", "2025-10", "--by", by, "--format", "csv"))
    got, _ = figure_rows(rows, number)
    listed = {g for g, _ in got}
    assert "(all)" in listed
    if by in ("category", "department", "owner", "kind", "severity"):
        assert "(none)" in listed  # e.g. the unclassified, unassigned cases
    assert_same(_by_expected(world, period, by, listed), got)


@pytest.mark.parametrize("by", ["category", "department"])
def test_every_figure_per_group_in_the_json(world, by):
    period = PERIODS["month 2025-10"][1]
    rows = json_table(run_report(world, "--month", "2025-10", "--by", by, "--format", "json"))
    got, _ = figure_rows(rows, lambda v: v)
    listed = {g for g, _ in got}
    assert "(none)" in listed
    assert_same(_by_expected(world, period, by, listed), got)


@pytest.mark.parametrize("by", ["category", "department"])
def test_every_figure_per_group_on_screen(world, by, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    period = PERIODS["month 2025-10"][1]
    text = run_report(world, "--month", "2025-10", "--by", by)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"By {by}"))
    header = next(line for line in lines[start:] if "Figure" in line)
    groups = [c.strip() for c in header.strip().strip("┃").split("┃")][1:]
    assert "(none)" in groups
    expected = _by_expected(world, period, by, set(groups) | {"(all)"})
    problems = []
    seen = set()
    for line in lines[start:]:
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) != len(groups) + 1 or cells[0] not in LABEL.values():
            continue
        key = next(k for k, label in LABEL.items() if label == cells[0])
        seen.add(key)
        for g, shown in zip(groups, cells[1:], strict=True):
            value, _, diff = expected[(g, key)]
            want = f"{cell(value, UNIT[key])} ({change_cell(diff, UNIT[key])})"
            if shown != want:
                problems.append(f"{g} {key}: expected {want!r}, got {shown!r}")
    assert seen == set(UNIT)
    assert not problems, "\n".join(problems)


# -- the bar chart -------------------------------------------------------------------------
def test_the_october_chart_counts_every_local_day_including_the_empty_holidays(world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    want = daily_counts(world.recs, dt.date(2025, 10, 1), dt.date(2025, 11, 1))
    assert [n for d, n in want if d in EMPTY_DAYS] == [0, 0]
    assert all(n > 0 for d, n in want if d in NATIONAL_DAY and d not in EMPTY_DAYS)
    text = run_report(world, "--month", "2025-10")
    assert "Received per day" in text
    bars = re.findall(r"^(\d\d-\d\d) \w+\s+│ [█▏]* ?(\d+)$", text, re.M)
    assert bars == [(f"{d:%m-%d}", str(n)) for d, n in want]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_october_chart_is_in_the_csv_and_json_as_received_per_day_rows(world, fmt):
    want = daily_counts(world.recs, dt.date(2025, 10, 1), dt.date(2025, 11, 1))
    text = run_report(world, "--month", "2025-10", "--format", fmt)
    rows = csv_table(text) if fmt == "csv" else json_table(text)
    chart = [r for r in rows if r["figure"] == "received_per_day"]
    assert [int(r["value"]) for r in chart] == [n for _, n in want]
    for r, (d, _) in zip(chart, want, strict=True):  # the bucket: in `group` or `label`
        assert f"{d:%m-%d}" in r["group"] + r["label"], r


def test_the_range_chart_is_daily_over_its_fourteen_days(world):
    want = daily_counts(world.recs, dt.date(2025, 9, 29), dt.date(2025, 10, 13))
    text = run_report(world, "--from", "2025-09-29", "--to", "2025-10-12", "--format", "csv")
    chart = [r for r in csv_table(text) if r["figure"] == "received_per_day"]
    assert [int(r["value"]) for r in chart] == [n for _, n in want]


def test_the_quarter_chart_counts_per_iso_week(world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    want = weekly_counts(world.recs, dt.date(2025, 7, 1), dt.date(2025, 10, 1))
    assert want[0] == ("2025-W27", 0) and want[-1][0] == "2025-W40"
    text = run_report(world, "--quarter", "2025Q3")
    assert "Received per week" in text
    bars = re.findall(r"^(\d{4}-W\d\d)\s+│ [█▏]* ?(\d+)$", text, re.M)
    assert bars == [(label, str(n)) for label, n in want]
    rows = csv_table(run_report(world, "--quarter", "2025Q3", "--format", "csv"))
    chart = [r for r in rows if r["figure"] == "received_per_week"]
    assert [int(r["value"]) for r in chart] == [n for _, n in want]
    for r, (label, _) in zip(chart, want, strict=True):
        assert label in r["group"] + r["label"], r


# -- a month without cases -----------------------------------------------------------------
def test_a_month_without_cases_is_zeros_and_n_a_on_screen(world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    shown = screen_rows(run_report(world, "--month", "2024-01"))
    assert set(shown) == set(LABEL.values())
    for _, label, unit in FIGURES:
        assert shown[label] == (("0", "0", "0") if unit == "cases" else ("n/a",) * 3), label


def test_a_month_without_cases_is_zeros_and_n_a_in_the_csv(world):
    rows = csv_table(run_report(world, "--month", "2024-01", "--format", "csv"))
    got, chart = figure_rows(rows, lambda v: v)
    assert list(got) == [("(all)", key) for key in UNIT]
    for (_, key), cells in got.items():
        assert cells == (("0", "0", "0") if UNIT[key] == "cases" else ("n/a",) * 3), key
    per_day = [r for r in rows if r["figure"] == "received_per_day"]
    assert len(per_day) == 31 and {r["value"] for r in per_day} == {"0"}


def test_a_month_without_cases_is_zeros_and_null_in_the_json(world):
    rows = json_table(run_report(world, "--month", "2024-01", "--format", "json"))
    got, _ = figure_rows(rows, lambda v: v)
    assert list(got) == [("(all)", key) for key in UNIT]
    for (_, key), cells in got.items():
        assert cells == ((0, 0, 0) if UNIT[key] == "cases" else (None, None, None)), key


def test_an_empty_register_reports_without_a_crash(cli):
    result = cli("report", "--month", "2025-10", "--format", "csv")
    assert result.exit_code == 0, result.output
    got, _ = figure_rows(csv_table(result.stdout), lambda v: v)
    assert got[("(all)", "received")] == ("0", "0", "0")
    assert got[("(all)", "mean_days_to_resolve")] == ("n/a",) * 3


# -- periods -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "first", "end"),
    [
        (dt.date(2025, 11, 20), dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        (dt.date(2025, 11, 1), dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        (dt.date(2025, 1, 15), dt.date(2024, 12, 1), dt.date(2025, 1, 1)),
        (dt.date(2024, 3, 31), dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
    ],
)
def test_the_default_period_is_the_last_full_month(today, first, end):
    assert parse_period(today) == Period("month", first, end)


def test_the_cli_default_is_the_last_full_month_before_today(cli):
    from complaintctl.clock import utc_now

    today = local_day(utc_now())
    first = (today.replace(day=1) - dt.timedelta(1)).replace(day=1)
    rows = csv_table(cli.ok("report", "--format", "csv"))
    assert {r["period"] for r in rows} == {f"{first:%Y-%m}"}


@pytest.mark.parametrize("text", ["2025Q3", "2025q3", "2025-Q3", " 2025Q3 "])
def test_a_quarter_is_its_three_months(text):
    p = parse_period(dt.date(2025, 11, 20), quarter=text)
    assert (p.kind, p.start, p.end, p.label) == (
        "quarter",
        dt.date(2025, 7, 1),
        dt.date(2025, 10, 1),
        "2025Q3",
    )


def test_from_and_to_are_both_inclusive():
    p = parse_period(dt.date(2025, 11, 20), start=dt.date(2025, 9, 29), end=dt.date(2025, 10, 12))
    assert (p.start, p.end, p.label) == (
        dt.date(2025, 9, 29),
        dt.date(2025, 10, 13),
        "2025-09-29..2025-10-12",
    )
    one = parse_period(dt.date(2025, 11, 20), start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 1))
    assert (one.start, one.end) == (dt.date(2025, 10, 1), dt.date(2025, 10, 2))


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (Period("month", dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
         Period("month", dt.date(2025, 9, 1), dt.date(2025, 10, 1))),
        (Period("month", dt.date(2025, 3, 1), dt.date(2025, 4, 1)),
         Period("month", dt.date(2025, 2, 1), dt.date(2025, 3, 1))),
        (Period("month", dt.date(2025, 1, 1), dt.date(2025, 2, 1)),
         Period("month", dt.date(2024, 12, 1), dt.date(2025, 1, 1))),
        (Period("quarter", dt.date(2025, 7, 1), dt.date(2025, 10, 1)),
         Period("quarter", dt.date(2025, 4, 1), dt.date(2025, 7, 1))),
        (Period("quarter", dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
         Period("quarter", dt.date(2024, 10, 1), dt.date(2025, 1, 1))),
        (Period("year", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
         Period("year", dt.date(2024, 1, 1), dt.date(2025, 1, 1))),
        (Period("range", dt.date(2025, 9, 29), dt.date(2025, 10, 13)),
         Period("range", dt.date(2025, 9, 15), dt.date(2025, 9, 29))),
        (Period("range", dt.date(2025, 3, 1), dt.date(2025, 3, 2)),
         Period("range", dt.date(2025, 2, 28), dt.date(2025, 3, 1))),
    ],
)  # fmt: skip
def test_the_previous_period(period, previous):
    assert period.previous() == previous


def test_the_report_names_both_periods(world):
    rows = csv_table(
        run_report(world, "--from", "2025-09-29", "--to", "2025-10-12", "--format", "csv")
    )
    assert {r["period"] for r in rows} == {"2025-09-29..2025-10-12"}
    assert "(previous: 2025-09-15..2025-09-28)" in run_report(
        world, "--from", "2025-09-29", "--to", "2025-10-12"
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--month", "2025-13"), "--month"),
        (("--month", "October"), "--month"),
        (("--quarter", "2025Q5"), "--quarter"),
        (("--year", "25"), "--year"),
        (("--from", "2025-10-01"), "--from"),
        (("--to", "2025-10-01"), "--from"),
        (("--from", "2025-10-12", "--to", "2025-10-01"), "--to"),
        (("--from", "someday", "--to", "2025-10-01"), "--from"),
        (("--month", "2025-10", "--quarter", "2025Q4"), "--quarter"),
        (("--month", "2025-10", "--from", "2025-10-01", "--to", "2025-10-02"), "--from"),
    ],
)
def test_a_bad_period_is_one_line_naming_the_option(cli, args, option):
    result = cli("report", *args)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert option in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_breakdown_is_a_usage_error(cli):
    result = cli("report", "--month", "2025-10", "--by", "colour")
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == ""
    assert "--by" in result.stderr and "Traceback" not in result.output
