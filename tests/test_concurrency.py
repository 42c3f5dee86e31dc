"""Several processes logging into one SQLite file at the same moment."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

# Each worker is a separate Python process calling the real `complaintctl log` command
# `n` times in a loop (a new database connection per call, as from the shell), so two
# workers race on the number counter and the write lock exactly as two terminals would.
WORKER = textwrap.dedent(
    """
    import sys
    from typer.main import get_command
    from complaintctl.cli import app

    tag, n = sys.argv[1], int(sys.argv[2])
    command = get_command(app)
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


def _counts(db: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(db) as con:
        cases = con.execute("SELECT count(*), count(DISTINCT number) FROM cases").fetchone()
        events = con.execute("SELECT count(*) FROM events WHERE action = 'log'").fetchone()[0]
        orphans = con.execute(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.case_id = c.id)"
        ).fetchone()[0]
    return cases[0], cases[1], events, orphans


def test_two_processes_logging_200_cases_each_get_400_distinct_numbers(db_path, tmp_path):
    subprocess.run(["complaintctl", "db", "init"], check=True, capture_output=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, tag, "200"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    printed = [line for out, _ in outputs for line in out.split()]
    assert len(printed) == 400 and len(set(printed)) == 400
    assert _counts(db_path) == (400, 400, 400, 0)
    with sqlite3.connect(db_path) as con:
        numbers = sorted(r[0] for r in con.execute("SELECT number FROM cases"))
        last = con.execute("SELECT value FROM counters").fetchone()[0]
    # Numbers are the series 1..400 with no gap and no repeat.
    assert numbers == [f"C{numbers[0][1:5]}-{i:06d}" for i in range(1, 401)]
    assert last == 400


def test_the_installed_command_started_twenty_times_at_once_loses_nothing(db_path):
    exe = shutil.which("complaintctl")
    assert exe, "the console script must be installed (pip install -e .)"
    procs = [
        subprocess.Popen(
            [
                exe,
                "log",
                "--channel",
                "email",
                "--customer",
                "x",
                "--contact",
                f"p{i}@example.com",
                "--summary",
                "s",
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(20)
    ]
    results = [(p.wait(timeout=300), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _, _ in results), results
    assert len({number for _, number, _ in results}) == 20
    assert _counts(db_path) == (20, 20, 20, 0)
