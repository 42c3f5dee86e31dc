"""`complaintctl warn`: the morning digest, its early-warning signals, cron and mail.

Cases are set up through the services at known office-local times (Asia/Shanghai, the CN
calendar of October 2025: 1-8 October off, Saturday 11 October a make-up working day) and
the digest is read back through the CLI with `--at`.  Mail goes to a real SMTP server
(aiosmtpd) on loopback; the cron checks run the installed console script with its output
on a pipe.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from conftest import local

from complaintctl import services

ACTOR = "tester"
# The moment most tests look from: Monday 20 October 2025, 11:00 in Shanghai.
AT = "2025-10-20 11:00"
NUMBER = re.compile(r"C\d{4}-\d{6}")
HOUR = dt.timedelta(hours=1)
_contacts = itertools.count(1)


# -- setting cases up through the services ------------------------------------------------
def logged(
    reg,
    received,
    *,
    contact: str | None = None,
    customer: str = "王伟",
    summary: str = "洗衣机漏水",
    ack: bool = True,
) -> str:
    """A complaint received (and, with `ack`, acknowledged) at `received`; unless given, from
    a contact of its own (so that it is nobody's repeat complaint)."""
    return services.log_complaint(
        reg,
        now=received,
        actor=ACTOR,
        channel="phone",
        customer_name=customer,
        contact=contact or f"1380000{next(_contacts):04d}",
        summary=summary,
        received_at=received,
        ack=ack,
    ).case.number


def classified(reg, received, *, category="PQ", severity="B", classified_at=None, **kw) -> str:
    number = logged(reg, received, **kw)
    when = classified_at or received
    services.classify(
        reg,
        number,
        category=category,
        severity=severity,
        kind="general",
        now=when,
        actor=ACTOR,
        at=when,
    )
    return number


def assigned(reg, assigned_at, *, owner, department, received=None, **kw) -> str:
    """A case received an hour before `assigned_at` (unless given), acknowledged and
    classified on receipt, assigned at `assigned_at`: its 3-working-day investigation clock
    runs from then."""
    received = received or assigned_at - HOUR
    number = classified(reg, received, **kw)
    services.assign(
        reg,
        number,
        department=department,
        owner=owner,
        now=assigned_at,
        actor=ACTOR,
        at=assigned_at,
    )
    return number


def in_feedback(reg, resolved_at, *, owner="张伟", department="QA") -> str:
    """A case resolved at `resolved_at`: its 7-working-day feedback window opens then."""
    received = resolved_at - HOUR
    number = assigned(reg, received, owner=owner, department=department, received=received)
    services.investigate(
        reg,
        number,
        findings="漏水",
        cause=None,
        responsibility="internal",
        proposal=None,
        now=resolved_at,
        actor=ACTOR,
        at=resolved_at,
    )
    services.resolve(
        reg,
        number,
        remedy="repair",
        amount_cents=None,
        note=None,
        told_at=None,
        now=resolved_at,
        actor=ACTOR,
        at=resolved_at,
    )
    return number


@pytest.fixture
def office(register) -> SimpleNamespace:
    """A register as of Monday 2025-10-20 11:00, with (deadline, lateness then):

    overdue   c1 李娜/QA  investigate due Mon 10-13 18:00  4 working days late
              c8 王芳/CS  investigate due Thu 10-16 18:00  1 working day late
              c2 张伟/QA  investigate due Fri 10-17 18:00  2 working h late
              c7 李娜/CS  severity A, escalation due 10-20 10:30  30 min late
    due soon  c6 (unassigned) acknowledgement due 10-20 13:00  due in 2 working h
              c3 李娜/QA  investigate due Mon 10-20 18:00  due in 7 working h
              c4 王芳/QA  investigate due Tue 10-21 18:00  due in 1 working day
    later     c5 王芳/QA  investigate due Wed 10-22 18:00
    feedback  fb_ended (window ended Fri 10-17 18:00), fb_open (window ends 10-20 18:00)
    """
    reg = register
    cases = SimpleNamespace()
    # Assigned Thu 10-09: working days 10-10, Sat 10-11 (make-up day), Mon 10-13.
    cases.c1 = assigned(reg, local(2025, 10, 9, 10), owner="李娜", department="QA")
    cases.c8 = assigned(reg, local(2025, 10, 13, 10), owner="王芳", department="CS")
    cases.c2 = assigned(reg, local(2025, 10, 14, 10), owner="张伟", department="QA")
    cases.c3 = assigned(reg, local(2025, 10, 15, 10), owner="李娜", department="QA")
    cases.c4 = assigned(reg, local(2025, 10, 16, 10), owner="王芳", department="QA")
    cases.c5 = assigned(reg, local(2025, 10, 17, 10), owner="王芳", department="QA")
    cases.c6 = logged(reg, local(2025, 10, 19, 13), ack=False)
    cases.c7 = assigned(
        reg,
        local(2025, 10, 20, 9, 40),
        owner="李娜",
        department="CS",
        received=local(2025, 10, 20, 9),
        severity="A",
        classified_at=local(2025, 10, 20, 9, 30),
    )
    cases.fb_ended = in_feedback(reg, local(2025, 10, 9, 10))
    cases.fb_open = in_feedback(reg, local(2025, 10, 10, 10))
    return cases


def warn_json(cli, *args: str, code: int | None = None) -> dict:
    result = cli("warn", "--format", "json", *args)
    if code is not None:
        assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.exit_code in (0, 3), (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def listed(items: list[dict]) -> list[tuple[str, str, str]]:
    return [(i["group"], i["number"], i["late"]) for i in items]


def numbers(items: list[dict]) -> list[str]:
    return [i["number"] for i in items]


# -- overdue and due soon -----------------------------------------------------------------
def test_overdue_cases_are_grouped_by_owner_with_the_most_overdue_group_first(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, code=3)
    assert listed(d["overdue"]) == [
        ("李娜", c.c1, "4 working days late"),
        ("李娜", c.c7, "30 min late"),
        ("王芳", c.c8, "1 working day late"),
        ("张伟", c.c2, "2 working h late"),
    ]
    assert d["headline"] == "4 overdue, 3 due within 1 working day (before 2025-10-21 18:00)"
    assert d["by"] == "owner"


def test_overdue_items_say_which_clock_is_late_and_by_how_many_calendar_hours(cli, office):
    c = office
    items = {i["number"]: i for i in warn_json(cli, "--at", AT)["overdue"]}
    assert items[c.c1]["clock"] == "investigate"
    assert items[c.c1]["step"] == "investigate"
    assert items[c.c1]["due_at"] == "2025-10-13T18:00:00+08:00"
    assert items[c.c1]["hours_late"] == 161.0  # 6 days 17 hours
    # Case c7 is at the investigate step, but what is late is its severity-A escalation.
    assert items[c.c7]["clock"] == "escalate"
    assert items[c.c7]["step"] == "investigate"
    assert items[c.c7]["due_at"] == "2025-10-20T10:30:00+08:00"
    assert items[c.c7]["hours_late"] == 0.5


def test_due_soon_by_default_means_until_closing_time_of_the_next_working_day(cli, office):
    c = office
    d = warn_json(cli, "--at", AT)
    assert d["within"] == "1wd"
    assert d["horizon"] == "2025-10-21T18:00:00+08:00"
    assert listed(d["due_soon"]) == [
        ("(unassigned)", c.c6, "due in 2 working h"),
        ("李娜", c.c3, "due in 7 working h"),
        ("王芳", c.c4, "due in 1 working day"),
    ]
    assert c.c5 not in numbers(d["due_soon"]) + numbers(d["overdue"])


def test_within_4h_lists_only_what_falls_due_in_the_next_four_hours(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, "--within", "4h")
    assert d["within"] == "4h"
    assert d["horizon"] == "2025-10-20T15:00:00+08:00"
    assert listed(d["due_soon"]) == [("(unassigned)", c.c6, "due in 2 working h")]
    assert numbers(d["overdue"]) == [c.c1, c.c7, c.c8, c.c2]  # the overdue list is unchanged


def test_within_2wd_reaches_the_case_due_on_the_second_working_day(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, "--within", "2wd")
    assert listed(d["due_soon"]) == [
        ("(unassigned)", c.c6, "due in 2 working h"),
        ("李娜", c.c3, "due in 7 working h"),
        ("王芳", c.c4, "due in 1 working day"),
        ("王芳", c.c5, "due in 2 working days"),
    ]


def test_by_department_groups_the_same_cases_by_department(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, "--by", "department")
    assert d["by"] == "department"
    assert listed(d["overdue"]) == [
        ("QA", c.c1, "4 working days late"),
        ("QA", c.c2, "2 working h late"),
        ("CS", c.c8, "1 working day late"),
        ("CS", c.c7, "30 min late"),
    ]
    assert listed(d["due_soon"]) == [
        ("(unassigned)", c.c6, "due in 2 working h"),
        ("QA", c.c3, "due in 7 working h"),
        ("QA", c.c4, "due in 1 working day"),
    ]


def test_owner_filter_keeps_only_that_owners_cases_in_every_list(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, "--owner", "李娜")
    assert numbers(d["overdue"]) == [c.c1, c.c7]
    assert numbers(d["due_soon"]) == [c.c3]
    assert numbers(d["severity_a"]) == [c.c7]
    assert warn_json(cli, "--at", AT, "--owner", "张伟")["severity_a"] == []


def test_department_filter_is_case_insensitive_and_drops_unassigned_cases(cli, office):
    c = office
    d = warn_json(cli, "--at", AT, "--department", "QA")
    assert numbers(d["overdue"]) == [c.c1, c.c2]
    assert numbers(d["due_soon"]) == [c.c3, c.c4]
    d = warn_json(cli, "--at", AT, "--department", "cs")
    assert numbers(d["overdue"]) == [c.c8, c.c7]
    assert d["due_soon"] == []


def test_a_filter_that_leaves_nothing_overdue_exits_zero(cli, office):
    result = cli("warn", "--at", AT, "--department", "LOG")
    assert result.exit_code == 0, result.stderr
    assert "0 overdue, 0 due within 1 working day" in result.stdout
    assert "Nothing overdue, nothing due soon, no warnings." in result.stdout


def test_an_open_feedback_window_is_never_overdue_and_ready_to_close_once_ended(cli, office):
    c = office
    d = warn_json(cli, "--at", AT)
    listed_numbers = numbers(d["overdue"]) + numbers(d["due_soon"])
    assert c.fb_ended not in listed_numbers
    assert c.fb_open not in listed_numbers  # its window ends today at 18:00
    assert [(i["number"], i["window_ended"]) for i in d["ready_to_close"]] == [
        (c.fb_ended, "2025-10-17T18:00:00+08:00")
    ]
    # The next morning the second window has ended too; still not overdue.
    d = warn_json(cli, "--at", "2025-10-21 09:00")
    assert numbers(d["ready_to_close"]) == [c.fb_ended, c.fb_open]
    assert c.fb_open not in numbers(d["overdue"]) + numbers(d["due_soon"])


def test_plain_text_lists_groups_then_their_cases_with_lateness_in_words(cli, office):
    c = office
    result = cli("warn", "--at", AT)
    assert result.exit_code == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "complaintctl warn — Mon 2025-10-20 11:00 (CST)"
    assert lines[1] == "4 overdue, 3 due within 1 working day (before 2025-10-21 18:00)"

    def section(title: str) -> list[str]:
        start = lines.index(title) + 1
        end = lines.index("", start) if "" in lines[start:] else len(lines)
        out = []
        for line in lines[start:end]:
            m = re.match(
                r"^  (C\d{4}-\d{6})  (\S+)\s+(.+?)\s+due \d{4}-\d\d-\d\d \d\d:\d\d  ", line
            )
            out.append(f"{m.group(1)} | {m.group(3)}" if m else line)
        return out

    assert section("OVERDUE (by owner)") == [
        "李娜",
        f"{c.c1} | 4 working days late",
        f"{c.c7} | 30 min late",
        "王芳",
        f"{c.c8} | 1 working day late",
        "张伟",
        f"{c.c2} | 2 working h late",
    ]
    assert section("DUE WITHIN 1 working day (by owner)") == [
        "(unassigned)",
        f"{c.c6} | due in 2 working h",
        "李娜",
        f"{c.c3} | due in 7 working h",
        "王芳",
        f"{c.c4} | due in 1 working day",
    ]
    assert section("FEEDBACK WINDOW ENDED: READY TO CLOSE") == [
        f"  {c.fb_ended}  window ended 2025-10-17 18:00"
    ]
    assert section("SEVERITY A: ESCALATION OR PLAN MISSING") == [f"  {c.c7}  not escalated"]


def test_lateness_across_a_weekend_or_a_night_is_in_calendar_hours(cli, register):
    late = assigned(register, local(2025, 10, 14, 10), owner="张伟", department="QA")
    soon = logged(register, local(2025, 10, 20, 9), ack=False)
    # Monday 08:00: the Friday 18:00 deadline passed a weekend ago, no office time since.
    d = warn_json(cli, "--at", "2025-10-20 08:00")
    assert listed(d["overdue"]) == [("张伟", late, "62 h late")]
    # Monday 19:00: the acknowledgement is due Tuesday 09:00, a night away.
    d = warn_json(cli, "--at", "2025-10-20 19:00")
    assert listed(d["due_soon"]) == [("(unassigned)", soon, "due in 14 h")]


def test_a_case_on_hold_is_listed_apart_with_how_long_and_why(cli, register):
    number = assigned(register, local(2025, 10, 14, 10), owner="张伟", department="QA")
    services.hold(
        register,
        number,
        reason="waiting for photos",
        now=local(2025, 10, 15, 10),
        actor=ACTOR,
        at=local(2025, 10, 15, 10),
    )
    result = cli("warn", "--at", AT)
    assert result.exit_code == 0, result.stdout  # its clock is paused: nothing overdue
    text = result.stdout.split("\n\n")
    assert [p for p in text if number in p] == [
        "ON HOLD\n"
        f"  {number}  on hold for 3 working days, since 2025-10-15 10:00: waiting for photos\n"
    ]
    item = warn_json(cli, "--at", AT)["on_hold"][0]
    assert (item["number"], item["held"], item["hold_reason"]) == (
        number, "3 working days", "waiting for photos"
    )  # fmt: skip


# -- early-warning signals ----------------------------------------------------------------
def test_severity_a_is_flagged_after_1h_without_escalation_and_4h_without_a_plan(cli, register):
    graded = local(2025, 10, 20, 9, 30)
    number = classified(register, local(2025, 10, 20, 9), severity="A", classified_at=graded)
    b_case = classified(register, local(2025, 10, 20, 9), severity="B")

    def flagged(at: str) -> list[tuple[str, str]]:
        return [(i["number"], i["problem"]) for i in warn_json(cli, "--at", at)["severity_a"]]

    assert flagged("2025-10-20 10:29") == []
    assert flagged("2025-10-20 10:31") == [(number, "not escalated")]
    assert flagged("2025-10-20 13:31") == [(number, "not escalated, no handling plan")]
    assert b_case not in [n for n, _ in flagged("2025-10-20 17:00")]

    escalated = local(2025, 10, 20, 13, 40)
    services.escalate(register, number, to="总经理", note=None, now=escalated, actor=ACTOR)
    assert flagged("2025-10-20 13:45") == [(number, "no handling plan")]

    planned = local(2025, 10, 20, 13, 50)
    services.plan(register, number, text="上门更换", now=planned, actor=ACTOR)
    d = warn_json(cli, "--at", "2025-10-20 14:00", code=0)
    assert d["severity_a"] == []
    assert number not in numbers(d["overdue"])


def test_a_severity_a_case_escalated_and_planned_in_time_is_never_flagged(cli, register):
    graded = local(2025, 10, 20, 9, 30)
    number = classified(register, local(2025, 10, 20, 9), severity="A", classified_at=graded)
    services.escalate(
        register, number, to="总经理", note=None, now=local(2025, 10, 20, 10), actor=ACTOR
    )
    services.plan(register, number, text="上门更换", now=local(2025, 10, 20, 11), actor=ACTOR)
    d = warn_json(cli, "--at", "2025-10-20 15:00", code=0)
    assert d["severity_a"] == []
    assert d["overdue"] == []


def test_a_repeat_complainant_within_90_days_is_flagged_with_the_earlier_case(cli, register):
    # Same phone, written differently, 80 days apart; the earlier case has even ended.
    earlier = logged(register, local(2025, 8, 1, 9), contact="13900000001")
    services.reject(register, earlier, reason="not ours", now=local(2025, 8, 1, 10), actor=ACTOR)
    repeat = logged(register, local(2025, 10, 20, 9), contact="139-0000-0001", customer="李雷")
    # 120 days apart: not a repeat.
    logged(register, local(2025, 6, 20, 9), contact="13900000002")
    too_late = logged(register, local(2025, 10, 18, 9), contact="13900000002")
    # Within the window but the later case has ended: nothing to warn about.
    logged(register, local(2025, 9, 1, 9), contact="13900000003")
    ended = logged(register, local(2025, 10, 15, 9), contact="13900000003")
    services.reject(register, ended, reason="duplicate", now=local(2025, 10, 15, 10), actor=ACTOR)

    d = warn_json(cli, "--at", AT)
    assert [(i["number"], i["earlier"]) for i in d["repeat_complainants"]] == [(repeat, [earlier])]
    item = d["repeat_complainants"][0]
    assert (item["contact"], item["customer_name"]) == ("139-0000-0001", "李雷")
    assert too_late not in numbers(d["repeat_complainants"])

    text = cli("warn", "--at", AT).stdout
    assert f"  {repeat}  李雷 <139-0000-0001>, earlier: {earlier}" in text.splitlines()


def test_a_contact_with_many_earlier_cases_is_counted_and_only_the_latest_are_named(cli, register):
    # Issue 14: one contact behind thousands of cases must not list them all in every item.
    phone = "13900000009"
    outside = logged(register, local(2025, 7, 1, 9), contact=phone)  # 111 days before
    earlier = [logged(register, local(2025, 8, d, 9), contact=phone) for d in (1, 5, 9, 13, 17)]
    repeat = logged(register, local(2025, 10, 20, 9), contact=phone, customer="李雷")
    # Received at the same moment: neither is the other's earlier case.
    twin = logged(register, local(2025, 10, 20, 9), contact=phone)

    d = warn_json(cli, "--at", AT)
    items = {i["number"]: i for i in d["repeat_complainants"]}
    for number in (repeat, twin):
        assert items[number]["earlier_count"] == 5
        assert items[number]["first_earlier"] == earlier[0]
        assert items[number]["earlier"] == earlier[-3:]
    # A contact with few earlier cases still has them all named.
    assert items[earlier[1]]["earlier_count"] == 2
    assert items[earlier[1]]["earlier"] == [outside, earlier[0]]

    lines = cli("warn", "--at", AT).stdout.splitlines()
    latest = ", ".join(earlier[-3:])
    assert (
        f"  {repeat}  李雷 <{phone}>, 5 earlier cases since {earlier[0]}, latest: {latest}"
    ) in lines


def pq_cases(register, *received, category="PQ") -> list[str]:
    return [classified(register, t, category=category) for t in received]


THIS_WEEK = (local(2025, 10, 20, 10), local(2025, 10, 21, 10), local(2025, 10, 22, 10))


@pytest.mark.slow
def test_three_cases_of_a_category_this_week_against_none_before_are_a_spike(cli, register):
    pq_cases(register, *THIS_WEEK)
    # Before the third arrives (Wednesday 09:30) there are only two: no spike yet.
    assert warn_json(cli, "--at", "2025-10-22 09:30")["category_spikes"] == []
    assert warn_json(cli, "--at", "2025-10-22 12:00")["category_spikes"] == [
        {
            "category": "PQ",
            "this_week": 3,
            "trailing_mean": 0.0,
            "weeks": 8,
            "week": "2025-W43",
        }
    ]
    text = cli("warn", "--at", "2025-10-22 12:00").stdout
    assert "CATEGORY SPIKES THIS WEEK" in text
    assert "  PQ  3 this week (2025-W43), trailing 8-week mean 0.0" in text.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "spike"),
    [(12, True), (13, False)],
    ids=["mean-1.5-is-met-exactly", "mean-1.625-is-not-met"],
)
def test_a_spike_needs_twice_the_trailing_8_week_mean(cli, register, before, spike):
    # `before` PQ cases in the 8 full weeks before (Mon 08-25 .. Sun 10-19), and two more
    # just before that window, which must not count.
    trailing = [local(2025, 8, 25, 0, 0) + dt.timedelta(days=4 * i) for i in range(before)]
    assert trailing[-1] < local(2025, 10, 20, 0, 0)
    pq_cases(register, local(2025, 8, 24, 10), local(2025, 8, 24, 23, 59), *trailing, *THIS_WEEK)
    spikes = warn_json(cli, "--at", "2025-10-22 12:00")["category_spikes"]
    if spike:
        assert [(s["category"], s["this_week"], s["trailing_mean"]) for s in spikes] == [
            ("PQ", 3, 1.5)
        ]
    else:
        assert spikes == []


