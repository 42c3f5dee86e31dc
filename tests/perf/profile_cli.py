"""Where one complaintctl command spends its time: runs the CLI in this process and prints
the SQL it sent (with each statement's time and SQLite's EXPLAIN QUERY PLAN) and the top
functions by cumulative time.

    python tests/perf/profile_cli.py [--top 25] [--no-sql] -- --db REGISTER.db list --owner 李娜

A helper of tests/perf/bench.py (not part of the test run).  Run it against a copy of a
register for commands that write (log): the command really runs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sqlite3
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--top", type=int, default=25, help="Functions to list (0: none).")
    ap.add_argument("--no-sql", action="store_true", help="Do not list the SQL.")
    ap.add_argument("--sort", default="cumulative", help="pstats sort key.")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="complaintctl's arguments")
    opts = ap.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args

    t0 = time.perf_counter()
    import sqlalchemy as sa
    from sqlalchemy import event

    statements: list[dict] = []

    @event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        conn.info.setdefault("t", []).append(time.perf_counter())

    @event.listens_for(sa.engine.Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        took = time.perf_counter() - conn.info["t"].pop()
        statements.append(
            {
                "sql": statement,
                "params": parameters,
                "ms": took * 1000,
                "db": conn.engine.url.database,
                "many": executemany,
            }
        )

    import typer

    from complaintctl.cli import app

    command = typer.main.get_command(app)
    imported = time.perf_counter() - t0
    out, err = io.StringIO(), io.StringIO()
    profile = cProfile.Profile()
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    t1 = time.perf_counter()
    code = None
    try:
        profile.enable()
        try:
            code = command.main(args=args, prog_name="complaintctl", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        finally:
            profile.disable()
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    ran = time.perf_counter() - t1
    print(
        f"exit {code}; imports before the command {imported * 1000:.0f} ms; "
        f"command {ran * 1000:.0f} ms"
    )
    text = out.getvalue()
    print(f"stdout: {len(text)} chars; first lines:")
    for line in text.splitlines()[:8]:
        print("  " + line[:150])
    if err.getvalue():
        print("stderr: " + err.getvalue().strip()[:500])
    if not opts.no_sql:
        total = sum(s["ms"] for s in statements)
        print(f"\n{len(statements)} SQL statements, {total:.0f} ms in the driver:")
        for s in statements:
            sql = " ".join(s["sql"].split())
            print(f"\n[{s['ms']:8.1f} ms] {sql[:600]}")
            if s["params"] and not s["many"]:
                print(f"    params: {str(s['params'])[:200]}")
            if sql.upper().startswith(("SELECT", "WITH")) and s["db"] and not s["many"]:
                try:
                    con = sqlite3.connect(f"file:{s['db']}?mode=ro", uri=True)
                    for row in con.execute("EXPLAIN QUERY PLAN " + s["sql"], s["params"] or ()):
                        print(f"    plan: {row[3]}")
                    con.close()
                except sqlite3.Error as exc:
                    print(f"    plan: (not available: {exc})")
    if opts.top:
        buf = io.StringIO()
        pstats.Stats(profile, stream=buf).sort_stats(opts.sort).print_stats(opts.top)
        print("\n" + buf.getvalue())


if __name__ == "__main__":
    main()
