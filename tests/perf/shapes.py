"""Skewed registers (issue 14): N cases with valid, sealed history, all sharing one contact,
one day of receipt, one owner or one category — or none of these ("normal"), for a
baseline.  Used by tests/test_shapes.py and by `tests/perf/bench.py --shapes`.

    from shapes import build
    build("contact", 20_000, Path("/tmp/one-contact.db"))       # a SQLite register
    to_postgres(Path("/tmp/one-contact.db"), url)                # the same, on PostgreSQL

The cases are generated as tests/perf/bench.py generates them (its `_gen_case`: every
step's time, deadlines and events exactly as the importer would have written them) and
written with bulk SQL into a register made by `db init`; PostgreSQL gets a `db copy` of
that file.  Cases are received over the last SPAN_DAYS days (the "day" shape: all on
ONE_DAY_OFFSET days before today), so a month holds about N / 12 of them: enough that the
90-day repeat window of the one-contact shape spans thousands of cases.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench  # noqa: E402

SHAPES = ("normal", "contact", "day", "owner", "category")
DESCRIPTIONS = {
    "normal": "no skew (contacts, days, owners, categories spread)",
    "contact": "every case from one contact",
    "day": "every case received on one day",
    "owner": "every case assigned to one owner",
    "category": "every case in one category",
}
DEFAULT_N = 20_000
SPAN_DAYS = 365
ONE_DAY_OFFSET = 40  # the "day" shape: in the last full month or the one before
CONTACT = f"1{38 + bench.ONE_CONTACT % 12}{bench.ONE_CONTACT:08d}"  # as _gen_case writes it
OWNER = bench.ONE_OWNER[1]
CATEGORY = bench.ONE_CATEGORY


def one_day(today: dt.date | None = None) -> dt.date:
    """The office-local day every case of the "day" shape was received on."""
    return (today or dt.date.today()) - dt.timedelta(days=ONE_DAY_OFFSET)


def build(
    shape: str,
    n: int,
    path: Path,
    workers: int = 1,
    span_days: int = SPAN_DAYS,
    quiet: bool = True,
) -> float:
    """A SQLite register of `n` cases of `shape` at `path` (replaced if there); returns the
    seconds it took."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return bench.build_register(
        n,
        path,
        workers,
        shape="normal" if shape == "day" else shape,
        days=span_days,
        one_day=one_day() if shape == "day" else None,
        quiet=quiet,
    )


def to_postgres(path: Path, url: str, env: dict | None = None) -> None:
    """Copy the SQLite register at `path` into the empty PostgreSQL register at `url`
    (created if need be) with `complaintctl db copy`."""
    subprocess.run(
        [_exe(), "--db", str(path), "db", "copy", "--to", url],
        env=env,
        check=True,
        capture_output=True,
    )


def report_month(shape: str, today: dt.date | None = None) -> str:
    """The month `report --month` is asked for: the last full month (for the "day" shape,
    the month of its day)."""
    today = today or dt.date.today()
    day = one_day(today) if shape == "day" else today.replace(day=1) - dt.timedelta(days=1)
    return f"{day:%Y-%m}"


def newest_case(path: Path) -> str:
    """The number of the register's newest case (the one `show` is asked for)."""
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT number FROM cases ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


# warn exits 3 when something is overdue; every other reading command exits 0.
WARN_CODES = (0, 3)


def reading_commands(shape: str, case: str, out: Path) -> list[tuple[str, list[str], tuple]]:
    """Every reading command of issue 14 as (name, arguments after `--db URL`, exit codes
    that mean success); files they write go to the folder `out`.  `report` is asked for
    report_month(shape), `list --owner` for OWNER."""
    month = report_month(shape)
    report = ["report", "--month", month]
    # On a non-working day warn would only say so: --even-on-holidays makes it work.
    warn = ["warn", "--even-on-holidays"]
    return [
        ("warn", warn, WARN_CODES),
        ("warn --format json", [*warn, "--format", "json"], WARN_CODES),
        ("report --month", report, (0,)),
        ("report --format json", [*report, "--format", "json"], (0,)),
        ("report --format csv", [*report, "--format", "csv"], (0,)),
        ("report --html", [*report, "--html", str(out / "report.html")], (0,)),
        ("list --status all", ["list", "--status", "all"], (0,)),
        ("list --owner", ["list", "--status", "all", "--owner", OWNER], (0,)),
        ("show (newest case)", ["show", case], (0,)),
        ("export (csv)", ["export", str(out / "cases.csv")], (0,)),
        ("export --format jsonl", ["export", "--format", "jsonl", str(out / "cases.jsonl")], (0,)),
        ("db check", ["db", "check"], (0,)),
    ]


def _exe() -> str:
    exe = Path(sys.executable).parent / "complaintctl"
    return str(exe) if exe.exists() else "complaintctl"


def build_all(jobs: list[tuple[str, int, str, str | None]], workers: int = 1) -> None:
    """Build each (shape, n, path, PostgreSQL URL or None) in turn; with a URL, copy it
    there too and then write `path`.copied (a test waiting for it knows it is done)."""
    for shape, n, path, url in jobs:
        build(shape, n, Path(path), workers=workers)
        if url:
            to_postgres(Path(path), url)
            Path(f"{path}.copied").write_text(url)


if __name__ == "__main__":
    # python tests/perf/shapes.py SHAPE N PATH          one register (all CPUs)
    # python tests/perf/shapes.py --jobs JSON            build_all(JSON), in one process
    import json
    import time

    t0 = time.perf_counter()
    if sys.argv[1] == "--jobs":
        build_all(json.loads(sys.argv[2]))
    else:
        build(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), workers=os.cpu_count() or 1)
    print(f"built in {time.perf_counter() - t0:.1f} s")
