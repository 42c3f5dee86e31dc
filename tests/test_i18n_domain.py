"""The domain's messages in Chinese: refusals raised by the state machine, the services, the
parsers, the config and the importer reach the person through the CLI in the run's language,
still one line each; and in English they are what they always were."""

from __future__ import annotations

import pytest
from test_cli_workflow import log_case, to_investigate

from complaintctl import i18n


@pytest.fixture
def chinese():
    i18n.use("zh")
    yield
    i18n.use("en")


def one_line_error(result, exit_code: int = 1) -> str:
    """The command failed with `exit_code` and said why on one stderr line; returns that
    line without the CLI's own prefix ("error: " or its translation)."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    line = result.stderr.rstrip("\n")
    for prefix in ("error: ", "错误："):
        if line.startswith(prefix):
            return line[len(prefix) :]
    raise AssertionError(f"no error prefix: {line!r}")


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# -- the state machine --------------------------------------------------------------------
def test_a_refused_transition_names_the_step_and_the_next_actions_in_chinese(cli, chinese):
    number = to_investigate(cli)
    message = one_line_error(cli("ack", number))
    assert message == (
        f"案件 {number} 当前处于“调查核实”步骤，现在不能受理确认"
        "（下一步：分类定级、分派、调查核实）"
    )


def test_a_refused_transition_on_a_rejected_case_offers_only_reopening_in_chinese(cli, chinese):
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    cli.ok("classify", number, "--reject", "不属于本公司", "--at", "2025-09-30 10:00")
    message = one_line_error(cli("ack", number))
    assert message == f"案件 {number} 当前处于“不予受理”步骤，现在不能受理确认（下一步：重新处理）"


def test_an_action_on_a_case_on_hold_says_to_resume_first_in_chinese(cli, chinese):
    number = to_investigate(cli)
    cli.ok("hold", number, "--reason", "等客户寄回样品", "--at", "2025-09-30 11:00")
    message = one_line_error(cli("hold", number, "--reason", "再次暂停"))
    assert message == f"案件 {number} 已经处于暂停状态"


def test_a_refused_transition_is_byte_identical_in_english(cli):
    number = to_investigate(cli)
    result = cli("ack", number)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: case {number} is at step 'investigate'; ack is not allowed now "
        "(next: classify, assign, investigate)\n"
    )


# -- services and parsers -----------------------------------------------------------------
def test_a_missing_case_is_named_in_chinese(cli, chinese):
    assert one_line_error(cli("show", "C2025-999999")) == "案件 C2025-999999 不存在"


def test_a_bad_date_names_the_option_and_shows_an_example_in_chinese(cli, chinese):
    result = cli(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", "138",
        "--summary", "漏水", "--received-at", "明天上午",
    )  # fmt: skip
    assert one_line_error(result) == (
        "--received-at：'明天上午' 不是日期/时间；请写成例如 2025-09-30 09:15 或 2025-09-30"
    )


def test_a_time_before_the_step_began_names_the_step_in_chinese(cli, chinese):
    number = log_case(cli)
    message = one_line_error(cli("ack", number, "--at", "2025-09-29 09:00"))
    assert message == "--at：2025-09-29 09:00 早于“受理确认”步骤开始时间（2025-09-30 09:00）"


def test_an_unknown_code_lists_the_codes_allowed_untranslated(cli, chinese):
    result = cli(
        "log", "--channel", "fax", "--customer", "王伟", "--contact", "138", "--summary", "漏水"
    )  # fmt: skip
    assert one_line_error(result) == (
        "--channel：未知的值 'fax'；可选：phone, email, online, social, letter, visit, other"
    )


def test_an_empty_required_text_is_refused_in_chinese(cli, chinese):
    number = to_investigate(cli)
    message = one_line_error(cli("hold", number, "--reason", "  "))
    assert message == "--reason：不能为空"


# -- the config ---------------------------------------------------------------------------
def test_an_invalid_config_key_is_named_in_chinese(cli, chinese, tmp_path):
    config = write(tmp_path / "office.toml", "colour = 1\n")
    message = one_line_error(cli("--config", str(config), "list"), exit_code=2)
    assert message.startswith("colour：未知的设置项；可用：attachments, calendar, ")


def test_an_invalid_config_value_is_named_in_chinese(cli, chinese, tmp_path):
    config = write(tmp_path / "office.toml", '[clocks]\ninvestigate = "3 days"\n')
    message = one_line_error(cli("--config", str(config), "list"), exit_code=2)
    assert message == (
        "clocks.investigate：'3 days' 不是时长；请用数字加 m、h、d、wh、wd 之一（例如 24h、3wd）"
    )


# -- the importer -------------------------------------------------------------------------
HEADER = "received_at,channel,customer_name,contact,summary,amount_claimed\n"


def test_an_import_row_error_gives_its_reason_in_chinese(cli, chinese, tmp_path):
    source = write(
        tmp_path / "rows.csv",
        HEADER + "2025-13-45,phone,王伟,138,漏水,\n2025-10-01,phone,李雷,139,漏电,12.345\n",
    )
    result = cli("import", str(source))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith(
        "'2025-13-45'：received_at 不是日期/时间（例如 2025-10-03 或 2025-10-03 14:05）"
    )
    assert lines[1].endswith("'12.345'：amount_claimed 最多只能有 2 位小数")


def test_an_unreadable_import_file_names_the_line_in_chinese(cli, chinese, tmp_path):
    source = write(tmp_path / "rows.jsonl", '{"channel": "phone"}\n[1, 2]\n')
    message = one_line_error(cli("import", str(source), "--format", "jsonl"))
    assert message == "第 2 行：每一行都必须是 JSON 对象"


def test_an_import_amount_error_reads_as_before_in_english(cli, tmp_path):
    source = write(tmp_path / "rows.csv", HEADER + '2025-10-01,phone,李雷,139,漏电,"-3"\n')
    result = cli("import", str(source))
    assert result.stderr.splitlines()[0] == (
        "line 2: amount_claimed: '-3': amount_claimed must be a non-negative amount"
    )
