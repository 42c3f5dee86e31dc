"""The figure table (complaintctl/figures.py) is the one place a report figure is defined:
every format prints exactly its figures in its order, `--by` takes exactly its breakdowns,
the config's [targets] are its targets and are judged by its rules, and a figure's
definition is written nowhere else."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_workflow import to_investigate

import complaintctl
from complaintctl import figures, i18n
from complaintctl.config import Targets, settings_from_dict
from complaintctl.errors import ConfigError

KEYS = [f.key for f in figures.FIGURES]
PACKAGE = Path(complaintctl.__file__).parent


def _resolved_case(cli, received: str, score: str | None = None) -> str:
    """A case received at `received`, resolved the next working days, scored if given."""
    number = to_investigate(cli, received=received, assigned=received)
    cli.ok(
        "investigate",
        number,
        "--findings",
        "密封圈老化",
        "--cause",
        "批次质量",
        "--responsibility",
        "internal",
        "--proposal",
        "上门更换",
        "--at",
        "2025-10-14 10:00",
    )
    cli.ok("resolve", number, "--remedy", "repair", "--note", "已更换", "--at", "2025-10-15 10:00")
    if score:
        cli.ok("feedback", number, "--score", score, "--at", "2025-10-16 10:00")
    return number


@pytest.fixture
def october(cli):
    """Three cases received in October 2025: two resolved and scored, 5 (satisfied) and 2
    (back to its owner)."""
    _resolved_case(cli, "2025-10-13 09:00", "5")
    _resolved_case(cli, "2025-10-13 11:00", "2")
    to_investigate(cli, received="2025-10-14 09:00", assigned="2025-10-14 09:00")
    return cli


def test_the_json_report_has_exactly_the_table_figures_in_the_table_order(october):
    data = json.loads(october.ok("report", "--month", "2025-10", "--format", "json"))
    assert [r["figure"] for r in data["figures"]] == KEYS
    for row in data["figures"]:
        figure = figures.BY_KEY[row["figure"]]
        assert (row["label"], row["unit"]) == (figure.label, figure.unit)
    values = {r["figure"]: r["value"] for r in data["figures"]}
    assert (values["received"], values["feedback"], values["mean_score"]) == (3, 2, 3.5)
    assert (values["resolved"], values["reopened"], values["satisfied_share"]) == (1, 1, 50.0)


@pytest.mark.slow
def test_every_group_of_a_breakdown_has_every_table_figure_in_csv_and_json(october):
    data = json.loads(october.ok("report", "--month", "2025-10", "--by", "owner", "-f", "json"))
    groups = {r["group"] for r in data["figures"]}
    assert len(groups) == 2  # the total and the one owner
    for group in groups:
        assert [r["figure"] for r in data["figures"] if r["group"] == group] == KEYS
    csv_text = october.ok("report", "--month", "2025-10", "--format", "csv")
    csv_figures = [line.split(",")[2] for line in csv_text.splitlines()[1:]]
    assert csv_figures[: len(KEYS)] == KEYS
    assert all(f.startswith("received_per_") for f in csv_figures[len(KEYS) :])


@pytest.mark.slow
def test_the_screen_names_every_table_figure_in_english_and_in_chinese(october, monkeypatch):
    english = october.ok("report", "--month", "2025-10")
    assert [f.label for f in figures.FIGURES if f.label in english] == [
        f.label for f in figures.FIGURES
    ]
    i18n.use("zh")
    try:
        chinese = october.ok("report", "--month", "2025-10")
        names = [i18n._(f.name) for f in figures.FIGURES]
    finally:
        i18n.use("en")
    positions = [chinese.find("│ " + name + " ") for name in names]
    assert -1 not in positions and positions == sorted(positions)


def test_report_by_takes_exactly_the_table_breakdowns(cli):
    help_text = re.sub(r"\s+", " ", cli.ok("report", "--help"))
    assert "--by <" + "|".join(figures.BREAKDOWN_KEYS) + ">" in help_text
    for key in figures.BREAKDOWN_KEYS:
        cli.ok("report", "--month", "2025-10", "--by", key, "--format", "json")
    refused = cli("report", "--month", "2025-10", "--by", "product")
    assert refused.exit_code == 2
    assert all(repr(key) in refused.stderr for key in figures.BREAKDOWN_KEYS)


def test_the_monthly_report_refuses_a_breakdown_the_table_lacks(register):
    from complaintctl.errors import InvalidValue
    from complaintctl.report import Period, monthly_report

    period = Period("month", dt.date(2025, 10, 1), dt.date(2025, 11, 1))
    with pytest.raises(InvalidValue) as refused:
        monthly_report(register, period, "product")
    assert "allowed: " + ", ".join(figures.BREAKDOWN_KEYS) in str(refused.value)


@pytest.mark.slow
def test_the_html_report_shows_the_table_figures_cards_columns_and_targets(october, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.html"
    october.ok("report", "--month", "2025-10", "--html", str(out))
    page = out.read_text("utf-8")
    figures_table = page[page.index('<section class="figures">') :]
    figures_table = figures_table[: figures_table.index("</section>")]
    assert re.findall(r'<tr data-figure="([^"]+)"', figures_table) == KEYS
    cards = re.findall(r'<div class="card" data-figure="([^"]+)"', page)
    assert cards == [f.key for f in figures.HEADLINE]
    assert re.findall(r'data-by="([^"]+)"', page) == [b.key for b in figures.BREAKDOWN_TABLES]
    owner = page[page.index('data-by="owner"') :]
    owner = owner[: owner.index("</table>")]
    columns = [f.key for f in figures.BREAKDOWN_COLUMNS]
    assert re.findall(r'data-figure="([^"]+)"', owner) == columns
    assert re.findall(r'data-target="([^"]+)"', page) == [t.key for _f, t in figures.TARGETS]


def _goals(**values: float) -> Targets:
    return Targets(**values)


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        ({"resolution_rate": 95.0, "mean_days_to_resolve": 3.0, "mean_score": 4.2}, 4.0, "met"),
        (
            {"resolution_rate": 94.9, "mean_days_to_resolve": 3.01, "mean_score": 4.19},
            4.0,
            "missed",
        ),
        ({"resolution_rate": None, "mean_days_to_resolve": None, "mean_score": 4.2}, None, "n/a"),
    ],
)
def test_each_target_is_judged_by_its_rule_in_the_table(now, before, expected):
    judged = figures.judge(_goals(), now, {"mean_score": before})
    assert [j.target.key for j in judged] == [t.key for _f, t in figures.TARGETS]
    assert {j.status for j in judged} == {expected}
    by_rule = {j.target.rule: j for j in judged}
    assert set(by_rule) == {figures.AT_LEAST, figures.AT_MOST, figures.UP_ON_YEAR_BEFORE}
    assert by_rule[figures.UP_ON_YEAR_BEFORE].before == before


def test_a_target_is_judged_against_the_config_value_and_n_a_without_the_year_before():
    now = {"resolution_rate": 60.0, "mean_days_to_resolve": 10.0, "mean_score": 3.0}
    goals = _goals(resolution_rate=60, mean_days_to_resolve=9.5, satisfaction_increase=-50)
    status = {j.target.key: j.status for j in figures.judge(goals, now, None)}
    assert status == {
        "resolution_rate": "met",
        "mean_days_to_resolve": "missed",
        "satisfaction_increase": "n/a",
    }


def test_the_config_targets_are_the_table_targets_with_their_defaults_and_ranges(tmp_path):
    from dataclasses import fields

    assert [(f.name, f.default) for f in fields(Targets)] == [
        (t.key, t.default) for _f, t in figures.TARGETS
    ]
    for _figure, target in figures.TARGETS:
        settings = settings_from_dict({"targets": {target.key: target.high}})
        assert getattr(settings.targets, target.key) == target.high
        with pytest.raises(ConfigError) as refused:
            settings_from_dict({"targets": {target.key: target.low - 1}})
        assert f"targets.{target.key}: must be {target.allowed}" in str(refused.value)
    with pytest.raises(ConfigError):
        settings_from_dict({"targets": {"median_days_to_resolve": 2}})


def test_config_init_writes_one_line_per_table_target(cli, tmp_path):
    path = tmp_path / "c.toml"
    cli.ok("config", "init", "--path", str(path), "--country", "CN", "--timezone", "Asia/Shanghai")
    text = path.read_text("utf-8")
    block = text[text.index("[targets]") :].split("\n\n")[0]
    written = re.findall(r"^#?(\w+) = ([\d.]+)  # (.*)$", block, re.M)
    assert written == [(t.key, repr(t.default), t.note) for _f, t in figures.TARGETS]


def test_every_name_in_the_table_has_its_chinese_in_the_catalog():
    msgids = [f.name for f in figures.FIGURES] + [b.name for b in figures.BREAKDOWNS]
    msgids += [b.heading for b in figures.BREAKDOWNS]
    msgids += [f.short for f in figures.BREAKDOWN_COLUMNS] + [f.step for f in figures.ON_TIME]
    msgids += [t.text for _f, t in figures.TARGETS] + [t.allowed for _f, t in figures.TARGETS]
    i18n.use("zh")
    try:
        untranslated = [m for m in msgids if i18n._(m) == m]
    finally:
        i18n.use("en")
    assert untranslated == []


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _modules_naming(word: str) -> list[str]:
    """The package's modules with `word` as a word in a string (its code, not comments)."""
    pattern = re.compile(rf"\b{word}\b")
    return sorted(
        p.name
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and any(pattern.search(s) for s in _string_constants(p))
    )


def test_the_resolution_rate_is_defined_in_figures_py_and_nowhere_else():
    assert _modules_naming("resolution_rate") == ["figures.py"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "key", [f.key for f in figures.FIGURES if "_" in f.key and f.key != "mean_score"]
)
def test_every_figure_with_a_name_of_its_own_is_written_only_in_figures_py(key):
    # (Plain words such as "received" are also steps; the HTML's trend chart names the
    # figures it follows, mean_score among them. The morning digest has a section of
    # repeat complainants: a list of cases, not this figure.)
    elsewhere = {"repeat_complainants": ["render_digest.py"]}.get(key, [])
    assert _modules_naming(key) == sorted(["figures.py", *elsewhere])


def test_a_period_without_rows_counts_zero_cases_and_leaves_every_other_figure_n_a():
    values = figures.values({})
    assert {k for k, v in values.items() if v == 0} == {
        f.key for f in figures.FIGURES if f.unit == "cases"
    }
    assert {k for k, v in values.items() if v is None} == {
        f.key for f in figures.FIGURES if f.unit != "cases"
    }


def test_the_table_loads_without_the_database_layer():
    # The CLI builds --by and the config reads [targets] from the table at start-up.
    code = (
        "import sys, complaintctl.config, complaintctl.figures; print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
