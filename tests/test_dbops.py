"""db backup, db check and db copy, on registers built through the real workflow."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BACKENDS, POSTGRES_SERVER_URL, Template, build_template

from complaintctl.models import Attachment, Case, Counter, Event, Meta

TABLES = [t.__table__ for t in (Meta, Counter, Case, Event, Attachment)]
# SQLite → VIA → SQLite: through PostgreSQL whenever the suite has one (CI always does).
COPY_VIA = BACKENDS


def one_line_error(result, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


def build(cli, tmp_path: Path) -> dict[str, str]:
    """A small register with every kind of history: severity A with escalation and plan,
    hold/resume, an attachment, dissatisfied feedback (reopen) then satisfied, a rejection
    reopened, an open case, one logged and acknowledged at once."""

    def log(contact: str, *extra: str) -> str:
        args = ["--channel", "phone", "--customer", "王伟", "--contact", contact]
        return cli.ok("log", *args, "--summary", "洗衣机漏水", *extra, "-q").strip()

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4)
    full = log("13800000001", "--ack", "--amount", "120.50", "--order", "SO-1")
    for args in (
        ("classify", full, "--category", "PQ", "--severity", "A", "--kind", "claim"),
        ("escalate", full, "--to", "质量总监", "--note", "媒体已介入"),
        ("plan", full, "当天上门核实"),
        ("assign", full, "--department", "QA", "--owner", "李娜"),
        ("note", full, "客户来电询问进度"),
        ("attach", full, str(photo)),
        ("hold", full, "--reason", "waiting for photos"),
        ("resume", full),
        ("investigate", full, "--findings", "密封圈老化", "--responsibility", "internal"),
        ("resolve", full, "--remedy", "refund", "--amount", "120.50", "--note", "已退款"),
        ("feedback", full, "--score", "2", "--comment", "还是漏"),
        ("investigate", full, "--findings", "批次问题", "--responsibility", "mixed"),
        ("resolve", full, "--remedy", "replacement"),
        ("feedback", full, "--score", "5", "--comment", "满意"),
    ):
        cli.ok(*args)
    rejected = log("reject@example.com")
    cli.ok("ack", rejected)
    cli.ok("classify", rejected, "--reject", "not our product")
    cli.ok("reopen", rejected, "--reason", "it was ours after all")
    open_ = log("13900000000")
    cli.ok("ack", open_, "--note", "told by phone")
    cli.ok("classify", open_, "--category", "DL", "--severity", "C", "--kind", "general")
    cli.ok("assign", open_, "--department", "QA", "--owner", "张伟")
    cli.ok("note", open_, "客户再次来电")
    fresh = log("fresh@example.com")
    return {"full": full, "rejected": rejected, "open": open_, "fresh": fresh}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(
        tmp_path_factory, "dbops", lambda run: build(run, tmp_path_factory.mktemp("files"))
    )


@pytest.fixture
def cases(template: Template, db_url: str) -> dict[str, str]:
    """This test's register: a copy of the module's `build` (either backend)."""
    return template.copy_to(db_url)


def sql(url: str, statement: str, **params) -> list:
    """Run raw SQL behind the tool's back (and return any rows)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def event_ids(url: str, number: str) -> list[tuple[int, str]]:
    return [
        (i, a)
        for i, a in sql(
            url,
            "SELECT e.id, e.action FROM events e JOIN cases c ON c.id = e.case_id "
            "WHERE c.number = :n ORDER BY e.id",
            n=number,
        )
    ]


