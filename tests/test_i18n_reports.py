"""`warn` and `report` in Chinese: headings, figure names, code names and the settings'
Chinese names of categories and departments; the same numbers as in English; and JSON and
CSV that stay English (field names and values) whatever the language.

The register is a smaller test_warn `office`: six cases in October 2025, seen from Monday
2025-10-20 11:00 (a seventh in September for the report's previous period)."""

from __future__ import annotations

import email
import re
from email import policy
from types import SimpleNamespace

import pytest
from conftest import local
from test_warn import AT, NUMBER, assigned, classified, free_port, in_feedback, logged, write_config

from complaintctl import i18n


@pytest.fixture
def chinese():
    i18n.use("zh")
    yield
    i18n.use("en")


@pytest.fixture
def office(register) -> SimpleNamespace:
    """As of Monday 2025-10-20 11:00 (deadline, lateness then):

    overdue   c1 李娜/QA  investigate due Mon 10-13 18:00  4 working days late
              c7 李娜/CS  severity A, escalation due 10-20 10:30  30 min late
              c2 张伟/QA  investigate due Fri 10-17 18:00  2 working h late
    due soon  c6 (unassigned) acknowledgement due 10-20 13:00  due in 2 working h
              c4 王芳/CS  investigate due Tue 10-21 18:00  due in 1 working day
    feedback  fb (window ended Fri 10-17 18:00): ready to close
    """
    reg = register
    return SimpleNamespace(
        c1=assigned(reg, local(2025, 10, 9, 10), owner="李娜", department="QA"),
        c2=assigned(reg, local(2025, 10, 14, 10), owner="张伟", department="QA"),
        c4=assigned(reg, local(2025, 10, 16, 10), owner="王芳", department="CS"),
        c6=logged(reg, local(2025, 10, 19, 13), ack=False),
        c7=assigned(
            reg,
            local(2025, 10, 20, 9, 40),
            owner="李娜",
            department="CS",
            received=local(2025, 10, 20, 9),
            severity="A",
            classified_at=local(2025, 10, 20, 9, 30),
        ),
        fb=in_feedback(reg, local(2025, 10, 9, 10)),
    )


def in_both(cli, *args: str, code: int = 0) -> tuple[str, str]:
    """The output of one command in English, then in Chinese (the language restored)."""
    outputs = []
    for language in ("en", "zh"):
        i18n.use(language)
        try:
            result = cli(*args)
        finally:
            i18n.use("en")
        assert result.exit_code == code, (language, result.stdout, result.stderr)
        outputs.append(result.stdout)
    return outputs[0], outputs[1]


def numbers_in(text: str) -> list[str]:
    """Every number in `text` except those inside case numbers and times, in order."""
    text = NUMBER.sub("", text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "", text)
    return re.findall(r"[+-]?\d+(?:\.\d+)?", text)


# -- warn ---------------------------------------------------------------------------------
def test_warn_in_chinese_has_chinese_headings_reasons_and_code_names(cli, office, chinese):
    c = office
    result = cli("warn", "--at", AT)
    assert result.exit_code == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "complaintctl warn — 2025-10-20 11:00 周一（CST）"
    assert lines[1] == "超期 3 件，1 个工作日内到期 2 件（2025-10-21 18:00 前）"
    for heading in (
        "已超期（按负责人）",
        "1 个工作日内到期（按负责人）",
        "A 类投诉：未升级上报或无处理方案",
        "回访期已满：可结案",
        "（未分配）",
    ):
        assert heading in lines, heading
    line = next(x for x in lines if c.c1 in x)
    assert "调查核实" in line and "超期 4 个工作日" in line and "期限 2025-10-13 18:00" in line
    assert "B（较大）" in line
    assert "受理确认" in next(x for x in lines if c.c6 in x)
    assert "2 个工作小时后到期" in next(x for x in lines if c.c6 in x)
    assert "超期 30 分钟" in next(x for x in lines if c.c7 in x)
    assert f"  {c.c7}  未升级上报" in lines
    assert f"  {c.fb}  回访期已于 2025-10-17 18:00 结束" in lines
    # No English words left (but the program's name and the time zone's).
    rest = result.stdout.replace("complaintctl warn", "").replace("CST", "")
    assert not re.search(r"[A-Za-z]{2,}", rest)