def test_fewer_than_three_cases_are_no_spike_whatever_the_trailing_mean(cli, register):
    pq_cases(register, *THIS_WEEK[:2])
    pq_cases(register, *THIS_WEEK, category="SA")
    spikes = warn_json(cli, "--at", "2025-10-22 12:00")["category_spikes"]
    assert [s["category"] for s in spikes] == ["SA"]


# -- mail: a real SMTP server on loopback -------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class SmtpSink:
    """aiosmtpd handler: keeps every message it is handed."""

    messages: list[Received] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


def write_config(tmp_path: Path, smtp: dict | None = None, **overrides) -> str:
    """A config file with an [smtp] table (host/port/security/from defaults + overrides)."""
    path = tmp_path / "complaintctl.toml"
    lines = []
    if smtp is not None or overrides:
        table = {
            "host": "127.0.0.1",
            "port": 25,
            "security": "none",
            "from": "complaintctl@example.com",
            "timeout": 5,
            **(smtp or {}),
            **overrides,
        }
        lines.append("[smtp]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def overdue_numbers_in_text(text: str) -> list[str]:
    """The case numbers of the OVERDUE section of a plain-text digest."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("OVERDUE (by "))
    end = lines.index("", start)
    return [m.group(0) for line in lines[start:end] if (m := NUMBER.search(line))]


def only_line(output: str) -> str:
    lines = output.splitlines()
    assert len(lines) == 1, output
    return lines[0]


def test_mail_to_two_addresses_delivers_one_text_and_html_message(
    cli, office, smtp_server, tmp_path
):
    c = office
    config = write_config(tmp_path, port=smtp_server.port)
    result = cli(
        "--config",
        config,
        "warn",
        "--at",
        AT,
        "--mail-to",
        "a@example.com",
        "--mail-to",
        "b@example.com",
    )
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert result.stderr == "mailed to a@example.com, b@example.com\n"
    printed = overdue_numbers_in_text(result.stdout)
    assert printed == [c.c1, c.c7, c.c8, c.c2]

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.mail_from == "complaintctl@example.com"
    assert received.rcpt_tos == ["a@example.com", "b@example.com"]

    msg = email.message_from_bytes(received.content, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["From"] == "complaintctl@example.com"
    assert msg["To"] == "a@example.com, b@example.com"
    # (Whitespace normalised: the stdlib folds this long subject before its encoded dash.)
    assert " ".join(msg["Subject"].split()) == (
        "complaintctl: 4 overdue, 3 due within 1 working day (before 2025-10-21 18:00) - 2025-10-20"
    )
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # The text part is the digest as printed.
    assert text.replace("\r\n", "\n") == result.stdout
    assert overdue_numbers_in_text(text) == printed
    overdue_table = html[html.index("<h3>Overdue</h3>") : html.index("</table>")]
    assert NUMBER.findall(overdue_table) == printed
    assert "<h2>4 overdue, 3 due within 1 working day (before 2025-10-21 18:00)</h2>" in html


@pytest.mark.slow
def test_mail_is_sent_when_nothing_is_overdue_and_then_the_exit_code_is_zero(
    cli, register, smtp_server, tmp_path
):
    config = write_config(tmp_path, port=smtp_server.port)
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert len(smtp_server.messages) == 1
    msg = email.message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    assert msg["Subject"].startswith("complaintctl: 0 overdue, 0 due within 1 working day")


def test_dry_run_prints_the_whole_message_and_sends_nothing(cli, office, smtp_server, tmp_path):
    config = write_config(tmp_path, port=smtp_server.port)
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com", "--dry-run")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert smtp_server.messages == []
    digest, marker, message = result.stdout.partition("--- message that would be sent ---\n")
    assert marker
    assert overdue_numbers_in_text(digest) == [office.c1, office.c7, office.c8, office.c2]
    assert "Subject: complaintctl: 4 overdue, 3 due within 1 working day" in message
    assert "Content-Type: multipart/alternative" in message
    msg = email.message_from_string(message, policy=policy.default)
    assert msg["To"] == "a@example.com"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == digest


@pytest.mark.slow
def test_a_server_that_is_down_prints_the_digest_and_one_error_line_exit_4(cli, office, tmp_path):
    config = write_config(tmp_path, port=free_port())  # nobody listens there
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert overdue_numbers_in_text(result.stdout) == [office.c1, office.c7, office.c8, office.c2]
    assert only_line(result.stderr).startswith("error: mail not sent")


@pytest.mark.slow
def test_starttls_against_a_server_without_starttls_fails_with_exit_4(
    cli, office, smtp_server, tmp_path
):
    config = write_config(tmp_path, port=smtp_server.port, security="starttls")
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert result.stdout.startswith("complaintctl warn — Mon 2025-10-20 11:00 (CST)\n")
    assert overdue_numbers_in_text(result.stdout) == [office.c1, office.c7, office.c8, office.c2]
    line = only_line(result.stderr)
    assert line.startswith("error: mail not sent")
    assert "STARTTLS" in line
    assert smtp_server.messages == []


@pytest.mark.slow
def test_a_password_env_naming_an_unset_variable_is_one_error_line(
    cli, office, smtp_server, tmp_path, monkeypatch
):
    monkeypatch.delenv("COMPLAINTCTL_TEST_SMTP_PASSWORD", raising=False)
    config = write_config(
        tmp_path,
        port=smtp_server.port,
        user="bot",
        password_env="COMPLAINTCTL_TEST_SMTP_PASSWORD",
    )
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    line = only_line(result.stderr)
    assert line.startswith("error: smtp.password_env")
    assert "COMPLAINTCTL_TEST_SMTP_PASSWORD" in line
    assert smtp_server.messages == []
    # Either refused up front as a config error (exit 2, nothing printed), or, once the
    # digest has been printed, "the mail could not be sent" (exit 4, README's exit codes).
    printed = "4 overdue" in result.stdout
    assert (result.exit_code, printed) in {(2, False), (4, True)}, (
        result.exit_code,
        result.stdout,
    )


@pytest.mark.slow
def test_a_password_in_the_config_file_is_refused_naming_smtp_password(
    cli, office, smtp_server, tmp_path
):
    config = write_config(tmp_path, port=smtp_server.port, password="x")
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 2
    assert only_line(result.stderr).startswith("error: smtp.password:")
    assert result.stdout == ""
    assert smtp_server.messages == []


@pytest.mark.slow
def test_mail_to_without_an_smtp_section_is_one_error_line_naming_smtp(cli, office, tmp_path):
    config = write_config(tmp_path)  # an empty config: no [smtp]
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 2
    assert only_line(result.stderr).startswith("error: smtp:")
    assert result.stdout == ""
    # Without any config file at all, the same.
    result = cli("warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 2
    assert only_line(result.stderr).startswith("error: smtp:")


def test_dry_run_without_mail_to_is_a_usage_error(cli, office):
    result = cli("warn", "--at", AT, "--dry-run")
    assert result.exit_code == 2
    assert "--dry-run needs --mail-to" in only_line(result.stderr)
    assert result.stdout == ""


# -- non-working days ---------------------------------------------------------------------
@pytest.fixture
def overdue_since_september(register) -> str:
    """Received Tue 30 Sep 09:00, never acknowledged: 24 h clock, due Wed 1 Oct 09:00."""
    return logged(register, local(2025, 9, 30, 9), ack=False)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2025-10-01", "National Day"),
        ("2025-10-04", None),  # Saturday inside the National Day holidays
        ("2025-10-19", "weekend"),  # an ordinary Sunday
    ],
)
def test_on_a_non_working_day_warn_says_why_and_mails_nothing(
    cli, overdue_since_september, smtp_server, tmp_path, day, reason
):
    config = write_config(tmp_path, port=smtp_server.port)
    result = cli("--config", config, "warn", "--at", f"{day} 09:00", "--mail-to", "a@example.com")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    line = only_line(result.stdout)
    assert line.startswith(f"{day} is not a working day (")
    assert line.endswith("): no reminders sent (--even-on-holidays to run anyway)")
    if reason:
        assert f"({reason})" in line
    assert overdue_since_september not in result.stdout
    assert result.stderr == ""
    assert smtp_server.messages == []


def test_even_on_holidays_runs_the_digest_on_a_holiday(
    cli, overdue_since_september, smtp_server, tmp_path
):
    config = write_config(tmp_path, port=smtp_server.port)
    result = cli(
        "--config",
        config,
        "warn",
        "--at",
        "2025-10-04 09:00",
        "--even-on-holidays",
        "--mail-to",
        "a@example.com",
    )
    assert result.exit_code == 3, (result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert lines[0] == "complaintctl warn — Sat 2025-10-04 09:00 (CST)"
    # Three days late, but not one hour of office time has passed since.
    assert any(
        line.startswith(f"  {overdue_since_september}  acknowledge  72 h late ") for line in lines
    )
    assert len(smtp_server.messages) == 1


def test_the_make_up_saturday_is_a_working_day_and_warn_runs(cli, overdue_since_september):
    result = cli("warn", "--at", "2025-10-11 09:00")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert lines[0] == "complaintctl warn — Sat 2025-10-11 09:00 (CST)"
    # Office time since the deadline: Thu 10-09 and Fri 10-10.
    assert any(
        line.startswith(f"  {overdue_since_september}  acknowledge  2 working days late ")
        for line in lines
    )


# -- cron: the installed script, output on a pipe ------------------------------------------
def run_installed(*args: str) -> subprocess.CompletedProcess:
    """The installed `complaintctl` as cron runs it: no terminal, environment as given
    (COMPLAINTCTL_DB from the autouse fixture), even with a colour-capable TERM."""
    script = Path(sys.executable).with_name("complaintctl")
    exe = str(script) if script.exists() else shutil.which("complaintctl")
    assert exe, "the complaintctl console script is not installed"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR"}
    }
    env.update(TERM="xterm-256color", COLORTERM="truecolor", PYTHONUTF8="1")
    return subprocess.run(
        [exe, *args],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


BOX_DRAWING = re.compile("[\u2500-\u257f]")


@pytest.mark.slow
def test_under_cron_the_digest_is_plain_text_and_exit_3_when_something_is_overdue(office):
    c = office
    proc = run_installed("warn", "--at", AT)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 3, (out, proc.stderr)
    assert proc.stderr == b""
    assert "\x1b" not in out
    assert BOX_DRAWING.search(out) is None
    assert out.splitlines()[1] == "4 overdue, 3 due within 1 working day (before 2025-10-21 18:00)"
    assert overdue_numbers_in_text(out) == [c.c1, c.c7, c.c8, c.c2]

    proc = run_installed("warn", "--at", AT, "--exit-zero")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("utf-8") == out


@pytest.mark.slow
def test_under_cron_exit_0_when_nothing_is_overdue(register):
    number = assigned(register, local(2025, 10, 17, 10), owner="张伟", department="QA")
    proc = run_installed("warn", "--at", AT)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, (out, proc.stderr)
    assert "\x1b" not in out
    assert BOX_DRAWING.search(out) is None
    assert out.splitlines()[1] == "0 overdue, 0 due within 1 working day (before 2025-10-21 18:00)"
    assert number not in out


@pytest.mark.slow
def test_under_cron_json_and_csv_hold_the_same_cases_as_the_text(office):
    c = office
    proc = run_installed("warn", "--at", AT, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    d = json.loads(proc.stdout.decode("utf-8"))
    assert numbers(d["overdue"]) == [c.c1, c.c7, c.c8, c.c2]
    assert numbers(d["due_soon"]) == [c.c6, c.c3, c.c4]
    assert numbers(d["ready_to_close"]) == [c.fb_ended]
    assert numbers(d["severity_a"]) == [c.c7]
    assert d["repeat_complainants"] == d["category_spikes"] == []

    proc = run_installed("warn", "--at", AT, "--format", "csv")
    assert proc.returncode == 3, proc.stderr
    text = proc.stdout.decode("utf-8")
    assert "\x1b" not in text
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames[0] == "section"
    rows = list(reader)
    by_section: dict[str, list[str]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row["number"])
    assert by_section == {
        "overdue": [c.c1, c.c7, c.c8, c.c2],
        "due_soon": [c.c6, c.c3, c.c4],
        "severity_a": [c.c7],
        "ready_to_close": [c.fb_ended],
    }
    late = {row["number"]: row["late"] for row in rows if row["section"] == "overdue"}
    assert late[c.c1] == "4 working days late"
    assert [r["detail"] for r in rows if r["section"] == "severity_a"] == ["not escalated"]


# -- cases no deadline speaks for (issue 17) ----------------------------------------------
def test_a_case_left_at_classify_or_assign_past_the_waiting_time_is_listed(
    cli, register, tmp_path, monkeypatch
):
    # Received and acknowledged Friday 17 October 10:00; nobody classifies it.
    waiting = logged(register, local(2025, 10, 17, 10))
    # Classified Monday 09:00; nobody assigns it.
    unassigned = classified(register, local(2025, 10, 20, 9))

    def listed_waiting(at: str) -> list[tuple[str, str, str]]:
        return [
            (i["number"], i["step"], i["waiting"]) for i in warn_json(cli, "--at", at)["waiting"]
        ]

    # 1 working day (the default): closing time on the next working day after the step began
    assert listed_waiting("2025-10-20 17:59") == []
    assert listed_waiting("2025-10-20 18:01") == [(waiting, "classify", "1 working day")]
    assert listed_waiting("2025-10-21 18:01") == [
        (waiting, "classify", "2 working days"),
        (unassigned, "assign", "2 working days"),  # Monday and Tuesday, 09:00 to 18:00
    ]
    text = cli("warn", "--at", "2025-10-20 18:01").stdout
    assert "WAITING TO BE CLASSIFIED OR ASSIGNED\n" in text
    assert f"  {waiting}  at classify for 1 working day, since 2025-10-17 10:00\n" in text

    config = tmp_path / "office.toml"
    config.write_text('[warn]\nwaiting = "4h"\n', encoding="utf-8")
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    assert [n for n, _s, _w in listed_waiting("2025-10-20 13:01")] == [waiting, unassigned]


def test_a_late_severity_a_clock_is_named_as_that_clock(cli, register):
    graded = local(2025, 10, 20, 9, 30)
    number = classified(register, local(2025, 10, 20, 9), severity="A", classified_at=graded)
    d = warn_json(cli, "--at", "2025-10-20 10:45")
    (item,) = [i for i in d["overdue"] if i["number"] == number]
    assert (item["step"], item["clock"], item["late"]) == ("assign", "escalate", "15 min late")
    line = [x for x in cli("warn", "--at", "2025-10-20 10:45").stdout.splitlines() if number in x]
    assert line[0].startswith(f"  {number}  escalate     15 min late")


def test_items_due_soon_never_say_more_than_the_heading(cli, register):
    # Monday 08:00, before opening: "within 1 working day" ends Tuesday 18:00, and a case
    # due then is due in 1 working day, not in the 18 office hours between.
    soon = assigned(register, local(2025, 10, 16, 10), owner="张伟", department="QA")
    d = warn_json(cli, "--at", "2025-10-20 08:00")
    assert d["due_soon"][0]["number"] == soon
    assert d["due_soon"][0]["late"] == "due in 1 working day"
    assert d["headline"].endswith("due within 1 working day (before 2025-10-21 18:00)")


def test_a_hold_until_a_day_comes_back_into_warn_that_day(cli, register):
    number = assigned(register, local(2025, 10, 14, 10), owner="张伟", department="QA")
    other = assigned(register, local(2025, 10, 14, 10), owner="张伟", department="QA")
    cli.ok(
        "hold", number, "--reason", "客户出差", "--until", "2025-10-22", "--at", "2025-10-15 10:00"
    )
    cli.ok("hold", other, "--reason", "等配件", "--at", "2025-10-15 10:00")

    def sections(at: str) -> tuple[list[str], list[str]]:
        d = warn_json(cli, "--at", at)
        return numbers(d["hold_ended"]), numbers(d["on_hold"])

    assert sections("2025-10-21 23:59") == ([], [number, other])
    assert sections("2025-10-22 00:00") == ([number], [other])
    text = cli("warn", "--at", "2025-10-22 09:00").stdout
    assert "HOLD ENDED: RESUME OR HOLD AGAIN\n" in text
    assert (
        f"  {number}  on hold for 4 working days, since 2025-10-15 10:00: 客户出差 "
        "(until 2025-10-22)\n" in text
    )
    cli.ok("resume", number, "--at", "2025-10-22 09:30")
    assert sections("2025-10-22 10:00") == ([], [other])
    assert "no problems found" in cli.ok("db", "check")  # the history says the same

    for until, why in (("2025-10-15", "not a day after"), ("someday", "--until")):
        bad = cli("hold", other, "--reason", "x", "--until", until)
        assert bad.exit_code != 0 and why in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_a_merged_duplicate_is_not_an_earlier_complaint_of_a_repeat(cli, register):
    original = logged(register, local(2025, 10, 1, 9), contact="13900000077")
    duplicate = logged(register, local(2025, 10, 1, 10), contact="13900000077")
    cli.ok("merge", duplicate, "--into", original, "--reason", "logged twice")
    repeat = logged(register, local(2025, 10, 15, 9), contact="13900000077")
    d = warn_json(cli, "--at", AT)
    ((number, earlier, count),) = [
        (i["number"], i["earlier"], i["earlier_count"]) for i in d["repeat_complainants"]
    ]
    assert (number, earlier, count) == (repeat, [original], 1)
