"""The monthly report on screen (Rich tables and a bar chart), and its rows for CSV/JSON.
The screen, CSV and JSON print the same rounded numbers from the same rows.

The screen speaks the language of the run; the CSV and JSON keep their field names and
values English (they are an interface)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from complaintctl.escapes import visible
from complaintctl.figures import BREAKDOWN_BY_KEY, BY_KEY, FIGURES, Figure
from complaintctl.i18n import N_, _, current, label
from complaintctl.report import ALL, NONE, Period, Report

if TYPE_CHECKING:  # Rich is loaded only when the report is drawn as a table
    from rich.console import Group
    from rich.text import Text

_ONE_DAY = dt.timedelta(days=1)
REPORT_FIELDS = ("period", "group", "figure", "label", "unit", "value", "previous", "change")
NA = N_("n/a")  # English in the CSV; translated on screen


def cell(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return NA
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text + ("%" if unit == "%" else "")


def change_cell(value: float | int | None, unit: str) -> str:
    if value is None:
        return NA
    sign = "+" if value > 0 else ""
    suffix = " pp" if unit == "%" else ""
    return f"{sign}{value:g}{suffix}"


def _number(value: float | int | None) -> float | int | str:
    """A figure for CSV as the screen writes it: 3 not 3.0, n/a for none; still a number
    (so a negative change is not mistaken for a formula)."""
    if value is None:
        return NA
    return int(value) if isinstance(value, float) and value.is_integer() else value


def csv_rows(report: Report) -> list[dict]:
    """The figure rows, numbers written as on screen (n/a where a figure has no
    denominator; no unit sign), then the chart's counts as rows of figure
    `received_per_<unit>`."""
    rows = [
        {**r, **{k: _number(r[k]) for k in ("value", "previous", "change")}} for r in report.rows
    ]
    for bucket, n in report.chart:
        rows.append(
            {
                "period": report.period.label,
                "group": bucket,
                "figure": f"received_per_{report.chart_unit}",
                "label": f"Received per {report.chart_unit}",
                "unit": "cases",
                "value": n,
                "previous": "",
                "change": "",
            }
        )
    return rows


def json_data(report: Report) -> dict:
    """The same numbers as JSON (null where the screen says n/a)."""
    return {
        "period": {
            "label": report.period.label,
            "start": report.period.start,
            "end": report.period.end - _ONE_DAY,
        },
        "previous": {
            "label": report.previous.label,
            "start": report.previous.start,
            "end": report.previous.end - _ONE_DAY,
        },
        "by": report.by,
        "figures": report.rows,
        "chart": {
            "unit": report.chart_unit,
            "received": [{"label": bucket, "count": n} for bucket, n in report.chart],
        },
    }


# The name of the report as people read it (its English title has always been this).
_TITLE = "Complaint handling report 投诉处理月报"
_PER_UNIT = {
    "day": N_("Received per day"),
    "week": N_("Received per week"),
    "month": N_("Received per month"),
}


def _name(kind: str, code: str, english: str) -> str:
    """The catalog's name for a code (label(kind, code)), else `english`: English text
    that is not the code itself, such as a figure's label."""
    name = label(kind, code)
    return english if name == code else name


def figure_name(figure: Figure) -> str:
    """A figure's name as people read it: the catalog's name, else its English label."""
    name = _(figure.name)
    return figure.label if name == figure.name else name


def breakdown_name(by: str) -> str:
    """What --by breaks the figures down by, as people read it."""
    dimension = BREAKDOWN_BY_KEY[by]
    name = _(dimension.name)
    return by if name == dimension.name else name


def period_name(period: Period) -> str:
    """The period as people read it: its label in English (2025-10, 2025Q3, 2025,
    2025-09-29..2025-10-12); 2025年10月, 2025年第3季度 … in Chinese."""
    start, last = period.start, period.end - _ONE_DAY
    template = {
        "month": _("{year}-{month:02d}"),
        "quarter": _("{year}Q{quarter}"),
        "year": _("{year}"),
    }.get(period.kind) or _("{start}..{end}")
    return template.format(
        year=start.year,
        month=start.month,
        quarter=(start.month - 1) // 3 + 1,
        start=start.isoformat(),
        end=last.isoformat(),
    )


