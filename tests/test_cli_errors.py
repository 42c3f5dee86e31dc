"""Bad input and refused actions: one line on stderr, a stable exit code, nothing written.

Every error test compares the whole database (every row of every table) and each
case's `show --format json` before and after the command.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import Template, build_template, table_rows

NUMBER = re.compile(r"C\d{4}-\d{6}")
CATEGORIES = "PQ, SA, TS, DL, BL, FE, SM, OT"
CHANNELS = "phone, email, online, social, letter, visit, other"
DEPARTMENTS = "CS, SALES, TECH, LOG, QA"
BAD_TIME = "is not a date/time; use e.g. 2025-09-30 09:15 or 2025-09-30"


# -- helpers ------------------------------------------------------------------------------
def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the real database."""
    return table_rows(db_url)


def shows(cli, numbers) -> dict[str, dict]:
    return {n: json.loads(cli.ok("show", n, "--format", "json")) for n in numbers}


def assert_one_line_error(result, exit_code: int) -> str:
    """The command failed with `exit_code`, one line on stderr, nothing on stdout, and no
    exception escaped; returns the line."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.stdout == ""
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr.rstrip("\n")


def log(cli, *extra: str, received: str = "2025-09-30 09:00", contact: str = "13800000000") -> str:
    out = cli.ok(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        contact,
        "--summary",
        "洗衣机漏水",
        "--received-at",
        received,
        *extra,
    )
    return NUMBER.search(out).group(0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A database with one case waiting at each of several steps, built once per module
    (and backend)."""
    return build_template(tmp_path_factory, "template", _build_cases)


@pytest.fixture
def cases(template: Template, db_url: str) -> dict[str, str]:
    """This test's own copy of the template database; the case numbers by role."""
    return dict(template.copy_to(db_url))


def _build_cases(cli) -> dict[str, str]:

    def classified(contact: str) -> str:
        number = log(cli, "--ack", contact=contact)
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
            "2025-09-30 09:30",
        )
        cli.ok(
            "assign", number, "--department", "QA", "--owner", "李娜", "--at", "2025-09-30 10:00"
        )
        return number

    acked = log(cli, "--ack", contact="13800000001")
    investigating = classified("13800000002")
    resolving = classified("13800000003")
    cli.ok(
        "investigate",
        resolving,
        "--findings",
        "密封圈老化",
        "--responsibility",
        "internal",
        "--at",
        "2025-10-10 15:00",
    )
    feedback = classified("13800000004")
    cli.ok(
        "investigate",
        feedback,
        "--findings",
        "密封圈老化",
        "--responsibility",
        "internal",
        "--at",
        "2025-10-10 15:00",
    )
    cli.ok("resolve", feedback, "--remedy", "repair", "--at", "2025-10-14 11:00")
    closed = log(cli, "--ack", contact="13800000005")
    cli.ok("classify", closed, "--reject", "不是投诉", "--at", "2025-09-30 10:00")
    cli.ok("reopen", closed, "--reason", "补充材料", "--at", "2025-10-09 09:00")
    cli.ok(
        "classify",
        closed,
        "--category",
        "SA",
        "--severity",
        "C",
        "--kind",
        "general",
        "--at",
        "2025-10-09 09:30",
    )
    cli.ok("assign", closed, "--department", "CS", "--owner", "赵敏", "--at", "2025-10-09 10:00")
    cli.ok(
        "investigate",
        closed,
        "--findings",
        "态度问题",
        "--responsibility",
        "internal",
        "--at",
        "2025-10-10 10:00",
    )
    cli.ok("resolve", closed, "--remedy", "apology", "--at", "2025-10-10 11:00")
    cli.ok("feedback", closed, "--score", "5", "--at", "2025-10-13 11:00")
    numbers = {
        "acked": acked,
        "investigating": investigating,
        "resolving": resolving,
        "feedback": feedback,
        "closed": closed,
    }
    shown = shows(cli, numbers.values())
    steps = {role: shown[number]["step"] for role, number in numbers.items()}
    assert steps == {
        "acked": "classify",
        "investigating": "investigate",
        "resolving": "resolve",
        "feedback": "feedback",
        "closed": "closed",
    }
    return numbers


def fill(args: tuple[str, ...], cases: dict[str, str]) -> list[str]:
    return [a.format(**cases) for a in args]


