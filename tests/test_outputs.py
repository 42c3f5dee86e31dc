"""Every file complaintctl writes (export, db backup, import rejects, fetch, config init, the
HTML report) goes through complaintctl/outputs.py: only a regular file is written or
replaced, no symbolic link is followed, a new or replaced file is 0600, an existing file
is replaced only with --force where the command has it, and a failed write leaves the old
file as it was and no temporary file.  A refusal or an error of the system is one line,
exit 1 (never 70).

All through the command line, on real files in tmp_path.  These tests run as root here,
which passes every permission check; what root cannot pass is used instead: a device or a
pipe at the name, a symbolic link, a file-size limit (RLIMIT_FSIZE, in a child process:
the write fails with EFBIG part way through) and, where mounting is allowed, a full 64 KiB
tmpfs (ENOSPC).  Files do not depend on the database: SQLite only.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only

REFUSED = 1
CSV = (
    "external_ref,received_at,channel,customer_name,contact,summary\n"
    "R-1,2025-10-09 10:00,phone,王芳,13900000001,好\n"
    "R-2,2025-10-09 11:00,pigeon,李四,13900000002,坏\n"
)


def one_line(result) -> str:
    """The refusal: exit 1, one line on stderr, no traceback."""
    assert result.exit_code == REFUSED, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.rstrip("\n")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def names(folder: Path) -> list[str]:
    """What is in `folder` but the register (a temporary file would show here)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("register.db"))


@pytest.fixture
def case(cli, tmp_path) -> str:
    """One case with one attachment, `evidence.txt`."""
    number = cli.ok(
        "log", "--channel", "phone", "--customer", "张三", "--contact", "13800138000",
        "--summary", "发票开错", "-q",
    ).strip()  # fmt: skip
    evidence = tmp_path / "evidence.txt"
    evidence.write_text("收据", encoding="utf-8")
    cli.ok("attach", number, str(evidence))
    evidence.unlink()
    return number


def rejects_run(cli, tmp_path, rejects: Path, *more: str):
    source = tmp_path / "in.csv"
    source.write_text(CSV, encoding="utf-8")
    return cli("import", str(source), "--skip-invalid", str(rejects), "--again", *more)


# Each command that writes a file, as (argv with {target} for the file, option named).
def _export(target):
    return ["export", str(target)], "FILE"


def _backup(target):
    return ["db", "backup", str(target), "--force"], "FILE"


def _config(target):
    return ["config", "init", "--path", str(target), "--force"], "--path"


WRITERS = {"export": _export, "db backup --force": _backup, "config init --force": _config}


