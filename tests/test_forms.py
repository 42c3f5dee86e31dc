"""`complaintctl form CASE [--feedback]`: a case as a printable paper form, one A4 sheet.

Read through the CLI on both backends: the page carries the case's fields, the form's title
in the language of the run, its `lang`, and hostile text escaped.  Then printed for real:
headless Chromium prints each form of every demo-like case in both languages to PDF, and
poppler's pdfinfo/pdftotext prove one A4 page that carries the case.  The printing tests
fail when the tools are missing on CI (env CI or COMPLAINTCTL_TEST_CHROMIUM set) and are
skipped, saying why, elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import Run

from complaintctl import form_html, i18n

TITLES = {
    ("en", False): "Customer complaint registration form",
    ("en", True): "Complaint feedback form",
    ("zh", False): "客户投诉登记表",
    ("zh", True): "投诉反馈表",
}
HOSTILE_NAME = '<script>alert(1)</script>\x1b]0;owned\x07 "王伟" & co'
HOSTILE_SUMMARY = "<img src=x onerror=alert(2)> \u202egnp.exe 洗衣机漏水"
# A long complaint: a 500-character summary (the most a summary holds), a 2,000-character
# description, half of it one line per sentence, and a long demand.
LONG_SUMMARY = ("滚筒洗衣机在保修期内第三次漏水" * 40)[:500]
LONG_DESCRIPTION = ("客户称洗衣机自九月起反复漏水，维修人员两次上门均未解决问题。" * 40)[:1000] + (
    "第二次上门后仍然漏水。\n" * 100
)[:1000]
LONG_DEMAND = "要求整机更换并赔偿地板损失，" * 30


def run(cli: Run, language: str, *args: str):
    """The CLI in `language` (as LANG=zh_CN would choose it for a real run)."""
    i18n.use(language)
    try:
        return cli(*args)
    finally:
        i18n.use("en")


def form(cli: Run, number: str, language: str = "en", *more: str) -> str:
    result = run(cli, language, "form", number, *more)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def log(cli: Run, *args: str) -> str:
    return cli.ok("log", "-q", *args).strip()


# -- demo-like cases -----------------------------------------------------------------------
def logged(cli: Run) -> str:
    """Just logged, waiting to be acknowledged (demo case 1 as it arrived)."""
    return log(
        cli, "--received-at", "2025-09-29 09:15", "--channel", "phone", "--customer", "王伟",
        "--contact", "13800000001", "--summary", "洗衣机漏水，要求更换",
        "--description", "滚筒洗衣机使用两周后底部漏水。", "--demand", "更换新机",
        "--order", "SO-25091201", "--product", "滚筒洗衣机 WG-80",
    )  # fmt: skip


def resolved(cli: Run) -> str:
    """Resolved and told, waiting for the customer's feedback (an enterprise, in English)."""
    number = log(
        cli, "--received-at", "2025-09-29 14:40", "--channel", "email",
        "--customer", "Acme Trading Ltd", "--contact", "purchasing@acme.example",
        "--customer-type", "enterprise", "--summary", "Invoice charged twice for September",
        "--demand", "Refund the second charge", "--order", "SO-25090877",
        "--amount", "1280.00",
    )  # fmt: skip
    _walk(cli, number, "2025-09-29 15:00", "Billing run posted the invoice twice")
    cli.ok("resolve", number, "--remedy", "refund", "--amount", "1280", "--note",
           "Second charge refunded on 1 October", "--at", "2025-10-01 10:00")  # fmt: skip
    return number


def closed(cli: Run) -> str:
    """Satisfied and closed: the feedback form shows the score the customer gave."""
    number = log(
        cli, "--received-at", "2025-09-30 10:05", "--channel", "online", "--customer", "李娜",
        "--contact", "linan@example.cn", "--summary", "快递延误五天且包装破损",
        "--order", "SO-25092655",
    )  # fmt: skip
    _walk(cli, number, "2025-09-30 10:30", "承运商中转站积压")
    cli.ok("resolve", number, "--remedy", "explanation", "--note", "已致歉并补发配件",
           "--at", "2025-09-30 16:00")  # fmt: skip
    cli.ok("feedback", number, "--score", "5", "--comment", "很满意", "--at", "2025-10-09 10:00")
    return number


def long_case(cli: Run) -> str:
    """The longest texts a case can hold in its printed fields, resolved."""
    number = log(
        cli, "--received-at", "2025-10-09 11:00", "--channel", "social", "--customer", "陈静",
        "--contact", "weibo:chenjing88", "--summary", LONG_SUMMARY,
        "--description", LONG_DESCRIPTION, "--demand", LONG_DEMAND, "--order", "SO-25100102",
    )  # fmt: skip
    _walk(cli, number, "2025-10-09 11:30", "进水阀密封圈老化，" * 120)
    cli.ok("resolve", number, "--remedy", "replacement", "--note", "已上门更换整机，" * 120,
           "--at", "2025-10-10 11:00")  # fmt: skip
    return number


