"""Find the work: `list --due`, `--mine`, `--on-hold`, `--sort`, `--search` over ended cases;
a case typed by its sequence alone, "did you mean" for a number that does not exist, and
`show` naming the same customer's other cases."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from conftest import local

from complaintctl import queries, services
from complaintctl.clock import to_local, utc_now
from complaintctl.queries import ListFilter

NOW = local(2025, 10, 22, 10, 0)  # a Wednesday
SH = ZoneInfo("Asia/Shanghai")


def log(cli, summary: str = "洗衣机漏水", contact: str = "13800000000", *extra: str) -> str:
    result = cli(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", contact,
        "--summary", summary, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[1].rstrip(";")


def listed(cli, *args: str) -> list[str]:
    out = cli.ok("list", "--format", "json", *args)
    return [r["number"] for r in json.loads(out)["cases"]]


def test_due_today_and_within_working_days_count_as_the_clocks_do(register):
    """Received at 09:00 on days before NOW; acknowledgement is due a working day later."""
    numbers = {}
    for days in (0, 1, 2, 5):
        received = NOW - dt.timedelta(days=days, hours=1)
        numbers[days] = services.log_complaint(
            register, now=NOW, actor="t", channel="phone", customer_name="王伟",
            contact=f"1380000000{days}", summary="x", received_at=received,
        ).case.number  # fmt: skip
    everything, _total = queries.list_cases(register, ListFilter(status="all"), NOW)
    end_of_today = local(2025, 10, 23, 0, 0)

    def due(when: str) -> set[str]:
        f = ListFilter(status="all", due_by=queries.due_by(register, when, NOW))
        return {r["number"] for r in queries.list_cases(register, f, NOW)[0]}

    by_hand = {r["number"] for r in everything if r["due_at"] < to_local(end_of_today, SH)}
    assert due("today") == by_hand
    assert numbers[0] not in due("today") and numbers[1] in due("today")
    assert due("overdue") == {r["number"] for r in everything if r["overdue"]}
    assert due("2wd") == {r["number"] for r in everything}  # the newest is due tomorrow
    assert due("1h") == due("overdue")  # nothing else falls due in the next hour


def test_due_overdue_mine_on_hold_and_bad_values_through_the_cli(cli):
    old = log(cli, "旧投诉", "13800000001", "--received-at", _days_ago(10))
    mine = log(cli, "我的", "13800000002")
    held = log(cli, "暂停", "13800000003")
    for number in (mine, held):
        cli.ok("ack", number)
        cli.ok("classify", number, "--category", "PQ", "--severity", "B", "--kind", "general")
        cli.ok("assign", number, "--department", "QA", "--owner", "tester")
    cli.ok("hold", held, "--reason", "等客户寄回")
    assert listed(cli, "--due", "overdue") == listed(cli, "--overdue") == [old]
    assert set(listed(cli, "--mine")) == {mine, held}  # COMPLAINTCTL_USER is tester
    assert listed(cli, "--on-hold") == [held]
    assert listed(cli, "--mine", "--on-hold") == [held]

    bad = cli("list", "--due", "soon")
    assert bad.exit_code == 1
    assert bad.stderr == (
        "error: --due: 'soon' is not a time to be due by; use today, overdue or a length "
        "such as 2wd, 4h, 3d\n"
    )
    both = cli("list", "--mine", "--owner", "李娜")
    assert both.exit_code == 2 and "--mine and --owner" in both.stderr


def _days_ago(days: int) -> str:
    return f"{to_local(utc_now(), SH) - dt.timedelta(days=days):%Y-%m-%d %H:%M}"


def test_sort_by_a_field_either_way_and_an_unknown_field_is_named(cli):
    a = log(cli, "a", "13800000001", "--received-at", _days_ago(3))
    b = log(cli, "b", "13800000002", "--received-at", _days_ago(1))
    c = log(cli, "c", "13800000003", "--received-at", _days_ago(2))
    assert listed(cli, "--sort", "received_at") == [a, c, b]
    assert listed(cli, "--sort", "-received_at") == [b, c, a]
    assert listed(cli, "--sort", "number") == sorted([a, b, c])
    bad = cli("list", "--sort", "colour")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: --sort: unknown field 'colour'; allowed: due_at, ")


def test_search_finds_ended_cases_with_status_all(cli):
    ended = log(cli, "冰箱不制冷", "13800000001")
    cli.ok("ack", ended)
    cli.ok("classify", ended, "--reject", "不属于本公司")
    assert listed(cli, "--search", "冰箱") == []
    assert listed(cli, "--search", "冰箱", "--status", "all") == [ended]


def test_a_case_typed_by_its_sequence_is_this_years_case(cli):
    first = log(cli)
    assert first == f"C{to_local(utc_now(), SH).year}-000001"
    assert json.loads(cli.ok("show", "1", "--format", "json"))["number"] == first
    cli.ok("ack", "1")
    assert json.loads(cli.ok("show", first, "--format", "json"))["step"] == "classify"


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("C{year}-2", "C{year}-000002"),  # the sequence without its zeros
        ("{year}-000002", "C{year}-000002"),  # the letter left out
        ("C{year}-000009", "C{year}-000002, C{year}-000003"),  # past the last: the nearest
        ("9", "C{year}-000002, C{year}-000003"),
    ],
)
def test_a_number_that_does_not_exist_gets_the_nearest_ones(cli, typed, suggested):
    for i in range(3):
        log(cli, contact=f"1380000000{i}")
    year = to_local(utc_now(), SH).year
    typed, suggested = typed.format(year=year), suggested.format(year=year)
    result = cli("show", typed)
    assert result.exit_code == 1
    assert result.stderr == f"error: case {typed} does not exist; did you mean {suggested}?\n"


def test_show_names_the_same_customers_other_cases_however_the_phone_was_typed(cli):
    first = log(cli, "第一次", "+86 138-0000-0001", "--received-at", _days_ago(30))
    second = log(cli, "第二次", "13800000001", "--received-at", _days_ago(10))
    other = log(cli, "别人", "13900000009")
    detail = json.loads(cli.ok("show", second, "--format", "json"))
    assert [o["number"] for o in detail["other_cases"]] == [first]
    assert detail["other_cases_total"] == 1
    text = cli.ok("show", second)
    assert "Same customer" in text and first in text and other not in text
    assert "Same customer" not in cli.ok("show", other)
