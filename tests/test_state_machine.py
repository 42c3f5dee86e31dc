"""The workflow rules, straight on the domain model (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from complaintctl.errors import InvalidTransition
from complaintctl.models import ALLOWED, Action, Case, Step, allowed_actions

T0 = dt.datetime(2025, 9, 30, 1, 0)  # naive UTC


def clock(name: str, start: dt.datetime) -> dt.datetime | None:
    """A stand-in clock: every clocked step is due one day after it starts."""
    return start + dt.timedelta(days=1) if name != "classify" else None


def new_case() -> Case:
    case = Case(
        number="C2025-000001",
        channel="phone",
        customer_name="王伟",
        contact="13800000000",
        contact_key="13800000000",
        summary="漏水",
        received_at=T0,
        logged_at=T0,
        logged_by="t",
        step_started_at=T0,
    )
    case.start(T0, clock)
    return case


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def walk_to(step: Step) -> Case:
    case = new_case()
    moves = [
        (Action.ack, {}),
        (Action.classify, {"category": "PQ", "severity": "C", "kind": "general"}),
        (Action.assign, {"department": "QA", "owner": "李娜"}),
        (Action.investigate, {"findings": "f", "responsibility": "internal"}),
        (Action.resolve, {"remedy": "refund"}),
    ]
    for i, (action, fields) in enumerate(moves, start=1):
        if case.step == step.value:
            break
        case.apply(action, at(i), clock, **fields)
    assert case.step == step.value
    return case


def test_a_new_case_waits_for_acknowledgement_with_its_clock_started_at_receipt():
    case = new_case()
    assert case.step == "acknowledge"
    assert case.ack_due == T0 + dt.timedelta(days=1)
    assert case.due_at == case.ack_due


def test_each_forward_step_stamps_its_time_and_starts_the_next_clock():
    case = walk_to(Step.feedback)
    assert case.acknowledged_at == at(1)
    assert case.classified_at == at(2)
    assert case.assigned_at == at(3)
    assert case.investigate_due == at(3) + dt.timedelta(days=1)
    assert case.investigated_at == at(4)
    assert case.resolve_due == at(4) + dt.timedelta(days=1)
    assert case.resolved_at == at(5)
    assert case.feedback_due == case.step_due_at == at(5) + dt.timedelta(days=1)


def test_a_step_out_of_order_names_the_current_step_and_what_may_come_next():
    case = walk_to(Step.investigate)
    with pytest.raises(InvalidTransition) as err:
        case.apply(Action.resolve, at(9), clock, remedy="refund")
    assert str(err.value) == (
        "case C2025-000001 is at step 'investigate'; resolve is not allowed now "
        "(next: classify, assign, investigate)"
    )
    assert case.step == "investigate" and case.resolved_at is None


def test_every_action_is_refused_from_every_step_the_table_does_not_list():
    for step in Step:
        for action, steps in ALLOWED.items():
            if step in steps:
                continue
            case = new_case()
            case.step = step.value
            with pytest.raises(InvalidTransition):
                case.check(action)


def test_an_ended_case_can_only_be_reopened_noted_or_attached_to():
    assert allowed_actions(Step.closed) == ["reopen"]
    assert allowed_actions(Step.rejected) == ["reopen"]


def test_satisfied_feedback_closes_the_case_and_clears_the_pending_deadline():
    case = walk_to(Step.feedback)
    case.apply(
        Action.feedback, at(6), clock, satisfied=True, feedback_score=5, feedback_comment="好"
    )
    assert (case.step, case.outcome, case.closed_at, case.due_at) == (
        "closed",
        "satisfied",
        at(6),
        None,
    )


def test_dissatisfied_feedback_reopens_to_the_owner_with_a_fresh_investigation_clock():
    case = walk_to(Step.feedback)
    case.apply(
        Action.feedback, at(6), clock, satisfied=False, feedback_score=2, feedback_comment="慢"
    )
    assert case.step == "investigate" and case.owner == "李娜"
    assert case.investigate_due == at(6) + dt.timedelta(days=1)
    assert case.investigated_at is None and case.resolved_at is None
    assert case.feedback_score == 2 and case.reopen_count == 1


def test_reopening_a_rejected_case_without_owner_returns_it_to_classification():
    case = walk_to(Step.classify)
    case.apply(Action.reject, at(3), clock, reject_reason="not ours")
    assert (case.step, case.outcome) == ("rejected", "rejected")
    case.apply(Action.reopen, at(4), clock)
    assert case.step == "classify" and case.outcome is None and case.reject_reason is None


def test_reclassifying_and_reassigning_keep_the_step_and_its_clock():
    case = walk_to(Step.investigate)
    due = case.investigate_due
    case.apply(Action.classify, at(7), clock, category="SA", severity="B", kind="claim")
    case.apply(Action.assign, at(8), clock, department="CS", owner="张三")
    assert (case.step, case.category, case.owner, case.investigate_due) == (
        "investigate",
        "SA",
        "张三",
        due,
    )


def test_a_case_on_hold_has_no_pending_deadline_and_refuses_to_move_until_resumed():
    case = walk_to(Step.investigate)
    case.apply(Action.hold, at(4), clock, hold_reason="waiting for photos")
    assert case.on_hold and case.due_at is None
    with pytest.raises(InvalidTransition, match="on hold"):
        case.check(Action.investigate)
    case.apply(Action.resume, at(5), clock)
    assert not case.on_hold and case.due_at == case.investigate_due


def test_grading_a_case_a_starts_the_escalation_and_plan_clocks_which_lead_the_due_time():
    def a_clock(name, start):
        return start + {"escalate": dt.timedelta(hours=1), "plan": dt.timedelta(hours=4)}.get(
            name, dt.timedelta(days=3)
        )

    case = new_case()
    case.apply(Action.ack, at(1), a_clock)
    case.apply(Action.classify, at(2), a_clock, category="PQ", severity="A", kind="claim")
    assert case.escalate_due == at(3) and case.plan_due == at(6)
    assert case.due_at == at(3)
    case.apply(Action.escalate, at(2), a_clock, escalated_to="经理")
    assert case.due_at == at(6)
