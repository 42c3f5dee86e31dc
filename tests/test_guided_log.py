"""Guided `log`: on a terminal, `log` without its options asks for each field in turn;
without a terminal it never asks, and names every missing option.

The terminal is a real pseudo-terminal (pexpect) running the installed package, as the
front desk would, on the test's SQLite file; what was written is read back with `show`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from conftest import table_rows

NUMBER = re.compile(r"C\d{4}-\d{6}")
CHANNELS = re.escape("Channel (phone, email, online, social, letter, visit, other) [phone]: ")


def spawn(*args: str, shell: str | None = None) -> pexpect.spawn:
    """complaintctl on a pseudo-terminal, in the test's environment (its database)."""
    env = dict(os.environ, NO_COLOR="1", TERM="xterm", PYTHONUTF8="1")
    if shell is not None:
        return pexpect.spawn(
            "/bin/sh", ["-c", shell], env=env, encoding="utf-8", timeout=60, dimensions=(50, 250)
        )
    return pexpect.spawn(
        sys.executable,
        ["-m", "complaintctl", *args],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 250),
    )


def answer(child: pexpect.spawn, prompt: str, text: str) -> None:
    """Wait for the question `prompt` (literal text), then type `text` and Enter."""
    child.expect_exact(prompt)
    child.sendline(text)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Wait for the end; the exit status and what was printed after the last answer."""
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before.replace("\r\n", "\n")


def show(cli, number: str) -> dict:
    return json.loads(cli.ok("show", number, "--format", "json"))


def no_cases(cli) -> bool:
    return json.loads(cli.ok("list", "--status", "all", "--format", "json"))["total"] == 0


@pytest.mark.slow
def test_a_guided_log_asks_each_field_in_turn_and_creates_the_case(db_path: Path, cli):
    child = spawn("log")
    child.expect_exact("New complaint. Enter accepts the [default]; Ctrl-C cancels")
    child.expect(CHANNELS)
    child.sendline("email")
    answer(child, "Customer name: ", "王伟")
    answer(child, "Customer type (individual, enterprise) [individual]: ", "enterprise")
    answer(child, "Contact (phone or e-mail): ", "wang@example.com")
    answer(child, "Summary, one line: ", "洗衣机漏水")
    answer(child, "What happened (Enter to skip): ", "")
    answer(child, "What the customer asks for (Enter to skip): ", "更换")
    answer(child, "Order number (Enter to skip): ", "SO-1")
    answer(child, "Product or service (Enter to skip): ", "")
    answer(child, "Amount claimed, e.g. 120.50 (Enter to skip): ", "120.50")
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "2025-09-30 09:15")
    answer(child, "Customer told the case number now? [y/N]: ", "")
    status, out = finish(child)

    assert status == 0, out
    assert out.strip() == "Logged C2025-000001; acknowledge by 2025-10-01 09:15"
    case = show(cli, "C2025-000001")
    assert case["step"] == "acknowledge"
    assert (case["channel"], case["customer_name"], case["customer_type"]) == (
        "email",
        "王伟",
        "enterprise",
    )
    assert (case["contact"], case["summary"], case["demand"]) == (
        "wang@example.com",
        "洗衣机漏水",
        "更换",
    )
    assert (case["order_no"], case["description"], case["product"]) == ("SO-1", None, None)
    assert case["amount_claimed"] == "120.50"
    assert case["received_at"].startswith("2025-09-30T09:15")
    assert case["history"][0]["actor"] == "tester"


@pytest.mark.slow
def test_enter_takes_the_defaults(db_path: Path, cli):
    child = spawn("log")
    child.expect(CHANNELS)
    child.sendline("")
    answer(child, "Customer name: ", "李娜")
    answer(child, "Customer type (individual, enterprise) [individual]: ", "")
    answer(child, "Contact (phone or e-mail): ", "13800000000")
    answer(child, "Summary, one line: ", "送货晚了")
    for _ in range(5):  # description, demand, order, product, amount: skipped
        child.expect(r"\(Enter to skip\): ")
        child.sendline("")
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "")
    answer(child, "Customer told the case number now? [y/N]: ", "y")
    status, out = finish(child)

    assert status == 0, out
    number = NUMBER.search(out).group(0)
    assert out.splitlines()[-1] == f"Logged {number} (acknowledged); next: classify"
    case = show(cli, number)
    assert (case["channel"], case["customer_type"], case["step"]) == (
        "phone",
        "individual",
        "classify",
    )
    assert case["amount_claimed"] is None
    # "now": received and logged at the same moment.
    assert case["received_at"] == case["logged_at"]


@pytest.mark.slow
def test_a_bad_answer_is_refused_with_its_reason_and_asked_again(db_path: Path, cli):
    child = spawn("log")
    child.expect(CHANNELS)
    child.sendline("pigeon")
    child.expect_exact(
        "Error: --channel: unknown value 'pigeon'; allowed: phone, email, online, social, "
        "letter, visit, other"
    )
    child.expect(CHANNELS)
    child.sendline("VISIT")  # codes are matched case-insensitively, as with --channel
    answer(child, "Customer name: ", "   ")
    child.expect_exact("Error: --customer: must not be empty")
    answer(child, "Customer name: ", "赵敏")
    answer(child, "Customer type (individual, enterprise) [individual]: ", "company")
    child.expect_exact(
        "Error: --customer-type: unknown value 'company'; allowed: individual, enterprise"
    )
    answer(child, "Customer type (individual, enterprise) [individual]: ", "Enterprise")
    answer(child, "Contact (phone or e-mail): ", "zhao@example.com")
    answer(child, "Summary, one line: ", "x" * 501)
    child.expect_exact("Error: --summary: is 501 characters long; at most 500")
    answer(child, "Summary, one line: ", "门店态度差")
    for _ in range(4):
        child.expect(r"\(Enter to skip\): ")
        child.sendline("")
    answer(child, "Amount claimed, e.g. 120.50 (Enter to skip): ", "12.345")
    child.expect_exact("Error: --amount: '12.345' must have at most 2 decimals")
    answer(child, "Amount claimed, e.g. 120.50 (Enter to skip): ", "12.34")
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "2999-01-01 09:00")
    child.expect_exact("Error: --received-at: 2999-01-01 09:00 is in the future")
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "yesterday-ish")
    child.expect_exact("Error: --received-at: 'yesterday-ish' is not a date/time")
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "2025-10-09 10:00")
    answer(child, "Customer told the case number now? [y/N]: ", "n")
    status, out = finish(child)

    assert status == 0, out
    case = show(cli, NUMBER.search(out).group(0))
    assert (case["channel"], case["customer_name"], case["customer_type"]) == (
        "visit",
        "赵敏",
        "enterprise",
    )
    assert (case["summary"], case["amount_claimed"]) == ("门店态度差", "12.34")


@pytest.mark.slow
def test_options_given_on_the_command_line_are_not_asked_again(db_path: Path, cli):
    child = spawn("log", "--channel", "letter", "--customer", "孙丽", "--ack", "--order", "SO-9")
    child.expect_exact("Customer type (individual, enterprise) [individual]: ")
    assert "Channel" not in child.before and "Customer name" not in child.before
    child.sendline("")
    answer(child, "Contact (phone or e-mail): ", "13700000000")
    answer(child, "Summary, one line: ", "信件投诉")
    asked = []
    for _ in range(4):
        child.expect(r"([^\n]*) \(Enter to skip\): ")
        asked.append(child.match.group(1).strip())
        child.sendline("")
    assert "Order number" not in asked
    answer(child, "Received (e.g. 2025-09-30 09:15) [now]: ", "2025-10-09 10:00")
    status, out = finish(child)

    assert status == 0, out
    assert "told the case number" not in out  # --ack was given
    case = show(cli, NUMBER.search(out).group(0))
    assert (case["channel"], case["customer_name"], case["order_no"]) == ("letter", "孙丽", "SO-9")
    assert case["step"] == "classify"


@pytest.mark.slow
def test_ctrl_c_aborts_and_writes_nothing(db_path: Path, cli):
    child = spawn("log")
    child.expect(CHANNELS)
    child.sendline("phone")
    answer(child, "Customer name: ", "王伟")
    child.expect_exact("Customer type (individual, enterprise) [individual]: ")
    child.sendintr()
    status, out = finish(child)

    assert status == 1
    assert out.splitlines()[-1] == "aborted"  # on a line of its own
    assert no_cases(cli)


@pytest.mark.slow
def test_end_of_input_aborts_and_writes_nothing(db_path: Path, cli):
    child = spawn("log")
    child.expect(CHANNELS)
    child.sendline("phone")
    child.expect_exact("Customer name: ")
    child.sendeof()
    status, out = finish(child)

    assert status == 1
    assert out.splitlines()[-1] == "aborted"  # on a line of its own
    assert no_cases(cli)


@pytest.mark.slow
def test_a_complete_command_on_a_terminal_asks_nothing(db_path: Path, initialised):
    child = spawn(
        "log",
        *("--channel", "phone", "--customer", "王伟", "--contact", "13800000000"),
        *("--summary", "洗衣机漏水", "--received-at", "2025-09-30 09:15"),
    )
    status, out = finish(child)
    assert status == 0
    assert out == "Logged C2025-000001; acknowledge by 2025-10-01 09:15\n"


@pytest.mark.slow
def test_a_person_whose_stdin_is_not_a_terminal_is_told_why_nothing_was_asked(db_path: Path):
    child = spawn(shell=f"exec {sys.executable} -m complaintctl log --channel phone </dev/null")
    status, out = finish(child)
    assert status == 2
    assert out == (
        "complaintctl log: Missing options '--customer', '--contact', '--summary'. "
        "(stdin is not a terminal, so nothing was asked) (see complaintctl log --help)\n"
    )
    assert not db_path.exists()


def test_without_a_terminal_log_names_every_missing_option_and_writes_nothing(cli, db_url):
    cli.ok("db", "init")
    before = table_rows(db_url)
    result = cli("log")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        "log: Missing options '--channel', '--customer', '--contact', '--summary'. "
        "(see root log --help)\n"
    )
    assert table_rows(db_url) == before


def test_without_a_terminal_input_waiting_on_stdin_is_never_read_as_answers(cli, db_url):
    cli.ok("db", "init")
    before = table_rows(db_url)
    result = cli("log", "--channel", "phone", "--summary", "s", input="王伟\n13800000000\n")
    assert result.exit_code == 2
    assert result.stdout == ""  # no question printed
    assert "Missing options '--customer', '--contact'." in result.stderr
    assert table_rows(db_url) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "channel_prompt", "type_prompt"),
    [
        (
            "zh_CN.UTF-8",
            "渠道（电话、邮件、在线、社交媒体、信函、来访、其他） [电话]: ",
            "客户类型（个人、企业） [个人]: ",
        ),
        (
            "en_US.UTF-8",
            CHANNELS.replace("\\", ""),
            "Customer type (individual, enterprise) [individual]: ",
        ),
    ],
)
def test_a_choice_is_taken_by_the_name_shown_in_either_language_or_by_its_code(
    db_path: Path, cli, lang, channel_prompt, type_prompt
):
    """Chinese shows 电话 and 个人: typing them (or the codes, or the other language's
    names) is taken, and the case stores the codes."""
    numbers = []
    for channel, customer_type in (("电话", "个人"), ("email", "企业"), ("", "Enterprise")):
        env = dict(os.environ, NO_COLOR="1", TERM="xterm", PYTHONUTF8="1", LANG=lang)
        for name in ("LC_ALL", "LC_MESSAGES"):
            env.pop(name, None)
        child = pexpect.spawn(
            sys.executable, ["-m", "complaintctl", "log", "--contact", "13800000000",
                             "--summary", "漏水", "--customer", "王伟", "--received-at",
                             "2025-09-30 09:15"],
            env=env, encoding="utf-8", timeout=60, dimensions=(50, 250),
        )  # fmt: skip
        answer(child, channel_prompt, channel)
        answer(child, type_prompt, customer_type)
        for _ in range(5):  # description, demand, order, product, amount: skipped
            child.expect(r": ")
            child.sendline("")
        child.expect(r"\[y/N\]: ")
        child.sendline("")
        status, out = finish(child)
        assert status == 0, out
        numbers.append(NUMBER.search(out).group(0))
    stored = [(show(cli, n)["channel"], show(cli, n)["customer_type"]) for n in numbers]
    assert stored == [("phone", "individual"), ("email", "enterprise"), ("phone", "enterprise")]
