"""A bounded fuzz run of the installed `complaintctl` (issue 18): random argv, random config
files and random damage to a register, each run as the program itself; it counts exit
codes and reports every run that ended in exit 70 (an unexpected error) or printed a
Python traceback, with the arguments to repeat it.

    python tests/perf/fuzz.py                      # 10 minutes, 2 workers
    python tests/perf/fuzz.py --seconds 60 --seed 7

Not part of the test run (tests/test_fuzz.py runs the same generators briefly).  Every
run works on its own copy of a small seeded register in a temporary folder.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HOSTILE = [
    "", " ", "-1", "0", "1", "Oct", "Monday", "251001", "2025-13-45", "2025-02-30 25:61",
    "2025-11-03 10:00 PST", "120,50", "1,2,3", "1e309", "NaN", "-0", "9" * 40,
    "\x1b]0;pwned\x07\x1b[2J", "\u202eevil", "line\u2028break", "a\x00b", "%s%n{0}{seq}",
    "'; DROP TABLE cases; --", "../../etc/passwd", "/dev/null", "/proc/version", "x" * 5000,
    "王方", "C2025-000001", "C9999-999999", "15", "2025Q5", "2025-00", "today", "overdue",
    "3wd", "99999999wd", "=cmd|' /C calc'!A0", "@SUM(A1)", "+86 138-1234-5678",
]  # fmt: skip
COMMANDS = [
    ["log", "--channel", "{v}", "--customer", "{v}", "--contact", "{v}", "--summary", "{v}"],
    ["log", "--channel", "phone", "--customer", "x", "--contact", "138", "--summary", "y",
     "--received-at", "{v}", "--amount", "{v}"],
    ["ack", "{v}", "--at", "{v}"],
    ["classify", "{case}", "--category", "{v}", "--severity", "{v}", "--kind", "{v}"],
    ["assign", "{case}", "--department", "{v}", "--owner", "{v}"],
    ["hold", "{case}", "--reason", "{v}", "--until", "{v}"],
    ["note", "{case}", "{v}", "--at", "{v}"],
    ["edit", "{case}", "--summary", "{v}", "--reason", "{v}"],
    ["undo", "{case}", "--reason", "{v}"],
    ["merge", "{case}", "--into", "{v}", "--reason", "x"],
    ["show", "{v}"], ["show", "{case}", "--format", "json"],
    ["list", "--due", "{v}", "--sort", "{v}", "--search", "{v}"],
    ["list", "--from", "{v}", "--to", "{v}", "--columns", "{v}"],
    ["warn", "--at", "{v}", "--within", "{v}", "--exit-zero"],
    ["report", "--month", "{v}"], ["report", "--quarter", "{v}", "--by", "owner"],
    ["export", "{v}"], ["export", "-", "--redact"], ["export", "{out}", "--format", "jsonl"],
    ["fetch", "{case}", "--to", "{v}"], ["purge", "--closed-before", "{v}", "--dry-run"],
    ["db", "check"], ["db", "status"], ["db", "backup", "{v}"],
    ["calendar", "{v}"], ["imports", "list"],
]  # fmt: skip
CONFIGS = [
    "x = " + "[" * 600 + "]" * 600,
    '[clocks]\ninvestigate = "{n}wd"\n',
    '[clocks]\nacknowledge = "{n}m"\n',
    '[duplicates]\nwindow = "{n}d"\n',
    "[warn]\nspike_weeks = {n}\nspike_factor = {n}\n",
    'number_pattern = "C{{seq:0{n}d}}"\n',
    'number_pattern = "C{{seq.__class__}}{{year}}"\n',
    'number_pattern = "{v}"\n',
    'channels = ["phone", "PHONE"]\n',
    'channels = ["{v}"]\n',
    '[[categories]]\ncode = "A"\nname = "a"\n[[categories]]\ncode = "a"\nname = "b"\n',
    '[[categories]]\ncode = "{v}"\nname = "x"\n',
    'timezone = "{v}"\n',
    'language = "{v}"\n',
    '[calendar]\ncountry = "{v}"\nopening_time = "{v}"\n',
    "[attachments]\nmax_bytes = {n}\n",
    '[[staff]]\nname = "{v}"\nemail = "{v}"\n',
    '[display]\nlist_columns = ["{v}"]\n',
    '[undo]\nwithin = "{v}"\nsame_actor = {n}\n',
    "\x00\xff not toml at all",
]
NUMBERS = [0, -1, 1, 13, 200000000, 10**20, 3660, 3661]


def seed_register(folder: Path) -> Path:
    db = folder / "seed.db"
    env = dict(os.environ, COMPLAINTCTL_USER="fuzz")
    run = lambda *a: subprocess.run(  # noqa: E731
        ["complaintctl", "--db", str(db), *a], env=env, capture_output=True, text=True
    )
    run("db", "init")
    for i in range(6):
        run("log", "--channel", "phone", "--customer", f"客户{i}", "--contact", f"1380000000{i}",
            "--summary", "洗衣机漏水", "--received-at", f"2025-10-0{i + 1} 09:00")  # fmt: skip
    run("ack", "C2025-000001", "--at", "2025-10-01 10:00")
    run("classify", "C2025-000001", "--category", "PQ", "--severity", "B", "--kind", "general",
        "--at", "2025-10-01 11:00")  # fmt: skip
    attachment = folder / "photo.jpg"
    attachment.write_bytes(b"\xff\xd8 a photo")
    run("attach", "C2025-000002", str(attachment))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def damage(db: Path, rng: random.Random) -> str:
    kind = rng.choice(["page", "time", "blob", "version", "truncate", "none"])
    if kind == "page":
        with open(db, "r+b") as f:
            size = f.seek(0, 2)
            f.seek(rng.randrange(1, max(2, size // 4096)) * 4096)
            f.write(b"\0" * 4096)
    elif kind == "truncate":
        with open(db, "r+b") as f:
            f.truncate(rng.randrange(0, f.seek(0, 2)))
    elif kind != "none":
        sql = {
            "time": "UPDATE cases SET received_at = 'garbage' WHERE id = 2",
            "blob": "UPDATE attachments SET content = 'text'",
            "version": "UPDATE meta SET value = 'abc' WHERE key = 'schema_version'",
        }[kind]
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            conn.execute(sql)
        finally:
            conn.close()
    return kind


def one_run(seed_db: Path, root: Path, n: int, rng: random.Random) -> dict:
    work = root / f"run-{n}"
    work.mkdir()
    db = work / "r.db"
    shutil.copy(seed_db, db)
    value = lambda: rng.choice(HOSTILE)  # noqa: E731
    env = dict(os.environ, COMPLAINTCTL_USER="fuzz", LANG=rng.choice(["C.UTF-8", "zh_CN.UTF-8"]))
    what = {"n": n}
    if rng.random() < 0.3:
        template = rng.choice(CONFIGS)
        text = template.replace("{n}", str(rng.choice(NUMBERS))).replace("{v}", value())
        text = text.replace("{{", "{").replace("}}", "}")
        config = work / "office.toml"
        config.write_bytes(text.encode("utf-8", "surrogateescape"))
        env["COMPLAINTCTL_CONFIG"] = str(config)
        what["config"] = text[:200]
    if rng.random() < 0.3:
        what["damage"] = damage(db, rng)
    args = [
        a.replace("{v}", value())
        .replace("{case}", rng.choice(["C2025-000001", "C2025-000002", "3", value()]))
        .replace("{out}", str(work / "out.jsonl"))
        for a in rng.choice(COMMANDS)
    ]
    args = [a.replace("\x00", "") for a in args]  # an argument cannot hold a NUL
    what["argv"] = args
    try:
        done = subprocess.run(
            ["complaintctl", "--db", str(db), *args],
            env=env, capture_output=True, timeout=60, cwd=work, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        what["code"] = done.returncode
        err = done.stderr.decode("utf-8", "replace")
        what["traceback"] = "Traceback" in err
        what["stderr"] = err[-300:]
    except subprocess.TimeoutExpired:
        what["code"], what["traceback"] = "timeout", False
    shutil.rmtree(work, ignore_errors=True)
    return what


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write every bad run here")
    ns = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="complaintctl-fuzz-"))
    try:
        seed_db = seed_register(root)
        deadline = time.monotonic() + ns.seconds
        codes: collections.Counter = collections.Counter()
        bad: list[dict] = []
        count = 0

        def worker(w: int) -> None:
            nonlocal count
            rng = random.Random(ns.seed * 1000 + w)
            while time.monotonic() < deadline:
                n = count = count + 1
                r = one_run(seed_db, root, n, rng)
                codes[r["code"]] += 1
                if r["code"] in (70, "timeout") or r["traceback"]:
                    bad.append(r)

        with ThreadPoolExecutor(ns.workers) as pool:
            list(pool.map(worker, range(ns.workers)))
        total = sum(codes.values())
        print(f"runs: {total} in {ns.seconds:.0f} s ({ns.workers} workers, seed {ns.seed})")
        print("exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items(), key=str)))
        print(f"exit 70: {codes[70]}; timeouts: {codes['timeout']}; "
              f"tracebacks: {sum(r['traceback'] for r in bad)}")  # fmt: skip
        for r in bad[:20]:
            print(json.dumps(r, ensure_ascii=False))
        if ns.json:
            Path(ns.json).write_text(json.dumps(bad, ensure_ascii=False, indent=1))
        return 1 if bad else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
