"""Nothing lost when a process dies: `kill -9` in the middle of a 50,000-row import, and a
process killed between any two statements of a single transition.

Afterwards `db check` passes and the register is exactly as it was before the command, or
exactly as the command would have left it: never anything in between.  The import runs as
the real command in a subprocess on a SQLite file; the transitions run in a small worker
process (on SQLite and PostgreSQL) that kills itself with SIGKILL from inside SQLAlchemy's
statement events, after the first, second, ... statement of the command's transaction, and
once just after its COMMIT.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import build_template, table_rows

# Processes killed midway: slow (python -m pytest -m 'not slow' leaves them out).
pytestmark = pytest.mark.slow

ROWS = 50_000
PERF = Path(__file__).resolve().parent / "perf"


# -- kill -9 in the middle of an import ----------------------------------------------------
@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50,000 realistic rows (the import benchmark's generator: five years, with history)."""
    sys.path.insert(0, str(PERF))
    try:
        from bench_import import generate
    finally:
        sys.path.remove(str(PERF))
    path = tmp_path_factory.mktemp("crash") / "rows-50000.csv"
    generate(path, ROWS, seed=11)
    return path


def _file_position(pid: int, path: Path) -> int | None:
    """How far process `pid` has read the file `path` (Linux: /proc/PID/fdinfo), or None
    while it has not opened it.  The import streams the file, so this is its progress."""
    target = str(path)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    for line in info:
                        if line.startswith("pos:"):
                            return int(line.split()[1])
        except OSError:
            continue
    return None


def _wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _end_group(proc: subprocess.Popen) -> None:
    """Reap the killed import and make sure nothing of its session (the row-reading child it
    forks) lingers."""
    proc.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _log_existing_cases(cli) -> list[str]:
    numbers = []
    for i, (customer, summary) in enumerate([("王伟", "洗衣机漏水"), ("Li Na", "invoice")]):
        numbers.append(
            cli.ok(
                "log", "--channel", "phone", "--customer", customer,
                "--contact", f"1380000000{i}", "--summary", summary,
                "--received-at", f"2025-10-0{i + 1} 09:00", "--ack", "-q",
            ).strip()
        )  # fmt: skip
    cli.ok("classify", numbers[0], "--category", "PQ", "--severity", "B", "--kind", "claim",
           "--at", "2025-10-01 10:00")  # fmt: skip
    cli.ok("note", numbers[1], "客户来电询问进度")
    return numbers


@pytest.mark.parametrize(
    "fraction",
    [0.25, 0.5, 1.0],
    ids=["a quarter read", "half read", "all read, committing"],
)
def test_an_import_killed_midway_leaves_none_or_all_of_its_rows(
    cli, db_path, big_csv, tmp_path, fraction
):
    existing = _log_existing_cases(cli)
    before = table_rows(f"sqlite:///{db_path}")
    size, wal_before = big_csv.stat().st_size, _wal_size(db_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "complaintctl", "import", str(big_csv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
        start_new_session=True,
    )
    # Wait for real progress, whatever the machine's load: the file read to `fraction` (the
    # rows before it converted and being written) and the transaction's pages spilling into
    # the WAL.
    deadline = time.monotonic() + 600
    killed_at = None
    while proc.poll() is None and time.monotonic() < deadline:
        pos = _file_position(proc.pid, big_csv)
        if pos is not None and pos >= fraction * size and _wal_size(db_path) > wal_before:
            killed_at = pos
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    _end_group(proc)
    out, err = proc.communicate()
    if killed_at is None:
        # Only the last kill point may lose the race with the commit.
        assert fraction == 1.0 and proc.returncode == 0, (proc.returncode, err[-2000:])
    else:
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, out, err[-2000:])

    check = cli("db", "check")
    assert check.exit_code == 0, check.stdout + check.stderr
    after = table_rows(f"sqlite:///{db_path}")
    if fraction < 1.0:
        assert after == before, "a killed import left some of its rows behind"
    if after != before:  # the commit won: every row is there, and nothing else changed
        assert len(after["cases"]) == len(before["cases"]) + ROWS
        assert after["cases"][: len(before["cases"])] == before["cases"]
        old_events = [e for e in after["events"] if e[1] <= len(before["cases"])]
        assert old_events == before["events"]
    # The register works on after the crash: its numbers go on, and it checks clean.
    number = cli.ok(
        "log", "--channel", "email", "--customer", "c", "--contact", "c@example.com",
        "--summary", "after the crash", "-q",
    ).strip()  # fmt: skip
    assert number not in existing
    assert cli("db", "check").exit_code == 0
    for n in existing:
        assert json.loads(cli.ok("show", n, "--format", "json"))["number"] == n


