"""The register's tables and its closed sets of values.

A case is always *at* one step: the step it is waiting for.  The only way to change a
case's step is `Case.apply()`, which hands the row's workflow columns to
`complaintctl.workflow` (the table of moves and the one function applying them) and
writes back what changed (the clock itself is passed in, so neither knows a calendar).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from complaintctl.case import CaseRules
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
from complaintctl.workflow import ALLOWED, allowed_actions

__all__ = [
    "ALLOWED",
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
    "allowed_actions",
]


class Case(CaseRules, SQLModel, table=True):
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
    # `hold --until DAY`: 00:00 of that office day, when `warn` brings the case back
    hold_until: dt.datetime | None = Field(default=None, sa_type=sa.DateTime)

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
    # A duplicate merged into another case: that case's number (`merge`, migration 0007);
    # the original's `show` lists its duplicates by it.
    merged_into: str | None = Field(default=None, index=True)


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
