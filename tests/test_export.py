"""`export` (every field, step time and deadline of each case, to CSV or JSON Lines) and the
CSV safety every CSV writer shares (OWASP "CSV Injection": a leading `'` on formula text).

Cases are set up through complaintctl.services on the test's own SQLite file (the CLI reads
the same file); office-local times are Asia/Shanghai, around China's National Day 2025.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import local

from complaintctl import csvsql, queries, services
from complaintctl.models import Case
from complaintctl.queries import CASE_FIELDS, EXPORT_FIELDS, LIST_FIELDS
from complaintctl.render import csv_cell
from complaintctl.render_digest import DIGEST_FIELDS
from complaintctl.render_report import REPORT_FIELDS

NOW = local(2025, 10, 20, 9, 0)
RECEIVED = local(2025, 9, 30, 9, 0)
ASSIGNED = local(2025, 9, 30, 10, 0)
BOM = b"\xef\xbb\xbf"
HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


# -- helpers ------------------------------------------------------------------------------
def log(reg, received: dt.datetime | None = None, contact: str = "13800000000", **kw) -> str:
    values = dict(
        now=NOW,
        actor="t",
        channel="phone",
        customer_name="王伟",
        contact=contact,
        summary="洗衣机漏水",
        received_at=received,
    )
    values.update(kw)
    return services.log_complaint(reg, **values).case.number


def to_investigate(
    reg,
    received: dt.datetime = RECEIVED,
    assigned: dt.datetime = ASSIGNED,
    category: str = "PQ",
    severity: str = "B",
    department: str = "QA",
    owner: str = "李娜",
    **log_kw,
) -> str:
    """Logged, acknowledged and classified at receipt, assigned at `assigned`."""
    number = log(reg, received, **log_kw)
    services.ack(reg, number, now=NOW, actor="t", at=received)
    services.classify(
        reg,
        number,
        category=category,
        severity=severity,
        kind="general",
        now=NOW,
        actor="t",
        at=received,
    )
    services.assign(
        reg, number, department=department, owner=owner, now=NOW, actor="t", at=assigned
    )
    return number


def set_text(reg, number: str, **values: str) -> None:
    """Store text exactly (log strips leading tabs and carriage returns)."""
    with reg.engine.begin() as con:
        con.execute(
            sa.update(Case.__table__).where(Case.__table__.c.number == number).values(**values)
        )


def guarded(value: str) -> str:
    """What a text cell must read as: one leading quote on formula text, else unchanged."""
    return "'" + value if value[:1] and value[:1] in "=+-@\t\r" else value


def csv_dicts(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def export(cli, path: Path, *args: str) -> str:
    """Run export into `path` and return the file's text (it must have succeeded)."""
    result = cli("export", str(path), *args)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return path.read_bytes().decode("utf-8")


def export_rows(cli, path: Path, *args: str) -> list[dict]:
    return csv_dicts(export(cli, path, *args))


def strings(data: object) -> list[str]:
    """Every string anywhere in a parsed JSON document."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in strings(v)]
    return []


def as_csv_text(value: object) -> str:
    """A JSON Lines value as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return guarded(value)
    return str(value)


