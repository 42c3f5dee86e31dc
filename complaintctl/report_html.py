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
import json
import os
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from complaintctl.errors import ComplaintError, InvalidValue
from complaintctl.i18n import N_, _
from complaintctl.register import Register
from complaintctl.report import (
    ALL,
    FIGURES,
    NONE,
    Period,
    Report,
    monthly_report,
    received_chart,
)

INSTALL_HINT = "report --html needs matplotlib: pip install 'complaintctl[charts]'"
OVERDUE_LIMIT = 10
TREND_MONTHS = 12
# The breakdown tables, in this order; charts are drawn for the first two.
BREAKDOWN_TABLES = ("category", "channel", "severity", "department", "kind", "owner")
# The columns of every breakdown table (a group per row keeps each table A4-wide).
BREAKDOWN_FIGURES = (
    "received",
    "closed",
    "open_at_end",
    "resolved",
    "resolution_rate",
    "mean_days_to_resolve",
    "mean_score",
    "satisfied_share",
)
HEADLINE_FIGURES = (
    "received",
    "closed",
    "open_at_end",
    "resolution_rate",
    "mean_days_to_resolve",
    "ontime_resolve",
    "mean_score",
    "satisfied_share",
)
ON_TIME_FIGURES = (
    "ontime_acknowledge",
    "ontime_investigate",
    "ontime_resolve",
    "ontime_escalate",
    "ontime_plan",
)

# Every word the document shows, in one place (marked for the catalog; label() translates). (The
# figures' own labels come with the report's rows, from report.FIGURES.)
LABELS: dict[str, str] = {
    "title": N_("Complaint handling report"),
    "title_zh": "投诉处理月报",
    "period": N_("Period"),
    "previous": N_("previous period"),
    "generated": N_("Made"),
    "timezone": N_("times in"),
    "targets": N_("Targets"),
    "target_met": N_("met"),
    "target_missed": N_("missed"),
    "target_na": N_("not judged: no data"),
    "target_resolution_rate": N_("Resolution rate at least {target:g} %"),
    "target_mean_days": N_("Mean working days to resolution at most {target:g}"),
    "target_satisfaction": N_("Mean satisfaction up {target:g} % on the same period a year before"),
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
    "step_acknowledge": N_("acknowledge"),
    "step_investigate": N_("investigate"),
    "step_resolve": N_("resolve"),
    "step_escalate": N_("escalate (A)"),
    "step_plan": N_("plan (A)"),
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
    "by_category": N_("By category"),
    "by_channel": N_("By channel"),
    "by_severity": N_("By severity"),
    "by_department": N_("By department"),
    "by_kind": N_("By kind"),
    "by_owner": N_("By owner"),
    "col_group": N_("Group"),
    # Short headings of the breakdown tables' columns (the full names are in All figures).
    "short_received": N_("Received"),
    "short_closed": N_("Closed"),
    "short_open_at_end": N_("Open at end"),
    "short_resolved": N_("Resolved"),
    "short_resolution_rate": N_("Resolution rate"),
    "short_mean_days_to_resolve": N_("Mean days"),
    "short_mean_score": N_("Mean score"),
    "short_satisfied_share": N_("Satisfied"),
    "none_group": N_("(none)"),
    "definitions": N_("Definitions of every figure: README, section report."),
}


def label(key: str, **values: object) -> str:
    """A word or sentence of the document (`values` fill its {placeholders})."""
    text = _(LABELS[key]) if key != "title_zh" else LABELS[key]
    return text.format(**values) if values else text


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
class Target:
    key: str
    text: str  # what the target is
    status: str  # met | missed | n/a
    value: float | None  # the figure judged (for satisfaction: this period's mean score)
    detail: str = ""
    unit: str = ""  # the figure's unit, as in report.FIGURES


