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


def _loaded(db: str, *args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["--db", db, *args]), json.dumps(HEAVY)],
        env=_env(db),
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
