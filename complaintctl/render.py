"""Formatting rows for people (Rich) and for programs (JSON, CSV); no decisions here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # Rich is loaded only when a table is drawn: JSON and CSV need none of it
    from rich.console import Console, Group
    from rich.table import Table

from complaintctl.fields import FIELDS
from complaintctl.i18n import _, label

# C0 and C1 control characters other than newline and tab, as people can see them: a
# complaint's text must not move the cursor, recolour or retitle the operator's terminal.
_INVISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
for _keep in (ord("\n"), ord("\t")):
    del _INVISIBLE[_keep]


def visible(value: object) -> object:
    """`value` (a string, or a dict/list holding strings) with control characters escaped,
    for tables printed to a terminal; JSON and CSV output keep the text as stored."""
    if isinstance(value, str):
        return value.translate(_INVISIBLE)
    if isinstance(value, dict):
        return {k: visible(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible(v) for v in value]
    return value


def fmt(value: object) -> str:
    """One value as people read it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return _("yes") if value else ""
    return str(value)


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json_line(data: object) -> str:
    """One compact JSON object per line (JSON Lines), times ISO 8601."""
    return json.dumps(data, default=_json_default, ensure_ascii=False)


def to_json(data: object) -> str:
    """JSON with ISO 8601 times (carrying the office's UTC offset) and readable Chinese."""
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


