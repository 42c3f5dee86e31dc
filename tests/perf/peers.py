"""Side-by-side benchmark of issue 16: complaintctl against its peers, in the same run.

Each command is timed interleaved with its anchor (round-robin: A B C … A B C …, --runs
rounds after one untimed warm-up round), and the table gives the medians and their ratio,
so that a loaded machine slows both sides alike.  The anchors:

- taskwarrior (`task`, Debian's taskwarrior 2.6) with as many tasks as the register has
  cases, the same share pending and overdue (`task list`, `task overdue`, `task add`);
- the `sqlite3` CLI running exactly the SQL the complaintctl command ran (captured with
  sqlite3's trace callback in a first, untimed run of the command);
- `python -c "import typer"` for `--help` and shell completion.

    python tests/perf/peers.py                              # 10k and 100k cases, 7 rounds
    python tests/perf/peers.py --sizes 300 --runs 1         # smoke: seconds
    python tests/perf/bench.py --peers --sizes 10000        # the same, through bench.py
    python tests/perf/peers.py --commit HEAD                # a snapshot of HEAD's code

By default the installed (editable) complaintctl runs the working tree, which others may be
editing: the output warns when its sources changed during the run.  --commit REV measures
exactly REV instead (its complaintctl/ unpacked with `git archive`, first on PYTHONPATH).

Registers are bench.py's (cached under --cache, default /tmp/complaintctl-bench); the
taskwarrior data built for register-N.db is cached beside it as tasks-N/ and rebuilt when
the register is.  Not part of the test run (tests/test_peers_bench.py runs it tiny).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (beside this file)

DEFAULT_SIZES = [10_000, 100_000]
DEFAULT_RUNS = 7
OPEN = "step NOT IN ('closed', 'rejected')"

# What the table compares: row -> (complaintctl item, anchor item, anchor label, max ratio).
# The label's {sql} is filled with the number of statements replayed.
ROWS = (
    ("show", "show", "task list", "`task list`", 2.0),
    ("list", "list", "task list", "`task list`", 2.0),
    ("log", "log", "task add", "`task add`", 2.0),
    ("warn", "warn", "task overdue", "`task overdue`", 2.0),
    ("export", "export", "export/sql", "its SQL, sqlite3 CLI", 3.0),
    ("report", "report", "report/sql", "its SQL, sqlite3 CLI", 2.0),
    ("help", "help", "typer", '`python -c "import typer"`', 1.5),
    ("complete", "complete", "typer", '`python -c "import typer"`', 1.5),
)
# Closer analogues than the anchors, printed without a target: `task list` prints
# every pending task, `list` one page of 50; `show` prints one case.
CLOSER = (
    ("show", "show", "task info", "`task 1 info` (one task)"),
    ("list", "list", "task page", "`task limit:50 list` (first 50)"),
)
SQL_COMMANDS = ("show", "list", "log", "warn", "export", "report")
# Statements left out of a replay: the connection's settings and transaction control
# (a replay of a writing command runs in one BEGIN … ROLLBACK of its own instead).
SKIPPED = ("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "END", "SAVEPOINT", "RELEASE")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


# -- taskwarrior ----------------------------------------------------------------------------
TASKRC = """\
# complaintctl peers benchmark (tests/perf/peers.py): a plain taskwarrior, no prompts.
data.location={data}
confirmation=off
verbose=nothing
hooks=off
# Garbage collection (moving completed tasks out of pending.data, renumbering) ran once
# after the import; off while timing, so that no timed run pays for another's leftovers.
gc=off
news.version=2.6.2
"""


def _tw_time(value: str | None) -> str | None:
    """A register time (naive UTC text, as SQLAlchemy stores it) as taskwarrior's."""
    if not value:
        return None
    t = dt.datetime.fromisoformat(value)
    return f"{t:%Y%m%dT%H%M%SZ}"


