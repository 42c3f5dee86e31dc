"""Values are read in their documented forms only (issue 18, defect 6): an amount with a
comma, a date that is a bare number, a month or weekday name, or a time with a zone
abbreviation is refused in one line naming the option, and nothing is written; the forms
the README shows are read as before."""

from __future__ import annotations

import json

import pytest

LOG = ("log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
       "--summary", "洗衣机漏水")  # fmt: skip


def cases(cli) -> int:
    return json.loads(cli.ok("list", "--status", "all", "--format", "json"))["total"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("120,50", "'120,50' is not an amount: write it with a decimal point and no separators"),
        ("1,2,3", "'1,2,3' is not an amount: write it with a decimal point and no separators"),
        ("1,234.50", "'1,234.50' is not an amount: write it with a decimal point"),
        ("1e3", "'1e3' is not an amount; use e.g. 120.50"),
        ("NaN", "'NaN' is not an amount; use e.g. 120.50"),
        ("-5", "'-5' must be a non-negative amount"),
    ],
)
def test_an_amount_not_in_1234_50_form_is_refused(cli, value, message):
    result = cli(*LOG, "--amount", value)
    assert result.exit_code == 1
    assert result.stderr == f"error: --amount: {message}" + result.stderr.split(message)[1]
    assert len(result.stderr.splitlines()) == 1
    assert cases(cli) == 0


@pytest.mark.parametrize("value", ["-1", "1", "Oct", "Monday", "251001", "tomorrow", "2025"])
@pytest.mark.parametrize("option", ["--received-at"])
def test_a_date_that_is_not_a_date_is_refused(cli, option, value):
    result = cli(*LOG, option, value)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {option}: {value!r} is not a date/time; use e.g. 2025-09-30 09:15 or 2025-09-30\n"
    )
    assert cases(cli) == 0


def test_at_and_told_at_are_as_strict(cli):
    number = cli.ok(*LOG, "-q").strip()
    for args in (("ack", number, "--at", "-1"), ("note", number, "x", "--at", "Monday")):
        result = cli(*args)
        assert result.exit_code == 1 and "is not a date/time" in result.stderr
    history = json.loads(cli.ok("show", number, "--format", "json"))["history"]
    assert [e["action"] for e in history] == ["log"]


def test_a_time_zone_name_is_refused_with_the_offset_to_use(cli):
    result = cli(*LOG, "--received-at", "2025-11-03 10:00 PST")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --received-at: '2025-11-03 10:00 PST': a time zone name is ambiguous; "
        "give an offset such as +08:00\n"
    )
    assert "Warning" not in result.stderr and cases(cli) == 0


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2025-09-30 09:15", "2025-09-30T09:15:00+08:00"),
        ("2025-09-30", "2025-09-30T00:00:00+08:00"),
        ("2025/9/30 9:15", "2025-09-30T09:15:00+08:00"),
        ("2025年9月30日", "2025-09-30T00:00:00+08:00"),
        ("2025-09-30T09:15:00+08:00", "2025-09-30T09:15:00+08:00"),
        ("2025-09-30 01:15Z", "2025-09-30T09:15:00+08:00"),
        ("2025-09-30 10:15 +09:00", "2025-09-30T09:15:00+08:00"),
        ("30/09/2025 09:15", "2025-09-30T09:15:00+08:00"),  # only one reading
    ],
)
def test_the_documented_forms_are_read(cli, value, shown):
    number = cli.ok(*LOG, "--received-at", value, "-q").strip()
    assert json.loads(cli.ok("show", number, "--format", "json"))["received_at"] == shown


@pytest.mark.parametrize("value", ["1", "Oct", "20251001", "-1"])
def test_date_options_of_list_and_report_are_as_strict(cli, value):
    for args in (("list", "--from", value), ("report", "--from", value, "--to", "2025-10-31")):
        result = cli(*args)
        assert result.exit_code != 0
        assert f"--from: {value!r} is not a date; use e.g. 2025-09-30" in result.stderr
