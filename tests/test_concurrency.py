"""Several processes writing to one register at the same moment, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from complaintctl import services
from complaintctl.errors import CaseChanged
from complaintctl.models import Action

# Several processes at once: slow (python -m pytest -m 'not slow' leaves them out).
pytestmark = pytest.mark.slow

# Each worker is a separate Python process calling the real command line `n` times in a
# loop (a new database connection per call, as from the shell), so the workers race on the
# number counter, the rows and the locks exactly as several terminals would.  The workers
# wait for a start file so that they really begin together.
WORKER = textwrap.dedent(
    """
    import os, sys, time
    from typer.main import get_command
    from complaintctl.cli import app

    start, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    command = get_command(app)
    while not os.path.exists(start):
        time.sleep(0.005)
    for i in range(n):
        code = command.main(
            ["log", "--channel", "phone", "--customer", f"客户{tag}{i}",
             "--contact", f"{tag}-{i}@example.com", "--summary", f"并发 {tag} {i}", "-q"],
            prog_name="complaintctl", standalone_mode=False,
        )
        if code:
            sys.exit(code)
    """
)

# Each mover acks every case of the list in turn; two movers race on every case.
MOVER = textwrap.dedent(
    """
    import os, sys, time
    from typer.main import get_command
    from typer.testing import CliRunner
    from complaintctl.cli import app

    start, numbers = sys.argv[1], sys.argv[2:]
    runner = CliRunner()
    while not os.path.exists(start):
        time.sleep(0.005)
    for number in numbers:
        r = runner.invoke(app, ["ack", number])
        print(number, r.exit_code, (r.stderr or "").strip().replace("\\n", " | "), flush=True)
    """
)


def _spawn(tmp_path, script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "go"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _finish(tmp_path, procs: list[subprocess.Popen]) -> list[str]:
    (tmp_path / "go").touch()
    outputs = [p.communicate(timeout=900) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-2000:]
    return [out for out, _ in outputs]


def _scalar(db_url: str, sql: str) -> object:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def test_four_processes_logging_250_cases_each_lose_nothing(cli, db_url, tmp_path):
    cli.ok("db", "init")
    procs = [_spawn(tmp_path, WORKER, tag, "250") for tag in ("a", "b", "c", "d")]
    outputs = _finish(tmp_path, procs)
    printed = [line for out in outputs for line in out.split()]
    assert len(printed) == 1000 and len(set(printed)) == 1000
    assert _scalar(db_url, "SELECT count(*) FROM cases") == 1000
    assert _scalar(db_url, "SELECT count(DISTINCT number) FROM cases") == 1000
    assert _scalar(db_url, "SELECT count(*) FROM events WHERE action = 'log'") == 1000
    orphans = "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e "
    assert _scalar(db_url, orphans + "WHERE e.case_id = c.id)") == 0
    # The numbers are the series 1..1000, no gap and no repeat, and the counter agrees.
    year = printed[0][1:5]
    assert sorted(printed) == [f"C{year}-{i:06d}" for i in range(1, 1001)]
    assert _scalar(db_url, "SELECT value FROM counters") == 1000


def test_the_installed_command_started_twenty_times_at_once_loses_nothing(cli, db_url):
    cli.ok("db", "init")
    exe = shutil.which("complaintctl")
    assert exe, "the console script must be installed (pip install -e .)"
    args = ["log", "--channel", "email", "--customer", "x", "--summary", "s", "-q"]
    procs = [
        subprocess.Popen(
            [exe, *args, "--contact", f"p{i}@example.com"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(20)
    ]
    results = [(p.wait(timeout=300), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _, _ in results), results
    assert len({number for _, number, _ in results}) == 20
    assert _scalar(db_url, "SELECT count(*) FROM cases") == 20
    assert _scalar(db_url, "SELECT count(*) FROM events") == 20


def test_two_processes_moving_the_same_cases_at_once_never_both_win(cli, db_url, tmp_path):
    numbers = [
        cli.ok("log", "--channel", "phone", "--customer", "c", "--contact", f"{i}@x.cn",
               "--summary", "s", "-q").strip()
        for i in range(40)
    ]  # fmt: skip
    procs = [_spawn(tmp_path, MOVER, *numbers) for _ in range(2)]
    lines = [line.split(" ", 2) for out in _finish(tmp_path, procs) for line in out.splitlines()]
    assert len(lines) == 80
    for number in numbers:
        results = [(code, err) for n, code, err in lines if n == number]
        codes = sorted(code for code, _ in results)
        # Exactly one of the two acknowledged the case; the other was refused in one line,
        # either because the case had changed under it (it read before the winner wrote) or
        # because it read after and the step no longer allows ack.
        assert codes == ["0", "1"], (number, results)
        refusal = next(err for code, err in results if code == "1")
        assert refusal in (
            f"error: case {number} changed meanwhile; run the command again",
            f"error: case {number} is at step 'classify'; ack is not allowed now "
            "(next: classify, reject)",
        ), refusal
    # One ack per case in the history, every case at classify, each version bumped once.
    assert _scalar(db_url, "SELECT count(*) FROM events WHERE action = 'ack'") == 40
    assert _scalar(db_url, "SELECT count(*) FROM cases WHERE step = 'classify'") == 40
    assert _scalar(db_url, "SELECT count(*) FROM cases WHERE version = 2") == 40


def test_a_change_made_between_reading_and_writing_a_case_is_never_overwritten(
    register, db_url, backend
):
    """Another writer changes the case while a command holds it in hand.  PostgreSQL: the
    other writer gets in; our command is refused with 'changed meanwhile' and the other's
    change stands.  SQLite: our transaction holds the write lock, so the other writer cannot
    get in at all; our change stands."""
    now = dt.datetime(2025, 10, 13, 2, 0)
    number = services.log_complaint(
        register,
        channel="phone",
        customer_name="c",
        contact="c@x.cn",
        summary="s",
        now=now,
        actor="t",
        received_at=None,
    ).case.number
    services.ack(register, number, now=now, actor="t")
    services.classify(
        register, number, category="PQ", severity="C", kind="general", now=now, actor="t"
    )
    services.assign(register, number, department="QA", owner="Li Na", now=now, actor="t")
    timeout = {"timeout": 0.2} if backend == "sqlite" else {"connect_timeout": 5}
    other = sa.create_engine(db_url, connect_args=timeout)
    blocked: list[Exception] = []

    def meanwhile_then_reassign(case, when):
        try:
            with other.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE cases SET owner = 'Zhou Min', version = version + 1 "
                        "WHERE number = :n"
                    ),
                    {"n": number},
                )
        except sa.exc.OperationalError as exc:
            blocked.append(exc)
        case.apply(Action.assign, when, register.clock, owner="Wang Fang")

    try:
        if backend == "postgresql":
            with pytest.raises(CaseChanged, match=f"case {number} changed meanwhile"):
                services._change(
                    register, number, Action.assign, now, "t", None, meanwhile_then_reassign
                )
            assert not blocked
            expected_owner, assigns = "Zhou Min", 1
        else:
            services._change(
                register, number, Action.assign, now, "t", None, meanwhile_then_reassign
            )
            assert blocked and "locked" in str(blocked[0])
            expected_owner, assigns = "Wang Fang", 2
    finally:
        other.dispose()
    assert _scalar(db_url, "SELECT owner FROM cases") == expected_owner
    assert _scalar(db_url, "SELECT count(*) FROM events WHERE action = 'assign'") == assigns


def test_a_refused_change_is_one_line_with_exit_1(cli, monkeypatch):
    number = cli.ok(
        "log", "--channel", "phone", "--customer", "c", "--contact", "c@x.cn", "--summary", "s",
        "-q",
    ).strip()  # fmt: skip

    def changed(*_args, **_kwargs):
        raise CaseChanged(number)

    monkeypatch.setattr(services, "_write", changed)
    result = cli("ack", number)
    assert result.exit_code == 1
    assert result.stderr == f"error: case {number} changed meanwhile; run the command again\n"
