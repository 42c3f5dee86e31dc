"""Import batches: each import that writes is recorded; the same content is refused a second
time (files without an ID column used to double); an untouched batch can be undone and the
register is then as it was.  On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from conftest import table_rows

# No ID column, and two rows that are exactly alike (two calls about the same thing are
# two complaints): nothing in a row can tell "imported already" from "another complaint".
NO_IDS = (
    "received_at,channel,customer_name,contact,summary\n"
    "2025-10-09 09:00,phone,张伟,13800001111,洗衣机漏水\n"
    "2025-10-09 09:00,phone,张伟,13800001111,洗衣机漏水\n"
    "2025-10-10 14:30,online,Li Na,li.na@example.com,发票重复收费\n"
)


def write(tmp_path: Path, name: str = "calls.csv", text: str = NO_IDS) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count_cases(db_url: str) -> int:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    finally:
        engine.dispose()


def batches(cli) -> list[dict]:
    return json.loads(cli.ok("imports", "list", "--format", "json"))


def test_a_file_without_ids_imported_twice_is_refused_the_second_time_naming_the_batch(
    cli, tmp_path, db_url
):
    path = write(tmp_path)
    assert cli.ok("import", str(path)).startswith("read 3, imported 3")
    again = cli("import", str(path))
    assert again.exit_code == 1
    assert "this content was imported already, as batch 1 on" in again.stderr
    assert "(calls.csv)" in again.stderr and "--again" in again.stderr
    assert "Traceback" not in again.output
    assert count_cases(db_url) == 3
    assert len(batches(cli)) == 1


def test_the_same_bytes_under_another_name_or_on_standard_input_are_recognised(
    cli, tmp_path, db_url
):
    cli.ok("import", str(write(tmp_path)))
    renamed = cli("import", str(write(tmp_path, "renamed.csv")))
    assert renamed.exit_code == 1 and "batch 1" in renamed.stderr
    piped = cli("import", "-", input=NO_IDS)
    assert piped.exit_code == 1 and "batch 1" in piped.stderr
    assert count_cases(db_url) == 3


def test_again_imports_the_same_content_once_more_as_a_batch_of_its_own(cli, tmp_path, db_url):
    path = write(tmp_path)
    cli.ok("import", str(path))
    assert cli.ok("import", str(path), "--again").startswith("read 3, imported 3")
    assert count_cases(db_url) == 6
    assert [b["batch"] for b in batches(cli)] == [1, 2]


def test_a_changed_file_is_new_content(cli, tmp_path, db_url):
    cli.ok("import", str(write(tmp_path)))
    more = NO_IDS + "2025-10-11 10:00,email,王芳,wf@example.com,快递延误三天\n"
    assert cli.ok("import", str(write(tmp_path, "calls.csv", more))).startswith(
        "read 4, imported 4"
    )


def test_the_batch_records_file_digests_counts_actor_and_time(cli, tmp_path):
    path = write(tmp_path, text=NO_IDS + "2025-10-11 10:00,fax,王芳,wf@example.com,坏行\n")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\nreceived_at = "received_at"\nchannel = "channel"\n'
        'customer_name = "customer_name"\ncontact = "contact"\nsummary = "summary"\n',
        encoding="utf-8",
    )
    result = cli("import", str(path), "--mapping", str(mapping), "--skip-invalid",
                 str(tmp_path / "rejects.csv"))  # fmt: skip
    assert result.exit_code in (0, 3)  # 3: rows were rejected (issue 14)
    (b,) = batches(cli)
    assert b["batch"] == 1 and b["source"] == "calls.csv" and b["actor"] == "tester"
    assert b["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert b["mapping_sha256"] == hashlib.sha256(mapping.read_bytes()).hexdigest()
    assert (b["read"], b["imported"], b["present"], b["updated"], b["rejected"]) == (4, 3, 0, 0, 1)
    assert b["at"] and b["undone_at"] is None
    table = cli.ok("imports", "list")
    assert "calls.csv: read 4, imported 3, already present 0, updated 0, rejected 1" in table
    csv_out = cli.ok("imports", "list", "--format", "csv").splitlines()
    assert csv_out[0].startswith("batch,at,actor,source,read,imported")


def test_a_dry_run_or_a_refused_import_records_no_batch(cli, tmp_path):
    path = write(tmp_path)
    cli.ok("import", str(path), "--dry-run")
    bad = write(tmp_path, "bad.csv", NO_IDS + "not a date,phone,x,y,z\n")
    assert cli("import", str(bad)).exit_code == 1  # all or nothing: nothing written
    assert batches(cli) == []
    assert cli.ok("imports", "list") == "No import batches.\n"
    cli.ok("import", str(path))  # neither of them counts as having imported it


def test_a_dry_run_of_content_imported_before_says_it_would_be_refused(cli, tmp_path, db_url):
    path = write(tmp_path)
    cli.ok("import", str(path))
    before = table_rows(db_url)
    dry = cli("import", str(path), "--dry-run")
    assert dry.exit_code == 1 and "batch 1" in dry.stderr
    assert table_rows(db_url) == before


def test_undo_of_an_untouched_batch_leaves_the_register_as_it_was(cli, tmp_path, db_url):
    cli.ok("log", "--channel", "phone", "--customer", "赵敏", "--contact", "13900001111",
           "--summary", "空调不制冷", "--received-at", "2025-10-08 09:00")  # fmt: skip
    before = table_rows(db_url)
    path = write(tmp_path)
    cli.ok("import", str(path))
    assert count_cases(db_url) == 4
    out = cli.ok("imports", "undo", "1")
    assert out == "import batch 1 (calls.csv) undone: 3 case(s) and 3 history entries removed\n"
    after = table_rows(db_url)
    for table in ("cases", "events", "attachments", "meta"):
        assert after[table] == before[table], table
    assert cli.ok("db", "check").rstrip().endswith("no problems found")
    (b,) = batches(cli)
    assert b["undone_by"] == "tester" and b["undone_at"]
    assert "(undone " in cli.ok("imports", "list")
    # Undone, the content is no longer "imported": it may come in again without --again.
    assert cli.ok("import", str(path)).startswith("read 3, imported 3")
    assert count_cases(db_url) == 4


def test_undo_is_refused_naming_the_cases_worked_on_since_and_removes_nothing(
    cli, tmp_path, db_url
):
    cli.ok("import", str(write(tmp_path)))
    numbers = [c["number"] for c in json.loads(cli.ok("list", "--format", "json"))["cases"]]
    cli.ok("ack", numbers[1])
    before = table_rows(db_url)
    refused = cli("imports", "undo", "1")
    assert refused.exit_code == 1
    assert (
        f"import batch 1 cannot be undone: 1 of its cases were worked on since ({numbers[1]})"
        in refused.stderr
    )
    assert "Traceback" not in refused.output
    assert table_rows(db_url) == before


def test_undo_twice_or_of_a_batch_that_does_not_exist_is_refused(cli, tmp_path):
    cli.ok("import", str(write(tmp_path)))
    cli.ok("imports", "undo", "1")
    twice = cli("imports", "undo", "1")
    assert twice.exit_code == 1 and "import batch 1 was undone already, on " in twice.stderr
    missing = cli("imports", "undo", "7")
    assert missing.exit_code != 0 and "there is no import batch 7" in missing.stderr


def test_undo_touches_no_other_batch(cli, tmp_path, db_url):
    cli.ok("import", str(write(tmp_path)))
    other = (
        "received_at,channel,customer_name,contact,summary\n"
        "2025-10-12 09:00,visit,周杰,zj@example.com,客服态度差\n"
    )
    cli.ok("import", str(write(tmp_path, "other.csv", other)))
    cli.ok("imports", "undo", "1")
    remaining = json.loads(cli.ok("list", "--status", "all", "--format", "json"))["cases"]
    assert [c["customer_name"] for c in remaining] == ["周杰"]


def test_a_batch_that_refreshed_cases_it_did_not_create_cannot_be_undone(cli, tmp_path, db_url):
    first = (
        "external_ref,received_at,channel,customer_name,contact,summary\n"
        "R-1,2025-10-09 09:00,phone,张伟,13800001111,洗衣机漏水\n"
    )
    cli.ok("import", str(write(tmp_path, "a.csv", first)))
    changed = first.replace("洗衣机漏水", "洗衣机漏水严重")
    cli.ok("import", str(write(tmp_path, "b.csv", changed)), "--update")
    refused = cli("imports", "undo", "2")
    assert refused.exit_code == 1 and "refreshed 1 case(s) it did not create" in refused.stderr
    # and batch 1's case was refreshed since: it counts as worked on
    refused = cli("imports", "undo", "1")
    assert refused.exit_code == 1 and "cannot be undone" in refused.stderr
