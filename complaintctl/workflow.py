"""The workflow as data: what each action may follow, the step it enters, the time it
stamps, the clocks it starts and stops and the outcome it sets (`MOVES`), and the one
function that applies an action to a case's state (`apply`).

Live commands (through `models.Case.apply`), hold and resume, an import (each row's step
times replayed in order, `replay`) and `db check` all go through this module; nothing
else decides a step, a deadline or an outcome.  Plain values in and out: a case's state
is a dict of its columns, times are naive UTC, and the calendar comes in as a function
`clock(name, start) -> deadline | None` (and `shift` for the time a clock was paused),
so this module knows no database, calendar or language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from complaintctl.enums import ENDED_STEPS, OPEN_STEPS, Action, Outcome, Severity, Step

Clock = Callable[[str, dt.datetime], "dt.datetime | None"]
"""Given a clock name (a step, or 'escalate'/'plan') and its start, the deadline or None."""
Shift = Callable[[str, dt.datetime, dt.datetime, dt.datetime], dt.datetime]
"""Given a step clock's name, its deadline and the time it was paused (from, to): the
deadline moved by the working time spent paused."""

# The column that keeps each clocked step's deadline after the case has moved on (a step
# not named here has its deadline in step_due_at only, while it is current).
STEP_DUE = {
    Step.acknowledge.value: "ack_due",
    Step.investigate.value: "investigate_due",
    Step.resolve.value: "resolve_due",
    Step.feedback.value: "feedback_due",
}
# The severity-A clocks, started when a case is graded A: (due column, the time that meets it).
A_CLOCKS = {"escalate": ("escalate_due", "escalated_at"), "plan": ("plan_due", "plan_at")}
# What a step done again after a reopen starts over: (its done time, its due column).  The
# last score given stays on the case, so feedback has no done time here.
ROUND = {
    Step.investigate.value: ("investigated_at", "investigate_due"),
    Step.resolve.value: ("resolved_at", "resolve_due"),
    Step.feedback.value: (None, "feedback_due"),
}
# Procedure order: a forward move enters its step only from a step before it (so
# re-classifying or re-assigning an open case records the change without moving it).
ORDER = {step.value: i for i, step in enumerate(OPEN_STEPS)} | {
    step.value: len(OPEN_STEPS) for step in ENDED_STEPS
}

STEP = "step"  # the current step's clock, in `starts`/`stops`

# A case's columns the workflow reads or writes: a live case hands these to `apply`.
COLUMNS = (
    "received_at",
    "step",
    "step_started_at",
    "step_due_at",
    "due_at",
    "on_hold",
    "hold_started_at",
    "hold_reason",
    "hold_until",
    "acknowledged_at",
    "ack_due",
    "severity",
    "classified_at",
    "reject_reason",
    "owner",
    "assigned_at",
    "escalate_due",
    "escalated_at",
    "plan_due",
    "plan_at",
    "investigated_at",
    "investigate_due",
    "resolved_at",
    "resolve_due",
    "feedback_score",
    "feedback_at",
    "feedback_due",
    "outcome",
    "closed_at",
    "close_reason",
    "reopen_count",
)
# Of those, the ones an action is given (its own values); the workflow decides the rest.
OWN_FIELDS = frozenset(
    {
        "severity",
        "owner",
        "hold_reason",
        "hold_until",
        "reject_reason",
        "close_reason",
        "feedback_score",
    }
)


@dataclass(frozen=True, slots=True)
class Move:
    """One action's row of the workflow table."""

    allowed_from: tuple[Step, ...]
    enters: Step | None = None  # entered when the case is before it (reopen: always)
    stamps: str | None = None  # the time column set to the action's time
    stamps_entering_only: bool = False  # ...only when the action moves the case
    starts: tuple[str, ...] = ()  # clocks started besides the entered step's own
    stops: tuple[str, ...] = ()  # clocks stopped (met, or paused: the step's)
    outcome: Outcome | None = None  # set when the action ends the case
    late_outcome: Outcome | None = None  # instead, once the feedback window has passed
    reopens: bool = False  # back to an earlier step: the round starts over
    unowned_enters: Step | None = None  # reopen: where a case without an owner goes
    otherwise_reopens: Step | None = None  # feedback that does not satisfy: back to here
    clears: tuple[str, ...] = ()  # columns emptied
    clears_from_rejected: tuple[str, ...] = ()  # ...and these, leaving a rejection
    side: bool = False  # does not change what the case waits for (not shown as "next")
    on_hold: bool = False  # may be taken while the case is on hold
    # The steps as plain strings, for `_move` (an import runs it several times per row).
    _to: str | None = field(default=None, init=False, repr=False, compare=False)
    _order: int = field(default=-1, init=False, repr=False, compare=False)
    _new: bool = field(default=False, init=False, repr=False, compare=False)  # log

    def __post_init__(self) -> None:
        if self.enters is not None:
            object.__setattr__(self, "_to", self.enters.value)
            object.__setattr__(self, "_order", ORDER[self.enters.value])
        object.__setattr__(self, "_new", not self.allowed_from)