def run_and_check_nothing_changed(cli, db_url: str, cases: dict[str, str], args, exit_code):
    before_rows, before_shown = snapshot(db_url), shows(cli, cases.values())
    result = cli(*fill(args, cases))
    line = assert_one_line_error(result, exit_code)
    assert snapshot(db_url) == before_rows
    assert shows(cli, cases.values()) == before_shown
    return line


LOG = (
    "log",
    "--channel",
    "phone",
    "--customer",
    "王伟",
    "--contact",
    "13900000000",
    "--summary",
    "洗衣机漏水",
)

# (command line, the error line); {name} stands for the number of cases[name].
# Five of them (a code, a time, a case, a text, a step) run in the fast set (-m 'not slow').
INVALID = [
    pytest.param(
        ("classify", "{acked}", "--category", "ZZ", "--severity", "C", "--kind", "general"),
        f"error: --category: unknown value 'ZZ'; allowed: {CATEGORIES}",
        id="unknown category",
    ),
    pytest.param(
        ("classify", "{investigating}", "--category", "XX", "--severity", "A", "--kind", "claim"),
        f"error: --category: unknown value 'XX'; allowed: {CATEGORIES}",
        id="unknown category when re-classifying",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("feedback", "{feedback}", "--score", "7"),
        "error: --score: 7 is not allowed; use a whole number 1..5",
        id="score 7",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("feedback", "{feedback}", "--score", "0"),
        "error: --score: 0 is not allowed; use a whole number 1..5",
        id="score 0",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("ack", "{acked}", "--at", "2025-13-45"),
        f"error: --at: '2025-13-45' {BAD_TIME}",
        id="bad --at on ack",
    ),
    pytest.param(
        (
            "investigate",
            "{investigating}",
            "--findings",
            "f",
            "--responsibility",
            "internal",
            "--at",
            "2025-13-45",
        ),
        f"error: --at: '2025-13-45' {BAD_TIME}",
        id="bad --at on investigate",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("resolve", "{resolving}", "--remedy", "repair", "--told-at", "2025-13-45"),
        f"error: --told-at: '2025-13-45' {BAD_TIME}",
        id="bad --told-at",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (*LOG, "--received-at", "2025-13-45"),
        f"error: --received-at: '2025-13-45' {BAD_TIME}",
        id="bad --received-at",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (*LOG, "--received-at", "2030-01-01 09:00"),
        "error: --received-at: 2030-01-01 09:00 is in the future",
        id="--received-at in the future",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("note", "{investigating}", "稍后回电", "--at", "2030-01-01 09:00"),
        "error: --at: 2030-01-01 09:00 is in the future",
        id="--at in the future",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("ack", "C2025-999999"),
        "error: case C2025-999999 does not exist; did you mean C2025-000004, C2025-000005?",
        id="unknown case on ack",
    ),
    pytest.param(
        ("show", "C2025-999999"),
        "error: case C2025-999999 does not exist; did you mean C2025-000004, C2025-000005?",
        id="unknown case on show",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("resolve", "C2025-999999", "--remedy", "repair"),
        "error: case C2025-999999 does not exist; did you mean C2025-000004, C2025-000005?",
        id="unknown case on resolve",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("fetch", "C2025-999999"),
        "error: case C2025-999999 does not exist; did you mean C2025-000004, C2025-000005?",
        id="unknown case on fetch",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (
            "log",
            "--channel",
            "phone",
            "--customer",
            "王伟",
            "--contact",
            "13900000000",
            "--summary",
            "",
        ),
        "error: --summary: must not be empty",
        id="empty summary",
    ),
    pytest.param(
        (
            "log",
            "--channel",
            "phone",
            "--customer",
            "王伟",
            "--contact",
            "13900000000",
            "--summary",
            "   ",
        ),
        "error: --summary: must not be empty",
        id="blank summary",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (
            "log",
            "--channel",
            "phone",
            "--customer",
            "",
            "--contact",
            "13900000000",
            "--summary",
            "s",
        ),
        "error: --customer: must not be empty",
        id="empty customer",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("resolve", "{closed}", "--remedy", "repair"),
        "error: case {closed} is at step 'closed'; resolve is not allowed now (next: reopen)",
        id="resolve a closed case",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("resolve", "{investigating}", "--remedy", "repair"),
        "error: case {investigating} is at step 'investigate'; resolve is not allowed now "
        "(next: classify, assign, investigate)",
        id="resolve before investigate",
    ),
    pytest.param(
        (
            "log",
            "--channel",
            "fax",
            "--customer",
            "王伟",
            "--contact",
            "13900000000",
            "--summary",
            "s",
        ),
        f"error: --channel: unknown value 'fax'; allowed: {CHANNELS}",
        id="unknown channel",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (*LOG, "--amount", "-5"),
        "error: --amount: '-5' must be a non-negative amount",
        id="negative amount claimed",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (*LOG, "--amount", "12.345"),
        "error: --amount: '12.345' must have at most 2 decimals",
        id="amount with three decimals",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        (*LOG, "--amount", "十元"),
        "error: --amount: '十元' is not an amount; use e.g. 120.50",
        id="amount not a number",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("resolve", "{resolving}", "--remedy", "refund", "--amount=-99"),
        "error: --amount: '-99' must be a non-negative amount",
        id="negative remedy amount",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("assign", "{investigating}", "--department", "HR", "--owner", "赵敏"),
        f"error: --department: unknown value 'HR'; allowed: {DEPARTMENTS}",
        id="unknown department",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("assign", "{investigating}", "--department", "QA", "--owner", " "),
        "error: --owner: must not be empty",
        id="blank owner",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("classify", "{acked}", "--reject", ""),
        "error: --reject: must not be empty",
        id="reject without a reason",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("list", "--step", "done"),
        "error: --step: unknown step 'done'; allowed: acknowledge, classify, assign, "
        "investigate, resolve, feedback, closed, rejected",
        id="unknown step in list",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("list", "--from", "2025-13-45"),
        "error: --from: '2025-13-45' is not a date; use e.g. 2025-09-30",
        id="bad --from in list",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        ("list", "--page", "0"),
        "error: --page: must be 1 or more (at most 10,000,000)",
        id="page 0",
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize(("args", "message"), INVALID)
def test_bad_input_is_one_line_naming_the_field_and_nothing_is_written(
    cli, db_url, cases, args, message
):
    line = run_and_check_nothing_changed(cli, db_url, cases, args, exit_code=1)
    assert line == message.format(**cases)


# (command line, the error line) of actions the workflow refuses.
REFUSED = [
    pytest.param(
        ("ack", "{investigating}"),
        "error: case {investigating} is at step 'investigate'; ack is not allowed now "
        "(next: classify, assign, investigate)",
        id="ack twice",
    ),
    pytest.param(
        ("feedback", "{closed}", "--score", "5"),
        "error: case {closed} is at step 'closed'; feedback is not allowed now (next: reopen)",
        id="feedback on a closed case",
    ),
    pytest.param(
        ("close", "{investigating}", "--reason", "x"),
        "error: case {investigating} is at step 'investigate'; close is not allowed now "
        "(next: classify, assign, investigate)",
        id="close before resolution",
    ),
    pytest.param(
        ("reopen", "{investigating}", "--reason", "x"),
        "error: case {investigating} is at step 'investigate'; reopen is not allowed now "
        "(next: classify, assign, investigate)",
        id="reopen an open case",
    ),
    pytest.param(
        ("classify", "{feedback}", "--reject", "x"),
        "error: case {feedback} is at step 'feedback'; reject is not allowed now "
        "(next: feedback, close)",
        id="reject after resolution",
    ),
    pytest.param(
        ("hold", "{closed}", "--reason", "x"),
        "error: case {closed} is at step 'closed'; hold is not allowed now (next: reopen)",
        id="hold a closed case",
    ),
    pytest.param(
        ("resume", "{investigating}"),
        "error: case {investigating} is not on hold",
        id="resume a case not on hold",
    ),
    pytest.param(
        ("close", "{feedback}", "--at", "2025-10-20 10:00"),
        "error: --reason: the feedback window of {feedback} is open until 2025-10-23 18:00; "
        "give a reason to close it earlier",
        id="close inside the feedback window without a reason",
    ),
    pytest.param(
        (
            "investigate",
            "{investigating}",
            "--findings",
            "f",
            "--responsibility",
            "internal",
            "--at",
            "2025-09-30 09:00",
        ),
        "error: --at: 2025-09-30 09:00 is before step 'investigate' began (2025-09-30 10:00)",
        id="--at before the step began",
    ),
    pytest.param(
        ("fetch", "{investigating}"),
        "error: CASE: case {investigating} has no attachments",
        id="fetch without attachments",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_a_refused_action_exits_1_with_one_line_and_nothing_is_written(
    cli, db_url, cases, args, message
):
    line = run_and_check_nothing_changed(cli, db_url, cases, args, exit_code=1)
    assert line == message.format(**cases)


def test_a_step_is_refused_while_on_hold_and_a_second_hold_too(cli, db_url, cases):
    number = cases["investigating"]
    cli.ok("hold", number, "--reason", "等客户寄回样品", "--at", "2025-10-09 10:00")
    line = run_and_check_nothing_changed(
        cli,
        db_url,
        cases,
        ("investigate", number, "--findings", "f", "--responsibility", "internal"),
        exit_code=1,
    )
    assert line == (
        f"error: case {number} is on hold at step 'investigate' (等客户寄回样品); run resume first"
    )
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("hold", number, "--reason", "again"), exit_code=1
    )
    assert line == f"error: case {number} is already on hold"


def test_an_attachment_over_the_limit_is_refused_and_nothing_is_written(
    cli, db_url, cases, tmp_path
):
    config = tmp_path / "complaintctl.toml"
    config.write_text("[attachments]\nmax_bytes = 4\n", encoding="utf-8")
    big = tmp_path / "big.bin"
    big.write_bytes(b"12345")
    line = run_and_check_nothing_changed(
        cli,
        db_url,
        cases,
        ("--config", str(config), "attach", cases["investigating"], str(big)),
        exit_code=1,
    )
    assert line == "error: FILE: big.bin is 5 bytes; the limit is 4 (attachments.max_bytes)"


def test_attaching_a_file_that_does_not_exist_is_refused(cli, db_url, cases, tmp_path):
    missing = tmp_path / "nope.pdf"
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("attach", cases["investigating"], str(missing)), exit_code=1
    )
    assert line == f"error: FILE: {missing} is not a readable file"


# -- usage errors: exit 2 -------------------------------------------------------------------
def as_console(line: str) -> str:
    """Click's test runner calls the program "root"; the console script calls it complaintctl
    (checked for real in test_the_console_script_names_itself_in_usage_errors)."""
    return re.sub(r"^root\b", "complaintctl", line).replace("(see root", "(see complaintctl")


USAGE = [
    pytest.param(
        ("log", "--bogus"),
        "complaintctl log: No such option: --bogus (see complaintctl log --help)",
        id="unknown option",
    ),
    pytest.param(
        ("--bogus", "show", "{acked}"),
        "complaintctl: No such option: --bogus (see complaintctl --help)",
        id="unknown global option",
    ),
    pytest.param(
        ("frobnicate",),
        "complaintctl: No such command 'frobnicate'. (see complaintctl --help)",
        id="unknown command",
    ),
    pytest.param(
        ("db", "frobnicate"),
        "complaintctl db: No such command 'frobnicate'. (see complaintctl db --help)",
        id="unknown db command",
    ),
    pytest.param(
        ("log", "--customer", "王伟", "--contact", "13900000000", "--summary", "s"),
        "complaintctl log: Missing option '--channel'. (see complaintctl log --help)",
        id="log without --channel",
    ),
    pytest.param(
        ("assign", "{investigating}", "--owner", "赵敏"),
        "complaintctl assign: Missing option '--department'. (see complaintctl assign --help)",
        id="assign without --department",
    ),
    pytest.param(
        ("feedback", "{feedback}"),
        "complaintctl feedback: Missing option '--score'. (see complaintctl feedback --help)",
        id="feedback without --score",
    ),
    pytest.param(
        ("reopen", "{closed}"),
        "complaintctl reopen: Missing option '--reason'. (see complaintctl reopen --help)",
        id="reopen without --reason",
    ),
    pytest.param(
        ("ack",),
        "complaintctl ack: Missing argument 'CASE'. (see complaintctl ack --help)",
        id="ack without a case",
    ),
    pytest.param(
        ("classify", "{acked}", "--category", "PQ"),
        "complaintctl classify: --severity, --kind required (or --reject REASON) "
        "(see complaintctl classify --help)",
        id="classify without severity and kind",
    ),
    pytest.param(
        ("classify", "{acked}", "--reject", "x", "--category", "PQ"),
        "complaintctl classify: --reject cannot be combined with --category/--severity/--kind "
        "(see complaintctl classify --help)",
        id="classify and reject at once",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), USAGE)
def test_a_usage_error_exits_2_with_one_line_and_nothing_is_written(
    cli, db_url, cases, args, message
):
    line = run_and_check_nothing_changed(cli, db_url, cases, args, exit_code=2)
    assert as_console(line) == message.format(**cases)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("log", "--bogus"),
            "complaintctl log: No such option: --bogus (see complaintctl log --help)",
        ),
        (
            ("feedback", "C2025-000001", "--score", "x"),
            "complaintctl feedback: Invalid value for '--score'",
        ),
    ],
)
def test_the_console_script_names_itself_in_usage_errors(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "complaintctl", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(message)


# A value outside a closed set that the option parser checks: the line names the option and
# every allowed value (the exact wording is the parser's).
CHOICES = [
    pytest.param(
        ("classify", "{acked}", "--category", "PQ", "--severity", "D", "--kind", "general"),
        "--severity",
        ("A", "B", "C"),
        id="severity",
    ),
    pytest.param(
        ("classify", "{acked}", "--category", "PQ", "--severity", "C", "--kind", "other"),
        "--kind",
        ("general", "claim", "unjustified"),
        id="kind",
    ),
    pytest.param(
        ("investigate", "{investigating}", "--findings", "f", "--responsibility", "nobody"),
        "--responsibility",
        ("internal", "external", "mixed"),
        id="responsibility",
    ),
    pytest.param(
        ("resolve", "{resolving}", "--remedy", "gift"),
        "--remedy",
        (
            "refund",
            "compensation",
            "replacement",
            "repair",
            "return",
            "apology",
            "explanation",
            "service-improvement",
            "none",
        ),
        id="remedy",
    ),
    pytest.param(
        (*LOG, "--customer-type", "government"),
        "--customer-type",
        ("individual", "enterprise"),
        id="customer type",
    ),
    pytest.param(
        ("list", "--status", "pending"),
        "--status",
        ("open", "ended", "all"),
        id="list status",
    ),
    pytest.param(
        ("show", "{acked}", "--format", "xml"),
        "--format",
        ("table", "json", "csv"),
        id="show format",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "option", "allowed"), CHOICES)
def test_a_value_outside_a_closed_set_exits_2_naming_the_option_and_allowed_values(
    cli, db_url, cases, args, option, allowed
):
    line = run_and_check_nothing_changed(cli, db_url, cases, args, exit_code=2)
    command = args[0]
    assert as_console(line).startswith(f"complaintctl {command}: Invalid value for '{option}'")
    for value in allowed:
        assert f"'{value}'" in line


def test_a_score_that_is_not_a_number_is_a_usage_error(cli, db_url, cases):
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("feedback", "{feedback}", "--score", "五"), exit_code=2
    )
    assert as_console(line).startswith("complaintctl feedback: Invalid value for '--score'")


