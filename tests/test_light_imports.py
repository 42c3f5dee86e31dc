"""What a command loads on a SQLite register: the commands that only read stored rows
import neither SQLAlchemy, SQLModel, Pydantic nor the holidays package, and Rich only
when they draw a table (each costs more than the command's own work)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sqlite_only

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "holidays", "rich", "alembic")
PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["complaintctl", *json.loads(sys.argv[1])]
from complaintctl.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & heavy)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.__stderr__)
"""


def _env(db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    config = os.path.join(os.path.dirname(db), "config.toml")  # empty: the defaults
    return env | {"COMPLAINTCTL_CONFIG": config, "LANG": "C.UTF-8", "NO_COLOR": "1"}


def _loaded(db: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["--db", db, *args]), json.dumps(HEAVY)],
        env=_env(db) | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("light")
    (folder / "config.toml").write_text("")
    path = str(folder / "register.db")
    base = [sys.executable, "-m", "complaintctl", "--db", path]
    env = _env(path)
    subprocess.run([*base, "db", "init"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*base, "log", "--channel", "phone", "--customer", "王伟", "--contact", "13800000000",
         "--summary", "漏水", "--received-at", "2025-10-13 09:00"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("show", "C2025-000001", "--format", "json"),
        ("show", "C2025-000001", "--format", "csv"),
        ("list", "--format", "json"),
        ("list", "--format", "csv", "--status", "all", "--search", "漏水"),
        ("export", "-", "--format", "jsonl"),
        ("export", "-", "--events"),
    ],
)
def test_reading_stored_rows_as_data_loads_none_of_the_heavy_modules(db, args):
    code, loaded = _loaded(db, *args)
    assert code in (0, None)
    assert loaded == []


@pytest.mark.parametrize("args", [("show", "C2025-000001"), ("list",)])
def test_a_table_loads_rich_and_nothing_else_heavy(db, args):
    code, loaded = _loaded(db, *args)
    assert code in (0, None)
    assert loaded == ["rich"]


def test_help_loads_nothing_heavy(db):
    code, loaded = _loaded(db, "--help")
    assert code in (0, None)
    assert loaded == []


# -- warn: the digest reads through the storage layer -------------------------------------
WARN_AT = ("warn", "--at", "2025-10-20 10:00", "--even-on-holidays")  # the case is overdue


def _warn_loaded(db: str, *args: str) -> tuple[int, list[str]]:
    """As _loaded, with the working-day cache of the register's folder (warned once before,
    so the office calendar is read from it, as every morning after the first)."""
    cache = {"COMPLAINTCTL_CACHE_DIR": os.path.join(os.path.dirname(db), "cache")}
    return _loaded(db, *args, env=cache)


@pytest.fixture(scope="module")
def warm(db):
    _warn_loaded(db, *WARN_AT, "--format", "json")  # fills the working-day cache
    return db


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "json"),
        ("--format", "csv"),
        ("--format", "json", "--owner", "nobody", "--department", "QA", "--within", "3wd"),
        ("--format", "json", "--by", "department", "--within", "4h"),
    ],
)
def test_warn_as_data_loads_none_of_the_heavy_modules(warm, args):
    code, loaded = _warn_loaded(warm, *WARN_AT, *args)
    assert code == (3 if "nobody" not in args else 0)  # overdue, unless filtered away
    assert loaded == []


def test_warn_as_text_loads_at_most_rich(warm):
    # Not a terminal here: plain text, whose columns Rich measures (Chinese is two wide).
    code, loaded = _warn_loaded(warm, *WARN_AT)
    assert code == 3
    assert loaded in ([], ["rich"])


# -- report: its figures are SQL text run through the storage layer ------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("--format", "json"),
        ("--format", "csv"),
        ("--by", "owner", "--format", "json"),
        ("--quarter", "2025Q4", "--format", "csv"),
    ],
)
def test_the_report_as_data_loads_none_of_the_heavy_modules(warm, args):
    month = () if "--quarter" in args else ("--month", "2025-10")
    code, loaded = _warn_loaded(warm, "report", *month, *args)
    assert code in (0, None)
    assert loaded == []


def test_the_report_on_screen_loads_rich_and_nothing_else_heavy(warm):
    code, loaded = _warn_loaded(warm, "report", "--month", "2025-10")
    assert code in (0, None)
    assert loaded == ["rich"]
