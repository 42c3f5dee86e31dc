"""`import FILE.xlsx` (issue 19): a workbook imports as its CSV twin does (the same data
written as CSV): date and date-time cells read as office times without any day/month
guessing, numbers that are identifiers as their digits, a title row above the header
(--header-row), another sheet (--sheet); a bad workbook is refused in one line, nothing
imported.

Every workbook is built here with openpyxl, in the test's tmp_path; the real CFPB sample is
read where it lies (skipped when it is absent).  Office time is Asia/Shanghai.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest
from conftest import Run, postgres_schema
from test_import import CFPB_MAPPING  # the sample's mapping, written once
from test_import_real import CFPB, case_count, needs_cfpb, query, rejects_of, summary_of

from complaintctl.db import open_db

HEADER = [
    "external_ref", "received_at", "channel", "customer_name", "contact", "order_no",
    "summary", "resolved_at", "amount_claimed", "feedback_score",
]  # fmt: skip
T = dt.datetime


class Shown(NamedTuple):
    """A cell's value with the number format it is shown in."""

    value: object
    format: str


# The sheet's rows: date-time cells, date cells (00:00 that day), Chinese text, phones and
# order numbers stored as numbers (one as a float), an amount, a score.
ROWS = [
    ["R1", T(2025, 10, 3, 14, 5), "phone", "张三", 13812345678, 20251003001,
     "快递丢失，要求赔偿", T(2025, 10, 9, 16, 30), 199.9, 5],
    ["R2", dt.date(2025, 10, 4), "email", "李四", 13912345678.0, None,
     "发票抬头错误", None, None, None],
    [20251005, T(2025, 10, 5, 23, 59, 30), "online", "Wang Wu", "wang@example.com",
     "A-77", "App crashes on login", None, 12, 3],
    ["R4", T(2025, 9, 30, 8, 0), "visit", "赵六", Shown(2154321234, "00000000000"), 88,
     "门店服务态度差", T(2025, 10, 2, 10, 0), None, None],
]  # fmt: skip
# The same rows as a CSV file holds them.
CSV_ROWS = [
    ["R1", "2025-10-03 14:05", "phone", "张三", "13812345678", "20251003001",
     "快递丢失，要求赔偿", "2025-10-09 16:30", "199.9", "5"],
    ["R2", "2025-10-04", "email", "李四", "13912345678", "", "发票抬头错误", "", "", ""],
    ["20251005", "2025-10-05 23:59:30", "online", "Wang Wu", "wang@example.com", "A-77",
     "App crashes on login", "", "12", "3"],
    ["R4", "2025-09-30 08:00", "visit", "赵六", "02154321234", "88", "门店服务态度差",
     "2025-10-02 10:00", "", ""],
]  # fmt: skip
TITLE = "客户投诉登记表（2025年10月）"


# -- helpers ------------------------------------------------------------------------------
def workbook(
    path: Path,
    header: list,
    rows: list[list],
    *,
    title: str | None = None,
    sheet: str = "投诉",
    before: list[str] = (),
    blank_after: int | None = None,
) -> Path:
    """An .xlsx with `rows` under `header` on sheet `sheet` (after empty sheets named in
    `before`); with `title`, a title row merged across the header's width above it; an
    empty row after row `blank_after` of `rows`."""
    book = openpyxl.Workbook()
    first = book.active
    for name in before:
        book.create_sheet(name)
    ws = book.create_sheet(sheet)
    book.remove(first)
    if title is not None:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for i, row in enumerate(rows):
        ws.append([v.value if isinstance(v, Shown) else v for v in row])
        for column, v in enumerate(row, start=1):
            if isinstance(v, Shown):
                ws.cell(ws.max_row, column).number_format = v.format
        if i == blank_after:
            ws.append([])
            ws.append([None] * len(header))  # an empty row, twice (cells present or not)
    book.save(path)
    return path


