"""`complaintctl report --html FILE`: the monthly report as one self-contained HTML page.

The figures are read back out of the page (its data-* attributes) and compared with
`report --format json` for the same period and database; the page is opened in headless
Chromium (COMPLAINTCTL_TEST_CHROMIUM names the binary; .ci/run installs Debian's
`chromium` and sets it), which must load it with no console message at all (the page's
Content-Security-Policy turns any fetch into one), show every chart, and keep every
table within an A4 page's width.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Run, local, postgres_schema
from test_report import build_world  # the report tests' ~200 walked complaints

from complaintctl import services
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.figures import FIGURES
from complaintctl.register import Register

# Each page draws its charts with matplotlib on a 200-case register, and a real browser
# opens some: slow (python -m pytest -m 'not slow' leaves them out).
pytestmark = pytest.mark.slow

CHROMIUM_ENV = "COMPLAINTCTL_TEST_CHROMIUM"
CHROMIUM = os.environ.get(CHROMIUM_ENV, "").strip()
CHARTS = ("received", "category", "channel", "ontime", "scores", "trend")
INSTALL_HINT = "error: report --html needs matplotlib: pip install 'complaintctl[charts]'"
HOSTILE_SUMMARY = "<script>alert(1)</script> & <img src=x onerror=alert(2)> 洗衣机漏水"
HOSTILE_OWNER = '<i>周</i> & "O\'Neil"'
A4_TEXT_WIDTH = 703  # CSS px: 210 mm less two 12 mm margins, at 96 px per inch
NOW = local(2025, 11, 20, 12, 0)
PERIODS = {
    "month": ("--month", "2025-10"),
    "quarter": ("--quarter", "2025Q3"),
    "range": ("--from", "2025-09-29", "--to", "2025-10-12"),
}


# -- the register: the report tests' world, plus one hostile, overdue case --------------------
def build(db: str) -> str:
    build_world(db)
    reg = Register(open_db(db), Settings())
    common = {"now": NOW, "actor": "fixture"}
    case = services.log_complaint(
        reg,
        channel="phone",
        customer_name="<b>王伟</b>",
        contact="13800009999",
        summary=HOSTILE_SUMMARY,
        received_at=local(2025, 7, 1, 10, 0),
        **common,
    ).case.number
    services.ack(reg, case, at=local(2025, 7, 1, 11, 0), **common)
    services.classify(
        reg, case, category="PQ", severity="C", kind="general", at=local(2025, 7, 1, 12), **common
    )
    services.assign(
        reg, case, department="CS", owner=HOSTILE_OWNER, at=local(2025, 7, 1, 13, 0), **common
    )
    reg.engine.dispose()
    return db


@dataclass
class World:
    db: str  # the database's URL
    pages: Path  # where its pages are written
    made: dict[tuple, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {}


@pytest.fixture
def world(worlds: dict[str, World], backend: str, db_url: str, tmp_path_factory) -> World:
    """The register, built once per backend (the tests only read it)."""
    if backend not in worlds:
        home = tmp_path_factory.mktemp("report_html")
        if backend == "postgresql":
            url = postgres_schema("report_html")
        else:
            url = f"sqlite:///{home / 'register.db'}"
        worlds[backend] = World(build(url), home)
    return worlds[backend]


def html_report(world: World, *args: str) -> str:
    """The page `report ARGS --html FILE` writes on the world (made once per arguments)."""
    if args not in world.made:
        out = world.pages / f"report-{len(world.made)}.html"
        result = Run()("--db", world.db, "report", *args, "--html", str(out))
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        assert result.stdout == "" and result.stderr.endswith(f" report to {out}\n")
        world.made[args] = out.read_text("utf-8")
    return world.made[args]


def json_report(world: World, *args: str) -> dict:
    result = Run()("--db", world.db, "report", *args, "--format", "json")
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


class Page(HTMLParser):
    """What a program reads in the page: every element's data-* attributes, with the
    breakdown (`data-by` of the enclosing table) of each figure cell."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.by: str | None = None
        self.figures: list[dict] = []
        self.charts: dict[str, dict] = {}
        self.targets: dict[str, str] = {}
        self.cases: list[str] = []
        self.tags: list[str] = []
        self.overdue_count: int | None = None
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table" and "data-by" in a:
            self.by = a["data-by"]
        if "data-figure" in a:
            self.figures.append({**a, "by": self.by})
        if "data-chart" in a:
            self.charts[a["data-chart"]] = a
        if "data-target" in a:
            self.targets[a["data-target"]] = a["data-status"]
        if "data-case" in a:
            self.cases.append(a["data-case"])
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action")]
        if "data-overdue-count" in a:
            self.overdue_count = int(a["data-overdue-count"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.by = None

    def totals(self) -> dict[str, tuple]:
        """{figure: (value, previous, change)} of the (all) group, as the page carries them;
        every appearance of a figure must carry the same numbers."""
        out: dict[str, tuple] = {}
        for f in self.figures:
            if f["data-group"] != "(all)":
                continue
            got = tuple(json.loads(f[f"data-{k}"]) for k in ("value", "previous", "change"))
            assert out.setdefault(f["data-figure"], got) == got, f
        return out


def json_totals(data: dict) -> dict[str, tuple]:
    return {
        r["figure"]: (r["value"], r["previous"], r["change"])
        for r in data["figures"]
        if r["group"] == "(all)"
    }


# -- the figures are those of report --format json ----------------------------------------------
@pytest.mark.parametrize("period", list(PERIODS))
def test_every_figure_in_the_page_equals_the_json_report_of_the_same_period(world, period):
    page = Page(html_report(world, *PERIODS[period]))
    expected = json_report(world, *PERIODS[period])
    assert page.totals() == json_totals(expected)
    assert len(page.totals()) == len(FIGURES) == 21  # every figure of the report is on the page
    received = json.loads(page.charts["received"]["data-points"])
    assert received == [[b["label"], b["count"]] for b in expected["chart"]["received"]]


@pytest.mark.parametrize("by", ["category", "channel", "severity", "department", "kind", "owner"])
def test_each_breakdown_table_equals_report_by_in_json(world, by):
    page = Page(html_report(world, "--month", "2025-10"))
    expected = json_report(world, "--month", "2025-10", "--by", by)
    want = {
        (r["group"], r["figure"]): r["value"] for r in expected["figures"] if r["group"] != "(all)"
    }
    got = {
        (f["data-group"], f["data-figure"]): json.loads(f["data-value"])
        for f in page.figures
        if f["by"] == by
    }
    assert got, f"no table by {by}"
    assert {g for g, _ in got} == {g for g, _ in want}  # every group, none made up
    assert got == {k: v for k, v in want.items() if k in got}


def test_the_twelve_month_trend_equals_each_months_own_report(world):
    page = Page(html_report(world, "--month", "2025-10"))
    trend = json.loads(page.charts["trend"]["data-points"])
    assert [m[0] for m in trend] == [f"2024-{m}" for m in ("11", "12")] + [
        f"2025-{m:02d}" for m in range(1, 11)
    ]
    for month, received, resolved, score in trend:
        if month not in ("2024-11", "2025-07", "2025-08", "2025-09", "2025-10"):
            continue  # the months before the world are like 2024-11: all zero, no score
        totals = json_totals(json_report(world, "--month", month))
        assert (received, resolved, score) == (
            totals["received"][0],
            totals["resolved"][0],
            totals["mean_score"][0],
        ), month
    assert any(m[1] for m in trend) and not any(m[1] for m in trend[:7])


def test_a_years_trend_is_its_twelve_months_and_adds_up_to_the_year(world):
    page = Page(html_report(world, "--year", "2025"))
    trend = json.loads(page.charts["trend"]["data-points"])
    assert [m[0] for m in trend] == [f"2025-{m:02d}" for m in range(1, 13)]
    totals = page.totals()
    assert sum(m[1] for m in trend) == totals["received"][0] > 0
    assert sum(m[2] for m in trend) == totals["resolved"][0] > 0


def test_a_years_received_chart_is_per_iso_week_and_adds_up_to_the_json_report(world):
    page = Page(html_report(world, "--year", "2025"))
    weeks = json.loads(page.charts["received"]["data-points"])
    # 2025-01-01 is a Wednesday of ISO week 1; 2025-12-29..31 are in week 1 of 2026.
    assert weeks[0][0] == "2025-W01" and weeks[-1][0] == "2026-W01"
    assert [w[0] for w in weeks[1:-1]] == [f"2025-W{n:02d}" for n in range(2, 53)]
    expected = json_report(world, "--year", "2025")
    months = [b["count"] for b in expected["chart"]["received"]]
    assert sum(n for _, n in weeks) == sum(months) == page.totals()["received"][0] > 0


def test_a_month_at_the_start_of_the_calendar_makes_a_page_with_a_full_trend(cli, tmp_path):
    out = tmp_path / "r.html"
    cli.ok("report", "--month", "1900-01", "--html", str(out))
    trend = json.loads(Page(out.read_text("utf-8")).charts["trend"]["data-points"])
    assert [m[0] for m in trend][:2] == ["1899-02", "1899-03"] and len(trend) == 12


@pytest.mark.parametrize(
    "period", [("--year", "0002"), ("--month", "1899-12"), ("--quarter", "3000Q1")]
)
def test_a_period_outside_the_years_complaintctl_reads_is_refused_in_one_line(cli, period):
    result = cli("report", *period, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == f"error: {period[0]}: is outside the years 1900-2999\n"


def test_the_score_distribution_adds_up_to_the_feedback_figures(world):
    page = Page(html_report(world, "--month", "2025-10"))
    scores = {int(s): n for s, n in json.loads(page.charts["scores"]["data-points"])}
    totals = page.totals()
    assert set(scores) == {1, 2, 3, 4, 5}
    assert sum(scores.values()) == totals["feedback"][0] > 0
    assert (
        round(sum(s * n for s, n in scores.items()) / sum(scores.values()), 2)
        == (totals["mean_score"][0])
    )
    satisfied = sum(n for s, n in scores.items() if s >= 4)
    assert round(100 * satisfied / sum(scores.values()), 1) == totals["satisfied_share"][0]


def test_the_overdue_table_lists_the_most_overdue_open_cases_that_warn_lists(world):
    page = Page(html_report(world, "--month", "2025-10"))
    result = Run()(
        "--db", world.db, "warn", "--format", "json", "--exit-zero", "--even-on-holidays"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    overdue = json.loads(result.stdout)["overdue"]
    most = sorted(overdue, key=lambda item: -item["hours_late"])
    assert page.overdue_count == len(overdue) > 10
    assert page.cases == [item["number"] for item in most[:10]]


# -- the page ----------------------------------------------------------------------------------
def test_the_page_fetches_nothing_and_runs_nothing(world):
    text = html_report(world, "--month", "2025-10")
    page = Page(text)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert "default-src 'none'" in text
    # Only the SVG namespaces name a URL; no attribute points anywhere.
    urls = set(re.findall(r"""(?:https?|ftp)://[^\s"'<>)]+""", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert page.links and all(link.startswith(("#", "data:")) for link in page.links)


def test_hostile_case_text_is_shown_as_text_never_as_markup(world):
    text = html_report(world, "--month", "2025-10")
    assert "<script" not in text and "<img" not in text and "<i>周" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;" in text
    assert "&lt;i&gt;周&lt;/i&gt; &amp; &quot;O&#x27;Neil&quot;" in text  # overdue, by owner


def test_every_chart_is_an_inline_svg_with_ids_of_its_own(world):
    text = html_report(world, "--month", "2025-10")
    for chart in CHARTS:
        m = re.search(
            rf'<figure[^>]*data-chart="{chart}"[^>]*>\s*<svg[^>]*>(.*?)</svg>', text, re.S
        )
        assert m, chart
        assert m.group(1).count("<path") > 10, chart
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "two elements share an id"
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', text):
        assert ref in ids, ref


def test_the_daily_chart_shades_the_days_the_office_is_closed(world):
    text = html_report(world, "--month", "2025-10")
    chart = re.search(r'data-chart="received".*?</svg>', text, re.S).group(0)
    # 1-8 October are the National Day holidays; Sunday 12, 18-19 and 25-26 are weekends;
    # Saturday 11 is a make-up working day. One grey band a day, and one in the legend.
    assert chart.count("fill: #d5dce6") == 8 + 5 + 1


def test_the_targets_of_seed_003_are_judged_by_default(world):
    text = html_report(world, "--month", "2025-10")
    totals = Page(text).totals()
    rate, days = totals["resolution_rate"][0], totals["mean_days_to_resolve"][0]
    assert rate < 95 and days > 3  # the world's October: both missed
    assert Page(text).targets == {
        "resolution_rate": "missed",
        "mean_days_to_resolve": "missed",
        "satisfaction_increase": "n/a",  # no scores in October 2024
    }
    assert f"Resolution rate at least 95 %: <strong>{rate:g}%</strong>" in text
    assert f"Mean working days to resolution at most 3: <strong>{days:g}</strong>" in text


def test_targets_from_the_config_are_judged_against_them(world, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[targets]\nresolution_rate = 60\nmean_days_to_resolve = 11\n", "utf-8")
    out = tmp_path / "r.html"
    Run().ok("--db", world.db, "--config", str(config), "report", "--month", "2025-10", "--html",
             str(out))  # fmt: skip
    targets = Page(out.read_text("utf-8")).targets
    assert targets["resolution_rate"] == "met" and targets["mean_days_to_resolve"] == "met"


def _walk_to_feedback(cli, received: str, score: int) -> str:
    day = received[:10]
    case = cli.ok(
        "log", "--channel", "phone", "--customer", "张三", "--contact", f"1390000{score}{day[3]}",
        "--summary", "投诉", "--received-at", f"{day} 09:00", "-q"
    ).strip()  # fmt: skip
    for args in (
        ("ack", case, "--at", f"{day} 09:30"),
        ("classify", case, "--category", "PQ", "--severity", "C", "--kind", "general",
         "--at", f"{day} 10:00"),
        ("assign", case, "--department", "QA", "--owner", "李娜", "--at", f"{day} 10:30"),
        ("investigate", case, "--findings", "x", "--responsibility", "internal",
         "--proposal", "y", "--at", f"{day} 11:00"),
        ("resolve", case, "--remedy", "apology", "--at", f"{day} 12:00"),
        ("feedback", case, "--score", str(score), "--at", f"{day} 15:00"),
    ):  # fmt: skip
        cli.ok(*args)
    return case


@pytest.mark.parametrize(
    "increase, status", [("20", "met"), ("25", "met"), ("26", "missed")], ids=str
)
def test_satisfaction_is_judged_against_the_same_month_a_year_before(
    cli, tmp_path, increase, status
):
    _walk_to_feedback(cli, "2024-10-15", 4)
    _walk_to_feedback(cli, "2025-10-15", 5)  # 4 -> 5 is +25 %
    config = tmp_path / "c.toml"
    config.write_text(f"[targets]\nsatisfaction_increase = {increase}\n", "utf-8")
    out = tmp_path / "r.html"
    cli.ok("--config", str(config), "report", "--month", "2025-10", "--html", str(out))
    text = out.read_text("utf-8")
    assert Page(text).targets["satisfaction_increase"] == status
    assert "5 against 4 in 2024-10" in text


def test_an_empty_register_makes_a_page_of_zeros_and_n_a(cli, tmp_path):
    out = tmp_path / "r.html"
    result = cli("report", "--month", "2025-10", "--html", str(out))
    assert result.exit_code == 0, result.output
    page = Page(out.read_text("utf-8"))
    assert page.totals()["received"] == (0, 0, 0)
    assert page.totals()["resolution_rate"] == (None, None, None)
    assert set(page.targets.values()) == {"n/a"}
    assert page.overdue_count == 0 and set(page.charts) == set(CHARTS)


# -- the command --------------------------------------------------------------------------------
def test_the_command_says_where_it_wrote_and_prints_nothing_else(cli, tmp_path):
    out = tmp_path / "r.html"
    result = cli("report", "--month", "2025-10", "--html", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"wrote the 2025-10 report to {out}\n"
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # it quotes complaints: owner only


def test_a_file_it_replaces_is_owner_only_again(cli, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    out.chmod(0o644)
    cli.ok("report", "--month", "2025-10", "--html", str(out))
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # never wider: it quotes complaints


def files(directory: Path) -> list[str]:
    """The files in a test's directory but its register's (the database is opened
    before the period is read)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("register.db"))


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("--html", "{tmp}/missing/r.html"),
            "error: --html: directory {tmp}/missing does not exist",
        ),
        (("--html", "{tmp}"), "error: --html: {tmp} is a directory, not a regular file"),
        (
            ("--html", "{tmp}/r.html", "--format", "json"),
            "complaintctl report: --html writes a file of its own; leave out --format and "
            "--excel (see complaintctl report --help)",
        ),
        (
            ("--html", "{tmp}/r.html", "--month", "2025-13"),
            "error: --month: '2025-13' is not a month like 2025-10",
        ),
        (
            ("--html", "{tmp}/" + "n" * 260 + ".html"),
            "error: --html: {tmp}/" + "n" * 260 + ".html: File name too long (nothing was written)",
        ),
    ],
    ids=["missing directory", "a directory", "with --format", "bad month", "name too long"],
)
def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path, args, message):
    (tmp_path / "r.html").write_text("the old report")
    before = files(tmp_path)
    result = cli("report", *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code in (1, 2)
    said = re.sub(r"^root\b", "complaintctl", result.stderr).replace("see root", "see complaintctl")
    assert said == message.format(tmp=tmp_path) + "\n"  # (in-process, click's name is root)
    assert files(tmp_path) == before
    assert (tmp_path / "r.html").read_text() == "the old report"


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_without_matplotlib_it_says_how_to_install_it_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("the old report")
    # `import matplotlib` fails as it does where the charts extra is not installed.
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from complaintctl.cli import main\n"
        "sys.argv = ['complaintctl', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = _run_python(code, "report", "--month", "2025-10", "--html", str(out))
    assert result.returncode == 1
    assert result.stderr == INSTALL_HINT + "\n"
    assert result.stdout == ""
    assert out.read_text() == "the old report"
    assert files(tmp_path) == ["r.html"]


def test_help_does_not_import_matplotlib():
    code = (
        "import sys\n"
        "from complaintctl.cli import main\n"
        "sys.argv = ['complaintctl', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('matplotlib', 'sqlalchemy', 'sqlmodel') if m in sys.modules))\n"
    )
    for args in (("--help",), ("report", "--help")):
        result = _run_python(code, *args)
        assert result.stdout.splitlines()[-1] == "[]", (args, result.stdout, result.stderr)
    assert "--html FILE" in _run_python(code, "report", "--help").stdout


# -- Chinese text in the charts -------------------------------------------------------------------
CHINESE_CONFIG = """
channels = ["电话", "网站"]
[[categories]]
code = "PQ"
name = "产品质量"
[[categories]]
code = "SA"
name = "服务态度"
"""


def _chinese_register(cli, tmp_path) -> Path:
    config = tmp_path / "zh.toml"
    config.write_text(CHINESE_CONFIG, "utf-8")
    case = cli.ok(
        "--config", str(config), "log", "--channel", "电话", "--customer", "王伟",
        "--contact", "13800000001", "--summary", "漏水", "--received-at", "2025-10-09 09:00",
        "-q",
    ).strip()  # fmt: skip
    cli.ok("--config", str(config), "ack", case, "--at", "2025-10-09 09:30")
    cli.ok("--config", str(config), "classify", case, "--category", "PQ", "--severity", "C",
           "--kind", "general", "--at", "2025-10-09 10:00")  # fmt: skip
    return config


def _glyph_fonts(svg: str) -> set[str]:
    """The fonts whose glyph outlines a chart uses (matplotlib names each one font-code)."""
    return set(re.findall(r'<path id="chart-[a-z]+-([A-Za-z]+)-[0-9a-f]+"', svg))


def test_chinese_category_and_channel_names_are_drawn_with_a_chinese_font(cli, tmp_path):
    from complaintctl.report_html_charts import find_cjk_font

    font = find_cjk_font()
    if font is None:
        if CHROMIUM:  # CI installs fonts-wqy-zenhei with chromium: it must be found there
            pytest.fail(f"{CHROMIUM_ENV} is set but no Chinese font is installed")
        pytest.skip("no Chinese font installed (Debian: apt-get install fonts-wqy-zenhei)")
    config = _chinese_register(cli, tmp_path)
    out = tmp_path / "r.html"
    result = cli("--config", str(config), "report", "--month", "2025-10", "--html", str(out))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    text = out.read_text("utf-8")
    for chart in ("category", "channel"):
        svg = re.search(rf'data-chart="{chart}".*?</svg>', text, re.S).group(0)
        fonts = _glyph_fonts(svg)
        assert "DejaVuSans" in fonts and fonts - {"DejaVuSans"}, (chart, fonts)


def test_without_a_chinese_font_it_warns_once_and_still_writes_the_page(cli, tmp_path, monkeypatch):
    from complaintctl import report_html_charts

    monkeypatch.setattr(report_html_charts, "CJK_FONTS", ("No Such Font",))
    monkeypatch.setattr(report_html_charts, "CJK_FILES", re.compile(r"^$"))
    config = _chinese_register(cli, tmp_path)
    out = tmp_path / "r.html"
    result = cli("--config", str(config), "report", "--month", "2025-10", "--html", str(out))
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {report_html_charts.NO_CJK_FONT}"]
    assert "fonts-wqy-zenhei" in warnings[0]
    assert set(Page(out.read_text("utf-8")).charts) == set(CHARTS)


# -- in a real browser ---------------------------------------------------------------------------
def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on a file; skipped only when no browser is named."""
    if not CHROMIUM:
        pytest.skip(f"{CHROMIUM_ENV} is not set (CI sets it; .ci/run installs chromium)")
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-extensions",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def console_messages(result: subprocess.CompletedProcess) -> list[str]:
    """What the page wrote to the browser's console (errors, CSP violations, logs)."""
    return re.findall(r":CONSOLE[^\]]*\] (.*)", result.stderr)


def dom(tmp_path: Path, page: Path, width: int = 1000) -> str:
    return chromium(tmp_path, page, f"--window-size={width},2000", "--dump-dom").stdout


@pytest.mark.sqlite_only
def test_the_page_loads_in_chromium_with_no_console_message_and_every_chart(world, tmp_path):
    text = html_report(world, "--month", "2025-10")
    page = tmp_path / "report.html"
    page.write_text(text, "utf-8")
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, page, "--window-size=1000,2600", f"--screenshot={shot}")
    assert console_messages(result) == []
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1000, 2600)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 50  # text, charts and tables, not a blank page
    loaded = dom(tmp_path, page)
    for chart in CHARTS:
        assert re.search(rf'<figure[^>]*data-chart="{chart}"[^>]*>\s*<svg', loaded), chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in loaded


@pytest.mark.sqlite_only
def test_the_console_check_sees_a_page_that_tries_to_fetch(world, tmp_path):
    """The check above can fail: the same page with one outside image is reported."""
    text = html_report(world, "--month", "2025-10")
    page = tmp_path / "fetching.html"
    page.write_text(text.replace("</body>", '<img src="http://127.0.0.1:9/x.png"></body>'))
    messages = console_messages(chromium(tmp_path, page, "--dump-dom"))
    assert any("Content Security Policy" in m for m in messages), messages


_MEASURE = """<script>
const wide = [];
const body = document.body.getBoundingClientRect().right
  - parseFloat(getComputedStyle(document.body).paddingRight);
for (const el of document.querySelectorAll("table, figure, section, .cards")) {
  if (el.getBoundingClientRect().right > body + 0.5
      || el.scrollWidth > el.clientWidth + 1) {
    wide.push((el.tagName + "." + el.className + " " + (el.dataset.by || "")).trim());
  }
}
document.body.dataset.overflow = JSON.stringify(wide);
document.body.dataset.measured = document.querySelectorAll("table").length;
</script></body>"""


def overflowing(tmp_path: Path, text: str, width: int) -> tuple[list[str], int]:
    """The page's boxes wider than the body at this window width, measured in the
    browser (the page's own policy forbids scripts, so the copy measured drops it)."""
    page = tmp_path / "measure.html"
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    page.write_text(text.replace("</body>", _MEASURE), "utf-8")
    loaded = dom(tmp_path, page, width)
    m = re.search(r'data-overflow="([^"]*)" data-measured="(\d+)"', loaded)
    assert m, loaded[-2000:]
    return json.loads(m.group(1).replace("&quot;", '"')), int(m.group(2))


@pytest.mark.sqlite_only
def test_no_table_or_chart_is_wider_than_an_a4_page(world, tmp_path):
    text = html_report(world, "--month", "2025-10")
    wide, tables = overflowing(tmp_path, text, A4_TEXT_WIDTH)
    assert tables == 8  # the overdue cases, all figures, six breakdowns
    assert wide == []


@pytest.mark.sqlite_only
def test_the_width_check_sees_a_table_that_does_not_fit(world, tmp_path):
    text = html_report(world, "--month", "2025-10")
    text = text.replace(
        "</body>",
        f'<table><tr><td style="white-space: nowrap">{"x" * 400}</td></tr></table></body>',
    )
    wide, _ = overflowing(tmp_path, text, A4_TEXT_WIDTH)
    assert wide, "a 400-character line fitted in an A4 page"
