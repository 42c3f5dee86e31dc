"""`export --xlsx`, `list --xlsx` and `report --xlsx`: workbooks a manager filters and sorts
with no cleaning.  Every workbook is read back with openpyxl and compared with what
`--format jsonl`/`json` says of the same cases; one is opened in a real spreadsheet program
(LibreOffice, headless) to prove the types survive.

Cases are set up through complaintctl.services (test_export's `mixed` cases, and one with an
order number, an amount and a formula-like name); office time is Asia/Shanghai.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import local
from test_export import NOW, log, mixed  # noqa: F401  (mixed: a fixture)

from complaintctl import i18n, queries, services, xlsx

openpyxl = pytest.importorskip("openpyxl")

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def cases(register, mixed):  # noqa: F811
    """test_export's six cases, and a seventh with a leading-zero order number, an
    amount, a long phone number and a name a spreadsheet would run as a formula."""
    number = log(
        register,
        local(2025, 10, 13, 9, 5),
        contact="13812345678",
        customer_name=HYPERLINK,
        order_no="00012345",
        amount_claimed_cents=12050,
        summary="漏水，需要上门维修并更换密封圈",
    )
    services.hold(register, number, reason="等客户照片", now=NOW, actor="t")
    return {**mixed, "order": number}


def run(cli, *args: str):
    result = cli(*args)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def jsonl(cli, *args: str) -> list[dict]:
    return [
        json.loads(line)
        for line in run(cli, "export", "-", "--format", "jsonl", *args).stdout.splitlines()
    ]


def book(path: Path):
    return openpyxl.load_workbook(path)


def table(ws) -> tuple[list[str], list[list]]:
    """(the header row, the cells of the other rows) of a worksheet."""
    rows = list(ws.iter_rows())
    return [c.value for c in rows[0]], [list(r) for r in rows[1:]]


def local_naive(text: str) -> dt.datetime:
    """A JSON time (ISO 8601 with the office's offset) as the naive office time a
    spreadsheet holds, to the second."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=None, microsecond=0)


def expected_cell(field: str, value: object, yes: str = "Yes", no: str = "No") -> object:
    """What the workbook's cell holds for a JSON Lines value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return yes if value else no
    if field in ("amount_claimed", "remedy_amount"):
        return Decimal(value)
    if isinstance(value, str) and (field.endswith(("_at", "_due")) or field == "at"):
        return local_naive(value)
    return value


# -- export --------------------------------------------------------------------------------
def test_every_cell_of_the_export_has_the_type_and_value_json_lines_gives(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    result = run(cli, "export", "--xlsx", str(path))
    assert result.stderr == f"exported 7 case(s) to {path}\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    heads, rows = table(book(path).active)
    assert heads == [xlsx.header(f) for f in queries.EXPORT_FIELDS]
    assert heads[:6] == ["Case", "Step", "On hold", "Hold reason", "Outcome", "Received"]
    data = jsonl(cli)
    assert len(rows) == len(data) == 7
    checked_times = 0
    for cells, want in zip(rows, data, strict=True):
        for field, c in zip(queries.EXPORT_FIELDS, cells, strict=True):
            expected = expected_cell(field, want[field])
            if isinstance(expected, Decimal):
                assert Decimal(str(c.value)) == expected, field
                assert c.data_type == "n" and c.number_format == "0.00"
            else:
                assert c.value == expected, (field, c.value, expected)
            if isinstance(expected, dt.datetime):
                assert c.is_date and c.number_format == "yyyy-mm-dd hh:mm", field
                checked_times += 1
            elif isinstance(expected, str):
                assert c.data_type == "s", (field, c.value)  # text, never a formula
    assert checked_times > 40
    order = next(r for r, d in zip(rows, data, strict=True) if d["number"] == cases["order"])
    by_field = dict(zip(queries.EXPORT_FIELDS, order, strict=True))
    assert (by_field["contact"].value, by_field["order_no"].value) == ("13812345678", "00012345")
    assert by_field["customer_name"].value == HYPERLINK
    assert by_field["on_hold"].value == "Yes"
    assert by_field["received_at"].value == dt.datetime(2025, 10, 13, 9, 5)


def test_the_header_is_frozen_filtered_and_the_columns_fitted_to_their_text(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path))
    ws = book(path).active
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(queries.EXPORT_FIELDS))
    assert ws.auto_filter.ref == f"A1:{last}8"  # every column, the header and 7 rows
    width = {h.value: ws.column_dimensions[h.column_letter].width for h in ws[1]}
    assert width["Received"] == 18  # 2025-10-13 09:05
    assert width["Case"] == len("C2025-000001") + 2
    # The summary's longest text is Chinese: each character takes two columns.
    assert width["Summary"] == xlsx.text_width("漏水，需要上门维修并更换密封圈") + 2 == 32
    assert width["Description"] == len("Description") + 2  # no description: its header


def test_text_width_counts_chinese_characters_double():
    assert xlsx.text_width("abc") == 3
    assert xlsx.text_width("王伟") == 4
    assert xlsx.text_width("漏水，") == 6  # a full-width comma too


def test_a_manager_filters_by_category_name_and_sorts_by_received_time(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path), "--localise")
    heads, rows = table(book(path).active)
    category, received = heads.index("Category"), heads.index("Received")
    names = {r[category].value for r in rows} - {None}
    assert names == {"Product quality", "Billing / price", "Service attitude"}
    assert all(r[category].data_type == "s" for r in rows if r[category].value)
    assert all(isinstance(r[received].value, dt.datetime) and r[received].is_date for r in rows)
    times = [r[received].value for r in rows]
    assert sorted(times)[0] == dt.datetime(2025, 9, 26, 9, 0)
    department, step = heads.index("Department"), heads.index("Step")
    assert {r[department].value for r in rows} - {None} == {
        "Logistics",
        "Quality management",
        "Customer service",
    }
    assert {r[step].value for r in rows} == {i18n.label("step", d["step"]) for d in jsonl(cli)}


def test_without_localise_the_codes_stay_codes(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path))
    heads, rows = table(book(path).active)
    assert {r[heads.index("Category")].value for r in rows} - {None} == {"PQ", "BL", "SA"}
    assert {r[heads.index("Step")].value for r in rows} == {d["step"] for d in jsonl(cli)}


def test_in_chinese_the_headers_words_and_names_are_chinese(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    i18n.use("zh")
    try:
        result = run(cli, "export", "--xlsx", str(path), "--localise")
        yes, no = i18n._("Yes"), i18n._("No")
        data = [
            json.loads(x)
            for x in run(cli, "export", "-", "-f", "jsonl", "--localise").stdout.splitlines()
        ]
    finally:
        i18n.use("en")
    assert str(path) in result.stderr
    heads, rows = table(book(path).active)
    assert heads[:2] == ["编号", "环节"] and "接收时间" in heads and "联系方式" in heads
    category = heads.index("类别")
    assert {r[category].value for r in rows} - {None} == {"产品质量", "收费价格", "服务态度"}
    steps = {r[1].value for r in rows}
    assert steps == {d["step"] for d in data} and "已结案" in steps
    hold = heads.index("已暂停")
    assert sorted({r[hold].value for r in rows}) == sorted({yes, no})


def test_export_events_xlsx_is_the_history_with_times_as_dates(cli, cases, tmp_path):
    path = tmp_path / "history.xlsx"
    result = run(cli, "export", "--xlsx", str(path), "--events")
    wb = book(path)
    assert wb.sheetnames == ["History"]
    heads, rows = table(wb.active)
    assert heads[:4] == ["Case", "When", "Recorded at", "Who"]
    data = jsonl(cli, "--events")
    assert len(rows) == len(data) and result.stderr.startswith(f"exported {len(data)} history")
    for cells, want in zip(rows, data, strict=True):
        assert [c.value for c in cells] == [expected_cell(f, want[f]) for f in queries.EVENT_FIELDS]


# -- list ----------------------------------------------------------------------------------
def test_list_xlsx_writes_the_page_with_the_fields_of_list_csv(cli, cases, tmp_path):
    path = tmp_path / "list.xlsx"
    result = run(cli, "list", "--status", "all", "--xlsx", str(path), "--per-page", "5")
    assert result.stdout == "" and result.stderr == f"wrote 5 case(s) to {path}\n"
    heads, rows = table(book(path).active)
    assert heads == [xlsx.header(f) for f in queries.LIST_FIELDS]
    page = json.loads(run(cli, "list", "--status", "all", "-f", "json", "--per-page", "5").stdout)
    for cells, want in zip(rows, page["cases"], strict=True):
        assert [c.value for c in cells] == [expected_cell(f, want[f]) for f in queries.LIST_FIELDS]


# -- report --------------------------------------------------------------------------------
def test_report_xlsx_has_the_totals_the_breakdown_and_the_days(cli, cases, tmp_path):
    path = tmp_path / "report.xlsx"
    result = run(cli, "report", "--month", "2025-10", "--by", "category", "--xlsx", str(path))
    assert result.stdout == "" and result.stderr == f"wrote the 2025-10 report to {path}\n"
    wb = book(path)
    assert wb.sheetnames == ["Totals 2025-10", "By category", "Received per day"]
    data = json.loads(
        run(cli, "report", "--month", "2025-10", "--by", "category", "-f", "json").stdout
    )
    totals = [f for f in data["figures"] if f["group"] == "(all)"]
    heads, rows = table(wb["Totals 2025-10"])
    assert heads == ["Figure", "Unit", "This period", "Previous", "Change"]
    assert [[c.value for c in r[2:]] for r in rows] == [
        [f["value"], f["previous"], f["change"]] for f in totals
    ]
    assert rows[0][0].value == "Received" and rows[0][2].value == 4
    heads, rows = table(wb["By category"])
    assert heads[:2] == ["Category", "Figure"]
    groups = [f for f in data["figures"] if f["group"] != "(all)"]
    assert len(rows) == len(groups)
    assert {r[0].value for r in rows} == {
        "PQ Product quality",
        "BL Billing / price",
        "SA Service attitude",
        "(none)",
    }
    assert [c.value for c in rows[0][3:]] == [
        groups[0]["value"],
        groups[0]["previous"],
        groups[0]["change"],
    ]
    heads, rows = table(wb["Received per day"])
    assert [(r[0].value, r[1].value) for r in rows][8:10] == [
        (dt.datetime(2025, 10, 9), 1),
        (dt.datetime(2025, 10, 10), 1),
    ]
    assert rows[0][0].is_date and len(rows) == 31
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_report_without_by_has_no_breakdown_sheet(cli, cases, tmp_path):
    path = tmp_path / "report.xlsx"
    run(cli, "report", "--month", "2025-10", "--xlsx", str(path))
    assert book(path).sheetnames == ["Totals 2025-10", "Received per day"]


# -- refusals ------------------------------------------------------------------------------
def test_a_symbolic_link_target_is_refused_and_left_alone(cli, cases, tmp_path):
    real = tmp_path / "real.xlsx"
    real.write_text("keep")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    for args in (
        ("export", "--xlsx", str(link)),
        ("list", "--xlsx", str(link)),
        ("report", "--month", "2025-10", "--xlsx", str(link)),
    ):
        result = cli(*args)
        assert result.exit_code == 1, args
        assert "is a symbolic link, which is not followed" in result.stderr
        assert result.stderr.count("\n") == 1
    assert link.is_symlink() and real.read_text() == "keep"


def test_a_pipe_target_is_refused_and_stays_a_pipe(cli, cases, tmp_path):
    fifo = tmp_path / "reader"
    os.mkfifo(fifo)
    result = cli("report", "--month", "2025-10", "--xlsx", str(fifo))
    assert result.exit_code == 1
    assert result.stderr == f"error: --xlsx: {fifo} is a named pipe (FIFO), not a regular file\n"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_target_is_refused_and_never_replaced(cli, cases, tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    result = cli("export", "--xlsx", str(null))
    assert result.exit_code == 1
    assert "is a character device, not a regular file" in result.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "-", "--xlsx"), "--xlsx writes a file: give its name, not -"),
        (
            ("export", "X", "--xlsx", "-f", "jsonl"),
            "--xlsx writes a workbook of its own; leave out --format and --excel",
        ),
        (
            ("export", "X", "--xlsx", "--excel"),
            "--xlsx writes a workbook of its own; leave out --format and --excel",
        ),
        (
            ("list", "--xlsx", "X", "-f", "csv"),
            "--xlsx writes a workbook of its own; leave out --format",
        ),
        (("report", "--xlsx", "X", "--html", "Y"), "--html and --xlsx are two files: give one"),
    ],
)
def test_xlsx_with_another_output_is_a_usage_error_and_writes_nothing(
    cli, args, message, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("register.db")) == []


def test_without_openpyxl_the_error_says_how_to_install_it(cli, cases, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl → ImportError
    path = tmp_path / "cases.xlsx"
    for args in (("export", "--xlsx", str(path)), ("report", "--xlsx", str(path))):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.stderr == (
            "error: --xlsx needs openpyxl: pip install 'complaintctl[excel]'\n"
        )
    assert not path.exists()


# -- a real spreadsheet program --------------------------------------------------------------
def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is not installed; CI must install libreoffice-calc")
    pytest.skip("LibreOffice (soffice) is not installed: the spreadsheet round trip is not run")


@pytest.mark.slow
def test_libreoffice_opens_the_export_with_dates_as_dates_and_phones_as_digits(
    cli, cases, tmp_path
):
    soffice = _soffice()
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path), "--localise")
    out = tmp_path / "converted"
    started = time.monotonic()
    # Cell contents "as shown" (the 9th option): the dates as the number format writes them.
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert time.monotonic() - started < 60
    with open(out / "cases.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    data = jsonl(cli)
    assert len(rows) == len(data) == 7
    order = next(r for r in rows if r["Case"] == cases["order"])
    assert order["Received"] == "2025-10-13 09:05"
    assert order["Contact"] == "13812345678"  # not 1.38E+10
    assert order["Order"] == "00012345"  # the leading zeros kept
    assert order["Amount claimed"] == "120.50"
    assert order["Customer"] == HYPERLINK  # text, not a formula's result
    assert order["On hold"] == "Yes"
    for row, want in zip(rows, data, strict=True):
        assert row["Received"] == f"{local_naive(want['received_at']):%Y-%m-%d %H:%M}"
        assert row["Contact"] == want["contact"]
    assert {r["Category"] for r in rows} - {""} == {
        "Product quality",
        "Billing / price",
        "Service attitude",
    }


def test_a_text_longer_than_a_cell_holds_is_cut_with_a_warning(cli, register, tmp_path):
    log(register, local(2025, 10, 13, 9, 5), description="长" * 40_000 + "\x07")
    path = tmp_path / "cases.xlsx"
    result = run(cli, "export", "--xlsx", str(path))
    assert result.stderr == (
        "warning: 1 text(s) longer than 32,767 characters were cut to fit a cell\n"
        f"exported 1 case(s) to {path}\n"
    )
    heads, rows = table(book(path).active)
    text = rows[0][heads.index("Description")].value
    assert len(text) == 32_767 and text.endswith("长…")


def test_a_control_character_is_written_as_its_escape(cli, register, tmp_path):
    log(register, local(2025, 10, 13, 9, 5), description="响铃\x07了")
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path))
    heads, rows = table(book(path).active)
    assert rows[0][heads.index("Description")].value == "响铃\\x07了"


def test_more_rows_than_a_worksheet_holds_are_refused_and_nothing_is_written(
    cli, cases, tmp_path, monkeypatch
):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)  # a worksheet of the header and 4 rows
    path = tmp_path / "cases.xlsx"
    result = cli("export", "--xlsx", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --xlsx: more than 4 rows do not fit in a worksheet; filter the cases\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("register")) == []
    run(cli, "export", "--xlsx", str(path), "--category", "PQ")  # 2 cases fit
    assert len(table(book(path).active)[1]) == 2


def test_redact_masks_the_workbook_as_it_masks_the_csv(cli, cases, tmp_path):
    path = tmp_path / "cases.xlsx"
    run(cli, "export", "--xlsx", str(path), "--redact")
    heads, rows = table(book(path).active)
    data = jsonl(cli, "--redact")
    contact, name = heads.index("Contact"), heads.index("Customer")
    assert [(r[contact].value, r[name].value) for r in rows] == [
        (d["contact"], d["customer_name"]) for d in data
    ]
    assert "138****5678" in {r[contact].value for r in rows}
