"""Reading comfort: `show` draws the case as a timeline; on a terminal, a long `list` goes
through the pager, overdue rows stand out in colour, and NO_COLOR turns colour off."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from test_cli_workflow import log_case, to_investigate


def test_show_draws_each_step_with_when_who_deadline_and_whether_it_was_met(cli):
    number = to_investigate(cli, assigned="2025-10-09 10:00", severity="B")
    out = cli.ok("show", number)
    lines = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    timeline = lines[lines.index("Timeline") :]
    assert "✓ received 2025-09-30 09:00 tester done" in timeline
    # acknowledged at receipt, its clock ran to the next working day 09:00
    assert "✓ acknowledge 2025-09-30 09:00 tester 2025-10-01 09:00 on time" in timeline
    assert "✓ classify 2025-09-30 09:00 tester done" in timeline
    assert "✓ assign 2025-10-09 10:00 tester done" in timeline
    now = next(line for line in timeline if line.startswith("▶"))
    assert now.startswith("▶ investigate 2025-") and now.endswith("overdue (now)"), now
    assert "· resolve" in timeline and "· closed" in timeline


def test_a_rejected_case_ends_its_timeline_with_who_rejected_it(cli):
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:30")
    cli.ok("--as", "王芳", "classify", number, "--reject", "重复投诉", "--at", "2025-09-30 10:00")
    out = cli.ok("show", number)
    lines = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert "✓ rejected 2025-09-30 10:00 王芳 done" in lines
    assert not any(line.startswith("▶") for line in lines)


# -- on a terminal ----------------------------------------------------------------------
def on_terminal(args: list[str], env: dict[str, str], rows: int = 24, cols: int = 150) -> str:
    """Run complaintctl with its stdin and stdout on a pseudo-terminal of the given size;
    what it printed there."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in {**os.environ, **env}.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from complaintctl.cli import main; main()", *args],
        stdin=side,
        stdout=side,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(side)
    out = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for 30 s; so far: {out!r}")
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    return out.decode("utf-8", "replace")


@pytest.fixture
def register_with_cases(cli, db_path: Path) -> Path:
    """Twelve open cases, all overdue by now (received in 2025)."""
    for i in range(12):
        log_case(cli, contact=f"1380000{i:04d}")
    return db_path


@pytest.mark.slow
def test_a_list_longer_than_the_screen_goes_through_the_pager(register_with_cases, tmp_path):
    paged = tmp_path / "paged.txt"
    env = {"COMPLAINTCTL_DB": str(register_with_cases), "PAGER": f"cat > {paged}"}
    screen = on_terminal(["list"], env, rows=10)
    assert paged.exists(), screen
    text = paged.read_text(encoding="utf-8")
    assert "C2025-000012" in text and "1–12 of 12 case(s)" in text
    assert "C2025-000012" not in screen


@pytest.mark.slow
def test_a_list_that_fits_is_printed_without_the_pager(register_with_cases, tmp_path):
    paged = tmp_path / "paged.txt"
    env = {"COMPLAINTCTL_DB": str(register_with_cases), "PAGER": f"cat > {paged}"}
    screen = on_terminal(["list", "--per-page", "3"], env, rows=40)
    assert not paged.exists()
    assert "C2025-000003" in screen


@pytest.mark.slow
def test_overdue_rows_are_red_on_a_terminal_and_no_color_turns_colour_off(register_with_cases):
    env = {"COMPLAINTCTL_DB": str(register_with_cases)}
    coloured = on_terminal(["list", "--per-page", "3"], env, rows=40)
    red_row = next(line for line in coloured.splitlines() if "C2025-000001" in line)
    assert "\x1b[31m" in red_row and "OVERDUE" in red_row
    plain = on_terminal(["list", "--per-page", "3"], {**env, "NO_COLOR": "1"}, rows=40)
    assert "OVERDUE" in plain
    # NO_COLOR (no-color.org) is about colour: bold and dim may stay, no colour may.
    params = {p for seq in re.findall(r"\x1b\[([0-9;]*)m", plain) for p in seq.split(";")}
    assert not params & {str(c) for c in (*range(30, 39), *range(40, 49), *range(90, 108))}


@pytest.mark.slow
def test_not_on_a_terminal_nothing_is_paged_or_coloured(register_with_cases, tmp_path):
    paged = tmp_path / "paged.txt"
    env = {**os.environ, "COMPLAINTCTL_DB": str(register_with_cases), "PAGER": f"cat > {paged}"}
    out = subprocess.run(
        [sys.executable, "-c", "from complaintctl.cli import main; main()", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not paged.exists()
    assert "C2025-000012" in out and "\x1b[" not in out
