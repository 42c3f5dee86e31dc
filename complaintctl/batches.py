"""Import batches: every import that writes is recorded, a second import of the same
content is recognised, and an untouched batch can be undone.

A batch is one row of `import_batches`; the cases it created carry its id in
`cases.import_batch`.  The content is known by the SHA-256 of the file's bytes, not by its
rows: files without an ID column (and files holding exact duplicate rows) are common, so
no key made of a row's content can tell "imported already" from "two like complaints".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import sqlalchemy as sa

from complaintctl.enums import Action
from complaintctl.errors import ComplaintError, InvalidValue
from complaintctl.messages import N_
from complaintctl.models import Attachment, Case, Event, ImportBatch
from complaintctl.register import Register

BATCHES = ImportBatch.__table__
CASES = Case.__table__
EVENTS = Event.__table__
ATTACHMENTS = Attachment.__table__
_CHUNK = 1 << 20
_IN = 500  # ids per IN (...) list: old SQLite allows 999 parameters


class AlreadyImported(ComplaintError):
    """The same content was imported before (exit 1, nothing written)."""


class UndoRefused(ComplaintError):
    """A batch cannot be undone as it stands (exit 1, nothing changed)."""


@dataclass(frozen=True)
class Content:
    """What a batch is known by: the file's name, the SHA-256 of its bytes and of the
    mapping used, and whether importing the same content again was asked for."""

    source: str
    sha256: str
    mapping_sha256: str | None = None
    again: bool = False


def digest(stream: IO[bytes]) -> str:
    """The SHA-256 of everything left in a binary stream (read in 1 MiB pieces)."""
    h = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        h.update(chunk)
    return h.hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes."""
    with open(path, "rb") as f:
        return digest(f)


def seekable(raw: IO[bytes]) -> tuple[IO[bytes], str]:
    """(a stream of the same bytes that can be read again from its start, their SHA-256).
    A file is hashed and rewound; standard input or a pipe is copied to an unnamed
    temporary file while it is hashed (it may hold personal data: nothing stays behind)."""
    if raw.seekable():
        start = raw.tell()
        sha = digest(raw)
        raw.seek(start)
        return raw, sha
    import tempfile

    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    h = hashlib.sha256()
    while chunk := raw.read(_CHUNK):
        h.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, h.hexdigest()


def previous(conn: sa.Connection, sha256: str) -> sa.Row | None:
    """The earliest batch, not undone, that imported this content; None if none did."""
    return conn.execute(
        sa.select(BATCHES.c.id, BATCHES.c.at, BATCHES.c.source)
        .where(BATCHES.c.sha256 == sha256, BATCHES.c.undone_at.is_(None))
        .order_by(BATCHES.c.id)
        .limit(1)
    ).first()


def begin(
    conn: sa.Connection, reg: Register, content: Content, *, now: dt.datetime, actor: str
) -> int:
    """Record a new batch inside the import's transaction and return its id; refuse
    content imported before unless `content.again` (checked under the write lock, so two
    imports of one file at once cannot both pass)."""
    if not content.again:
        before = previous(conn, content.sha256)
        if before is not None:
            from complaintctl.clock import local_text

            raise AlreadyImported(
                N_(
                    "FILE: this content was imported already, as batch {batch} on {at} "
                    "({source}); nothing was imported (use --again to import it once more, "
                    "or undo it first: complaintctl imports undo {batch})"
                ),
                batch=before.id,
                at=local_text(before.at, reg.settings.tz),
                source=before.source,
            )
    return conn.execute(
        sa.insert(BATCHES)
        .values(
            source=content.source,
            sha256=content.sha256,
            mapping_sha256=content.mapping_sha256,
            actor=actor,
            at=now,
        )
        .returning(BATCHES.c.id)
    ).scalar_one()


def finish(
    conn: sa.Connection, batch: int, *, read: int, imported: int, present: int, updated: int,
    rejected: int
) -> None:  # fmt: skip
    """Write the batch's counts once its rows are in; a run that added and refreshed
    nothing (every row present already) leaves no batch behind: it changed nothing."""
    if not imported and not updated:
        conn.execute(sa.delete(BATCHES).where(BATCHES.c.id == batch))
        return
    conn.execute(
        sa.update(BATCHES)
        .where(BATCHES.c.id == batch)
        .values(
            rows_read=read,
            rows_imported=imported,
            rows_present=present,
            rows_updated=updated,
            rows_rejected=rejected,
        )
    )


