"""`report --html` in Chinese: no English label left (headings, headline cards, the rows of
every table, step names, chart labels), the page declares its language, and the English
page is English throughout (its title too).

The register is test_i18n_reports' October office (six cases, one in September); each
page is drawn once per language on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from test_i18n_reports import october, office  # noqa: F401  (fixtures)

from complaintctl import i18n

pytest.importorskip("matplotlib", reason="report --html needs the charts extra")

HAN = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")


class Labels(HTMLParser):
    """The labels a reader sees: headings, card labels, table headers and row labels, the
    target marks, the overdue table's step and lateness, chart titles and every text drawn
    in a chart (matplotlib writes each as a comment before its outlines); and the page's
    visible text as a whole, with the chart texts."""

    LABEL_TAGS = {"title", "h1", "h2", "h3", "th"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.labels: list[str] = []
        self.visible: list[str] = []
        self.lang = ""
        self.cell = 0
        self.feed(text)

    def _is_label(self) -> bool:
        for tag, attrs in reversed(self.stack):
            if tag in self.LABEL_TAGS:
                return True
            if "label" in attrs.get("class", "").split() or attrs.get("class") == "mark":
                return True
        tag, _attrs = self.stack[-1] if self.stack else ("", {})
        in_overdue = any("overdue-table" in a.get("class", "") for _t, a in self.stack)
        return tag == "td" and in_overdue and self.cell in (2, 4)  # waiting for, late

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "tr":
            self.cell = 0
        if tag in ("td", "th"):
            self.cell += 1
        if "title" in a and tag == "th":
            self.labels.append(a["title"])
        self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not text or any(t == "style" for t, _a in self.stack):
            return
        self.visible.append(text)
        if self._is_label():
            self.labels.append(text)

    def handle_comment(self, data: str) -> None:
        text = data.strip()
        if text and any(t == "svg" for t, _a in self.stack):
            self.visible.append(text)
            self.labels.append(text)


def page(cli, tmp_path, language: str) -> Labels:
    out = tmp_path / f"report-{language}.html"
    i18n.use(language)
    try:
        result = cli("report", "--month", "2025-10", "--html", str(out))
    finally:
        i18n.use("en")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return Labels(out.read_text("utf-8"))


@pytest.mark.slow
def test_the_chinese_page_has_no_english_label_and_the_english_page_no_chinese(
    cli,
    october,  # noqa: F811  (the fixture)
    tmp_path,
):
    english, chinese = page(cli, tmp_path, "en"), page(cli, tmp_path, "zh")
    assert english.lang == "en" and chinese.lang == "zh-CN"

    english_labels = {text for text in english.labels if WORD.search(text)}
    # The page is not empty of labels: every kind the test is about is collected.
    for sample in (
        "Headline figures",  # a heading
        "Received",  # a card, and a row of the all-figures table
        "Resolution rate",
        "On time: escalate (A)",  # a row
        "investigate",  # a step (the overdue table's and the on-time chart's)
        "Received per day",  # a chart title
        "non-working day",  # text drawn in a chart
        "PQ Product quality",  # a group of a breakdown table and the category chart
        "phone",
    ):
        assert sample in english_labels, sample
    seen = "\n".join(chinese.visible)
    left = sorted(text for text in english_labels if text in seen)
    assert left == [], left

    assert chinese.labels[0] == "投诉处理月报 2025年10月"
    assert english.labels[0] == "Complaint handling report 2025-10"
    owners = {"李娜", "张伟", "王芳"}  # the office's own names, in any language
    assert [text for text in english.labels if HAN.search(text) and text not in owners] == []


@pytest.mark.slow
def test_received_is_a_count_in_the_breakdown_tables(cli, october, tmp_path):  # noqa: F811
    chinese = page(cli, tmp_path, "zh")
    headers = [text for text in chinese.labels if text in ("接收时间", "接收量")]
    assert headers and set(headers) == {"接收量"}