def register_counts(db: Path, now: dt.datetime) -> dict:
    """Cases, open cases and open cases past their deadline (`due_at`, the earliest
    deadline still pending, see complaintctl/models.py) in the register."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cases, n_open, overdue = con.execute(
            f"SELECT count(*), coalesce(sum({OPEN}), 0), "
            f"coalesce(sum({OPEN} AND due_at < :now), 0) FROM cases",
            {"now": now.isoformat(" ", "microseconds")},
        ).fetchone()
        (top,) = con.execute("SELECT max(id) FROM cases").fetchone()
    finally:
        con.close()
    return {"cases": cases, "open": n_open, "overdue": overdue, "max_id": top}


def task_json(db: Path) -> list[dict]:
    """One task per case: open cases pending (due at the case's `due_at`, so the overdue
    ones are overdue for taskwarrior too), closed ones completed, rejected ones deleted."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tasks = []
    try:
        rows = con.execute(
            "SELECT number, summary, department, category, step, received_at, due_at, "
            "coalesce(closed_at, feedback_at, resolved_at, classified_at, received_at) "
            "FROM cases ORDER BY id"
        )
        for number, summary, department, category, step, received, due, ended in rows:
            task = {
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"complaintctl:{number}")),
                "description": f"{number} {summary}",
                "entry": _tw_time(received),
                "modified": _tw_time(ended),
            }
            if department:
                task["project"] = department
            if category:
                task["tags"] = [category]
            if step in ("closed", "rejected"):
                task["status"] = "completed" if step == "closed" else "deleted"
                task["end"] = _tw_time(ended)
            else:
                task["status"] = "pending"
                if due:
                    task["due"] = _tw_time(due)
            tasks.append(task)
    finally:
        con.close()
    return tasks


def task_env(env: dict, taskdir: Path) -> dict:
    return {**env, "TASKRC": str(taskdir / "taskrc"), "TASKDATA": str(taskdir)}


