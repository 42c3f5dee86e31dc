"""`export` to CSV with SQLite writing the lines.

On a SQLite register a plain CSV export (no --redact, --localise or --events) asks SQLite
for each case's whole CSV line: the database engine turns times into office-zone ISO 8601
text, amounts into text and flags into True/False, and puts the quote in front of a cell a
spreadsheet would run as a formula.  Python only checks that each line needs none of the
csv module's quoting and writes it, so a 100,000-case export costs about what SQLite takes
to compute it.

The rules are those of queries.case_row() (the values) and render.write_csv() (the CSV),
which stay the definition: a line SQLite cannot write exactly (a cell holding a comma, a
quote or a line break, a time outside the zone table built for the register, a stored
value of an unexpected type) is left out, and that case is written through them instead.
tests/test_csvsql.py checks that both ways write the same bytes, on hostile values and on
time zones with summer time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from complaintctl.clock import offset_periods
from complaintctl.queries import _AMOUNTS, EXPORT_FIELDS, ListFilter, _where
from complaintctl.register import Register
from complaintctl.schema import BOOLEAN, INTEGER, TABLES, TIME
from complaintctl.store import TIME_FORMAT, TIME_GLOB

# render.csv_cell's formula starts (OWASP "CSV injection"), as SQL.
_FORMULA_START = ("'='", "'+'", "'-'", "'@'", "char(9)", "char(13)")
# The cell of a value SQLite cannot format exactly: a double quote, which makes the line
# one for Python (see _checked).
_BAD = "'\"'"


def export_lines(
    reg: Register, f: ListFilter, now: dt.datetime
) -> Iterator[list[tuple[str | None, int]]] | None:
    """The matching cases as (CSV line without its line end, case id), in batches and in
    the order of queries.export_rows(); the line is None where that case must be written
    from queries.export_rows_for() instead.  None when the register is not a SQLite file.
    The filter is checked here, before the first row is asked for."""
    if reg.store.dialect != "sqlite":
        return None
    where, params = _where(reg, f, now)
    return _lines(reg, where, params | {"now": now})


def _lines(reg: Register, where: str, params: dict) -> Iterator[list[tuple[str | None, int]]]:
    store = reg.store
    with store.transaction(write=False):
        first, last = (
            store.scalar(f"SELECT {which}(received_at) FROM cases") for which in ("min", "max")
        )
        now = params["now"]
        # The times a case holds lie near its received time: the zone table runs from a
        # month before the first complaint to three years after the last one (or now).
        lo = (_time(first) or now) - dt.timedelta(days=31)
        hi = max(_time(last) or now, now) + dt.timedelta(days=3 * 366)
        periods = offset_periods(reg.settings.tz, lo, hi)
        cells = [_cell(name, periods, lo, hi) for name in EXPORT_FIELDS]
        # printf() builds the line in one piece (|| would copy it once per cell).
        line = f"printf('{','.join(['%s'] * len(cells))}', {', '.join(cells)})"
        for batch in store.batches(
            f"SELECT {line}, id FROM cases WHERE {where} ORDER BY received_at, id", params
        ):
            yield _checked(batch, len(cells) - 1)


def _checked(batch: list[tuple[str, int]], commas: int) -> list[tuple[str | None, int]]:
    """The batch, with None for each line that is not exactly its cells joined by commas:
    a cell holding a comma, a double quote, a line break or a NUL needs the csv module's
    quoting, so that case goes through Python.  The whole batch is checked at once
    first: almost every batch is plain."""
    text = "\n".join(line for line, _id in batch)
    if (
        text.count(",") == commas * len(batch)
        and text.count("\n") == len(batch) - 1
        and not any(c in text for c in '"\r\0')
    ):
        return batch
    return [(line if _plain(line, commas) else None, id_) for line, id_ in batch]


def _plain(line: str, commas: int) -> bool:
    return line.count(",") == commas and not any(c in line for c in '"\r\n\0')


def _time(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _cell(name: str, periods: list, lo: dt.datetime, hi: dt.datetime) -> str:
    """SQL for one field's CSV cell before quoting: NULL for a missing value (printf()
    writes it as nothing), _BAD for one to leave to Python."""
    if name == "overdue":
        return "CASE WHEN due_at < :now THEN 'True' ELSE 'False' END"
    if name in _AMOUNTS:
        c = f"{name}_cents"
        amount = (
            f"CASE WHEN {c} < 0 THEN '-' ELSE '' END || (abs({c}) / 100) || '.' "
            f"|| substr('0' || (abs({c}) % 100), -2)"
        )
        return _typed(c, "integer", _formula_safe(amount))
    kind = TABLES["cases"][name]
    if kind == BOOLEAN:
        return _typed(name, "integer", f"CASE WHEN {name} THEN 'True' ELSE 'False' END")
    if kind == INTEGER:
        return _typed(name, "integer", name)
    if kind == TIME:
        return (
            f"CASE WHEN {name} GLOB '{TIME_GLOB}' AND {name} >= '{lo:{TIME_FORMAT}}' "
            f"AND {name} < '{hi:{TIME_FORMAT}}' THEN {_local_iso(name, periods)} "
            f"WHEN {name} NOT NULL THEN {_BAD} END"
        )
    # printf() would end a text at a NUL: such a text goes to Python.
    return _typed(name, "text", _formula_safe(name), f"AND instr({name}, char(0)) = 0")


def _typed(column: str, sqlite_type: str, cell: str, also: str = "") -> str:
    """`cell` when the column holds a value of the type it should (and `also` holds),
    NULL when it holds none, otherwise _BAD."""
    return (
        f"CASE WHEN typeof({column}) = '{sqlite_type}' {also} THEN {cell} "
        f"WHEN {column} NOT NULL THEN {_BAD} END"
    )


def _formula_safe(value: str) -> str:
    """render.csv_cell() on a text value: a formula start gets a quote in front."""
    return (
        f"CASE WHEN substr({value}, 1, 1) IN ({', '.join(_FORMULA_START)}) "
        f"THEN '''' || {value} ELSE {value} END"
    )


def _local_iso(column: str, periods: list) -> str:
    """SQL for datetime.isoformat() of a stored time in the office zone: a binary search
    over the zone's offset periods, then the offset applied."""
    if len(periods) > 1:
        middle = len(periods) // 2
        return (
            f"CASE WHEN {column} < '{periods[middle][0]:{TIME_FORMAT}}' "
            f"THEN {_local_iso(column, periods[:middle])} "
            f"ELSE {_local_iso(column, periods[middle:])} END"
        )
    offset = periods[0][1]
    # datetime's own spelling of the offset: +08:00, -03:30, +00:19:32
    suffix = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(offset)).isoformat()[19:]
    fraction = f"substr({column}, 21)"
    # strftime() gives NULL for a day that does not exist (month 13): then Python's turn
    local = (
        f"strftime('%Y-%m-%dT%H:%M:%S', substr({column}, 1, 19), "
        f"'{int(offset.total_seconds()):+d} seconds')"
    )
    return (
        f"coalesce({local} || CASE {fraction} WHEN '000000' THEN '' ELSE '.' || {fraction} END "
        f"|| '{suffix}', {_BAD})"
    )
