"""`complaintctl import` against the README's contract: messy real-world CSV and JSON Lines
through a mapping, validated first, all-or-nothing, safe to re-run, and history replayed onto
the working-day calendar so that `report` is right for imported cases.

Every fixture file is generated in the test's tmp_path; the CLI runs in-process on the test's
own database (conftest: a SQLite file, and PostgreSQL when configured).  The real CFPB sample
is read where it lies, never copied, and its test is skipped when it is absent.  Office time
is Asia/Shanghai on the CN calendar.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from conftest import local, table_rows

from complaintctl import importer
from complaintctl.clock import WorkCalendar
from complaintctl.errors import CaseChanged, CaseNotFound, InvalidValue
from complaintctl.importer import ImportError_

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()  # CN public holidays and make-up days, nothing else
CFPB = Path(__file__).resolve().parents[2] / "shared" / "data" / "cfpb-complaints-sample.csv"
CFPB_ROWS = 6623
SUMMARY = re.compile(
    r"read (\d+), imported (\d+), already present (\d+), updated (\d+), rejected (\d+)"
)
CATEGORIES = "PQ, SA, TS, DL, BL, FE, SM, OT"
CHANNELS = "phone, email, online, social, letter, visit, other"

# A shop's export: its own column names and values (mapped by SHOP_MAPPING).
SHOP_HEADER = "Ref,Date,Via,Name,Contact,Subject,Details,Product,Category,Handler"
SHOP_COLUMNS = SHOP_HEADER.split(",")
SHOP_MAPPING = """\
[columns]
external_ref = "Ref"
received_at = "Date"
channel = "Via"
customer_name = "Name"
contact = "Contact"
summary = "Subject"
description = "Details"
product = "Product"
category = "Category"
owner = "Handler"

[values.channel]
Web = "online"
Phone = "phone"
Email = "email"
Letter = "letter"

[values.category]
Quality = "PQ"
Billing = "BL"
Delivery = "DL"
"""
# Our own field names: a file imported without --mapping.
OUR_HEADER = "external_ref,received_at,channel,customer_name,contact,summary"


# -- helpers ------------------------------------------------------------------------------
def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def shop_mapping(tmp_path: Path, extra: str = "") -> Path:
    return write(tmp_path / "shop.toml", SHOP_MAPPING + extra)


def summary_of(result) -> tuple[int, int, int, int, int]:
    """(read, imported, already present, updated, rejected) from the summary line, which
    must be the last line on stdout."""
    lines = result.stdout.strip().splitlines()
    assert lines, (result.exit_code, result.stdout, result.stderr)
    m = SUMMARY.fullmatch(lines[-1])
    assert m, f"not a summary line: {lines[-1]!r}"
    return tuple(int(x) for x in m.groups())


def stderr_lines(result) -> list[str]:
    return result.stderr.strip().splitlines()


def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the database, whichever the backend."""
    return table_rows(db_url)


def _read(db_url: str, sql: str, **params) -> list[tuple]:
    """The rows of one query on the test's database, or [] when it has no register yet
    (a SQLite file that does not exist is not created by looking)."""
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as con:
            if not sa.inspect(con).has_table("cases"):
                return []
            return [tuple(r) for r in con.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def case_count(db_url: str) -> int:
    rows = _read(db_url, "SELECT count(*) FROM cases")
    return rows[0][0] if rows else 0


def stored(db_url: str, ref: str, column: str) -> dt.datetime | None:
    """A time column of the case with external reference `ref`, as stored (naive UTC)."""
    ((value,),) = _read(db_url, f'SELECT "{column}" FROM cases WHERE external_ref = :ref', ref=ref)
    if isinstance(value, str):  # SQLite keeps a datetime as ISO text
        value = dt.datetime.fromisoformat(value)
    return value


def exported(cli, *global_options: str) -> list[dict]:
    out = cli.ok(*global_options, "export", "-", "--format", "jsonl")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def by_ref(cli, *global_options: str) -> dict[str, dict]:
    return {c["external_ref"]: c for c in exported(cli, *global_options)}


def show(cli, number: str) -> dict:
    return json.loads(cli.ok("show", number, "--format", "json"))


def local_day(t: dt.datetime) -> dt.date:
    return t.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).date()


def office(t: dt.datetime) -> str:
    """A naive-UTC time as show/export print it (ISO 8601 with the office's offset)."""
    return t.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).isoformat()


# -- 1. messy real-world CSV --------------------------------------------------------------
MESSY = (
    "\ufeff" + SHOP_HEADER + "\n"
    'M-1,2025/9/1 09:12,Web,赵敏,13900001111,空调不制冷,"安装后第二天不制冷，\n'
    '师傅说要等配件, 下周再来",KFR-35,Quality,李娜\n'
    "\n"
    'M-2,2025/9/2 14:40,Phone,"Acme Trading, Ltd",ops@acme.example,'
    '"Invoice ""INV-7"" charged twice",,,Billing,\n'
    "\n"
    "\n"
    "M-3,2025-09-05T08:30:00+08:00,Email,钱进,qianjin@example.cn,快递丢件,,,Delivery,王芳\n"
)


def test_a_messy_csv_with_a_bom_quoted_newlines_commas_chinese_and_blank_lines_imports_exactly(
    cli, tmp_path, db_url
):
    source = write(tmp_path / "messy.csv", MESSY)
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (3, 3, 0, 0, 0)
    cases = by_ref(cli)
    assert sorted(cases) == ["M-1", "M-2", "M-3"]
    m1, m2, m3 = cases["M-1"], cases["M-2"], cases["M-3"]
    assert m1["received_at"] == "2025-09-01T09:12:00+08:00"
    assert m1["channel"] == "online"
    assert m1["customer_name"] == "赵敏"
    assert m1["summary"] == "空调不制冷"
    assert m1["description"] == "安装后第二天不制冷，\n师傅说要等配件, 下周再来"
    assert (m1["product"], m1["category"], m1["owner"]) == ("KFR-35", "PQ", "李娜")
    assert m2["customer_name"] == "Acme Trading, Ltd"
    assert m2["summary"] == 'Invoice "INV-7" charged twice'
    assert (m2["channel"], m2["category"]) == ("phone", "BL")
    # blank optional cells are no value, not empty strings
    assert (m2["description"], m2["product"], m2["owner"]) == (None, None, None)
    assert m3["received_at"] == "2025-09-05T08:30:00+08:00"
    assert (m3["customer_name"], m3["channel"], m3["category"]) == ("钱进", "email", "DL")
    # the header's first column was read despite the BOM (external_ref is set on every case)
    notes = {ref: show(cli, c["number"])["history"] for ref, c in cases.items()}
    assert [h["note"] for h in notes["M-2"]] == ["imported from messy.csv line 5"]
    assert [h["note"] for h in notes["M-3"]] == ["imported from messy.csv line 8"]


def test_a_bad_row_after_a_multi_line_record_and_blank_lines_is_reported_at_its_own_line(
    cli, tmp_path, db_url
):
    source = write(tmp_path / "messy.csv", MESSY.replace(",Email,钱进", ",Pigeon,钱进"))
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"line 8: Via: 'Pigeon': channel 'Pigeon' is not mapped; allowed: {CHANNELS}",
        "error: 1 bad row(s): nothing was imported",
    ]
    assert case_count(db_url) == 0