@dataclass
class HtmlReport:
    """Everything the document shows; `report` is the object `--format json` prints."""

    report: Report
    breakdowns: dict[str, Report]
    trend: list[dict]  # {month, received, resolved, mean_score}
    scores: dict[int, int]  # satisfaction score -> cases scored so in the period
    targets: list[Target]
    overdue: list[dict]  # the most overdue open cases, most overdue first
    overdue_count: int
    at: dt.datetime  # office-local: when the overdue list was taken
    chart_unit: str  # the received chart's buckets: day (month), week (quarter, year)
    chart: list[tuple[str, int]]  # (bucket label, received)
    non_working: set[dt.date] = field(default_factory=set)


def _by_key(report: Report, group: str = ALL) -> dict[str, dict]:
    return {r["figure"]: r for r in report.rows if r["group"] == group}


def _month(day: dt.date) -> Period:
    from dateutil.relativedelta import relativedelta

    first = day.replace(day=1)
    return Period("month", first, first + relativedelta(months=1))


def year_before(period: Period) -> Period:
    """The same period one year earlier (29 February becomes the 28th)."""
    from dateutil.relativedelta import relativedelta

    year = relativedelta(years=1)
    return Period(period.kind, period.start - year, period.end - year)


def trend(reg: Register, period: Period, months: int = TREND_MONTHS) -> list[dict]:
    """Received, resolved and mean satisfaction score of each of the `months` months up to
    the one the period ends in, each exactly as `report --month` gives it. A month's report
    also carries the month before it, so every other month is computed."""
    last = _month(period.end - dt.timedelta(days=1))
    periods = [last]
    while len(periods) < months:
        try:
            periods.insert(0, periods[0].previous())
        except (ValueError, OverflowError):  # before year 1
            break
    out: dict[str, dict] = {}
    # Every other month, ending with the last one: each also covers the month before it.
    for p in periods[(len(periods) + 1) % 2 :: 2]:
        report = _report_or_none(reg, p)
        if report is None:
            continue
        rows = _by_key(report)
        for which, month in (("value", p), ("previous", report.previous)):
            out[month.label] = {
                "month": month.label,
                **{k: rows[k][which] for k in ("received", "resolved", "mean_score")},
            }
    return [out[p.label] for p in periods if p.label in out]


def _report_or_none(reg: Register, period: Period) -> Report | None:
    """`monthly_report`, or None for a period at the very start of the calendar (its
    first local day, or the one before it, is not a date in UTC)."""
    try:
        return monthly_report(reg, period)
    except (ValueError, OverflowError):
        return None


def score_counts(reg: Register, period: Period) -> dict[int, int]:
    """How many customers gave each score 1..5 in the period: the same cases as the
    report's `feedback` figure (scored in the period), split by score."""
    import sqlalchemy as sa

    from complaintctl.db import unit_of_work
    from complaintctl.models import Case
    from complaintctl.parse import day_start

    t = Case.__table__.c
    tz = reg.settings.tz
    s, e = day_start(period.start, tz), day_start(period.end, tz)
    with unit_of_work(reg.engine, write=False) as session:
        rows = dict(
            session.execute(
                sa.select(t.feedback_score, sa.func.count())
                .where(t.feedback_at >= s, t.feedback_at < e, t.feedback_score.is_not(None))
                .group_by(t.feedback_score)
            ).all()
        )
    return {score: rows.get(score, 0) for score in range(1, 6)}