def group_name(report: Report, group: str) -> str:
    """A --by group as people read it: a code's name (a category or department by the
    settings' Chinese name in Chinese), an owner as named."""
    if group == NONE:
        return _(NONE)
    if report.by and BREAKDOWN_BY_KEY[report.by].coded:
        return visible(label(report.by, group), lines=False)
    if current() == "zh":
        return visible(report.group_names_zh.get(group, group), lines=False)
    return visible(group, lines=False)


def _cell(value: float | int | None, unit: str = "") -> str:
    return _(NA) if value is None else cell(value, unit)


def _change(value: float | int | None, unit: str) -> str:
    if value is None:
        return _(NA)
    if unit == "%":
        return _("{change} pp").format(change=change_cell(value, ""))
    return change_cell(value, unit)


def cell_text(value: float | int | None, unit: str = "") -> str:
    """A figure as people read it in this run's language (n/a: —, in Chinese)."""
    return _cell(value, unit)


def change_text(value: float | int | None, unit: str) -> str:
    """A change against the previous period as people read it (pp: 个百分点, in Chinese)."""
    return _change(value, unit)


def report_view(report: Report) -> Group:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title = _("{report} — {period} (previous: {previous})").format(
        report=_name("report", report.period.kind, _TITLE),
        period=period_name(report.period),
        previous=period_name(report.previous),
    )
    parts: list = [Text(title, style="bold")]
    totals = [r for r in report.rows if r["group"] == ALL]
    table = Table(header_style="bold")
    for col, justify in (
        (_("Figure"), "left"),
        (_("This period"), "right"),
        (_("Previous"), "right"),
        (_("Change"), "right"),
    ):
        table.add_column(col, justify=justify)
    for r in totals:
        table.add_row(
            figure_name(BY_KEY[r["figure"]]),
            _cell(r["value"], r["unit"]),
            _cell(r["previous"], r["unit"]),
            _change(r["change"], r["unit"]),
        )
    parts.append(table)

    if report.by:
        groups = sorted({r["group"] for r in report.rows if r["group"] != ALL})
        by_table = Table(
            title=_("By {by} (value, change against the previous period)").format(
                by=breakdown_name(report.by)
            ),
            title_justify="left",
            header_style="bold",
        )
        by_table.add_column(_("Figure"))
        for g in groups:
            by_table.add_column(group_name(report, g), justify="right")
        index = {(r["group"], r["figure"]): r for r in report.rows}
        for f in FIGURES:
            cells = []
            for g in groups:
                r = index[(g, f.key)]
                cells.append(
                    _("{value} ({change})").format(
                        value=_cell(r["value"], f.unit), change=_change(r["change"], f.unit)
                    )
                )
            by_table.add_row(figure_name(f), *cells)
        parts.append(by_table)

    parts.append(bar_chart(report))
    return Group(*parts)


def _chart_labels(report: Report) -> list[str]:
    """The chart's bucket labels as people read them: a day's weekday in this run's
    language (the labels of the data, in the JSON, say it in English)."""
    labels = [bucket for bucket, _n in report.chart]
    if report.chart_unit != "day":
        return labels
    # Daily buckets are the period's days in order, one each.
    days = [report.period.start + i * _ONE_DAY for i in range(len(labels))]
    return [f"{day:%m-%d} {label('weekday', f'{day:%a}')}" for day in days]


def bar_chart(report: Report, width: int = 40) -> Text:
    """Received cases per day/week/month as a bar chart in text."""
    from rich.cells import cell_len
    from rich.text import Text

    peak = max((n for _b, n in report.chart), default=0)
    title = _PER_UNIT.get(report.chart_unit)
    text = Text(f"\n{_(title) if title else report.chart_unit}\n", style="bold")
    labels = _chart_labels(report)
    label_width = max((cell_len(name) for name in labels), default=0)
    for name, (_bucket, n) in zip(labels, report.chart, strict=True):
        bar = "█" * (round(width * n / peak) if peak else 0)
        if n and not bar:
            bar = "▏"
        text.append(name + " " * (label_width - cell_len(name)) + " │ ")
        text.append(bar, style="cyan")
        text.append(f" {n}\n")
    return text
