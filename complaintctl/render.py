"""Formatting rows for people (Rich) and for programs (JSON, CSV); no decisions here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # Rich is loaded only when a table is drawn: JSON and CSV need none of it
    from rich.console import Console, Group
    from rich.table import Table

from complaintctl import escapes
from complaintctl.config import LIST_COLUMNS  # the names --columns takes
from complaintctl.errors import InvalidValue
from complaintctl.fields import FIELDS
from complaintctl.i18n import N_, _, label


def visible(value: object) -> object:
    """`value` (a string, or a dict/list holding strings) with control characters escaped,
    for tables printed to a terminal; JSON and CSV output keep the text as stored."""
    if isinstance(value, str):
        return escapes.visible(value)
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


# -- tables that fit the terminal ---------------------------------------------------------
# Below this width a table is drawn without its frame (two spaces between columns), which
# leaves a case table at 80 columns room for its summary; from it on, framed as always.
COMPACT_BELOW = 120


@dataclass(frozen=True)
class Col:
    """A column of a table that fits the terminal: its heading; `cut` the narrowest it may
    be cut to (with …), None when it is always shown whole (case numbers, times, codes);
    `want` the width it should have before a column of lower priority is added; `wrap` for
    the one column of notes that wraps at words instead of being cut (show's details)."""

    header: str
    cut: int | None = None
    want: int = 0
    wrap: bool = False


def _lines(cell: object) -> list[str]:
    return (cell.plain if hasattr(cell, "plain") else str(cell)).split("\n")


def _cut(cell: object, width: int) -> object:
    """`cell` (text or a Rich Text) no wider than `width`, each line whole or cut with …"""
    from rich.cells import cell_len

    def cut(line: str) -> str:
        if cell_len(line) <= width:
            return line
        line = line[:width]  # a character takes a column or more
        while line and cell_len(line) > width - 1:
            line = line[:-1]
        return line + "…"

    if hasattr(cell, "plain"):
        if cell_len(cell.plain) <= width or "\n" in cell.plain:
            return cell
        short = cell[: len(cut(cell.plain)) - 1]
        short.append("…")
        return short
    return "\n".join(cut(line) for line in str(cell).split("\n"))


# A line of notes breaks at spaces and between Chinese characters, never inside a run of
# other characters: a case number, a word, a time.
_TOKENS = re.compile(r"\s+|[^\s\u2e80-\ufaff\uff00-\uffef]+|.")


def wrap(text: str, width: int) -> str:
    """`text` in lines no wider than `width`, broken where _TOKENS allows (a run wider
    than the whole line is cut with …)."""
    from rich.cells import cell_len

    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            if cell_len(line + token) <= width:
                line += token
            elif token.isspace():
                out.append(line.rstrip())
                line = ""
            else:
                if line.strip():
                    out.append(line.rstrip())
                line = token if cell_len(token) <= width else _cut(token, width)
        out.append(line.rstrip())
    return "\n".join(out)


def fit_table(
    cols: Sequence[Col],
    rows: Sequence[Sequence[object]],
    width: int,
    priority: Sequence[int] | None = None,
    core: int | None = None,
    everything: bool = False,
    row_styles: Sequence[str | None] | None = None,
    **table_kw: object,
) -> Table:
    """A Rich table of `rows` no wider than `width`.  The columns are taken in `priority`
    order (indexes into `cols`; default: left to right): the first `core` ones (default:
    all) while their narrowest widths fit, each further one only when every column taken
    so far can have the width it wants; the rest are left out (never squeezed to nothing)
    and the chosen are shown in their own order.  A cell is one line, whole or cut with …;
    the room left widens the cut columns, the narrowest first, up to their longest cell.
    `everything` keeps every column, the table being as wide as they need when `width` is
    too narrow.  Below COMPACT_BELOW columns the table has no frame."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    compact = width < COMPACT_BELOW

    def frame(n: int) -> int:  # the columns taken by borders and padding
        return 2 * (n - 1) if compact else 3 * n + 1

    longest = [
        max(cell_len(line) for cell in [c.header, *(r[i] for r in rows)] for line in _lines(cell))
        for i, c in enumerate(cols)
    ]
    least = [
        n if c.cut is None else min(n, max(c.cut, cell_len(c.header)))
        for c, n in zip(cols, longest, strict=True)
    ]
    want = [max(m, min(n, c.want)) for c, n, m in zip(cols, longest, least, strict=True)]
    order = list(priority if priority is not None else range(len(cols)))
    order += [i for i in range(len(cols)) if i not in order]
    core = len(order) if core is None else core
    shown: list[int] = []
    for rank, i in enumerate(order):
        need = least if rank < core else want
        if (
            everything
            or not shown
            or sum(need[j] for j in [*shown, i]) + frame(len(shown) + 1) <= width
        ):
            shown.append(i)
    shown.sort()
    widths = {i: least[i] for i in shown}
    room = width - sum(widths.values()) - frame(len(shown))
    while room > 0:  # first up to the width each wants, the furthest from it first
        short = [i for i in shown if widths[i] < want[i]]
        if not short:
            break
        widths[min(short, key=lambda i: (widths[i] - want[i], i))] += 1
        room -= 1
    for i in order:  # then up to its longest cell, in order of priority
        if i in widths and room > 0:
            more = min(room, longest[i] - widths[i])
            widths[i] += more
            room -= more

    if compact:
        table_kw = {
            "box": box.SIMPLE_HEAD,
            "show_edge": False,
            "pad_edge": False,
            "collapse_padding": True,
            **table_kw,
        }
    table = Table(header_style="bold", **table_kw)
    for i in shown:
        table.add_column(cols[i].header, width=widths[i], no_wrap=True, overflow="ellipsis")
    for n, row in enumerate(rows):
        table.add_row(
            *(
                wrap(row[i], widths[i])
                if cols[i].wrap and isinstance(row[i], str)
                else _cut(row[i], widths[i])
                for i in shown
            ),
            style=row_styles[n] if row_styles else None,
        )
    return table


# The order in which they are given the room there is: a narrower terminal leaves out the
# last ones first.
_LIST_PRIORITY = (
    "number",
    "due_at",
    "step",
    "summary",
    "customer_name",
    "owner",
    "severity",
    "received_at",
    "category",
    "department",
    "channel",
)


def list_columns(text: str | None) -> tuple[str, ...] | None:
    """--columns (field names separated by commas) as a tuple; None when not given."""
    if text is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    wrong = [n for n in names if n not in LIST_COLUMNS] or ([] if names else [text])
    if wrong:
        raise InvalidValue(
            "columns",
            N_("{value} is not a column; allowed: {allowed}"),
            value=repr(wrong[0]),
            allowed=", ".join(LIST_COLUMNS),
        )
    return names


def _list_cols() -> dict[str, Col]:
    return {
        "number": Col(_("Case")),
        "step": Col(_("Step"), cut=11, want=11),
        "received_at": Col(_("Received")),
        "channel": Col(_("Ch."), cut=5, want=6),
        "customer_name": Col(_("Customer"), cut=8, want=10),
        "summary": Col(_("Summary"), cut=12, want=20),
        "category": Col(_("Cat."), cut=4, want=6),
        "severity": Col(_("Sev.")),
        "department": Col(_("Dept."), cut=5, want=6),
        "owner": Col(_("Owner"), cut=6, want=8),
        "due_at": Col(_("Next deadline")),
    }


def list_table(
    rows: list[dict],
    total: int,
    page: int,
    per_page: int,
    width: int = 160,
    columns: Sequence[str] | None = None,
    wide: bool = False,
) -> Group:
    """`list` as a table `width` columns wide: the case number, its next deadline, step,
    summary, customer and owner first, the other columns as there is room (`wide`: all of
    them; `columns`: these, in this order, whatever the width)."""
    from rich.console import Group
    from rich.text import Text

    compact = width < COMPACT_BELOW
    on_hold = _(" (on hold)")
    overdue = " !" if compact and not wide and columns is None else _(" OVERDUE")
    names = tuple(columns) if columns else LIST_COLUMNS
    cells = []
    for r in map(visible, rows):
        due = fmt(r["due_at"])
        cell = {
            "number": r["number"],
            "step": label("step", r["step"]) + (on_hold if r["on_hold"] else ""),
            "received_at": fmt(r["received_at"]),
            "channel": label("channel", r["channel"]),
            "customer_name": r["customer_name"],
            "summary": r["summary"],
            "category": fmt(r["category"]),
            "severity": label("severity", r["severity"]),
            "department": fmt(r["department"]),
            "owner": fmt(r["owner"]),
            "due_at": Text(
                due + (overdue if r["overdue"] else ""), style="bold" if r["overdue"] else ""
            ),
        }
        cells.append([cell[n] for n in names])
    defs = _list_cols()
    table = fit_table(
        [defs[n] for n in names],
        cells,
        width,
        priority=None if columns else [names.index(n) for n in _LIST_PRIORITY],
        core=6,  # case, deadline, step, summary, customer, owner: at their narrowest
        everything=wide or bool(columns),
        row_styles=["red" if r["overdue"] else None for r in rows],  # the row stands out
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


def case_view(d: dict, width: int = 160) -> Group:
    """`show`: fields, deadlines, attachments and history of one case, `width` columns wide."""
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
    fields.add_column(style="bold", no_wrap=True)
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
            "other_cases",
            "other_cases_total",
        ) or value in (None, ""):
            continue
        shown = label(name, value) if name in _CODED else fmt(value)
        fields.add_row(labels.get(name, name.replace("_", " ").capitalize()), shown)
    if d.get("merged_into"):
        fields.add_row(_("Merged into"), d["merged_into"])
    if d.get("merged_duplicates"):
        fields.add_row(_("Merged duplicates"), ", ".join(d["merged_duplicates"]))
    if d.get("other_cases"):
        fields.add_row(_("Same customer"), _other_cases(d["other_cases"], d["other_cases_total"]))

    parts: list = [head, fields, timeline(d, width)]
    if d["attachments"]:
        parts.append(
            fit_table(
                [
                    Col("ID"),
                    Col(_("Name"), cut=8),
                    Col(_("Bytes")),
                    Col("SHA-256"),
                    Col(_("Added")),
                    Col(_("By"), cut=6),
                ],
                [
                    [
                        str(a["id"]),
                        a["name"],
                        str(a["size"]),
                        a["sha256"][:16] + "…",
                        fmt(a["added_at"]),
                        a["added_by"],
                    ]
                    for a in d["attachments"]
                ],
                width,
                priority=(0, 1, 4, 5, 2, 3),
                title=_("Attachments"),
                title_justify="left",
            )
        )

    rows = []
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
        elif e["action"] == "merge" and "merged_into" in e["changes"]:
            details.append(_("Merged into") + ": " + e["changes"]["merged_into"][1])
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
        rows.append([when, e["actor"], move, "; ".join(details)])
    hist = fit_table(
        [
            Col(_("When"), cut=16, want=16),
            Col(_("Who"), cut=6, want=8),
            Col(_("What"), cut=10, want=12),
            Col(_("Details"), cut=12, want=24, wrap=True),
        ],
        rows,
        width,
        priority=(3, 0, 2, 1),  # the room left goes to the details first
        title=_("History"),
        title_justify="left",
    )
    parts.append(hist)
    return Group(*parts)


def _other_cases(others: list[dict], total: int) -> str:
    """The customer's other cases, latest first: number (step, received day)."""
    text = ", ".join(
        f"{o['number']} ({label('step', o['step'])}, {o['received_at']:%Y-%m-%d})" for o in others
    )
    if total > len(others):
        text += _(" and {count} more").format(count=total - len(others))
    return text


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
    ("closed", ("close", "feedback", "reject", "import", "merge")),
)