def files_beside_db(directory: Path) -> list[str]:
    """The files in `directory` other than the test's database (and its WAL files)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("register.db"))


# -- (1) formula text in CSV --------------------------------------------------------------
def test_a_customer_named_like_a_hyperlink_formula_exports_as_text_a_spreadsheet_will_not_run(
    cli, register, tmp_path
):
    number = log(register, customer_name=HYPERLINK)
    (row,) = export_rows(cli, tmp_path / "cases.csv")
    assert row["number"] == number
    assert row["customer_name"] == "'" + HYPERLINK
    assert row["customer_name"][1:] == HYPERLINK


@pytest.mark.slow
@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_a_name_or_summary_starting_with_a_formula_character_gets_one_leading_quote(
    cli, register, tmp_path, start
):
    number = log(register)
    name, summary = f"{start}1+2", f"{start}SUM(A1:A9)"
    set_text(register, number, customer_name=name, summary=summary)
    (row,) = export_rows(cli, tmp_path / "cases.csv")
    assert (row["customer_name"], row["summary"]) == ("'" + name, "'" + summary)


@pytest.mark.slow
@pytest.mark.parametrize(
    "text", ["Jean-Luc", "王-伟", "a=b", "O'Brien", "'already quoted", "1+1", "mail@example.com"]
)
def test_ordinary_text_with_a_formula_character_inside_is_exported_byte_for_byte(
    cli, register, tmp_path, text
):
    log(register, customer_name=text, summary=text, description=text)
    path = tmp_path / "cases.csv"
    (row,) = export_rows(cli, path)
    assert (row["customer_name"], row["summary"], row["description"]) == (text, text, text)
    raw = path.read_bytes()
    assert text.encode() in raw
    assert ("'" + text).encode() not in raw


def test_csv_cell_quotes_only_text_that_starts_like_a_formula():
    for start in FORMULA_STARTS:
        assert csv_cell(f"{start}x") == f"'{start}x"
    assert csv_cell("Jean-Luc") == "Jean-Luc"
    assert csv_cell("a=b") == "a=b"
    assert csv_cell("") == ""
    assert csv_cell(None) == ""
    assert csv_cell(-3) == -3  # numbers stay numbers (a negative change is no formula)
    assert csv_cell(-1.5) == -1.5
    assert csv_cell(False) is False
    when = dt.datetime(2025, 10, 11, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert csv_cell(when) == "2025-10-11T18:00:00+08:00"


def test_list_csv_quotes_formula_text_and_leaves_ordinary_text_alone(cli, register):
    bad = log(register, customer_name=HYPERLINK, summary="@SUM(1+1)", contact="13800000001")
    good = log(register, customer_name="Jean-Luc", summary="a=b", contact="13800000002")
    tab = log(register, contact="13800000003")
    set_text(register, tab, customer_name="\t=1+2", summary="\rcmd")
    rows = {r["number"]: r for r in csv_dicts(cli.ok("list", "--format", "csv"))}
    assert (rows[bad]["customer_name"], rows[bad]["summary"]) == ("'" + HYPERLINK, "'@SUM(1+1)")
    assert (rows[good]["customer_name"], rows[good]["summary"]) == ("Jean-Luc", "a=b")
    assert (rows[tab]["customer_name"], rows[tab]["summary"]) == ("'\t=1+2", "'\rcmd")
    assert list(rows[bad]) == list(LIST_FIELDS)


def test_show_csv_quotes_formula_text_and_leaves_ordinary_text_alone(cli, register):
    number = log(register, customer_name=HYPERLINK, summary="-2+3", description="Jean-Luc, a=b")
    (row,) = csv_dicts(cli.ok("show", number, "--format", "csv"))
    assert list(row) == list(CASE_FIELDS)
    assert row["customer_name"] == "'" + HYPERLINK
    assert row["summary"] == "'-2+3"
    assert row["description"] == "Jean-Luc, a=b"


def test_warn_csv_quotes_formula_text_of_an_overdue_case(cli, register):
    number = to_investigate(register, customer_name=HYPERLINK, summary="+86 漏水")
    result = cli("warn", "--at", "2025-10-20 09:00", "--format", "csv")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    rows = csv_dicts(result.stdout)
    assert list(rows[0]) == list(DIGEST_FIELDS)
    (row,) = [r for r in rows if r["number"] == number and r["section"] == "overdue"]
    assert row["customer_name"] == "'" + HYPERLINK
    assert row["summary"] == "'+86 漏水"
    assert row["owner"] == "李娜"


def test_warn_csv_quotes_an_owner_named_like_a_dde_command(cli, register):
    number = to_investigate(register, owner=DDE)
    result = cli("warn", "--at", "2025-10-20 09:00", "--format", "csv")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    (row,) = [r for r in csv_dicts(result.stdout) if r["number"] == number]
    assert row["owner"] == "'" + DDE
    assert all(not v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_report_csv_by_owner_quotes_an_owner_named_like_a_dde_command(cli, register):
    to_investigate(
        register, received=local(2025, 10, 9, 9, 0), assigned=local(2025, 10, 9, 10, 0), owner=DDE
    )
    to_investigate(
        register,
        received=local(2025, 10, 10, 9, 0),
        assigned=local(2025, 10, 10, 10, 0),
        owner="Jean-Luc",
        contact="13800000009",
    )
    out = cli.ok("report", "--month", "2025-10", "--by", "owner", "--format", "csv")
    rows = csv_dicts(out)
    assert list(rows[0]) == list(REPORT_FIELDS)
    groups = {r["group"] for r in rows}
    assert "'" + DDE in groups
    assert DDE not in groups
    assert "Jean-Luc" in groups
    for r in rows:
        for name in ("period", "group", "figure", "label", "unit"):
            assert not r[name].startswith(("=", "+", "@", "\t", "\r")), r


@pytest.mark.slow
def test_json_and_json_lines_keep_formula_text_exactly_as_stored(cli, register, tmp_path):
    number = to_investigate(register, customer_name=HYPERLINK, summary="@x", owner=DDE)
    set_text(register, number, description="\t=tab\r")

    shown = json.loads(cli.ok("show", number, "--format", "json"))
    assert (shown["customer_name"], shown["summary"], shown["owner"]) == (HYPERLINK, "@x", DDE)
    assert shown["description"] == "\t=tab\r"

    listed = json.loads(cli.ok("list", "--format", "json"))["cases"]
    assert (listed[0]["customer_name"], listed[0]["owner"]) == (HYPERLINK, DDE)

    warned = cli("warn", "--at", "2025-10-20 09:00", "--format", "json")
    assert warned.exit_code == 3
    assert {HYPERLINK, "@x", DDE} <= set(strings(json.loads(warned.stdout)))

    reported = json.loads(cli.ok("report", "--month", "2025-09", "--by", "owner", "-f", "json"))
    assert DDE in strings(reported)
    assert "'" + DDE not in strings(reported)

    path = tmp_path / "cases.jsonl"
    (line,) = export(cli, path, "--format", "jsonl").splitlines()
    row = json.loads(line)
    assert (row["customer_name"], row["summary"], row["owner"]) == (HYPERLINK, "@x", DDE)
    assert row["description"] == "\t=tab\r"


# -- (2) export ---------------------------------------------------------------------------
@pytest.fixture
def mixed(register) -> dict[str, str]:
    """Six cases in every kind of state:

    closed   2025-09-26  PQ/C  LOG 王芳   resolved, feedback 5, closed
    rejected 2025-09-29  -     -         rejected at classification (ended)
    leak     2025-09-30  PQ/B  QA  李娜   investigate, due 2025-10-11 18:00
    invoice  2025-10-09  BL/C  CS  赵敏   investigate
    courier  2025-10-10  SA/A  -         assign, escalation and plan clocks running
    fresh    2025-10-20  -     -         acknowledge
    """
    closed = to_investigate(
        register,
        received=local(2025, 9, 26, 9, 0),
        assigned=local(2025, 9, 26, 10, 0),
        category="PQ",
        severity="C",
        department="LOG",
        owner="王芳",
        summary="配送延误",
        contact="13800000006",
    )
    services.investigate(
        register,
        closed,
        findings="司机改道",
        cause="路线规划",
        responsibility="internal",
        proposal="致歉",
        now=NOW,
        actor="t",
        at=local(2025, 9, 26, 15, 0),
    )
    services.resolve(
        register,
        closed,
        remedy="apology",
        amount_cents=None,
        note="已致歉",
        told_at=None,
        now=NOW,
        actor="t",
        at=local(2025, 9, 29, 10, 0),
    )
    services.record_feedback(
        register, closed, score=5, comment="满意", now=NOW, actor="t", at=local(2025, 9, 29, 12)
    )
    rejected = log(register, local(2025, 9, 29, 9, 0), contact="13800000004", summary="咨询价格")
    services.ack(register, rejected, now=NOW, actor="t", at=local(2025, 9, 29, 9, 30))
    services.reject(
        register, rejected, reason="不是投诉", now=NOW, actor="t", at=local(2025, 9, 29, 10)
    )
    leak = to_investigate(register, contact="13800000001")
    invoice = to_investigate(
        register,
        received=local(2025, 10, 9, 9, 0),
        assigned=local(2025, 10, 9, 10, 0),
        category="BL",
        severity="C",
        department="CS",
        owner="赵敏",
        summary="Invoice overcharged",
        customer_name="Acme Ltd",
        contact="billing@acme.example",
        channel="email",
    )
    courier = log(
        register, local(2025, 10, 10, 9, 0), contact="13800000003", summary="快递员态度差"
    )
    services.ack(register, courier, now=NOW, actor="t", at=local(2025, 10, 10, 9, 30))
    services.classify(
        register,
        courier,
        category="SA",
        severity="A",
        kind="general",
        now=NOW,
        actor="t",
        at=local(2025, 10, 10, 10, 0),
    )
    fresh = log(register, contact="13800000005", summary="门店空调太冷", customer_name="赵六")
    return {
        "closed": closed,
        "rejected": rejected,
        "leak": leak,
        "invoice": invoice,
        "courier": courier,
        "fresh": fresh,
    }


ORDER = ["closed", "rejected", "leak", "invoice", "courier", "fresh"]


def test_the_header_is_every_export_field_in_order(cli, mixed, tmp_path):
    text = export(cli, tmp_path / "cases.csv")
    header = next(csv.reader(io.StringIO(text)))
    assert header == list(EXPORT_FIELDS)
    assert header[: len(CASE_FIELDS)] == list(CASE_FIELDS)
    assert header[len(CASE_FIELDS) :] == [
        "acknowledged_at",
        "classified_at",
        "assigned_at",
        "investigated_at",
        "resolved_at",
        "ack_due",
        "investigate_due",
        "resolve_due",
        "feedback_due",
        "escalate_due",
        "plan_due",
    ]


def test_by_default_every_case_is_exported_once_oldest_first_closed_and_rejected_too(
    cli, mixed, tmp_path
):
    rows = export_rows(cli, tmp_path / "cases.csv")
    assert [r["number"] for r in rows] == [mixed[role] for role in ORDER]
    assert {r["step"] for r in rows} >= {"closed", "rejected"}
    listed = json.loads(cli.ok("list", "--format", "json"))["cases"]
    assert {mixed["closed"], mixed["rejected"]}.isdisjoint(r["number"] for r in listed)


def test_export_times_are_iso_8601_in_the_office_zone_with_step_times_and_deadlines(
    cli, mixed, tmp_path
):
    rows = {r["number"]: r for r in export_rows(cli, tmp_path / "cases.csv")}
    leak = rows[mixed["leak"]]
    assert leak["received_at"] == "2025-09-30T09:00:00+08:00"
    assert leak["acknowledged_at"] == "2025-09-30T09:00:00+08:00"
    assert leak["classified_at"] == "2025-09-30T09:00:00+08:00"
    assert leak["assigned_at"] == "2025-09-30T10:00:00+08:00"
    assert leak["ack_due"] == "2025-10-01T09:00:00+08:00"
    assert leak["investigate_due"] == "2025-10-11T18:00:00+08:00"
    assert leak["due_at"] == "2025-10-11T18:00:00+08:00"
    assert (leak["investigated_at"], leak["resolved_at"], leak["resolve_due"]) == ("", "", "")
    assert (leak["escalate_due"], leak["plan_due"]) == ("", "")
    assert (leak["step"], leak["owner"], leak["department"]) == ("investigate", "李娜", "QA")
    assert leak["logged_at"] == "2025-10-20T09:00:00+08:00"

    closed = rows[mixed["closed"]]
    assert closed["investigated_at"] == "2025-09-26T15:00:00+08:00"
    assert closed["resolved_at"] == "2025-09-29T10:00:00+08:00"
    assert closed["feedback_at"] == "2025-09-29T12:00:00+08:00"
    assert closed["closed_at"] == "2025-09-29T12:00:00+08:00"
    assert closed["resolve_due"].endswith("+08:00") and closed["feedback_due"].endswith("+08:00")
    assert (closed["feedback_score"], closed["outcome"], closed["due_at"]) == ("5", "satisfied", "")

    courier = rows[mixed["courier"]]
    assert courier["escalate_due"] == "2025-10-10T11:00:00+08:00"
    assert courier["plan_due"] == "2025-10-10T14:00:00+08:00"

    for row in rows.values():
        for name in EXPORT_FIELDS:
            if name.endswith(("_at", "_due")) and row[name]:
                assert dt.datetime.fromisoformat(row[name]).utcoffset() == dt.timedelta(hours=8)
                assert row[name].endswith("+08:00"), (name, row[name])


def test_chinese_text_and_a_description_with_newlines_commas_and_quotes_round_trip(
    cli, register, tmp_path
):
    description = '第一行：洗衣机漏水，地板泡了\n"quoted", with commas,\r\nlast line ""end""'
    number = log(
        register,
        customer_name="欧阳娜娜",
        summary="洗衣机漏水，已经三次",
        description=description,
        demand='退货 "全额" 退款',
        product="滚筒洗衣机 XQG100",
    )
    path = tmp_path / "导出.csv"
    (row,) = export_rows(cli, path)
    assert row["number"] == number
    assert row["customer_name"] == "欧阳娜娜"
    assert row["summary"] == "洗衣机漏水，已经三次"
    assert row["description"] == description
    assert row["demand"] == '退货 "全额" 退款'
    assert row["product"] == "滚筒洗衣机 XQG100"
    assert "欧阳娜娜".encode() in path.read_bytes()  # UTF-8, not escaped


def test_a_description_with_a_bare_carriage_return_inside_round_trips(cli, register, tmp_path):
    description = "pasted from an old Mac\rsecond line\rthird, with a comma"
    number = log(register, description=description, summary="x\ry")
    rows = export_rows(cli, tmp_path / "cases.csv")
    assert [r["number"] for r in rows] == [number]
    assert (rows[0]["description"], rows[0]["summary"]) == (description, "x\ry")


def test_json_lines_export_has_one_object_per_case_with_the_same_keys_and_values_as_csv(
    cli, mixed, register, tmp_path
):
    set_text(register, mixed["fresh"], description='two\nlines, "quoted"')
    csv_rows = export_rows(cli, tmp_path / "cases.csv")
    text = export(cli, tmp_path / "cases.jsonl", "--format", "jsonl")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == len(csv_rows) == len(ORDER)
    objects = [json.loads(line) for line in lines]
    for obj, row in zip(objects, csv_rows, strict=True):
        assert list(obj) == list(EXPORT_FIELDS)
        assert {k: as_csv_text(v) for k, v in obj.items()} == row
    leak = objects[ORDER.index("leak")]
    assert leak["investigate_due"] == "2025-10-11T18:00:00+08:00"
    assert leak["on_hold"] is False and leak["reopen_count"] == 0
    assert objects[ORDER.index("fresh")]["description"] == 'two\nlines, "quoted"'


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_dash_writes_the_export_to_standard_output(cli, mixed, tmp_path, fmt):
    result = cli("export", "-", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == export(cli, tmp_path / f"cases.{fmt}", "--format", fmt)
    assert not (Path.cwd() / "-").exists()


def test_export_to_a_file_says_how_many_cases_on_stderr_and_nothing_on_stdout(cli, mixed, tmp_path):
    path = tmp_path / "cases.csv"
    result = cli("export", str(path), "--status", "open")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"exported 4 case(s) to {path}\n"


def test_an_export_with_no_matching_case_is_just_the_header(cli, mixed, tmp_path):
    text = export(cli, tmp_path / "none.csv", "--search", "不存在的内容")
    assert list(csv.reader(io.StringIO(text))) == [list(EXPORT_FIELDS)]
    assert export(cli, tmp_path / "none.jsonl", "--search", "不存在的内容", "-f", "jsonl") == ""


EXPORT_FILTERS = [
    (("--status", "open"), ["leak", "invoice", "courier", "fresh"]),
    (("--status", "ended"), ["closed", "rejected"]),
    (("--status", "all"), ORDER),
    (("--step", "investigate"), ["leak", "invoice"]),
    (("--step", "rejected"), ["rejected"]),
    (("--step", "closed"), ["closed"]),
    (("--owner", "李娜"), ["leak"]),
    (("--owner", "王芳"), ["closed"]),
    (("--department", "cs"), ["invoice"]),
    (("--category", "PQ"), ["closed", "leak"]),
    (("--severity", "A"), ["courier"]),
    (("--overdue",), ["leak", "invoice", "courier", "fresh"]),
    (("--from", "2025-10-09"), ["invoice", "courier", "fresh"]),
    (("--to", "2025-09-30"), ["closed", "rejected", "leak"]),
    (("--from", "2025-10-09", "--to", "2025-10-10"), ["invoice", "courier"]),
    (("--search", "漏水"), ["leak"]),
    (("--search", "acme.example"), ["invoice"]),
    (("--search", "咨询"), ["rejected"]),
    (("--status", "open", "--search", "咨询"), []),
    (("--step", "investigate", "--owner", "赵敏"), ["invoice"]),
    (("--status", "ended", "--category", "pq"), ["closed"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "expected"), EXPORT_FILTERS, ids=[" ".join(a) for a, _ in EXPORT_FILTERS]
)
def test_the_filters_of_list_select_the_same_cases_for_export(cli, mixed, tmp_path, args, expected):
    exported = [r["number"] for r in export_rows(cli, tmp_path / "cases.csv", *args)]
    list_args = args if {"--status", "--step"} & set(args) else ("--status", "all", *args)
    data = json.loads(cli.ok("list", "--format", "json", "--per-page", "1000", *list_args))
    assert sorted(exported) == sorted(r["number"] for r in data["cases"])
    assert exported == [mixed[role] for role in expected]


def test_an_unknown_step_is_refused_before_anything_is_written(cli, mixed, tmp_path):
    path = tmp_path / "cases.csv"
    result = cli("export", str(path), "--step", "bogus")
    assert result.exit_code == 1
    assert "--step" in result.stderr and "Traceback" not in result.stderr
    assert files_beside_db(tmp_path) == []


def test_an_unknown_step_exported_to_standard_output_prints_nothing_on_stdout(cli, mixed):
    result = cli("export", "-", "--step", "bogus")
    assert result.exit_code == 1
    assert "--step" in result.stderr
    assert result.stdout == ""  # README: exit 1 means "nothing written"


# -- (3) --excel --------------------------------------------------------------------------
def test_excel_starts_the_file_with_a_bom_and_otherwise_gives_the_same_rows(cli, mixed, tmp_path):
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    export(cli, plain)
    cli.ok("export", str(excel), "--excel")
    raw = excel.read_bytes()
    assert raw.startswith(BOM)
    assert not raw[len(BOM) :].startswith(BOM)
    assert raw[len(BOM) :] == plain.read_bytes()
    assert not plain.read_bytes().startswith(BOM)
    decoded = csv_dicts(raw.decode("utf-8-sig"))
    assert decoded == csv_dicts(plain.read_bytes().decode("utf-8"))
    assert list(decoded[0]) == list(EXPORT_FIELDS)


@pytest.mark.slow
def test_excel_to_standard_output_starts_with_a_bom_too(cli, mixed):
    result = cli("export", "-", "--excel")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(BOM)
    assert len(csv_dicts(result.stdout_bytes.decode("utf-8-sig"))) == len(ORDER)


@pytest.mark.slow
def test_json_lines_export_has_no_bom(cli, mixed, tmp_path):
    assert not export(cli, tmp_path / "cases.jsonl", "-f", "jsonl").encode().startswith(BOM)


def test_excel_with_json_lines_is_a_usage_error_and_writes_nothing(cli, mixed, tmp_path):
    path = tmp_path / "cases.jsonl"
    result = cli("export", str(path), "--excel", "--format", "jsonl")
    assert result.exit_code == 2
    assert "--excel" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not path.exists()
    assert files_beside_db(tmp_path) == []


@pytest.mark.slow
def test_report_excel_starts_with_a_bom_and_is_csv(cli, mixed):
    result = cli("report", "--month", "2025-10", "--excel")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(BOM)
    rows = csv_dicts(result.stdout_bytes.decode("utf-8-sig"))
    assert list(rows[0]) == list(REPORT_FIELDS)
    plain = cli.ok("report", "--month", "2025-10", "--format", "csv")
    assert not plain.encode().startswith(BOM)
    assert csv_dicts(plain) == rows


# -- (4) nothing half-written -------------------------------------------------------------
def test_export_into_a_missing_directory_fails_with_one_line_and_leaves_nothing(
    cli, mixed, tmp_path
):
    target = tmp_path / "no-such-dir" / "cases.csv"
    result = cli("export", str(target))
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not target.parent.exists()
    assert files_beside_db(tmp_path) == []


@pytest.mark.slow
def test_export_into_a_missing_directory_is_refused_as_a_bad_file_not_an_internal_error(
    cli, mixed, tmp_path
):
    target = tmp_path / "no-such-dir" / "cases.csv"
    result = cli("export", str(target))
    assert result.exit_code == 1, result.stderr  # README: 1 refused (bad value); 70 = a bug
    assert "unexpected" not in result.stderr
    assert "no-such-dir" in result.stderr


@pytest.mark.slow
def test_a_successful_export_leaves_no_part_file_beside_the_target(cli, mixed, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    export(cli, out / "cases.csv")
    export(cli, out / "cases.jsonl", "-f", "jsonl")
    export(cli, out / "cases-excel.csv", "--excel")
    assert sorted(p.name for p in out.iterdir()) == ["cases-excel.csv", "cases.csv", "cases.jsonl"]


@pytest.mark.slow
def test_export_into_the_current_directory_by_a_bare_name_works(cli, mixed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "cases.csv")
    assert result.exit_code == 0, result.stderr
    assert len(csv_dicts((tmp_path / "cases.csv").read_text(encoding="utf-8"))) == len(ORDER)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.slow
def test_an_existing_file_is_replaced_whole_by_a_new_one(cli, mixed, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("OLD CONTENT THAT IS LONGER THAN THE EXPORT\n" * 2000, encoding="utf-8")
    inode = os.stat(path).st_ino
    text = export(cli, path, "--status", "ended")
    assert os.stat(path).st_ino != inode
    assert "OLD CONTENT" not in text
    assert text.startswith(",".join(EXPORT_FIELDS) + "\n")
    assert [r["number"] for r in csv_dicts(text)] == [mixed["closed"], mixed["rejected"]]
    assert files_beside_db(tmp_path) == ["cases.csv"]


def test_an_export_that_fails_midway_leaves_the_old_file_untouched_and_no_part_file(
    cli, mixed, tmp_path, monkeypatch
):
    path = tmp_path / "cases.csv"
    path.write_text("previous export\n", encoding="utf-8")
    inode = os.stat(path).st_ino
    real, real_lines = queries.export_rows, csvsql.export_lines

    def broken(reg, f, now):
        rows = real(reg, f, now)
        yield next(rows)
        raise OSError("disk full")

    def broken_lines(reg, f, now):  # the way a CSV export takes on SQLite
        lines = real_lines(reg, f, now)
        return None if lines is None else broken_batches(lines)

    def broken_batches(lines):
        yield next(lines)[:1]
        raise OSError("disk full")

    monkeypatch.setattr(queries, "export_rows", broken)
    monkeypatch.setattr(csvsql, "export_lines", broken_lines)
    result = cli("export", str(path))
    assert result.exit_code != 0
    assert "disk full" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == "previous export\n"
    assert os.stat(path).st_ino == inode
    assert files_beside_db(tmp_path) == ["cases.csv"]


# -- (5) many cases -----------------------------------------------------------------------
@pytest.mark.slow
def test_two_thousand_cases_export_completely_in_both_formats(cli, register, tmp_path):
    start = local(2025, 1, 2, 9, 0)
    n = 2000
    for i in range(n):
        log(
            register,
            start + dt.timedelta(hours=3 * i),
            contact=f"139{i:08d}",
            customer_name=HYPERLINK if i % 500 == 0 else f"客户{i}",
            summary=f"第{i}号投诉, with a comma",
        )
    path = tmp_path / "all.csv"
    result = cli("export", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"exported {n} case(s) to {path}\n"
    rows = csv_dicts(path.read_text(encoding="utf-8"))
    assert len(rows) == n
    assert len({r["number"] for r in rows}) == n
    summaries = [r["summary"] for r in rows]
    assert summaries == [f"第{i}号投诉, with a comma" for i in range(n)]
    assert sum(r["customer_name"] == "'" + HYPERLINK for r in rows) == n // 500
    received = [r["received_at"] for r in rows]
    assert received == sorted(received)

    jsonl = export(cli, tmp_path / "all.jsonl", "--format", "jsonl", "--search", "with a comma")
    assert len(jsonl.splitlines()) == n


@pytest.mark.slow
def test_an_export_onto_a_pipe_is_refused_and_the_pipe_stays_a_pipe(cli, mixed, tmp_path):
    import stat

    # A file name is a regular file; standard output is `-` (outputs.py: a pipe or device
    # at the name is refused, never written into or replaced).
    fifo = tmp_path / "reader"
    os.mkfifo(fifo)
    result = cli("export", str(fifo), "--status", "ended")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: FILE: {fifo} is a named pipe (FIFO), not a regular file; "
        "use - for standard output\n"
    )
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_an_export_to_a_device_is_refused_and_never_replaces_it(cli, mixed, tmp_path):
    import stat

    null = tmp_path / "null"  # a device like /dev/null, in the test's own folder
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    result = cli("export", str(null))
    assert result.exit_code == 1
    assert "is a character device, not a regular file" in result.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert files_beside_db(tmp_path) == ["null"]


@pytest.mark.slow
def test_an_export_onto_a_directory_is_refused_in_one_line(cli, mixed, tmp_path):
    (tmp_path / "out").mkdir()
    result = cli("export", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr == f"error: FILE: {tmp_path / 'out'} is a directory, not a regular file\n"
