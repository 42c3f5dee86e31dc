"""The Quick start's walk-through runs from the shell, leaves each case where it says, in a
register of its own: never the office's, and the same on every run."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the example config's time zone


def _demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "examples" / "demo.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _today() -> str:
    return dt.datetime.now(SHANGHAI).strftime("%Y-%m-%d")


@pytest.mark.slow
def test_the_demo_walks_six_complaints_in_its_own_register_the_same_way_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    office = tmp_path / "office" / "register.db"  # the office's register, named by the env
    monkeypatch.setenv("COMPLAINTCTL_DB", str(office))
    env = {**os.environ, "COLUMNS": "200", "TMPDIR": str(tmp_path / "tmp")}
    days = {_today()}
    first, second = _demo(env), _demo(env)
    days.add(_today())  # a run across midnight

    for result in (first, second):
        assert result.returncode == 0, result.stderr
    demo = tmp_path / "tmp" / f"complaintctl-demo-{os.getuid()}" / "demo.db"
    assert first.stdout.splitlines()[0] == f"demo register: {demo}"
    assert "due 2025-10-11 18:00" in first.stdout  # the National Day example
    assert "read 6, imported 6, already present 0" in second.stdout

    # The second run starts afresh: the same output, but for the times the demo ran at
    # (shown by `show` as when each backdated step was recorded).
    def without_run_times(text: str) -> str:
        return re.sub("|".join(days) + r" \d\d:\d\d", "(now)", text)

    assert without_run_times(second.stdout) == without_run_times(first.stdout)

    # Neither the office's register nor the per-user default was made or touched.
    assert not office.parent.exists()
    assert not (tmp_path / "xdg-data").exists()

    with sqlite3.connect(demo) as con:
        rows = con.execute(
            "SELECT step, outcome, reopen_count, on_hold, escalated_to IS NOT NULL "
            "FROM cases ORDER BY id"
        ).fetchall()
        actors = {r[0] for r in con.execute("SELECT DISTINCT actor FROM events")}
    assert rows == [
        ("closed", "satisfied", 0, 0, 0),
        ("closed", "satisfied", 1, 0, 0),
        ("rejected", "rejected", 0, 0, 0),
        ("closed", "expired", 0, 0, 0),
        ("investigate", None, 0, 0, 1),
        ("investigate", None, 0, 0, 0),
        # examples/import-sample.csv, imported with its history
        ("closed", "satisfied", 0, 0, 0),
        ("closed", "satisfied", 0, 0, 0),
        ("feedback", None, 0, 0, 0),
        ("assign", None, 0, 0, 0),
        ("resolve", None, 0, 0, 0),
        ("classify", None, 0, 0, 0),
    ]
    assert actors == {"前台小王"}