_ALL = tuple(Step)
_A = ("escalate", "plan")

MOVES: dict[Action, Move] = {
    Action.log: Move((), enters=Step.acknowledge),
    Action.ack: Move((Step.acknowledge,), enters=Step.classify, stamps="acknowledged_at"),
    # Re-classifying an open case is allowed (and recorded); it does not move the case.
    Action.classify: Move(
        (Step.classify, Step.assign, Step.investigate, Step.resolve),
        enters=Step.assign,
        stamps="classified_at",
        starts=_A,
    ),
    Action.reject: Move(
        (Step.classify, Step.assign),
        enters=Step.rejected,
        stamps="classified_at",  # the rejection is its classification
        outcome=Outcome.rejected,
    ),
    # Re-assigning is allowed too; only the first assignment is the step's time.
    Action.assign: Move(
        (Step.assign, Step.investigate, Step.resolve),
        enters=Step.investigate,
        stamps="assigned_at",
        stamps_entering_only=True,
    ),
    Action.investigate: Move((Step.investigate,), enters=Step.resolve, stamps="investigated_at"),
    Action.resolve: Move((Step.resolve,), enters=Step.feedback, stamps="resolved_at"),
    # Satisfied: the case ends; dissatisfied: back to its owner (see `apply`).
    Action.feedback: Move(
        (Step.feedback,),
        enters=Step.closed,
        stamps="feedback_at",
        outcome=Outcome.satisfied,
        otherwise_reopens=Step.investigate,
    ),
    Action.close: Move(
        (Step.feedback,),
        enters=Step.closed,
        outcome=Outcome.closed,
        late_outcome=Outcome.expired,
    ),
    Action.reopen: Move(
        ENDED_STEPS,
        enters=Step.investigate,
        unowned_enters=Step.classify,
        reopens=True,
        clears=("outcome", "closed_at", "reject_reason", "close_reason"),
        # Back to be classified afresh: the rejection was its classification.
        clears_from_rejected=("classified_at",),
    ),
    Action.hold: Move(OPEN_STEPS, stamps="hold_started_at", stops=(STEP,), side=True, on_hold=True),
    Action.resume: Move(
        OPEN_STEPS,
        starts=(STEP,),
        clears=("hold_started_at", "hold_reason", "hold_until"),
        side=True,
        on_hold=True,
    ),
    Action.escalate: Move(
        OPEN_STEPS, stamps="escalated_at", stops=("escalate",), side=True, on_hold=True
    ),
    Action.plan: Move(OPEN_STEPS, stamps="plan_at", stops=("plan",), side=True, on_hold=True),
    Action.note: Move(_ALL, side=True, on_hold=True),
    Action.attach: Move(_ALL, side=True, on_hold=True),
    # The retention policy: personal data of ended cases only.
    Action.purge: Move(ENDED_STEPS, side=True),
}

# For each action taken on an existing case, the steps it may be taken from.
ALLOWED: dict[Action, tuple[Step, ...]] = {
    action: move.allowed_from for action, move in MOVES.items() if action is not Action.log
}


def allowed_actions(step: Step | str) -> list[str]:
    """The workflow actions a case at `step` may take next, in procedure order."""
    step = Step(step)
    return [a.value for a, steps in ALLOWED.items() if step in steps and not MOVES[a].side]


