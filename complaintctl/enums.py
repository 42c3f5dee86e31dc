"""The closed sets of values (kept apart from the tables so the CLI can show them in --help
without importing SQLAlchemy)."""

from enum import Enum


class Step(str, Enum):
    """What a case is waiting for (or how it ended)."""

    acknowledge = "acknowledge"
    classify = "classify"
    assign = "assign"
    investigate = "investigate"
    resolve = "resolve"
    feedback = "feedback"
    closed = "closed"
    rejected = "rejected"


OPEN_STEPS = (
    Step.acknowledge,
    Step.classify,
    Step.assign,
    Step.investigate,
    Step.resolve,
    Step.feedback,
)
ENDED_STEPS = (Step.closed, Step.rejected)
# Steps whose clocks `show --format json` reports in its `deadlines` object.
CLOCKED_STEPS = (Step.acknowledge, Step.investigate, Step.resolve, Step.feedback)


class Severity(str, Enum):
    A = "A"
    B = "B"
    C = "C"


class Kind(str, Enum):
    general = "general"
    claim = "claim"
    unjustified = "unjustified"


class CustomerType(str, Enum):
    individual = "individual"
    enterprise = "enterprise"


class Responsibility(str, Enum):
    internal = "internal"
    external = "external"
    mixed = "mixed"


class Remedy(str, Enum):
    refund = "refund"
    compensation = "compensation"
    replacement = "replacement"
    repair = "repair"
    return_ = "return"
    apology = "apology"
    explanation = "explanation"
    service_improvement = "service-improvement"
    none = "none"


class Outcome(str, Enum):
    satisfied = "satisfied"
    expired = "expired"
    closed = "closed"
    rejected = "rejected"
    merged = "merged"  # a duplicate, ended as part of its original (`merge`)


class Action(str, Enum):
    """Everything that can happen to a case; each is one history event."""

    log = "log"
    ack = "ack"
    classify = "classify"
    reject = "reject"
    assign = "assign"
    investigate = "investigate"
    resolve = "resolve"
    feedback = "feedback"
    close = "close"
    reopen = "reopen"
    hold = "hold"
    resume = "resume"
    escalate = "escalate"
    plan = "plan"
    note = "note"
    attach = "attach"
    import_ = "import"
    purge = "purge"
    edit = "edit"  # data fields corrected; the step and clocks stay
    undo = "undo"  # the case's last step taken back
    merge = "merge"  # a duplicate ended as part of its original
