"""SQL conditions and values written with Python operators, as text and named parameters.

The report's figure definitions (complaintctl.figures) are written against columns:
`q.in_period(q.c.feedback_at) & q.c.feedback_score.is_not(None)`.  `Sql` gives those
operators their SQL meaning, so the definitions turn into the text the storage layer runs
(complaintctl.store) without loading SQLAlchemy.  Every value becomes a bound parameter
with a name of its own.
"""

from __future__ import annotations

import itertools
from typing import Any

_names = itertools.count()


class Sql:
    """A piece of SQL and the parameters it binds."""

    __slots__ = ("params", "text")
    __hash__ = None  # type: ignore[assignment]  (== builds SQL, so no hashing)

    def __init__(self, text: str, params: dict[str, Any] | None = None) -> None:
        self.text = text
        self.params = params or {}

    def _op(self, op: str, other: object) -> Sql:
        right = value(other)
        return Sql(f"({self.text} {op} {right.text})", self.params | right.params)

    def __and__(self, other: object) -> Sql:
        return self._op("AND", other)

    def __or__(self, other: object) -> Sql:
        return self._op("OR", other)

    def __eq__(self, other: object) -> Sql:  # type: ignore[override]
        return self._op("=", other)

    def __ne__(self, other: object) -> Sql:  # type: ignore[override]
        return self._op("!=", other)

    def __lt__(self, other: object) -> Sql:
        return self._op("<", other)

    def __le__(self, other: object) -> Sql:
        return self._op("<=", other)

    def __gt__(self, other: object) -> Sql:
        return self._op(">", other)

    def __ge__(self, other: object) -> Sql:
        return self._op(">=", other)

    def __sub__(self, other: object) -> Sql:
        return self._op("-", other)

    def is_(self, _none: None) -> Sql:
        return Sql(f"({self.text} IS NULL)", self.params)

    def is_not(self, _none: None) -> Sql:
        return Sql(f"({self.text} IS NOT NULL)", self.params)


def value(v: object) -> Sql:
    """`v` as SQL: itself if it is SQL already, else a bound parameter."""
    if isinstance(v, Sql):
        return v
    name = f"v{next(_names)}"
    return Sql(f":{name}", {name: v})


def all_of(conditions: list[Sql]) -> Sql:
    """The conditions joined by AND (TRUE for none)."""
    if not conditions:
        return Sql("1 = 1")
    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    return out


def any_of(conditions: list[Sql]) -> Sql:
    out = conditions[0]
    for c in conditions[1:]:
        out = out | c
    return out


def count_if(condition: Sql) -> Sql:
    return Sql(f"sum(CASE WHEN {condition.text} THEN 1 ELSE 0 END)", condition.params)


def sum_if(condition: Sql, expr: Sql) -> Sql:
    return Sql(
        f"sum(CASE WHEN {condition.text} THEN {expr.text} ELSE 0 END)",
        condition.params | expr.params,
    )


class Columns:
    """The columns of a table under an alias: `c.received_at`, `c["resolved_at"]`."""

    def __init__(self, alias: str) -> None:
        self._alias = alias

    def __getattr__(self, name: str) -> Sql:
        if name.startswith("_"):
            raise AttributeError(name)
        return Sql(f"{self._alias}.{name}")

    def __getitem__(self, name: str) -> Sql:
        return Sql(f"{self._alias}.{name}")
