"""The `warn` digest as plain text (cron, the mail's text part), HTML (the mail), Rich
tables (a terminal), and flat rows for CSV.  Formatting only."""

from __future__ import annotations

import html
from dataclasses import asdict

from rich.console import Group
from rich.table import Table
from rich.text import Text

from complaintctl.digest import Digest
from complaintctl.render import fmt

DIGEST_FIELDS = (
    "section",
    "group",
    "number",
    "step",
    "owner",
    "department",
    "severity",
    "category",
    "customer_name",
    "summary",
    "due_at",
    "late",
    "hours_late",
    "detail",
)
_SECTIONS = (
    ("severity_a", "Severity A: escalation or plan missing"),
    ("ready_to_close", "Feedback window ended: ready to close"),
    ("repeat_complainants", "Repeat complainants"),
    ("category_spikes", "Category spikes this week"),
)


def headline(d: Digest) -> str:
    return (
        f"{len(d.overdue)} overdue, {len(d.due_soon)} due within {d.within} "
        f"(before {fmt(d.horizon)})"
    )


def subject(d: Digest) -> str:
    return f"complaintctl: {headline(d)} - {d.at:%Y-%m-%d}"


def _detail(section: str, item: dict) -> str:
    if section == "severity_a":
        return item["problem"]
    if section == "ready_to_close":
        return f"window ended {fmt(item['window_ended'])}"
    if section == "repeat_complainants":
        return f"{item['customer_name']} <{item['contact']}>, earlier: " + ", ".join(
            item["earlier"]
        )
    if section == "category_spikes":
        return (
            f"{item['this_week']} this week ({item['week']}), trailing "
            f"{item['weeks']}-week mean {item['trailing_mean']}"
        )
    return ""


def _line(item: dict) -> str:
    sev = f"[{item['severity']}] " if item.get("severity") else ""
    return (
        f"  {item['number']}  {item['step']:<11}  {item['late']:<22}  due "
        f"{fmt(item['due_at'])}  {sev}{item['summary']} ({item['customer_name']})"
    )


def _headings(d: Digest) -> tuple[str, ...]:
    """The columns of the overdue / due-soon tables (HTML and terminal alike)."""
    return (d.by.capitalize(), "Case", "Step", "Late", "Due", "Sev.", "Summary", "Customer")


def _cells(item: dict) -> tuple[str, ...]:
    """One case's cells under `_headings`."""
    return (
        item["group"],
        item["number"],
        item["step"],
        item["late"],
        fmt(item["due_at"]),
        fmt(item.get("severity")),
        item["summary"],
        item["customer_name"],
    )


def digest_text(d: Digest) -> str:
    """The digest as plain text: no colour, no box drawing (cron mails it as it is)."""
    out = [f"complaintctl warn — {d.at:%a %Y-%m-%d %H:%M} ({d.at.tzname()})", headline(d)]
    for title, rows in (("OVERDUE", d.overdue), (f"DUE WITHIN {d.within}", d.due_soon)):
        if not rows:
            continue
        out += ["", f"{title} (by {d.by})"]
        group = None
        for item in rows:
            if item["group"] != group:
                group = item["group"]
                out.append(group)
            out.append(_line(item))
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            out += ["", title.upper()]
            for item in items:
                label = item.get("number") or item.get("category")
                out.append(f"  {label}  {_detail(key, item)}")
    if not (d.overdue or d.due_soon or any(getattr(d, k) for k, _ in _SECTIONS)):
        out += ["", "Nothing overdue, nothing due soon, no warnings."]
    return "\n".join(out) + "\n"


def digest_html(d: Digest) -> str:
    """The digest as a small HTML document (the mail's HTML part)."""
    e = html.escape
    parts = [
        f"<h2>{e(headline(d))}</h2>",
        f"<p>As of {e(fmt(d.at))} ({e(str(d.at.tzname()))}).</p>",
    ]
    for title, rows in (("Overdue", d.overdue), (f"Due within {d.within}", d.due_soon)):
        if not rows:
            continue
        parts.append(
            f"<h3>{e(title)}</h3><table border='1' cellpadding='4' "
            "style='border-collapse:collapse'><tr><th>"
            + "</th><th>".join(e(h) for h in _headings(d))
            + "</th></tr>"
        )
        for item in rows:
            cells = _cells(item)
            parts.append("<tr><td>" + "</td><td>".join(e(c) for c in cells) + "</td></tr>")
        parts.append("</table>")
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            parts.append(f"<h3>{e(title)}</h3><ul>")
            for item in items:
                label = item.get("number") or item.get("category")
                parts.append(f"<li><b>{e(str(label))}</b> {e(_detail(key, item))}</li>")
            parts.append("</ul>")
    return "<html><body>" + "\n".join(parts) + "</body></html>\n"


def digest_rows(d: Digest) -> list[dict]:
    """One flat row per item of every section (CSV)."""
    rows = []
    for section in ("overdue", "due_soon", *(k for k, _ in _SECTIONS)):
        for item in getattr(d, section):
            row = {f: item.get(f) for f in DIGEST_FIELDS}
            row["section"] = section
            if section not in ("overdue", "due_soon"):
                row["detail"] = _detail(section, item)
            rows.append(row)
    return rows


def digest_json(d: Digest) -> dict:
    data = asdict(d)
    data["headline"] = headline(d)
    return data


def digest_rich(d: Digest) -> Group:
    """The digest for a person at a terminal."""
    parts: list = [Text(headline(d), style="bold red" if d.overdue else "bold")]
    for title, rows, style in (
        ("Overdue", d.overdue, "red"),
        (f"Due within {d.within}", d.due_soon, "yellow"),
    ):
        if not rows:
            continue
        table = Table(
            title=title, title_justify="left", title_style=f"bold {style}", header_style="bold"
        )
        for col in _headings(d):
            table.add_column(col, overflow="fold")
        for item in rows:
            cells: list = list(_cells(item))
            cells[3] = Text(cells[3], style=style)
            table.add_row(*cells)
        parts.append(table)
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            table = Table(title=title, title_justify="left", header_style="bold", show_header=False)
            table.add_column()
            table.add_column(overflow="fold")
            for item in items:
                table.add_row(str(item.get("number") or item.get("category")), _detail(key, item))
            parts.append(table)
    if len(parts) == 1:
        parts.append(Text("Nothing overdue, nothing due soon, no warnings.", style="green"))
    return Group(*parts)