# -- a process killed inside one transition --------------------------------------------------
# The worker imports complaintctl once and forks a child per job, so that each of the many
# kill points costs a fork rather than an interpreter start.  The child counts the
# statements of the command's write transaction and SIGKILLs itself after the Nth (or right
# after the COMMIT), recording each statement it saw; its clock is frozen so that the run
# that is not killed leaves exactly the rows a killed-after-commit run leaves.
WORKER = textwrap.dedent(
    """
    import contextlib, datetime as dt, json, os, signal, sys

    import sqlalchemy as sa
    from sqlalchemy import event
    from typer.main import get_command

    import complaintctl.clock, complaintctl.store
    import complaintctl.dbops, complaintctl.importer, complaintctl.privacy  # noqa: F401
    import complaintctl.queries, complaintctl.services  # noqa: F401
    from complaintctl.cli import app

    NOW = dt.datetime.fromisoformat(sys.argv[1])
    command = get_command(app)

    def child(job):
        complaintctl.clock.utc_now = lambda: NOW
        state = {"write": False, "n": 0}
        log = open(job["log"], "w")
        kill_at = job["kill_at"]

        def die():
            log.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        @event.listens_for(sa.engine.Engine, "begin")
        def begin(conn):
            if conn.get_execution_options().get("complaintctl_write"):
                state["write"] = True

        @event.listens_for(sa.engine.Engine, "after_cursor_execute")
        def executed(conn, cursor, statement, params, context, executemany):
            if state["write"]:
                state["n"] += 1
                log.write(" ".join(statement.split())[:120] + "\\n")
                if kill_at == state["n"]:
                    die()

        @event.listens_for(sa.engine.Engine, "commit")
        def commit(conn):
            if state["write"]:
                log.write("COMMIT\\n")
                state["write"] = False

        @event.listens_for(sa.engine.Engine, "rollback")
        def rollback(conn):
            state["write"] = False

        # Right after the COMMIT reached the database (a Session's commit ends in its
        # connection's Transaction.commit, and the import commits a Connection's).
        orig_commit = sa.engine.Transaction.commit

        def commit_then_die(self):
            orig_commit(self)
            if kill_at == "after commit":
                die()

        sa.engine.Transaction.commit = commit_then_die

        # The same for the storage layer (complaintctl.store), which runs SQL on a SQLite
        # file through sqlite3 itself: its trace callback sees each statement as it starts,
        # so "killed after the Nth" is killed as the next one (or the COMMIT) starts.
        def trace(sql):
            text = " ".join(sql.split())
            if text.startswith("BEGIN IMMEDIATE"):
                state["write"] = True
                return
            if not state["write"]:
                return
            if kill_at == state["n"]:
                die()
            if text == "COMMIT":
                log.write("COMMIT\\n")
                state["write"] = False
            elif text == "ROLLBACK":
                state["write"] = False
            else:
                state["n"] += 1
                log.write(text[:120] + "\\n")

        opened = complaintctl.store.open_sqlite

        def open_traced(path, check=True):
            store = opened(path, check)
            store._conn.set_trace_callback(trace)
            return store

        complaintctl.store.open_sqlite = open_traced
        transaction = complaintctl.store.Store.transaction

        @contextlib.contextmanager
        def transaction_then_die(self, write=True):
            with transaction(self, write) as store:
                yield store
            if write and self._depth == 0 and kill_at == "after commit":
                die()

        complaintctl.store.Store.transaction = transaction_then_die
        code = command.main(job["args"], prog_name="complaintctl", standalone_mode=False)
        log.flush()
        os._exit(code if isinstance(code, int) else 0)

    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            out = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
            try:
                child(job)
            finally:
                os._exit(99)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }), flush=True)
    """
)


