"""A plain CSV `export` on SQLite writes lines SQLite made (complaintctl.csvsql); they must be
byte for byte what the Python writers make of the same cases (queries.export_rows() and
render.write_csv(), which stay the definition), whatever the register holds: text that
needs quoting or the formula quote, stored values of unexpected types, times on both sides
of every summer-time change of zones with odd offsets, times outside the zone table.

The values are written straight into the test's SQLite file, as a damaged or imported
register could hold them.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from conftest import local

from complaintctl import csvsql, queries, render, services
from complaintctl.clock import offset_periods, utc_now
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.queries import EXPORT_FIELDS, ListFilter
from complaintctl.register import Register
from complaintctl.schema import TABLES, TIME
from complaintctl.store import TIME_FORMAT

NOW = local(2025, 10, 20, 9, 0)
ALL = ListFilter(status="all")
# every stored time the export shows but the received time, which sets the zone table's range
TIME_COLUMNS = [c for c in EXPORT_FIELDS if TABLES["cases"].get(c) == TIME and c != "received_at"]
TEXT_COLUMNS = ["summary", "description", "demand", "order_no", "product", "customer_name"]
ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",  # summer time, whole hours
    "America/St_Johns",  # -03:30 / -02:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # summer time of half an hour
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # changes at midnight local time
    "UTC",
]


def _log(reg: Register, n: int) -> None:
    for i in range(n):
        services.log_complaint(
            reg,
            now=NOW,
            actor="t",
            channel="phone",
            customer_name=f"客户{i}",
            contact=f"1380000{i:04d}",
            summary="洗衣机漏水",
            amount_claimed_cents=12345 + i,
            received_at=NOW - dt.timedelta(days=i % 40, minutes=i),
        )


def _python_csv(reg: Register, now: dt.datetime = NOW) -> str:
    out = io.StringIO()
    render.write_csv(queries.export_rows(reg, ALL, now), EXPORT_FIELDS, out)
    return out.getvalue()


def _sqlite_csv(reg: Register) -> tuple[str, int]:
    """The CSV the fast way, and how many of its cases went through Python."""
    out = io.StringIO()
    redone = []

    def redo(ids):
        redone.extend(ids)
        return queries.export_rows_for(reg, ids, NOW)

    lines = csvsql.export_lines(reg, ALL, NOW)
    assert lines is not None
    render.write_csv_lines(lines, EXPORT_FIELDS, out, redo)
    return out.getvalue(), len(redone)


def _set(path, values: dict[int, dict[str, object]]) -> None:
    with sqlite3.connect(path) as conn:
        for case_id, columns in values.items():
            for column, value in columns.items():
                conn.execute(f"UPDATE cases SET {column} = ? WHERE id = ?", (value, case_id))


def test_plain_cases_are_written_by_sqlite_alone(register, db_path):
    _log(register, 30)
    text, redone = _sqlite_csv(register)
    assert text == _python_csv(register)
    assert text.count("\n") == 31
    assert redone == 0  # nothing unusual: every line came from SQLite


@pytest.mark.parametrize(
    "value",
    [
        "a,b",
        'say "hi"',
        "two\nlines",
        "cr\ronly",
        "crlf\r\nend",
        "nul\0inside",
        "=1+1",
        "+86 138",
        "-minus",
        "@SUM(A1)",
        "\tTAB",
        "\rstart",
        '=HYPERLINK("http://x","y")',
        "  spaces  ",
        "百分比 100% %s %d",
        "line\u2028separator \u202e",
        "'already quoted",
        "",
    ],
)
def test_text_needing_care_is_written_as_python_writes_it(register, db_path, value):
    _log(register, 3)
    _set(db_path, {2: {column: value for column in TEXT_COLUMNS}})
    text, redone = _sqlite_csv(register)
    assert text == _python_csv(register)
    # SQLite puts the formula quote in; only what needs the csv module's quoting (or holds
    # a NUL) goes through Python
    assert redone == (1 if any(c in value for c in ',"\r\n\0') else 0)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("amount_claimed_cents", -5),
        ("amount_claimed_cents", 0),
        ("amount_claimed_cents", -100),
        ("amount_claimed_cents", 7),
        ("amount_claimed_cents", 123456789012345),
        ("amount_claimed_cents", 12.5),  # a REAL where an integer belongs
        ("amount_claimed_cents", "1250"),  # text there
        ("remedy_amount_cents", 99),
        ("on_hold", 1),
        ("on_hold", 2),
        ("reopen_count", 3),
        ("reopen_count", "3"),
        ("feedback_score", 5),
        ("feedback_score", 4.0),
        ("category", 42),  # a number in a text column
        ("summary", b"bytes"),
    ],
)
def test_stored_values_of_any_type(register, db_path, column, value):
    _log(register, 3)
    _set(db_path, {2: {column: value}})
    text, _redone = _sqlite_csv(register)
    assert text == _python_csv(register)


def _transition_times(zone: str) -> list[str]:
    """Stored times on both sides of each of the zone's offset changes 2024-2026, and some
    random ones with and without a fraction of a second."""
    periods = offset_periods(ZoneInfo(zone), dt.datetime(2024, 1, 1), dt.datetime(2027, 1, 1))
    times = []
    for start, _offset in periods[1:]:
        for delta in (-3600, -1, 0, 1, 59, 3600):
            t = start + dt.timedelta(seconds=delta)
            times += [t, t.replace(microsecond=999_999)]
    rng = random.Random(zone)
    base = dt.datetime(2024, 1, 1)
    for _ in range(40):
        t = base + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        times += [t, t.replace(microsecond=rng.randrange(1_000_000))]
    return [t.strftime(TIME_FORMAT) for t in times]


@pytest.mark.parametrize("zone", ZONES)
def test_times_in_zones_with_summer_time_and_odd_offsets(db_path, initialised, zone):
    reg = Register(open_db(f"sqlite:///{db_path}"), Settings(timezone=zone))
    times = _transition_times(zone)
    cases = -(-len(times) // len(TIME_COLUMNS))
    _log(reg, cases)
    values = {i + 1: {"received_at": "2024-01-01 00:00:00.000000"} for i in range(cases)}
    for i, t in enumerate(times):
        values[i // len(TIME_COLUMNS) + 1][TIME_COLUMNS[i % len(TIME_COLUMNS)]] = t
    _set(db_path, values)
    text, redone = _sqlite_csv(reg)
    assert text == _python_csv(reg)
    assert redone == 0  # every one of these times is inside the zone table


@pytest.mark.parametrize(
    "value",
    [
        "1950-06-01 12:00:00.000000",  # before the zone table
        "2099-07-01 12:00:00.000000",  # after it
        "2025-10-13 01:05:00",  # no fraction of a second
        "2025-10-13 01:05:00.5",
        "2025-10-13T01:05:00.000000",
        "2025-10-13 01:05:00.00000Z",
    ],
)
def test_times_the_zone_table_does_not_cover_go_through_python(db_path, initialised, value):
    reg = Register(open_db(f"sqlite:///{db_path}"), Settings(timezone="Europe/Berlin"))
    _log(reg, 3)
    _set(db_path, {2: {"closed_at": value}})
    text, redone = _sqlite_csv(reg)
    assert text == _python_csv(reg)
    assert redone == 1


def test_the_cli_export_is_the_python_one(cli, register, db_path, tmp_path, monkeypatch):
    """`export FILE` (the fast way), --excel, and standard output all match the writers."""
    _log(register, 5)
    expected = _python_csv(register, utc_now())
    # the command takes the fast way: the row-by-row reader is not asked
    with monkeypatch.context() as patch:
        patch.setattr(queries, "export_rows", None)
        assert cli.ok("export", "-") == expected
    _set(db_path, {3: {"summary": "=cmd|' /C calc'!A0", "description": "a,\nb"}})
    cli.ok("export", str(tmp_path / "out.csv"))
    expected = _python_csv(register, utc_now())
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == expected
    cli.ok("export", "--excel", str(tmp_path / "excel.csv"))
    assert (tmp_path / "excel.csv").read_bytes() == "\ufeff".encode() + expected.encode()
    assert cli.ok("export", "-") == expected
