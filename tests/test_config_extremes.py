"""Issue 18, defect 7: a config at the extremes is one line naming the key (exit 2), even
for --help; never a traceback, an exit 70, a minute-long `log` or a 600 MB database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COMPLAINTCTL_CONFIG=str(config))
    return subprocess.run(
        [sys.executable, "-m", "complaintctl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def refused(tmp_path: Path, text: str, *args: str) -> str:
    config = tmp_path / "office.toml"
    config.write_text(text, encoding="utf-8")
    result = run(config, *args)
    assert result.returncode == 2, (result.returncode, result.stderr[-500:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:500]
    return lines[0]


def test_arrays_nested_500_deep_are_one_line_and_help_still_helps(tmp_path):
    deep = "x = " + "[" * 500 + "]" * 500 + "\n"
    line = refused(tmp_path, deep, "list")
    assert line.startswith("error: config: ") and "nested too deeply" in line
    config = tmp_path / "office.toml"
    helped = run(config, "--help")
    assert helped.returncode == 0 and "Usage" in helped.stdout and helped.stderr == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[clocks]\ninvestigate = "99999999wd"\n', "clocks.investigate: '99999999wd' is too long"),
        (
            '[clocks]\nacknowledge = "9999999999999999m"\n',
            "clocks.acknowledge: '9999999999999999m'",
        ),
        ('[duplicates]\nwindow = "999999999d"\n', "duplicates.window: '999999999d' is too long"),
        ("[warn]\nspike_weeks = 100000000\n", "warn.spike_weeks: must be a whole number of weeks"),
        ('[warn]\nwithin = "100000wd"\n', "warn.within: '100000wd' is too long"),
        ("[warn]\nspike_factor = 1e308\n", "warn.spike_factor: must be a positive number"),
        ("[attachments]\nmax_bytes = 99999999999999\n", "attachments.max_bytes: must be a whole"),
        ('number_pattern = "C{seq:0200000000d}"\n', "number_pattern: 'C{seq:0200000000d}' may use"),
        ('number_pattern = "C{seq.__class__.__mro__}"\n', "number_pattern: 'C{seq.__class__"),
        (
            '[[categories]]\ncode = "A"\nname = "a"\n[[categories]]\ncode = "a"\nname = "b"\n',
            "categories: code a appears twice",
        ),
        (
            '[[categories]]\ncode = "P\\u0000Q"\nname = "x"\n',
            "categories[0].code: 'P\\x00Q' must be",
        ),
        ('channels = ["phone", "PHONE"]\n', "channels: 'PHONE' appears twice"),
        ('channels = ["pho\\u001bne"]\n', "channels[0]: 'pho\\x1bne' must be at most 40"),
    ],
)
def test_extreme_values_are_one_line_naming_the_key(tmp_path, text, expected):
    line = refused(tmp_path, text, "list")
    assert line.startswith(f"error: {expected}"), line