# OWASP "CSV Injection": a spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value as written to CSV: times ISO 8601, None empty, and text that a spreadsheet
    would run as a formula prefixed with a single quote (nothing else is altered)."""
    if value.__class__ is str:  # most cells: checked first (export writes millions)
        return "'" + value if value.startswith(_FORMULA_START) else value
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(
    rows: Iterable[dict],
    fields: Sequence[str],
    out: IO[str],
    excel: bool = False,
    header: bool = True,
) -> None:
    """CSV with a header of the stable field names; `excel` starts it with a UTF-8 BOM so
    Excel reads Chinese text correctly."""
    if excel:
        out.write("\ufeff")
    # Rows end in "\n", but are formatted as if they ended in "\r\n": only then does the
    # csv module quote a cell holding a bare CR, which a reader would take for a row end.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def emit(cells: list) -> None:
        writer.writerow(cells)
        out.write(buffer.getvalue()[:-2] + "\n")
        buffer.seek(0)
        buffer.truncate()

    if header:
        emit(list(fields))
    for row in rows:
        emit([csv_cell(row[f]) for f in fields])


def write_csv_lines(
    batches: Iterable[list[tuple[str | None, object]]],
    fields: Sequence[str],
    out: IO[str],
    redo: Callable[[list], Iterable[dict]],
    excel: bool = False,
) -> int:
    """write_csv() for rows that come as finished CSV lines (complaintctl.csvsql), in
    batches of (line, key); a row whose line is None is written by write_csv() from
    `redo(keys)`, which gives the rows write_csv() takes.  Returns the number of rows."""
    if excel:
        out.write("\ufeff")
    out.write(",".join(fields) + "\n")
    count = 0
    for batch in batches:
        lines = [line for line, _key in batch]
        if None in lines:
            for line, key in batch:
                if line is None:
                    write_csv(redo([key]), fields, out, header=False)
                else:
                    out.write(line + "\n")
        else:
            lines.append("")
            out.write("\n".join(lines))
        count += len(batch)
    return count


_STATUS_STYLE = {
    "overdue": "bold red",
    "late": "red",
    "expired": "yellow",
    "on time": "green",
    "pending": "cyan",
    "on hold": "magenta",
}


def list_table(rows: list[dict], total: int, page: int, per_page: int) -> Group:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    columns = (
        _("Case"),
        _("Step"),
        _("Received"),
        _("Ch."),
        _("Customer"),
        _("Summary"),
        _("Cat."),
        _("Sev."),
        _("Dept."),
        _("Owner"),
        _("Next deadline"),
    )
    for i, col in enumerate(columns):
        table.add_column(col, overflow="fold", no_wrap=i in (0, 2, 10))
    on_hold, overdue = _(" (on hold)"), _(" OVERDUE")
    for r in map(visible, rows):
        due = fmt(r["due_at"])
        step = label("step", r["step"]) + (on_hold if r["on_hold"] else "")
        table.add_row(
            r["number"],
            step,
            fmt(r["received_at"]),
            label("channel", r["channel"]),
            r["customer_name"],
            r["summary"],
            fmt(r["category"]),
            label("severity", r["severity"]),
            fmt(r["department"]),
            fmt(r["owner"]),
            Text(due + (overdue if r["overdue"] else ""), style="bold" if r["overdue"] else ""),
            style="red" if r["overdue"] else None,  # the whole row stands out
        )
    first = (page - 1) * per_page + 1
    last = first + len(rows) - 1
    shown = (
        _("{first}–{last} of {total} case(s)").format(first=first, last=last, total=total)
        if rows
        else _("none of {total} case(s) here").format(total=total)
    )
    more = _("; next: --page {page}").format(page=page + 1) if last < total and rows else ""
    footer = Text(shown + more, style="dim")
    return Group(table, footer)


def _labels() -> dict[str, str]:
    """The name people read for each field `show` prints: the field table's, and those of
    the times and counts the register keeps itself."""
    return {
        **{f.name: _(f.label) for f in FIELDS if f.label},
        "escalated_at": _("Escalated at"),
        "plan_at": _("Plan at"),
        "customer_told_at": _("Customer told"),
        "reopen_count": _("Reopen count"),
        "due_at": _("Next deadline"),
        "logged_at": _("Logged"),
        "logged_by": _("Logged by"),
    }


# Fields holding a code, shown by its name.
_CODED = ("channel", "customer_type", "severity", "kind", "responsibility", "remedy")


def case_view(d: dict) -> Group:
    """`show`: fields, deadlines, attachments and history of one case."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    d = visible(d)
    head = Text()
    head.append(f"{d['number']}  ", style="bold")
    head.append(
        label("step", d["step"]) + (_(" — on hold: ") + d["hold_reason"] if d["on_hold"] else ""),
        style="magenta" if d["on_hold"] else "cyan",
    )
    if d["outcome"]:
        head.append(f"  ({label('outcome', d['outcome'])})")
    head.append(f"\n{d['summary']}")

    labels = _labels()
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    for name, value in d.items():
        if name in (
            "number",
            "step",
            "summary",
            "on_hold",
            "hold_reason",
            "outcome",
            "deadlines",
            "attachments",
            "history",
            "overdue",
            "merged_into",
            "merged_duplicates",
        ) or value in (None, ""):
            continue
        shown = label(name, value) if name in _CODED else fmt(value)
        fields.add_row(labels.get(name, name.replace("_", " ").capitalize()), shown)
    if d.get("merged_into"):
        fields.add_row(_("Merged into"), d["merged_into"])
    if d.get("merged_duplicates"):
        fields.add_row(_("Merged duplicates"), ", ".join(d["merged_duplicates"]))

    parts: list = [head, fields, timeline(d)]
    if d["attachments"]:
        at = Table(title=_("Attachments"), title_justify="left", header_style="bold")
        for col in ("ID", _("Name"), _("Bytes"), "SHA-256", _("Added"), _("By")):
            at.add_column(col)
        for a in d["attachments"]:
            at.add_row(
                str(a["id"]),
                a["name"],
                str(a["size"]),
                a["sha256"][:16] + "…",
                fmt(a["added_at"]),
                a["added_by"],
            )
        parts.append(at)

    hist = Table(title=_("History"), title_justify="left", header_style="bold")
    for col in (_("When"), _("Who"), _("What"), _("Details")):
        hist.add_column(col, overflow="fold")
    for e in d["history"]:
        move = label("action", e["action"])
        if e["step_from"] != e["step_to"] and e["step_to"]:
            move += f" → {label('step', e['step_to'])}"
        details = [e["note"]] if e["note"] else []
        if e["action"] == "edit":  # a correction: each field's old and new value
            details += [
                f"{labels.get(k.removesuffix('_cents'), k)}: "
                f"{_changed(k, v[0])} → {_changed(k, v[1])}"
                for k, v in e["changes"].items()
                if k != "contact_key"
            ]
        else:
            details += [
                f"{labels.get(k, k)}: {label(k, v[1]) if k in _CODED else fmt(v[1])}"
                for k, v in e["changes"].items()
                if k in _SHOWN_CHANGES and v[1] not in (None, "")
            ]
        when = fmt(e["at"])
        if (
            e["recorded_at"]
            and e["at"]
            and abs(e["recorded_at"] - e["at"]) > dt.timedelta(minutes=5)
        ):
            when += "\n" + _("(recorded {time})").format(time=fmt(e["recorded_at"]))
        hist.add_row(when, e["actor"], move, "; ".join(details))
    parts.append(hist)
    return Group(*parts)


