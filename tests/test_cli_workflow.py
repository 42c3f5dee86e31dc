"""One case driven through every path of the workflow from the command line.

Each test works only through the CLI (as a user or a script would) and checks what
`show --format json` (or `list`) then tells.  Times are fixed with --at / --received-at,
office-local (Asia/Shanghai), in the week around China's National Day 2025:
1-8 October are holidays, Saturday 11 October is a make-up working day.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Template, build_template, local

from complaintctl import services
from complaintctl.db import HEAD
from complaintctl.queries import LIST_FIELDS

NUMBER = re.compile(r"C\d{4}-\d{6}")


# -- helpers ------------------------------------------------------------------------------
def show(cli, number: str) -> dict:
    return json.loads(cli.ok("show", number, "--format", "json"))


def actions(detail: dict) -> list[str]:
    return [e["action"] for e in detail["history"]]


def log_case(
    cli,
    *extra: str,
    received: str | None = "2025-09-30 09:00",
    contact: str = "13800000000",
    customer: str = "王伟",
    summary: str = "洗衣机漏水",
    channel: str = "phone",
) -> str:
    args = ["log", "--channel", channel, "--customer", customer, "--contact", contact]
    args += ["--summary", summary, *extra]
    if received:
        args += ["--received-at", received]
    out = cli.ok(*args)
    return NUMBER.search(out).group(0)


def to_investigate(
    cli,
    received: str = "2025-09-30 09:00",
    assigned: str = "2025-09-30 10:00",
    category: str = "PQ",
    severity: str = "B",
    department: str = "QA",
    owner: str = "李娜",
    **log_kw: str,
) -> str:
    """A case logged, acknowledged and classified at receipt, then assigned at `assigned`."""
    number = log_case(cli, received=received, **log_kw)
    cli.ok("ack", number, "--at", received)
    cli.ok(
        "classify",
        number,
        "--category",
        category,
        "--severity",
        severity,
        "--kind",
        "general",
        "--at",
        received,
    )
    cli.ok("assign", number, "--department", department, "--owner", owner, "--at", assigned)
    return number


def investigate(cli, number: str, at: str, findings: str = "密封圈老化") -> None:
    cli.ok(
        "investigate",
        number,
        "--findings",
        findings,
        "--cause",
        "供应商批次问题",
        "--responsibility",
        "internal",
        "--proposal",
        "上门更换密封圈",
        "--at",
        at,
    )


def resolve(cli, number: str, at: str) -> None:
    cli.ok("resolve", number, "--remedy", "repair", "--note", "已上门维修", "--at", at)


def to_feedback(cli) -> str:
    """A case resolved on 2025-10-14 11:00: its feedback window ends 2025-10-23 18:00."""
    number = to_investigate(cli)
    investigate(cli, number, "2025-10-10 15:00")
    resolve(cli, number, "2025-10-14 11:00")
    return number


# -- (1) the satisfied path ---------------------------------------------------------------
def test_a_satisfied_customer_closes_the_case_after_every_step_in_order(cli):
    number = log_case(cli)
    assert show(cli, number)["step"] == "acknowledge"
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    assert show(cli, number)["step"] == "classify"
    cli.ok(
        "classify",
        number,
        "--category",
        "PQ",
        "--severity",
        "B",
        "--kind",
        "general",
        "--at",
        "2025-09-30 09:45",
    )
    assert show(cli, number)["step"] == "assign"
    out = cli.ok(
        "assign", number, "--department", "QA", "--owner", "李娜", "--at", "2025-09-30 10:00"
    )
    assert out == (
        f"{number}: assigned to 李娜 (QA); now at step 'investigate', due 2025-10-11 18:00\n"
    )
    d = show(cli, number)
    assert d["step"] == "investigate"
    assert d["deadlines"]["investigate"] == {
        "due": "2025-10-11T18:00:00+08:00",
        "done": None,
        "status": "overdue",
    }

    investigate(cli, number, "2025-10-10 15:00")
    d = show(cli, number)
    assert d["step"] == "resolve"
    assert (d["findings"], d["root_cause"], d["responsibility"], d["proposal"]) == (
        "密封圈老化",
        "供应商批次问题",
        "internal",
        "上门更换密封圈",
    )
    assert d["deadlines"]["resolve"]["due"] == "2025-10-16T18:00:00+08:00"

    resolve(cli, number, "2025-10-14 11:00")
    d = show(cli, number)
    assert d["step"] == "feedback"
    assert d["remedy"] == "repair"
    assert d["customer_told_at"] == "2025-10-14T11:00:00+08:00"
    assert d["deadlines"]["feedback"]["due"] == "2025-10-23T18:00:00+08:00"

    out = cli.ok(
        "feedback", number, "--score", "5", "--comment", "很满意", "--at", "2025-10-15 10:00"
    )
    assert out == (
        f"{number}: feedback 5/5: customer satisfied, closed; now at step 'closed' (satisfied)\n"
    )
    d = show(cli, number)
    assert d["step"] == "closed"
    assert d["outcome"] == "satisfied"
    assert d["feedback_score"] == 5
    assert d["feedback_comment"] == "很满意"
    assert d["closed_at"] == "2025-10-15T10:00:00+08:00"
    assert d["due_at"] is None
    assert d["overdue"] is False
    assert d["reopen_count"] == 0
    assert d["deadlines"] == {
        "acknowledge": {
            "due": "2025-10-01T09:00:00+08:00",
            "done": "2025-09-30T09:30:00+08:00",
            "status": "on time",
        },
        "investigate": {
            "due": "2025-10-11T18:00:00+08:00",
            "done": "2025-10-10T15:00:00+08:00",
            "status": "on time",
        },
        "resolve": {
            "due": "2025-10-16T18:00:00+08:00",
            "done": "2025-10-14T11:00:00+08:00",
            "status": "on time",
        },
        "feedback": {
            "due": "2025-10-23T18:00:00+08:00",
            "done": "2025-10-15T10:00:00+08:00",
            "status": "on time",
        },
    }
    assert actions(d) == [
        "log",
        "ack",
        "classify",
        "assign",
        "investigate",
        "resolve",
        "feedback",
    ]
    assert [(e["step_from"], e["step_to"]) for e in d["history"]] == [
        (None, "acknowledge"),
        ("acknowledge", "classify"),
        ("classify", "assign"),
        ("assign", "investigate"),
        ("investigate", "resolve"),
        ("resolve", "feedback"),
        ("feedback", "closed"),
    ]
    assert [e["at"] for e in d["history"]] == [
        "2025-09-30T09:00:00+08:00",
        "2025-09-30T09:30:00+08:00",
        "2025-09-30T09:45:00+08:00",
        "2025-09-30T10:00:00+08:00",
        "2025-10-10T15:00:00+08:00",
        "2025-10-14T11:00:00+08:00",
        "2025-10-15T10:00:00+08:00",
    ]


def test_a_late_step_is_reported_late_in_the_deadlines(cli):
    number = to_investigate(cli)
    investigate(cli, number, "2025-10-13 09:00")  # due 2025-10-11 18:00
    assert show(cli, number)["deadlines"]["investigate"] == {
        "due": "2025-10-11T18:00:00+08:00",
        "done": "2025-10-13T09:00:00+08:00",
        "status": "late",
    }


# -- (2) the dissatisfied path ------------------------------------------------------------
@pytest.mark.slow
def test_a_dissatisfied_customer_sends_the_case_back_to_its_owner_with_a_fresh_clock(cli):
    number = to_feedback(cli)
    out = cli.ok(
        "feedback", number, "--score", "2", "--comment", "还在漏水", "--at", "2025-10-15 10:00"
    )
    assert out == (
        f"{number}: feedback 2/5: customer dissatisfied, reopened to 李娜; "
        "now at step 'investigate', due 2025-10-20 18:00\n"
    )
    d = show(cli, number)
    assert d["step"] == "investigate"
    assert d["outcome"] is None
    assert d["closed_at"] is None
    assert d["owner"] == "李娜"
    assert d["department"] == "QA"
    assert d["reopen_count"] == 1
    assert d["feedback_score"] == 2
    # 3 working days counted from the feedback: 16, 17 and 20 October.
    assert d["deadlines"]["investigate"] == {
        "due": "2025-10-20T18:00:00+08:00",
        "done": None,
        "status": "overdue",
    }
    assert d["deadlines"]["resolve"] == {"due": None, "done": None, "status": "not started"}
    assert d["due_at"] == "2025-10-20T18:00:00+08:00"

    investigate(cli, number, "2025-10-16 10:00", findings="密封圈未装好")
    assert show(cli, number)["deadlines"]["resolve"]["due"] == "2025-10-23T18:00:00+08:00"
    resolve(cli, number, "2025-10-17 10:00")
    cli.ok("feedback", number, "--score", "5", "--at", "2025-10-20 10:00")

    d = show(cli, number)
    assert d["step"] == "closed"
    assert d["outcome"] == "satisfied"
    assert d["reopen_count"] == 1
    assert d["findings"] == "密封圈未装好"
    assert d["feedback_score"] == 5
    assert actions(d) == [
        "log",
        "ack",
        "classify",
        "assign",
        "investigate",
        "resolve",
        "feedback",
        "investigate",
        "resolve",
        "feedback",
    ]
    first_feedback, second_feedback = (e for e in d["history"] if e["action"] == "feedback")
    assert (first_feedback["step_from"], first_feedback["step_to"]) == ("feedback", "investigate")
    assert first_feedback["note"] == "还在漏水"
    assert first_feedback["changes"]["feedback_score"] == [None, 2]
    assert first_feedback["changes"]["reopen_count"] == [0, 1]
    assert (second_feedback["step_from"], second_feedback["step_to"]) == ("feedback", "closed")
    assert second_feedback["changes"]["feedback_score"] == [2, 5]
    findings = [e["changes"]["findings"][1] for e in d["history"] if e["action"] == "investigate"]
    assert findings == ["密封圈老化", "密封圈未装好"]


@pytest.mark.slow
def test_a_score_below_the_satisfied_minimum_reopens_and_four_closes(cli):
    reopened = to_feedback(cli)
    cli.ok("feedback", reopened, "--score", "3", "--at", "2025-10-15 10:00")
    assert show(cli, reopened)["step"] == "investigate"

    closed = to_investigate(cli, contact="13900000000")
    investigate(cli, closed, "2025-10-10 15:00")
    resolve(cli, closed, "2025-10-14 11:00")
    cli.ok("feedback", closed, "--score", "4", "--at", "2025-10-15 10:00")
    assert show(cli, closed)["outcome"] == "satisfied"


@pytest.mark.slow
def test_a_second_round_feedback_window_is_not_done_until_the_customer_answers_again(cli):
    number = to_feedback(cli)
    cli.ok("feedback", number, "--score", "2", "--at", "2025-10-15 10:00")
    investigate(cli, number, "2025-10-16 10:00")
    resolve(cli, number, "2025-10-17 10:00")
    # The new window opened at the second resolution; nobody has answered in it yet.
    assert show(cli, number)["deadlines"]["feedback"]["done"] is None
    cli.ok("close", number, "--at", "2025-10-29 10:00")
    d = show(cli, number)
    assert d["outcome"] == "expired"
    assert d["deadlines"]["feedback"]["due"] == "2025-10-28T18:00:00+08:00"
    assert d["deadlines"]["feedback"]["done"] is None
    assert d["deadlines"]["feedback"]["status"] != "on time"


@pytest.mark.slow
def test_times_in_the_history_changes_carry_the_office_utc_offset(cli):
    number = to_investigate(cli)
    cli.ok("hold", number, "--reason", "等客户寄回样品", "--at", "2025-10-09 10:00")
    cli.ok("resume", number, "--at", "2025-10-09 14:00")
    d = show(cli, number)
    assert d["history"][-1]["changes"]["investigate_due"] == [
        "2025-10-11T18:00:00+08:00",
        "2025-10-13T13:00:00+08:00",
    ]
    assign_event = d["history"][3]
    assert assign_event["changes"]["assigned_at"] == [None, "2025-09-30T10:00:00+08:00"]


# -- (3) rejected at classification, then reopened -----------------------------------------
def test_a_complaint_rejected_at_classification_ends_with_its_reason_and_can_be_reopened(cli):
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    out = cli.ok("classify", number, "--reject", "不属于本公司产品", "--at", "2025-09-30 10:00")
    assert out == f"{number}: rejected; now at step 'rejected' (rejected)\n"
    d = show(cli, number)
    assert d["step"] == "rejected"
    assert d["outcome"] == "rejected"
    assert d["reject_reason"] == "不属于本公司产品"
    assert d["closed_at"] == "2025-09-30T10:00:00+08:00"
    assert d["due_at"] is None
    last = d["history"][-1]
    assert (last["action"], last["step_from"], last["step_to"], last["note"]) == (
        "reject",
        "classify",
        "rejected",
        "不属于本公司产品",
    )
    assert last["changes"]["reject_reason"] == [None, "不属于本公司产品"]

    out = cli.ok("reopen", number, "--reason", "客户补充了购买凭证", "--at", "2025-10-09 09:00")
    assert out == f"{number}: reopened; now at step 'classify'\n"
    d = show(cli, number)
    assert d["step"] == "classify"
    assert d["outcome"] is None
    assert d["reject_reason"] is None
    assert d["closed_at"] is None
    assert d["reopen_count"] == 1
    last = d["history"][-1]
    assert (last["action"], last["step_from"], last["step_to"], last["note"]) == (
        "reopen",
        "rejected",
        "classify",
        "客户补充了购买凭证",
    )
    # ... and the case carries on from there.
    cli.ok(
        "classify",
        number,
        "--category",
        "PQ",
        "--severity",
        "C",
        "--kind",
        "general",
        "--at",
        "2025-10-09 09:30",
    )
    assert show(cli, number)["step"] == "assign"


def test_a_complaint_may_also_be_rejected_after_classification_before_assignment(cli):
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    cli.ok(
        "classify",
        number,
        "--category",
        "OT",
        "--severity",
        "C",
        "--kind",
        "unjustified",
        "--at",
        "2025-09-30 09:40",
    )
    cli.ok("classify", number, "--reject", "重复投诉", "--at", "2025-09-30 10:00")
    d = show(cli, number)
    assert (d["step"], d["outcome"], d["reject_reason"]) == ("rejected", "rejected", "重复投诉")


# -- (4) closing without feedback ------------------------------------------------------------
@pytest.mark.slow
def test_close_after_the_feedback_window_expired_needs_no_reason_and_ends_expired(cli):
    number = to_feedback(cli)
    out = cli.ok("close", number, "--at", "2025-10-24 09:00")
    assert out == f"{number}: closed; now at step 'closed' (expired)\n"
    d = show(cli, number)
    assert d["step"] == "closed"
    assert d["outcome"] == "expired"
    assert d["close_reason"] is None
    assert d["closed_at"] == "2025-10-24T09:00:00+08:00"
    assert d["feedback_score"] is None
    assert d["history"][-1]["action"] == "close"


def test_close_at_the_very_end_of_the_feedback_window_counts_as_expired(cli):
    number = to_feedback(cli)
    cli.ok("close", number, "--at", "2025-10-23 18:00")
    assert show(cli, number)["outcome"] == "expired"


@pytest.mark.slow
def test_close_while_the_feedback_window_is_open_is_refused_without_a_reason(cli):
    number = to_feedback(cli)
    before = show(cli, number)
    result = cli("close", number, "--at", "2025-10-20 10:00")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: --reason: the feedback window of {number} is open until 2025-10-23 18:00; "
        "give a reason to close it earlier\n"
    )
    assert show(cli, number) == before


def test_close_while_the_feedback_window_is_open_works_with_a_reason(cli):
    number = to_feedback(cli)
    out = cli.ok("close", number, "--reason", "客户电话停机，无法回访", "--at", "2025-10-20 10:00")
    assert out == f"{number}: closed; now at step 'closed' (closed)\n"
    d = show(cli, number)
    assert d["step"] == "closed"
    assert d["outcome"] == "closed"
    assert d["close_reason"] == "客户电话停机，无法回访"
    assert d["history"][-1]["note"] == "客户电话停机，无法回访"


def test_a_closed_case_reopened_goes_back_to_its_owner(cli):
    number = to_feedback(cli)
    cli.ok("close", number, "--at", "2025-10-24 09:00")
    out = cli.ok("reopen", number, "--reason", "客户再次来电", "--at", "2025-10-27 10:00")
    assert out == f"{number}: reopened; now at step 'investigate', due 2025-10-30 18:00\n"
    d = show(cli, number)
    assert (d["step"], d["owner"], d["outcome"], d["reopen_count"]) == (
        "investigate",
        "李娜",
        None,
        1,
    )


# -- (5) log --ack ---------------------------------------------------------------------------
def test_log_with_ack_records_the_acknowledgement_at_receipt(cli):
    out = cli.ok(
        "log",
        "--channel",
        "visit",
        "--customer",
        "王伟",
        "--contact",
        "13800000000",
        "--summary",
        "洗衣机漏水",
        "--received-at",
        "2025-09-30 09:00",
        "--ack",
    )
    assert out == "Logged C2025-000001 (acknowledged); next: classify\n"
    d = show(cli, "C2025-000001")
    assert d["step"] == "classify"
    assert d["deadlines"]["acknowledge"] == {
        "due": "2025-10-01T09:00:00+08:00",
        "done": "2025-09-30T09:00:00+08:00",
        "status": "on time",
    }
    assert actions(d) == ["log", "ack"]
    assert d["history"][1]["note"] == "told on the spot"
    assert (d["history"][1]["step_from"], d["history"][1]["step_to"]) == (
        "acknowledge",
        "classify",
    )


# -- (6) hold and resume ---------------------------------------------------------------------
def test_hold_pauses_the_clock_and_resume_moves_the_deadline_by_the_working_time_held(cli):
    number = to_investigate(cli)  # investigation due 2025-10-11 18:00
    out = cli.ok("hold", number, "--reason", "等客户寄回样品", "--at", "2025-10-09 10:00")
    assert out == f"{number}: on hold; now at step 'investigate' (on hold)\n"
    d = show(cli, number)
    assert d["on_hold"] is True
    assert d["hold_reason"] == "等客户寄回样品"
    assert d["deadlines"]["investigate"]["status"] == "on hold"
    assert d["due_at"] is None
    assert d["overdue"] is False

    # Four office hours on hold (10:00-14:00): the deadline moves from Saturday 11 October
    # (a make-up working day) 18:00 past Sunday to Monday 13 October 13:00.
    out = cli.ok("resume", number, "--at", "2025-10-09 14:00")
    assert out == f"{number}: resumed; now at step 'investigate', due 2025-10-13 13:00\n"
    d = show(cli, number)
    assert d["on_hold"] is False
    assert d["hold_reason"] is None
    assert d["deadlines"]["investigate"]["due"] == "2025-10-13T13:00:00+08:00"
    assert d["due_at"] == "2025-10-13T13:00:00+08:00"
    hold_event, resume_event = d["history"][-2:]
    assert (hold_event["action"], hold_event["note"], hold_event["at"]) == (
        "hold",
        "等客户寄回样品",
        "2025-10-09T10:00:00+08:00",
    )
    assert (hold_event["step_from"], hold_event["step_to"]) == ("investigate", "investigate")
    assert (resume_event["action"], resume_event["at"]) == ("resume", "2025-10-09T14:00:00+08:00")
    assert "investigate_due" in resume_event["changes"]


def test_time_on_hold_outside_office_hours_does_not_move_the_deadline(cli):
    number = to_investigate(cli)
    cli.ok("hold", number, "--reason", "等客户回电", "--at", "2025-10-09 18:30")
    cli.ok("resume", number, "--at", "2025-10-10 08:30")
    assert show(cli, number)["deadlines"]["investigate"]["due"] == "2025-10-11T18:00:00+08:00"


@pytest.mark.slow
def test_a_step_is_refused_while_the_case_is_on_hold(cli):
    number = to_investigate(cli)
    cli.ok("hold", number, "--reason", "等客户寄回样品", "--at", "2025-10-09 10:00")
    before = show(cli, number)
    result = cli(
        "investigate",
        number,
        "--findings",
        "x",
        "--responsibility",
        "internal",
        "--at",
        "2025-10-09 11:00",
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: case {number} is on hold at step 'investigate' (等客户寄回样品); "
        "run resume first\n"
    )
    assert show(cli, number) == before
    # A note is still fine while on hold.
    cli.ok("note", number, "客户说下周寄出", "--at", "2025-10-09 11:00")
    assert show(cli, number)["on_hold"] is True


# -- (7) severity A ------------------------------------------------------------------------
def test_severity_a_starts_escalation_and_plan_clocks_that_escalate_and_plan_stop(cli):
    number = log_case(cli, summary="客户扬言向媒体曝光")
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    out = cli.ok(
        "classify",
        number,
        "--category",
        "PQ",
        "--severity",
        "A",
        "--kind",
        "claim",
        "--at",
        "2025-09-30 10:00",
    )
    assert out == (
        f"{number}: classified PQ/A/claim; now at step 'assign'\n"
        "severity A: escalate by 2025-09-30 11:00, handling plan by 2025-09-30 14:00\n"
    )
    d = show(cli, number)
    assert d["deadlines"]["escalate"] == {
        "due": "2025-09-30T11:00:00+08:00",
        "done": None,
        "status": "overdue",
    }
    assert d["deadlines"]["plan"] == {
        "due": "2025-09-30T14:00:00+08:00",
        "done": None,
        "status": "overdue",
    }
    assert d["due_at"] == "2025-09-30T11:00:00+08:00"

    out = cli.ok(
        "escalate", number, "--to", "质量总监", "--note", "已电话报告", "--at", "2025-09-30 10:30"
    )
    assert out == f"{number}: escalated to 质量总监; now at step 'assign'\n"
    d = show(cli, number)
    assert d["escalated_to"] == "质量总监"
    assert d["escalated_at"] == "2025-09-30T10:30:00+08:00"
    assert d["deadlines"]["escalate"]["status"] == "on time"
    assert d["due_at"] == "2025-09-30T14:00:00+08:00"
    assert d["history"][-1]["action"] == "escalate"
    assert d["history"][-1]["note"] == "已电话报告"

    cli.ok("plan", number, "今日内上门更换整机并致歉", "--at", "2025-09-30 15:00")
    d = show(cli, number)
    assert d["plan"] == "今日内上门更换整机并致歉"
    assert d["plan_at"] == "2025-09-30T15:00:00+08:00"
    assert d["deadlines"]["plan"]["status"] == "late"
    assert d["due_at"] is None  # waiting for assignment, which has no clock
    assert d["history"][-1]["action"] == "plan"
    assert d["step"] == "assign"


def test_only_severity_a_cases_have_escalation_and_plan_deadlines(cli):
    number = to_investigate(cli, severity="C")
    assert set(show(cli, number)["deadlines"]) == {
        "acknowledge",
        "investigate",
        "resolve",
        "feedback",
    }


def test_grading_an_open_case_up_to_a_starts_the_a_clocks_from_the_regrade(cli):
    number = to_investigate(cli, severity="B")
    cli.ok(
        "classify",
        number,
        "--category",
        "PQ",
        "--severity",
        "A",
        "--kind",
        "claim",
        "--at",
        "2025-10-09 09:15",
    )
    d = show(cli, number)
    assert d["step"] == "investigate"
    assert d["deadlines"]["escalate"]["due"] == "2025-10-09T10:15:00+08:00"
    assert d["deadlines"]["plan"]["due"] == "2025-10-09T13:15:00+08:00"


@pytest.mark.slow
def test_grading_a_case_down_from_a_before_escalation_drops_the_a_clocks(cli):
    number = log_case(cli, "--ack")
    for severity, at in (("A", "2025-09-30 10:00"), ("C", "2025-09-30 10:20")):
        cli.ok(
            "classify",
            number,
            "--category",
            "PQ",
            "--severity",
            severity,
            "--kind",
            "general",
            "--at",
            at,
        )
    d = show(cli, number)
    assert "escalate" not in d["deadlines"]
    assert "plan" not in d["deadlines"]
    assert (d["due_at"], d["overdue"]) == (None, False)


# -- (8) re-classify and re-assign -------------------------------------------------------------
def test_an_open_case_can_be_reclassified_and_reassigned_without_moving(cli):
    number = to_investigate(cli)
    out = cli.ok(
        "classify",
        number,
        "--category",
        "SA",
        "--severity",
        "C",
        "--kind",
        "claim",
        "--at",
        "2025-10-09 09:00",
    )
    assert out == (
        f"{number}: classified SA/C/claim; now at step 'investigate', due 2025-10-11 18:00\n"
    )
    cli.ok("assign", number, "--department", "CS", "--owner", "赵敏", "--at", "2025-10-09 09:30")
    d = show(cli, number)
    assert d["step"] == "investigate"
    assert (d["category"], d["severity"], d["kind"]) == ("SA", "C", "claim")
    assert (d["department"], d["owner"]) == ("CS", "赵敏")
    reclassify, reassign = d["history"][-2:]
    assert reclassify["action"] == "classify"
    assert (reclassify["step_from"], reclassify["step_to"]) == ("investigate", "investigate")
    assert reclassify["changes"]["category"] == ["PQ", "SA"]
    assert reclassify["changes"]["severity"] == ["B", "C"]
    assert reclassify["changes"]["kind"] == ["general", "claim"]
    assert reassign["action"] == "assign"
    assert (reassign["step_from"], reassign["step_to"]) == ("investigate", "investigate")
    assert reassign["changes"]["owner"] == ["李娜", "赵敏"]
    assert reassign["changes"]["department"] == ["QA", "CS"]
    assert actions(d).count("classify") == 2
    assert actions(d).count("assign") == 2


@pytest.mark.slow
def test_a_case_waiting_for_resolution_can_still_be_reassigned(cli):
    number = to_investigate(cli)
    investigate(cli, number, "2025-10-10 15:00")
    cli.ok("assign", number, "--department", "TECH", "--owner", "陈工", "--at", "2025-10-10 16:00")
    d = show(cli, number)
    assert (d["step"], d["owner"], d["department"]) == ("resolve", "陈工", "TECH")


# -- (9) notes, attachments --------------------------------------------------------------------
def test_a_note_is_kept_in_the_history(cli):
    number = to_investigate(cli)
    out = cli.ok("note", number, "客户来电催促进度", "--at", "2025-10-09 09:00")
    assert out == f"{number}: note added\n"
    last = show(cli, number)["history"][-1]
    assert (last["action"], last["note"], last["at"], last["actor"]) == (
        "note",
        "客户来电催促进度",
        "2025-10-09T09:00:00+08:00",
        "tester",
    )
    assert (last["step_from"], last["step_to"]) == ("investigate", "investigate")


def test_attached_files_are_listed_by_show_and_fetched_back_byte_for_byte(cli, tmp_path):
    number = to_investigate(cli)
    photo = tmp_path / "漏水照片.jpg"
    photo.write_bytes(bytes(range(256)) * 7 + b"\x00\xff")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4\n" + "发票".encode() + b"\r\n\x00")
    out = cli.ok("attach", number, str(photo), str(invoice))
    photo_sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    invoice_sha = hashlib.sha256(invoice.read_bytes()).hexdigest()
    assert out == (
        f"{number}: attached #1 漏水照片.jpg (1794 bytes, sha256 {photo_sha})\n"
        f"{number}: attached #2 invoice.pdf ({invoice.stat().st_size} bytes, "
        f"sha256 {invoice_sha})\n"
    )
    d = show(cli, number)
    assert [
        (a["id"], a["name"], a["size"], a["sha256"], a["added_by"]) for a in d["attachments"]
    ] == [
        (1, "漏水照片.jpg", 1794, photo_sha, "tester"),
        (2, "invoice.pdf", invoice.stat().st_size, invoice_sha, "tester"),
    ]
    assert d["history"][-1]["action"] == "attach"
    assert "漏水照片.jpg (1794 bytes" in d["history"][-1]["note"]

    out_dir = tmp_path / "fetched"
    out = cli.ok("fetch", number, "--to", str(out_dir))
    assert out == (
        f"wrote {out_dir / '漏水照片.jpg'} (1794 bytes)\n"
        f"wrote {out_dir / 'invoice.pdf'} ({invoice.stat().st_size} bytes)\n"
    )
    assert (out_dir / "漏水照片.jpg").read_bytes() == photo.read_bytes()
    assert (out_dir / "invoice.pdf").read_bytes() == invoice.read_bytes()


def test_fetch_of_one_attachment_by_id_writes_only_that_file(cli, tmp_path):
    number = to_investigate(cli)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"first")
    b.write_bytes(b"second")
    cli.ok("attach", number, str(a), str(b))
    out_dir = tmp_path / "out"
    cli.ok("fetch", number, "2", "--to", str(out_dir))
    assert sorted(p.name for p in out_dir.iterdir()) == ["b.txt"]
    assert (out_dir / "b.txt").read_bytes() == b"second"


def test_an_attachment_over_the_configured_limit_is_refused(cli, tmp_path):
    config = tmp_path / "complaintctl.toml"
    config.write_text("[attachments]\nmax_bytes = 16\n", encoding="utf-8")
    number = to_investigate(cli)
    fits = tmp_path / "fits.bin"
    fits.write_bytes(b"x" * 16)
    cli.ok("--config", str(config), "attach", number, str(fits))
    before = show(cli, number)

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 17)
    result = cli("--config", str(config), "attach", number, str(big))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: FILE: big.bin is 17 bytes; the limit is 16 (attachments.max_bytes)\n"
    )
    assert show(cli, number) == before
    assert [a["name"] for a in before["attachments"]] == ["fits.bin"]


@pytest.mark.slow
def test_one_file_over_the_limit_means_none_of_the_files_is_attached(cli, tmp_path):
    config = tmp_path / "complaintctl.toml"
    config.write_text("[attachments]\nmax_bytes = 16\n", encoding="utf-8")
    number = to_investigate(cli)
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(b"ok")
    big.write_bytes(b"x" * 100)
    result = cli("--config", str(config), "attach", number, str(small), str(big))
    assert result.exit_code == 1
    assert show(cli, number)["attachments"] == []


# -- (10) list ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def list_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The cases of `listed`, built once per module (and backend) in a database of their own."""
    return build_template(tmp_path_factory, "list-template", _build_list_cases)