GBK_TEXT = (
    SHOP_HEADER + "\n"
    "G-1,2025/9/8 16:05,Letter,孙丽,13900002222,门店环境脏乱,地面有积水，无人清理,,,王芳\n"
    "G-2,2025/9/9 10:00,Phone,周杰,13900003333,广告与实物不符,"
    '"宣传册写的是不锈钢，\n实物是塑料",,,\n'
)


def test_a_gbk_encoded_file_imports_with_encoding_gbk(cli, tmp_path):
    source = write(tmp_path / "gbk.csv", GBK_TEXT, encoding="gbk")
    result = cli(
        "import", str(source), "--mapping", str(shop_mapping(tmp_path)), "--encoding", "gbk"
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (2, 2, 0, 0, 0)
    cases = by_ref(cli)
    assert (cases["G-1"]["customer_name"], cases["G-1"]["summary"]) == ("孙丽", "门店环境脏乱")
    assert cases["G-1"]["description"] == "地面有积水，无人清理"
    assert cases["G-1"]["owner"] == "王芳"
    assert cases["G-2"]["description"] == "宣传册写的是不锈钢，\n实物是塑料"
    assert cases["G-2"]["channel"] == "phone"


def test_a_gbk_file_read_as_utf8_is_a_one_line_error_naming_encoding_and_writes_nothing(
    cli, tmp_path, db_url
):
    cli.ok("db", "init")
    before = snapshot(db_url)
    source = write(tmp_path / "gbk.csv", GBK_TEXT, encoding="gbk")
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "--encoding" in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(db_url) == before


DATE_FORMS = [
    ("2025-10-03", local(2025, 10, 3, 0, 0)),
    ("2025/10/3", local(2025, 10, 3, 0, 0)),
    ("2025.10.3", local(2025, 10, 3, 0, 0)),
    ("2025/10/3 14:05", local(2025, 10, 3, 14, 5)),
    ("2025-10-03 14:05", local(2025, 10, 3, 14, 5)),
    ("2025-10-03T14:05:00+08:00", local(2025, 10, 3, 14, 5)),
    ("2025-10-03T15:05:00+09:00", local(2025, 10, 3, 14, 5)),
    ("2025-10-03T06:05:00Z", local(2025, 10, 3, 14, 5)),
    ("13/03/2025", local(2025, 3, 13, 0, 0)),  # 13 cannot be a month: not ambiguous
    ("03/13/2025 08:30", local(2025, 3, 13, 8, 30)),
]
# A column's day/month order is one for the whole column (tests/test_import_real.py):
# the two slash forms are each imported from a file of their own.
MONTH_FIRST_FORM = DATE_FORMS.pop()


def test_dates_in_every_documented_form_are_read_in_office_time_unless_they_carry_an_offset(
    cli, tmp_path, db_url
):
    rows = [
        [f"D-{i}", text, "phone", "王伟", "138", "漏水"] for i, (text, _) in enumerate(DATE_FORMS)
    ]
    source = write(tmp_path / "dates.csv", csv_text(OUR_HEADER.split(","), rows))
    result = cli("import", str(source))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (len(DATE_FORMS), len(DATE_FORMS), 0, 0, 0)
    got = {text: stored(db_url, f"D-{i}", "received_at") for i, (text, _) in enumerate(DATE_FORMS)}
    assert got == dict(DATE_FORMS)
    text, expected = MONTH_FIRST_FORM
    rows = [["D-M", text, "phone", "王伟", "138", "漏水"]]
    cli.ok("import", str(write(tmp_path / "m.csv", csv_text(OUR_HEADER.split(","), rows))))
    assert stored(db_url, "D-M", "received_at") == expected


@pytest.mark.parametrize(
    "option, expected",
    [("--monthfirst", local(2025, 10, 3, 14, 5)), ("--dayfirst", local(2025, 3, 10, 14, 5))],
)
def test_10_03_2025_is_3_october_with_monthfirst_and_10_march_with_dayfirst(
    cli, tmp_path, db_url, option, expected
):
    rows = [["X-1", "10/03/2025 14:05", "phone", "王伟", "138", "漏水"]]
    source = write(tmp_path / "d.csv", csv_text(OUR_HEADER.split(","), rows))
    result = cli("import", str(source), option)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert stored(db_url, "X-1", "received_at") == expected


@pytest.mark.parametrize("text", ["10/03/2025", "10.03.2025", "10-03-2025", "10/03/2025 14:05"])
def test_10_03_2025_without_dayfirst_or_monthfirst_is_reported_as_ambiguous(
    cli, tmp_path, db_url, text
):
    rows = [
        ["X-1", "2025-10-02 09:00", "phone", "王伟", "138", "漏水"],
        ["X-2", text, "phone", "李雷", "139", "漏电"],
    ]
    source = write(tmp_path / "d.csv", csv_text(OUR_HEADER.split(","), rows))
    result = cli("import", str(source))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    # The whole column is in question, not one row: one error for the file.
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: column 'received_at': every date like {text} (line 3) ")
    assert "--dayfirst" in line and "--monthfirst" in line and "date_order" in line
    assert case_count(db_url) == 0


@pytest.mark.parametrize("text", ["2025", "5", "2025/10"])
def test_a_cell_without_year_month_and_day_is_a_bad_row_not_a_guessed_date(
    cli, tmp_path, db_url, text
):
    rows = [["X-1", text, "phone", "王伟", "138", "漏水"]]
    source = write(tmp_path / "d.csv", csv_text(OUR_HEADER.split(","), rows))
    result = cli("import", str(source))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert stderr_lines(result)[0].startswith(
        f"line 2: received_at: '{text}': received_at is not a date/time"
    )
    assert case_count(db_url) == 0


def test_dayfirst_and_monthfirst_together_are_a_usage_error(cli, tmp_path):
    source = write(tmp_path / "d.csv", OUR_HEADER + "\n")
    result = cli("import", str(source), "--dayfirst", "--monthfirst")
    assert result.exit_code == 2
    assert len(stderr_lines(result)) == 1


def test_a_truncated_last_record_stops_the_import_naming_the_line_where_it_starts(
    cli, tmp_path, db_url
):
    text = (
        OUR_HEADER + ",description\n"
        'T-1,2025-10-03 09:00,phone,王伟,138,漏水,"first line\nsecond line"\n'
        "\n"
        'T-2,2025-10-03 10:00,phone,李雷,139,漏电,"the customer said\nthe machine'
    )
    cli.ok("db", "init")
    before = snapshot(db_url)
    result = cli("import", str(write(tmp_path / "t.csv", text)))
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: line 5: "), lines[0]
    assert "Traceback" not in result.output
    assert snapshot(db_url) == before


def test_a_row_with_the_wrong_number_of_fields_is_a_bad_row_that_stops_the_import(
    cli, tmp_path, db_url
):
    text = (
        OUR_HEADER + "\n"
        "W-1,2025-10-03 09:00,phone,王伟,138,漏水\n"
        "W-2,2025-10-03 10:00,phone,李雷,139\n"
        "W-3,2025-10-03 11:00,phone,韩梅,137,漏油\n"
    )
    result = cli("import", str(write(tmp_path / "w.csv", text)))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        "line 3: summary: '': the record has 5 fields, the header has 6 "
        "(a truncated or malformed record)",
        "error: 1 bad row(s): nothing was imported",
    ]
    assert case_count(db_url) == 0