def csv_file(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def patched(path: Path, pattern: str, replacement: str) -> Path:
    """The workbook with its sheets' XML edited (one match)."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    found = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename.startswith("xl/worksheets/"):
                data, n = re.subn(pattern.encode(), replacement.encode(), data)
                found += n
            z.writestr(info, data)
    assert found == 1
    return path


def with_cached_value(path: Path, cell: str, text: str) -> Path:
    """The workbook with formula cell `cell` carrying `text` as its calculated value, as a
    spreadsheet program saves it (openpyxl writes formulas without one)."""
    return patched(
        path,
        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>',
        rf'<c r="{cell}"\1 t="str"><f>\2</f><v>{text}</v>',
    )


def with_number(path: Path, cell: str, text: str) -> Path:
    """The workbook with number cell `cell` written as `text` (e.g. 1.3912345678E10, as
    some programs store a phone)."""
    return patched(path, rf'<c r="{cell}"([^>]*)><v>[^<]*</v>', rf'<c r="{cell}"\1><v>{text}</v>')


def snapshot(run: Callable, month: str = "2025-10") -> tuple[list[dict], dict]:
    """(the cases as `export --format jsonl` gives them, less when they were logged; the
    month's report figures as `report --format json` gives them)."""
    out = run("export", "-", "--format", "jsonl")
    assert out.exit_code == 0, (out.stdout, out.stderr)
    cases = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    for case in cases:
        for key in [k for k in case if k.startswith("logged")]:
            del case[key]
    report = run("report", "--month", month, "--format", "json")
    assert report.exit_code == 0, (report.stdout, report.stderr)
    figures = json.loads(report.stdout)
    return cases, figures


@pytest.fixture
def twin(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable:
    """The CLI on a second fresh register (for the CSV twin)."""
    if backend == "postgresql":
        url = where = postgres_schema("xlsx twin")
    else:
        where = str(tmp_path / "twin.db")
        url = f"sqlite:///{where}"
    open_db(url, create=True).dispose()
    runner = Run()

    def run(*args: str):
        with monkeypatch.context() as m:
            m.setenv("COMPLAINTCTL_DB", where)
            return runner(*args)

    return run


def refused(result, *words: str) -> str:
    """The one error line of a refused import, which names each of `words`."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def nothing_imported(db_url: str) -> None:
    assert case_count(db_url) == 0
    assert query(db_url, "SELECT count(*) FROM import_batches")[0][0] == 0


# -- the Done-when: a workbook with a title row imports as its CSV twin ----------------------
def test_a_workbook_with_a_title_row_date_cells_and_chinese_text_imports_as_its_csv_twin(
    cli, twin, tmp_path
):
    header = [*HEADER, "remark"]
    rows = [[*r, None] for r in ROWS]
    rows[1][-1] = '="发票"&"问题"'  # a formula: read as the value the spreadsheet saved
    book = workbook(tmp_path / "登记表.xlsx", header, rows, title=TITLE, blank_after=1)
    with_cached_value(book, "K4", "发票问题")
    with_number(book, "E4", "1.3912345678E10")  # R2's phone, a float in the file
    csv_rows = [[*r, ""] for r in CSV_ROWS]
    csv_rows[1][-1] = "发票问题"
    twin_csv = csv_file(tmp_path / "登记表.csv", header, csv_rows)

    got = cli("import", str(book), "--header-row", "2")
    assert got.exit_code == 0, (got.stdout, got.stderr)
    assert summary_of(got) == (4, 4, 0, 0, 0)
    want = twin("import", str(twin_csv))
    assert want.exit_code == 0, (want.stdout, want.stderr)

    cases, figures = snapshot(cli)
    assert (cases, figures) == snapshot(twin)
    by_ref = {c["external_ref"]: c for c in cases}
    assert sorted(by_ref) == ["20251005", "R1", "R2", "R4"]  # a number as a reference: digits
    assert by_ref["R1"]["contact"] == "13812345678"  # a phone stored as a number
    assert by_ref["R2"]["contact"] == "13912345678"  # ... even as a float: no ".0"
    assert by_ref["R1"]["order_no"] == "20251003001"
    assert by_ref["R1"]["received_at"].startswith("2025-10-03T14:05:00")  # office time
    assert by_ref["R2"]["received_at"].startswith("2025-10-04T00:00:00")  # a date: 00:00
    assert by_ref["R1"]["customer_name"] == "张三"
    assert by_ref["R4"]["contact"] == "02154321234"  # a landline kept with its zero shown
    received = next(f for f in figures["figures"] if f["figure"] == "received")
    assert received["value"] == 3  # received in October (R4 came in September)


def test_the_formula_cell_s_saved_value_is_what_is_imported(cli, tmp_path, db_url):
    rows = [list(ROWS[0])]
    rows[0][6] = '="快递"&"丢失"'
    book = with_cached_value(workbook(tmp_path / "f.xlsx", HEADER, rows), "G2", "快递丢失")
    cli.ok("import", str(book))
    assert query(db_url, "SELECT summary FROM cases") == [("快递丢失",)]


def test_a_formula_never_calculated_refuses_the_workbook_naming_the_cell(cli, tmp_path, db_url):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[1][6] = '="发票"&"问题"'  # written by a program: no value saved with it
    book = workbook(tmp_path / "calc.xlsx", HEADER, rows)
    line = refused(cli("import", str(book)), "FILE", "calc.xlsx", "cell G3", "never calculated")
    assert "'投诉'" in line
    nothing_imported(db_url)


def test_sheet_chooses_the_sheet_and_a_missing_one_is_refused_listing_those_there(
    cli, tmp_path, db_url
):
    book = workbook(tmp_path / "book.xlsx", HEADER, ROWS, sheet="十月", before=["说明"])
    line = refused(cli("import", str(book), "--sheet", "九月"), "--sheet", "book.xlsx", "九月")
    assert line.endswith("allowed: '说明', '十月'")
    nothing_imported(db_url)
    # The first sheet is the default: an empty one is refused, naming the others.
    refused(cli("import", str(book)), "--sheet", "'说明'", "is empty", "'十月'")
    assert summary_of(cli("import", str(book), "--sheet", "十月")) == (4, 4, 0, 0, 0)
    assert case_count(db_url) == 4


# -- bad workbooks: one line, nothing imported ------------------------------------------------
def _not_a_zip(path: Path) -> list[str]:
    path.write_text("external_ref,received_at\nR1,2025-10-03\n", encoding="utf-8")
    return ["FILE", path.name, "not an .xlsx workbook", "not a zip"]


def _encrypted(path: Path) -> list[str]:
    # A password-protected workbook is an OLE compound file, as an old .xls is.
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return ["FILE", path.name, "password-protected", "without a password"]


def _truncated(path: Path) -> list[str]:
    workbook(path, HEADER, ROWS)
    path.write_bytes(path.read_bytes()[:1500])
    return ["FILE", path.name, "not an .xlsx workbook"]


def _zip_of_something_else(path: Path) -> list[str]:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")
    return ["FILE", path.name, "not an .xlsx workbook"]


@pytest.mark.parametrize(
    "make", [_not_a_zip, _encrypted, _truncated, _zip_of_something_else], ids=lambda f: f.__name__
)
def test_a_file_that_is_no_workbook_is_refused_in_one_line(cli, tmp_path, db_url, make):
    path = tmp_path / "log.xlsx"
    words = make(path)
    refused(cli("import", str(path)), *words)
    nothing_imported(db_url)


def test_a_header_row_past_the_end_is_refused_with_the_rows_there(cli, tmp_path, db_url):
    book = workbook(tmp_path / "short.xlsx", HEADER, ROWS[:2], title=TITLE)
    line = refused(cli("import", str(book), "--header-row", "9"), "--header-row", "9")
    assert line.endswith("which has 4 row(s); allowed: 1..4")
    nothing_imported(db_url)


def test_a_title_row_taken_for_the_header_is_refused_pointing_at_the_next_row(
    cli, tmp_path, db_url
):
    book = workbook(tmp_path / "titled.xlsx", HEADER, ROWS, title=TITLE)
    refused(cli("import", str(book)), "--header-row", TITLE, "a title", "--header-row 2")
    nothing_imported(db_url)


def test_a_merged_header_with_an_empty_name_is_refused_naming_the_column(cli, tmp_path, db_url):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["external_ref", "received_at", "联系方式", None, "summary"])
    ws.merge_cells("C1:D1")  # "contact" over two columns: the second has no name
    ws.append(["R1", T(2025, 10, 3, 9, 0), "phone", "13812345678", "x"])
    book.save(tmp_path / "merged.xlsx")
    refused(cli("import", str(tmp_path / "merged.xlsx")), "--header-row", "column D", "merged")
    nothing_imported(db_url)


def test_sheet_and_header_row_apply_to_workbooks_only(cli, tmp_path, db_url):
    source = csv_file(tmp_path / "a.csv", HEADER, CSV_ROWS)
    for option in (["--sheet", "x"], ["--header-row", "2"]):
        result = cli("import", str(source), *option)
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert f"{option[0]} applies to .xlsx workbooks" in result.stderr
    nothing_imported(db_url)


def test_a_workbook_is_known_by_its_bytes_under_another_name_or_on_standard_input(
    cli, tmp_path, db_url
):
    book = workbook(tmp_path / "log.xlsx", HEADER, ROWS)
    renamed = tmp_path / "log.csv"
    renamed.write_bytes(book.read_bytes())
    assert summary_of(cli("import", str(renamed), "--dry-run")) == (4, 4, 0, 0, 0)
    piped = cli("import", "-", input=book.read_bytes())
    assert summary_of(piped) == (4, 4, 0, 0, 0)
    assert case_count(db_url) == 4
    encrypted = tmp_path / "old.xls"
    _encrypted(encrypted)
    refused(cli("import", str(encrypted)), "FILE", "old.xls", "password-protected")


# -- everything else as for CSV: validation, rejects, day/month, batches, --update -----------
def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_as_csv_under_sheet_rows(
    cli, tmp_path, db_url
):
    rows = [list(r) for r in ROWS]
    rows[1][2] = "传真"  # no such channel
    rows[3][1] = T(3001, 1, 2, 8, 0)  # a date cell outside the years allowed
    book = workbook(tmp_path / "bad.xlsx", HEADER, rows, title=TITLE)
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(book), "--header-row", "2", "--skip-invalid", str(rejects))
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert summary_of(result) == (4, 2, 0, 0, 2)
    assert case_count(db_url) == 2
    bad = rejects_of(rejects)
    # The line is the row's number in the sheet (title row 1, header row 2).
    assert [(r["line"], r["field"], r["value"]) for r in bad] == [
        ("4", "channel", "传真"),
        ("6", "received_at", "3001-01-02 08:00:00"),
    ]
    assert "is outside the years" in bad[1]["reason"]
    assert bad[0]["contact"] == "13912345678" and bad[0]["received_at"] == "2025-10-04"
    assert bad[1]["order_no"] == "88"


def test_text_dates_in_a_workbook_follow_the_day_month_rules_of_csv(cli, tmp_path, db_url):
    rows = [list(r) for r in ROWS[:2]]
    rows[0][1], rows[1][1] = "03/10/2025 14:05", "04/10/2025"  # text cells: either order
    book = workbook(tmp_path / "text-dates.xlsx", HEADER, rows)
    result = cli("import", str(book))
    refused(result, "column 'received_at'", "03/10/2025 14:05", "--dayfirst")
    rows.append([*ROWS[2][:1], "13/10/2025", *ROWS[2][2:]])  # only day first: the column's
    workbook(book, HEADER, rows)
    cli.ok("import", str(book))
    got = query(db_url, "SELECT external_ref, received_at FROM cases ORDER BY id")
    # 03/10 day first: 3 October, 14:05 in Shanghai is 06:05 UTC.
    assert [(ref, str(at)[:16]) for ref, at in got] == [
        ("R1", "2025-10-03 06:05"),
        ("R2", "2025-10-03 16:00"),
        ("20251005", "2025-10-12 16:00"),
    ]


def test_a_workbook_is_an_import_batch_undone_and_refreshed_with_update(cli, tmp_path, db_url):
    book = workbook(tmp_path / "log.xlsx", HEADER, ROWS)
    cli.ok("import", str(book))
    assert "log.xlsx" in cli.ok("imports", "list")
    again = cli("import", str(book))
    assert again.exit_code != 0 and "--again" in again.stderr  # the same bytes: refused
    cli.ok("imports", "undo", "1")
    assert case_count(db_url) == 0
    cli.ok("import", str(book))
    rows = [list(r) for r in ROWS]
    rows[1][6] = "发票抬头错误（已更正）"
    changed = workbook(tmp_path / "log-2.xlsx", HEADER, rows)
    assert summary_of(cli("import", str(changed), "--update")) == (4, 0, 3, 1, 0)
    assert query(db_url, "SELECT summary FROM cases WHERE external_ref = 'R2'") == [
        ("发票抬头错误（已更正）",)
    ]


# -- a real file's shape: a few hundred CFPB complaints as a workbook --------------------------
@needs_cfpb
def test_cfpb_rows_as_a_workbook_with_date_cells_import_as_the_csv_does(cli, twin, tmp_path):
    with CFPB.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(islice(reader, 300))
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    twin_csv = tmp_path / "cfpb-300.csv"
    twin_csv.write_text(buf.getvalue(), encoding="utf-8")
    day, ident = header.index("Date received"), header.index("Complaint ID")
    cells = []
    for row in rows:
        cell: list = list(row)
        cell[day] = dt.date.fromisoformat(row[day])  # a date cell
        cell[ident] = int(row[ident])  # the ID stored as a number
        cells.append([v if v != "" else None for v in cell])
    book = workbook(tmp_path / "cfpb-300.xlsx", header, cells, sheet="complaints")
    mapping = tmp_path / "cfpb.toml"
    mapping.write_text(CFPB_MAPPING, encoding="utf-8")

    got = cli("import", str(book), "--mapping", str(mapping))
    assert got.exit_code == 0, (got.stdout, got.stderr[:600])
    assert summary_of(got) == (300, 300, 0, 0, 0)
    want = twin("import", str(twin_csv), "--mapping", str(mapping))
    assert want.exit_code == 0, (want.stdout, want.stderr[:600])
    month = Counter(row[day][:7] for row in rows).most_common(1)[0][0]  # the busiest
    cases, figures = snapshot(cli, month)
    assert (cases, figures) == snapshot(twin, month)
    received = next(f for f in figures["figures"] if f["figure"] == "received")
    assert len(cases) == 300 and received["value"] == Counter(r[day][:7] for r in rows)[month]


@pytest.mark.parametrize("option", [[], ["--dayfirst"]], ids=["scanned first", "not scanned"])
def test_a_sheet_damaged_part_way_stops_the_import_in_one_line_with_nothing_imported(
    cli, tmp_path, db_url, option
):
    # Past the first batch of 2,000 rows, written when the damage is found (--dayfirst: no
    # first pass over the dates to find it before).
    rows = [[f"R{i}", *ROWS[0][1:]] for i in range(2100)]
    book = workbook(tmp_path / "damaged.xlsx", HEADER, rows)
    patched(book, r'<row r="2090"', '<row r="2090"><c r="A2090"><v>1</v></rowx>')  # bad XML
    result = cli("import", str(book), *option)
    refused(result, "FILE", "cannot read sheet '投诉' of", "damaged.xlsx")
    nothing_imported(db_url)


def test_without_openpyxl_a_workbook_is_refused_naming_the_extra(
    cli, tmp_path, db_url, monkeypatch
):
    book = workbook(tmp_path / "log.xlsx", HEADER, ROWS)
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # not installed
    refused(cli("import", str(book)), "pip install 'complaintctl[excel]'")
    nothing_imported(db_url)


@pytest.mark.slow
# -- a workbook saved by a real spreadsheet program (shared strings, saved formula values) --
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_workbook_saved_by_libreoffice_imports_text_dates_and_formula_values(
    cli, tmp_path, db_url
):
    rows = [list(r) for r in ROWS]
    rows[0][1], rows[1][1] = "03/10/2025 14:05", "13/10/2025"  # text: the column is day first
    rows[2][6] = '=CONCATENATE("App ", "crashes")'
    written = workbook(tmp_path / "program.xlsx", HEADER, rows, title=TITLE)
    out = tmp_path / "saved"
    subprocess.run(
        [
            "soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
            "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(written),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    saved = out / "program.xlsx"
    with zipfile.ZipFile(saved) as z:
        assert "xl/sharedStrings.xml" in z.namelist()  # text as a spreadsheet stores it
    cli.ok("import", str(saved), "--header-row", "2")
    got = query(db_url, "SELECT external_ref, received_at, contact, summary FROM cases ORDER BY id")
    assert [(ref, str(at)[:16], contact, summary) for ref, at, contact, summary in got] == [
        ("R1", "2025-10-03 06:05", "13812345678", "快递丢失，要求赔偿"),
        ("R2", "2025-10-12 16:00", "13912345678", "发票抬头错误"),
        ("20251005", "2025-10-05 15:59", "wang@example.com", "App crashes"),
        ("R4", "2025-09-30 00:00", "02154321234", "门店服务态度差"),
    ]


# -- streamed: a 100,000-row sheet is never held whole ---------------------------------------
def big_workbook(path: Path, rows: int) -> Path:
    """A workbook of `rows` complaints (one written by openpyxl, its row repeated in the
    sheet's XML with new row numbers and references: fast to make)."""
    workbook(path, HEADER, [ROWS[0]])
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename.startswith("xl/worksheets/"):
                text = data.decode()
                start = text.index('<row r="2"')
                end = text.index("</row>", start) + len("</row>")
                row = re.sub(r'r="([A-Z]*)2"', r'r="\g<1>{n}"', text[start:end])
                row = row.replace("<t>R1</t>", "<t>R{n}</t>")
                body = "".join(row.format(n=n) for n in range(2, rows + 2))
                data = (text[:start] + body + text[end:]).encode()
            z.writestr(info, data)
    return path


# The peak is this process's own (VmHWM: ru_maxrss would carry the test process's over).
READ_ALL = """
import re, sys
from complaintctl.xlsxread import Sheet
with open(sys.argv[1], "rb") as raw:
    sheet = Sheet(raw, sys.argv[1], None, 1)
    scanned = sum(1 for _ in sheet.date_texts({"received_at", "summary"}))
    read = sum(1 for _ in sheet.rows())
    sheet.close()
with open("/proc/self/status") as f:
    peak = re.search(r"VmHWM:\\s*(\\d+) kB", f.read()).group(1)
print(scanned, read, peak)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_100000_row_sheet_is_streamed_in_flat_memory(tmp_path):
    peaks = {}
    for rows in (10_000, 100_000):
        book = big_workbook(tmp_path / f"{rows}.xlsx", rows)
        out = subprocess.run(
            [sys.executable, "-c", READ_ALL, str(book)],
            check=True, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        scanned, read, peak_kib = map(int, out.stdout.split())
        assert scanned == read == rows
        peaks[rows] = peak_kib / 1024
    # Ten times the rows (46 MB of sheet XML): a few MB more at most, not the sheet's size.
    assert peaks[100_000] - peaks[10_000] < 15, peaks