# -- what is at the name ----------------------------------------------------------------
@pytest.mark.parametrize("writer", WRITERS)
def test_a_named_pipe_at_the_name_is_refused_and_stays_a_pipe(cli, case, tmp_path, writer):
    pipe = tmp_path / "p"
    os.mkfifo(pipe, 0o666)
    argv, option = WRITERS[writer](pipe)
    line = one_line(cli(*argv))
    assert line.startswith(f"error: {option}: {pipe} is a named pipe (FIFO), not a regular file")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert names(tmp_path) == ["p"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node (mknod) needs root")
@pytest.mark.parametrize("writer", WRITERS)
def test_a_device_at_the_name_is_refused_and_never_replaced(cli, case, tmp_path, writer):
    null = tmp_path / "null"  # the same device as /dev/null, in the test's folder
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    before = os.lstat(null)
    argv, option = WRITERS[writer](null)
    line = one_line(cli(*argv))
    assert line.startswith(f"error: {option}: {null} is a character device, not a regular file")
    after = os.lstat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert names(tmp_path) == ["null"]


def test_export_points_to_standard_output_when_refusing_a_device_or_pipe(cli, case, tmp_path):
    pipe = tmp_path / "p"
    os.mkfifo(pipe)
    assert one_line(cli("export", str(pipe))).endswith("; use - for standard output")
    assert case in cli.ok("export", "-")  # `-` is how a pipe is written


def test_export_to_dev_stdout_on_a_pipe_says_to_use_a_dash(cli, case):
    done = subprocess.run(
        [sys.executable, "-m", "complaintctl", "export", "/dev/stdout"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == REFUSED
    assert done.stderr == (
        "error: FILE: /dev/stdout is a named pipe (FIFO), not a regular file; "
        "use - for standard output\n"
    )


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_or_a_socket_at_the_name_is_refused(cli, case, tmp_path, writer):
    folder = tmp_path / "d"
    folder.mkdir()
    argv, option = WRITERS[writer](folder)
    assert one_line(cli(*argv)) == (f"error: {option}: {folder} is a directory, not a regular file")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s"))
        argv, option = WRITERS[writer](tmp_path / "s")
        line = one_line(cli(*argv))
        assert line == f"error: {option}: {tmp_path / 's'} is a socket, not a regular file"
        assert stat.S_ISSOCK(os.lstat(tmp_path / "s").st_mode)
    finally:
        sock.close()
    assert names(tmp_path) == ["d", "s"]


def test_the_attacks_exit_70s_are_one_line_refusals(cli, case, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("mine")
    assert one_line(cli("fetch", case, "--to", str(plain))) == (
        f"error: --to: {plain} is not a directory"
    )
    assert one_line(cli("export", str(tmp_path))).endswith("is a directory, not a regular file")
    line = one_line(cli("export", "/proc/version"))
    assert line.startswith("error: FILE: /proc/version: ")
    assert line.endswith(" (nothing was written)")
    assert one_line(cli("export", str(tmp_path / "missing" / "x.csv"))) == (
        f"error: FILE: directory {tmp_path / 'missing'} does not exist"
    )
    assert plain.read_text() == "mine"


# -- symbolic links ------------------------------------------------------------------------
@pytest.mark.parametrize("writer", WRITERS)
def test_a_symbolic_link_at_the_name_is_not_followed(cli, case, tmp_path, writer):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    victim.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(victim)
    argv, option = WRITERS[writer](link)
    assert one_line(cli(*argv)) == (
        f"error: {option}: {link} is a symbolic link, which is not followed; "
        "give the file's own path"
    )
    assert link.is_symlink() and victim.read_text() == "precious" and mode(victim) == 0o644


def test_import_rejects_are_not_written_through_a_symbolic_link(cli, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "rejects.csv"
    link.symlink_to(victim)
    line = one_line(rejects_run(cli, tmp_path, link, "--force"))
    assert line.startswith(f"error: --skip-invalid: {link} is a symbolic link")
    assert victim.read_text() == "precious"
    assert cli.ok("list", "--format", "csv").count("R-") == 0  # refused before importing


def test_fetch_force_never_follows_a_link_inside_to_out_of_it(cli, case, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    to = tmp_path / "to"
    to.mkdir()
    (to / "evidence.txt").symlink_to(outside)
    line = one_line(cli("fetch", case, "--to", str(to), "--force"))
    assert line.startswith(f"error: --to: {to / 'evidence.txt'} is a symbolic link")
    assert outside.read_text() == "not yours"
    assert names(to) == ["evidence.txt"] and (to / "evidence.txt").is_symlink()


# -- existing files and --force --------------------------------------------------------------
def test_an_existing_file_is_replaced_only_with_force(cli, case, tmp_path):
    backup, rejects = tmp_path / "b.db", tmp_path / "rejects.csv"
    to, config = tmp_path / "to", tmp_path / "c.toml"
    to.mkdir()
    for path in (backup, rejects, to / "evidence.txt", config):
        path.write_text("old")
    runs = {
        backup: (("db", "backup", str(backup)), "FILE"),
        to / "evidence.txt": (("fetch", case, "--to", str(to)), "--to"),
        config: (("config", "init", "--path", str(config)), "--path"),
    }
    for path, (argv, option) in runs.items():
        assert one_line(cli(*argv)) == f"error: {option}: {path} exists; use --force to replace it"
        assert path.read_text() == "old"
    assert one_line(rejects_run(cli, tmp_path, rejects)) == (
        f"error: --skip-invalid: {rejects} exists; use --force to replace it"
    )
    assert rejects.read_text() == "old"
    for argv, _ in runs.values():
        cli.ok(*argv, "--force")
    assert rejects_run(cli, tmp_path, rejects, "--force").exit_code == 3  # a row rejected
    assert (to / "evidence.txt").read_text(encoding="utf-8") == "收据"
    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert "李四" in rejects.read_text(encoding="utf-8")
    assert config.read_text(encoding="utf-8").startswith("#")


def test_new_and_replaced_files_are_owner_only(cli, case, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)  # (restores nothing: documents the intent)
    old = os.umask(0o022)  # the usual umask: without care a new file would be 0644
    try:
        to = tmp_path / "to"
        written = {
            tmp_path / "e.csv": ("export", str(tmp_path / "e.csv")),
            tmp_path / "b.db": ("db", "backup", str(tmp_path / "b.db"), "--force"),
            to / "evidence.txt": ("fetch", case, "--to", str(to), "--force"),
            tmp_path / "c.toml": ("config", "init", "--path", str(tmp_path / "c.toml"), "--force"),
        }
        for path, argv in written.items():
            cli.ok(*argv)
            assert mode(path) == 0o600, path
            path.chmod(0o644)  # shared by someone meanwhile: the next write narrows it again
            cli.ok(*argv)
            assert mode(path) == 0o600, path
        rejects = tmp_path / "rejects.csv"
        assert rejects_run(cli, tmp_path, rejects).exit_code == 3
        assert mode(rejects) == 0o600
        rejects.chmod(0o666)
        assert rejects_run(cli, tmp_path, rejects, "--force").exit_code == 3
        assert mode(rejects) == 0o600
    finally:
        os.umask(old)
    assert not [n for n in names(tmp_path) + names(to) if n.startswith(".")]  # no temp left


# -- a write that fails part way --------------------------------------------------------------
LIMITED = """
import resource, sys
from complaintctl.cli import main
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
sys.argv = ["complaintctl", *sys.argv[2:]]
main()
"""


def _limited(limit: int, *argv: str) -> subprocess.CompletedProcess:
    """complaintctl in a child process that may write no file past `limit` bytes (the
    register is only read, and the export is bigger than the limit)."""
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *argv],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_an_export_that_fails_part_way_leaves_the_old_file_and_no_temporary(cli, case, tmp_path):
    for i in range(40):
        cli.ok("note", case, f"第{i}条记录 " + "很长的说明" * 20)
    target = tmp_path / "e.csv"
    target.write_text("the old export\n")
    target.chmod(0o600)
    done = _limited(4096, "export", str(target), "--events")
    assert done.returncode == REFUSED, done.stderr
    assert done.stderr == f"error: FILE: {target}: File too large (nothing was written)\n"
    assert target.read_text() == "the old export\n"
    assert names(tmp_path) == ["e.csv"]


def _tmpfs(where: Path, options: str) -> None:
    """Mount a small tmpfs at `where` (needs root, and a system that allows it: skipped
    otherwise)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here; the file-size limit test covers it")


@pytest.fixture
def read_only(tmp_path):
    """A read-only file system (which root cannot write either)."""
    where = tmp_path / "ro"
    _tmpfs(where, "ro,size=64k")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_read_only_file_system_is_one_line_for_every_writer(cli, case, tmp_path, read_only):
    source = tmp_path / "in.csv"
    source.write_text(CSV, encoding="utf-8")
    runs = {
        "FILE": [("export", "x.csv"), ("db", "backup", "b.db")],
        "--path": [("config", "init", "--path", "c.toml")],
        "--skip-invalid": [("import", str(source), "--skip-invalid", "r.csv")],
        "--to": [("fetch", case, "--to", ".")],
    }
    for option, commands in runs.items():
        for argv in commands:
            name = argv[-1] if argv[-1] != "." else "evidence.txt"
            argv = [str(read_only / a) if a == argv[-1] else a for a in argv]
            line = one_line(cli(*argv))
            path = read_only / name
            assert line == f"error: {option}: {path}: Read-only file system (nothing was written)"
    assert names(read_only) == []
    assert "R-1" not in cli.ok("list", "--format", "csv")  # the import was refused first


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a folder without permission")
def test_a_folder_without_write_permission_is_one_line(cli, case, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    line = one_line(cli("export", str(locked / "x.csv")))
    assert line == f"error: FILE: {locked / 'x.csv'}: Permission denied (nothing was written)"
    assert names(locked) == []


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs, all but 1 KiB of it taken."""
    where = tmp_path / "small"
    _tmpfs(where, "size=64k")
    try:
        with open(where / "filler", "wb", buffering=0) as filler:  # all but 1 KiB taken
            try:
                while filler.write(b"x" * 1024):
                    pass
            except OSError:
                pass
            filler.truncate(max(0, filler.tell() - 1024))
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_an_export_on_a_full_disk_is_one_line_and_leaves_nothing(cli, case, full_disk):
    for i in range(10):
        cli.ok("note", case, f"第{i}条记录 " + "很长的说明" * 40)
    target = full_disk / "e.csv"
    line = one_line(cli("export", str(target), "--events"))
    assert line == f"error: FILE: {target}: No space left on device (nothing was written)"
    assert names(full_disk) == ["filler"]
    backup = one_line(cli("db", "backup", str(full_disk / "b.db")))
    assert backup == (
        f"error: FILE: {full_disk / 'b.db'}: database or disk is full (nothing was written)"
    )
    assert names(full_disk) == ["filler"]


# -- the terminal and the user -----------------------------------------------------------------
def test_list_and_show_write_to_an_ascii_only_output_escaped(cli, case, isolated):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for argv in (["list"], ["show", case]):
        done = subprocess.run(
            [sys.executable, "-m", "complaintctl", *argv],
            capture_output=True, env=env, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert b"\\u5f20\\u4e09" in done.stdout  # 张三, escaped
        assert done.stdout.isascii()


def test_a_user_id_without_a_name_acts_as_uid_n(cli, case, monkeypatch):
    import pwd

    def unknown(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    for name in ("COMPLAINTCTL_USER", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    cli.ok("note", case, "noted by a user without a name")
    history = cli.ok("show", case, "--format", "json")
    assert f'"actor": "uid {os.getuid()}"' in history


def test_rejects_on_a_full_disk_say_the_import_itself_was_committed(cli, tmp_path, full_disk):
    bad = "".join(
        f"B-{i},2025-10-09 11:00,pigeon,李四,13900000002,{'坏' * 200}\n" for i in range(30)
    )
    source = tmp_path / "in.csv"
    source.write_text(CSV + bad, encoding="utf-8")
    rejects = full_disk / "r.csv"
    result = cli("import", str(source), "--skip-invalid", str(rejects))
    assert result.exit_code == 3  # imported, rows rejected (listed on stderr)
    assert result.stderr.splitlines()[-1] == (
        f"error: --skip-invalid: {rejects}: No space left on device (nothing was written); "
        "the import itself was committed"
    )
    assert result.stdout.startswith("read 32, imported 1,")
    assert names(full_disk) == ["filler"]
