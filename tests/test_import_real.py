"""Imports of the files users really bring (issue 14): a last record that lost its trailing
field, dates whose day/month order only the whole column tells, exit statuses a script can
act on, and mappings that translate any field's values.

Every file is written into the test's tmp_path; the real CFPB sample is read where it lies
(tests needing it are skipped when it is absent).  Office time is Asia/Shanghai.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from conftest import local
from test_import import CFPB_MAPPING  # the sample's mapping, written once

CFPB = Path(__file__).resolve().parents[2] / "shared" / "data" / "cfpb-complaints-sample.csv"
CFPB_ROWS = 6623
needs_cfpb = pytest.mark.skipif(
    not CFPB.is_file(), reason=f"the CFPB sample is not at {CFPB} (shared data not mounted)"
)
SUMMARY = re.compile(
    r"read (\d+), (?:would import|imported) (\d+), already present (\d+), updated (\d+), "
    r"rejected (\d+)"
)
# The CFPB export's columns, as in the shared sample.
CFPB_HEADER = [
    "Date received", "Product", "Sub-product", "Issue", "Sub-issue",
    "Consumer complaint narrative", "Company public response", "Company", "State",
    "ZIP code", "Tags", "Consumer consent provided?", "Submitted via",
    "Date sent to company", "Company response to consumer", "Timely response?",
    "Consumer disputed?", "Complaint ID",
]  # fmt: skip
OUR_HEADER = ["external_ref", "received_at", "channel", "customer_name", "contact", "summary"]
LENGTH_REASON = "the record has {n} fields, the header has {h} (a truncated or malformed record)"


# -- helpers ------------------------------------------------------------------------------
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def summary_of(result) -> tuple[int, ...]:
    """(read, imported, already present, updated, rejected) from the last line of stdout."""
    m = SUMMARY.fullmatch(result.stdout.strip().splitlines()[-1])
    assert m, (result.exit_code, result.stdout, result.stderr)
    return tuple(int(x) for x in m.groups())


def stderr_lines(result) -> list[str]:
    return result.stderr.strip().splitlines()


def rejects_of(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def query(db_url: str, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def case_count(db_url: str) -> int:
    return query(db_url, "SELECT count(*) FROM cases")[0][0]


def exported(cli) -> dict[str, dict]:
    out = cli.ok("export", "-", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["external_ref"]: r for r in rows}


def cfpb_row(i: int, via: str = "Web", product: str = "Debt collection") -> list[str]:
    """A complaint as the CFPB exports it (18 fields; the Complaint ID last)."""
    day = f"2020-0{1 + i % 9}-1{i % 10}"
    return [
        day, product, "I do not know", "Attempts to collect debt not owed", "Debt is not yours",
        "", "", "TRANSWORLD SYSTEMS INC", "FL", "335XX", "", "Other", via, day,
        "Closed with explanation", "Yes", "N/A", str(3_000_000 + i),
    ]  # fmt: skip


@pytest.fixture
def cfpb_like(tmp_path: Path) -> tuple[Path, Path, int]:
    """(file, mapping, the line of its last record): four CFPB complaints, the last of
    which lost its trailing field (17 fields for the 18 columns)."""
    rows = [cfpb_row(i) for i in range(4)]
    rows[1][5] = "first line of the narrative\nsecond line"  # record 2 spans lines 3-4
    rows[3] = rows[3][:-1]
    source = write(tmp_path / "cfpb.csv", csv_text(CFPB_HEADER, rows))
    return source, write(tmp_path / "cfpb.toml", CFPB_MAPPING), 6


# -- 3. a short or long record is a bad row like any other ----------------------------------
def test_a_last_record_short_of_a_field_stops_an_all_or_nothing_import_naming_its_line(
    cli, cfpb_like, db_url
):
    source, mapping, last = cfpb_like
    cli.ok("db", "init")
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert stderr_lines(result) == [
        f"line {last}: Complaint ID: '': " + LENGTH_REASON.format(n=17, h=18),
        "error: 1 bad row(s): nothing was imported",
    ]
    assert summary_of(result) == (4, 0, 0, 0, 1)
    assert case_count(db_url) == 0


def test_skip_invalid_imports_the_rest_exits_3_and_writes_the_short_record_under_its_columns(
    cli, cfpb_like, tmp_path, db_url
):
    source, mapping, last = cfpb_like
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(source), "--mapping", str(mapping), "--skip-invalid", str(rejects))
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert summary_of(result) == (4, 3, 0, 0, 1)
    assert sorted(exported(cli)) == ["3000000", "3000001", "3000002"]
    (got,) = rejects_of(rejects)
    assert (got["line"], got["field"], got["reason"]) == (
        str(last),
        "Complaint ID",
        LENGTH_REASON.format(n=17, h=18),
    )
    short = cfpb_row(3)[:-1]
    assert [got[c] for c in CFPB_HEADER] == short + [""]


def test_dry_run_lists_the_short_record_with_the_other_bad_rows(cli, cfpb_like, tmp_path, db_url):
    source, mapping, last = cfpb_like
    rows = list(csv.reader(source.open(encoding="utf-8", newline="")))
    rows[1][12] = "Carrier pigeon"  # line 2: a value the mapping does not know
    write(source, csv_text(rows[0], rows[1:]))
    cli.ok("db", "init")
    result = cli("import", str(source), "--mapping", str(mapping), "--dry-run")
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert [line.split(":")[0] for line in lines[:-1]] == ["line 2", f"line {last}"]
    assert "Carrier pigeon" in lines[0]
    assert lines[1].endswith(LENGTH_REASON.format(n=17, h=18))
    assert lines[-1] == "error: 2 bad row(s)"
    assert summary_of(result) == (4, 2, 0, 0, 2)
    assert case_count(db_url) == 0


def test_a_long_record_is_rejected_with_its_extra_values_in_an_extra_column(cli, tmp_path, db_url):
    text = csv_text(
        OUR_HEADER,
        [
            ["L-1", "2025-10-03 09:00", "phone", "王伟", "138", "漏水"],
            ["L-2", "2025-10-03 10:00", "phone", "李雷", "139", "漏电", "多余", "a, b"],
        ],
    )
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(write(tmp_path / "l.csv", text)), "--skip-invalid", str(rejects))
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert summary_of(result) == (2, 1, 0, 0, 1)
    (got,) = rejects_of(rejects)
    assert (got["line"], got["field"]) == ("3", "_extra")
    assert next(csv.reader([got["_extra"]])) == ["多余", "a, b"]
    assert got["external_ref"] == "L-2" and got["summary"] == "漏电"


def test_an_unterminated_quote_at_the_end_is_still_an_error_for_the_whole_file(
    cli, tmp_path, db_url
):
    text = csv_text(OUR_HEADER, [["U-1", "2025-10-03 09:00", "phone", "王伟", "138", "漏水"]])
    text += 'U-2,2025-10-03 10:00,phone,李雷,139,"the customer said\n'
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(write(tmp_path / "u.csv", text)), "--skip-invalid", str(rejects))
    assert result.exit_code == 1
    assert stderr_lines(result)[-1].startswith("error: line 3: ")
    assert case_count(db_url) == 0


@pytest.mark.slow
@needs_cfpb
def test_the_real_sample_with_its_last_field_lost_imports_every_other_complaint(
    cli, tmp_path, db_url
):
    text = CFPB.read_text(encoding="utf-8")
    assert text.endswith(",3195040\n")  # the last record's trailing field, the Complaint ID
    source = write(tmp_path / "cut.csv", text[: -len(",3195040\n")] + "\n")
    last = text.count("\n")  # the last record is on one physical line, the file's last
    mapping = write(tmp_path / "cfpb.toml", CFPB_MAPPING)
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(source), "--mapping", str(mapping), "--skip-invalid", str(rejects))
    assert result.exit_code == 3, (result.stdout, result.stderr[:400])
    assert summary_of(result) == (CFPB_ROWS, CFPB_ROWS - 1, 0, 0, 1)
    (got,) = rejects_of(rejects)
    assert (got["line"], got["field"], got["Complaint ID"]) == (str(last), "Complaint ID", "")


# -- 6. exit statuses, --fail-over, and values mapped for any field ---------------------------
def three_rows_one_bad(tmp_path: Path) -> Path:
    rows = [
        ["F-1", "2025-10-03 09:00", "phone", "王伟", "138", "漏水"],
        ["F-2", "2025-10-03 10:00", "pigeon", "李雷", "139", "漏电"],
        ["F-3", "2025-10-03 11:00", "email", "韩梅", "137", "漏油"],
    ]
    return write(tmp_path / "f.csv", csv_text(OUR_HEADER, rows))


def test_a_clean_import_exits_0(cli, tmp_path):
    rows = [["G-1", "2025-10-03 09:00", "phone", "王伟", "138", "漏水"]]
    cli.ok("db", "init")
    result = cli("import", str(write(tmp_path / "g.csv", csv_text(OUR_HEADER, rows))))
    assert result.exit_code == 0 and result.stderr == ""


def test_fail_over_imports_nothing_when_more_of_the_rows_than_it_allows_are_rejected(
    cli, tmp_path, db_url
):
    source = three_rows_one_bad(tmp_path)
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(source), "--skip-invalid", str(rejects), "--fail-over", "30%")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert stderr_lines(result)[-1] == (
        "error: --fail-over: 1 of 3 rows rejected, more than 30%: nothing was imported"
    )
    assert summary_of(result) == (3, 0, 0, 0, 1)
    assert case_count(db_url) == 0
    assert [r["line"] for r in rejects_of(rejects)] == ["3"]  # still told which rows


def test_fail_over_within_its_limit_imports_the_good_rows_and_exits_3(cli, tmp_path, db_url):
    source = three_rows_one_bad(tmp_path)
    cli.ok("db", "init")
    rejects = tmp_path / "rejects.csv"
    result = cli("import", str(source), "--skip-invalid", str(rejects), "--fail-over", "34")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert summary_of(result) == (3, 2, 0, 0, 1)
    assert case_count(db_url) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (("--skip-invalid", "r.csv", "--fail-over", "five"), "--fail-over: 'five' is not a"),
        (("--skip-invalid", "r.csv", "--fail-over", "120%"), "--fail-over: '120%' is not a"),
        (("--fail-over", "5%"), "--fail-over applies to --skip-invalid"),
    ],
)
def test_a_wrong_fail_over_is_a_usage_error_naming_the_option(cli, tmp_path, args, message):
    source = three_rows_one_bad(tmp_path)
    result = cli("import", str(source), *args)
    assert result.exit_code == 2
    (line,) = stderr_lines(result)
    assert message in line


def test_import_help_documents_the_exit_statuses(cli):
    text = " ".join(cli.ok("import", "--help").split())
    assert "0 every row imported" in text
    assert "1 bad rows and nothing written" in text
    assert "3 imported with --skip-invalid, with rows rejected" in text


VALUES_MAPPING = """\
[columns]
external_ref = "Ref"
received_at = "Date"
channel = "Via"
customer_name = "Name"
contact = "Phone"
summary = "Subject"
customer_type = "Type"
feedback_score = "Happy?"
product = "Model"
resolved_at = "Done"

