"""Issue 18, defect 5: text typed by someone else never acts on the reader's terminal or
reorders a line: terminal escapes, control characters, bidi overrides and line
separators are written out in every human-facing line (tables, the `warn` digest and its
mail, the report in text and HTML, error messages); JSON keeps the text as stored."""

from __future__ import annotations

import json

import pytest
from conftest import local

from complaintctl.digest import build_digest
from complaintctl.escapes import visible
from complaintctl.render_digest import digest_html, digest_text, subject

ATTACK = "\x1b]0;pwned\x07\x1b[2J漏水\u202eevil\u2028next\x85end"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J漏水\\u202eevil\\u2028next\\x85end"


def hidden_in(text: str) -> list[str]:
    return [c for c in "\x1b\x07\u202e\u2028\x85" if c in text]


@pytest.fixture
def attacked(cli):
    number = cli.ok(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
        "--summary", ATTACK, "--received-at", "2025-10-01 09:00", "-q",
    ).strip()  # fmt: skip
    cli.ok("ack", number, "--at", "2025-10-01 09:30")
    cli.ok("classify", number, "--category", "PQ", "--severity", "B", "--kind", "general",
           "--at", "2025-10-01 10:00")  # fmt: skip
    cli.ok("assign", number, "--department", "QA", "--owner", f"李娜{ATTACK[:12]}",
           "--at", "2025-10-01 10:30")  # fmt: skip
    return number


def test_the_escape_function():
    assert visible(ATTACK) == SHOWN
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\nb\tc", lines=False) == "a\\nb\\tc"
    assert visible("王伟 Zhou Min 12:00") == "王伟 Zhou Min 12:00"


def test_warn_as_text_html_and_mail_shows_the_escapes(cli, register, attacked):
    text = cli.ok("warn", "--at", "2025-10-20 09:00", "--exit-zero")
    assert SHOWN in text and hidden_in(text) == []
    digest = build_digest(register, local(2025, 10, 20, 9))
    for part in (digest_text(digest), digest_html(digest), subject(digest)):  # the mail
        assert hidden_in(part) == []
    assert "\\x1b]0;pwned" in digest_html(digest)
    data = json.loads(cli.ok("warn", "--at", "2025-10-20 09:00", "--format", "json", "--exit-zero"))
    assert data["overdue"][0]["summary"] == ATTACK  # JSON: as stored


@pytest.mark.slow
def test_report_by_owner_shows_the_escapes(cli, attacked, tmp_path):
    text = cli.ok("report", "--month", "2025-10", "--by", "owner")
    assert hidden_in(text) == [] and "\\x1b]0;pwned" in text
    page = tmp_path / "report.html"
    cli.ok("report", "--month", "2025-10", "--by", "owner", "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert hidden_in(html) == [] and "\\x1b]0;pwned" in html


def test_list_show_and_error_lines_show_the_escapes(cli, attacked):
    for args in (("list",), ("show", attacked)):
        out = cli.ok(*args)
        assert hidden_in(out) == []
    result = cli("show", "C2025-9\u202e99\u2028")
    assert result.exit_code == 1
    assert hidden_in(result.stderr) == [] and "\\u202e" in result.stderr
    assert len(result.stderr.splitlines()) == 1