class Worker:
    """The forking worker, fed one job at a time."""

    def __init__(self, now: dt.datetime) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, now.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )

    def run(self, args: list[str], kill_at: int | str | None, tmp: Path) -> tuple[dict, list, str]:
        """(how the child ended, the write statements it executed, its output)."""
        log, out = tmp / "statements.log", tmp / "output.txt"
        job = {"args": args, "kill_at": kill_at, "log": str(log), "out": str(out)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the worker died"
        statements = log.read_text().splitlines() if log.exists() else []
        return json.loads(line), statements, out.read_text() if out.exists() else ""

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _build_cases(cli) -> dict[str, str]:
    """One case waiting at each step a job below moves it from (times in October 2025)."""

    def log(i: int, *extra: str) -> str:
        return cli.ok(
            "log", "--channel", "phone", "--customer", f"客户{i}", "--contact", f"1390000000{i}",
            "--summary", f"投诉 {i}", "--received-at", f"2025-10-09 09:0{i}", "-q", *extra,
        ).strip()  # fmt: skip

    def walk(number: str, until: str) -> None:
        steps = [
            ("classify", ["--category", "PQ", "--severity", "B", "--kind", "claim"]),
            ("assign", ["--department", "QA", "--owner", "李娜"]),
            ("investigate", ["--findings", "密封圈老化", "--responsibility", "internal"]),
            ("resolve", ["--remedy", "repair"]),
            ("feedback", ["--score", "5"]),
        ]
        for hour, (verb, args) in enumerate(steps, start=10):
            if verb == until:
                return
            cli.ok(verb, number, *args, "--at", f"2025-10-09 {hour}:00")

    cases = {
        "acknowledge": log(1),
        "classify": log(2, "--ack"),
        "assign": log(3, "--ack"),
        "investigate": log(4, "--ack"),
        "feedback": log(5, "--ack"),
        "closed": log(6, "--ack"),
    }
    walk(cases["assign"], "assign")
    walk(cases["investigate"], "investigate")
    walk(cases["feedback"], "feedback")
    walk(cases["closed"], "")
    return cases


@pytest.fixture(scope="module")
def transition_template(tmp_path_factory):
    return build_template(tmp_path_factory, "crash_transitions", _build_cases)


def _jobs(cases: dict[str, str], tmp: Path) -> dict[str, list[str]]:
    evidence = tmp / "photo.jpg"
    evidence.write_bytes(os.urandom(50_000))
    small = tmp / "five.csv"
    small.write_text(
        "external_ref,received_at,channel,customer_name,contact,summary,acknowledged_at\n"
        + "".join(
            f"K-{i},2025-10-0{i + 1} 09:00,email,客户K{i},k{i}@example.com,导入 {i},"
            f"2025-10-0{i + 1} 10:00\n"
            for i in range(5)
        ),
        encoding="utf-8",
    )
    return {
        "log --ack": ["log", "--channel", "visit", "--customer", "新客户", "--contact",
                      "13912345678", "--summary", "门店投诉", "--ack"],
        "ack": ["ack", cases["acknowledge"], "--note", "电话告知"],
        "classify A": ["classify", cases["classify"], "--category", "SA", "--severity", "A",
                       "--kind", "general"],
        "assign": ["assign", cases["assign"], "--department", "CS", "--owner", "王芳"],
        "feedback 2 (reopens)": ["feedback", cases["feedback"], "--score", "2"],
        "hold": ["hold", cases["investigate"], "--reason", "等待照片"],
        "attach": ["attach", cases["investigate"], str(evidence)],
        "purge": ["purge", "--closed-before", "2025-11-01"],
        "import": ["import", str(small)],
    }  # fmt: skip


JOBS = [
    "log --ack",
    "ack",
    "classify A",
    "assign",
    "feedback 2 (reopens)",
    "hold",
    "attach",
    "purge",
    "import",
]


@pytest.mark.parametrize("job", JOBS)
def test_a_process_killed_inside_a_transition_leaves_the_case_before_or_after_it(
    cli, db_url, transition_template, tmp_path, job
):
    cases = transition_template.copy_to(db_url)
    args = _jobs(cases, tmp_path)[job]
    before = table_rows(db_url)
    worker = Worker(dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0))
    try:
        # The command run to the end: the "after" state and its statements.
        ended, statements, output = worker.run(args, None, tmp_path)
        assert ended == {"signal": None, "code": 0}, output
        after = table_rows(db_url)
        assert after != before
        assert statements.count("COMMIT") == 1, statements
        writes = statements.index("COMMIT")
        assert writes >= 2, statements
        assert cli("db", "check").exit_code == 0

        kill_points: list[int | str] = [*range(1, writes + 1), "after commit"]
        for kill_at in kill_points:
            transition_template.copy_to(db_url)
            assert table_rows(db_url) == before
            ended, seen, output = worker.run(args, kill_at, tmp_path)
            where = f"killed after {seen[-1] if seen else 'nothing'!r} ({kill_at})"
            assert ended["signal"] == signal.SIGKILL, (where, ended, output)
            check = cli("db", "check")
            assert check.exit_code == 0, (where, check.stdout, check.stderr)
            rows = table_rows(db_url)
            if kill_at == "after commit":
                assert rows == after, where
            else:
                assert rows == before, where
            assert "Traceback" not in output, (where, output)
    finally:
        worker.close()


