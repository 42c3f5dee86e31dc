"""Benchmark of issue 6 ("fast at a million complaints, instant to start").

Builds synthetic registers (10k, 100k, 1M cases by default) with realistic, valid history
(≈6 sealed events per case over five years ending today, ≈5% open), runs each command
several times as a subprocess of the installed `complaintctl`, and prints a Markdown table
of medians (wall time, peak memory) against the targets, the 100k→1M growth of the point
commands, and the database size per case.

    python tests/perf/bench.py                                  # 10k, 100k, 1M; 5 runs
    python tests/perf/bench.py --sizes 10000 --runs 3           # quick: seconds
    python tests/perf/bench.py --import-rows 1000000            # also time a 1M-row import
    python tests/perf/bench.py --shapes                         # skewed registers (issue 14)
    python tests/perf/bench.py --shapes contact day --runs 3 --postgres URL

Registers are cached under --cache (default /tmp/complaintctl-bench), one file per size,
so re-runs do not rebuild them (--rebuild forces it).  Not part of the test run (timings on
shared machines are noisy); nothing here is named test_*.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import importlib.util
import json
import multiprocessing
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "complaintctl-bench"
DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
YEARS = 5
CHUNK = 5_000  # cases generated per task and written per transaction

# What the default config knows (complaintctl/config.py); owners are free text.
CHANNELS = (
    ("phone", 40),
    ("online", 25),
    ("email", 12),
    ("social", 10),
    ("letter", 3),
    ("visit", 8),
    ("other", 2),
)
CATEGORIES = (
    ("PQ", 30),
    ("DL", 18),
    ("SA", 14),
    ("TS", 12),
    ("BL", 12),
    ("SM", 6),
    ("FE", 4),
    ("OT", 4),
)
DEPARTMENTS = ("CS", "SALES", "TECH", "LOG", "QA")
_SURNAMES = "李王张刘陈杨赵黄周吴"
_GIVEN = ("娜", "芳", "伟", "洋", "静", "磊", "丽", "强", "敏", "军")
# 40 owners, 8 per department (an owner always works in one department).
OWNERS = [
    (DEPARTMENTS[i % 5], _SURNAMES[i % 10] + _GIVEN[(i * 3 + i // 10) % 10] + str(i // 10 or ""))
    for i in range(40)
]
LIST_OWNER = OWNERS[7][1]  # the owner whose first page `list --owner` shows
CLERKS = ("前台小周", "客服小林", "客服小吴", "Zhou Min", "客服小郑", "客服小何")
SUMMARIES = (
    "洗衣机漏水",
    "发票重复收费",
    "快递延误三天",
    "客服态度差",
    "冰箱不制冷",
    "退款迟迟未到账",
    "安装师傅爽约",
    "广告与实物不符",
    "网点环境脏乱",
    "App 无法登录",
    "配件缺失",
    "保修期内收费维修",
)
PRODUCTS = ("WG-80", "BCD-520", "KFR-35", "XQB-90", "DW-12", "TV-55U", None)
REMEDIES = (
    ("refund", 20),
    ("repair", 20),
    ("replacement", 15),
    ("apology", 15),
    ("explanation", 15),
    ("compensation", 8),
    ("service-improvement", 5),
    ("none", 2),
)
HOLD_REASONS = ("等待客户提供发票", "客户出差，约下周上门", "等待供应商检测报告")


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum


# -- building a register ------------------------------------------------------------------
class _Gen:
    """Per worker process: the default settings' calendar, through a Register's clock as
    the importer uses it, and the case columns."""

    def __init__(self) -> None:
        from complaintctl.config import Settings
        from complaintctl.history import event_hash
        from complaintctl.models import Case
        from complaintctl.register import Register
        from complaintctl.workflow import replay

        settings = Settings()
        reg = Register(None, settings, url="sqlite://")  # no database is opened: the calendar
        self.clock = reg.calendar.clock_function(settings.clocks)  # what the importer uses
        self.min_score = settings.satisfied_min_score
        self.tz = settings.tz
        self.replay = replay  # an imported row's state, as the importer computes it
        self.event_hash = event_hash
        cols = [c for c in Case.__table__.c if c.name not in ("id", "version")]
        self.columns = [c.name for c in cols]
        self.time_columns = {c.name for c in cols if c.type.python_type is dt.datetime}
        self.channels = _weighted(CHANNELS)
        self.categories = _weighted(CATEGORIES)
        self.remedies = _weighted(REMEDIES)


_G: _Gen | None = None


def _init_worker() -> None:
    global _G
    _G = _Gen()


def _iso(v):
    return v.isoformat() if v.__class__ is dt.datetime else v


def _sql_time(v: dt.datetime) -> str:
    """As SQLAlchemy's DateTime stores it on SQLite."""
    return v.isoformat(" ", "microseconds")


def _gen_chunk(task: tuple) -> tuple[list[tuple], list[tuple], int]:
    """Cases first_id.. of one chunk: (case rows, event rows with their sort keys, n)."""
    first_id, received_list, numbers, now, size, shape = task
    g = _G
    assert g is not None
    cases, events = [], []
    for k, (received, number) in enumerate(zip(received_list, numbers, strict=True)):
        case_id = first_id + k
        row, evs = _gen_case(g, case_id, number, received, now, size, shape)
        cases.append(row)
        events.extend(evs)
    return cases, events, len(cases)