def test_warn_lists_the_same_cases_and_numbers_in_both_languages(cli, office):
    english, chinese = in_both(cli, "warn", "--at", AT, code=3)
    assert NUMBER.findall(chinese) == NUMBER.findall(english)
    assert (
        english.splitlines()[1] == "3 overdue, 2 due within 1 working day (before 2025-10-21 18:00)"
    )
    assert numbers_in(chinese.splitlines()[1]) == ["3", "1", "2"]

    def per_case(text: str) -> dict[str, list[str]]:
        return {m.group(0): numbers_in(x) for x in text.splitlines() if (m := NUMBER.search(x))}

    assert per_case(chinese) == per_case(english)


def test_warn_by_department_names_departments_by_their_chinese_names(cli, office, chinese):
    out = cli("warn", "--at", AT, "--by", "department").stdout
    lines = out.splitlines()
    assert "已超期（按责任部门）" in lines
    assert "质量管理部" in lines and "客服部" in lines
    assert "QA" not in lines and "CS" not in lines


def test_a_category_spike_is_named_in_chinese(cli, register, chinese):
    for day in (20, 21, 22):
        classified(register, local(2025, 10, day, 10), category="PQ")
    lines = cli("warn", "--at", "2025-10-22 11:00", "--exit-zero").stdout.splitlines()
    assert "本周投诉类别激增" in lines
    assert "  产品质量  本周 3 件（2025-W43），前 8 周平均 0.0 件" in lines


def test_a_repeat_complainant_is_explained_in_chinese(cli, register, chinese):
    first = classified(register, local(2025, 10, 13, 10), contact="13800001111")
    again = classified(register, local(2025, 10, 20, 9), contact="13800001111")
    lines = cli("warn", "--at", AT, "--exit-zero").stdout.splitlines()
    assert "重复投诉客户" in lines
    assert f"  {again}  王伟 <13800001111>，此前投诉：{first}" in lines