def test_a_mapping_naming_a_column_the_file_lacks_stops_at_line_1_naming_the_column(
    cli, tmp_path, db_url
):
    header = SHOP_HEADER.replace(",Handler", "")
    source = write(
        tmp_path / "s.csv",
        header + "\nN-1,2025/9/1 09:12,Web,赵敏,139,空调不制冷,,,Quality\n",
    )
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: line 1: ") and "'Handler'" in lines[0]
    assert case_count(db_url) == 0


# -- 2. validate first, all or nothing, safe to re-run -------------------------------------
def shop_rows(prefix: str, n: int, start: int = 1) -> list[list[str]]:
    """n good rows of the shop's export."""
    return [
        [
            f"{prefix}-{i}",
            f"2025/{1 + i % 12}/{1 + i % 28} {8 + i % 10:02d}:{i % 60:02d}",
            ("Web", "Phone", "Email", "Letter")[i % 4],
            f"客户{i}",
            f"139{i:08d}",
            f"投诉 {i}",
            "",
            "",
            ("Quality", "Billing", "Delivery")[i % 3],
            "",
        ]
        for i in range(start, start + n)
    ]


def test_importing_the_same_file_twice_creates_nothing_the_second_time(cli, tmp_path, db_url):
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, shop_rows("R", 3)))
    mapping = shop_mapping(tmp_path)
    first = cli("import", str(source), "--mapping", str(mapping))
    assert first.exit_code == 0, first.stderr
    assert summary_of(first) == (3, 3, 0, 0, 0)
    after_first = snapshot(db_url)
    # The same bytes are refused as a whole (tests/test_import_batches.py); asked --again,
    # the rows are still recognised one by one by their reference.
    refused = cli("import", str(source), "--mapping", str(mapping))
    assert refused.exit_code == 1 and "imported already, as batch 1" in refused.stderr
    second = cli("import", str(source), "--mapping", str(mapping), "--again")
    assert second.exit_code == 0, second.stderr
    assert summary_of(second) == (3, 0, 3, 0, 0)
    assert case_count(db_url) == 3
    assert snapshot(db_url) == after_first  # not even a history entry


def dry_run_file(tmp_path: Path) -> Path:
    rows = [
        ["B-1", "2025-10-02 09:00", "phone", "王伟", "138", "漏水"],
        ["B-2", "2025-13-45", "phone", "李雷", "139", "漏电"],
        ["B-3", "2025-10-02 10:00", "email", "韩梅", "137", "漏油"],
        ["B-4", "2025-10-02 11:00", "fax", "赵敏", "136", "噪音"],
        ["B-5", "2025-10-02 12:00", "online", "钱进", "135", ""],
        ["B-6", "2025-10-02 13:00", "letter", "孙丽", "134", "异味"],
    ]
    return write(tmp_path / "b.csv", csv_text(OUR_HEADER.split(","), rows))


def test_dry_run_lists_exactly_the_three_bad_rows_and_writes_nothing(cli, tmp_path, db_url):
    cli.ok("db", "init")
    before = snapshot(db_url)
    result = cli("import", str(dry_run_file(tmp_path)), "--dry-run")
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 4, lines
    assert lines[0].startswith("line 3: received_at: '2025-13-45': received_at is not a date")
    assert lines[1] == f"line 5: channel: 'fax': channel 'fax' is not mapped; allowed: {CHANNELS}"
    assert lines[2] == "line 6: summary: '': summary is required"
    assert lines[3].startswith("error: 3 bad row(s)")
    out = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"read 6, (would import|imported) 3, already present 0, updated 0, rejected 3", out
    ), out
    assert snapshot(db_url) == before


def test_dry_run_of_a_good_file_exits_0_and_writes_nothing(cli, tmp_path, db_url):
    cli.ok("db", "init")
    before = snapshot(db_url)
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, shop_rows("R", 4)))
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert snapshot(db_url) == before


def hold_some_cases(cli, tmp_path: Path) -> None:
    """Cases from an earlier import and one logged and acknowledged by hand."""
    source = write(tmp_path / "earlier.csv", csv_text(SHOP_COLUMNS, shop_rows("P", 3)))
    cli.ok("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    out = cli.ok(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
        "--summary", "洗衣机漏水", "--received-at", "2025-10-09 09:00", "--quiet",
    )  # fmt: skip
    cli.ok("ack", out.strip(), "--at", "2025-10-09 10:00")


@pytest.mark.parametrize("holding", [False, True], ids=["empty register", "holding cases"])
def test_a_failed_import_leaves_every_row_of_every_table_unchanged(cli, tmp_path, db_url, holding):
    cli.ok("db", "init")
    rows = shop_rows("F", 2100)  # more than one batch of 2,000 is written before the bad row
    extra: tuple[str, ...] = ()
    if holding:
        hold_some_cases(cli, tmp_path)
        changed = shop_rows("P", 3)
        for r in changed:
            r[9] = "新负责人"  # their owner changed: --update would rewrite them
        rows = changed + rows
        extra = ("--update",)
    rows.append(["F-BAD", "2099-01-01 09:00", "Web", "未来", "1", "来自未来"] + [""] * 4)
    source = write(tmp_path / "f.csv", csv_text(SHOP_COLUMNS, rows))
    before = snapshot(db_url)
    assert len(before["cases"]) == (4 if holding else 0)
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)), *extra)
    assert result.exit_code == 1
    assert stderr_lines(result)[0].startswith(f"line {len(rows) + 1}: Date: ")
    assert stderr_lines(result)[-1] == "error: 1 bad row(s): nothing was imported"
    assert snapshot(db_url) == before


def test_a_time_in_the_future_or_before_receipt_is_a_bad_row_quoting_the_cell(
    cli, tmp_path, db_url
):
    rows = [
        history_row("Z-1", received_at="2099-01-01 09:00"),
        history_row("Z-2", acknowledged_at="2025/8/31 23:00"),
        history_row("Z-3", acknowledged_at="2025-09-01 09:30"),
    ]
    result = cli("import", str(write(tmp_path / "z.csv", csv_text(HISTORY_HEADER, rows))))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        "line 2: received_at: '2099-01-01 09:00': received_at is in the future",
        "line 3: acknowledged_at: '2025/8/31 23:00': acknowledged_at is before received_at",
        "error: 2 bad row(s): nothing was imported",
    ]
    assert case_count(db_url) == 0


def test_a_failed_import_still_prints_the_summary_line_with_nothing_imported(cli, tmp_path):
    result = cli("import", str(dry_run_file(tmp_path)))
    assert result.exit_code == 1
    assert summary_of(result) == (6, 0, 0, 0, 3)


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_with_their_columns(
    cli, tmp_path, db_url
):
    rows = shop_rows("S", 5)
    rows[1][2] = "Pigeon"  # line 3
    rows[3][1] = "2025/02/30 10:00"  # line 6: rows[2] spans lines 4-5
    rows[3][6] = "第一行\n第二行, with a comma"
    rows[2][6] = "多行\n描述"
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    rejects = tmp_path / "rejects.csv"
    result = cli(
        "import", str(source), "--mapping", str(shop_mapping(tmp_path)),
        "--skip-invalid", str(rejects),
    )  # fmt: skip
    assert result.exit_code == 3, (result.stdout, result.stderr)  # imported, rows rejected
    assert summary_of(result) == (5, 3, 0, 0, 2)
    assert sorted(by_ref(cli)) == ["S-1", "S-3", "S-5"]
    with rejects.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        got = list(reader)
    assert reader.fieldnames == ["line", "field", "value", "reason", *SHOP_COLUMNS]
    assert [(r["line"], r["field"], r["value"]) for r in got] == [
        ("3", "Via", "Pigeon"),
        ("6", "Date", "2025/02/30 10:00"),
    ]
    assert got[0]["reason"] == f"channel 'Pigeon' is not mapped; allowed: {CHANNELS}"
    assert got[1]["reason"].startswith("received_at ")
    assert [[r[c] for c in SHOP_COLUMNS] for r in got] == [rows[1], rows[3]]