# What every case of a skewed register shares (tests/perf/shapes.py): the one contact, owner
# or category.  The draws are made all the same, so a "normal" register is unchanged.
ONE_CONTACT = 0
ONE_OWNER = OWNERS[0]
ONE_CATEGORY = "PQ"


def _gen_case(
    g: _Gen,
    case_id: int,
    number: str,
    received: dt.datetime,
    now,
    size: int,
    shape: str = "normal",
):
    """One case: its row (id first, the columns, version) and its events.  `shape`
    "contact", "owner" or "category" gives every case the same one of those."""
    rnd = random.Random(case_id * 7919 + size)
    choices = rnd.choices
    hours = dt.timedelta(hours=1)
    age_days = (now - received).total_seconds() / 86400
    p_open = 0.95 if age_days < 14 else 0.5 if age_days < 60 else 0.12 if age_days < 365 else 0.012
    is_open = rnd.random() < p_open
    severity = choices("ABC", weights=(1, 3, 10))[0]

    # The actions, in time order: (action, time, fields given).
    plan: list[tuple[str, dt.datetime, dict]] = []
    t = received
    if is_open:
        depth = choices(range(6), weights=(10, 15, 10, 30, 20, 15))[0]
        ends = None
    else:
        depth = 5
        ends = choices(("feedback", "close", "reject"), weights=(76, 14, 10))[0]
    category = choices(*g.categories)[0]
    department, owner = OWNERS[rnd.randrange(len(OWNERS))]
    if shape == "category":
        category = ONE_CATEGORY
    elif shape == "owner":
        department, owner = ONE_OWNER
    gaps = ((0.2, 20), (0.2, 30), (0.2, 30), (2, 90), (2, 140))
    if ends == "reject":
        t += rnd.uniform(0.2, 20) * hours
        plan.append(("ack", t, {"acknowledged_at": t}))
        t += rnd.uniform(0.2, 30) * hours
        reason = rnd.choice(("非本公司产品", "重复投诉", "恶意投诉"))
        plan.append(("reject", t, {"reject_reason": reason, "classified_at": t}))
        severity = None
    else:
        for step in range(depth):
            lo, hi = gaps[step]
            t += rnd.uniform(lo, hi) * hours
            if step == 0:
                plan.append(("ack", t, {"acknowledged_at": t}))
            elif step == 1:
                fields = {
                    "classified_at": t,
                    "category": category,
                    "severity": severity,
                    "kind": choices(("general", "claim", "unjustified"), weights=(6, 3, 1))[0],
                }
                plan.append(("classify", t, fields))
                if severity == "A":
                    e = t + rnd.uniform(0.1, 1.5) * hours
                    plan.append(("escalate", e, {"escalated_at": e, "escalated_to": "区域经理"}))
                    p = t + rnd.uniform(1, 6) * hours
                    plan.append(("plan", p, {"plan_at": p, "plan": "当日上门核实，三日内给出方案"}))
            elif step == 2:
                plan.append(
                    ("assign", t, {"assigned_at": t, "department": department, "owner": owner})
                )
            elif step == 3:
                fields = {
                    "investigated_at": t,
                    "findings": "核实属实：" + rnd.choice(SUMMARIES),
                    "root_cause": rnd.choice(("生产批次缺陷", "配送超时", "沟通不到位", None)),
                    "responsibility": choices(("internal", "external", "mixed"), (6, 3, 1))[0],
                    "proposal": rnd.choice(("退款", "上门维修", "更换新品", "书面致歉")),
                }
                plan.append(("investigate", t, fields))
            else:
                remedy = choices(*g.remedies)[0]
                amount = (
                    rnd.randrange(1000, 200_000) if remedy in ("refund", "compensation") else None
                )
                fields = {
                    "resolved_at": t,
                    "customer_told_at": t,
                    "remedy": remedy,
                    "remedy_amount_cents": amount,
                    "resolution_note": rnd.choice(("已处理", "客户已确认", None)),
                }
                plan.append(("resolve", t, fields))
        if ends == "feedback":
            t += rnd.uniform(4, 200) * hours
            score = choices((4, 5), weights=(2, 5))[0]
            comment = rnd.choice(("满意", "处理及时", None, None))
            plan.append(
                (
                    "feedback",
                    t,
                    {"feedback_at": t, "feedback_score": score, "feedback_comment": comment},
                )
            )
        elif ends == "close":
            # Closed without a reason: only once the feedback window has expired.
            t = g.clock("feedback", t) + rnd.uniform(1, 48) * hours
            plan.append(("close", t, {"closed_at": t}))
    plan.sort(key=lambda a: a[1])
    # At least 12 minutes between actions (so a recorded_at a few minutes after each `at`
    # keeps them in order); nothing after now: what lies ahead has not happened yet.
    limit = now - dt.timedelta(minutes=11)
    timed, last, resolved = [], received, None
    for action, at, fields in plan:
        at = max(at, last + dt.timedelta(minutes=12))
        if action == "resolve":
            resolved = at
        elif action == "close" and resolved is not None:
            at = max(at, g.clock("feedback", resolved) + hours)  # the window has expired
        if at > limit:
            break
        timed.append((action, at, {k: (at if k.endswith("_at") else v) for k, v in fields.items()}))
        last = at
    ended = bool(timed) and timed[-1][0] in ("feedback", "close", "reject")
    if not ended and rnd.random() < 0.05 and last + dt.timedelta(hours=1) < limit:
        at = last + rnd.uniform(0.3, min(48.0, (limit - last).total_seconds() / 3600)) * hours
        reason = rnd.choice(HOLD_REASONS)
        timed.append(("hold", at, {"on_hold": True, "hold_started_at": at, "hold_reason": reason}))
        last = at
    if rnd.random() < 0.1 and last + dt.timedelta(hours=1) < limit:
        at = last + rnd.uniform(0.3, min(72.0, (limit - last).total_seconds() / 3600)) * hours
        timed.append(("note", at, {}))

    # The case as logged.
    logger = rnd.choice(CLERKS)
    logged_at = received + dt.timedelta(seconds=rnd.uniform(5, 600))
    if logged_at > now:
        logged_at = received
    contact_no = rnd.randrange(int(size * 0.85) + 10)
    email = rnd.random() < 0.15
    if shape == "contact":
        contact_no, email = ONE_CONTACT, False
    contact = (
        f"user{contact_no}@example.com" if email else f"1{38 + contact_no % 12}{contact_no:08d}"
    )
    src = {
        "number": number,
        "external_ref": f"WEB-{case_id}" if rnd.random() < 0.3 else None,
        "channel": choices(*g.channels)[0],
        "customer_name": f"客户{contact_no}",
        "contact": contact,
        "contact_key": contact.lower() if email else contact,
        "customer_type": "enterprise" if rnd.random() < 0.1 else "individual",
        "summary": rnd.choice(SUMMARIES),
        "description": "详细描述：" + "客户反映问题，要求尽快处理。" * rnd.randrange(1, 6),
        "demand": rnd.choice(("退款", "更换", "维修", "道歉", None)),
        "order_no": f"SO-{rnd.randrange(10**7):07d}" if rnd.random() < 0.7 else None,
        "product": rnd.choice(PRODUCTS),
        "amount_claimed_cents": rnd.randrange(1000, 500_000) if rnd.random() < 0.3 else None,
        "received_at": received,
        "logged_at": logged_at,
        "logged_by": logger,
        "on_hold": False,
        "reopen_count": 0,
    }
    state = g.replay(dict(src), g.clock, g.min_score)
    evs = []
    prev_hash = None
    seq = 0

    def add(action, at, recorded, actor, step_from, before, after, note):
        nonlocal prev_hash, seq
        if before is None:
            changes = {k: [None, _iso(v)] for k, v in after.items() if v is not None}
        else:
            get = before.get  # states only gain keys: compare what the later one has
            changes = {k: [_iso(get(k)), _iso(v)] for k, v in after.items() if get(k) != v}
        ev = {
            "case_id": case_id,
            "action": action,
            "at": at,
            "recorded_at": recorded,
            "actor": actor,
            "step_from": step_from,
            "step_to": after["step"],
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else None,
            "note": note,
        }
        prev_hash = g.event_hash(prev_hash, ev)
        rec = _sql_time(recorded)
        evs.append(
            (
                (rec, case_id, seq),
                (
                    case_id,
                    action,
                    _sql_time(at),
                    rec,
                    actor,
                    step_from,
                    ev["step_to"],
                    ev["changes"],
                    note,
                    prev_hash,
                ),
            )
        )
        seq += 1

    # None-valued columns are left out of a logged case's first snapshot, as _event does.
    add("log", received, logged_at, logger, None, None, state, None)
    for action, at, fields in timed:
        recorded = min(at + dt.timedelta(seconds=rnd.uniform(2, 600)), now)
        before = state
        note = None
        if action == "note":
            after = state
            note = rnd.choice(("客户来电询问进度", "已电话回访", "补充材料已收到"))
        else:
            src.update(fields)
            after = g.replay(dict(src), g.clock, g.min_score)
            if action == "reject":
                note = fields["reject_reason"]
            elif action == "hold":
                note = fields["hold_reason"]
            elif action == "feedback":
                note = fields["feedback_comment"]
        if action in ("investigate", "resolve") and state.get("owner"):
            actor = state["owner"]
        else:
            actor = rnd.choice(CLERKS)
        add(action, at, recorded, actor, before["step"], before, after, note)
        state = after
    row = (
        case_id,
        *(_sql_time(v) if v.__class__ is dt.datetime else v for v in map(state.get, g.columns)),
        len(evs),  # version: one per event (no log --ack here)
    )
    return row, evs


