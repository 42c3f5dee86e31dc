"""Issue 14: every reading command runs in bounded memory and time whatever the register's
shape — thousands of cases from one contact, received on one day, owned by one owner or in
one category — on SQLite and PostgreSQL.

Each command runs as its own process, the installed `complaintctl`, with its address space
capped (RLIMIT_AS) at ADDRESS_SPACE: a command that needs more ends in MemoryError (before
the fix, `warn` and `report --html` on the one-contact register asked for gigabytes).  The
cap is twice what the hungriest command (`report --html`: Python, SQLAlchemy, matplotlib)
needs on a normal register (it passes at 384 MiB, fails at 256 MiB).  Its peak resident
memory (the child's own ru_maxrss) must stay under PEAK_MB (the hungriest command needs
about 135 MB on any shape of 20,000 cases; before the fix, `warn` needed 443 MB and
`report --html` 478 MB on the small register of 3,000), and its wall time under WALL_S.

The registers come from tests/perf/shapes.py (valid, sealed history, built with bulk SQL),
once per session; PostgreSQL gets a `db copy` of the SQLite file in a schema of its own.
A small one-contact register runs in every test run; the 20,000-case registers are
marked slow.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import POSTGRES_SERVER_URL, postgres_schema

sys.path.insert(0, str(Path(__file__).parent / "perf"))
import shapes  # noqa: E402

# Thousands of cases, each command its own capped process: slow (python -m pytest -m
# 'not slow' leaves them out).
pytestmark = pytest.mark.slow

ADDRESS_SPACE = 768 * 1024**2
PEAK_MB = 250
WALL_S = 60
BIG = 20_000
SMALL = 3_000
COMMANDS = [name for name, _args, _codes in shapes.reading_commands("normal", "-", Path("."))]
on_postgres = pytest.mark.skipif(
    not POSTGRES_SERVER_URL, reason="COMPLAINTCTL_TEST_POSTGRES is not set"
)


# The tests on the 20,000-case registers; the others use the small one.
BIG_TESTS = {
    "test_every_reading_command_runs_in_bounded_memory_whatever_the_shape",
    "test_reading_commands_cope_with_one_contact_on_postgresql",
}


# Which register each test runs on: (shape, cases, on PostgreSQL?) from its parameters.
def _register_of(item: pytest.Item) -> tuple[str, int, bool] | None:
    if item.module is not sys.modules[__name__] or not hasattr(item, "callspec"):
        return None
    shape = item.callspec.params.get("shape", "contact")
    n = BIG if item.originalname in BIG_TESTS else SMALL
    # the PostgreSQL tests are skipped (need no server) when no server is named
    return shape, n, "postgresql" in item.name and bool(POSTGRES_SERVER_URL)


class Registers:
    """The shaped registers this session's tests use, built by one process in the
    background (in the order the tests need them) while the first tests already run:
    the building does not add to the suite's time as much as building on demand would.
    SQLite file path, PostgreSQL URL (a `db copy` in a schema of its own), newest case."""

    def __init__(self, factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
        needed: dict[tuple[str, int], bool] = {}
        for item in request.session.items:
            found = _register_of(item)
            if found:
                shape, n, pg = found
                needed[(shape, n)] = needed.get((shape, n), False) or pg
        if any(needed.values()):
            request.getfixturevalue("postgres_engine")  # this run's test database
        self.paths: dict[tuple[str, int], Path] = {}
        self.urls: dict[tuple[str, int], str] = {}
        jobs = []
        for (shape, n), pg in needed.items():
            path = factory.mktemp(f"shape-{shape}-{n}") / "register.db"
            self.paths[(shape, n)] = path
            if pg:
                self.urls[(shape, n)] = postgres_schema(f"shape_{shape}_{n}")
            jobs.append((shape, n, str(path), self.urls.get((shape, n))))
        self.log = factory.getbasetemp() / "shapes-builder.log"
        with self.log.open("w") as log:
            self.builder = subprocess.Popen(
                [sys.executable, shapes.__file__, "--jobs", json.dumps(jobs)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait(self, done: Path) -> None:
        while not done.exists():
            code = self.builder.poll()
            if code is not None and not done.exists():
                pytest.fail(f"building the registers failed ({code}):\n{self.log.read_text()}")
            time.sleep(0.05)

    def sqlite(self, shape: str, n: int) -> Path:
        path = self.paths[(shape, n)]
        self._wait(path)  # written under another name, renamed into place when whole
        return path

    def postgres(self, shape: str, n: int) -> str:
        self._wait(Path(f"{self.paths[(shape, n)]}.copied"))
        return self.urls[(shape, n)]

    def case(self, shape: str, n: int) -> str:
        return shapes.newest_case(self.sqlite(shape, n))

    def close(self) -> None:
        if self.builder.poll() is None:
            self.builder.kill()
        self.builder.wait()


@pytest.fixture(scope="session")
def registers(tmp_path_factory, request):
    regs = Registers(tmp_path_factory, request)
    yield regs
    regs.close()


def _cap() -> None:  # in the child, before it runs anything
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


# Started (capped) by the test, runs complaintctl and writes its exit code and peak RSS to
# argv[1]. A child forked straight from pytest would report pytest's own memory as its peak
# (Linux keeps the high-water mark across exec); posix_spawn from this small process does
# not, and the cap is inherited.
_WRAPPER = (
    "import os, sys; pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ); "
    "_, status, usage = os.wait4(pid, 0); "
    "open(sys.argv[1], 'w').write(f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}')"
)


def run_capped(args: list[str], out: Path) -> tuple[int, str, float, float]:
    """Run complaintctl with `args`, its address space capped: (exit code, standard error,
    wall seconds, peak resident MB of that process alone).  Killed after twice WALL_S."""
    stdout, stderr, result = out / "stdout", out / "stderr", out / "result"
    start = time.monotonic()
    with stdout.open("wb") as o, stderr.open("wb") as e:
        wrapper = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(result), shapes._exe(), *args],
            stdout=o,
            stderr=e,
            preexec_fn=_cap,
            start_new_session=True,
        )
        try:
            wrapper.wait(timeout=2 * WALL_S)
        except subprocess.TimeoutExpired:
            os.killpg(wrapper.pid, signal.SIGKILL)
            wrapper.wait()
            return -9, stderr.read_text(errors="replace"), time.monotonic() - start, 0.0
    wall = time.monotonic() - start
    code, peak_kb = map(int, result.read_text().split())
    return code, stderr.read_text(errors="replace"), wall, peak_kb / 1024


def check(db: str, shape: str, case: str, command: str, tmp_path: Path) -> None:
    """Run one reading command on the register `db`; it must succeed within the bounds."""
    (name, args, codes) = next(
        c for c in shapes.reading_commands(shape, case, tmp_path) if c[0] == command
    )
    code, err, wall, peak = run_capped(["--db", db, *args], tmp_path)
    what = f"{name} on the {shape} register ({db.split('?')[0]})"
    assert code in codes, f"{what} exited {code}: {err[-2000:]}"
    assert "Traceback" not in err and "MemoryError" not in err, f"{what}: {err[-2000:]}"
    assert wall < WALL_S, f"{what} took {wall:.1f} s"
    assert peak < PEAK_MB, f"{what} peaked at {peak:.0f} MB"
    for written in ("report.html", "cases.csv", "cases.jsonl"):
        if written in args[-1]:
            assert (tmp_path / written).stat().st_size > 0, f"{what} wrote nothing"


# -- every run: a small register whose every case comes from one contact ------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_every_reading_command_copes_with_one_contact_behind_every_case(
    registers, command, tmp_path
):
    path = registers.sqlite("contact", SMALL)
    check(str(path), "contact", registers.case("contact", SMALL), command, tmp_path)


@on_postgres
@pytest.mark.parametrize("command", ["warn", "warn --format json", "report --html"])
def test_warn_and_the_html_report_cope_with_one_contact_on_postgresql(registers, command, tmp_path):
    url = registers.postgres("contact", SMALL)
    check(url, "contact", registers.case("contact", SMALL), command, tmp_path)


# -- the 20,000-case registers of every shape ---------------------------------------------------
# export and db check read every case in id order and never look at an owner or a
# category: on those two shapes they would repeat the normal register's run (the bench
# measures them there); left out to keep the suite's time within its budget.
STREAMING = {"export (csv)", "export --format jsonl", "db check"}
SHAPED = [
    (shape, command)
    for shape in shapes.SHAPES
    for command in COMMANDS
    if not (shape in ("owner", "category") and command in STREAMING)
]
# PostgreSQL, 20,000 cases of one contact: what its planner decides (repeat complainants,
# the report's figures) and what its server-side cursors stream.
ON_POSTGRES = [
    "warn",
    "warn --format json",
    "report --month",
    "report --html",
    "list --owner",
    "export (csv)",
    "db check",
]


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "command"), SHAPED)
def test_every_reading_command_runs_in_bounded_memory_whatever_the_shape(
    registers, shape, command, tmp_path
):
    path = registers.sqlite(shape, BIG)
    check(str(path), shape, registers.case(shape, BIG), command, tmp_path)


@pytest.mark.slow
@on_postgres
@pytest.mark.parametrize("command", ON_POSTGRES)
def test_reading_commands_cope_with_one_contact_on_postgresql(registers, command, tmp_path):
    url = registers.postgres("contact", BIG)
    check(url, "contact", registers.case("contact", BIG), command, tmp_path)


def test_the_shapes_are_what_they_say(registers):
    """The generator's registers really are skewed so (else the tests above prove nothing)."""
    import sqlite3

    path = registers.sqlite("contact", SMALL)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cases, contacts, open_ = con.execute(
            "SELECT count(*), count(DISTINCT contact_key), "
            "sum(step NOT IN ('closed', 'rejected')) FROM cases"
        ).fetchone()
    finally:
        con.close()
    assert (cases, contacts) == (SMALL, 1)
    assert open_ > SMALL // 10  # plenty of open repeat complainants for warn to list