def test_a_reference_twice_in_one_file_is_a_bad_row(cli, tmp_path, db_url):
    rows = shop_rows("D", 3)
    rows.append(list(rows[0]))
    rows[3][5] = "又一次"
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        "line 5: Ref: 'D-1': external_ref appears twice in this file",
        "error: 1 bad row(s): nothing was imported",
    ]
    assert case_count(db_url) == 0


HISTORY_HEADER = [
    "external_ref", "received_at", "channel", "customer_name", "contact", "summary",
    "acknowledged_at", "classified_at", "category", "severity", "kind", "assigned_at",
    "department", "owner", "investigated_at", "findings", "resolved_at", "remedy",
    "feedback_at", "feedback_score", "closed_at", "close_reason", "reject_reason",
]  # fmt: skip


def history_row(ref: str, **cells: str) -> list[str]:
    row = dict.fromkeys(HISTORY_HEADER, "")
    row.update(
        external_ref=ref,
        received_at="2025-09-01 09:00",
        channel="phone",
        customer_name="王伟",
        contact="13800000000",
        summary="洗衣机漏水",
    )
    row.update(cells)
    return [row[h] for h in HISTORY_HEADER]


CLOSED = dict(
    acknowledged_at="2025-09-01 09:30",
    classified_at="2025-09-01 10:00",
    category="PQ",
    severity="C",
    kind="general",
    assigned_at="2025-09-01 11:00",
    department="QA",
    owner="李娜",
    investigated_at="2025-09-03 16:00",
    findings="密封圈老化",
    resolved_at="2025-09-05 10:00",
    remedy="repair",
    closed_at="2025-09-10 10:00",
    close_reason="客户未回访",
)


def update_files(tmp_path: Path) -> tuple[Path, Path]:
    """The original file and the same with U-1's owner and closing time changed."""
    rows = [history_row("U-1", **CLOSED), history_row("U-2", acknowledged_at="2025-09-01 09:10")]
    original = write(tmp_path / "orig.csv", csv_text(HISTORY_HEADER, rows))
    rows[0][HISTORY_HEADER.index("owner")] = "王芳"
    rows[0][HISTORY_HEADER.index("closed_at")] = "2025-09-11 15:30"
    changed = write(tmp_path / "changed.csv", csv_text(HISTORY_HEADER, rows))
    return original, changed


def test_without_update_a_changed_row_is_ignored_as_already_present(cli, tmp_path, db_url):
    original, changed = update_files(tmp_path)
    cli.ok("import", str(original))
    before = snapshot(db_url)
    result = cli("import", str(changed))
    assert result.exit_code == 0, result.stderr
    assert summary_of(result) == (2, 0, 2, 0, 0)
    assert snapshot(db_url) == before
    assert by_ref(cli)["U-1"]["owner"] == "李娜"


def test_update_rewrites_the_changed_case_and_records_the_changed_fields_in_its_history(
    cli, tmp_path, db_url
):
    original, changed = update_files(tmp_path)
    cli.ok("import", str(original))
    number = by_ref(cli)["U-1"]["number"]
    result = cli("import", str(changed), "--update")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert case_count(db_url) == 2
    case = show(cli, number)
    assert case["number"] == number
    assert (case["owner"], case["closed_at"]) == ("王芳", "2025-09-11T15:30:00+08:00")
    assert (case["step"], case["outcome"]) == ("closed", "closed")
    history = case["history"]
    assert [h["action"] for h in history] == ["import", "import"]
    changes = history[-1]["changes"]
    assert changes["owner"] == ["李娜", "王芳"]
    assert changes["closed_at"] == ["2025-09-10T10:00:00+08:00", "2025-09-11T15:30:00+08:00"]
    assert history[-1]["note"] == "updated from changed.csv line 2"


def test_update_leaves_unchanged_rows_alone_and_records_only_what_the_row_changed(
    cli, tmp_path, db_url
):
    original, changed = update_files(tmp_path)
    cli.ok("import", str(original))
    u2_before = show(cli, by_ref(cli)["U-2"]["number"])
    result = cli("import", str(changed), "--update")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (2, 0, 1, 1, 0)
    u2_after = show(cli, u2_before["number"])
    assert u2_after == u2_before  # no history entry, logged_at kept
    u1 = show(cli, by_ref(cli)["U-1"]["number"])
    assert set(u1["history"][-1]["changes"]) & {"logged_at", "logged_by", "version"} == set()
    # and an unchanged file with --update changes nothing at all
    before = snapshot(db_url)
    again = cli("import", str(changed), "--update", "--again")
    assert again.exit_code == 0, (again.stdout, again.stderr)
    assert summary_of(again) == (2, 0, 2, 0, 0)
    assert snapshot(db_url) == before


@pytest.mark.slow
def test_a_case_can_be_updated_again_by_a_later_update_run(cli, tmp_path, db_url):
    original, changed = update_files(tmp_path)
    cli.ok("import", str(original))
    first = cli("import", str(changed), "--update")
    assert first.exit_code == 0, (first.stdout, first.stderr)
    text = changed.read_text(encoding="utf-8").replace("王芳", "张伟")
    later = write(tmp_path / "later.csv", text)
    result = cli("import", str(later), "--update")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    case = show(cli, by_ref(cli)["U-1"]["number"])
    assert case["owner"] == "张伟"
    assert case["history"][-1]["changes"]["owner"] == ["王芳", "张伟"]
    assert case_count(db_url) == 2


# -- 3. history lands at the right step, deadlines from the calendar -------------------------
def test_assigned_on_30_september_at_10_is_due_for_investigation_on_11_october_at_18(cli, tmp_path):
    row = history_row(
        "H-1",
        received_at="2025-09-30 09:00",
        acknowledged_at="2025-09-30 09:10",
        classified_at="2025-09-30 09:30",
        category="PQ",
        severity="B",
        kind="general",
        assigned_at="2025-09-30 10:00",
        department="QA",
        owner="李娜",
    )
    cli.ok("import", str(write(tmp_path / "h.csv", csv_text(HISTORY_HEADER, [row]))))
    case = show(cli, by_ref(cli)["H-1"]["number"])
    assert case["step"] == "investigate"
    assert case["deadlines"]["acknowledge"] == {
        "due": "2025-10-01T09:00:00+08:00",
        "done": "2025-09-30T09:10:00+08:00",
        "status": "on time",
    }
    assert case["deadlines"]["investigate"]["due"] == "2025-10-11T18:00:00+08:00"
    assert case["deadlines"]["investigate"]["done"] is None
    assert case["due_at"] == "2025-10-11T18:00:00+08:00"