def rows(url: str) -> dict[str, list[dict]]:
    """Every row of every register table, in key order, values as Python sees them
    (times naive, binary as bytes), so two backends' registers can be compared."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = {}
    try:
        with engine.connect() as conn:
            for table in TABLES:
                key = list(table.primary_key.columns)
                out[table.name] = [
                    {k: bytes(v) if isinstance(v, memoryview) else v for k, v in r._mapping.items()}
                    for r in conn.execute(sa.select(table).order_by(*key))
                ]
    finally:
        engine.dispose()
    return out


# -- check ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_register_built_on_either_backend_checks_clean_and_copies_to_a_new_sqlite_file(
    cli, cases, db_url, tmp_path
):
    # (The template is built through the CLI on each backend, not copied between them.)
    out = cli.ok("db", "check")
    assert out.splitlines() == ["checked 4 cases, 26 events, 1 attachments", "no problems found"]
    target = tmp_path / "copy.db"
    cli.ok("db", "copy", "--to", str(target))
    assert rows(f"sqlite:///{target}") == rows(db_url)
    assert cli.ok("--db", str(target), "db", "check") == out


def test_an_event_edited_behind_the_tools_back_names_the_case(cli, cases, db_url, tmp_path):
    note = next(i for i, a in event_ids(db_url, cases["full"]) if a == "note")
    sql(db_url, "UPDATE events SET note = 'nothing to see' WHERE id = :i", i=note)
    result = cli("db", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"case {cases['full']}: history seal broken at event {note} (note): an event was "
        "edited or deleted behind the tool's back"
    )
    assert result.stderr == "error: 1 problems found in 1 cases\n"


def test_a_deleted_event_is_found_in_the_middle_or_at_the_end_of_a_history(
    cli, cases, db_url, tmp_path
):
    full = event_ids(db_url, cases["full"])
    hold = next(i for i, (_, a) in enumerate(full) if a == "hold")
    sql(db_url, "DELETE FROM events WHERE id = :i", i=full[hold][0])
    # The last event of the open case is a note: deleting it leaves the chain and the
    # steps intact, but not the case's count of changes.
    last_note = event_ids(db_url, cases["open"])[-1]
    assert last_note[1] == "note"
    sql(db_url, "DELETE FROM events WHERE id = :i", i=last_note[0])
    result = cli("db", "check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    resume = full[hold + 1][0]
    assert f"case {cases['full']}: event {resume}: resume is not allowed" not in lines
    assert (
        f"case {cases['full']}: history seal broken at event {resume} (resume): an event was "
        "edited or deleted behind the tool's back"
    ) in lines
    assert (
        f"case {cases['full']}: event {resume} (resume) changed due_at from a value its "
        "history before does not show"
    ) in lines
    assert (
        f"case {cases['open']}: has version 5 but 4 history events (version 4 expected): "
        "an event added or deleted behind the tool's back?"
    ) in lines
    assert {line.split(":")[0] for line in lines[:-1]} == {
        f"case {cases['full']}",
        f"case {cases['open']}",
    }, lines
    assert lines[-1] == "checked 4 cases, 24 events, 1 attachments"


def test_a_step_or_owner_changed_by_raw_sql_disagrees_with_the_history(
    cli, cases, db_url, tmp_path
):
    sql(db_url, "UPDATE cases SET step = 'closed' WHERE number = :n", n=cases["open"])
    sql(db_url, "UPDATE cases SET owner = 'someone else' WHERE number = :n", n=cases["full"])
    result = cli("db", "check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    last = event_ids(db_url, cases["open"])[-1][0]
    assert f"case {cases['open']}: has ended (closed) but has no outcome or closing time" in lines
    assert (
        f"case {cases['open']}: is at step 'closed' but its history (event {last}) leaves it "
        "at 'investigate'"
    ) in lines
    assert (
        f"case {cases['full']}: owner differ from what its history recorded "
        "(changed behind the tool's back?)"
    ) in lines
    assert not any(cases["rejected"] in line or cases["fresh"] in line for line in lines)
    assert result.stderr.startswith("error: ") and result.stderr.endswith(" in 2 cases\n")


def test_a_seal_removed_at_the_start_or_midway_is_a_problem(cli, cases, db_url, tmp_path):
    # Every writer seals: a history whose seals were blanked out has been tampered with.
    sql(
        db_url,
        "UPDATE events SET hash = NULL WHERE case_id = (SELECT id FROM cases WHERE number = :n)",
        n=cases["fresh"],
    )
    first = event_ids(db_url, cases["fresh"])[0][0]
    result = cli("db", "check")
    assert result.exit_code == 1
    assert (
        f"case {cases['fresh']}: event {first} (log) has no seal: it was removed behind the "
        "tool's back"
    ) in result.stdout.splitlines()
    last = event_ids(db_url, cases["open"])[-1][0]
    sql(db_url, "UPDATE events SET hash = NULL WHERE id = :i", i=last)
    result = cli("db", "check")
    assert result.exit_code == 1
    assert f"case {cases['open']}: event {last} (note) has lost its seal" in result.stdout


def test_an_event_of_a_missing_case_is_reported(cli, cases, db_path):
    import sqlite3

    with sqlite3.connect(db_path) as con:
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute(
            "INSERT INTO events (case_id, action, at, recorded_at, actor) "
            "VALUES (999, 'note', '2025-10-01 00:00:00.000000', '2025-10-01 00:00:00.000000', 'x')"
        )
    result = cli("db", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("events row 27 refers to a missing row of")


# -- backup -----------------------------------------------------------------------------
def test_backup_is_owner_only_refuses_to_overwrite_and_checks_clean(cli, cases, backend, tmp_path):
    target = tmp_path / "backups" / "register-backup.db"
    target.parent.mkdir()
    if backend == "postgresql":
        message = one_line_error(cli("db", "backup", str(target)))
        assert message.startswith("error: db backup copies SQLite files only; back up ")
        assert f"pg_dump --format=custom --file={target} --host=" in message
        assert not target.exists()
        return
    out = cli.ok("db", "backup", str(target))
    size = target.stat().st_size
    assert out == f"backup written: {target} (4 cases, {size:,} bytes)\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["register-backup.db"]
    message = one_line_error(cli("db", "backup", str(target)))
    assert message == f"error: FILE: {target} exists; use --force to replace it"
    cli.ok("note", cases["open"], "after the backup")
    cli.ok("db", "backup", str(target), "--force")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert cli.ok("--db", str(target), "db", "check").endswith("no problems found\n")
    assert rows(f"sqlite:///{target}") == rows(f"sqlite:///{tmp_path / 'register.db'}")
    missing = tmp_path / "nowhere" / "b.db"
    message = one_line_error(cli("db", "backup", str(missing)))
    assert message == f"error: FILE: directory {missing.parent} does not exist"


# A separate process logging (and acknowledging) cases until told to stop: each case is
# one transaction writing the case, two events and the number counter.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from typer.main import get_command
    from complaintctl.cli import app

    stop, command = Path(sys.argv[1]), get_command(app)
    for i in range(2000):
        if stop.exists():
            break
        code = command.main(
            ["log", "--ack", "--channel", "phone", "--customer", f"客户{i}",
             "--contact", f"w{i}@example.com", "--summary", f"并发 {i}", "-q"],
            prog_name="complaintctl", standalone_mode=False,
        )
        if code:
            sys.exit(code)
    """
)