def ensure_taskdir(db: Path, n: int, env: dict, rebuild: bool) -> tuple[Path, float | None]:
    """taskwarrior's data for the register (cached beside it as tasks-N/, keyed by the
    register's size, open cases and build stamp); (directory, build seconds or None)."""
    taskdir = db.with_name(f"tasks-{n}")
    stamp = db.with_name(f"register-{n}.built")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    counts = register_counts(db, now)
    key = json.dumps(
        {
            "cases": counts["cases"],
            "open": counts["open"],
            "max_id": counts["max_id"],
            "built": stamp.read_text().strip() if stamp.exists() else None,
            "register_ctime": int(db.stat().st_ctime) if not stamp.exists() else None,
        },
        sort_keys=True,
    )
    keyfile = taskdir / "complaintctl-register.json"
    if not rebuild and keyfile.exists() and keyfile.read_text() == key:
        return taskdir, None
    print(f"building taskwarrior data for {n:,} cases at {taskdir} ...", file=sys.stderr)
    t0 = time.perf_counter()
    building = taskdir.with_name(taskdir.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    (building / "taskrc").write_text(TASKRC.format(data=taskdir))
    source = building / "import.json"
    source.write_text(json.dumps(task_json(db), ensure_ascii=False))
    tenv = task_env(env, building)
    subprocess.run(["task", "import", str(source)], env=tenv, check=True, capture_output=True)
    # One garbage collection: completed and deleted tasks leave pending.data, as in a
    # taskwarrior that has been used for a while.
    subprocess.run(["task", "rc.gc=on", "list"], env=tenv, check=True, stdout=subprocess.DEVNULL)
    source.unlink()
    keyfile_tmp = building / keyfile.name
    keyfile_tmp.write_text(key)
    shutil.rmtree(taskdir, ignore_errors=True)
    os.replace(building, taskdir)
    return taskdir, time.perf_counter() - t0


def task_counts(taskdir: Path, env: dict) -> dict:
    """What taskwarrior counts: all tasks, pending and overdue (its own virtual tags)."""
    tenv = task_env(env, taskdir)

    def count(*words: str) -> int:
        out = subprocess.run(
            ["task", *words, "count"], env=tenv, check=True, capture_output=True, text=True
        )
        return int(out.stdout.strip() or 0)

    return {"tasks": count(), "pending": count("+PENDING"), "overdue": count("+OVERDUE")}


# -- the SQL a command runs ----------------------------------------------------------------
# Run in a Python process of its own: every sqlite3 connection the command opens (the
# standard library's, and SQLAlchemy's, which calls sqlite3.dbapi2.connect) traces its
# statements, expanded (parameters inlined), into a JSON list.
_CAPTURE = r"""
import json, sys, sqlite3, sqlite3.dbapi2 as dbapi2
out, argv = sys.argv[1], sys.argv[2:]
stmts = []
_connect = dbapi2.connect
def connect(*args, **kwargs):
    con = _connect(*args, **kwargs)
    con.set_trace_callback(stmts.append)
    return con
sqlite3.connect = dbapi2.connect = connect
from importlib.metadata import entry_points
(script,) = entry_points(group="console_scripts", name="complaintctl")
main = script.load()  # complaintctl.cli:main
sys.argv = ["complaintctl", *argv]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    with open(out, "w") as f:
        json.dump({"code": code, "statements": stmts}, f)
"""


def capture_sql(argv: list[str], env: dict, out: Path, ok=(0,)) -> list[str]:
    """The statements complaintctl `argv` (without the program) runs on SQLite."""
    raw = out.with_suffix(".json")
    done = subprocess.run(
        [sys.executable, "-c", _CAPTURE, str(raw), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not raw.exists():
        raise SystemExit(f"capturing the SQL of {argv} failed:\n{done.stderr[-2000:]}")
    saved = json.loads(raw.read_text())
    if saved["code"] not in ok:
        raise SystemExit(f"complaintctl {' '.join(argv)} exited {saved['code']}:\n{done.stderr}")
    return saved["statements"]


def write_replay(statements: list[str], path: Path) -> dict:
    """The statements as a script for `sqlite3 -batch`, minus PRAGMAs and transaction
    control; a writing command's in BEGIN … ROLLBACK (the register is left as it was).
    Returns what was kept and skipped."""
    kept, skipped = [], {}
    for sql in statements:
        text = sql.strip()
        head = text.split(None, 1)[0].upper() if text else ""
        if text.startswith("--"):  # a trigger's program, run by its statement anyway
            head = "-- (trigger)"
        if not text or head in SKIPPED or head.startswith("--"):
            skipped[head or "(empty)"] = skipped.get(head or "(empty)", 0) + 1
            continue
        kept.append(text.rstrip(";"))
    writes = any(s.split(None, 1)[0].upper() in WRITES for s in kept)
    body = "".join(s + ";\n" for s in kept)
    path.write_text(f"BEGIN;\n{body}ROLLBACK;\n" if writes else body)
    return {"statements": len(kept), "skipped": skipped, "writes": writes}


def replay_argv(db: Path, script: Path, output: Path | str = "/dev/null") -> list[str]:
    """`sqlite3 -batch DB < script > output`, said with the CLI's own dot-commands (the
    timing wrapper runs argv without a shell)."""
    return ["sqlite3", "-batch", str(db), f".output {output}", f".read {script}"]


# -- timing --------------------------------------------------------------------------------
def interleaved(items: list[dict], runs: int, warmup: int) -> dict[str, dict]:
    """Run every item once per round, in order, `warmup` untimed rounds then `runs` timed
    ones; per item the median wall and CPU time (ms), peak RSS (MB) and every run."""
    walls: dict[str, list[float]] = {it["key"]: [] for it in items}
    cpus: dict[str, list[float]] = {it["key"]: [] for it in items}
    peaks: dict[str, list[float]] = {it["key"]: [] for it in items}
    samples: dict[str, str] = {}
    for r in range(warmup + runs):
        label = f"warm-up {r + 1}" if r < warmup else f"round {r - warmup + 1}/{runs}"
        print(f"  {label}", file=sys.stderr, flush=True)
        for it in items:
            argv = it["vary"](r) if it.get("vary") else it["argv"]
            w, m, sample, cpu = bench.run_once(argv, it["env"], it.get("ok", (0,)))
            if r >= warmup:
                walls[it["key"]].append(w * 1000)
                cpus[it["key"]].append(cpu * 1000)
                peaks[it["key"]].append(m)
                samples[it["key"]] = sample
    return {
        k: {
            "ms": statistics.median(walls[k]),
            "cpu": statistics.median(cpus[k]),
            "mb": statistics.median(peaks[k]),
            "all_ms": [round(w) for w in walls[k]],
            "sample": samples.get(k, "")[-300:],
        }
        for k in walls
    }


def _copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


def measure_size(
    n: int, db: Path, taskdir: Path, exe: str, env: dict, work: Path, args
) -> tuple[dict, dict]:
    """Everything of one register size, interleaved; (results by item, the SQL replays)."""
    month = bench.last_full_month(dt.date.today())
    case = bench.pick_cases(db, 1)[0]  # the middle case
    owner = bench.LIST_OWNER
    base = ["--db", str(db)]
    sizedir = work / str(n)
    sizedir.mkdir()
    log_db = _copy_db(db, sizedir / "log.db")  # `log` grows this copy, not the cache
    log_sql_db = _copy_db(db, sizedir / "log-sql.db")  # its SQL replayed here (rolled back)
    capture_db = _copy_db(db, sizedir / "capture.db")  # the captured `log` wrote here
    task_scratch = sizedir / "tasks"
    shutil.copytree(taskdir, task_scratch)
    (task_scratch / "taskrc").write_text(TASKRC.format(data=task_scratch))
    tenv = task_env(env, taskdir)
    tenv_scratch = task_env(env, task_scratch)

    def log_argv(db_file: Path, i: int) -> list[str]:
        contact = f"139{random.Random(i * 31 + n).randrange(10**8):08d}"
        return [*bench.log_argv(db_file), contact]

    commands = {
        "show": [*base, "show", case],
        "list": [*base, "list", "--owner", owner],
        "warn": [*base, "warn", "--exit-zero", "--even-on-holidays"],
        # A real file: export writes beside its target and renames into place, so a
        # device such as /dev/null would be replaced by a regular file (when writable).
        "export": [*base, "export", str(sizedir / "export.csv")],
        "report": [*base, "report", "--month", month],
    }
    replays: dict[str, dict] = {}
    print(f"capturing the SQL of each command ({n:,} cases) ...", file=sys.stderr, flush=True)
    for name in SQL_COMMANDS:
        argv = log_argv(capture_db, -1) if name == "log" else commands[name]
        statements = capture_sql(argv, env, sizedir / f"{name}.sql")
        script = sizedir / f"{name}.sql"
        info = write_replay(statements, script)
        info["script"] = str(script)
        replays[name] = info
    capture_db.unlink()

    complete_env = {
        **env,
        "_COMPLAINTCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "complaintctl sh",
        "COMP_CWORD": "1",
    }
    items: list[dict] = [
        {"key": "show", "argv": [exe, *commands["show"]], "env": env},
        {"key": "show/sql", "argv": replay_argv(db, sizedir / "show.sql"), "env": env},
        {"key": "list", "argv": [exe, *commands["list"]], "env": env},
        {"key": "list/sql", "argv": replay_argv(db, sizedir / "list.sql"), "env": env},
        {"key": "task list", "argv": ["task", "list"], "env": tenv},
        {"key": "task info", "argv": ["task", "1", "info"], "env": tenv},
        {"key": "task page", "argv": ["task", "limit:50", "list"], "env": tenv},
        {"key": "log", "vary": lambda i: [exe, *log_argv(log_db, i)], "env": env},
        {"key": "log/sql", "argv": replay_argv(log_sql_db, sizedir / "log.sql"), "env": env},
        {
            "key": "task add",
            "vary": lambda i: ["task", "add", f"测试客户 冰箱不制冷 {i}", "project:CS"],
            "env": tenv_scratch,
        },
        {"key": "warn", "argv": [exe, *commands["warn"]], "env": env},
        {"key": "warn/sql", "argv": replay_argv(db, sizedir / "warn.sql"), "env": env},
        {"key": "task overdue", "argv": ["task", "overdue"], "env": tenv},
        {"key": "export", "argv": [exe, *commands["export"]], "env": env},
        {
            "key": "export/sql",
            "argv": replay_argv(db, sizedir / "export.sql", sizedir / "export-sql.out"),
            "env": env,
        },
        {"key": "report", "argv": [exe, *commands["report"]], "env": env},
        {"key": "report/sql", "argv": replay_argv(db, sizedir / "report.sql"), "env": env},
        {"key": "help", "argv": [exe, "--help"], "env": env},
        {"key": "complete", "argv": [exe], "env": complete_env},
        {"key": "typer", "argv": [sys.executable, "-c", "import typer"], "env": env},
    ]
    print(f"timing {n:,} cases, interleaved ...", file=sys.stderr, flush=True)
    bench.compile_package(env)
    results = interleaved(items, args.runs, args.warmup)
    if "show" not in results["complete"]["sample"]:
        print("warning: completion did not offer 'show'", file=sys.stderr)
    results["_meta"] = {"case": case, "owner": owner, "month": month}
    return results, replays


# -- the table -----------------------------------------------------------------------------
def _labels(meta: dict) -> dict[str, str]:
    return {
        "show": f"`show {meta['case']}`",
        "list": f"`list --owner {meta['owner']}` first page",
        "log": "`log` one case",
        "warn": "`warn --exit-zero --even-on-holidays`",
        "export": "`export` CSV to a file",
        "report": f"`report --month {meta['month']}`",
        "help": "`--help`",
        "complete": "completion (`complaintctl sh<TAB>`)",
    }


def ratios(results: dict) -> dict[str, float]:
    return {row: results[a]["ms"] / results[b]["ms"] for row, a, b, _l, _t in ROWS}


def print_tables(saved: dict) -> None:
    runs, warmup = saved["runs"], saved["warmup"]
    print(
        f"\nmedians of {runs} interleaved rounds (after {warmup} untimed warm-up round"
        f"{'s' if warmup != 1 else ''}); wall ms.  Ratio = complaintctl ÷ anchor, both "
        "measured in the same rounds."
    )
    for n in saved["sizes"]:
        res, rep, info = saved["results"][str(n)], saved["replays"][str(n)], saved["data"][str(n)]
        labels = _labels(res["_meta"])
        print(f"\n### {n:,} cases\n")
        head = (
            "| command | complaintctl ms | anchor | anchor ms | ratio | target | met? "
            "| its SQL alone (sqlite3 CLI) ms |"
        )
        print(head)
        print("|" + "---|" * 8)
        for row, a, b, label, target in ROWS:
            ratio = res[a]["ms"] / res[b]["ms"]
            met = "met" if ratio <= target else "**missed**"
            sql = res.get(f"{row}/sql")
            sql_cell = (
                f"{sql['ms']:.0f} ({rep[row]['statements']} stmt"
                f"{'s' if rep[row]['statements'] != 1 else ''})"
                if sql
                else "—"
            )
            print(
                f"| {labels[row]} | {res[a]['ms']:.0f} | {label} | {res[b]['ms']:.0f} | "
                f"{ratio:.1f}× | ≤ {target:g}× | {met} | {sql_cell} |"
            )
        print("\ncloser analogues (no target):\n")
        print("| command | complaintctl ms | anchor | anchor ms | ratio |")
        print("|---|---|---|---|---|")
        for row, a, b, label in CLOSER:
            if b in res:
                print(
                    f"| {labels[row]} | {res[a]['ms']:.0f} | {label} | {res[b]['ms']:.0f} | "
                    f"{res[a]['ms'] / res[b]['ms']:.1f}× |"
                )
        print(
            f"\nregister: {info['cases']:,} cases, {info['open']:,} open, {info['overdue']:,} "
            f"overdue; taskwarrior: {info['tasks']:,} tasks, {info['pending']:,} pending, "
            f"{info['overdue_tasks']:,} overdue"
        )
    if "100000" in saved["results"] and "1000000" in saved["results"]:
        print("\nratios at 1M ÷ ratios at 100k (target: none more than 1.5):\n")
        print("| command | ratio 100k | ratio 1M | growth | ≤ 1.5? |")
        print("|---|---|---|---|---|")
        r1, r2 = ratios(saved["results"]["100000"]), ratios(saved["results"]["1000000"])
        for row in r1:
            g = r2[row] / r1[row]
            print(
                f"| {row} | {r1[row]:.1f}× | {r2[row]:.1f}× | {g:.2f} | "
                f"{'met' if g <= 1.5 else '**missed**'} |"
            )
    print("\nSQL replays: the statements each command ran on SQLite, captured with sqlite3's")
    print("trace callback (parameters inlined), run by `sqlite3 -batch REGISTER` with output")
    print("to /dev/null (export's: to a file, as export writes one); left out of the replay:")
    for n in saved["sizes"]:
        rep = saved["replays"][str(n)]
        parts = []
        for name in SQL_COMMANDS:
            skipped = ", ".join(f"{k} ×{v}" for k, v in sorted(rep[name]["skipped"].items()))
            wrap = " (it writes: replayed in BEGIN … ROLLBACK)" if rep[name]["writes"] else ""
            parts.append(f"{name}: {skipped or 'nothing'}{wrap}")
        print(f"  {n:,}: " + "; ".join(parts))
    print(f"\ntaskwarrior: {saved['taskwarrior']}")
    print("\nall runs (ms):")
    for n in saved["sizes"]:
        for key, r in saved["results"][str(n)].items():
            if "all_ms" in r:
                print(f"  {n}/{key}: {r['all_ms']}")
    print(f"\nmachine: {saved['machine']}")
    print(f"code: {saved['code']}")
    if saved.get("sources_changed"):
        print(
            f"**warning**: complaintctl's sources changed during the run (at the start: "
            f"{saved.get('code_start')}); the sizes may have measured different code"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="peers.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    ap.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="Timed rounds.")
    ap.add_argument("--warmup", type=int, default=1, help="Untimed rounds first.")
    ap.add_argument("--cache", type=Path, default=bench.DEFAULT_CACHE)
    ap.add_argument("--rebuild", action="store_true", help="Rebuild registers and task data.")
    ap.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--json", type=Path, help="Also write the raw results here.")
    ap.add_argument(
        "--commit",
        metavar="REV",
        help="Measure this commit's complaintctl/ (a snapshot) instead of the working tree.",
    )
    ap.add_argument("--table-from", type=Path, metavar="JSON", help="Reprint a --json's tables.")
    args = ap.parse_args(argv)
    if args.table_from:
        print_tables(json.loads(args.table_from.read_text()))
        return
    missing = [tool for tool in ("task", "sqlite3") if not shutil.which(tool)]
    if missing:
        raise SystemExit(
            f"needs {' and '.join(missing)} on PATH (Debian: apt-get install taskwarrior sqlite3)"
        )
    exe = bench._installed_exe()
    args.cache = args.cache.resolve()
    args.json = args.json.resolve() if args.json else None
    work = Path(tempfile.mkdtemp(prefix="complaintctl-peers-"))
    # Run everything from the scratch directory: a checkout as the current directory would
    # come first on `python -c`'s sys.path (and beat --commit's snapshot).
    cwd = os.getcwd()
    os.chdir(work)
    env = bench._bench_env(work)
    if args.commit:
        try:
            env = _snapshot(args.commit, work / "src", env)
        except BaseException:
            os.chdir(cwd)
            shutil.rmtree(work, ignore_errors=True)
            raise
    version = subprocess.run(["task", "--version"], capture_output=True, text=True).stdout
    saved: dict = {
        "sizes": args.sizes,
        "runs": args.runs,
        "warmup": args.warmup,
        "results": {},
        "replays": {},
        "data": {},
        "builds": {},
        "taskwarrior": f"{version.strip()}; rc: {', '.join(_rc_settings())}",
    }
    print(f"machine: {bench.machine()}", file=sys.stderr)
    saved["code_start"], sources = bench.code_version(), _sources_digest()
    if args.commit:
        saved["code_start"] = env["PEERS_CODE"]
    try:
        for n in args.sizes:
            db, took = bench.ensure_register(args.cache, n, args.rebuild, args.workers)
            taskdir, task_took = ensure_taskdir(db, n, env, args.rebuild)
            saved["builds"][str(n)] = {"register_s": took, "tasks_s": task_took}
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            counts = register_counts(db, now)
            tcounts = task_counts(taskdir, env)
            saved["data"][str(n)] = {
                **counts,
                "tasks": tcounts["tasks"],
                "pending": tcounts["pending"],
                "overdue_tasks": tcounts["overdue"],
            }
            results, replays = measure_size(n, db, taskdir, exe, env, work, args)
            saved["results"][str(n)] = results
            saved["replays"][str(n)] = replays
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    saved["machine"] = bench.machine()
    saved["code"] = bench.code_version()
    saved["sources_changed"] = _sources_digest() != sources
    if args.commit:  # a snapshot: the working tree's changes do not matter
        saved["code"], saved["sources_changed"] = env["PEERS_CODE"], False
    print_tables(saved)
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1, ensure_ascii=False, default=str))


def _snapshot(rev: str, dest: Path, env: dict) -> dict:
    """`env` running commit `rev`'s complaintctl package, unpacked at `dest`."""
    root = HERE.parent.parent

    def git(*words: str) -> bytes:
        return subprocess.run(["git", *words], cwd=root, check=True, capture_output=True).stdout

    try:
        full = git("rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError:
        raise SystemExit(f"--commit: {rev!r} is not a commit of {root}") from None
    dest.mkdir(parents=True)
    archive = git("archive", full, "complaintctl")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    path = env.get("PYTHONPATH")
    env = {**env, "PYTHONPATH": str(dest) + (os.pathsep + path if path else "")}
    where = subprocess.run(
        [sys.executable, "-c", "import complaintctl; print(complaintctl.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(dest)):
        raise SystemExit(f"--commit: complaintctl still loads from {where}, not {dest}")
    env["PEERS_CODE"] = f"{full[:7]} (a snapshot of the commit: git archive)"
    return env


def _sources_digest() -> str:
    """A digest of complaintctl's sources (others may edit them while this runs)."""
    import hashlib

    import complaintctl

    digest = hashlib.sha256()
    for path in sorted(Path(complaintctl.__file__).parent.rglob("*.py")):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _rc_settings() -> list[str]:
    return [
        line
        for line in TASKRC.splitlines()
        if line and not line.startswith("#") and not line.startswith("data.")
    ]


if __name__ == "__main__":
    main()