LANDINGS = {
    "nothing done: acknowledge": ({}, "acknowledge", None),
    "only acknowledged: classify": ({"acknowledged_at": "2025-09-01 09:30"}, "classify", None),
    "classified: assign": (
        {k: CLOSED[k] for k in ("acknowledged_at", "classified_at", "category", "severity")},
        "assign",
        None,
    ),
    "investigated: resolve": (
        {k: v for k, v in CLOSED.items() if k not in ("resolved_at", "closed_at", "close_reason")},
        "resolve",
        None,
    ),
    "resolved without feedback: feedback": (
        {k: v for k, v in CLOSED.items() if k not in ("closed_at", "close_reason")},
        "feedback",
        None,
    ),
    "closed with score 5: satisfied": (
        {**CLOSED, "feedback_at": "2025-09-08 10:00", "feedback_score": "5"},
        "closed",
        "satisfied",
    ),
    "score 5 without a closing time: satisfied": (
        {
            **{k: v for k, v in CLOSED.items() if k not in ("closed_at", "close_reason")},
            "feedback_at": "2025-09-08 10:00",
            "feedback_score": "5",
        },
        "closed",
        "satisfied",
    ),
    "closed with a reason: closed": (CLOSED, "closed", "closed"),
    "reject reason: rejected": (
        {
            "acknowledged_at": "2025-09-01 09:30",
            "classified_at": "2025-09-01 10:00",
            "reject_reason": "不属于投诉范围",
        },
        "rejected",
        "rejected",
    ),
}


@pytest.mark.parametrize("cells, step, outcome", LANDINGS.values(), ids=LANDINGS.keys())
def test_an_imported_case_lands_at_the_step_after_its_last_step_time(
    cli, tmp_path, cells, step, outcome
):
    row = history_row("L-1", **cells)
    result = cli("import", str(write(tmp_path / "l.csv", csv_text(HISTORY_HEADER, [row]))))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    case = show(cli, by_ref(cli)["L-1"]["number"])
    assert (case["step"], case["outcome"]) == (step, outcome)
    assert [(h["action"], h["step_to"]) for h in case["history"]] == [("import", step)]
    assert case["history"][0]["at"] == "2025-09-01T09:00:00+08:00"


def test_a_resolved_case_waits_for_feedback_for_7_working_days(cli, tmp_path):
    cells = {k: v for k, v in CLOSED.items() if k not in ("closed_at", "close_reason")}
    row = history_row("L-1", **cells)
    cli.ok("import", str(write(tmp_path / "l.csv", csv_text(HISTORY_HEADER, [row]))))
    case = show(cli, by_ref(cli)["L-1"]["number"])
    d = case["deadlines"]
    # assigned Mon 1 Sep 11:00 -> Thu 4 Sep 18:00; investigated Wed 3 Sep -> Wed 10 Sep 18:00;
    # resolved Fri 5 Sep -> 7 working days -> Tue 16 Sep 18:00
    assert d["investigate"] == {
        "due": "2025-09-04T18:00:00+08:00",
        "done": "2025-09-03T16:00:00+08:00",
        "status": "on time",
    }
    assert d["resolve"]["due"] == "2025-09-10T18:00:00+08:00"
    assert d["feedback"]["due"] == "2025-09-16T18:00:00+08:00"


# -- 3b. a year of history: report --year against an independent computation ---------------
def wd_due(start: dt.datetime, n: int) -> dt.datetime:
    """Closing time (18:00) on the n-th working day after the local day `start` falls on,
    counted day by day over the CN calendar."""
    day, counted = local_day(start), 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += CALENDAR.is_working_day(day)
    return local(day.year, day.month, day.day, 18, 0)


def cell(t: dt.datetime | None, style: int) -> str:
    """A naive-UTC time as a source file writes it, in one of three forms."""
    if t is None:
        return ""
    w = t.replace(tzinfo=dt.UTC).astimezone(SHANGHAI)
    if style == 0:
        return w.strftime("%Y-%m-%d %H:%M")
    if style == 1:
        return f"{w.year}/{w.month}/{w.day} {w.hour}:{w.minute:02d}"
    return w.isoformat()


def _mins(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randint(lo, hi))


