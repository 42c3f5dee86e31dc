"""The monthly report (《投诉处理月报》) as one self-contained HTML document for managers
to forward: the headline figures against the previous period, the targets of seed 003
marked met or missed, charts (inline SVG), the most overdue open cases, and the
breakdown tables.

Every figure comes from `report.monthly_report` (the same `Report` that `report --format
json` prints), the overdue cases from `digest.most_overdue` (what `warn` lists). The page
fetches nothing: styles and charts are inside it, and a Content-Security-Policy forbids
any fetch, so a browser that opens it forwarded by e-mail shows exactly what was written.

matplotlib (the `charts` extra) is imported only here, and only when `report --html` runs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from complaintctl import figures, outputs
from complaintctl.errors import ComplaintError
from complaintctl.escapes import visible
from complaintctl.htmlpage import HEAD
from complaintctl.i18n import N_, _, current
from complaintctl.i18n import label as code_label
from complaintctl.register import Register
from complaintctl.report import (
    ALL,
    NONE,
    Period,
    Report,
    judge_targets,
    monthly_report,
    non_working_days,
    received_chart,
    score_counts,
    totals,
    trend,
)

INSTALL_HINT = "report --html needs matplotlib: pip install 'complaintctl[charts]'"
OVERDUE_LIMIT = 10
TREND_MONTHS = 12
# The figures the trend chart follows, month by month.
TREND_FIGURES = ("received", "resolved", "mean_score")

# Every word the document shows, in one place (marked for the catalog; label() translates). (The
# figures' and breakdowns' own names, and the targets' wording, are in figures.py.)
LABELS: dict[str, str] = {
    "title": N_("Complaint handling report"),
    "period": N_("Period"),
    "period_line": N_(
        "({start} – {end}), previous period: {previous}. Made {at}, times in {zone}."
    ),
    "targets": N_("Targets"),
    "target_met": N_("met"),
    "target_missed": N_("missed"),
    "target_na": N_("not judged: no data"),
    "satisfaction_detail": N_("{value} against {before} in {period}"),
    "satisfaction_no_before": N_("no scores in {period} to compare with"),
    "headline": N_("Headline figures"),
    "against_previous": N_("against {period}"),
    "charts": N_("Charts"),
    "chart_received_day": N_("Received per day"),
    "chart_received_week": N_("Received per ISO week"),
    "chart_received_month": N_("Received per month"),
    "chart_category": N_("Received by category"),
    "chart_channel": N_("Received by channel"),
    "chart_ontime": N_("Steps done on time"),
    "chart_scores": N_("Satisfaction scores given"),
    "chart_trend": N_("Last {n} months: received, resolved, mean satisfaction"),
    "cases": N_("cases"),
    "received": N_("received"),
    "resolved": N_("resolved"),
    "score": N_("mean satisfaction"),
    "score_axis": N_("score 1-5"),
    "non_working_day": N_("non-working day"),
    "satisfied_score": N_("satisfied"),
    "dissatisfied_score": N_("dissatisfied"),
    "na": N_("n/a"),
    "overdue": N_("Most overdue open cases"),
    "overdue_none": N_("No open case is overdue."),
    "overdue_intro": N_("{count} open case(s) overdue at {at}; the {shown} most overdue:"),
    "col_case": N_("Case"),
    "col_waiting_for": N_("Waiting for"),
    "col_due": N_("Due"),
    "col_late": N_("Late"),
    "col_owner": N_("Owner (department)"),
    "col_severity": N_("Grade"),
    "col_category": N_("Category"),
    "col_summary": N_("Summary"),
    "figures": N_("All figures"),
    "col_figure": N_("Figure"),
    "col_this_period": N_("This period"),
    "col_previous": N_("Previous"),
    "col_change": N_("Change"),
    "breakdowns": N_("Breakdowns"),
    "col_group": N_("Group"),
    "none_group": N_("(none)"),
    "definitions": N_("Definitions of every figure: README, section report."),
}


def escape(text: str) -> str:
    """Text for the page: HTML-escaped, with terminal escapes, bidi overrides and line
    separators written out (complaintctl.escapes)."""
    return html.escape(visible(text))


def label(key: str, **values: object) -> str:
    """A word or sentence of the document (`values` fill its {placeholders})."""
    text = _(LABELS[key])
    return text.format(**values) if values else text


# The page's language, as its <html lang> declares it.
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def title(period: Period) -> str:
    """The report's name: in Chinese by its kind of period (投诉处理月报, 季报, 年报)."""
    name = code_label("report", period.kind)
    return label("title") if name == period.kind else name