@pytest.fixture
def listed(list_template: Template, db_url: str) -> dict[str, str]:
    """This test's own copy of the list cases; their numbers by role."""
    return dict(list_template.copy_to(db_url))


def _build_list_cases(cli) -> dict[str, str]:
    """Five cases in different states, by role:

    leak     2025-09-30  PQ/B  QA/李娜  investigate, due 2025-10-11 18:00
    invoice  2025-10-09  BL/C  CS/赵敏  investigate, due 2025-10-13 18:00
    courier  2025-10-10  SA/A  -        assign, escalation due 2025-10-10 11:00
    rejected 2025-09-29  -     -        rejected (ended)
    fresh    now         -     -        acknowledge, due in 24 hours (not overdue)
    """
    leak = to_investigate(cli, summary="洗衣机漏水", customer="王伟", contact="13800000001")
    invoice = to_investigate(
        cli,
        received="2025-10-09 09:00",
        assigned="2025-10-09 10:00",
        category="BL",
        severity="C",
        department="CS",
        owner="赵敏",
        summary="Invoice overcharged",
        customer="Acme Ltd",
        contact="billing@acme.example",
        channel="email",
    )
    courier = log_case(
        cli,
        received="2025-10-10 09:00",
        summary="快递员态度差",
        customer="张三",
        contact="13800000003",
        channel="online",
    )
    cli.ok("ack", courier, "--at", "2025-10-10 09:30")
    cli.ok(
        "classify",
        courier,
        "--category",
        "SA",
        "--severity",
        "A",
        "--kind",
        "general",
        "--at",
        "2025-10-10 10:00",
    )
    rejected = log_case(
        cli, received="2025-09-29 09:00", summary="咨询价格", customer="李四", contact="13800000004"
    )
    cli.ok("ack", rejected, "--at", "2025-09-29 09:30")
    cli.ok("classify", rejected, "--reject", "不是投诉", "--at", "2025-09-29 10:00")
    fresh = log_case(
        cli, received=None, summary="门店空调太冷", customer="赵六", contact="13800000005"
    )
    return {
        "leak": leak,
        "invoice": invoice,
        "courier": courier,
        "rejected": rejected,
        "fresh": fresh,
    }