def _against(rng: random.Random, start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """A step time after `start`: well before `due`, exactly at it, or late."""
    kind = rng.choices(("early", "exact", "late"), weights=(6, 1, 3))[0]
    if kind == "exact":
        return due
    if kind == "late":
        return due + _mins(rng, 1, 4 * 24 * 60)
    span = int((due - start).total_seconds() // 60)
    return start + _mins(rng, 1, span - 1)


ENDINGS = (
    ("received", 4), ("acknowledged", 6), ("classified", 5), ("rejected", 10),
    ("assigned", 6), ("investigated", 8), ("resolved", 12), ("unhappy", 7),
    ("satisfied", 22), ("closed", 20),
)  # fmt: skip
ORDER = ("received", "acknowledged", "classified", "assigned", "investigated", "resolved")


def year_of_history(seed: int = 2025) -> list[dict]:
    """~300 complaints received across 2025 (and eleven in December 2024), each stopped at
    a random step, each step on time, exactly at its deadline, or late."""
    rng = random.Random(seed)
    start = local(2025, 1, 1, 0, 0)
    minutes_2025 = 365 * 24 * 60 - 1
    receipts = [start + _mins(rng, 0, minutes_2025) for _ in range(288)]
    receipts += [local(2024, 12, 1, 0, 0) + _mins(rng, 0, 31 * 24 * 60 - 1) for _ in range(10)]
    receipts += [local(2024, 12, 31, 23, 59), local(2025, 1, 1, 0, 0), local(2025, 12, 31, 23, 59)]
    rows = []
    for i, received in enumerate(receipts):
        ending = rng.choices([e for e, _ in ENDINGS], weights=[w for _, w in ENDINGS])[0]
        r: dict = {"ref": f"Y-{i:04d}", "received_at": received, "ending": ending}
        reach = {
            "rejected": 2,
            "unhappy": 6,
            "satisfied": 6,
            "closed": 6,
        }.get(ending, ORDER.index(ending) if ending in ORDER else 0)
        if reach >= 1:
            r["acknowledged_at"] = _against(rng, received, received + dt.timedelta(hours=24))
        if reach >= 2:
            r["classified_at"] = r["acknowledged_at"] + _mins(rng, 5, 24 * 60)
            if ending == "rejected":
                r["reject_reason"] = "不属于投诉范围"
                if rng.random() < 0.5:
                    r["closed_at"] = r["classified_at"] + _mins(rng, 0, 60)
                if rng.random() < 0.2:  # rejected on the spot, nothing else recorded
                    del r["acknowledged_at"]
        if reach >= 3:
            r["assigned_at"] = r["classified_at"] + _mins(rng, 5, 2 * 24 * 60)
        if reach >= 4:
            r["investigated_at"] = _against(rng, r["assigned_at"], wd_due(r["assigned_at"], 3))
        if reach >= 5:
            r["resolved_at"] = _against(rng, r["investigated_at"], wd_due(r["investigated_at"], 5))
        if ending in ("unhappy", "satisfied"):
            r["feedback_at"] = r["resolved_at"] + _mins(rng, 60, 10 * 24 * 60)
            r["feedback_score"] = rng.randint(1, 3) if ending == "unhappy" else rng.randint(4, 5)
            if ending == "satisfied" and rng.random() < 0.5:
                r["closed_at"] = r["feedback_at"]
        if ending == "closed":
            r["closed_at"] = r["resolved_at"] + _mins(rng, 60, 12 * 24 * 60)
            if rng.random() < 0.3:
                r["feedback_at"] = r["resolved_at"] + _mins(rng, 30, 59)
                r["feedback_score"] = rng.randint(1, 3)
        rows.append(r)
    return rows


def pct(num: int, den: int) -> float | None:
    return round(100 * num / den, 1) if den else None


def year_figures(rows: list[dict], year: int) -> dict[str, int | float | None]:
    """The README's definitions over the source rows, for local calendar year `year`."""

    def inside(t: dt.datetime | None) -> bool:
        return t is not None and local_day(t).year == year

    def ended(r: dict) -> dt.datetime | None:  # closed, or closed by a satisfied score
        if r.get("closed_at"):
            return r["closed_at"]
        if r.get("feedback_at") and r.get("feedback_score", 0) >= 4:
            return r["feedback_at"]
        return None

    received = [r for r in rows if inside(r["received_at"])]
    out: dict[str, int | float | None] = {
        "received": len(received),
        "accepted": sum(
            bool(r.get("classified_at")) and "reject_reason" not in r for r in received
        ),
        "rejected": sum("reject_reason" in r for r in received),
        "closed": sum("reject_reason" not in r and inside(ended(r)) for r in rows),
        "resolved": sum(inside(r.get("resolved_at")) for r in rows),
    }
    clocks = {
        "ontime_acknowledge": ("acknowledged_at", lambda r: r["received_at"] + dt.timedelta(1)),
        "ontime_investigate": ("investigated_at", lambda r: wd_due(r["assigned_at"], 3)),
        "ontime_resolve": ("resolved_at", lambda r: wd_due(r["investigated_at"], 5)),
    }
    for key, (done, due) in clocks.items():
        cohort = [r for r in rows if inside(r.get(done))]
        out[key] = pct(sum(r[done] <= due(r) for r in cohort), len(cohort))
    return out


YEAR_MAPPING = """\
[columns]
external_ref = "工单号"
received_at = "受理时间"
channel = "渠道"
customer_name = "客户"
contact = "联系电话"
summary = "标题"
acknowledged_at = "确认时间"
classified_at = "分类时间"
category = "类别"
severity = "等级"
reject_reason = "驳回原因"
assigned_at = "指派时间"
department = "部门"
owner = "处理人"
investigated_at = "调查完成"
resolved_at = "解决时间"
feedback_at = "回访时间"
feedback_score = "评分"
closed_at = "结案时间"

[defaults]
kind = "general"

[values.channel]
"电话" = "phone"
"网站" = "online"
"邮件" = "email"
"来访" = "visit"

[values.category]
"质量" = "PQ"
"服务" = "SA"
"物流" = "DL"
"价格" = "BL"
"""
YEAR_HEADER = [
    "工单号", "受理时间", "渠道", "客户", "联系电话", "标题", "确认时间", "分类时间", "类别",
    "等级", "驳回原因", "指派时间", "部门", "处理人", "调查完成", "解决时间", "回访时间", "评分",
    "结案时间",
]  # fmt: skip


def year_csv(rows: list[dict], rng: random.Random) -> str:
    lines = []
    for i, r in enumerate(rows):

        def c(name: str, r: dict = r) -> str:
            return cell(r.get(name), rng.randrange(3))

        classified = bool(r.get("classified_at")) and "reject_reason" not in r
        assigned = bool(r.get("assigned_at"))
        lines.append(
            [
                r["ref"],
                c("received_at"),
                ("电话", "网站", "邮件", "来访")[i % 4],
                f"客户{i}",
                f"139{i:08d}",
                f"第{i}号投诉",
                c("acknowledged_at"),
                c("classified_at"),
                ("质量", "服务", "物流", "价格")[i % 4] if classified else "",
                ("B", "C")[i % 2] if classified else "",
                r.get("reject_reason", ""),
                c("assigned_at"),
                "QA" if assigned else "",
                "李娜" if assigned else "",
                c("investigated_at"),
                c("resolved_at"),
                c("feedback_at"),
                str(r.get("feedback_score", "")),
                c("closed_at"),
            ]
        )
    return csv_text(YEAR_HEADER, lines)


def report_figures(text: str) -> dict[str, tuple]:
    """{figure: (value, previous)} of the (all) rows of `report --format csv`."""

    def number(s: str) -> int | float | None:
        return None if s == "n/a" else int(s) if re.fullmatch(r"-?\d+", s) else float(s)

    return {
        r["figure"]: (number(r["value"]), number(r["previous"]))
        for r in csv.DictReader(io.StringIO(text))
        if r["group"] == "(all)" and not r["figure"].startswith("received_per_")
    }


COMPARED = (
    "received", "accepted", "rejected", "closed", "resolved",
    "ontime_acknowledge", "ontime_investigate", "ontime_resolve",
)  # fmt: skip


def test_after_importing_a_year_of_history_report_year_matches_an_independent_computation(
    cli, tmp_path
):
    rows = year_of_history()
    source = write(tmp_path / "2025.csv", year_csv(rows, random.Random(7)))
    mapping = write(tmp_path / "year.toml", YEAR_MAPPING)
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 0, (result.stdout, result.stderr[:2000])
    assert summary_of(result) == (len(rows), len(rows), 0, 0, 0)

    expected = year_figures(rows, 2025)
    previous = year_figures(rows, 2024)
    # the fixture exercises both sides of every clock, and the previous year
    for key in ("ontime_acknowledge", "ontime_investigate", "ontime_resolve"):
        assert 0 < expected[key] < 100, (key, expected[key])
    investigated = [r for r in rows if "investigated_at" in r]
    on_the_minute = [r for r in investigated if r["investigated_at"] == wd_due(r["assigned_at"], 3)]
    assert len(on_the_minute) >= 5  # done exactly at the deadline: on time
    assert previous["received"] == 11 and expected["received"] == len(rows) - 11

    got = report_figures(cli.ok("report", "--year", "2025", "--format", "csv"))
    problems = [
        f"{key}: expected {(expected[key], previous[key])}, report says {got.get(key)}"
        for key in COMPARED
        if got.get(key) != (expected[key], previous[key])
    ]
    assert not problems, "\n".join(problems)


# -- 4. JSON Lines --------------------------------------------------------------------------
OUR_ROWS = [
    {
        "external_ref": "J-1",
        "received_at": "2025-09-01 09:00",
        "channel": "phone",
        "customer_name": "王伟",
        "contact": "13800000000",
        "customer_type": "individual",
        "summary": "洗衣机漏水",
        "description": "第一次漏水，\n第二次也漏, 还冒烟",
        "amount_claimed": "120.50",
        **CLOSED,
        "feedback_at": "2025-09-08 10:00",
        "feedback_score": 5,
    },
    {
        "external_ref": "J-2",
        "received_at": "2025/9/2 14:40",
        "channel": "email",
        "customer_name": "Acme Trading, Ltd",
        "contact": "ops@acme.example",
        "customer_type": "enterprise",
        "summary": 'Invoice "INV-7" charged twice',
        "description": None,
        "acknowledged_at": "2025-09-02T15:00:00+08:00",
        "classified_at": "2025-09-02 15:20",
        "reject_reason": "重复投诉",
    },
    {
        "external_ref": "J-3",
        "received_at": "2025-10-09T09:00:00+08:00",
        "channel": "online",
        "customer_name": "吴昊",
        "contact": "wuhao@example.cn",
        "summary": "客服电话无人接听",
        "acknowledged_at": "2025-10-09 09:30",
    },
]
OUR_FIELDS = list(dict.fromkeys(k for r in OUR_ROWS for k in r))


def jsonl_text(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def our_csv(rows: list[dict]) -> str:
    return csv_text(OUR_FIELDS, [[r.get(f) for f in OUR_FIELDS] for r in rows])


def without_logging(cases: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k not in ("logged_at", "overdue")} for c in cases]


def test_the_same_rows_as_json_lines_import_exactly_as_from_csv(cli, tmp_path):
    from_csv = cli("import", str(write(tmp_path / "rows.csv", our_csv(OUR_ROWS))))
    assert from_csv.exit_code == 0, from_csv.stderr
    other = tmp_path / "other.db"
    cli.ok("--db", str(other), "db", "init")
    from_jsonl = cli(
        "--db", str(other), "import", str(write(tmp_path / "rows.jsonl", jsonl_text(OUR_ROWS)))
    )
    assert from_jsonl.exit_code == 0, from_jsonl.stderr
    assert summary_of(from_jsonl) == summary_of(from_csv) == (3, 3, 0, 0, 0)
    csv_cases, jsonl_cases = exported(cli), exported(cli, "--db", str(other))
    assert without_logging(jsonl_cases) == without_logging(csv_cases)
    j1 = {c["external_ref"]: c for c in jsonl_cases}["J-1"]
    assert j1["description"] == "第一次漏水，\n第二次也漏, 还冒烟"
    assert (j1["amount_claimed"], j1["feedback_score"], j1["outcome"]) == ("120.50", 5, "satisfied")


def test_a_dash_reads_csv_from_standard_input(cli, tmp_path):
    result = cli("import", "-", input=our_csv(OUR_ROWS))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (3, 3, 0, 0, 0)
    cases = by_ref(cli)
    assert cases["J-2"]["customer_name"] == "Acme Trading, Ltd"
    history = show(cli, cases["J-3"]["number"])["history"]
    assert [h["note"] for h in history] == ["imported from stdin line 5"]


def test_a_dash_with_format_jsonl_reads_json_lines_from_standard_input(cli, tmp_path):
    result = cli("import", "-", "--format", "jsonl", input=jsonl_text(OUR_ROWS))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert summary_of(result) == (3, 3, 0, 0, 0)
    cases = by_ref(cli)
    assert cases["J-1"]["description"] == "第一次漏水，\n第二次也漏, 还冒烟"
    assert (cases["J-2"]["step"], cases["J-2"]["reject_reason"]) == ("rejected", "重复投诉")
    history = show(cli, cases["J-3"]["number"])["history"]
    assert [h["note"] for h in history] == ["imported from stdin line 3"]


def test_format_jsonl_overrides_a_file_name_that_does_not_say_jsonl(cli, tmp_path):
    source = write(tmp_path / "nightly-export.txt", jsonl_text(OUR_ROWS))
    result = cli("import", str(source), "--format", "jsonl")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert sorted(by_ref(cli)) == ["J-1", "J-2", "J-3"]


def test_a_line_that_is_not_json_stops_the_import_naming_the_line(cli, tmp_path, db_url):
    text = jsonl_text(OUR_ROWS[:1]) + "\n" + '{"external_ref": "J-9", \n' + jsonl_text(OUR_ROWS[2:])
    result = cli("import", str(write(tmp_path / "bad.jsonl", text)))
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: line 3: "), lines
    assert case_count(db_url) == 0


def test_skip_invalid_on_json_lines_writes_every_bad_row_whatever_keys_it_carries(
    cli, tmp_path, db_url
):
    rows = [
        {**OUR_ROWS[2], "external_ref": "K-1", "channel": "pigeon"},
        OUR_ROWS[2],
        {"external_ref": "K-2", "received_at": "2025-10-09 10:00", "summary": "没有联系方式"},
    ]
    rejects = tmp_path / "rejects.csv"
    result = cli(
        "import", str(write(tmp_path / "k.jsonl", jsonl_text(rows))), "--skip-invalid", str(rejects)
    )
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert summary_of(result) == (3, 1, 0, 0, 2)
    with rejects.open(encoding="utf-8", newline="") as f:
        got = list(csv.DictReader(f))
    assert [(r["line"], r["field"]) for r in got] == [("1", "channel"), ("3", "channel")]
    assert got[0]["value"] == "pigeon" and got[1]["reason"] == "channel is required"
    for source, written in zip((rows[0], rows[2]), got, strict=True):
        assert {k: written.get(k) for k in source} == source


# -- 5. mapping errors, unmapped values, defaults -----------------------------------------
BASE_COLUMNS = '[columns]\nexternal_ref = "Ref"\nreceived_at = "Date"\n'
MAPPING_ERRORS = {
    "unknown section": (BASE_COLUMNS + '[filters]\nx = "y"\n', "mapping filters"),
    "unknown field in columns": (BASE_COLUMNS + 'ticket = "Ref"\n', "mapping columns.ticket"),
    "unknown field in defaults": (
        BASE_COLUMNS + '[defaults]\npriority = "high"\n',
        "mapping defaults.priority",
    ),
    "value mapped to a severity not ours": (
        SHOP_MAPPING + '[values.severity]\nhigh = "Z"\n',
        "mapping values.severity",
    ),
    "value mapped to a category not ours": (
        SHOP_MAPPING.replace('Quality = "PQ"', 'Quality = "QQ"'),
        "mapping values.category",
    ),
    "values for a field that is not ours": (
        SHOP_MAPPING + '[values.priority]\nx = "y"\n',
        "mapping values.priority",
    ),
    "value mapped to a score not 1..5": (
        SHOP_MAPPING + '[values.feedback_score]\nYes = "6"\n',
        "mapping values.feedback_score",
    ),
    "unmapped rule neither error nor a code": (
        SHOP_MAPPING + '[unmapped]\ncategory = "whatever"\n',
        "mapping unmapped.category",
    ),
    "unmapped rule for a field without codes": (
        SHOP_MAPPING + '[unmapped]\nowner = "nobody"\n',
        "mapping unmapped.owner",
    ),
}


@pytest.mark.parametrize("text, key", MAPPING_ERRORS.values(), ids=MAPPING_ERRORS.keys())
def test_a_wrong_mapping_is_a_one_line_error_naming_its_key_with_exit_2(
    cli, tmp_path, db_url, text, key
):
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, shop_rows("R", 2)))
    result = cli("import", str(source), "--mapping", str(write(tmp_path / "m.toml", text)))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {key}:"), lines[0]
    assert case_count(db_url) == 0