def _received_times(
    n: int, now: dt.datetime, tz, days: int = 365 * YEARS, one_day: dt.date | None = None
) -> list[tuple[dt.datetime, int]]:
    """n receipt times (naive UTC, sorted) over `days` days ending now (or all on the
    office-local day `one_day`), mostly in the daytime, with the office-local year of
    each (for the case number)."""
    rnd = random.Random(n)
    start_local = (now.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)) - dt.timedelta(
        days=days
    )
    if one_day is not None:
        start_local = dt.datetime.combine(one_day, dt.time())
    secs = []
    for _ in range(n):
        day = 0 if one_day is not None else rnd.randrange(days + 1)
        if rnd.random() < 0.85:
            sec = rnd.randrange(8 * 3600 + 1800, 20 * 3600 + 1800)
        else:
            sec = rnd.randrange(86400)
        secs.append(day * 86400 + sec)
    secs.sort()
    base = start_local.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    latest = now - dt.timedelta(minutes=30)
    offset = tz.utcoffset(base)
    for s in secs:
        local = base + dt.timedelta(seconds=s)
        if local < start_local:
            local = start_local
        utc = min(local - offset, latest)  # Asia/Shanghai has no DST; offset fixed
        out.append((utc, local.year))
    return out


def build_register(
    n: int,
    path: Path,
    workers: int,
    shape: str = "normal",
    days: int = 365 * YEARS,
    one_day: dt.date | None = None,
    quiet: bool = False,
) -> float:
    """Build the register of n cases at path, received over `days` days ending now (or all
    on `one_day`), every case sharing what `shape` says (see _gen_case); returns the
    seconds it took."""
    from complaintctl.config import Settings
    from complaintctl.db import open_db

    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    open_db("sqlite:///" + str(tmp), create=True).dispose()  # the real schema, at HEAD
    settings = Settings()
    pattern = settings.number_pattern
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    received = _received_times(n, now, settings.tz, days, one_day)
    numbers, seqs = [], {}
    for _, year in received:
        seqs[year] = seqs.get(year, 0) + 1
        numbers.append(pattern.format(year=year, seq=seqs[year]))
    tasks = [
        (
            i + 1,
            [r[0] for r in received[i : i + CHUNK]],
            numbers[i : i + CHUNK],
            now,
            n,
            shape,
        )
        for i in range(0, n, CHUNK)
    ]
    firsts = [_sql_time(t[1][0]) for t in tasks[1:]] + [None]

    con = sqlite3.connect(tmp, isolation_level=None)
    con.execute("PRAGMA journal_mode = DELETE")
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -400000")
    cols = _Gen().columns
    case_sql = (
        f"INSERT INTO cases (id, {', '.join(cols)}, version) VALUES "
        f"({', '.join('?' * (len(cols) + 2))})"
    )
    event_sql = (
        "INSERT INTO events (case_id, action, at, recorded_at, actor, step_from, step_to, "
        "changes, note, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    pending: list = []  # events not yet written, a heap by (recorded_at, case_id, seq)
    done = n_events = 0
    if workers > 1:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker)
        chunks = pool.imap(_gen_chunk, tasks)
    else:  # in this process (a test's fixture: no pool to start)
        pool = None
        _init_worker()
        chunks = map(_gen_chunk, tasks)
    try:
        for (case_rows, event_rows, count), frontier in zip(chunks, firsts, strict=True):
            con.execute("BEGIN")
            con.executemany(case_sql, case_rows)
            for item in event_rows:
                heapq.heappush(pending, item)
            # Event ids follow the time they were written, across cases, as in a real
            # register: every case still to come was received after `frontier`.
            ready = []
            while pending and (frontier is None or pending[0][0][0] < frontier):
                ready.append(heapq.heappop(pending)[1])
            con.executemany(event_sql, ready)
            n_events += len(ready)
            con.execute("COMMIT")
            done += count
            if not quiet and (done % 100_000 < CHUNK or done == n):
                print(
                    f"  built {done:>9,} / {n:,} cases, {n_events:,} events "
                    f"({time.perf_counter() - t0:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.terminate()
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO counters (series, value) VALUES (?, ?)",
        [(f"{pattern}|{year}", last) for year, last in sorted(seqs.items())],
    )
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode = WAL")  # what open_db leaves a register in
    con.close()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    return time.perf_counter() - t0