@pytest.mark.slow
def test_a_backup_taken_while_another_process_writes_is_consistent(cli, cases, db_path, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COMPLAINTCTL_DB": str(db_path)},
    )
    try:
        backups = []
        deadline = time.monotonic() + 20
        for n in range(3):
            while len(sql(f"sqlite:///{db_path}", "SELECT id FROM cases")) < 8 + 4 * n:
                assert writer.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            target = tmp_path / f"backup-{n}.db"
            cli.ok("db", "backup", str(target))
            backups.append(target)
    finally:
        stop.touch()
        _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    seen = []
    for target in backups:
        url = f"sqlite:///{target}"
        assert cli.ok("--db", str(target), "db", "check").endswith("no problems found\n")
        cases = sql(url, "SELECT count(*), max(number) FROM cases")[0]
        counter = sql(url, "SELECT value FROM counters")[0][0]
        # Every number handed out is a case in the file, with its log and ack events.
        assert cases[0] == counter and cases[1].endswith(f"{counter:06d}")
        assert sql(url, "SELECT count(*) FROM events WHERE action = 'log'")[0][0] == cases[0]
        seen.append(cases[0])
    assert seen == sorted(seen) and seen[0] > 4
    assert len(sql(f"sqlite:///{db_path}", "SELECT id FROM cases")) >= seen[-1]


# -- copy -------------------------------------------------------------------------------
@pytest.fixture
def scratch_postgres():
    """Make empty PostgreSQL databases on the suite's server; dropped afterwards."""
    made: list[str] = []
    admin = sa.create_engine(
        POSTGRES_SERVER_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )

    def make() -> str:
        name = f"ct_copy_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        made.append(name)
        return sa.engine.make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(False)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@pytest.mark.parametrize("via", COPY_VIA)
