"""The tamper-evident seal on a case's history.

Each event carries `hash`: SHA-256 over the previous event's hash (of the same case) and
the event's own fields.  Editing or deleting an event behind the tool's back breaks the
chain from that event on, and `db check` names the case.  The format is stored in every
database, so it never changes; a new format would be a new migration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping

# The event columns that are sealed, in the order they are hashed.
SEALED = (
    "case_id",
    "action",
    "at",
    "recorded_at",
    "actor",
    "step_from",
    "step_to",
    "changes",
    "note",
)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def event_hash(prev: str | None, event: Mapping[str, object]) -> str:
    """The seal of `event` (a mapping with the SEALED keys) following `prev`."""
    payload = [prev or ""] + [_plain(event[k]) for k in SEALED]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def broken_link(events: Iterable[Mapping[str, object]]) -> int | None:
    """The id of the first event of one case (in id order) whose seal does not match, or
    None when the whole chain holds."""
    prev = None
    for ev in events:
        expected = event_hash(prev, ev)
        if ev["hash"] != expected:
            return int(ev["id"])  # type: ignore[call-overload]
        prev = expected
    return None