def list_batches(reg: Register) -> Iterator[dict]:
    """Every batch, oldest first, as plain rows (times in UTC, as stored)."""
    with reg.engine.connect() as conn:
        for r in conn.execute(sa.select(BATCHES).order_by(BATCHES.c.id)).mappings():
            yield dict(r)


@dataclass
class Undone:
    batch: int
    source: str
    cases: int
    events: int


def undo(reg: Register, batch: int, *, now: dt.datetime, actor: str) -> Undone:
    """Remove the cases batch `batch` created, with their history, in one transaction;
    refused if any of them was worked on since it was imported (naming them), if the batch
    refreshed cases it did not create (--update), or if it was undone already.  The batch
    row stays, marked undone by whom and when: the register's record of the undo."""
    with reg.engine.connect() as conn:
        conn.execution_options(complaintctl_write=True)
        with conn.begin():
            row = conn.execute(sa.select(BATCHES).where(BATCHES.c.id == batch)).mappings().first()
            if row is None:
                raise InvalidValue("undo", N_("there is no import batch {batch}"), batch=batch)
            if row["undone_at"] is not None:
                from complaintctl.clock import local_text

                raise UndoRefused(
                    N_("import batch {batch} was undone already, on {at} by {actor}"),
                    batch=batch,
                    at=local_text(row["undone_at"], reg.settings.tz),
                    actor=row["undone_by"],
                )
            if row["rows_updated"]:
                raise UndoRefused(
                    N_(
                        "import batch {batch} also refreshed {count} case(s) it did not create "
                        "(--update); undo removes only what a batch created, so it is refused"
                    ),
                    batch=batch,
                    count=row["rows_updated"],
                )
            if conn.dialect.name == "postgresql":
                # Hold the batch's cases: a step taken on one of them meanwhile waits, then
                # finds it gone, instead of slipping in between the check and the delete.
                conn.execute(
                    sa.select(CASES.c.id).where(CASES.c.import_batch == batch).with_for_update()
                ).all()
            worked = [
                number
                for (number,) in conn.execute(
                    sa.select(CASES.c.number)
                    .where(
                        CASES.c.import_batch == batch,
                        sa.or_(
                            sa.exists().where(
                                EVENTS.c.case_id == CASES.c.id,
                                EVENTS.c.action != Action.import_.value,
                            ),
                            sa.exists().where(
                                EVENTS.c.case_id == CASES.c.id,
                                EVENTS.c.action == Action.import_.value,
                                EVENTS.c.step_from.is_not(None),  # refreshed by a later --update
                            ),
                            sa.exists().where(ATTACHMENTS.c.case_id == CASES.c.id),
                        ),
                    )
                    .order_by(CASES.c.id)
                )
            ]
            if worked:
                shown = ", ".join(worked[:10]) + (", …" if len(worked) > 10 else "")
                raise UndoRefused(
                    N_(
                        "import batch {batch} cannot be undone: {count} of its cases were worked "
                        "on since ({cases}); nothing was removed"
                    ),
                    batch=batch,
                    count=len(worked),
                    cases=shown,
                )
            ids = [
                i
                for (i,) in conn.execute(
                    sa.select(CASES.c.id).where(CASES.c.import_batch == batch).order_by(CASES.c.id)
                )
            ]
            events = 0
            for k in range(0, len(ids), _IN):
                part = ids[k : k + _IN]
                events += conn.execute(sa.delete(EVENTS).where(EVENTS.c.case_id.in_(part))).rowcount
                conn.execute(sa.delete(CASES).where(CASES.c.id.in_(part)))
            conn.execute(
                sa.update(BATCHES)
                .where(BATCHES.c.id == batch)
                .values(undone_at=now, undone_by=actor)
            )
    return Undone(batch, row["source"], len(ids), events)
