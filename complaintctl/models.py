"""The register's tables, its closed sets of values, and the workflow state machine.

A case is always *at* one step: the step it is waiting for.  The only way to change a
case's step is `Case.apply()`, which checks the transition table, stamps the time and
starts the next step's clock (the clock itself is passed in, so this module knows no
calendar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from complaintctl.enums import (
    CLOCKED_STEPS,
    ENDED_STEPS,
    OPEN_STEPS,
    Action,
    CustomerType,
    Kind,
    Outcome,
    Remedy,
    Responsibility,
    Severity,
    Step,
)
from complaintctl.errors import InvalidTransition
from complaintctl.i18n import _, current, label

__all__ = [
    "CLOCKED_STEPS",
    "ENDED_STEPS",
    "OPEN_STEPS",
    "Action",
    "Attachment",
    "Case",
    "Counter",
    "CustomerType",
    "Event",
    "Kind",
    "Meta",
    "Outcome",
    "Remedy",
    "Responsibility",
    "Severity",
    "Step",
]


# The transition table: for each action, the steps it may be taken from.  Re-classifying
# and re-assigning an open case are allowed (and recorded); they do not move the case.
ALLOWED: dict[Action, tuple[Step, ...]] = {
    Action.ack: (Step.acknowledge,),
    Action.classify: (Step.classify, Step.assign, Step.investigate, Step.resolve),
    Action.reject: (Step.classify, Step.assign),
    Action.assign: (Step.assign, Step.investigate, Step.resolve),
    Action.investigate: (Step.investigate,),
    Action.resolve: (Step.resolve,),
    Action.feedback: (Step.feedback,),
    Action.close: (Step.feedback,),
    Action.reopen: ENDED_STEPS,
    Action.hold: OPEN_STEPS,
    Action.resume: OPEN_STEPS,
    Action.escalate: OPEN_STEPS,
    Action.plan: OPEN_STEPS,
    Action.note: tuple(Step),
    Action.attach: tuple(Step),
    Action.purge: ENDED_STEPS,  # the retention policy: personal data of ended cases only
}
# Actions that do not change what the case is waiting for, so are left out of "what next".
_SIDE_ACTIONS = {
    Action.note,
    Action.attach,
    Action.hold,
    Action.resume,
    Action.escalate,
    Action.plan,
    Action.purge,
}


def allowed_actions(step: Step) -> list[str]:
    """The workflow actions a case at `step` may take next, in procedure order."""
    return [a.value for a, steps in ALLOWED.items() if step in steps and a not in _SIDE_ACTIONS]


# The column that keeps each clocked step's deadline after the case has moved on.
_DUE_COLUMN = {
    Step.acknowledge: "ack_due",
    Step.investigate: "investigate_due",
    Step.resolve: "resolve_due",
    Step.feedback: "feedback_due",
}

# For the steps a reopened case goes through again: (done-at column, due column).
_ROUND_FIELDS = {
    Step.investigate: ("investigated_at", "investigate_due"),
    Step.resolve: ("resolved_at", "resolve_due"),
    Step.feedback: (None, "feedback_due"),  # the last score given stays on the case
}

Clock = Callable[[str, dt.datetime], "dt.datetime | None"]
"""Given a clock name (a step, or 'escalate'/'plan') and its start, the deadline or None."""


class Case(SQLModel, table=True):
    """One complaint: what the register form records, where it stands, and its clocks.

    Times are naive UTC (plain DateTime columns, the same on SQLite and PostgreSQL).
    `due_at` is the earliest deadline still pending (step clock, or a
    severity-A clock), NULL when nothing is pending: "what is overdue" is one index range.
    """

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    external_ref: str | None = Field(default=None, index=True)

    channel: str
    customer_name: str
    contact: str
    contact_key: str  # indexed with received_at (below)
    customer_type: str = CustomerType.individual.value
    summary: str
    description: str | None = None
    demand: str | None = None
    order_no: str | None = None
    product: str | None = None
    amount_claimed_cents: int | None = None

    received_at: dt.datetime = Field(index=True, sa_type=sa.DateTime)
    logged_at: dt.datetime = Field(sa_type=sa.DateTime)
    logged_by: str

    step: str = Field(default=Step.acknowledge.value, index=True)
    step_started_at: dt.datetime = Field(sa_type=sa.DateTime)
    step_due_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    due_at: dt.datetime | None = Field(default=None, index=True, sa_type=sa.DateTime)
    on_hold: bool = False
    hold_started_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    hold_reason: str | None = None

    acknowledged_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    ack_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

    category: str | None = Field(default=None, index=True)
    severity: str | None = None
    kind: str | None = None
    classified_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    reject_reason: str | None = None

    department: str | None = Field(default=None, index=True)
    owner: str | None = Field(default=None, index=True)
    assigned_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

    escalate_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    escalated_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    escalated_to: str | None = None
    plan_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    plan_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    plan: str | None = None

    findings: str | None = None
    root_cause: str | None = None
    responsibility: str | None = None
    proposal: str | None = None
    investigated_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    investigate_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

    remedy: str | None = None
    remedy_amount_cents: int | None = None
    resolution_note: str | None = None
    resolved_at: dt.datetime | None = Field(default=None, index=True, sa_type=sa.DateTime)
    customer_told_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    resolve_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

    feedback_score: int | None = None
    feedback_comment: str | None = None
    feedback_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    feedback_due: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

    outcome: str | None = None
    closed_at: dt.datetime | None = Field(default=None, index=True, sa_type=sa.DateTime)
    close_reason: str | None = None
    reopen_count: int = 0
    version: int = 1
    # The import batch that created the case (import_batches.id); NULL for a case logged
    # here.  `imports undo N` finds a batch's cases by it (migration 0005).
    import_batch: int | None = Field(default=None, index=True)

    # -- the state machine ----------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.step not in (Step.closed.value, Step.rejected.value)

    def check(self, action: Action) -> None:
        """Refuse `action` unless the transition table allows it from the current step."""
        step = Step(self.step)
        if step not in ALLOWED[action]:
            nxt = allowed_actions(step)
            raise InvalidTransition(
                _(
                    "case {number} is at step '{step}'; {action} is not allowed now (next: {next})"
                ).format(
                    number=self.number,
                    step=label("step", step.value),
                    action=label("action", action.value),
                    next=("、" if current() == "zh" else ", ").join(label("action", a) for a in nxt)
                    if nxt
                    else _("nothing, it has ended"),
                )
            )
        if self.on_hold and action not in (
            Action.resume,
            Action.note,
            Action.attach,
            Action.escalate,
            Action.plan,
            Action.hold,
        ):
            raise InvalidTransition(
                _("case {number} is on hold at step '{step}' ({reason}); run resume first").format(
                    number=self.number, step=label("step", step.value), reason=self.hold_reason
                )
            )
        if self.on_hold and action is Action.hold:
            raise InvalidTransition(
                _("case {number} is already on hold").format(number=self.number)
            )
        if not self.on_hold and action is Action.resume:
            raise InvalidTransition(_("case {number} is not on hold").format(number=self.number))

    def _enter(self, step: Step, at: dt.datetime, clock: Clock) -> None:
        """Make `step` current and start its clock at `at`."""
        self.step = step.value
        self.step_started_at = at
        due = clock(step.value, at) if step in OPEN_STEPS else None
        self.step_due_at = due
        column = _DUE_COLUMN.get(step)
        if column:
            setattr(self, column, due)

    def refresh_due(self) -> None:
        """Recompute `due_at`, the earliest pending deadline (NULL while on hold or ended)."""
        self.due_at = earliest_pending(self)

    def start(self, at: dt.datetime, clock: Clock) -> None:
        """A newly logged case: waiting for acknowledgement, its clock run from receipt."""
        self._enter(Step.acknowledge, self.received_at, clock)
        self.refresh_due()

    def apply(self, action: Action, at: dt.datetime, clock: Clock, **fields: object) -> None:
        """Take `action` at `at`: check it, set its fields, stamp its time, move the step.

        `fields` are the action's own values (category, owner, score, ...); this method sets
        every status and time field that goes with them, so no caller ever has to.
        """
        self.check(action)
        for name, value in fields.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            setattr(self, name, value)
        step = Step(self.step)

        if action is Action.ack:
            self.acknowledged_at = at
            self._enter(Step.classify, at, clock)
        elif action is Action.classify:
            if self.severity == Severity.A.value and not self.escalate_due:
                self.escalate_due = clock("escalate", at)
                self.plan_due = clock("plan", at)
            elif self.severity != Severity.A.value:
                # Graded down from A: the A clocks not yet met no longer apply.
                if not self.escalated_at:
                    self.escalate_due = None
                if not self.plan_at:
                    self.plan_due = None
            self.classified_at = at
            if step is Step.classify:
                self._enter(Step.assign, at, clock)
        elif action is Action.reject:
            self.classified_at = at
            self._end(Outcome.rejected, Step.rejected, at)
        elif action is Action.assign:
            if step is Step.assign:
                self.assigned_at = at
                self._enter(Step.investigate, at, clock)
        elif action is Action.investigate:
            self.investigated_at = at
            self._enter(Step.resolve, at, clock)
        elif action is Action.resolve:
            self.resolved_at = at
            self._enter(Step.feedback, at, clock)
        elif action is Action.feedback:
            self.feedback_at = at
        elif action is Action.close:
            expired = self.feedback_due is not None and at >= self.feedback_due
            self._end(Outcome.expired if expired else Outcome.closed, Step.closed, at)
        elif action is Action.reopen:
            if step is Step.rejected:
                # Back to be classified afresh: the rejection was its classification.
                self.classified_at = None
            self.outcome = self.closed_at = self.reject_reason = self.close_reason = None
            self._reopen(Step.investigate if self.owner else Step.classify, at, clock)
        elif action is Action.hold:
            self.on_hold, self.hold_started_at = True, at
        elif action is Action.resume:
            self.on_hold, self.hold_started_at, self.hold_reason = False, None, None
        elif action is Action.escalate:
            self.escalated_at = at
        elif action is Action.plan:
            self.plan_at = at
        self.refresh_due()

    def move_step_deadline(self, due: dt.datetime | None) -> None:
        """Set the current step's deadline anew (after a hold), keeping its copy in step."""
        self.step_due_at = due
        column = _DUE_COLUMN.get(Step(self.step))
        if column:
            setattr(self, column, due)
        self.refresh_due()

    def record_feedback(
        self,
        at: dt.datetime,
        clock: Clock,
        score: int,
        comment: str | None,
        satisfied: bool,
    ) -> None:
        """Feedback: satisfied closes the case; dissatisfied reopens it to its owner with a
        fresh investigation clock."""
        self.apply(Action.feedback, at, clock, feedback_score=score, feedback_comment=comment)
        if satisfied:
            self._end(Outcome.satisfied, Step.closed, at)
        else:
            self._reopen(Step.investigate, at, clock)
        self.refresh_due()

    def _reopen(self, step: Step, at: dt.datetime, clock: Clock) -> None:
        """Back to `step` with a fresh clock; the later steps' times start over (the earlier
        round stays in the history)."""
        self.reopen_count += 1
        for later, (done, due) in _ROUND_FIELDS.items():
            if OPEN_STEPS.index(later) >= OPEN_STEPS.index(step):
                if done:
                    setattr(self, done, None)
                setattr(self, due, None)
        self._enter(step, at, clock)

    def _end(self, outcome: Outcome, step: Step, at: dt.datetime) -> None:
        self.outcome = outcome.value
        self.closed_at = at
        self._enter(step, at, lambda *_: None)