def refusal(step: str, on_hold: bool, action: Action) -> str | None:
    """Why `action` may not be taken now, or None: 'step' (not from this step), 'on_hold'
    (run resume first), 'already_on_hold', 'not_on_hold'."""
    move = MOVES[action]
    if step not in move.allowed_from:
        return "step"
    if on_hold and not move.on_hold:
        return "on_hold"
    if on_hold and action is Action.hold:
        return "already_on_hold"
    if not on_hold and action is Action.resume:
        return "not_on_hold"
    return None


def earliest_pending(c: Mapping) -> dt.datetime | None:
    """The earliest deadline still pending on a case (a dict of its columns): the step's
    clock unless on hold, and unmet severity-A clocks; None once ended."""
    get = c.get
    if get("step") in _ENDED:
        return None
    pending = None if get("on_hold") else get("step_due_at")
    for due, met in _A_COLUMNS:
        due = get(due)
        if due is not None and get(met) is None and (pending is None or due < pending):
            pending = due
    return pending


_ENDED = frozenset(s.value for s in ENDED_STEPS)
_A_COLUMNS = tuple(A_CLOCKS.values())
_OPEN = frozenset(s.value for s in OPEN_STEPS)
_MOVES = {action.value: move for action, move in MOVES.items()}
_MOVES.update(MOVES)
_SEVERITY_A = Severity.A.value
_REJECTED = Step.rejected.value
_NO_CLOCK: Clock = lambda name, start: None  # noqa: E731


def apply(
    state: Mapping,
    action: Action,
    at: dt.datetime,
    clock: Clock,
    fields: Mapping | None = None,
    *,
    satisfied: bool | None = None,
    shift: Shift | None = None,
) -> dict:
    """Take `action` at `at` on a case in `state` (a mapping of its columns): the columns
    that change, with their new values.  `state` itself is left as it is.

    `fields` are the action's own values (category, owner, score, ...), set first; this
    function sets every step, time, deadline and outcome column that goes with them.
    `satisfied` is feedback's verdict (True: the case ends satisfied; False: back to its
    owner; None: the score is only recorded).  `shift` moves a resumed step's deadline by
    the time spent on hold (None: the deadline stays).  Whether the action is allowed now
    is `refusal()`'s question, asked first by live commands.
    """
    s = dict(state)
    if fields:
        s.update(fields)
    _move(s, _MOVES[action], at, clock, satisfied, shift)
    s["due_at"] = earliest_pending(s)
    missing = object()
    get = state.get
    return {k: v for k, v in s.items() if get(k, missing) != v}


def _move(
    s: dict,
    move: Move,
    at: dt.datetime,
    clock: Clock,
    satisfied: bool | None = None,
    shift: Shift | None = None,
) -> None:
    """`apply` on `s` in place, due_at aside (the import replays several moves per row)."""
    step = s.get("step")
    enters = move._to
    if move.starts:
        if move.starts[0] == STEP:  # resume: the paused step clock runs again
            due = s.get("step_due_at")
            if due is not None and shift is not None:
                _set_step_due(s, step, shift(step, due, s["hold_started_at"], at))
            s["on_hold"] = False
        elif s.get("severity") == _SEVERITY_A:
            if not s.get("escalate_due"):
                for name in move.starts:
                    s[A_CLOCKS[name][0]] = clock(name, at)
        else:
            # Graded other than A: the A clocks not yet met no longer apply.
            for due, met in _A_COLUMNS:
                if s.get(due) is not None and not s.get(met):
                    s[due] = None
    if move.stops and move.stops[0] == STEP:  # hold: the step clock pauses
        s["on_hold"] = True
    if move.clears:
        for name in move.clears:
            s[name] = None
        if step == _REJECTED:
            for name in move.clears_from_rejected:
                s[name] = None
    if enters is None:
        if move.stamps:
            s[move.stamps] = at
        return
    if move.reopens:
        if move.stamps:
            s[move.stamps] = at
        _reopen(s, enters if s.get("owner") else move.unowned_enters.value, at, clock)
        return
    entering = move._new or ORDER.get(step, -1) < move._order
    if move.stamps and (entering or not move.stamps_entering_only):
        s[move.stamps] = at
    if not entering:
        return
    if move.outcome is None:
        _enter(s, enters, at, clock)
    elif move.otherwise_reopens is not None and not satisfied:
        if satisfied is not None:  # dissatisfied (None: a score only recorded)
            _reopen(s, move.otherwise_reopens.value, at, clock)
    else:
        late = s.get("feedback_due") if move.late_outcome is not None else None
        _end(s, move.late_outcome if late is not None and at >= late else move.outcome, enters, at)