def register_path(cache: Path, n: int) -> Path:
    return cache / f"register-{n}.db"


def ensure_register(cache: Path, n: int, rebuild: bool, workers: int) -> tuple[Path, float | None]:
    """The cached register of n cases (built now if missing); (path, build seconds)."""
    path = register_path(cache, n)
    if path.exists() and not rebuild:
        # A register cached by an earlier release is brought to this release's schema.
        subprocess.run(["complaintctl", "--db", str(path), "db", "upgrade"], check=True)
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    print(f"building a register of {n:,} cases at {path} ...", file=sys.stderr, flush=True)
    took = build_register(n, path, workers)
    (cache / f"register-{n}.built").write_text(f"{took:.1f}\n")
    return path, took


def pick_cases(path: Path, k: int) -> list[str]:
    """k case numbers spread over the register (existing cases for `show`)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (top,) = con.execute("SELECT max(id) FROM cases").fetchone()
        ids = [max(1, int(top * (i + 0.5) / k)) for i in range(k)]
        return [
            con.execute("SELECT number FROM cases WHERE id = ?", (i,)).fetchone()[0] for i in ids
        ]
    finally:
        con.close()


# -- measuring ---------------------------------------------------------------------------
# Runs the command as its child and reports the child's wall time and peak RSS.
_WRAPPER = (
    "import os, resource, subprocess, sys, time; "
    # --limit-as: the command's address space capped (a blow-up ends in MemoryError).
    "cap = int(os.environ.get('BENCH_LIMIT_AS', 0)); "
    "cap and resource.setrlimit(resource.RLIMIT_AS, (cap, cap)); "
    "t = time.perf_counter(); "
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE); "
    "w = time.perf_counter() - t; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(w, u.ru_maxrss, p.returncode, u.ru_utime + u.ru_stime); "
    "sys.stderr.write(p.stderr.decode(errors='replace')[-2000:]); "
    "sys.stderr.write('\\n--stdout--\\n' + p.stdout.decode(errors='replace')[:300])"
)


def run_once(argv: list[str], env: dict, ok=(0,)) -> tuple[float, float, str, float]:
    """(wall s, peak RSS MB, stderr and start of stdout, CPU s) of one run."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"wrapper failed for {argv}: {out.stderr}")
    wall, rss_kb, rc, cpu = out.stdout.split()
    if int(rc) not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {rc}:\n{out.stderr}")
    return float(wall), int(rss_kb) / 1024, out.stderr, float(cpu)