def _changed(name: str, value: object) -> str:
    """One side of an edit in the history: a code's name, an amount in units, or (empty)."""
    if value in (None, ""):
        return _("(empty)")
    if name.endswith("_cents") and isinstance(value, int):
        return f"{value / 100:.2f}"
    return label(name, value) if name in _CODED else fmt(value)


# The procedure in order: (step, the actions that do it).
_TIMELINE = (
    ("received", ("log", "import")),
    ("acknowledge", ("ack",)),
    ("classify", ("classify", "reject")),
    ("assign", ("assign",)),
    ("escalate", ("escalate",)),
    ("plan", ("plan",)),
    ("investigate", ("investigate",)),
    ("resolve", ("resolve",)),
    ("feedback", ("feedback",)),
    ("closed", ("close", "feedback", "reject", "import")),
)


def timeline(d: dict) -> Table:
    """The case as a timeline: each step of the procedure, when it was done and by whom,
    its deadline and whether it was met; the step the case waits at is marked."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=_("Timeline"), title_justify="left", header_style="bold")
    for col in ("", _("Step"), _("Done"), _("By"), _("Due"), _("Status")):
        table.add_column(col, no_wrap=col != _("By"))
    clocks = d["deadlines"]
    ended = d["step"] in ("closed", "rejected")
    for step, actions in _TIMELINE:
        clock = clocks.get(step)
        if step in ("escalate", "plan") and clock is None:
            continue  # severity-A clocks only
        name = "rejected" if step == "closed" and d["step"] == "rejected" else step
        event = _last_event(d["history"], actions, name)
        if clock is not None:
            done = clock["done"]
        elif step == "received":
            done = d["received_at"]
        elif step == "closed":
            done = d["closed_at"]
        else:
            done = event["at"] if event else None
        current = not ended and d["step"] == step
        status = clock["status"] if clock else ("done" if done else "")
        if status in ("not started", "no clock"):
            status = "done" if done else ""
        table.add_row(
            Text("▶" if current else ("✓" if done else "·"), style="bold" if current else ""),
            Text(label("step", name), style="bold" if current else ""),
            fmt(done),
            event["actor"] if done and event else "",
            fmt(clock["due"]) if clock else "",
            Text(
                label("status", status) + (_(" (now)") if current else ""),
                style=_STATUS_STYLE.get(status, ""),
            ),
        )
    return table


def _last_event(history: list[dict], actions: tuple[str, ...], step: str) -> dict | None:
    """The history entry that did a step: the last of its actions (for closed/rejected,
    the one that ended the case)."""
    for e in reversed(history):
        if e["action"] in actions and (step not in ("closed", "rejected") or e["step_to"] == step):
            return e
    return None


# The fields worth repeating in the history table (the rest is in --format json).
_SHOWN_CHANGES = {
    "category",
    "severity",
    "kind",
    "department",
    "owner",
    "responsibility",
    "remedy",
    "feedback_score",
    "escalated_to",
    "reject_reason",
}


# The fields holding a code, and the kind of name label() gives it (--localise).
_CODE_KINDS = {
    "step": "step",
    "step_from": "step",
    "step_to": "step",
    "action": "action",
    "status": "status",
    "channel": "channel",
    "severity": "severity",
    "kind": "kind",
    "customer_type": "customer_type",
    "responsibility": "responsibility",
    "remedy": "remedy",
    "outcome": "outcome",
}


def localise(value: object) -> object:
    """`value` (a row, a case's detail, a list of them) with its codes replaced by their
    names in this run's language (`--localise`); the field names stay as they are."""
    if isinstance(value, dict):
        return {
            k: label(_CODE_KINDS[k], v) if k in _CODE_KINDS and isinstance(v, str) else localise(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [localise(v) for v in value]
    return value


def print_paged(renderable: object) -> None:
    """Print to the terminal through the pager ($PAGER, else less) when it would not fit
    on the screen; straight out otherwise, and always when not a terminal.  Like git, less
    is asked to keep colours and to quit at once if the text fits after all."""
    con = console()
    if con.is_terminal and len(con.render_lines(renderable, pad=False)) > con.height - 2:
        os.environ.setdefault("LESS", "FRX")
        with con.pager(styles=not con.no_color):
            con.print(renderable)
    else:
        con.print(renderable)


def console(stderr: bool = False) -> Console:
    """A console for tables: plain (no colour) when not a terminal, and then wide enough
    for a case table instead of Rich's default 80 columns."""
    from rich.console import Console

    con = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not con.is_terminal and "COLUMNS" not in os.environ:
        con = Console(stderr=stderr, highlight=False, soft_wrap=False, width=160)
    return con