# -- SIGKILL at random moments while cases are being worked ------------------------------------
LOOP = textwrap.dedent(
    """
    import sys
    from typer.main import get_command
    from complaintctl.cli import app

    command = get_command(app)
    steps = [
        ["ack"],
        ["classify", "--category", "PQ", "--severity", "A", "--kind", "claim"],
        ["escalate", "--to", "质量总监"],
        ["plan", "当天上门核实"],
        ["assign", "--department", "QA", "--owner", "李娜"],
        ["hold", "--reason", "等待客户"],
        ["resume"],
        ["investigate", "--findings", "批次问题", "--responsibility", "internal"],
        ["resolve", "--remedy", "refund", "--amount", "12.50"],
        ["feedback", "--score", "2"],
    ]
    for number in sys.argv[1:]:
        for step in steps:
            args = [step[0], number, *step[1:]]
            code = command.main(args, prog_name="complaintctl", standalone_mode=False)
            print(number, step[0], code, flush=True)
    """
)


def test_sigkill_at_random_moments_while_working_cases_loses_nothing(cli, db_path):
    import random

    rnd = random.Random(20251009)
    numbers = [
        cli.ok(
            "log", "--channel", "phone", "--customer", f"客户{i}", "--contact",
            f"1370000{i:04d}", "--summary", "随机中断", "-q",
        ).strip()
        for i in range(30)
    ]  # fmt: skip
    url = f"sqlite:///{db_path}"
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOOP, *numbers],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=os.environ.copy(),
        )
        # Wait until it is really moving cases, then kill it at a random moment.
        first = proc.stdout.readline()
        assert first, "the loop died before its first command"
        time.sleep(rnd.uniform(0.0, 0.6))
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
        check = cli("db", "check")
        assert check.exit_code == 0, (round_, check.stdout, check.stderr)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                mismatched = conn.execute(
                    sa.text(
                        "SELECT c.number FROM cases c WHERE c.version != "
                        "(SELECT count(*) FROM events e WHERE e.case_id = c.id)"
                    )
                ).all()
        finally:
            engine.dispose()
        assert mismatched == [], round_