def test_copy_round_trip_keeps_every_row_of_every_table(
    cli, cases, db_path, tmp_path, via, request
):
    source = f"sqlite:///{db_path}"
    middle = (
        request.getfixturevalue("scratch_postgres")()
        if via == "postgresql"
        else f"sqlite:///{tmp_path / 'middle.db'}"
    )
    back = tmp_path / "back.db"
    first = cli.ok("db", "copy", "--to", middle)
    again = cli.ok("--db", middle, "db", "copy", "--to", str(back))
    for out in (first, again):
        lines = out.splitlines()
        assert lines[1:7] == [
            "  meta           1",
            "  counters       1",
            "  import_batches 0",
            "  cases          4",
            "  events         26",
            "  attachments    1",
        ]
        assert lines[7] == "verified: every table's row count and every case's checksum match"
    # The same checksum on either backend: times and booleans are compared as values.
    assert first.splitlines()[-1] == again.splitlines()[-1]
    assert first.splitlines()[-1].startswith("checksum: sha256:")
    original = rows(source)
    assert rows(middle) == original
    assert rows(f"sqlite:///{back}") == original
    assert cli.ok("--db", middle, "db", "check").endswith("no problems found\n")
    # The copy carries on where the original stopped: the next id and number.
    cli.ok("--db", middle, "note", cases["open"], "after the move")
    new = cli.ok(
        "--db",
        middle,
        "log",
        "--channel",
        "email",
        "--customer",
        "x",
        "--contact",
        "x@y.z",
        "--summary",
        "s",
        "-q",
    )
    assert new.strip()[:-1] == cases["fresh"][:-1] and new.strip()[-1] == "5"
    assert sql(middle, "SELECT max(id) FROM cases")[0][0] == 5
    assert cli.ok("--db", middle, "db", "check").endswith("no problems found\n")


def test_copy_refuses_a_target_that_holds_cases_or_is_the_same_database(
    cli, cases, db_url, tmp_path
):
    target = tmp_path / "other.db"
    cli.ok("--db", str(target), "db", "init")
    cli.ok(
        "--db",
        str(target),
        "log",
        "--channel",
        "phone",
        "--customer",
        "x",
        "--contact",
        "1",
        "--summary",
        "s",
    )
    before = rows(f"sqlite:///{target}")
    message = one_line_error(cli("db", "copy", "--to", str(target)))
    assert message == (
        f"error: db copy: sqlite:///{target} already holds 1 cases; the target must be an "
        "empty register"
    )
    assert rows(f"sqlite:///{target}") == before
    message = one_line_error(cli("db", "copy", "--to", db_url))
    assert message == "error: db copy: --to names the database being copied"


def test_imported_history_is_sealed_like_any_other(cli, db_url, tmp_path):
    """The import's events (the fast SQLite path, the general one, and --update's) carry
    seals, so an import checks clean and an edit to imported history is found."""
    examples = Path(__file__).parent.parent / "examples"
    config = ("--config", str(examples / "complaintctl.toml"))
    mapping = ("--mapping", str(examples / "import-mapping.toml"))
    cli.ok(*config, "import", str(examples / "import-sample.csv"), *mapping)
    import csv

    with open(examples / "import-sample.csv", encoding="utf-8-sig", newline="") as f:
        header, first = list(csv.reader(f))[:2]
    changed = tmp_path / "changed.csv"
    with open(changed, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [header, [c.replace("空调不制冷", "空调完全不制冷") for c in first]]
        )
    assert "updated 1" in cli.ok(*config, "import", str(changed), *mapping, "--update")
    assert sql(db_url, "SELECT count(*) FROM events WHERE hash IS NULL") == [(0,)]
    out = cli.ok(*config, "db", "check")
    assert "not sealed" not in out and out.endswith("no problems found\n")
    sql(db_url, "UPDATE events SET actor = 'someone else' WHERE id = 1")
    result = cli(*config, "db", "check")
    assert result.exit_code == 1
    assert "history seal broken at event 1 (import)" in result.stdout


def test_db_check_on_postgresql_checks_the_indexes_with_amcheck_or_says_it_did_not(
    cli, db_url, backend
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's own index check (the SQLite one is integrity_check)")
    cli.ok("log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
           "--summary", "洗衣机漏水")  # fmt: skip
    sql(db_url, "DROP EXTENSION IF EXISTS amcheck")
    result = cli("db", "check")
    assert result.exit_code == 0
    assert "note: PostgreSQL's files were not checked: the amcheck extension" in result.stderr
    sql(db_url, "CREATE EXTENSION amcheck")
    try:
        result = cli("db", "check")
        assert result.exit_code == 0 and "no problems found" in result.stdout
        assert "amcheck" not in result.stderr
    finally:
        sql(db_url, "DROP EXTENSION IF EXISTS amcheck")