def test_a_config_file_that_does_not_exist_is_one_line_exit_2(cli, db_url, cases, tmp_path):
    missing = tmp_path / "nope.toml"
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("--config", str(missing), "show", "{acked}"), exit_code=2
    )
    assert line == f"error: config: file {missing} does not exist"


def test_a_config_file_with_an_unknown_setting_names_the_key(cli, db_url, cases, tmp_path):
    config = tmp_path / "complaintctl.toml"
    config.write_text("[attachments]\nmax_size = 4\n", encoding="utf-8")
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("--config", str(config), "show", "{acked}"), exit_code=2
    )
    assert line == "error: attachments.max_size: unknown setting; allowed: max_bytes"


# -- --debug ----------------------------------------------------------------------------------
def test_debug_is_accepted_and_changes_nothing_of_the_output(cli, cases):
    number = cases["investigating"]
    assert cli.ok("--debug", "show", number, "--format", "json") == cli.ok(
        "show", number, "--format", "json"
    )


def test_debug_still_reports_a_user_error_as_one_line(cli, db_url, cases):
    line = run_and_check_nothing_changed(
        cli, db_url, cases, ("--debug", "ack", "C2025-999999"), exit_code=1
    )
    assert (
        line == "error: case C2025-999999 does not exist; did you mean C2025-000004, C2025-000005?"
    )


def test_debug_works_on_a_command_that_moves_a_case(cli, cases):
    number = cases["acked"]
    out = cli.ok(
        "--debug",
        "classify",
        number,
        "--category",
        "PQ",
        "--severity",
        "C",
        "--kind",
        "general",
        "--at",
        "2025-09-30 10:00",
    )
    assert out == f"{number}: classified PQ/C/general; now at step 'assign'\n"