def test_a_value_the_mapping_does_not_map_is_a_bad_row_naming_the_allowed_codes(
    cli, tmp_path, db_url
):
    rows = shop_rows("V", 2)
    rows[1][8] = "Gadgets"
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    mapping = shop_mapping(tmp_path, '[unmapped]\ncategory = "error"\n')
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"line 3: Category: 'Gadgets': category 'Gadgets' is not mapped; allowed: {CATEGORIES}",
        "error: 1 bad row(s): nothing was imported",
    ]
    assert case_count(db_url) == 0


def test_a_value_the_mapping_does_not_map_takes_the_fallback_code(cli, tmp_path):
    rows = shop_rows("V", 3)
    rows[1][8] = "Gadgets"
    rows[2][2] = "Pigeon"
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    mapping = shop_mapping(tmp_path, '[unmapped]\ncategory = "OT"\nchannel = "other"\n')
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    cases = by_ref(cli)
    assert (cases["V-2"]["category"], cases["V-2"]["channel"]) == ("OT", "email")
    assert (cases["V-3"]["category"], cases["V-3"]["channel"]) == ("PQ", "other")
    assert (cases["V-1"]["category"], cases["V-1"]["channel"]) == ("BL", "phone")


def test_defaults_fill_blank_cells_and_columns_the_file_does_not_have(cli, tmp_path):
    rows = shop_rows("E", 2)
    rows[0][3] = ""  # Name blank
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    mapping = shop_mapping(
        tmp_path, '[defaults]\ncustomer_name = "匿名客户"\nkind = "general"\nseverity = "C"\n'
    )
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    cases = by_ref(cli)
    assert cases["E-1"]["customer_name"] == "匿名客户"
    assert cases["E-2"]["customer_name"] == "客户2"
    assert {(c["kind"], c["severity"]) for c in cases.values()} == {("general", "C")}