BUDGET_S = 90.0  # a command slower than this over its runs so far gets no more runs


def measure(argv, env, runs: int, ok=(0,), vary=None) -> dict:
    """Median wall (ms) and peak RSS (MB) of `runs` runs; `vary(i)` gives run i's argv.
    A very slow command stops early (at least one run): the table says how many ran."""
    walls, peaks, cpus = [], [], []
    sample = ""
    for i in range(runs):
        w, m, sample, cpu = run_once(vary(i) if vary else argv, env, ok)
        walls.append(w * 1000)
        peaks.append(m)
        cpus.append(cpu * 1000)
        if sum(walls) / 1000 > BUDGET_S:
            break
    return {
        "ms": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "mb": statistics.median(peaks),
        "all_ms": [round(w) for w in walls],
        "sample": sample,
    }


def compile_package(env: dict) -> None:
    """Byte-compile complaintctl as an installation would have it (others may be editing
    the sources while the benchmark runs)."""
    code = (
        "import compileall, pathlib, complaintctl; "
        "compileall.compile_dir(pathlib.Path(complaintctl.__file__).parent, quiet=1)"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)


def log_argv(db: Path) -> list[str]:
    """`log` of one benchmark complaint into `db`, its contact to follow (a new one each
    run, so no duplicate warning)."""
    return [
        "--db", str(db), "log", "--channel", "phone", "--customer", "测试客户",
        "--summary", "冰箱不制冷", "-q", "--contact",
    ]  # fmt: skip