def _walk(cli: Run, number: str, at: str, findings: str) -> None:
    cli.ok("ack", number, "--at", at)
    cli.ok("classify", number, "--category", "PQ", "--severity", "C", "--kind", "general",
           "--at", at)  # fmt: skip
    cli.ok("assign", number, "--department", "QA", "--owner", "李娜", "--at", at)
    cli.ok("investigate", number, "--findings", findings, "--responsibility", "internal",
           "--proposal", "fix it", "--at", at)  # fmt: skip


DEMO = {"logged": logged, "resolved": resolved, "closed": closed, "long": long_case}


# -- the page ------------------------------------------------------------------------------
def test_the_registration_form_holds_the_case_as_the_customer_confirms_it(cli):
    number = logged(cli)
    page = form(cli, number)
    assert '<html lang="en">' in page
    assert "<h1>Customer complaint registration form</h1>" in page
    for text in (number, "王伟", "13800000001", "phone", "2025-09-29 09:15", "洗衣机漏水，要求更换",
                 "滚筒洗衣机使用两周后底部漏水。", "更换新机", "SO-25091201", "滚筒洗衣机 WG-80",
                 "Customer&#x27;s signature", "Date"):  # fmt: skip
        assert text in page, text
    # The acknowledgement deadline: 24 hours after receipt (as show --format json says).
    assert re.search(r"Acknowledge by</th>\s*<td[^>]*>2025-09-30 09:15<", page), page


def test_the_page_is_self_contained_printable_and_runs_nothing(cli):
    page = form(cli, logged(cli))
    assert "@page { size: A4;" in page
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import", page, re.I)
    assert "default-src 'none'" in page  # a browser may fetch nothing for it


def test_in_chinese_the_forms_have_the_seeds_titles_and_chinese_names(cli):
    number = resolved(cli)
    registration = form(cli, number, "zh")
    feedback = form(cli, number, "zh", "--feedback")
    assert '<html lang="zh-CN">' in registration and '<html lang="zh-CN">' in feedback
    assert "<h1>客户投诉登记表</h1>" in registration
    assert "<h1>投诉反馈表</h1>" in feedback
    assert "邮件" in registration and "企业" in registration  # channel and customer type
    assert "退款" in feedback  # the remedy's Chinese name
    assert "<h1>Complaint feedback form</h1>" in form(cli, number, "en", "--feedback")


def test_the_feedback_form_says_what_was_done_and_has_the_score_boxes(cli):
    number = resolved(cli)
    page = form(cli, number, "en", "--feedback")
    for text in (number, "Acme Trading Ltd", "Invoice charged twice for September",
                 "Billing run posted the invoice twice", "refund", "1280.00",
                 "Second charge refunded on 1 October", "2025-10-01 10:00"):  # fmt: skip
        assert text in page, text
    assert page.count('<span class="box">') == 5  # 1 to 5, none ticked yet
    assert page.count('<div class="rule">') == form_html.COMMENT_LINES
    # The reply deadline is the end of the feedback window (show's feedback deadline).
    import json

    due = json.loads(cli.ok("show", number, "--format", "json"))["deadlines"]["feedback"]["due"]
    assert re.search(
        rf"Please reply by</th>\s*<td[^>]*>{due[:10]} {due[11:16]}<", page
    ), page  # fmt: skip


def test_a_closed_case_shows_the_score_the_customer_gave(cli):
    page = form(cli, closed(cli), "en", "--feedback")
    assert page.count('class="box ticked"') == 1
    assert re.search(r'class="box ticked">✓</span> 5<', page)


def test_a_reopened_case_waiting_for_feedback_again_has_blank_boxes(cli):
    number = resolved(cli)
    cli.ok("feedback", number, "--score", "2", "--comment", "not refunded yet",
           "--at", "2025-10-02 10:00")  # fmt: skip
    cli.ok("investigate", number, "--findings", "the refund never left the bank",
           "--responsibility", "internal", "--proposal", "refund again",
           "--at", "2025-10-03 09:00")  # fmt: skip
    cli.ok("resolve", number, "--remedy", "refund", "--note", "refunded again",
           "--at", "2025-10-03 10:00")  # fmt: skip
    page = form(cli, number, "en", "--feedback")
    assert "ticked" not in page and page.count('<span class="box">') == 5
    assert "refunded again" in page


def test_hostile_text_is_escaped_and_made_visible(cli):
    number = log(cli, "--channel", "phone", "--customer", HOSTILE_NAME, "--contact",
                 "13800000009", "--summary", HOSTILE_SUMMARY,
                 "--demand", "</td></tr></table>x")  # fmt: skip
    for page in (form(cli, number), form(cli, number, "en", "--feedback")):
        assert "<script>" not in page and "<img" not in page and "</table>x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=alert(2)&gt;" in page
        assert "\x1b" not in page and "\x07" not in page and "\u202e" not in page
        assert "\\x1b]0;owned\\x07" in page and "\\u202egnp.exe" in page
        assert "&quot;王伟&quot; &amp; co" in page