def test_a_required_field_neither_mapped_nor_defaulted_is_a_bad_row(cli, tmp_path, db_url):
    rows = shop_rows("E", 1)
    rows[0][3] = ""
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, rows))
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 1
    assert stderr_lines(result)[0] == "line 2: Name: '': customer_name is required"
    assert case_count(db_url) == 0


# -- 6. the real CFPB sample ----------------------------------------------------------------
CFPB_MAPPING = """\
[columns]
external_ref = "Complaint ID"
received_at = "Date received"
channel = "Submitted via"
contact = "Complaint ID"
summary = "Issue"
description = "Consumer complaint narrative"
product = "Product"
category = "Product"

[defaults]
customer_name = "CFPB consumer"

[values.channel]
Web = "online"
Referral = "other"
Phone = "phone"
"Postal mail" = "letter"
Fax = "other"
Email = "email"

[values.category]
"Debt collection" = "BL"
"Credit card or prepaid card" = "BL"
"Checking or savings account" = "SA"

[unmapped]
category = "OT"
"""
CFPB_CHANNEL = {
    "Web": "online",
    "Referral": "other",
    "Phone": "phone",
    "Postal mail": "letter",
    "Fax": "other",
    "Email": "email",
}
CFPB_CATEGORY = {
    "Debt collection": "BL",
    "Credit card or prepaid card": "BL",
    "Checking or savings account": "SA",
}
needs_cfpb = pytest.mark.skipif(
    not CFPB.is_file(), reason=f"the CFPB sample is not at {CFPB} (shared data not mounted)"
)


def cfpb_source() -> list[dict]:
    with CFPB.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@needs_cfpb
def test_every_one_of_the_6623_cfpb_complaints_imports_and_a_second_import_finds_them_present(
    cli, tmp_path, db_url
):
    mapping = write(tmp_path / "cfpb.toml", CFPB_MAPPING)
    first = cli("import", str(CFPB), "--mapping", str(mapping))
    assert first.exit_code == 0, (first.stdout, first.stderr[:600])
    assert summary_of(first) == (CFPB_ROWS, CFPB_ROWS, 0, 0, 0)
    assert case_count(db_url) == CFPB_ROWS
    second = cli("import", str(CFPB), "--mapping", str(mapping), "--again")
    assert second.exit_code == 0, (second.stdout, second.stderr[:600])
    assert summary_of(second) == (CFPB_ROWS, 0, CFPB_ROWS, 0, 0)
    assert case_count(db_url) == CFPB_ROWS


@pytest.mark.slow
@needs_cfpb
def test_cfpb_narratives_with_line_breaks_and_mapped_values_survive_the_import_exactly(
    cli, tmp_path
):
    source = cfpb_source()
    assert len(source) == CFPB_ROWS
    multi_line = next(r for r in source if "\n" in r["Consumer complaint narrative"])
    mapping = write(tmp_path / "cfpb.toml", CFPB_MAPPING)
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(CFPB), "--mapping", str(mapping), "--skip-invalid", str(rejects))
    assert result.exit_code == 0, (result.stdout, result.stderr[:600])
    cases = by_ref(cli)
    rejected = set()
    if rejects.exists():
        with rejects.open(encoding="utf-8", newline="") as f:
            rejected = {r["Complaint ID"] for r in csv.DictReader(f)}
    assert set(cases) | rejected == {r["Complaint ID"] for r in source}  # nothing lost
    assert multi_line["Complaint ID"] in cases
    case = cases[multi_line["Complaint ID"]]
    assert case["description"] == multi_line["Consumer complaint narrative"]
    assert "\n" in case["description"]
    y, m, d = (int(x) for x in multi_line["Date received"].split("-"))
    assert case["received_at"] == office(local(y, m, d, 0, 0))
    mismatches = []
    for r in source:
        c = cases.get(r["Complaint ID"])
        if c is None:
            continue
        want = {
            "description": r["Consumer complaint narrative"] or None,
            "summary": r["Issue"],
            "product": r["Product"],
            "channel": CFPB_CHANNEL[r["Submitted via"]],
            "category": CFPB_CATEGORY.get(r["Product"], "OT"),
            "customer_name": "CFPB consumer",
            "contact": r["Complaint ID"],
        }
        got = {k: c[k] for k in want}
        if got != want:
            mismatches.append(r["Complaint ID"])
    assert not mismatches, f"{len(mismatches)} cases differ from their rows, e.g. {mismatches[:5]}"
    narratives = sum("\n" in (c["description"] or "") for c in cases.values())
    assert narratives >= 600


# -- 7. the summary line, and no progress bar off a terminal ---------------------------------
def test_the_summary_is_the_only_output_and_carries_no_ansi_escapes_off_a_terminal(cli, tmp_path):
    source = write(tmp_path / "s.csv", csv_text(SHOP_COLUMNS, shop_rows("Q", 1200)))
    result = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout == "read 1200, imported 1200, already present 0, updated 0, rejected 0\n"
    assert result.stderr == ""
    assert "\x1b" not in result.output
    rerun = cli("import", str(source), "--mapping", str(shop_mapping(tmp_path)), "--again")
    assert rerun.stdout == "read 1200, imported 0, already present 1200, updated 0, rejected 0\n"
    assert "\x1b" not in rerun.output


@pytest.mark.parametrize(
    "error",
    [
        InvalidValue("--amount", "must be a number"),
        CaseNotFound("C2025-000001"),
        CaseChanged("C2025-000002"),
        ImportError_("line 3: the file ends inside a quoted field"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_error_in_the_reading_process_reaches_the_command_as_itself(error):
    """The import's reading process sends an error to the writing one pickled: it must
    arrive with its class, message and exit code, not as "reading the file failed"."""

    def rows():
        yield 1
        raise error

    child = importer._from_child(rows)
    try:
        with pytest.raises(type(error)) as caught:
            list(child)
    finally:
        child.close()
    assert str(caught.value) == str(error) and caught.value.exit_code == error.exit_code
    assert caught.value.__dict__ == error.__dict__
