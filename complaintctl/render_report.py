"""The monthly report on screen (Rich tables and a bar chart), and its rows for CSV/JSON.
The screen, CSV and JSON print the same rounded numbers from the same rows."""

from __future__ import annotations

import datetime as dt

from rich.console import Group
from rich.table import Table
from rich.text import Text

from complaintctl.report import ALL, FIGURES, Report

_ONE_DAY = dt.timedelta(days=1)
REPORT_FIELDS = ("period", "group", "figure", "label", "unit", "value", "previous", "change")
NA = "n/a"


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
    for label, n in report.chart:
        rows.append(
            {
                "period": report.period.label,
                "group": label,
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
            "received": [{"label": label, "count": n} for label, n in report.chart],
        },
    }


def report_view(report: Report) -> Group:
    title = (
        f"Complaint handling report 投诉处理月报 — {report.period.label} "
        f"(previous: {report.previous.label})"
    )
    parts: list = [Text(title, style="bold")]
    totals = [r for r in report.rows if r["group"] == ALL]
    table = Table(header_style="bold")
    for col, justify in (
        ("Figure", "left"),
        ("This period", "right"),
        ("Previous", "right"),
        ("Change", "right"),
    ):
        table.add_column(col, justify=justify)
    for r in totals:
        table.add_row(
            r["label"],
            cell(r["value"], r["unit"]),
            cell(r["previous"], r["unit"]),
            change_cell(r["change"], r["unit"]),
        )
    parts.append(table)

    if report.by:
        groups = sorted({r["group"] for r in report.rows if r["group"] != ALL})
        by_table = Table(
            title=f"By {report.by} (value, change against the previous period)",
            title_justify="left",
            header_style="bold",
        )
        by_table.add_column("Figure")
        for g in groups:
            by_table.add_column(g, justify="right")
        index = {(r["group"], r["figure"]): r for r in report.rows}
        for key, label, unit in FIGURES:
            cells = []
            for g in groups:
                r = index[(g, key)]
                cells.append(f"{cell(r['value'], unit)} ({change_cell(r['change'], unit)})")
            by_table.add_row(label, *cells)
        parts.append(by_table)

    parts.append(bar_chart(report))
    return Group(*parts)


def bar_chart(report: Report, width: int = 40) -> Text:
    """Received cases per day/week/month as a bar chart in text."""
    peak = max((n for _, n in report.chart), default=0)
    text = Text(f"\nReceived per {report.chart_unit}\n", style="bold")
    label_width = max((len(label) for label, _ in report.chart), default=0)
    for label, n in report.chart:
        bar = "█" * (round(width * n / peak) if peak else 0)
        if n and not bar:
            bar = "▏"
        text.append(f"{label:<{label_width}} │ ")
        text.append(bar, style="cyan")
        text.append(f" {n}\n")
    return text