class ChartsUnavailable(ComplaintError):
    """`report --html` was asked for but the charts extra (matplotlib) is not installed."""


def require_charts() -> None:
    """Refuse at once, before any work, when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ChartsUnavailable(INSTALL_HINT) from None


# -- the data ---------------------------------------------------------------------------------
@dataclass
class HtmlReport:
    """Everything the document shows; `report` is the object `--format json` prints."""

    report: Report
    breakdowns: dict[str, Report]
    trend: list[dict]  # {month, received, resolved, mean_score}
    scores: list[tuple[int, int, bool]]  # (score, cases scored so in the period, satisfied)
    targets: list[figures.Judgement]
    year_before: Period | None  # what year-on-year targets compared with (None: off the calendar)
    overdue: list[dict]  # the most overdue open cases, most overdue first
    overdue_count: int
    at: dt.datetime  # office-local: when the overdue list was taken
    chart_unit: str  # the received chart's buckets: day (month), week (quarter, year)
    chart: list[tuple[str, int]]  # (bucket label, received)
    non_working: set[dt.date] = field(default_factory=set)


def build(
    reg: Register, report: Report, now: dt.datetime, overdue_limit: int = OVERDUE_LIMIT
) -> HtmlReport:
    """Everything the document shows, for `report` (as `monthly_report` made it), with
    the overdue list taken at `now` (naive UTC)."""
    from complaintctl.clock import to_local
    from complaintctl.digest import most_overdue

    breakdowns = {
        b.key: report if b.key == report.by else monthly_report(reg, report.period, b.key)
        for b in figures.BREAKDOWN_TABLES
    }
    # Only what the page shows: the few most overdue and their count (not warn's digest).
    overdue, overdue_count = most_overdue(reg, now, overdue_limit)
    period = report.period
    # A month per day and a quarter per week, as the report's own chart; a year per week
    # too (the report counts a year per month).
    chart_unit, chart = report.chart_unit, report.chart
    if period.kind == "year":
        chart_unit, chart = "week", received_chart(reg, period, "week")
    non_working = non_working_days(reg, period) if chart_unit == "day" else set()
    judgements, compared_with = judge_targets(reg, report)
    return HtmlReport(
        report=report,
        breakdowns=breakdowns,
        trend=trend(reg, period, TREND_MONTHS, TREND_FIGURES),
        scores=score_counts(reg, period),
        targets=judgements,
        year_before=compared_with,
        overdue=overdue,
        overdue_count=overdue_count,
        at=to_local(now, reg.settings.tz),
        chart_unit=chart_unit,
        chart=chart,
        non_working=non_working,
    )


# -- the document -----------------------------------------------------------------------------
def _cell(value: float | int | None, unit: str = "") -> str:
    from complaintctl.render_report import cell_text

    return cell_text(value, unit)


def _change(value: float | int | None, unit: str) -> str:
    from complaintctl.render_report import change_text

    return change_text(value, unit)


def _figure_name(key: str) -> str:
    """A figure's name as people read it (its English label, or the catalog's Chinese)."""
    from complaintctl.render_report import figure_name

    return figure_name(figures.BY_KEY[key])


def _period(period: Period) -> str:
    """A period as people read it: 2025-10 in English, 2025年10月 in Chinese."""
    from complaintctl.render_report import period_name

    return period_name(period)


def _data(row: dict, *, with_change: bool = True) -> str:
    """The data-* attributes that carry a figure as JSON numbers (null for n/a), so a
    program (the tests) reads exactly the numbers shown."""
    attrs = {"figure": row["figure"], "group": row["group"], "value": json.dumps(row["value"])}
    if with_change:
        attrs["previous"] = json.dumps(row["previous"])
        attrs["change"] = json.dumps(row["change"])
    return " ".join(f'data-{k}="{escape(str(v))}"' for k, v in attrs.items())


def _group_name(reg: Register, by: str, group: str) -> str:
    """A group as people read it: a category or department code with its name (its
    Chinese name in Chinese, when the settings give one); a channel, severity or kind by
    its name in the catalog; an owner as named."""
    if group == NONE:
        return label("none_group")
    dimension = figures.BREAKDOWN_BY_KEY[by]
    for code in getattr(reg.settings, dimension.codes) if dimension.codes else ():
        if code.code.lower() == group.lower():
            name = code.name_zh if current() == "zh" and code.name_zh else code.name
            return f"{code.code} {name}"
    if dimension.coded:
        return code_label(by, group)
    return group


def _charts(reg: Register, doc: HtmlReport) -> tuple[dict[str, str], list[str]]:
    """Every chart as inline SVG, keyed by chart id; and the warnings (a missing font)."""
    from complaintctl import report_html_charts as ch

    report = doc.report
    rows = totals(report)
    categories = _received_by(reg, doc.breakdowns["category"], "category")
    channels = _received_by(reg, doc.breakdowns["channel"], "channel")
    # Group names are the office's own (Chinese ones are common); LABELS will be
    # Chinese once translated.
    texts = [g for g, _ in categories + channels]
    texts += [label(key) for key in LABELS if "{" not in LABELS[key]]  # as they are drawn
    warnings = []
    font = ch.find_cjk_font()
    if font is None and ch.has_cjk(texts):
        warnings.append(ch.NO_CJK_FONT)
    charts = ch.Charts(font)
    unit = doc.chart_unit
    chart_labels = [_tick(unit, text) for text, _ in doc.chart]
    shade: list[int] = []
    if unit == "day":
        days = [report.period.start + dt.timedelta(days=i) for i in range(len(doc.chart))]
        shade = [i for i, d in enumerate(days) if d in doc.non_working]
    out = {
        "received": charts.bars(
            "chart-received",
            label(f"chart_received_{unit}"),
            chart_labels,
            [n for _, n in doc.chart],
            ylabel=label("cases"),
            shade=shade,
            shade_label=label("non_working_day"),
            wide=True,
            rotate=len(chart_labels) > 16,
        ),
        "category": charts.hbars(
            "chart-category",
            label("chart_category"),
            [g for g, _ in categories],
            [n for _, n in categories],
            xlabel=label("cases"),
            none_text="0",
        ),
        "channel": charts.hbars(
            "chart-channel",
            label("chart_channel"),
            [g for g, _ in channels],
            [n for _, n in channels],
            xlabel=label("cases"),
            none_text="0",
        ),
        "ontime": charts.hbars(
            "chart-ontime",
            label("chart_ontime"),
            [_(f.step) for f in figures.ON_TIME],
            [rows[f.key]["value"] for f in figures.ON_TIME],
            xlabel="%",
            xmax=115,
            suffix="%",
            none_text=label("na"),
        ),
        "scores": charts.bars(
            "chart-scores",
            label("chart_scores"),
            [str(s) for s, _n, _satisfied in doc.scores],
            [n for _s, n, _satisfied in doc.scores],
            ylabel=label("cases"),
            colors=[
                ch.COLORS["tertiary"] if satisfied else ch.COLORS["bad"]
                for _s, _n, satisfied in doc.scores
            ],
            legend=[
                (ch.COLORS["tertiary"], label("satisfied_score")),
                (ch.COLORS["bad"], label("dissatisfied_score")),
            ],
        ),
        "trend": charts.trend(
            "chart-trend",
            label("chart_trend", n=len(doc.trend)),
            [m["month"] for m in doc.trend],
            [m["received"] for m in doc.trend],
            [m["resolved"] for m in doc.trend],
            [m["mean_score"] for m in doc.trend],
            labels={k: label(k) for k in ("received", "resolved", "cases", "score", "score_axis")},
        ),
    }
    return out, warnings


def _tick(unit: str, text: str) -> str:
    """A short tick label: '10-01' for '10-01 Wed', 'W40' for '2025-W40'."""
    if unit == "day":
        return text.split()[0]
    if unit == "week":
        return text.split("-", 1)[-1]
    return text


def _received_by(reg: Register, report: Report, by: str) -> list[tuple[str, int]]:
    """(group name, received) for each group of a breakdown, most first."""
    groups = [r for r in report.rows if r["group"] != ALL and r["figure"] == "received"]
    pairs = [(_group_name(reg, by, r["group"]), r["value"]) for r in groups if r["value"]]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def render(reg: Register, doc: HtmlReport) -> tuple[str, list[str]]:
    """The whole document as text, and warnings for the user (at most one each)."""
    charts, warnings = _charts(reg, doc)
    report = doc.report
    rows = totals(report)
    tz = reg.settings.timezone
    parts = [
        HEAD.format(
            lang=HTML_LANG.get(current(), "en"),
            title=escape(f"{title(report.period)} {_period(report.period)}"),
            css=_CSS,
            csp=CSP,
        ),
        "<header>",
        f"<h1>{escape(title(report.period))}</h1>",
        f'<p class="period"><strong data-period="{escape(report.period.label)}">'
        f"{escape(_period(report.period))}</strong> "
        + escape(
            label(
                "period_line",
                start=report.period.start.isoformat(),
                end=(report.period.end - dt.timedelta(days=1)).isoformat(),
                previous=_period(report.previous),
                at=doc.at.strftime("%Y-%m-%d %H:%M"),
                zone=tz,
            )
        )
        + "</p>",
        "</header>",
        _targets_html(doc),
        _headline_html(rows, report),
        f"<section><h2>{escape(label('charts'))}</h2>",
        _figure("received", charts["received"], "wide", _points(doc.chart)),
        '<div class="grid">',
        _figure("category", charts["category"]),
        _figure("channel", charts["channel"]),
        _figure("ontime", charts["ontime"]),
        _figure("scores", charts["scores"], points=_points((s, n) for s, n, _ in doc.scores)),
        "</div>",
        _figure(
            "trend",
            charts["trend"],
            "wide",
            json.dumps(
                [[m["month"], m["received"], m["resolved"], m["mean_score"]] for m in doc.trend]
            ),
        ),
        "</section>",
        _overdue_html(reg, doc),
        _all_figures_html(rows),
        _breakdowns_html(reg, doc),
        f"<footer><p>{escape(label('definitions'))}</p></footer>",
        "</body>\n</html>\n",
    ]
    return "\n".join(parts), warnings


def _points(pairs) -> str:
    return json.dumps([[str(k), v] for k, v in pairs], ensure_ascii=False)


def _figure(chart: str, svg: str, css: str = "", points: str | None = None) -> str:
    data = f' data-points="{escape(points)}"' if points is not None else ""
    return f'<figure class="chart {css}" data-chart="{chart}"{data}>\n{svg}\n</figure>'


def _targets_html(doc: HtmlReport) -> str:
    items = []
    for j in doc.targets:
        word = {"met": "target_met", "missed": "target_missed", "n/a": "target_na"}[j.status]
        status_class = {"met": "met", "missed": "missed", "n/a": "na"}[j.status]
        detail = ""
        if j.target.rule == figures.UP_ON_YEAR_BEFORE:
            earlier = doc.year_before
            if earlier is None or j.before is None:
                text = label("satisfaction_no_before", period=_period(earlier) if earlier else "-")
            else:
                text = label(
                    "satisfaction_detail",
                    value=_cell(j.value),
                    before=_cell(j.before),
                    period=_period(earlier),
                )
            detail = f'<span class="detail">{escape(text)}</span>'
        what = _(j.target.text).format(target=j.goal)
        items.append(
            f'<li class="target {status_class}" data-target="{j.target.key}" '
            f'data-status="{j.status}">'
            f'<span class="mark">{escape(label(word))}</span> '
            f'<span class="what">{escape(what)}: '
            f"<strong>{escape(_cell(j.value, j.figure.unit))}</strong></span>{detail}</li>"
        )
    return (
        f"<section><h2>{escape(label('targets'))}</h2>"
        f'<ul class="targets">{"".join(items)}</ul></section>'
    )


def _headline_html(rows: dict[str, dict], report: Report) -> str:
    cards = []
    for f in figures.HEADLINE:
        r = rows[f.key]
        cards.append(
            f'<div class="card" {_data(r)}><div class="label">{escape(_figure_name(f.key))}'
            f'</div><div class="value">{escape(_cell(r["value"], r["unit"]))}</div>'
            f'<div class="change">{escape(_change(r["change"], r["unit"]))} '
            f"{escape(label('against_previous', period=_period(report.previous)))}</div></div>"
        )
    return (
        f"<section><h2>{escape(label('headline'))}</h2>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _overdue_html(reg: Register, doc: HtmlReport) -> str:
    from complaintctl.digest import late_words

    head = f'<section class="overdue"><h2>{escape(label("overdue"))}</h2>'
    if not doc.overdue:
        return f'{head}<p data-overdue-count="0">{escape(label("overdue_none"))}</p></section>'
    intro = label(
        "overdue_intro",
        count=doc.overdue_count,
        at=doc.at.strftime("%Y-%m-%d %H:%M"),
        shown=len(doc.overdue),
    )
    cols = ("case", "waiting_for", "due", "late", "owner", "severity", "category")
    colgroup = "".join(f'<col class="{c}">' for c in (*cols, "summary"))
    header = "".join(f"<th>{escape(label('col_' + c))}</th>" for c in (*cols, "summary"))
    body = []
    for item in doc.overdue:
        owner = item["owner"] or "-"
        if item["department"]:
            owner = f"{owner} ({item['department']})"
        cells = (
            item["number"],
            code_label("step", item["clock"]),
            item["due_at"].strftime("%Y-%m-%d %H:%M") if item["due_at"] else "-",
            late_words(item["lateness"]),
            owner,
            item["severity"] or "-",
            item["category"] or "-",
        )
        body.append(
            f'<tr data-case="{escape(item["number"])}">'
            + "".join(f"<td>{escape(str(c))}</td>" for c in cells)
            + f'<td class="text">{escape(_clip(item["summary"] or ""))}</td></tr>'
        )
    return (
        f'{head}<p data-overdue-count="{doc.overdue_count}">{escape(intro)}</p>'
        f'<table class="overdue-table"><colgroup>{colgroup}</colgroup>'
        f"<thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )


SUMMARY_CHARS = 160


def _clip(text: str, limit: int = SUMMARY_CHARS) -> str:
    """A summary short enough for a table cell (the case itself holds the whole text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _all_figures_html(rows: dict[str, dict]) -> str:
    header = "".join(
        f"<th>{escape(label(k))}</th>"
        for k in ("col_figure", "col_this_period", "col_previous", "col_change")
    )
    body = []
    for f in figures.FIGURES:
        r = rows[f.key]
        body.append(
            f'<tr {_data(r)}><th scope="row">{escape(_figure_name(f.key))}</th>'
            f'<td class="num">{escape(_cell(r["value"], r["unit"]))}</td>'
            f'<td class="num">{escape(_cell(r["previous"], r["unit"]))}</td>'
            f'<td class="num">{escape(_change(r["change"], r["unit"]))}</td></tr>'
        )
    return (
        f'<section class="figures"><h2>{escape(label("figures"))}</h2>'
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></section>"
    )


def _breakdowns_html(reg: Register, doc: HtmlReport) -> str:
    columns = figures.BREAKDOWN_COLUMNS
    parts = [f'<section class="breakdowns"><h2>{escape(label("breakdowns"))}</h2>']
    for by, report in doc.breakdowns.items():
        groups = sorted({r["group"] for r in report.rows if r["group"] != ALL})
        index = {(r["group"], r["figure"]): r for r in report.rows}
        header = f"<th>{escape(label('col_group'))}</th>" + "".join(
            f'<th class="num" title="{escape(_figure_name(f.key))}">{escape(_(f.short))}</th>'
            for f in columns
        )
        body = []
        for g in groups:
            cells = "".join(
                f'<td class="num" {_data(index[(g, f.key)], with_change=False)}>'
                f"{escape(_cell(index[(g, f.key)]['value'], f.unit))}</td>"
                for f in columns
            )
            body.append(f'<tr><th scope="row">{escape(_group_name(reg, by, g))}</th>{cells}</tr>')
        if not body:
            body.append(f'<tr><td colspan="{len(columns) + 1}">-</td></tr>')
        heading = _(figures.BREAKDOWN_BY_KEY[by].heading)
        parts.append(
            f'<h3>{escape(heading)}</h3><table class="breakdown" data-by="{by}">'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def write_report(reg: Register, report: Report, target: Path, now: dt.datetime) -> list[str]:
    """Build, render and write the document to `target` (written beside it and renamed
    into place: never half a file). Returns warnings for the user."""
    check_target(target)
    text, warnings = render(reg, build(reg, report, now))
    # Beside the target, renamed into place, owner only (the overdue list names owners
    # and quotes complaints): complaintctl.outputs.
    outputs.write_file(target, lambda out: out.write(text), "--html", newline="\n")
    return warnings


def check_target(target: Path) -> None:
    """Refuse a target that cannot be written, before any work is done."""
    outputs.check(target, "--html")


# Nothing may be fetched: a browser reports any attempt as a console error (the tests
# look for one), and a forwarded copy shows exactly what was written.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
:root { --ink: #1a202c; --muted: #4a5568; --line: #cbd5e0; --met: #276749; --missed: #c53030;
  --na: #718096; --paper: #fff; }
* { box-sizing: border-box; }
html { background: #edf2f7; }
body { font: 14px/1.45 "DejaVu Sans", "Noto Sans", "Helvetica Neue", Arial,
  "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: var(--ink); background: var(--paper); max-width: 210mm; margin: 0 auto;
  padding: 12mm 12mm 8mm; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 2px solid var(--line);
  padding-bottom: 2px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
p.period { color: var(--muted); margin: 0; }
ul.targets { list-style: none; padding: 0; margin: 0; display: grid; gap: 6px; }
li.target { border-left: 6px solid var(--na); padding: 4px 8px; background: #f7fafc; }
li.target.met { border-color: var(--met); }
li.target.missed { border-color: var(--missed); }
li.target .mark { display: inline-block; min-width: 4.5em; font-weight: bold;
  text-transform: uppercase; font-size: 12px; }
li.target.met .mark { color: var(--met); }
li.target.missed .mark { color: var(--missed); }
li.target.na .mark { color: var(--na); }
li.target .detail { display: block; color: var(--muted); font-size: 12px; margin-left: 4.9em; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; break-inside: avoid; }
.card .label { font-size: 12px; color: var(--muted); }
.card .value { font-size: 22px; font-weight: bold; }
.card .change { font-size: 11px; color: var(--muted); }
figure.chart { margin: 6px 0; break-inside: avoid; page-break-inside: avoid; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 6px 12px; }
table { border-collapse: collapse; width: 100%; table-layout: auto; font-size: 12px;
  margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 5px; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
/* Fixed layouts: a long value wraps inside its column instead of widening the table
   past the page (printing would cut it off). */
table.overdue-table, table.breakdown { table-layout: fixed; }
table.breakdown th:first-child { width: 22%; }
table.overdue-table col.case { width: 16%; } table.overdue-table col.waiting_for { width: 11%; }
table.overdue-table col.due { width: 11%; } table.overdue-table col.late { width: 11%; }
table.overdue-table col.owner { width: 14%; } table.overdue-table col.severity { width: 7%; }
table.overdue-table col.category { width: 10%; } table.overdue-table col.summary { width: 20%; }
thead th { background: #edf2f7; font-size: 11px; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.breakdown th.num { white-space: normal; padding: 3px 3px; }
table.breakdown td.num { white-space: normal; overflow-wrap: anywhere; }
td.text { overflow-wrap: anywhere; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
footer { margin-top: 16px; color: var(--muted); font-size: 11px; }
@media (max-width: 640px) {
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .grid { grid-template-columns: 1fr; }
}
@page { size: A4; margin: 12mm; }
@media print {
  html { background: none; }
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  section.overdue, section.figures, section.breakdowns { break-before: auto; }
  table { font-size: 10px; }
  .card .value { font-size: 18px; }
  a { color: inherit; text-decoration: none; }
}
"""