def last_full_month(today: dt.date) -> str:
    first = today.replace(day=1)
    prev = first - dt.timedelta(days=1)
    return f"{prev:%Y-%m}"


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def code_version() -> str:
    """The commit measured, and whether complaintctl/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "complaintctl"],
            cwd=HERE.parent.parent,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
    except OSError:
        return "unknown"
    changed = [line for line in dirty if line.strip()]
    return f"{head}" + (
        f" + uncommitted changes in {len(changed)} complaintctl file(s)" if changed else ""
    )


def _bench_import_module():
    spec = importlib.util.spec_from_file_location("bench_import", HERE / "bench_import.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


# Targets (ms) per row of the table; "fixed" is relative to the sqlmodel baseline.
TARGETS = {
    "help": 120,
    "complete": 120,
    "log": 500,
    "show": 300,
    "list": 500,
    "warn": 1000,
    "report": 2000,
}
POINT = ("log", "show", "list", "warn")
RUNS = 5


def main() -> None:
    if "--peers" in sys.argv[1:]:  # issue 16: side by side with its peers, tests/perf/peers.py
        import peers

        peers.main([a for a in sys.argv[1:] if a != "--peers"])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--rebuild", action="store_true", help="Rebuild the cached registers.")
    ap.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument(
        "--import-rows",
        type=int,
        default=0,
        metavar="N",
        help="Also import N rows (tests/perf/bench_import.py's generator) into an empty "
        "register, --import-runs times (default: skip; the issue's target is 1000000).",
    )
    ap.add_argument("--import-runs", type=int, default=1)
    ap.add_argument("--build-only", action="store_true", help="Only build the registers.")
    ap.add_argument("--json", type=Path, help="Also write the raw results here.")
    ap.add_argument("--table-from", type=Path, metavar="JSON", help="Reprint a --json's table.")
    ap.add_argument(
        "--shapes",
        nargs="*",
        metavar="SHAPE",
        help="Instead: every reading command on skewed registers (tests/perf/shapes.py: "
        "normal, contact, day, owner, category; all when none are named).",
    )
    ap.add_argument("--shape-cases", type=int, default=20_000, metavar="N")
    ap.add_argument(
        "--peers",
        action="store_true",
        help="Instead: tests/perf/peers.py (issue 16, against taskwarrior and the sqlite3 "
        "CLI, interleaved); the other options go to it (see peers.py --help).",
    )
    ap.add_argument(
        "--exe", metavar="PATH", help="With --shapes: the complaintctl to run [the installed one]."
    )
    ap.add_argument(
        "--postgres",
        metavar="URL",
        help="With --shapes: also on this PostgreSQL database (a schema per shape).",
    )
    ap.add_argument(
        "--limit-as",
        type=int,
        default=0,
        metavar="MB",
        help="Cap each command's address space (a command that needs more fails, "
        "reported as such in --shapes).",
    )
    args = ap.parse_args()
    global RUNS
    if args.shapes is not None:
        shapes_main(args)
        return
    if args.table_from:
        saved = json.loads(args.table_from.read_text())
        RUNS = saved.get("runs", args.runs)
        builds = {int(k): v for k, v in saved["builds"].items()}
        print_table(saved["results"], saved["sizes"], builds, RUNS, saved.get("month", "?"))
        for key in ("machine", "code"):
            if key in saved:
                print(f"{key}: {saved[key]}")
        return

    exe = str(Path(sys.executable).parent / "complaintctl")
    if not Path(exe).exists():
        found = shutil.which("complaintctl")
        if not found:
            raise SystemExit("install first: pip install -e .")
        exe = found
    builds: dict[int, float | None] = {}
    paths: dict[int, Path] = {}
    for n in args.sizes:
        paths[n], builds[n] = ensure_register(args.cache, n, args.rebuild, args.workers)
        if builds[n] is None:
            stamp = args.cache / f"register-{n}.built"
            if stamp.exists():
                builds[n] = -float(stamp.read_text())  # negative: built by an earlier run
    if args.build_only:
        for n in args.sizes:
            print(f"{n:>9,} cases: {paths[n]} built in {abs(builds[n] or 0):.0f} s")
        return

    work = Path(tempfile.mkdtemp(prefix="complaintctl-bench-"))
    env = {
        **os.environ,
        "COMPLAINTCTL_USER": "bench",
        "XDG_CONFIG_HOME": str(work / "config"),  # no user config: the defaults
        "COLUMNS": "120",
    }
    # As installed for real: byte-code cached (the warm-up runs write it); any value of
    # PYTHONDONTWRITEBYTECODE, even "0", would recompile every changed module on every run.
    for key in ("COMPLAINTCTL_DB", "COMPLAINTCTL_CONFIG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    runs = RUNS = args.runs
    results: dict[str, dict] = {}
    print(f"machine: {machine()}", file=sys.stderr)
    try:
        # Warm-up: byte-compiled modules, the OS page cache.
        compile_package(env)
        run_once([exe, "--help"], env)
        results["help"] = measure([exe, "--help"], env, runs)
        complete_env = {
            **env,
            "_COMPLAINTCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "complaintctl li",
            "COMP_CWORD": "1",
        }
        results["complete"] = measure([exe], complete_env, runs)
        if "list" not in results["complete"]["sample"]:
            print("warning: completion did not offer 'list'", file=sys.stderr)
        results["python"] = measure([sys.executable, "-c", "pass"], env, runs)
        results["sqlmodel"] = measure([sys.executable, "-c", "import sqlmodel"], env, runs)
        month = last_full_month(dt.date.today())
        for n in args.sizes:
            db = paths[n]
            size = db.stat().st_size
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
                n_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
                n_open = con.execute(
                    "SELECT count(*) FROM cases WHERE step NOT IN ('closed', 'rejected')"
                ).fetchone()[0]
            results[f"size/{n}"] = {
                "bytes": size,
                "cases": cases,
                "events": n_events,
                "open": n_open,
            }
            base = [exe, "--db", str(db)]
            print(f"measuring {n:,} cases ...", file=sys.stderr, flush=True)
            # Warm-up: byte-code of modules changed since the last run, the OS page cache.
            compile_package(env)
            run_once([*base, "show", "C1999-999999"], env, ok=(1,))
            results[f"fixed/{n}"] = measure([*base, "show", "C1999-999999"], env, runs, ok=(1,))
            numbers = pick_cases(db, runs)
            results[f"show/{n}"] = measure(
                None,
                env,
                runs,
                vary=lambda i, base=base, numbers=numbers: [*base, "show", numbers[i]],
            )
            results[f"list/{n}"] = measure([*base, "list", "--owner", LIST_OWNER], env, runs)
            results[f"warn/{n}"] = measure(
                [*base, "warn", "--exit-zero", "--even-on-holidays"], env, runs
            )
            results[f"report/{n}"] = measure([*base, "report", "--month", month], env, runs)
            copy = work / f"log-{n}.db"
            shutil.copyfile(db, copy)
            log = [exe, *log_argv(copy)]
            results[f"log/{n}"] = measure(
                None, env, runs, vary=lambda i, log=log: [*log, f"139{random.randrange(10**8):08d}"]
            )
            copy.unlink()
            for suffix in ("-wal", "-shm"):
                Path(str(copy) + suffix).unlink(missing_ok=True)
        if args.import_rows:
            bi = _bench_import_module()
            src = work / f"import-{args.import_rows}.csv"
            print(f"generating {args.import_rows:,} import rows ...", file=sys.stderr, flush=True)
            bi.generate(src, args.import_rows)
            walls, peaks, cpus = [], [], []
            for _ in range(args.import_runs):
                target = work / "import.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(str(target) + suffix).unlink(missing_ok=True)
                subprocess.run(
                    [exe, "--db", str(target), "db", "init"],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                w, m, _, cpu = run_once([exe, "--db", str(target), "import", str(src)], env)
                walls.append(w * 1000)
                peaks.append(m)
                cpus.append(cpu * 1000)
            results["import"] = {
                "ms": statistics.median(walls),
                "cpu": statistics.median(cpus),
                "mb": statistics.median(peaks),
                "rows": args.import_rows,
                "all_ms": [round(w) for w in walls],
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    print_table(results, args.sizes, builds, runs, month)
    print(f"\nmachine: {machine()}")
    print(f"code: {code_version()}")
    print(f"load average at the end: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    if args.json:
        saved = {
            "results": results,
            "builds": builds,
            "sizes": args.sizes,
            "runs": runs,
            "month": month,
            "machine": machine(),
            "code": code_version(),
        }
        args.json.write_text(json.dumps(saved, indent=1, default=str))


# -- skewed registers (issue 14) --------------------------------------------------------------
def _installed_exe() -> str:
    exe = str(Path(sys.executable).parent / "complaintctl")
    if Path(exe).exists():
        return exe
    found = shutil.which("complaintctl")
    if not found:
        raise SystemExit("install first: pip install -e .")
    return found


def _bench_env(work: Path, limit_mb: int = 0) -> dict:
    env = {
        **os.environ,
        "COMPLAINTCTL_USER": "bench",
        "XDG_CONFIG_HOME": str(work / "config"),  # no user config: the defaults
        "COLUMNS": "120",
    }
    for key in ("COMPLAINTCTL_DB", "COMPLAINTCTL_CONFIG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    if limit_mb:
        env["BENCH_LIMIT_AS"] = str(limit_mb * 1024 * 1024)
    return env


def _postgres_schema(url: str, name: str) -> str:
    """A fresh schema `name` in the PostgreSQL database `url`; the URL that works in it."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    finally:
        engine.dispose()
    u = sa.engine.make_url(url).update_query_dict({"options": f"-csearch_path={name}"})
    return u.render_as_string(hide_password=False)


