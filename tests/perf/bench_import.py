"""Import benchmark: generates realistic rows, imports them into fresh SQLite files with the
installed `complaintctl`, and prints per size the median wall time, peak memory (of the
import process or its reading process, whichever is larger) and CPU time (both together).

    python tests/perf/bench_import.py [--sizes 10000 100000] [--runs 3]

Not part of the test run (timings on shared machines are noisy); the README quotes it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHANNELS = ["phone", "email", "online", "social", "letter", "visit"]
CATEGORIES = ["PQ", "SA", "TS", "DL", "BL", "FE", "SM", "OT"]
DEPARTMENTS = ["CS", "SALES", "TECH", "LOG", "QA"]
OWNERS = ["李娜", "王芳", "张伟", "刘洋", "陈静", "Zhou Min", "赵磊", "孙丽"]
FIELDS = [
    "external_ref",
    "received_at",
    "channel",
    "customer_name",
    "contact",
    "summary",
    "description",
    "category",
    "severity",
    "kind",
    "department",
    "owner",
    "acknowledged_at",
    "classified_at",
    "assigned_at",
    "investigated_at",
    "resolved_at",
    "remedy",
    "feedback_score",
    "feedback_at",
    "closed_at",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Rows over five years; most closed, the rest stopped at every step."""
    rnd = random.Random(seed)
    start = dt.datetime(2021, 1, 1, 8, 0)
    span = 5 * 365 * 24 * 60
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        for i in range(rows):
            t = start + dt.timedelta(minutes=rnd.randrange(span))
            times, step_t = [], t
            depth = rnd.choices(range(8), weights=[1, 1, 1, 1, 1, 1, 4, 30])[0]
            for _ in range(min(depth, 6)):
                step_t += dt.timedelta(hours=rnd.uniform(0.2, 60))
                times.append(step_t.strftime("%Y-%m-%d %H:%M"))
            times += [""] * (6 - len(times))
            score = str(rnd.choice([3, 4, 5, 5])) if depth >= 6 else ""
            closed = times[5] if depth == 7 and score and int(score) < 4 else ""
            w.writerow(
                [
                    f"BENCH-{i}",
                    t.strftime("%Y-%m-%d %H:%M"),
                    rnd.choice(CHANNELS),
                    f"客户{rnd.randrange(60_000)}",
                    f"138{rnd.randrange(10**8):08d}",
                    rnd.choice(["洗衣机漏水", "发票重复收费", "快递延误", "客服态度差"]),
                    "详细描述，" * rnd.randrange(1, 6),
                    rnd.choice(CATEGORIES),
                    rnd.choice("ABCCCCC"),
                    rnd.choice(["general", "claim", "unjustified"]),
                    rnd.choice(DEPARTMENTS),
                    rnd.choice(OWNERS),
                    times[0],
                    times[1],
                    times[2],
                    times[3],
                    times[4],
                    rnd.choice(["refund", "repair", "apology"]) if times[4] else "",
                    score,
                    times[5] if score else "",
                    closed,
                ]
            )


def run_once(exe: str, csv_path: Path, workdir: Path) -> tuple[float, float, float]:
    """(wall seconds, peak MB of the import or its reading process, CPU seconds of both)."""
    db = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    env = {**os.environ, "COMPLAINTCTL_DB": str(db), "COMPLAINTCTL_USER": "bench"}
    subprocess.run([exe, "db", "init"], env=env, check=True, capture_output=True)
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True); "
        "w = time.perf_counter() - t; r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(w, r.ru_maxrss, r.ru_utime + r.ru_stime, p.returncode); "
        "sys.stderr.write(p.stderr.decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, exe, "import", str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss_kb, cpu, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"import failed: {out.stderr}")
    return float(wall), int(rss_kb) / 1024, float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    exe = shutil.which("complaintctl")
    if not exe:
        raise SystemExit("install first: pip install -e .")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores; "
            f"median of {args.runs} runs, fresh SQLite file each; "
            f"load average {os.getloadavg()[0]:.2f} (wall times need an idle machine)"
        )
        print(f"{'rows':>8}  {'wall s':>7}  {'rows/s':>8}  {'peak MB':>8}  {'cpu s':>6}")
        peaks = {}
        for n in args.sizes:
            src = tmpdir / f"rows-{n}.csv"
            generate(src, n)
            results = [run_once(exe, src, tmpdir) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in results)
            peak = statistics.median(r[1] for r in results)
            cpu = statistics.median(r[2] for r in results)  # the import and its reader
            peaks[n] = peak
            print(f"{n:>8}  {wall:>7.2f}  {n / wall:>8.0f}  {peak:>8.1f}  {cpu:>6.2f}")
        if len(peaks) > 1:
            lo, hi = min(peaks), max(peaks)
            print(f"peak memory {hi} rows / {lo} rows: {peaks[hi] / peaks[lo]:.2f}x")


if __name__ == "__main__":
    main()
