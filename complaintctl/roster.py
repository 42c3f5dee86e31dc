"""The staff roster ([[staff]] in the config): who may own a case.

Without a roster any owner is taken, as it always was.  With one, an owner not on it is a
typo (王方 for 王芳) that would drop the case out of her `list --owner` and her part of
`warn`: it is refused, naming the closest names on the roster.
"""

from __future__ import annotations

import difflib

from complaintctl.config import Settings
from complaintctl.errors import InvalidValue
from complaintctl.messages import N_, join

SUGGESTIONS = 3


def close_names(value: str, names: tuple[str, ...] | list[str]) -> list[str]:
    """The roster names closest to `value`, closest first: difflib's close matches, and
    names that differ from it in one character (a two-character Chinese name with one
    wrong character is only half alike to difflib, yet it is the likeliest typo)."""
    by_key = {n.casefold(): n for n in names}
    typed = value.casefold()
    found = difflib.get_close_matches(typed, list(by_key), n=SUGGESTIONS, cutoff=0.6)
    for key in by_key:
        if key not in found and _one_apart(typed, key):
            found.append(key)
    return [by_key[k] for k in found[:SUGGESTIONS]]


def _one_apart(a: str, b: str) -> bool:
    """Whether one character changed, added or removed turns `a` into `b`."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def known_owner(settings: Settings, owner: str | None, field: str = "owner") -> str | None:
    """`owner` as the roster spells it (matched ignoring case), or InvalidValue naming
    `field` when there is a roster and the name is not on it.  Without a roster, or
    without an owner, `owner` as given."""
    if not settings.staff or owner is None or not owner.strip():
        return owner
    typed = owner.strip()
    for name in settings.staff_names:
        if name.casefold() == typed.casefold():
            return name
    close = close_names(typed, settings.staff_names)
    if close:
        raise InvalidValue(
            field,
            N_("{value} is not on the staff roster; did you mean {names}?"),
            value=typed,
            names=join(close),
        )
    raise InvalidValue(
        field,
        N_("{value} is not on the staff roster ([[staff]] in the config)"),
        value=typed,
    )
