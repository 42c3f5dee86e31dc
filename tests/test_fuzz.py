"""Issue 18: the fuzz extended to config files and to damaged registers.  Whatever the
config file or the damage, a command ends in one line with a known exit code, never an
exit 70 or a traceback.  (tests/perf/fuzz.py runs the same generators for ten minutes
against the installed program.)"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_spec = importlib.util.spec_from_file_location("fuzz", Path(__file__).parent / "perf" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

RUNS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KNOWN = {0, 1, 2, 3}


def ends_well(result) -> None:
    assert result.exit_code in KNOWN, (result.exit_code, result.stderr[-400:])
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


@pytest.mark.slow
@RUNS
@given(
    template=st.sampled_from(fuzz.CONFIGS),
    value=st.sampled_from(fuzz.HOSTILE),
    number=st.sampled_from(fuzz.NUMBERS),
    command=st.sampled_from([("list",), ("warn", "--exit-zero"), ("report",), ("db", "status")]),
)
def test_any_config_file_is_one_line(cli, tmp_path, monkeypatch, template, value, number, command):
    text = template.replace("{n}", str(number)).replace("{v}", value)
    config = tmp_path / "office.toml"
    config.write_bytes(text.replace("{{", "{").replace("}}", "}").encode("utf-8", "replace"))
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(config))
    result = cli(*command)
    ends_well(result)
    if result.exit_code == 2:  # a config refused: one line naming the key
        assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    return fuzz.seed_register(tmp_path_factory.mktemp("fuzz-seed"))


@pytest.mark.slow
@RUNS
@given(
    seed_value=st.integers(0, 10**6),
    command=st.sampled_from(
        [
            ("list", "--status", "all"),
            ("show", "C2025-000002"),
            ("export", "-"),
            ("fetch", "C2025-000002", "--to", "out"),
            ("note", "C2025-000001", "x"),
            ("db", "check"),
            ("warn", "--exit-zero"),
            ("report", "--month", "2025-10"),
        ]
    ),  # fmt: skip
)
def test_any_damage_is_one_line(cli, seed, monkeypatch, tmp_path, seed_value, command):
    import random

    # A register of its own for each example (the previous one's connections may linger).
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    db_path = folder / "register.db"
    shutil.copy(seed, db_path)
    monkeypatch.setenv("COMPLAINTCTL_DB", str(db_path))
    kind = fuzz.damage(db_path, random.Random(seed_value))
    monkeypatch.chdir(folder)
    result = cli(*command)
    ends_well(result)
    if result.exit_code == 1 and command[0] != "db":
        assert len(result.stderr.splitlines()) == 1, (kind, result.stderr)
