"""Workbooks for spreadsheets (.xlsx): `export --xlsx`, `list --xlsx`, `report --xlsx`.

A manager filters and sorts the workbook with no cleaning, so each cell has its real type:
times are date-time cells (the office's wall-clock time: a spreadsheet has no time zones)
with a date-time format, amounts and counts are numbers, everything typed by people —
contacts, order numbers, names — is a text cell (a phone number never becomes 1.38E+10,
text starting with = is never a formula), yes/no fields read as words in the language of
the run, and the headers are in that language too.  The header row is frozen, an
autofilter covers the table, and the columns are as wide as their text (CJK characters
count double).

openpyxl is an extra (`pip install 'complaintctl[excel]'`), imported only here, when a
workbook is written.  The rows are streamed (openpyxl's write-only mode): the widths are
fitted to the header and the first rows.  Formats rows, decides nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from complaintctl.errors import ComplaintError, InvalidValue
from complaintctl.fields import AMOUNT, FIELDS
from complaintctl.i18n import N_, _, current

INSTALL_HINT = N_("--xlsx needs openpyxl: pip install 'complaintctl[excel]'")
DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "0.00"
MAX_ROWS = 1_048_576  # a worksheet's rows, the header's included
MAX_TEXT = 32_767  # characters of one cell
WIDEST = 60  # a column of long text is cut at this width (its cells wrap when opened)
SAMPLE = 1_000  # the rows the widths are fitted to
_AMOUNTS = frozenset(f.name for f in FIELDS if f.kind == AMOUNT)
# XML 1.0 has no place for these control characters; they are written as their escapes.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a sheet's name may not hold (and its length: 31 characters).
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")

# The headers of fields that have no label in complaintctl.fields (msgids; the labels of
# `show` where it has them).
HEADERS = {
    "number": N_("Case"),
    "step": N_("Step"),
    "on_hold": N_("On hold"),
    "hold_reason": N_("Hold reason"),
    "outcome": N_("Outcome"),
    "escalated_at": N_("Escalated at"),
    "plan_at": N_("Plan at"),
    "customer_told_at": N_("Customer told"),
    "reopen_count": N_("Reopen count"),
    "due_at": N_("Next deadline"),
    "overdue": N_("Overdue"),
    "logged_at": N_("Logged"),
    "logged_by": N_("Logged by"),
    "acknowledged_at": N_("Acknowledged at"),
    "classified_at": N_("Classified at"),
    "assigned_at": N_("Assigned at"),
    "investigated_at": N_("Investigated at"),
    "resolved_at": N_("Resolved at"),
    "ack_due": N_("Acknowledgement due"),
    "investigate_due": N_("Investigation due"),
    "resolve_due": N_("Resolution due"),
    "feedback_due": N_("Feedback due"),
    "escalate_due": N_("Escalation due"),
    "plan_due": N_("Plan due"),
    # export --events
    "at": N_("When"),
    "recorded_at": N_("Recorded at"),
    "actor": N_("Who"),
    "action": N_("What"),
    "step_from": N_("From step"),
    "step_to": N_("To step"),
    "note": N_("Note"),
    "changes": N_("Changes"),
}


class ExcelUnavailable(ComplaintError):
    """--xlsx was asked for but the excel extra (openpyxl) is not installed."""


def require_openpyxl() -> None:
    """Refuse at once, before any work, when openpyxl cannot be imported."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ExcelUnavailable(INSTALL_HINT) from None


def header(name: str) -> str:
    """A field's header in the language of the run: its label, else the field name."""
    for f in FIELDS:
        if f.name == name and f.label:
            return _(f.label)
    return _(HEADERS[name]) if name in HEADERS else name


def code_names(settings: Any) -> dict[str, dict[str, str]]:
    """{"category": {code: name}, "department": {code: name}} from the config: the
    Chinese name in Chinese where it has one (for --localise)."""
    zh = current() == "zh"

    def names(codes: Iterable[Any]) -> dict[str, str]:
        return {c.code: (c.name_zh if zh and c.name_zh else c.name) for c in codes}

    return {"category": names(settings.categories), "department": names(settings.departments)}


def case_cells(
    rows: Iterable[dict], fields: Sequence[str], names: Mapping[str, Mapping[str, str]] = {}
) -> Iterator[list[object]]:
    """The rows of export or list as cell values: amounts as numbers, category and
    department by their names when `names` gives them (--localise); the rest as is."""
    amounts = [i for i, f in enumerate(fields) if f in _AMOUNTS]
    named = [(i, names[f]) for i, f in enumerate(fields) if names.get(f)]
    for row in rows:
        cells = [row[f] for f in fields]
        for i in amounts:
            cells[i] = _amount(cells[i])
        for i, table in named:
            if isinstance(cells[i], str):
                cells[i] = table.get(cells[i], cells[i])
        yield cells


def _amount(value: object) -> object:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


