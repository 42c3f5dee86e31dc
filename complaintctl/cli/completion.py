"""Shell completion, answered without parsing the command line the way a run does.

A run makes Typer check every parameter it has (and Typer 0.2x builds a Pydantic adapter for
each: about 100 ms before the first candidate).  Completion only needs to know where the
cursor is: which command, and whether an option's value, an option name, a command name or
an argument is wanted.  This module walks the words itself and answers from the command
tree, the settings (category, department and channel codes) and, for case numbers and
owners, one indexed query (SQLite through the standard library's sqlite3, opened
read-only; other databases through SQLAlchemy).  A failure anywhere (no register yet, a bad
config) offers nothing rather than printing an error into the user's shell.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

# How many case numbers / owners one <TAB> offers at most.
LIMIT = 100

_OPEN_STEPS = ("acknowledge", "classify", "assign", "investigate", "resolve", "feedback")


def complete(cli: Any, shell: str, complete_var: str) -> int | None:
    """Print the candidates for the words in the environment in `shell`'s format (as
    Typer's completion scripts expect them); None when Typer should answer instead."""
    try:
        from typer import _completion_classes as classes
    except ImportError:  # another Typer layout: its own (slower) completion answers
        return None
    base = {
        "bash": classes.BashComplete,
        "zsh": classes.ZshComplete,
        "fish": classes.FishComplete,
        "powershell": classes.PowerShellComplete,
        "pwsh": classes.PowerShellComplete,
    }.get(shell)
    if base is None:
        return None
    item = classes.CompletionItem

    class Complete(base):  # type: ignore[misc, valid-type]
        def get_completions(self, args: list[str], incomplete: str) -> list[Any]:
            return [item(value, help=help) for value, help in candidates(cli, args, incomplete)]

    out = Complete(cli, {}, "complaintctl", complete_var).complete()
    sys.stdout.write(out + "\n")
    return 0


def candidates(cli: Any, args: list[str], incomplete: str) -> list[tuple[str, str | None]]:
    """(value, help) pairs to offer after the words `args` for the word being typed."""
    command, expecting, positional, root = _walk(cli, args)
    if expecting is not None:
        return _values(expecting, incomplete, root)
    if incomplete.startswith("-"):
        return _options(command, incomplete)
    if hasattr(command, "commands"):
        return [
            (name, sub.get_short_help_str(limit=60))
            for name, sub in sorted(command.commands.items())
            if name.startswith(incomplete) and not getattr(sub, "hidden", False)
        ]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if positional < len(arguments):
        return _values(arguments[positional], incomplete, root)
    return []


def _walk(cli: Any, args: list[str]) -> tuple[Any, Any, int, dict[str, str]]:
    """(the command the words lead to, the option whose value is being typed or None, how
    many arguments of that command are given, the root options --db/--config given)."""
    command, expecting, positional = cli, None, 0
    root: dict[str, str] = {}
    only_arguments = False
    for word in args:
        if expecting is not None:
            if command is cli:
                root[expecting.name] = word
            expecting = None
            continue
        if word == "--":
            only_arguments = True
            continue
        if word.startswith("-") and len(word) > 1 and not only_arguments:
            name, eq, value = word.partition("=")
            option = _option(command, name)
            if option is not None and not _is_flag(option):
                if eq and command is cli:
                    root[option.name] = value
                elif not eq:
                    expecting = option
            continue
        sub = getattr(command, "commands", {}).get(word)
        if sub is not None:
            command, positional = sub, 0
            continue
        positional += 1
    return command, expecting, positional, root


def _option(command: Any, name: str) -> Any:
    for param in command.params:
        if param.param_type_name == "option" and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _is_flag(option: Any) -> bool:
    return bool(option.is_flag or option.count)


def _options(command: Any, incomplete: str) -> list[tuple[str, str | None]]:
    out = []
    for param in command.params:
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith("--") and name.startswith(incomplete):
                out.append((name, _first_line(param.help)))
    if "--help".startswith(incomplete):
        out.append(("--help", "Show the help and exit."))
    return out


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0] if text and text.strip() else None


