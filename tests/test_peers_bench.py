"""tests/perf/peers.py (issue 16's side-by-side benchmark) runs end to end at a tiny size:
every row of its table has numbers, taskwarrior holds as many tasks as the register has
cases with the same pending/overdue counts, and the cached register is left as it was."""

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PEERS = Path(__file__).resolve().parent / "perf" / "peers.py"
ROWS = (
    "`show ",
    "`list --owner ",
    "`log` one case",
    "`warn ",
    "`export` CSV",
    "`report --month ",
    "`--help`",
    "completion (",
)

pytestmark = [
    pytest.mark.slow,  # about 15-25 s: some 20 commands, each started twice
    pytest.mark.skipif(
        shutil.which("task") is None,
        reason="taskwarrior (`task`) is not installed: apt-get install taskwarrior",
    ),
    pytest.mark.skipif(
        shutil.which("sqlite3") is None,
        reason="the sqlite3 CLI is not installed: apt-get install sqlite3",
    ),
]

NUMBER = r"\d+(?:\.\d+)?"


def test_peers_table_has_every_row_with_numbers(tmp_path):
    cache = tmp_path / "cache"
    raw = tmp_path / "peers.json"
    out = subprocess.run(
        [sys.executable, str(PEERS), "--sizes", "300", "--runs", "1", "--warmup", "0"]
        + ["--workers", "1", "--cache", str(cache), "--json", str(raw)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout.split("### 300 cases", 1)[1].split("closer analogues", 1)[0]
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    for start in ROWS:
        (row,) = [line for line in lines if line.startswith("| " + start)]
        cells = [c.strip() for c in row.strip("|").split("|")]
        _label, ours, _anchor, theirs, ratio, target, met, _sql = cells
        assert re.fullmatch(NUMBER, ours) and float(ours) > 0, row
        assert re.fullmatch(NUMBER, theirs) and float(theirs) > 0, row
        assert re.fullmatch(NUMBER + "×", ratio), row
        assert re.fullmatch("≤ " + NUMBER + "×", target), row
        assert met in ("met", "**missed**"), row

    # The anchor is like for like: as many tasks as cases, as many pending and overdue.
    counts = re.search(
        r"register: 300 cases, (\d+) open, (\d+) overdue; "
        r"taskwarrior: 300 tasks, (\d+) pending, (\d+) overdue",
        out.stdout,
    )
    assert counts, out.stdout
    n_open, overdue, pending, overdue_tasks = map(int, counts.groups())
    assert (pending, overdue_tasks) == (n_open, overdue) and n_open > 0

    # Each command's SQL was captured and replayed (show reads at least its case).
    saved = json.loads(raw.read_text())
    replays = saved["replays"]["300"]
    assert all(replays[name]["statements"] > 0 for name in replays), replays
    assert replays["log"]["writes"] and not replays["show"]["writes"]

    # `log` and `task add` wrote to scratch copies: the cached register is unchanged.
    con = sqlite3.connect(cache / "register-300.db")
    try:
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 300
    finally:
        con.close()
    # Nothing it runs replaces a device it writes to (export renames a file into place).
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