@dataclass
class Sheet:
    """One worksheet: its name, its headers, its rows of cell values (text, numbers,
    datetimes, booleans, None); `formats`: a number format by column index."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    formats: dict[int, str] = field(default_factory=dict)


@dataclass
class Written:
    """What a workbook holds: the rows of each sheet, and how many texts were cut to
    MAX_TEXT characters."""

    rows: list[int]
    cut: int = 0


def write_table(
    out: IO[bytes], title: str, fields: Sequence[str], cells: Iterable[list]
) -> Written:
    """One sheet of `cells` under the headers of `fields` (amounts in two decimals)."""
    formats = {i: AMOUNT_FORMAT for i, f in enumerate(fields) if f in _AMOUNTS}
    return write(out, [Sheet(title, [header(f) for f in fields], cells, formats)])


def write(out: IO[bytes], sheets: Sequence[Sheet]) -> Written:
    """The workbook of `sheets` written to `out` (a binary file)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    written = Written([])
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_title(sheet.title, taken))
        try:
            written.rows.append(_write_sheet(ws, sheet, written))
        except BaseException:
            ws.close()  # openpyxl's own temporary file, finished and removed now
            raise
    book.save(out)
    return written


def _write_sheet(ws: Any, sheet: Sheet, written: Written) -> int:
    """Fill one write-only worksheet: widths from the header and the first rows, the header
    frozen, an autofilter over the table; how many rows."""
    from openpyxl.utils import get_column_letter

    rows = iter(sheet.rows)
    first = []
    for row in rows:
        first.append(row)
        if len(first) >= SAMPLE:
            break
    widths = [_width(h) for h in sheet.headers]
    for row in first:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _width(value))
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(w, WIDEST) + 2
    ws.freeze_panes = "A2"
    words = (_("No"), _("Yes"))
    count = 0
    ws.append(list(sheet.headers))
    for row in _chain(first, rows):
        count += 1
        if count >= MAX_ROWS:
            raise InvalidValue(
                "xlsx",
                N_("more than {most} rows do not fit in a worksheet; filter the cases"),
                most=f"{MAX_ROWS - 1:,}",
            )
        ws.append([_cell(ws, v, sheet.formats.get(i), words, written) for i, v in enumerate(row)])
    last = get_column_letter(max(len(sheet.headers), 1))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    return count


def _cell(ws: Any, value: object, fmt: str | None, words: tuple[str, str], written: Written):
    """A value as its cell: times naive (office time, whole seconds) with a date-time
    format, yes/no as words, text always text (never a formula), cut to MAX_TEXT."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, bool):
        return words[value]
    if isinstance(value, str):
        if _ILLEGAL.search(value):
            value = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
        if len(value) > MAX_TEXT:
            written.cut += 1
            value = value[: MAX_TEXT - 1] + "…"
        if not value.startswith("="):
            return value
        c = WriteOnlyCell(ws, value)
        c.data_type = "s"  # openpyxl would take it for a formula
        return c
    if isinstance(value, dt.datetime):
        value, fmt = value.replace(tzinfo=None, microsecond=0), DATE_TIME_FORMAT
    elif isinstance(value, dt.date):
        fmt = DATE_FORMAT
    if fmt is None:
        return value
    c = WriteOnlyCell(ws, value)
    c.number_format = fmt
    return c


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (no []:*?/\\, at most 31 characters), distinct."""
    name = _BAD_TITLE.sub("-", title).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def text_width(text: str) -> int:
    """How many columns `text` takes: wide (CJK) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16  # 2025-10-13 09:05
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, bool):
        return max(text_width(_("Yes")), text_width(_("No")))
    text = value if isinstance(value, str) else str(value)
    if len(text) > 4 * WIDEST:  # wider than any column: no need to measure it all
        return WIDEST
    return max(text_width(line) for line in text.split("\n"))


# -- the report -------------------------------------------------------------------------------
def report_sheets(report: Any, names: Mapping[str, Mapping[str, str]] = {}) -> list[Sheet]:
    """`report --xlsx`: the totals; with --by, the breakdown (a row per group and figure);
    the cases received per day (week, month).  Figures are numbers (empty where the
    report says n/a), names in the language of the run."""
    from complaintctl import render_report
    from complaintctl.figures import BREAKDOWN_BY_KEY, BY_KEY
    from complaintctl.report import ALL

    def figure(r: dict) -> list[object]:
        f = BY_KEY[r["figure"]]
        return [render_report.figure_name(f), _(f.unit), r["value"], r["previous"], r["change"]]

    heads = [_("Figure"), _("Unit"), _("This period"), _("Previous"), _("Change")]
    period = render_report.period_name(report.period)
    sheets = [
        Sheet(
            _("Totals {period}").format(period=period),
            heads,
            [figure(r) for r in report.rows if r["group"] == ALL],
        )
    ]
    if report.by:
        table = names.get(report.by, {})

        def group(code: str) -> str:
            name = table.get(code)
            return f"{code} {name}" if name else render_report.group_name(report, code)

        sheets.append(
            Sheet(
                _(BREAKDOWN_BY_KEY[report.by].heading),
                [header(report.by), *heads],
                [[group(r["group"]), *figure(r)] for r in report.rows if r["group"] != ALL],
            )
        )
    per = {"day": N_("Received per day"), "week": N_("Received per week")}
    per["month"] = N_("Received per month")
    unit = report.chart_unit
    # Days as date cells (the report's daily buckets are the period's days in order).
    day = report.period.start
    buckets = [
        day + i * dt.timedelta(days=1) if unit == "day" else bucket
        for i, (bucket, _n) in enumerate(report.chart)
    ]
    sheets.append(
        Sheet(
            _(per[unit]) if unit in per else unit,
            [_("Period"), _("Cases received")],
            [[bucket, n] for bucket, (_b, n) in zip(buckets, report.chart, strict=True)],
        )
    )
    return sheets