def _set_step_due(s: dict, step: str, due: dt.datetime | None) -> None:
    s["step_due_at"] = due
    column = STEP_DUE.get(step)
    if column:
        s[column] = due


def _enter(s: dict, step: str, at: dt.datetime, clock: Clock) -> None:
    """Make `step` current and start its clock at `at`."""
    s["step"] = step
    s["step_started_at"] = at
    due = clock(step, at) if step in _OPEN else None
    s["step_due_at"] = due
    column = STEP_DUE.get(step)
    if column:
        s[column] = due


def _end(s: dict, outcome: Outcome, step: str, at: dt.datetime) -> None:
    s["outcome"] = outcome.value
    s["closed_at"] = at
    _enter(s, step, at, _NO_CLOCK)


def _reopen(s: dict, step: str, at: dt.datetime, clock: Clock) -> None:
    """Back to `step` with a fresh clock; the later steps' times start over (the earlier
    round stays in the history)."""
    s["reopen_count"] = (s.get("reopen_count") or 0) + 1
    first = ORDER[step]
    for later, (done, due) in ROUND.items():
        if ORDER[later] >= first:
            if done:
                s[done] = None
            s[due] = None
    _enter(s, step, at, clock)


# An imported row's step times, in procedure order, and the action each one records.
_REPLAYED = (
    ("acknowledged_at", MOVES[Action.ack]),
    ("classified_at", MOVES[Action.classify]),
    ("assigned_at", MOVES[Action.assign]),
    ("investigated_at", MOVES[Action.investigate]),
    ("resolved_at", MOVES[Action.resolve]),
)
_LOG, _REJECT, _FEEDBACK, _CLOSE = (
    MOVES[a] for a in (Action.log, Action.reject, Action.feedback, Action.close)
)
# Set on every imported row (None when its step time is not given), so that `import
# --update` empties what a newer file no longer says.
_ALWAYS = ("investigate_due", "resolve_due", "feedback_due", "outcome")


def replay(v: dict, clock: Clock, satisfied_min_score: int) -> dict:
    """Complete the columns of a case imported with its history, in place: `v` holds what
    the source gave (received_at, step times, outcome fields); its step times are replayed
    as the actions they record (log, ack, classify, assign, investigate, resolve, then
    reject, a satisfied feedback or close), so every clock, the step it now waits at, its
    outcome and due_at are what live commands would have set.

    The source is not checked against `refusal()`: its history stands as recorded (a step
    time it leaves out is a step it did not record, not one to refuse).  Feedback that did
    not satisfy is only recorded (the source's own later times say what came next)."""
    for name in _ALWAYS:
        v[name] = None
    get = v.get
    received = v["received_at"]
    _move(v, _LOG, received, clock)
    for column, move in _REPLAYED:
        t = get(column)
        if t:
            _move(v, move, t, clock)
    closed = get("closed_at")
    if get("reject_reason"):
        classified = get("classified_at")
        _move(v, _REJECT, closed or classified or received, clock)
        if classified:  # classified first, rejected later: both as the source says
            v["classified_at"] = classified
    else:
        feedback_at = get("feedback_at")
        score = get("feedback_score")
        if feedback_at and score is not None and score >= satisfied_min_score:
            _move(v, _FEEDBACK, closed or feedback_at, clock, True)
            v["feedback_at"] = feedback_at  # given, then closed (maybe later)
        elif closed:
            _move(v, _CLOSE, closed, clock)
    v["due_at"] = earliest_pending(v)
    return v