def judge_targets(reg: Register, report: Report) -> list[Target]:
    """Each target of the config against this period's figures: met, missed or n/a."""
    goals = reg.settings.targets
    now = _by_key(report)
    out = []
    rate = now["resolution_rate"]["value"]
    out.append(
        Target(
            "resolution_rate",
            label("target_resolution_rate", target=goals.resolution_rate),
            _status(rate, rate is not None and rate >= goals.resolution_rate),
            rate,
            unit="%",
        )
    )
    days = now["mean_days_to_resolve"]["value"]
    out.append(
        Target(
            "mean_days_to_resolve",
            label("target_mean_days", target=goals.mean_days_to_resolve),
            _status(days, days is not None and days <= goals.mean_days_to_resolve),
            days,
        )
    )
    score = now["mean_score"]["value"]
    try:
        earlier = year_before(report.period)
    except (ValueError, OverflowError):  # the year before is off the calendar
        earlier = None
    if earlier is None:
        before = None
    elif earlier == report.previous:  # a year: its previous period is the year before
        before = now["mean_score"]["previous"]
    else:
        year_ago = _report_or_none(reg, earlier)
        before = _by_key(year_ago)["mean_score"]["value"] if year_ago else None
    judged = score is not None and before is not None
    met = judged and score >= before * (1 + goals.satisfaction_increase / 100)
    if earlier is None or before is None:
        detail = label("satisfaction_no_before", period=earlier.label if earlier else "-")
    else:
        detail = label(
            "satisfaction_detail",
            value=_cell(score),
            before=_cell(before),
            period=earlier.label,
        )
    out.append(
        Target(
            "satisfaction_increase",
            label("target_satisfaction", target=goals.satisfaction_increase),
            _status(score if judged else None, met),
            score,
            detail,
        )
    )
    return out


def _status(value: float | None, met: bool) -> str:
    if value is None:
        return "n/a"
    return "met" if met else "missed"


def build(
    reg: Register, report: Report, now: dt.datetime, overdue_limit: int = OVERDUE_LIMIT
) -> HtmlReport:
    """Everything the document shows, for `report` (as `monthly_report` made it), with
    the overdue list taken at `now` (naive UTC)."""
    from complaintctl.clock import to_local
    from complaintctl.digest import most_overdue

    breakdowns = {
        by: report if by == report.by else monthly_report(reg, report.period, by)
        for by in BREAKDOWN_TABLES
    }
    # Only what the page shows: the few most overdue and their count (not warn's digest).
    overdue, overdue_count = most_overdue(reg, now, overdue_limit)
    period = report.period
    # A month per day and a quarter per week, as the report's own chart; a year per week
    # too (the report counts a year per month).
    chart_unit, chart = report.chart_unit, report.chart
    if period.kind == "year":
        chart_unit, chart = "week", received_chart(reg, period, "week")
    non_working = set()
    if chart_unit == "day":
        day = period.start
        while day < period.end:
            if not reg.calendar.is_working_day(day):
                non_working.add(day)
            day += dt.timedelta(days=1)
    return HtmlReport(
        report=report,
        breakdowns=breakdowns,
        trend=trend(reg, period),
        scores=score_counts(reg, period),
        targets=judge_targets(reg, report),
        overdue=overdue,
        overdue_count=overdue_count,
        at=to_local(now, reg.settings.tz),
        chart_unit=chart_unit,
        chart=chart,
        non_working=non_working,
    )


# -- the document -----------------------------------------------------------------------------
def _cell(value: float | int | None, unit: str = "") -> str:
    from complaintctl.render_report import cell

    return cell(value, unit) if value is not None else label("na")


def _change(value: float | int | None, unit: str) -> str:
    from complaintctl.render_report import change_cell

    return change_cell(value, unit) if value is not None else label("na")


def _data(row: dict, *, with_change: bool = True) -> str:
    """The data-* attributes that carry a figure as JSON numbers (null for n/a), so a
    program (the tests) reads exactly the numbers shown."""
    attrs = {"figure": row["figure"], "group": row["group"], "value": json.dumps(row["value"])}
    if with_change:
        attrs["previous"] = json.dumps(row["previous"])
        attrs["change"] = json.dumps(row["change"])
    return " ".join(f'data-{k}="{escape(str(v))}"' for k, v in attrs.items())


def _group_name(reg: Register, by: str, group: str) -> str:
    """A group as people read it: a category or department code with its name."""
    if group == NONE:
        return label("none_group")
    codes = {"category": reg.settings.categories, "department": reg.settings.departments}
    for code in codes.get(by, ()):
        if code.code.lower() == group.lower():
            return f"{code.code} {code.name}"
    return group