def test_nothing_to_report_is_said_in_chinese(cli, register, chinese):
    out = cli.ok("warn", "--at", AT)
    assert out.splitlines()[1:] == [
        "超期 0 件，1 个工作日内到期 0 件（2025-10-21 18:00 前）",
        "",
        "无超期、无即将到期的投诉，无预警。",
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_warn_json_and_csv_are_identical_in_both_languages(cli, office, fmt):
    english, chinese = in_both(cli, "warn", "--at", AT, "--format", fmt, code=3)
    assert chinese == english
    assert "4 working days late" in english and "not escalated" in english
    assert "超期" not in chinese


def test_the_digest_mail_has_a_chinese_subject_and_body(cli, office, tmp_path, chinese):
    c = office
    config = write_config(tmp_path, port=free_port())
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@b.cn", "--dry-run")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    digest, marker, message = result.stdout.partition("--- 将要发送的邮件 ---\n")
    assert marker
    msg = email.message_from_string(message, policy=policy.default)
    assert " ".join(msg["Subject"].split()) == (
        "complaintctl：超期 3 件，1 个工作日内到期 2 件（2025-10-21 18:00 前） - 2025-10-20"
    )
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == digest
    html = msg.get_body(("html",)).get_content()
    assert "<h3>已超期</h3>" in html and "<th>负责人</th>" in html and "<th>时效</th>" in html
    assert "<h3>1 个工作日内到期</h3>" in html and "<td>（未分配）</td>" in html
    assert "截至 2025-10-20 11:00（CST）。" in html
    overdue = html[html.index("<h3>已超期</h3>") : html.index("</table>")]
    assert NUMBER.findall(overdue) == [c.c1, c.c7, c.c2]
    assert "<td>超期 4 个工作日</td>" in overdue


def test_a_mail_that_cannot_be_sent_is_one_chinese_error_line(cli, office, tmp_path, chinese):
    config = write_config(tmp_path, port=free_port())  # nobody listens there
    result = cli("--config", config, "warn", "--at", AT, "--mail-to", "a@example.com")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    c = office
    assert NUMBER.findall(result.stdout)[:3] == [c.c1, c.c7, c.c2]  # printed first
    assert "邮件未能经由 127.0.0.1:" in result.stderr


# -- report -------------------------------------------------------------------------------
@pytest.fixture
def october(register, office):
    """The office's October, and one case in September (the previous period)."""
    classified(register, local(2025, 9, 15, 10), category="SA")
    return office


def totals(text: str) -> list[list[str]]:
    """The cells of the totals table (the first table), row by row."""
    rows = []
    for line in text.splitlines():
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


def test_report_in_chinese_has_chinese_title_headings_and_figure_names(cli, october, chinese):
    out = cli.ok("report", "--month", "2025-10")
    assert out.splitlines()[0] == "投诉处理月报 — 2025年10月（上期：2025年9月）"
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == ["指标", "本期", "上期", "环比"]
    names = [row[0] for row in totals(out)]
    assert names[:5] == ["收到投诉", "受理", "不予受理", "结案", "期末未结案"]
    assert "按时率：调查核实" in names and "解决率" in names and "平均满意度评分" in names
    assert "每日收到投诉" in out
    assert "10-01 周三 │" in out and "10-20 周一 │" in out
    assert "个百分点" in out and "n/a" not in out


def test_report_figures_are_the_same_in_both_languages(cli, october):
    english, chinese = in_both(cli, "report", "--month", "2025-10")
    en_rows, zh_rows = totals(english), totals(chinese)
    assert len(en_rows) == len(zh_rows) == 21  # with Merged duplicates
    for en, zh in zip(en_rows, zh_rows, strict=True):
        shown = [c.replace("个百分点", "pp").replace("—", "n/a") for c in zh[1:]]
        assert shown == en[1:], (en, zh)
    assert numbers_in(chinese.split("每日收到投诉")[1]) == numbers_in(
        english.split("Received per day")[1]
    )


@pytest.mark.slow
def test_report_by_category_and_channel_use_chinese_names(cli, october, chinese):
    out = cli.ok("report", "--month", "2025-10", "--by", "category")
    assert "按投诉类别（本期值，环比变化）" in out
    assert "产品质量" in out and "服务态度" in out and "（无）" in out
    assert "5（+5）" in out
    out = cli.ok("report", "--month", "2025-10", "--by", "department")
    assert "按责任部门（本期值，环比变化）" in out and "质量管理部" in out and "客服部" in out
    out = cli.ok("report", "--month", "2025-10", "--by", "channel")
    assert "按渠道" in out and "电话" in out
    out = cli.ok("report", "--month", "2025-10", "--by", "severity")
    assert "A（重大）" in out and "B（较大）" in out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "title"),
    [
        (("--quarter", "2025Q4"), "投诉处理季报 — 2025年第4季度（上期：2025年第3季度）"),
        (("--year", "2025"), "投诉处理年报 — 2025年（上期：2024年）"),
        (
            ("--from", "2025-10-13", "--to", "2025-10-19"),
            "投诉处理报告 — 2025-10-13 至 2025-10-19（上期：2025-10-06 至 2025-10-12）",
        ),
    ],
)
def test_every_kind_of_period_is_named_in_chinese(cli, october, chinese, args, title):
    out = cli.ok("report", *args)
    assert out.splitlines()[0] == title


@pytest.mark.slow
@pytest.mark.parametrize("by", [None, "category", "severity"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_report_json_and_csv_are_identical_in_both_languages(cli, october, fmt, by):
    args = ["report", "--month", "2025-10", "--format", fmt] + (["--by", by] if by else [])
    english, chinese = in_both(cli, *args)
    assert chinese == english
    assert "Resolution rate" in english and "10-01 Wed" in english
    assert ("n/a" if fmt == "csv" else "null") in english
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("投诉处理月报", ""))


def test_a_bad_period_is_refused_in_chinese(cli, chinese):
    result = cli("report", "--month", "2025-13")
    assert result.exit_code == 1
    assert "--month" in result.stderr and "不是月份，应如 2025-10" in result.stderr