def _values(param: Any, incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
    """Candidates for the value of an option or argument: choices, codes from the
    settings, or (case numbers, owners) from the register."""
    finder = _FINDERS.get(param.name)
    if finder is not None:
        try:
            return finder(incomplete, root)
        except Exception:  # noqa: BLE001 (completion must never print into the shell)
            return []
    values = [str(getattr(c, "value", c)) for c in _choices(param)]
    return [(v, None) for v in values if v.startswith(incomplete)]


def _choices(param: Any) -> list[Any]:
    """A parameter's closed set of values: click's Choice (older Typer), or the Enum
    annotation (Typer 0.2x keeps the type on a descriptor)."""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return list(choices)
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    return []


def _settings(root: dict[str, str]) -> Any:
    from complaintctl.config import load_settings

    return load_settings(root.get("config"))


def _codes(attribute: str) -> Callable[[str, dict[str, str]], list[tuple[str, str | None]]]:
    def find(incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
        typed = incomplete.upper()
        return [
            (c.code, f"{c.name} {c.name_zh}".strip())
            for c in getattr(_settings(root), attribute)
            if c.code.upper().startswith(typed)
        ]

    return find


def _channels(incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
    return [(c, None) for c in _settings(root).channels if c.startswith(incomplete.lower())]


def _cases(incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
    """Case numbers starting with what is typed: open cases first (newest first), then
    the others; each an index range on `number`, stopped after LIMIT rows."""
    lo = incomplete.strip().upper()
    hi = lo + "\U0010ffff"
    open_marks = ", ".join(f"'{s}'" for s in _OPEN_STEPS)
    # `step || ''`: the range on the unique index of `number` drives both queries (the
    # index on step would make the first read every open case).
    rows = _query(
        root,
        "SELECT number, step FROM cases WHERE number >= :lo AND number < :hi "
        f"AND step || '' IN ({open_marks}) ORDER BY number DESC LIMIT {LIMIT}",
        lo=lo,
        hi=hi,
    )
    found = {number: step for number, step in rows}
    if len(found) < LIMIT:
        for number, step in _query(
            root,
            "SELECT number, step FROM cases WHERE number >= :lo AND number < :hi "
            f"ORDER BY number DESC LIMIT {LIMIT}",
            lo=lo,
            hi=hi,
        ):
            if len(found) >= LIMIT:
                break
            found.setdefault(number, step)
    return [(number, step) for number, step in found.items() if number.startswith(lo)]


def _owners(incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
    """The names of the [[staff]] roster when the config has one (the only owners taken);
    else the distinct owners from what is typed on, one index step each (a loose index
    scan): never a pass over every case."""
    staff = _settings(root).staff
    if staff:
        typed = incomplete.casefold()
        return [
            (p.name, " ".join(x for x in (p.department, p.email) if x) or None)
            for p in staff
            if p.name.casefold().startswith(typed)
        ][:LIMIT]
    rows = _query(
        root,
        "WITH RECURSIVE o(v) AS ("
        " SELECT (SELECT owner FROM cases WHERE owner >= :lo ORDER BY owner LIMIT 1)"
        " UNION ALL"
        " SELECT (SELECT owner FROM cases WHERE owner > o.v ORDER BY owner LIMIT 1)"
        f" FROM o WHERE o.v IS NOT NULL) SELECT v FROM o WHERE v IS NOT NULL LIMIT {LIMIT}",
        lo=incomplete,
    )
    return [(owner, None) for (owner,) in rows if owner.startswith(incomplete)]


def _query(root: dict[str, str], sql: str, **params: str) -> list[tuple]:
    """Rows of a read-only query on the register (none when it does not exist yet)."""
    from complaintctl.config import resolve_db_url

    url = resolve_db_url(root.get("db"), _settings(root))
    if url.startswith("sqlite:///"):
        import sqlite3

        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            return []  # completing must not create the register
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA query_only = 1")
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    import sqlalchemy as sa

    from complaintctl.db import open_db

    engine = open_db(url, create=False)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def _steps(incomplete: str, root: dict[str, str]) -> list[tuple[str, str | None]]:
    from complaintctl.enums import Step

    return [(s.value, None) for s in Step if s.value.startswith(incomplete.lower())]


_FINDERS: dict[str, Callable[[str, dict[str, str]], list[tuple[str, str | None]]]] = {
    "step": _steps,
    "case": _cases,
    "category": _codes("categories"),
    "department": _codes("departments"),
    "channel": _channels,
    "owner": _owners,
}