def list_numbers(cli, *args: str) -> list[str]:
    data = json.loads(cli.ok("list", "--format", "json", *args))
    return [row["number"] for row in data["cases"]]


@pytest.mark.slow
def test_list_shows_open_cases_next_deadline_first(cli, listed):
    assert list_numbers(cli) == [
        listed["courier"],
        listed["leak"],
        listed["invoice"],
        listed["fresh"],
    ]


LIST_FILTERS = [
    (("--step", "investigate"), ["leak", "invoice"]),
    (("--step", "rejected"), ["rejected"]),
    (("--owner", "李娜"), ["leak"]),
    (("--department", "CS"), ["invoice"]),
    (("--department", "cs"), ["invoice"]),
    (("--category", "PQ"), ["leak"]),
    (("--severity", "A"), ["courier"]),
    (("--overdue",), ["courier", "leak", "invoice"]),
    (("--from", "2025-10-09"), ["courier", "invoice", "fresh"]),
    (("--to", "2025-10-09"), ["leak", "invoice"]),
    (("--from", "2025-10-09", "--to", "2025-10-10"), ["courier", "invoice"]),
    (("--search", "漏水"), ["leak"]),
    (("--search", "INVOICE"), ["invoice"]),
    (("--search", "acme.example"), ["invoice"]),
    (("--search", "不存在的内容"), []),
    (("--status", "ended"), ["rejected"]),
    (("--status", "all"), ["courier", "leak", "invoice", "fresh", "rejected"]),
    (("--status", "all", "--search", "咨询"), ["rejected"]),
    (("--step", "investigate", "--owner", "赵敏"), ["invoice"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "expected"), LIST_FILTERS, ids=[" ".join(args) for args, _ in LIST_FILTERS]
)
def test_list_filters_select_the_matching_cases(cli, listed, args, expected):
    assert list_numbers(cli, *args) == [listed[role] for role in expected]


def test_list_search_finds_the_case_by_its_number(cli, listed):
    assert list_numbers(cli, "--search", listed["invoice"].lower()) == [listed["invoice"]]


def test_list_search_treats_percent_and_underscore_as_plain_text(cli, listed):
    assert list_numbers(cli, "--status", "all", "--search", "%") == []
    assert list_numbers(cli, "--status", "all", "--search", "_") == []


def test_list_pages_through_the_cases(cli, listed):
    data = json.loads(cli.ok("list", "--format", "json", "--per-page", "2", "--page", "2"))
    assert data["total"] == 4
    assert (data["page"], data["per_page"]) == (2, 2)
    assert [r["number"] for r in data["cases"]] == [listed["invoice"], listed["fresh"]]
    data = json.loads(cli.ok("list", "--format", "json", "--per-page", "2", "--page", "3"))
    assert (data["total"], data["cases"]) == (4, [])


def test_list_json_rows_have_the_stable_field_names(cli, listed):
    data = json.loads(cli.ok("list", "--format", "json", "--search", "漏水"))
    assert list(data) == ["total", "page", "per_page", "cases"]
    (row,) = data["cases"]
    assert list(row) == list(LIST_FIELDS)
    assert row == {
        "number": listed["leak"],
        "step": "investigate",
        "on_hold": False,
        "received_at": "2025-09-30T09:00:00+08:00",
        "channel": "phone",
        "customer_name": "王伟",
        "summary": "洗衣机漏水",
        "category": "PQ",
        "severity": "B",
        "department": "QA",
        "owner": "李娜",
        "due_at": "2025-10-11T18:00:00+08:00",
        "overdue": True,
    }


def test_list_csv_has_a_header_of_the_stable_field_names_and_chinese_text(cli, listed):
    out = cli.ok("list", "--format", "csv", "--status", "all")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(LIST_FIELDS)
    assert len(rows) == 6
    by_number = {r[0]: dict(zip(LIST_FIELDS, r, strict=True)) for r in rows[1:]}
    leak = by_number[listed["leak"]]
    assert leak["summary"] == "洗衣机漏水"
    assert leak["customer_name"] == "王伟"
    assert leak["owner"] == "李娜"
    assert leak["due_at"] == "2025-10-11T18:00:00+08:00"
    assert leak["overdue"] == "True"
    assert by_number[listed["rejected"]]["due_at"] == ""


def test_list_table_names_every_open_case(cli, listed):
    out = cli.ok("list")
    for role in ("courier", "leak", "invoice", "fresh"):
        assert listed[role] in out
    assert listed["rejected"] not in out
    assert "洗衣机漏水" in out


# -- (11) log output and duplicates ---------------------------------------------------------------
def test_log_prints_the_number_and_the_acknowledgement_deadline(cli):
    result = cli(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        "13800000000",
        "--summary",
        "洗衣机漏水",
        "--description",
        "使用三天后底部漏水",
        "--demand",
        "换新",
        "--order",
        "SO-2025-0915",
        "--product",
        "XQB80 洗衣机",
        "--amount",
        "2399.00",
        "--customer-type",
        "individual",
        "--external-ref",
        "WEB-77",
        "--received-at",
        "2025-09-30 09:15",
    )
    assert result.exit_code == 0
    assert result.stdout == "Logged C2025-000001; acknowledge by 2025-10-01 09:15\n"
    assert result.stderr == ""
    d = show(cli, "C2025-000001")
    assert d["received_at"] == "2025-09-30T09:15:00+08:00"
    assert (d["description"], d["demand"], d["order_no"], d["product"]) == (
        "使用三天后底部漏水",
        "换新",
        "SO-2025-0915",
        "XQB80 洗衣机",
    )
    assert (d["amount_claimed"], d["external_ref"], d["logged_by"]) == (
        "2399.00",
        "WEB-77",
        "tester",
    )
    assert d["deadlines"]["acknowledge"]["due"] == "2025-10-01T09:15:00+08:00"


def test_log_quiet_prints_only_the_number(cli):
    out = cli.ok(
        "log",
        "--channel",
        "email",
        "--customer",
        "a",
        "--contact",
        "a@x.cn",
        "--summary",
        "s",
        "-q",
    )
    assert NUMBER.fullmatch(out.strip())


def test_log_warns_about_an_open_case_from_the_same_contact_but_still_logs(cli):
    first = log_case(cli, contact="13800000000")
    result = cli(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        "138-0000-0000",
        "--summary",
        "又漏水了",
        "--received-at",
        "2025-09-30 11:00",
    )
    assert result.exit_code == 0
    assert result.stdout == "Logged C2025-000002; acknowledge by 2025-10-01 11:00\n"
    assert result.stderr == (
        f"note: likely duplicate of {first} (an open case from the same contact, logged recently)\n"
    )
    assert show(cli, "C2025-000002")["summary"] == "又漏水了"


@pytest.mark.slow
def test_log_does_not_warn_about_an_ended_case_or_another_contact(cli):
    rejected = log_case(cli, contact="13800000000")
    cli.ok("ack", rejected, "--at", "2025-09-30 09:30")
    cli.ok("classify", rejected, "--reject", "不是投诉", "--at", "2025-09-30 10:00")
    for contact in ("13800000000", "13900000000"):
        result = cli(
            "log",
            "--channel",
            "phone",
            "--customer",
            "王伟",
            "--contact",
            contact,
            "--summary",
            "s",
        )
        assert result.exit_code == 0
        assert result.stderr == ""


def test_log_does_not_warn_about_a_case_logged_more_than_a_day_ago(cli, register):
    services.log_complaint(
        register,
        now=local(2025, 9, 30, 9, 0),
        actor="tester",
        channel="phone",
        customer_name="王伟",
        contact="13800000000",
        summary="洗衣机漏水",
    )
    result = cli(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        "13800000000",
        "--summary",
        "s",
    )
    assert result.exit_code == 0
    assert result.stderr == ""


# -- (12) who and when -----------------------------------------------------------------------
def test_the_as_option_names_the_actor_in_the_history(cli):
    number = log_case(cli)
    cli.ok("--as", "前台小刘", "ack", number, "--at", "2025-09-30 09:30")
    history = show(cli, number)["history"]
    assert [(e["action"], e["actor"]) for e in history] == [("log", "tester"), ("ack", "前台小刘")]


def test_the_history_keeps_both_when_it_happened_and_when_it_was_recorded(cli):
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    ack_event = show(cli, number)["history"][-1]
    assert ack_event["at"] == "2025-09-30T09:30:00+08:00"
    assert ack_event["recorded_at"] > "2026"  # recorded now, long after it happened
    assert ack_event["recorded_at"].endswith("+08:00")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "at", "message"),
    [
        (
            ("ack",),
            "2025-09-30 08:59",
            "before step 'acknowledge' began (2025-09-30 09:00)",
        ),
        (
            ("investigate", "--findings", "f", "--responsibility", "internal"),
            "2025-09-30 09:59",
            "before step 'investigate' began (2025-09-30 10:00)",
        ),
        (
            ("note", "太早了"),
            "2025-09-30 08:00",
            "before the complaint was received (2025-09-30 09:00)",
        ),
    ],
    ids=["ack", "investigate", "note"],
)
def test_an_at_before_the_current_step_began_is_refused(cli, command, at, message):
    number = log_case(cli) if command[0] == "ack" else to_investigate(cli)
    before = show(cli, number)
    name, *rest = command
    result = cli(name, number, *rest, "--at", at)
    assert result.exit_code == 1
    assert result.stderr == f"error: --at: {at} is {message}\n"
    assert show(cli, number) == before