[defaults]
product = "unknown model"

[values.feedback_score]
Yes = "5"
No = "1"
"-" = ""

[values.customer_type]
Company = "enterprise"
Person = "individual"

[values.product]
KFR = "KFR-35GW air conditioner"
"N/A" = ""
"""


def test_a_mapping_translates_the_values_of_scores_types_and_text_fields(cli, tmp_path):
    header = ["Ref", "Date", "Via", "Name", "Phone", "Subject", "Type", "Happy?", "Model", "Done"]
    rows = [
        ["V-1", "2025-10-03 09:00", "phone", "王伟", "138", "漏水", "Person", "Yes", "KFR",
         "2025-10-04 09:00"],
        ["V-2", "2025-10-03 10:00", "phone", "Acme", "139", "漏电", "Company", "no", "N/A",
         "2025-10-04 09:00"],
        ["V-3", "2025-10-03 11:00", "phone", "韩梅", "137", "漏油", "Person", "-", "XQB-60",
         "2025-10-04 09:00"],
    ]  # fmt: skip
    source = write(tmp_path / "v.csv", csv_text(header, rows))
    mapping = write(tmp_path / "v.toml", VALUES_MAPPING)
    cli.ok("db", "init")
    result = cli("import", str(source), "--mapping", str(mapping))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    cases = exported(cli)
    got = {ref: (c["customer_type"], c["feedback_score"], c["product"]) for ref, c in cases.items()}
    assert got == {
        "V-1": ("individual", 5, "KFR-35GW air conditioner"),
        "V-2": ("enterprise", 1, "unknown model"),  # mapped to "": the default
        "V-3": ("individual", None, "XQB-60"),  # unmapped values pass as they are
    }


def test_a_value_mapping_to_a_value_the_field_refuses_is_a_config_error_naming_it(cli, tmp_path):
    mapping = write(tmp_path / "v.toml", VALUES_MAPPING.replace('No = "1"', 'No = "zero"'))
    result = cli("import", str(three_rows_one_bad(tmp_path)), "--mapping", str(mapping))
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        "error: mapping values.feedback_score: 'no' = 'zero': feedback_score must be a whole "
        "number 1..5"
    ]


# -- 4. day/month order: decided per column, over the whole file ------------------------------
def dated(rows: list[tuple[str, str]], extra: dict[str, list[str]] | None = None) -> str:
    """Our own columns, one case per (reference, received_at); `extra` adds columns."""
    extra = extra or {}
    header = OUR_HEADER + list(extra)
    body = [
        [ref, when, "phone", f"客户{i}", f"138{i:08d}", "漏水", *(v[i] for v in extra.values())]
        for i, (ref, when) in enumerate(rows)
    ]
    return csv_text(header, body)


def received(db_url: str) -> dict[str, object]:
    """{reference: received_at as stored (naive UTC)}."""
    out = {}
    for ref, value in query(db_url, "SELECT external_ref, received_at FROM cases"):
        out[ref] = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return out


MONTH_FIRST = [
    ("M-1", "11/12/2014"),  # either way on its own: 12 November here
    ("M-2", "11/13/2014"),  # only month first
    ("M-3", "01/02/2015 09:30"),
    ("M-4", "12/12/2014"),  # the same either way
]
MONTH_FIRST_DATES = {
    "M-1": local(2014, 11, 12, 0, 0),
    "M-2": local(2014, 11, 13, 0, 0),
    "M-3": local(2015, 1, 2, 9, 30),
    "M-4": local(2014, 12, 12, 0, 0),
}


def test_a_month_first_file_imports_without_a_flag_and_every_date_lands_right(
    cli, tmp_path, db_url
):
    source = write(tmp_path / "us.csv", dated(MONTH_FIRST))
    cli.ok("db", "init")
    result = cli("import", str(source))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert received(db_url) == MONTH_FIRST_DATES


@pytest.mark.slow
def test_the_one_telling_date_may_come_last_in_the_file(cli, tmp_path, db_url):
    rows = [(f"L-{i}", f"0{1 + i % 9}/0{1 + (i + 1) % 9}/2024") for i in range(3000)]
    rows.append(("L-last", "12/31/2024"))
    source = write(tmp_path / "late.csv", dated(rows))
    cli.ok("db", "init")
    result = cli("import", str(source))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    got = received(db_url)
    assert got["L-1"] == local(2024, 2, 3, 0, 0)  # 02/03/2024: 3 February
    assert got["L-last"] == local(2024, 12, 31, 0, 0)


def test_each_time_column_has_its_own_order(cli, tmp_path, db_url):
    rows = [("P-1", "03/04/2025 09:00"), ("P-2", "03/13/2025 09:00")]  # month first
    acked = ["04/03/2025 10:00", "14/03/2025 10:00"]  # day first
    source = write(tmp_path / "p.csv", dated(rows, {"acknowledged_at": acked}))
    cli.ok("db", "init")
    result = cli("import", str(source))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    got = query(db_url, "SELECT external_ref, acknowledged_at FROM cases ORDER BY external_ref")
    acks = [dt.datetime.fromisoformat(str(v)) for _, v in got]
    assert acks == [local(2025, 3, 4, 10, 0), local(2025, 3, 14, 10, 0)]
    assert received(db_url)["P-1"] == local(2025, 3, 4, 9, 0)


def test_a_column_with_both_orders_is_refused_naming_a_line_of_each(cli, tmp_path, db_url):
    rows = [
        ("B-1", "2014-11-01"),
        ("B-2", "11/13/2014"),
        ("B-3", "11/12/2014"),
        ("B-4", "13/11/2014"),
    ]
    source = write(tmp_path / "both.csv", dated(rows))
    cli.ok("db", "init")
    for extra in ((), ("--dry-run",), ("--skip-invalid", str(tmp_path / "r.csv"))):
        result = cli("import", str(source), *extra)
        assert result.exit_code == 1, (extra, result.stdout, result.stderr)
        assert stderr_lines(result) == [
            "error: column 'received_at': some dates have the day first (line 5: 13/11/2014), "
            "some the month first (line 3: 11/13/2014); correct the file, or choose with "
            "--dayfirst or --monthfirst"
        ]
    assert case_count(db_url) == 0


AMBIGUOUS = [("A-1", "03/04/2025"), ("A-2", "2025-04-05"), ("A-3", "05/06/2025 10:00")]


def test_a_column_of_only_ambiguous_dates_needs_an_order(cli, tmp_path, db_url):
    source = write(tmp_path / "amb.csv", dated(AMBIGUOUS))
    cli.ok("db", "init")
    rejects = tmp_path / "r.csv"
    for extra in ((), ("--skip-invalid", str(rejects))):
        result = cli("import", str(source), *extra)
        assert result.exit_code == 1, (result.stdout, result.stderr)
        assert stderr_lines(result) == [
            "error: column 'received_at': every date like 03/04/2025 (line 2) can be read day "
            "first or month first; use --dayfirst or --monthfirst, or set date_order in the config"
        ]
    assert case_count(db_url) == 0


@pytest.mark.parametrize(
    "how, first, third",
    [
        (("--dayfirst",), local(2025, 4, 3, 0, 0), local(2025, 6, 5, 10, 0)),
        (("--monthfirst",), local(2025, 3, 4, 0, 0), local(2025, 5, 6, 10, 0)),
        ("dayfirst", local(2025, 4, 3, 0, 0), local(2025, 6, 5, 10, 0)),
        ("monthfirst", local(2025, 3, 4, 0, 0), local(2025, 5, 6, 10, 0)),
    ],
    ids=["--dayfirst", "--monthfirst", "config dayfirst", "config monthfirst"],
)
def test_an_ambiguous_column_imports_with_a_flag_or_the_configs_date_order(
    cli, tmp_path, db_url, monkeypatch, how, first, third
):
    source = write(tmp_path / "amb.csv", dated(AMBIGUOUS))
    cli.ok("db", "init")
    flags: tuple[str, ...] = ()
    if isinstance(how, tuple):
        flags = how
    else:
        config = write(tmp_path / "complaintctl.toml", f'date_order = "{how}"\n')
        monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    result = cli("import", str(source), *flags)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    got = received(db_url)
    assert (got["A-1"], got["A-2"], got["A-3"]) == (first, local(2025, 4, 5, 0, 0), third)


def test_the_configs_date_order_yields_to_what_the_column_itself_says(
    cli, tmp_path, db_url, monkeypatch
):
    config = write(tmp_path / "complaintctl.toml", 'date_order = "dayfirst"\n')
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    cli.ok("db", "init")
    result = cli("import", str(write(tmp_path / "us.csv", dated(MONTH_FIRST))))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert received(db_url) == MONTH_FIRST_DATES


def test_a_flag_against_a_columns_order_makes_the_contrary_dates_bad_rows(cli, tmp_path, db_url):
    source = write(tmp_path / "us.csv", dated(MONTH_FIRST))
    cli.ok("db", "init")
    rejects = tmp_path / "r.csv"
    result = cli("import", str(source), "--dayfirst", "--skip-invalid", str(rejects))
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert [(r["line"], r["value"]) for r in rejects_of(rejects)] == [("3", "11/13/2014")]
    got = received(db_url)
    assert got["M-1"] == local(2014, 12, 11, 0, 0)  # as told: day first


def test_standard_input_is_read_twice_through_a_temporary_copy(cli, tmp_path, db_url):
    cli.ok("db", "init")
    result = cli("import", "-", input=dated(MONTH_FIRST))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert received(db_url) == MONTH_FIRST_DATES


def test_json_lines_columns_are_decided_the_same_way(cli, tmp_path, db_url):
    lines = [
        json.dumps(
            {"external_ref": ref, "received_at": when, "channel": "phone",
             "customer_name": "王伟", "contact": f"138{i}", "summary": "漏水"},
            ensure_ascii=False,
        )
        for i, (ref, when) in enumerate(MONTH_FIRST)
    ]  # fmt: skip
    cli.ok("db", "init")
    result = cli("import", str(write(tmp_path / "us.jsonl", "\n".join(lines) + "\n")))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert received(db_url) == MONTH_FIRST_DATES


def test_a_wrong_date_order_in_the_config_is_one_line_naming_the_key_and_the_choices(
    cli, tmp_path, monkeypatch
):
    config = write(tmp_path / "complaintctl.toml", 'date_order = "yearfirst"\n')
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    result = cli("list")
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        "error: date_order: 'yearfirst' is not a date order; allowed: dayfirst, monthfirst"
    ]


# -- 4. ... and in the commands people type ------------------------------------------------
def log_received(cli, when: str):
    return cli(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
        "--summary", "洗衣机漏水", "--received-at", when, "--quiet",
    )  # fmt: skip


def received_of(cli, number: str) -> str:
    return json.loads(cli.ok("show", number, "--format", "json"))["received_at"]


def test_log_refuses_an_ambiguous_date_with_both_readings_and_the_way_out(cli):
    cli.ok("db", "init")
    result = log_received(cli, "03/10/2025")
    assert result.exit_code != 0
    assert stderr_lines(result) == [
        "error: --received-at: 03/10/2025 is ambiguous (3 October or 10 March?); write "
        "2025-10-03 or 2025-03-10, or set date_order in the config"
    ]
    assert "C2025" not in cli.ok("list", "--status", "all")


@pytest.mark.slow
def test_log_reads_a_date_that_can_only_be_day_first_as_that_date(cli):
    cli.ok("db", "init")
    number = log_received(cli, "13/10/2025").stdout.strip()
    assert received_of(cli, number).startswith("2025-10-13T00:00")
    number = log_received(cli, "10/13/2025 09:30").stdout.strip()
    assert received_of(cli, number).startswith("2025-10-13T09:30")
    number = log_received(cli, "2025-10-03").stdout.strip()
    assert received_of(cli, number).startswith("2025-10-03T00:00")


@pytest.mark.parametrize("order, day", [("dayfirst", "2025-10-03"), ("monthfirst", "2025-03-10")])
def test_log_reads_an_ambiguous_date_in_the_configs_date_order(
    cli, tmp_path, monkeypatch, order, day
):
    config = write(tmp_path / "complaintctl.toml", f'date_order = "{order}"\n')
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    cli.ok("db", "init")
    result = log_received(cli, "03/10/2025")
    assert result.exit_code == 0, result.stderr
    assert received_of(cli, result.stdout.strip()).startswith(f"{day}T00:00")
    number = log_received(cli, "2025-10-03 08:00").stdout.strip()  # ISO is never swapped
    assert received_of(cli, number).startswith("2025-10-03T08:00")


def test_list_from_refuses_an_ambiguous_date_and_takes_an_unambiguous_one(cli):
    cli.ok("db", "init")
    result = cli("list", "--from", "03/10/2025")
    assert result.exit_code != 0
    assert stderr_lines(result)[0].startswith("error: --from: 03/10/2025 is ambiguous")
    assert cli("list", "--from", "13/10/2025").exit_code == 0


# -- the Done-when of issue 14: the CFPB sample, month by month ------------------------------
@pytest.mark.slow
@needs_cfpb
def test_the_cfpb_sample_imports_every_row_and_each_months_count_matches_the_file(
    cli, tmp_path, db_url
):
    with CFPB.open(encoding="utf-8", newline="") as f:
        want = Counter(row["Date received"][:7] for row in csv.DictReader(f))
    assert sum(want.values()) == CFPB_ROWS
    cli.ok("db", "init")
    mapping = write(tmp_path / "cfpb.toml", CFPB_MAPPING)
    result = cli("import", str(CFPB), "--mapping", str(mapping))
    assert result.exit_code == 0, (result.stdout, result.stderr[:400])
    assert summary_of(result) == (CFPB_ROWS, CFPB_ROWS, 0, 0, 0)
    office = ZoneInfo("Asia/Shanghai")
    got = Counter()
    for (value,) in query(db_url, "SELECT received_at FROM cases"):
        when = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC).astimezone(office)
        got[f"{when:%Y-%m}"] += 1
    assert got == want
