"""Busy and broken storage, and files that hold personal data: a clear one-line refusal,
the register intact, and nothing readable by other users."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from complaintctl import services
from complaintctl.errors import DatabaseError

LOG = ("log", "--channel", "phone", "--customer", "张三", "--contact", "13800000000",
       "--summary", "漏水", "-q")  # fmt: skip


def _rows(db_url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("cases", "events", "attachments", "counters")
            }
    finally:
        engine.dispose()


# A second process that takes the write lock (SQLite) or locks every case row (PostgreSQL)
# and holds it until killed, after saying "held".
HOLDER = textwrap.dedent(
    """
    import sys, time
    import sqlalchemy as sa
    engine = sa.create_engine(sys.argv[1])
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("SELECT id FROM cases FOR UPDATE").all()
            conn.exec_driver_sql("LOCK TABLE counters IN EXCLUSIVE MODE")
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["ack", "log"])
def test_a_lock_held_past_the_busy_timeout_is_a_clear_error_not_a_hang(
    cli, db_url, monkeypatch, command
):
    number = cli.ok(*LOG).strip()
    before = _rows(db_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("COMPLAINTCTL_BUSY_TIMEOUT", "1")
        args = ("ack", number) if command == "ack" else LOG
        started = time.monotonic()
        result = cli(*args)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert result.stderr == (
        "error: database is busy: another process held it for more than 1 s; "
        "nothing was written, try again\n"
    )
    assert 0.9 <= waited < 10
    assert _rows(db_url) == before
    # Once the other process lets go, the same command goes through.
    cli.ok(*args)


def test_a_busy_timeout_that_is_not_a_number_is_refused(cli, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_BUSY_TIMEOUT", "soon")
    result = cli("list")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: COMPLAINTCTL_BUSY_TIMEOUT: 'soon' is not a number of seconds (0-3600]\n"
    )


def test_the_database_file_is_created_readable_by_its_owner_only(cli, db_path):
    old = os.umask(0o022)
    try:
        cli.ok(*LOG)
    finally:
        os.umask(old)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    for extra in db_path.parent.glob(db_path.name + "-*"):  # -wal, -shm while open
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra


def test_a_full_disk_is_a_clear_error_and_leaves_the_register_intact(register, db_path, tmp_path):
    """The disk fills up in the middle of a write (SQLite's max_page_count stands in for a
    small file system): the command is refused in one line and nothing of it is kept."""
    now = dt.datetime(2025, 10, 13, 2, 0)
    number = services.log_complaint(
        register, now=now, actor="t", channel="phone", customer_name="c", contact="c@x.cn",
        summary="s",
    ).case.number  # fmt: skip
    before = _rows(f"sqlite:///{db_path}")

    # The register's connection gets a small disk.
    pages = register.store.scalar("PRAGMA page_count")
    register.store.execute(f"PRAGMA max_page_count = {pages + 4}")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(200_000))
    with pytest.raises(DatabaseError) as caught:
        services.attach(register, number, paths=[photo], now=now, actor="t")
    assert str(caught.value) == (
        f"no space left for database sqlite:///{db_path}; nothing was written"
    )
    assert _rows(f"sqlite:///{db_path}") == before


def test_a_database_opened_read_only_refuses_writes_in_one_line(cli, db_path, monkeypatch):
    number = cli.ok(*LOG).strip()
    before = _rows(f"sqlite:///{db_path}")
    monkeypatch.setenv("COMPLAINTCTL_DB", f"sqlite:///file:{db_path}?mode=ro&uri=true")
    assert number in cli.ok("list")  # reading works
    result = cli("ack", number)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database sqlite:///file")
    assert result.stderr.endswith(" is read-only for you; nothing was written\n")
    assert _rows(f"sqlite:///{db_path}") == before
    assert not (Path.cwd() / "file:").exists()  # the URI is not taken for a directory path


def test_a_database_directory_that_cannot_be_created_is_one_line(cli, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    monkeypatch.setenv("COMPLAINTCTL_DB", str(blocker / "sub" / "register.db"))
    result = cli("db", "init")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --db: cannot create {blocker / 'sub'}: ")
    assert result.stderr.count("\n") == 1


def test_a_config_holding_a_database_password_must_not_be_readable_by_others(
    cli, tmp_path, db_path
):
    config = tmp_path / "complaintctl.toml"
    config.write_text('database = "postgresql+psycopg://complaints:s3cret@db.example/c"\n')
    config.chmod(0o644)
    result = cli("--config", str(config), "list")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: database: {config} holds a database password and is readable by others "
        f"(mode 0644); run: chmod 600 {config} (or keep the password in ~/.pgpass)\n"
    )
    assert "s3cret" not in result.stdout + result.stderr
    # Without a password in it, the same file may be readable by everyone.
    config.write_text(f'database = "{db_path}"\n')
    cli.ok("--config", str(config), "list")
