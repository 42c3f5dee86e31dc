"""The Quick start's walk-through runs from the shell and leaves each case where it says."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_walks_six_complaints_down_six_paths_and_imports_six_more(db_path):
    result = subprocess.run(
        ["bash", str(ROOT / "examples" / "demo.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "due 2025-10-11 18:00" in result.stdout  # the National Day example
    with sqlite3.connect(db_path) as con:
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
    assert "read 6, imported 6, already present 0" in result.stdout