def _charts(reg: Register, doc: HtmlReport) -> tuple[dict[str, str], list[str]]:
    """Every chart as inline SVG, keyed by chart id; and the warnings (a missing font)."""
    from complaintctl import report_html_charts as ch

    report = doc.report
    rows = _by_key(report)
    categories = _received_by(reg, doc.breakdowns["category"], "category")
    channels = _received_by(reg, doc.breakdowns["channel"], "channel")
    # Group names are the office's own (Chinese ones are common); LABELS will be
    # Chinese once translated.
    texts = [g for g, _ in categories + channels]
    texts += [text for key, text in LABELS.items() if key != "title_zh"]  # not in a chart
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
            [label(f"step_{k.removeprefix('ontime_')}") for k in ON_TIME_FIGURES],
            [rows[k]["value"] for k in ON_TIME_FIGURES],
            xlabel="%",
            xmax=115,
            suffix="%",
            none_text=label("na"),
        ),
        "scores": charts.bars(
            "chart-scores",
            label("chart_scores"),
            [str(s) for s in doc.scores],
            list(doc.scores.values()),
            ylabel=label("cases"),
            colors=[
                ch.COLORS["tertiary"] if s >= reg.settings.satisfied_min_score else ch.COLORS["bad"]
                for s in doc.scores
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
    rows = _by_key(report)
    tz = reg.settings.timezone
    parts = [
        _HEAD.format(
            title=escape(f"{label('title')} {label('title_zh')} {report.period.label}"),
            css=_CSS,
            csp=CSP,
        ),
        "<header>",
        f'<h1>{escape(label("title"))} <span lang="zh">{escape(label("title_zh"))}</span></h1>',
        f'<p class="period"><strong data-period="{escape(report.period.label)}">'
        f"{escape(report.period.label)}</strong> "
        f"({escape(report.period.start.isoformat())} – "
        f"{escape((report.period.end - dt.timedelta(days=1)).isoformat())}), "
        f"{escape(label('previous'))}: {escape(report.previous.label)}. "
        f"{escape(label('generated'))} {escape(doc.at.strftime('%Y-%m-%d %H:%M'))}, "
        f"{escape(label('timezone'))} {escape(tz)}.</p>",
        "</header>",
        _targets_html(doc.targets),
        _headline_html(rows, report),
        f"<section><h2>{escape(label('charts'))}</h2>",
        _figure("received", charts["received"], "wide", _points(doc.chart)),
        '<div class="grid">',
        _figure("category", charts["category"]),
        _figure("channel", charts["channel"]),
        _figure("ontime", charts["ontime"]),
        _figure("scores", charts["scores"], points=_points(doc.scores.items())),
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
        _all_figures_html(report),
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


def _targets_html(targets: list[Target]) -> str:
    items = []
    for t in targets:
        word = {"met": "target_met", "missed": "target_missed", "n/a": "target_na"}[t.status]
        status_class = {"met": "met", "missed": "missed", "n/a": "na"}[t.status]
        detail = f'<span class="detail">{escape(t.detail)}</span>' if t.detail else ""
        items.append(
            f'<li class="target {status_class}" data-target="{t.key}" data-status="{t.status}">'
            f'<span class="mark">{escape(label(word))}</span> '
            f'<span class="what">{escape(t.text)}: '
            f"<strong>{escape(_cell(t.value, t.unit))}</strong></span>{detail}</li>"
        )
    return (
        f"<section><h2>{escape(label('targets'))}</h2>"
        f'<ul class="targets">{"".join(items)}</ul></section>'
    )


def _headline_html(rows: dict[str, dict], report: Report) -> str:
    cards = []
    for key in HEADLINE_FIGURES:
        r = rows[key]
        cards.append(
            f'<div class="card" {_data(r)}><div class="label">{escape(r["label"])}</div>'
            f'<div class="value">{escape(_cell(r["value"], r["unit"]))}</div>'
            f'<div class="change">{escape(_change(r["change"], r["unit"]))} '
            f"{escape(label('against_previous', period=report.previous.label))}</div></div>"
        )
    return (
        f"<section><h2>{escape(label('headline'))}</h2>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _overdue_html(reg: Register, doc: HtmlReport) -> str:
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
            item["clock"],
            item["due_at"].strftime("%Y-%m-%d %H:%M") if item["due_at"] else "-",
            item["late"],
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


def _all_figures_html(report: Report) -> str:
    header = "".join(
        f"<th>{escape(label(k))}</th>"
        for k in ("col_figure", "col_this_period", "col_previous", "col_change")
    )
    body = []
    for key, _label, _unit in FIGURES:
        r = _by_key(report)[key]
        body.append(
            f'<tr {_data(r)}><th scope="row">{escape(r["label"])}</th>'
            f'<td class="num">{escape(_cell(r["value"], r["unit"]))}</td>'
            f'<td class="num">{escape(_cell(r["previous"], r["unit"]))}</td>'
            f'<td class="num">{escape(_change(r["change"], r["unit"]))}</td></tr>'
        )
    return (
        f'<section class="figures"><h2>{escape(label("figures"))}</h2>'
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></section>"
    )


def _breakdowns_html(reg: Register, doc: HtmlReport) -> str:
    labels = {key: (text, unit) for key, text, unit in FIGURES}
    parts = [f'<section class="breakdowns"><h2>{escape(label("breakdowns"))}</h2>']
    for by, report in doc.breakdowns.items():
        groups = sorted({r["group"] for r in report.rows if r["group"] != ALL})
        index = {(r["group"], r["figure"]): r for r in report.rows}
        header = f"<th>{escape(label('col_group'))}</th>" + "".join(
            f'<th class="num" title="{escape(labels[k][0])}">{escape(label("short_" + k))}</th>'
            for k in BREAKDOWN_FIGURES
        )
        body = []
        for g in groups:
            cells = "".join(
                f'<td class="num" {_data(index[(g, k)], with_change=False)}>'
                f"{escape(_cell(index[(g, k)]['value'], labels[k][1]))}</td>"
                for k in BREAKDOWN_FIGURES
            )
            body.append(f'<tr><th scope="row">{escape(_group_name(reg, by, g))}</th>{cells}</tr>')
        if not body:
            body.append(f'<tr><td colspan="{len(BREAKDOWN_FIGURES) + 1}">-</td></tr>')
        parts.append(
            f'<h3>{escape(label("by_" + by))}</h3><table class="breakdown" data-by="{by}">'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def write_report(reg: Register, report: Report, target: Path, now: dt.datetime) -> list[str]:
    """Build, render and write the document to `target` (written beside it and renamed
    into place: never half a file). Returns warnings for the user."""
    check_target(target)
    text, warnings = render(reg, build(reg, report, now))
    try:
        # A short prefix: the temporary name must fit wherever the target's name fits.
        fd, tmp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:60]}.", suffix=".part"
        )
    except OSError as exc:
        raise InvalidValue("--html", f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        # mkstemp makes the file 0600 (the overdue list names owners and quotes complaints);
        # a file it replaces keeps its own mode.
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidValue("--html", f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return warnings


def check_target(target: Path) -> None:
    """Refuse a target that cannot be written, before any work is done."""
    parent = target.parent
    try:
        if not parent.is_dir():
            raise InvalidValue("--html", f"{parent} is not a directory")
        if target.is_dir():
            raise InvalidValue("--html", f"{target} is a directory; give a file name")
    except OSError as exc:  # a name too long, a component that is a file, ...
        raise InvalidValue("--html", f"cannot write {target}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidValue("--html", f"cannot write in {parent}: permission denied")


# Nothing may be fetched: a browser reports any attempt as a console error (the tests
# look for one), and a forwarded copy shows exactly what was written.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="complaintctl">
<title>{title}</title>
<style>{css}</style>
</head>
<body>"""

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