def test_resume_before_the_hold_began_is_refused(cli):
    number = to_investigate(cli)
    cli.ok("hold", number, "--reason", "等资料", "--at", "2025-10-09 10:00")
    result = cli("resume", number, "--at", "2025-10-09 09:00")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --at: 2025-10-09 09:00 is before the hold began (2025-10-09 10:00)\n"
    )


# -- (13) the database file --------------------------------------------------------------------
@pytest.mark.no_register
def test_db_init_creates_the_database_file(cli, db_path: Path):
    assert not db_path.exists()
    out = cli.ok("db", "init")
    assert db_path.exists()
    assert out == f"database ready: sqlite:///{db_path.resolve()}\n"


def test_the_database_file_is_in_wal_mode(cli, db_path: Path):
    log_case(cli)
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        con.close()


def test_a_logged_case_is_in_the_registers_tables_stamped_with_the_schema(cli, db_url: str):
    number = log_case(cli)
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as con:
            assert {"cases", "events", "attachments", "counters", "meta"} <= set(
                sa.inspect(con).get_table_names()
            )
            query = con.exec_driver_sql
            assert query("SELECT value FROM meta WHERE key = 'schema_version'").all() == [
                (str(int(HEAD)),)
            ]
            assert query("SELECT version_num FROM alembic_version").all() == [(HEAD,)]
            assert query("SELECT number, step FROM cases").all() == [(number, "acknowledge")]
            assert query("SELECT action FROM events").all() == [("log",)]
    finally:
        engine.dispose()


@pytest.mark.no_register
def test_the_db_option_names_another_database_file(cli, tmp_path: Path, db_path: Path):
    other = tmp_path / "other" / "office.db"
    cli.ok("--db", str(other), "db", "init")
    assert other.exists()
    cli.ok(
        "--db",
        str(other),
        "log",
        "--channel",
        "phone",
        "--customer",
        "a",
        "--contact",
        "1",
        "--summary",
        "s",
    )
    con = sqlite3.connect(other)
    try:
        assert con.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    finally:
        con.close()
    assert not db_path.exists()