def timeline(d: dict, width: int = 160) -> Table:
    """The case as a timeline: each step of the procedure, when it was done and by whom,
    its deadline and whether it was met; the step the case waits at is marked."""
    from rich.text import Text

    rows = []
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
        rows.append(
            [
                Text("▶" if current else ("✓" if done else "·"), style="bold" if current else ""),
                Text(label("step", name), style="bold" if current else ""),
                fmt(done),
                event["actor"] if done and event else "",
                fmt(clock["due"]) if clock else "",
                Text(
                    label("status", status) + (_(" (now)") if current else ""),
                    style=_STATUS_STYLE.get(status, ""),
                ),
            ]
        )
    cols = (
        Col(""),
        Col(_("Step"), cut=11),
        Col(_("Done")),
        Col(_("By"), cut=6),
        Col(_("Due")),
        Col(_("Status"), cut=8),
    )
    return fit_table(
        cols,
        rows,
        width,
        priority=(1, 5, 4, 2, 3, 0),
        title=_("Timeline"),
        title_justify="left",
    )


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


def print_paged(renderable: object, con: Console | None = None, wide: bool = False) -> None:
    """Print to the terminal through the pager ($PAGER, else less) when it would not fit
    on the screen; straight out otherwise, and always when not a terminal.  Like git, less
    is asked to keep colours and to quit at once if the text fits after all.  `wide`: the
    renderable may be wider than the terminal (list --wide) and is printed whole."""
    con = con or console()
    if wide:
        widen(con, renderable)
    if con.is_terminal and len(con.render_lines(renderable, pad=False)) > con.height - 2:
        os.environ.setdefault("LESS", "FRX")
        with con.pager(styles=not con.no_color):
            con.print(renderable)
    else:
        con.print(renderable)


def widen(con: Console, renderable: object) -> None:
    """Make `con` as wide as `renderable` needs (a table with more columns than fit)."""
    need = con.measure(renderable, options=con.options.update_width(1 << 16)).maximum
    if need > con.width:
        con.width = need


def console(stderr: bool = False) -> Console:
    """A console for tables: plain (no colour) when not a terminal, and then wide enough
    for a case table instead of Rich's default 80 columns."""
    from rich.console import Console

    con = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not con.is_terminal and "COLUMNS" not in os.environ:
        con = Console(stderr=stderr, highlight=False, soft_wrap=False, width=160)
    return con
