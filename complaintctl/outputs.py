"""Every file complaintctl writes goes through `write_files` (`write_file` for one file):
exports, backups, the HTML report, import rejects, fetched attachments, the config file.

What lies at a target is checked before anything is written and again before the file is
put in place:
- only a regular file is written or replaced: a directory, a device (/dev/null), a named
  pipe or a socket is refused (the export's `-` is how standard output is written);
- no symbolic link is followed at the last component, and, with `within`, the file stays
  directly inside that folder;
- a new file is created 0600 (owner only: these files hold customers' names and
  contacts), and a file it replaces does not keep a wider mode;
- an existing file is replaced only when the caller allows it (`--force` where the
  command has it);
- the content goes to a temporary file beside the target, is synced, and renamed into
  place: the target is either the old file or the whole new one, never a half.
An error of the operating system (a full disk, no permission, a read-only file system)
is one line naming the file and the reason, and leaves no temporary file behind.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from complaintctl.errors import InvalidValue
from complaintctl.messages import N_, _

_KINDS = {
    stat.S_IFDIR: N_("a directory"),
    stat.S_IFCHR: N_("a character device"),
    stat.S_IFBLK: N_("a block device"),
    stat.S_IFIFO: N_("a named pipe (FIFO)"),
    stat.S_IFSOCK: N_("a socket"),
}


class OutputError(InvalidValue):
    """A file cannot be written where it was asked for (the message names the option or
    argument, the file, and what is in the way)."""


def _refuse(option: str, message: str, **values: object) -> OutputError:
    return OutputError(option, message, **values)


def _os_error(option: str, path: Path, exc: OSError, written: bool = False) -> OutputError:
    reason = exc.strerror or str(exc)
    if written:
        return _refuse(
            option, N_("{path}: {reason} (the files before it were written)"), path=path,
            reason=reason,
        )  # fmt: skip
    return _refuse(option, N_("{path}: {reason} (nothing was written)"), path=path, reason=reason)


def check(
    target: Path | str,
    option: str,
    *,
    replace: bool = True,
    within: Path | None = None,
    dash: bool = False,
) -> Path:
    """Refuse a target that must not be written (see the module's rules), before any work:
    the target as a Path.  `replace`: whether an existing regular file may be replaced
    (False: refused with a hint at --force); `within`: the folder it must stay in; `dash`:
    the command writes standard output for `-` (said when a device or pipe is refused)."""
    target = Path(target)
    if not target.name or target.name in (".", ".."):
        raise _refuse(option, N_("{path} is not a file name"), path=target)
    parent = target.parent
    try:
        if not stat.S_ISDIR(os.stat(parent).st_mode):
            raise _refuse(option, N_("{path} is not a directory"), path=parent)
    except FileNotFoundError:
        raise _refuse(option, N_("directory {path} does not exist"), path=parent) from None
    except NotADirectoryError:
        raise _refuse(option, N_("{path} is not a directory"), path=parent) from None
    except OSError as exc:
        raise _os_error(option, target, exc) from None
    if not os.access(parent, os.W_OK | os.X_OK):  # said now, before any work is done
        raise _refuse(
            option, N_("{path}: {reason} (nothing was written)"), path=target,
            reason=os.strerror(errno.EROFS if _read_only(parent) else errno.EACCES),
        )  # fmt: skip
    if within is not None and os.path.realpath(parent) != os.path.realpath(within):
        raise _refuse(option, N_("{path} is outside {folder}"), path=target, folder=within)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise _os_error(option, target, exc) from None
    if stat.S_ISLNK(mode) and dash:  # /dev/stdout, /dev/fd/1: a link to a pipe or device
        try:
            pointed = os.stat(target).st_mode
        except OSError:
            pointed = 0
        if stat.S_ISCHR(pointed) or stat.S_ISFIFO(pointed):
            mode = pointed
    if stat.S_ISLNK(mode):
        raise _refuse(
            option,
            N_("{path} is a symbolic link, which is not followed; give the file's own path"),
            path=target,
        )
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode))
        if kind is None:  # a door, a whiteout…: nothing a file may replace either
            raise _refuse(option, N_("{path} is not a regular file"), path=target)
        what = _(kind)
        if dash and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            message = N_("{path} is {what}, not a regular file; use - for standard output")
        else:
            message = N_("{path} is {what}, not a regular file")
        raise _refuse(option, message, path=target, what=what)
    if not replace:
        raise _refuse(option, N_("{path} exists; use --force to replace it"), path=target)
    return target


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 0))
    except (OSError, AttributeError):
        return False


def make_folder(folder: Path | str, option: str) -> Path:
    """`folder` as a directory, made (owner only, with its parents) if it does not exist;
    anything else there is refused in one line."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise _refuse(option, N_("{path} is not a directory"), path=folder) from None
    except OSError as exc:
        raise _os_error(option, folder, exc) from None
    return folder


def write_file(
    target: Path | str,
    fill: Callable[[Any], Any],
    option: str,
    **how: Any,
) -> Any:
    """Write one file by `fill(out)` (see `write_files`); what `fill` returns."""
    return write_files([(target, fill)], option, **how)[0]


def write_files(
    items: Iterable[tuple[Path | str, Callable[[Any], Any]]],
    option: str,
    *,
    replace: bool = True,
    within: Path | None = None,
    dash: bool = False,
    binary: bool = False,
    encoding: str = "utf-8",
    newline: str | None = "",
) -> list[Any]:
    """Write each target by calling its `fill(out)` on an open temporary file beside it
    (text in `encoding` with `newline`, or bytes with `binary`; `out.name` is its path, for
    writers that need one, like SQLite's backup), then put them all in place.  Every target
    is checked (`check`) before the first is written; none is put in place until all are
    written.  What each `fill` returned, in order."""
    items = [(check(t, option, replace=replace, within=within, dash=dash), f) for t, f in items]
    temps: list[str] = []
    results: list[Any] = []
    placed = 0
    try:
        for target, fill in items:
            try:
                tmp, fd = _temporary(target)
            except OSError as exc:
                raise _os_error(option, target, exc) from None
            temps.append(tmp)
            results.append(_fill(option, target, tmp, fd, fill, binary, encoding, newline))
        for (target, _writer), tmp in zip(items, temps, strict=True):
            check(target, option, replace=replace, within=within, dash=dash)
            try:
                _place(tmp, target, replace)
            except FileExistsError:
                raise _refuse(
                    option, N_("{path} exists; use --force to replace it"), path=target
                ) from None
            except OSError as exc:
                raise _os_error(option, target, exc, written=placed > 0) from None
            placed += 1
    finally:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            except OSError:  # a folder gone read-only meanwhile: nothing more to do
                pass
    return results


def _temporary(target: Path) -> tuple[str, int]:
    """A new file beside `target`, owner only, opened for writing: (its path, its fd)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(100):
        # A short prefix: the temporary name must fit wherever the target's name fits.
        tmp = str(target.parent / f".{target.name[:60]}.{os.urandom(4).hex()}.part")
        try:
            return tmp, os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def _fill(option, target, tmp, fd, fill, binary, encoding, newline) -> Any:
    """Run `fill` on the temporary file and make its content durable."""
    try:
        if binary:
            out = open(tmp, "wb", opener=lambda _path, _flags: fd)  # noqa: SIM115
        else:
            out = open(  # noqa: SIM115
                tmp, "w", encoding=encoding, newline=newline, opener=lambda _path, _flags: fd
            )
    except BaseException:
        os.close(fd)
        raise
    try:
        with out:
            result = fill(out)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise _os_error(option, target, exc) from None
    return result


def _place(tmp: str, target: Path, replace: bool) -> None:
    """Rename the written file to `target`; when it may not replace one, a hard link
    (which fails if `target` appeared meanwhile) then the temporary name removed."""
    if replace:
        os.replace(tmp, target)
    else:
        try:
            os.link(tmp, target, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if os.path.lexists(target):
                raise FileExistsError(target) from None
            os.replace(tmp, target)
        else:
            os.unlink(tmp)
    try:  # the rename itself durable (best effort: not every system syncs a folder)
        dfd = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