def shapes_main(args) -> None:
    """Median wall time and peak memory of every reading command on each shape."""
    import shapes

    global RUNS
    RUNS = args.runs
    chosen = args.shapes or list(shapes.SHAPES)
    unknown = set(chosen) - set(shapes.SHAPES)
    if unknown:
        raise SystemExit(f"unknown shape(s) {', '.join(sorted(unknown))}; known: {shapes.SHAPES}")
    n = args.shape_cases
    exe = args.exe or _installed_exe()
    work = Path(tempfile.mkdtemp(prefix="complaintctl-shapes-"))
    env = _bench_env(work, args.limit_as)
    today = dt.date.today()
    results: dict[str, dict] = {}  # "backend/shape/command" -> measure() or {"failed": ...}
    builds: dict[str, float] = {}
    print(f"machine: {machine()}", file=sys.stderr)
    try:
        compile_package(env)
        for shape in chosen:
            # Registers hang on today's date (open cases, the report's month): cached per day.
            path = args.cache / f"shape-{shape}-{n}-{today:%Y%m%d}.db"
            if args.rebuild or not path.exists():
                print(f"building {shape} ({n:,} cases) ...", file=sys.stderr, flush=True)
                builds[shape] = shapes.build(shape, n, path, workers=args.workers)
            targets = [("sqlite", str(path))]
            if args.postgres:
                url = _postgres_schema(args.postgres, f"bench_shape_{shape}")
                t0 = time.perf_counter()
                shapes.to_postgres(path, url, env)
                builds[f"{shape} → PostgreSQL (db copy)"] = time.perf_counter() - t0
                targets.append(("postgresql", url))
            case = shapes.newest_case(path)
            for backend, db in targets:
                for name, cmd, codes in shapes.reading_commands(shape, case, work):
                    print(f"  {backend} {shape}: {name}", file=sys.stderr, flush=True)
                    argv = [exe, "--db", db, *cmd]
                    key = f"{backend}/{shape}/{name}"
                    try:
                        run_once(argv, env, ok=codes)  # warm-up: page cache, byte-code
                        results[key] = measure(argv, env, args.runs, ok=codes)
                    except SystemExit as exc:  # a failed run: its exit status and error
                        lines = str(exc).splitlines()
                        error = next((x for x in lines if x.startswith("error:")), "")
                        status = lines[0].rsplit(" exited ", 1)[-1].rstrip(":")
                        results[key] = {"failed": f"exit {status} {error}".strip()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_shapes_table(results, chosen, n, args.runs, builds, args.limit_as)
    print(f"\nmachine: {machine()}")
    print(f"code: {code_version()}")
    if args.json:
        saved = {"results": results, "shapes": chosen, "cases": n, "runs": args.runs}
        args.json.write_text(json.dumps(saved, indent=1, default=str))


def print_shapes_table(
    results: dict, chosen: list[str], n: int, runs: int, builds: dict, limit_mb: int
) -> None:
    import shapes

    cap = f", address space capped at {limit_mb} MB" if limit_mb else ""
    print(
        f"\n{n:,} cases per register; median of {runs} runs: wall time / peak RSS "
        f"(ru_maxrss of the command){cap}\n"
    )
    backends = sorted({k.split("/")[0] for k in results}, key=["sqlite", "postgresql"].index)
    names = [name for name, _c, _o in shapes.reading_commands("normal", "-", Path("."))]
    for backend in backends:
        head = ["command", *(f"{s}: {shapes.DESCRIPTIONS[s]}" for s in chosen)]
        print(f"**{backend}**\n")
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for name in names:
            cells = []
            for shape in chosen:
                r = results.get(f"{backend}/{shape}/{name}")
                if r is None:
                    cells.append("—")
                elif "failed" in r:
                    cells.append(f"**failed**: {r['failed'][:80]}")
                else:
                    cells.append(f"{r['ms'] / 1000:.2f} s / {r['mb']:.0f} MB")
            print("| " + " | ".join([f"`{name}`", *cells]) + " |")
        print()
    if builds:
        print("built: " + ", ".join(f"{k} {v:.1f} s" for k, v in builds.items()))


def _fmt(r: dict | None) -> str:
    if not r:
        return "—"
    text = f"{r['ms']:.0f} ms ({r['cpu']:.0f} cpu) / {r['mb']:.0f} MB"
    if "all_ms" in r and len(r["all_ms"]) < RUNS:
        text += f" ({len(r['all_ms'])} run{'s' if len(r['all_ms']) > 1 else ''})"
    return text


def print_table(results: dict, sizes: list[int], builds: dict, runs: int, month: str) -> None:
    base = results["sqlmodel"]["ms"]
    big = max(sizes)
    labels = {
        "help": "`complaintctl --help`",
        "complete": "completion (`complaintctl li<TAB>`)",
        "python": '`python -c "pass"` (interpreter + site, for reference)',
        "sqlmodel": '`python -c "import sqlmodel"` (baseline)',
        "fixed": "fixed cost: `show` of a missing case",
        "log": "`log` one case",
        "show": "`show` one case",
        "list": f"`list --owner {LIST_OWNER}` first page",
        "warn": "`warn --exit-zero --even-on-holidays`",
        "report": f"`report --month {month}`",
    }
    print(
        f"\nmedian of {runs} runs: wall ms (CPU ms: user + sys of the command, which "
        "the machine's load disturbs less) / peak RSS MB\n"
    )
    head = ["command", *[f"{n:,} cases" for n in sizes], "target", f"met at {big:,}?"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))

    def line(name, cells, target, met):
        print("| " + " | ".join([labels.get(name, name), *cells, target, met]) + " |")

    for name in ("help", "complete", "python", "sqlmodel"):
        r = results[name]
        target = TARGETS.get(name)
        cells = [_fmt(r)] + [""] * (len(sizes) - 1)
        met = "" if target is None else ("met" if r["ms"] <= target else "**missed**")
        line(name, cells, f"≤ {target} ms" if target else "—", met)
    limit = 1.3 * base
    fixed = [results[f"fixed/{n}"] for n in sizes]
    base_cpu = results["sqlmodel"].get("cpu") or 1
    line(
        "fixed",
        [
            f"{_fmt(r)} ({r['ms'] / base:.2f}× wall, {r.get('cpu', 0) / base_cpu:.2f}× cpu)"
            for r in fixed
        ],
        f"≤ 1.3 × baseline = {limit:.0f} ms",
        "met" if results[f"fixed/{big}"]["ms"] <= limit else "**missed**",
    )
    for name in ("log", "show", "list", "warn", "report"):
        r = results[f"{name}/{big}"]
        target = TARGETS[name]
        line(
            name,
            [_fmt(results.get(f"{name}/{n}")) for n in sizes],
            f"≤ {target} ms at 1M",
            "met" if r["ms"] <= target else "**missed**",
        )
    if "import" in results:
        r = results["import"]
        ok = r["ms"] <= 30_000 and r["mb"] <= 250
        print(
            f"| import {r['rows']:,} rows into an empty register | {r['ms'] / 1000:.1f} s "
            f"({r['cpu'] / 1000:.1f} cpu) / {r['mb']:.0f} MB |"
            + " |"
            * (len(sizes) - 1)
            + " ≤ 30 s, ≤ 250 MB | "
            f"{'met' if ok else '**missed**'} |"
        )
    if 100_000 in sizes and 1_000_000 in sizes:
        print("\ngrowth 100k → 1M (point commands may grow ≤ 1.5×; report with the period):\n")
        print("| command | 100k ms | 1M ms | wall ratio | CPU ratio | ≤ 1.5×? |")
        print("|---|---|---|---|---|---|")
        for name in (*POINT, "report", "fixed"):
            a, b = results[f"{name}/100000"], results[f"{name}/1000000"]
            ratio = b["ms"] / a["ms"]
            cpu_ratio = b["cpu"] / a["cpu"]
            verdict = ("met" if ratio <= 1.5 else "**missed**") if name in POINT else "—"
            print(
                f"| {name} | {a['ms']:.0f} | {b['ms']:.0f} | {ratio:.2f}× | "
                f"{cpu_ratio:.2f}× | {verdict} |"
            )
    print("\nregisters:\n")
    print("| cases | events | open | DB bytes | bytes per case | build |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        s = results[f"size/{n}"]
        b = builds.get(n)
        built = "—" if b is None else (f"{b:.0f} s" if b >= 0 else f"{-b:.0f} s (cached)")
        print(
            f"| {s['cases']:,} | {s['events']:,} ({s['events'] / s['cases']:.1f}/case) | "
            f"{s['open']:,} | {s['bytes']:,} | {s['bytes'] / s['cases']:,.0f} | {built} |"
        )
    print("\nall runs (ms):")
    for key, r in results.items():
        if "all_ms" in r:
            print(f"  {key}: {r['all_ms']}")
    sizes_note = ", ".join(f"{n:,}" for n in sizes)
    print(f"\n(sizes measured: {sizes_note}; targets are for 1,000,000 cases)")


if __name__ == "__main__":
    main()