def test_the_office_name_and_logo_come_from_the_config(cli, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[office]\nname = "华东区<客户>服务中心"\nlogo_text = "ACME"\n', "utf-8")
    number = logged(cli)
    result = cli("--config", str(config), "form", number)
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert '<div class="office">华东区&lt;客户&gt;服务中心</div>' in page
    assert '<div class="logo">ACME</div>' in page
    assert '<div class="logo">' not in form(cli, number)  # none configured: none shown
    config.write_text("[office]\nname = 5\n", "utf-8")
    refused = cli("--config", str(config), "form", number)
    assert refused.exit_code == 2 and "office.name" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_config_show_and_init_carry_the_office_table(cli, tmp_path):
    import tomllib

    from complaintctl.config import load_settings

    config = tmp_path / "c.toml"
    config.write_text('[office]\nname = "华东区 \\"一部\\""\nlogo_text = "ACME"\n', "utf-8")
    shown = cli.ok("--config", str(config), "config", "show")
    assert tomllib.loads(shown)["office"] == {"name": '华东区 "一部"', "logo_text": "ACME"}
    cli.ok("config", "init", "--path", str(tmp_path / "new.toml"))
    fresh = (tmp_path / "new.toml").read_text("utf-8")
    assert "#[office]" in fresh and '# name = "' in fresh  # an example, commented out
    assert load_settings(tmp_path / "new.toml").office_name is None


def test_o_writes_a_private_file_and_refuses_a_directory(cli, tmp_path):
    number = logged(cli)
    target = tmp_path / "form.html"
    result = cli("form", number, "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert str(target) in result.stderr
    assert target.read_text("utf-8") == form(cli, number).rstrip("\n") + "\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    (tmp_path / "dir").mkdir()
    refused = cli("form", number, "-o", str(tmp_path / "dir"))
    assert refused.exit_code != 0 and "--output" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""


def test_a_short_number_is_this_years_case(cli):
    number = log(cli, "--channel", "visit", "--customer", "张强", "--contact", "13900000002",
                 "--summary", "门店店员态度恶劣")  # fmt: skip
    short = str(int(number.rsplit("-", 1)[1]))
    assert f'<td class="number">{number}</td>' in form(cli, short)


def test_an_unknown_case_is_one_line_and_no_page(cli):
    result = cli("form", "C2025-999999")
    assert result.exit_code != 0 and result.stdout == ""
    assert "C2025-999999" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_long_text_is_shortened_and_the_page_says_so(cli):
    number = long_case(cli)
    page = form(cli, number)
    assert LONG_DESCRIPTION not in page and LONG_DESCRIPTION[:200] in page
    assert f"complaintctl show {number}" in page
    assert f"complaintctl show {number}" not in form(cli, logged(cli))


# -- printed: headless Chromium to PDF, read back with poppler ---------------------------------
CHROMIUM_ENV = "COMPLAINTCTL_TEST_CHROMIUM"


def _tool(name: str, *candidates: str) -> str:
    """The program, or fail on CI / skip elsewhere, saying which package brings it."""
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    why = f"{name} is not installed (Debian: apt-get install {name})"
    if os.environ.get("CI") or os.environ.get(CHROMIUM_ENV, "").strip():
        pytest.fail(f"{why}; CI must print the forms")
    pytest.skip(why)


def print_pdf(tmp_path: Path, page: str, name: str) -> tuple[dict[str, str], str]:
    """`page` printed by headless Chromium: (pdfinfo's fields, pdftotext -layout's text)."""
    named = os.environ.get(CHROMIUM_ENV, "").strip()
    chromium = _tool("chromium", *([named] if named else ["chromium", "chromium-browser"]))
    pdfinfo, pdftotext = _tool("poppler-utils", "pdfinfo"), _tool("poppler-utils", "pdftotext")
    html_file, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    html_file.write_text(page, "utf-8")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", "--disable-extensions",
         f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html_file.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(
        (k.strip(), v.strip()) for k, _s, v in (line.partition(":") for line in info.splitlines())
    )
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return fields, text


def _squeezed(text: str) -> str:
    """Text as pdftotext lays it out, without the spaces and breaks of the layout."""
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.sqlite_only  # the page is the same on both backends (the tests above prove it)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_demo_case_prints_each_form_on_one_a4_page(cli, tmp_path, language):
    for name, make in DEMO.items():
        number = make(cli)
        detail = __import__("json").loads(cli.ok("show", number, "--format", "json"))
        for feedback in (False, True):
            page = form(cli, number, language, *(["--feedback"] if feedback else []))
            info, text = print_pdf(tmp_path, page, f"{name}-{language}-{int(feedback)}")
            where = (name, language, feedback)
            assert info["Pages"] == "1", where
            size = re.fullmatch(r"([\d.]+) x ([\d.]+) pts \(A4\)", info["Page size"])
            assert size, info["Page size"]  # A4 is 595.28 x 841.89 pts; Chromium rounds
            assert abs(float(size[1]) - 595.28) < 1 and abs(float(size[2]) - 841.89) < 1
            flat = _squeezed(text)
            i18n.use(language)
            try:
                signature = form_html.label("signature")
            finally:
                i18n.use("en")
            for expected in (TITLES[language, feedback], number, detail["customer_name"],
                             detail["summary"][:20], signature):  # fmt: skip
                assert _squeezed(expected) in flat, (where, expected, text)