def earliest_pending(c) -> dt.datetime | None:
    """The earliest deadline still pending on a case (a Case or a row with its columns):
    the step's clock unless on hold, and unmet severity-A clocks; None once ended."""
    if c.step in (Step.closed.value, Step.rejected.value):
        return None
    pending = [
        due
        for due, done in (
            (None if c.on_hold else c.step_due_at, None),
            (c.escalate_due, c.escalated_at),
            (c.plan_due, c.plan_at),
        )
        if due is not None and done is None
    ]
    return min(pending) if pending else None


class _Row:
    """Attribute access to a dict of case columns (for `earliest_pending`)."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> None:
        return None


# The step a case waits for once each step time is known, latest first.
_HISTORY = (
    ("resolved_at", Step.feedback),
    ("investigated_at", Step.resolve),
    ("assigned_at", Step.investigate),
    ("classified_at", Step.assign),
    ("acknowledged_at", Step.classify),
)


# What imported_state() needs, as plain strings: it runs once per row of an import.
_ACK, _INVESTIGATE, _RESOLVE, _FEEDBACK = (
    s.value for s in (Step.acknowledge, Step.investigate, Step.resolve, Step.feedback)
)
_OPEN = {s.value: _DUE_COLUMN.get(s) for s in OPEN_STEPS}
_WAITING = tuple((column, step.value) for column, step in _HISTORY)


def imported_state(v: dict, clock: Clock, satisfied_min_score: int) -> dict:
    """Complete the columns of a case imported with its history (`v` holds what the source
    gave: received_at, step times, outcome fields): every clock computed from the calendar
    exactly as for a live case, the step it now waits at, its outcome and `due_at`."""
    get = v.get
    received = v["received_at"]
    v["ack_due"] = clock(_ACK, received)
    done = get("assigned_at")
    v["investigate_due"] = clock(_INVESTIGATE, done) if done else None
    done = get("investigated_at")
    v["resolve_due"] = clock(_RESOLVE, done) if done else None
    done = get("resolved_at")
    v["feedback_due"] = feedback_due = clock(_FEEDBACK, done) if done else None
    classified = get("classified_at")
    if classified and get("severity") == Severity.A.value:
        v["escalate_due"] = clock("escalate", classified)
        v["plan_due"] = clock("plan", classified)
    score = get("feedback_score")
    satisfied = score is not None and score >= satisfied_min_score and get("feedback_at")
    closed = get("closed_at")
    if get("reject_reason"):
        v["closed_at"] = closed = closed or classified or received
        v["classified_at"] = classified or closed
        step, outcome, started = Step.rejected.value, Outcome.rejected.value, closed
    elif closed or satisfied:
        v["closed_at"] = closed = closed or v["feedback_at"]
        if satisfied:
            outcome = Outcome.satisfied.value
        elif feedback_due and closed >= feedback_due:
            outcome = Outcome.expired.value
        else:
            outcome = Outcome.closed.value
        step, started = Step.closed.value, closed
    else:
        outcome = None
        step, started = _ACK, received
        for column, waiting in _WAITING:
            if get(column):
                step, started = waiting, v[column]
                break
    v["step"] = step
    v["outcome"] = outcome
    v["step_started_at"] = started
    if step in _OPEN:
        column = _OPEN[step]
        v["step_due_at"] = step_due = v[column] if column else clock(step, started)
        # earliest_pending(), spelled out for a dict: the step's clock unless on hold,
        # and the severity-A clocks not yet met.
        pending = [
            due
            for due, met in (
                (None if get("on_hold") else step_due, None),
                (get("escalate_due"), get("escalated_at")),
                (get("plan_due"), get("plan_at")),
            )
            if due is not None and met is None
        ]
        v["due_at"] = min(pending) if pending else None
    else:
        v["step_due_at"] = None
        v["due_at"] = None
    return v


# `list`/`warn --owner X` match case-insensitively: lower(owner) = ? (migration 0003).
for _column in ("owner", "department", "category"):
    sa.Index(f"ix_cases_{_column}_lower", sa.func.lower(Case.__table__.c[_column]))
# A contact's cases received in a window are one range (migration 0004): repeat
# complainants, repeat cases, duplicates.
sa.Index(
    "ix_cases_contact_key_received", Case.__table__.c.contact_key, Case.__table__.c.received_at
)


class Event(SQLModel, table=True):
    """One entry of a case's history: never edited, never deleted."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    action: str
    # when it happened (may be in the past: --at); indexed for "what happened this month"
    at: dt.datetime = Field(index=True, sa_type=sa.DateTime)
    recorded_at: dt.datetime = Field(sa_type=sa.DateTime)  # when it was written down
    actor: str
    step_from: str | None = None
    step_to: str | None = None
    changes: str | None = None  # JSON object {field: [old, new]}
    note: str | None = None
    # SHA-256 chained to the case's previous event (complaintctl.history); NULL only on
    # events written before schema 0002 by a tool that had no seal.
    hash: str | None = Field(default=None, sa_type=sa.String(64))


class Attachment(SQLModel, table=True):
    """Evidence kept with a case, stored in the database itself."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str
    size: int
    sha256: str
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    added_at: dt.datetime = Field(sa_type=sa.DateTime)
    added_by: str


class ImportBatch(SQLModel, table=True):
    """One run of `import` that wrote something: what was read, what came of it, and
    whether it was undone.  The content's SHA-256 lets a second import of the same file
    be recognised (and refused) even when its rows carry no reference of their own."""

    __tablename__ = "import_batches"

    id: int | None = Field(default=None, primary_key=True)
    source: str  # the file's name as given ("stdin" for -)
    sha256: str = Field(sa_type=sa.String(64), index=True)  # of the file's bytes
    mapping_sha256: str | None = Field(default=None, sa_type=sa.String(64))
    rows_read: int = 0
    rows_imported: int = 0
    rows_present: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    actor: str
    at: dt.datetime = Field(sa_type=sa.DateTime)
    undone_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)
    undone_by: str | None = None


class Counter(SQLModel, table=True):
    """The last case number handed out for each number series (never decremented)."""

    __tablename__ = "counters"

    series: str = Field(primary_key=True)
    value: int = 0


class Meta(SQLModel, table=True):
    """Facts about the database itself (schema version)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str
