"""Shared fixtures: every test gets its own real SQLite file in tmp_path, no user config."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from complaintctl.cli import app
from complaintctl.clock import to_utc
from complaintctl.config import Settings
from complaintctl.db import open_db
from complaintctl.register import Register

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """A wall-clock time in Asia/Shanghai as the naive UTC the core works in."""
    return to_utc(dt.datetime(*args, tzinfo=SHANGHAI))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point complaintctl at a fresh database file and away from any real user's config."""
    db = tmp_path / "register.db"
    monkeypatch.setenv("COMPLAINTCTL_DB", str(db))
    monkeypatch.delenv("COMPLAINTCTL_CONFIG", raising=False)
    monkeypatch.setenv("COMPLAINTCTL_USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return db


@pytest.fixture
def db_path(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def register(db_path: Path) -> Register:
    """The register with default settings (CN calendar, Asia/Shanghai), on a real file."""
    return Register(open_db(f"sqlite:///{db_path}"), Settings())


class Run:
    """Runs the CLI in-process; `run("log", ...)` returns the click Result."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, list(args), input=input)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result.stdout


@pytest.fixture
def cli() -> Callable[..., object]:
    return Run()


def build_template(factory: pytest.TempPathFactory, name: str, build) -> tuple[Path, object]:
    """Build a database once per module with `build(Run())`, in the same isolated
    environment a test gets; (its path for `copy_database`, what `build` returned)."""
    path = factory.mktemp(name) / "register.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLAINTCTL_DB", str(path))
        mp.setenv("COMPLAINTCTL_USER", "tester")
        mp.delenv("COMPLAINTCTL_CONFIG", raising=False)
        mp.setenv("XDG_CONFIG_HOME", str(path.parent / "xdg-config"))
        return path, build(Run())


def copy_database(source_path: Path, target_path: Path) -> None:
    """Give a test its own copy of a template database (SQLite's backup API)."""
    import sqlite3

    source, copy = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
