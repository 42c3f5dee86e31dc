"""Looking after the register as a whole: backup (SQLite), check, and copy between backends.

Services only: each function takes an engine (or a path or URL) and returns a result or
raises a `DatabaseError`; `cli/db.py` prints.  Everything that walks the cases streams
them in case-id order (cases, their events and their attachments side by side), so memory
stays flat whatever the size of the register.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from complaintctl import models, outputs, workflow
from complaintctl.db import engine_name, open_db
from complaintctl.enums import ENDED_STEPS, Action, Step
from complaintctl.errors import DatabaseError, RegisterDamaged
from complaintctl.history import broken_link
from complaintctl.messages import N_, _

BATCH = 5_000
_SQLITE_FULL = 13  # the disk (or the file size limit) is full
BLOB_BATCH = 50  # attachments hold up to 10 MiB each: fetch and write few at a time

CASES = models.Case.__table__
EVENTS = models.Event.__table__
ATTACHMENTS = models.Attachment.__table__
COUNTERS = models.Counter.__table__
META = models.Meta.__table__
BATCHES = models.ImportBatch.__table__
# In the order a copy fills them (parents before children).
TABLES = (META, COUNTERS, BATCHES, CASES, EVENTS, ATTACHMENTS)
_STEPS = {s.value for s in Step}
_ACTIONS = {a.value for a in Action}
_ENDED = {s.value for s in ENDED_STEPS}


# -- backup -----------------------------------------------------------------------------
@dataclass
class Backup:
    path: Path
    cases: int
    size: int


def pg_dump_command(engine: sa.Engine, file: Path | str = "FILE") -> str:
    """The pg_dump command that backs up this PostgreSQL database (no password shown)."""
    u = engine.url
    parts = ["pg_dump", "--format=custom", f"--file={file}"]
    if u.host:
        parts.append(f"--host={u.host}")
    if u.port:
        parts.append(f"--port={u.port}")
    if u.username:
        parts.append(f"--username={u.username}")
    parts.append(str(u.database or ""))
    return " ".join(parts)


def backup(engine: sa.Engine, target: Path, force: bool = False) -> Backup:
    """Copy the SQLite register to `target` with SQLite's online backup API: a consistent
    snapshot even while other processes write.  Written to a temporary file beside
    `target` (owner-only, mode 0600: it holds personal data) and moved into place only when
    complete; an existing `target` is replaced only with `force`."""
    if engine.dialect.name != "sqlite":
        raise DatabaseError(
            N_("db backup copies SQLite files only; back up {engine} with pg_dump: {command}"),
            engine=engine.dialect.name,
            command=pg_dump_command(engine, target),
        )
    source = Path(engine.url.database or "")
    target = Path(target).expanduser()
    try:
        itself = target.exists() and target.samefile(source)
    except OSError:  # a name too long, no permission…: said by outputs.check
        itself = False
    if itself:
        raise DatabaseError(N_("backup: {path} is the database itself"), path=target)
    outputs.check(target, "file", replace=force)

    def copy(out) -> int:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(out.name)
            try:
                # pages=-1: one step under one read lock, so writers committing meanwhile
                # can neither restart nor tear the copy (WAL lets them carry on).
                src.backup(dst, pages=-1)
                # A self-contained file: no -wal beside it once closed.
                dst.execute("PRAGMA journal_mode = DELETE")
                # The copy is checked before it is called a backup: a damaged register
                # copies page for page, damage and all.
                damage = [r for (r,) in dst.execute("PRAGMA integrity_check") if r != "ok"]
                if damage:
                    raise RegisterDamaged(
                        f"{damage[0][:120]}; no backup was written, and the last good one "
                        "is the one to keep"
                    )
                return dst.execute("SELECT count(*) FROM cases").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()

    try:
        # A new file beside the target (owner only: it holds personal data), synced and
        # renamed into place; an existing target replaced only with `force`.
        cases = outputs.write_file(target, copy, "file", replace=force, binary=True)
    except sqlite3.Error as exc:
        if "malformed" in str(exc):  # the integrity check could not walk the copy
            raise RegisterDamaged(
                f"{exc}; no backup was written, and the last good one is the one to keep"
            ) from None
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_FULL:  # the copy's disk
            raise outputs.OutputError(
                "file", N_("{path}: {reason} (nothing was written)"), path=target, reason=exc
            ) from None
        raise DatabaseError(
            N_("backup of {path} failed: {error}"), path=source, error=exc
        ) from None
    return Backup(target, cases, target.stat().st_size)


# -- reading the register case by case --------------------------------------------------
@dataclass
class CaseHistory:
    case: Mapping
    events: list[Mapping]
    attachments: list[Mapping]


@contextmanager
def snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read-only transaction that sees one moment of the register throughout (SQLite's
    read transaction does; PostgreSQL needs REPEATABLE READ)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin() as trans:
            yield conn
            trans.rollback()


def _stream(conn: sa.Connection, stmt, per: int = BATCH) -> Iterator[Mapping]:
    """Rows fetched `per` at a time (a server-side cursor on PostgreSQL)."""
    result = conn.execute(stmt, execution_options={"yield_per": per})
    for part in result.mappings().partitions():
        yield from part


class _ByCase:
    """Rows sorted by case_id, handed out one case's worth at a time."""

    def __init__(self, rows: Iterator[Mapping]) -> None:
        self.rows = rows
        self.head = next(rows, None)

    def take(self, case_id: int) -> list[Mapping]:
        out = []
        # Rows of ids below this case belong to no case: `check` reports them on its own.
        while self.head is not None and self.head["case_id"] <= case_id:
            if self.head["case_id"] == case_id:
                out.append(self.head)
            self.head = next(self.rows, None)
        return out


def histories(conn: sa.Connection) -> Iterator[CaseHistory]:
    """Every case in id order, with its events and attachments in id order."""
    events = _ByCase(_stream(conn, sa.select(EVENTS).order_by(EVENTS.c.case_id, EVENTS.c.id)))
    attachments = _ByCase(
        _stream(
            conn,
            sa.select(ATTACHMENTS).order_by(ATTACHMENTS.c.case_id, ATTACHMENTS.c.id),
            BLOB_BATCH,
        )
    )
    for case in _stream(conn, sa.select(CASES).order_by(CASES.c.id)):
        yield CaseHistory(case, events.take(case["id"]), attachments.take(case["id"]))


# -- checksums --------------------------------------------------------------------------
def _canonical(table: sa.Table, row: Mapping) -> dict:
    """A row's values in a form every backend gives alike: times as ISO text to the
    microsecond (naive UTC), booleans as booleans, binary content as its SHA-256."""
    out = {}
    for column in table.c:
        value = row[column.name]
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            value = value.isoformat(timespec="microseconds")
        elif isinstance(column.type, sa.Boolean) and value is not None:
            value = bool(value)
        elif isinstance(value, bytes | memoryview | bytearray):
            value = "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
        out[column.name] = value
    return out


def _digest(doc: object) -> str:
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_checksum(h: CaseHistory) -> str:
    """SHA-256 over a case row, its events and its attachments, canonical values."""
    return _digest(
        [
            _canonical(CASES, h.case),
            [_canonical(EVENTS, e) for e in h.events],
            [_canonical(ATTACHMENTS, a) for a in h.attachments],
        ]
    )


def _small_table_checksum(conn: sa.Connection, table: sa.Table) -> str:
    key = list(table.primary_key.columns)
    rows = conn.execute(sa.select(table).order_by(*key)).mappings()
    return _digest([_canonical(table, r) for r in rows])


def counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per register table."""
    return {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES
    }


# -- check ------------------------------------------------------------------------------
@dataclass
class Problem:
    case: str | None
    text: str

    def __str__(self) -> str:
        return (
            _("case {number}: {problem}").format(number=self.case, problem=self.text)
            if self.case
            else self.text
        )


@dataclass
class CheckSummary:
    cases: int = 0
    events: int = 0
    attachments: int = 0
    problems: int = 0
    problem_cases: int = 0
    unsealed_events: int = 0
    unsealed_cases: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.problems == 0


def check(engine: sa.Engine, report: Callable[[Problem], None]) -> CheckSummary:
    """Check the whole register, calling `report` for each problem as it is found: the
    database file (SQLite), references between tables, and every case's row against its
    history and its history's seal.  Events never sealed (written by an importer without
    one) are counted apart, not reported as problems."""
    summary = CheckSummary()

    def problem(case: str | None, text: str) -> None:
        summary.problems += 1
        report(Problem(case, text))

    damaged = False  # the file itself: reading every case would only stumble on it
    with snapshot(engine) as conn:
        if conn.dialect.name == "sqlite":
            try:
                for (line,) in conn.exec_driver_sql("PRAGMA integrity_check"):
                    if line != "ok":
                        damaged = True
                        problem(None, _("SQLite integrity: {result}").format(result=line))
                for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                    problem(
                        None,
                        _("{table} row {id} refers to a missing row of {parent}").format(
                            table=table, id=rowid, parent=parent
                        ),
                    )
            except sa.exc.DatabaseError as exc:  # damaged past what the check can walk
                damaged = True
                detail = str(exc.orig).splitlines()[0]
                problem(None, _("SQLite integrity: {result}").format(result=detail))
        else:
            for table in (EVENTS, ATTACHMENTS):
                orphans = conn.execute(
                    sa.select(table.c.id, table.c.case_id)
                    .outerjoin(CASES, CASES.c.id == table.c.case_id)
                    .where(CASES.c.id.is_(None))
                    .order_by(table.c.id)
                )
                for row_id, case_id in orphans:
                    problem(
                        None,
                        _("{table} row {id} refers to case id {case_id}, which is missing").format(
                            table=table.name, id=row_id, case_id=case_id
                        ),
                    )
            damaged = _postgres_indexes(conn, problem, summary.notes)
        if conn.dialect.name == "sqlite" and not damaged:
            for where, text in _stored_value_problems(conn):
                damaged = True
                problem(where, text)
        if damaged:
            summary.notes.append(
                _(
                    "the case-by-case checks were skipped until the damage above is repaired: "
                    "restore the last good backup (complaintctl db backup makes one)"
                )
            )
            return summary
        try:
            for h in histories(conn):
                summary.cases += 1
                summary.events += len(h.events)
                summary.attachments += len(h.attachments)
                found, unsealed = case_problems(h)
                for text in found:
                    problem(h.case["number"], text)
                summary.problem_cases += bool(found)
                summary.unsealed_events += unsealed
                summary.unsealed_cases += bool(unsealed)
        except (sa.exc.DatabaseError, RegisterDamaged, ValueError, TypeError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            problem(
                None, _("the register could not be read to the end: {error}").format(error=detail)
            )
    return summary


def _postgres_indexes(conn: sa.Connection, problem, notes: list[str]) -> bool:
    """PostgreSQL's own check of the register's B-tree indexes (amcheck's bt_index_check),
    where the extension is installed; otherwise a note saying the files were not checked.
    Whether damage was found."""
    schema = conn.execute(  # where the extension's functions are
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'amcheck'"
        )
    ).scalar()
    if schema is None:
        notes.append(
            _(
                "PostgreSQL's files were not checked: the amcheck extension is not installed "
                "in this database (CREATE EXTENSION amcheck; as its owner)"
            )
        )
        return False
    indexes = conn.execute(  # the register's own: its tables in the schema it is in
        sa.text(
            "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'btree' AND t.relname = ANY(:tables) "
            "AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
            "ORDER BY c.relname"
        ),
        {"tables": ["cases", "events", "attachments", "counters", "meta", "import_batches"]},
    ).all()
    check = sa.text(f'SELECT "{schema}".bt_index_check(CAST(:oid AS oid))')
    damaged = False
    for oid, name in indexes:
        try:
            with conn.begin_nested():
                conn.execute(check, {"oid": oid})
        except sa.exc.DatabaseError as exc:
            damaged = True
            detail = str(exc.orig).splitlines()[0]
            problem(None, _("PostgreSQL index {name}: {result}").format(name=name, result=detail))
    return damaged


def _stored_value_problems(conn: sa.Connection) -> Iterator[tuple[str | None, str]]:
    """Values a register never holds, read without the ORM (which would stop at the first):
    a time column holding anything but a stored time, attachment contents that are not
    bytes, a schema version that is not a number."""
    from complaintctl.schema import TABLES, TIME
    from complaintctl.store import TIME_GLOB

    for table, columns in TABLES.items():
        number = "number" if table == "cases" else "id"
        for column, kind in columns.items():
            if kind != TIME:
                continue
            rows = conn.exec_driver_sql(
                f"SELECT {number}, {column} FROM {table} WHERE {column} IS NOT NULL "
                f"AND (typeof({column}) <> 'text' OR NOT {column} GLOB '{TIME_GLOB}') "
                "LIMIT 20"
            )
            for key, value in rows:
                yield (
                    key if table == "cases" else None,
                    _("{table}.{column} holds {value}, not a time").format(
                        table=table if table == "cases" else f"{table} row {key}:",
                        column=column,
                        value=repr(value)[:40],
                    ),
                )
    for key, kind in conn.exec_driver_sql(
        "SELECT id, typeof(content) FROM attachments WHERE typeof(content) <> 'blob' LIMIT 20"
    ):
        yield (
            None,
            _("attachment {id} holds {kind}, not the file's bytes").format(id=key, kind=kind),
        )
    for (value,) in conn.exec_driver_sql(
        "SELECT value FROM meta WHERE key = 'schema_version' AND NOT value GLOB '[0-9]*'"
    ):
        yield None, _("meta.schema_version is {value}, not a number").format(value=repr(value))


def case_problems(h: CaseHistory) -> tuple[list[str], int]:
    """What is wrong with one case (texts naming no personal data), and how many of its
    events were never sealed."""
    case, events = h.case, h.events
    out: list[str] = []
    step = case["step"]
    if step not in _STEPS:
        out.append(_("step '{step}' is not a step").format(step=step))
    else:
        out += _state_problems(case)
    if not events:
        out.append(_("has no history (no log or import event)"))
        return out, 0
    out += _step_problems(case, events)
    out += _replay_problems(case, events)
    expected = len(events) - _logged_with_ack(events)
    if case["version"] != expected:
        out.append(
            _(
                "has version {version} but {events} history events (version {expected} "
                "expected): an event added or deleted behind the tool's back?"
            ).format(version=case["version"], events=len(events), expected=expected)
        )
    seal_problem, unsealed = _seal_problems(events)
    out += seal_problem
    for a in h.attachments:
        content = bytes(a["content"])
        if len(content) != a["size"] or hashlib.sha256(content).hexdigest() != a["sha256"]:
            out.append(
                _("attachment {id}: content does not match its size and SHA-256").format(id=a["id"])
            )
    return out, unsealed


def _state_problems(case: Mapping) -> list[str]:
    """The row agrees with itself: an ended case has its outcome and no clock running, an
    open one no outcome, and due_at is its earliest pending deadline."""
    out = []
    step = case["step"]
    if step in _ENDED:
        if case["outcome"] is None or case["closed_at"] is None:
            out.append(_("has ended ({step}) but has no outcome or closing time").format(step=step))
        if case["on_hold"]:
            out.append(_("has ended ({step}) but is on hold").format(step=step))
    elif case["outcome"] is not None or case["closed_at"] is not None:
        out.append(
            _("is open at step '{step}' but has an outcome or closing time").format(step=step)
        )
    expected = workflow.earliest_pending(case)
    if case["due_at"] != expected:
        out.append(
            _("due_at is {stored} but its pending deadlines give {expected}").format(
                stored=_when(case["due_at"]), expected=_when(expected)
            )
        )
    return out


def _when(t: dt.datetime | None) -> str:
    return t.isoformat(" ", "minutes") + " UTC" if t else _("none")


def _step_problems(case: Mapping, events: list[Mapping]) -> list[str]:
    """The history begins with log or import; each event starts at the step the one before
    left the case at, takes an action the transition table allows from there, and the last
    one leaves the case where its row says it is."""
    out = []
    first = events[0]
    if first["action"] not in (Action.log.value, Action.import_.value):
        out.append(
            _("history begins with event {id} ({action}), not log or import").format(
                id=first["id"], action=first["action"]
            )
        )
    prev = None
    for ev in events:
        eid, action, frm, to = ev["id"], ev["action"], ev["step_from"], ev["step_to"]
        if action not in _ACTIONS:
            out.append(_("event {id}: unknown action '{action}'").format(id=eid, action=action))
        if to not in _STEPS or (frm is not None and frm not in _STEPS):
            out.append(
                _("event {id} ({action}): unknown step '{step}'").format(
                    id=eid, action=action, step=to if to not in _STEPS else frm
                )
            )
        if prev is not None:
            if action == Action.log.value:
                out.append(_("event {id}: a second log event").format(id=eid))
            if frm != prev["step_to"]:
                out.append(
                    _(
                        "event {id} ({action}) starts at step '{step}' but event {previous} "
                        "left the case at '{left}'"
                    ).format(
                        id=eid, action=action, step=frm, previous=prev["id"], left=prev["step_to"]
                    )
                )
            elif action in _ACTIONS and frm in _STEPS:
                allowed = workflow.ALLOWED.get(Action(action))
                if allowed is not None and Step(frm) not in allowed:
                    out.append(
                        _("event {id}: {action} is not allowed from step '{step}'").format(
                            id=eid, action=action, step=frm
                        )
                    )
        prev = ev
    if events[-1]["step_to"] != case["step"]:
        out.append(
            _("is at step '{step}' but its history (event {id}) leaves it at '{left}'").format(
                step=case["step"], id=events[-1]["id"], left=events[-1]["step_to"]
            )
        )
    return out


_UNKNOWN = object()


def _snap(value: object) -> object:
    """A case value as the history's `changes` record it."""
    return value.isoformat() if isinstance(value, dt.datetime) else value


_TIME_COLUMNS = frozenset(c.name for c in CASES.c if isinstance(c.type, sa.DateTime))
_CLOSED = Step.closed.value
_CHECKED_ACTIONS = frozenset(a.value for a in workflow.ALLOWED)  # not log, not import


def _value(name: str, value: object) -> object:
    """A value as the history's `changes` record it → as the case row holds it."""
    if value.__class__ is str and name in _TIME_COLUMNS:
        return dt.datetime.fromisoformat(value)
    return value


def _workflow_problem(ev: Mapping, state: dict, changes: dict) -> str | None:
    """Replay one event through the workflow (`workflow.apply`) from the state its
    history gives before it (with the old values it names): the step, times, outcome and
    due_at it recorded must be the ones the workflow sets.  The deadlines the calendar gave
    are taken as recorded (the clock lengths may have changed since); feedback's verdict
    is read from the step it left the case at (the threshold is the config's).  `state`:
    the workflow columns as the history so far leaves them."""
    action = Action(ev["action"])
    before, after = dict(state), dict(state)
    for name, (old, new) in changes.items():
        if name in state:
            before[name], after[name] = _value(name, old), _value(name, new)
    fields = {
        name: _value(name, new)
        for name, (_old, new) in changes.items()
        if name in workflow.OWN_FIELDS
    }

    def recorded_clock(name: str, start: dt.datetime) -> dt.datetime | None:
        return after[workflow.A_CLOCKS[name][0] if name in workflow.A_CLOCKS else "step_due_at"]

    expected = before | workflow.apply(
        before,
        action,
        ev["at"],
        recorded_clock,
        fields,
        satisfied=ev["step_to"] == _CLOSED,
        shift=lambda *_: after["step_due_at"],
    )
    differ = [name for name in workflow.COLUMNS if expected[name] != after[name]]
    if not differ:
        return None
    return _(
        "event {id} ({action}) recorded {fields} otherwise than the workflow sets them"
    ).format(id=ev["id"], action=ev["action"], fields=", ".join(differ))


def _replay_problems(case: Mapping, events: list[Mapping]) -> list[str]:
    """Replay the `changes` ([old, new] per field) of every event: each old value must be
    what the history so far says, each event of a logged case must be what the workflow
    makes of the state before it, and the case row must end as the history leaves it.  A
    logged case starts with every field empty; an imported one with its fields unknown
    until an event names them (import events set values without being checked)."""
    out = []
    known: dict[str, object] = {}
    start_known = events[0]["action"] == Action.log.value
    reported = replayed = False
    state = dict.fromkeys(workflow.COLUMNS)  # `known`'s workflow columns, as values
    for ev in events:
        if not ev["changes"]:
            continue
        try:
            changes = json.loads(ev["changes"])
        except ValueError:
            out.append(
                _("event {id} ({action}): its changes are not JSON").format(
                    id=ev["id"], action=ev["action"]
                )
            )
            continue
        if not isinstance(changes, dict):
            out.append(
                _("event {id} ({action}): its changes are not a JSON object").format(
                    id=ev["id"], action=ev["action"]
                )
            )
            continue
        pairs = {
            name: pair
            for name, pair in changes.items()
            if isinstance(pair, list) and len(pair) == 2
        }
        if (
            start_known
            and not replayed
            and ev["action"] in _CHECKED_ACTIONS
            and ev["step_from"] in _STEPS
            and ev is not events[0]
        ):
            problem = _workflow_problem(ev, state, pairs)
            if problem:
                out.append(problem)
                replayed = True  # one is enough, as below
        for name, pair in pairs.items():
            old, new = pair
            if name in state:
                state[name] = _value(name, new)
            before = known.get(name, None if start_known else _UNKNOWN)
            if (
                ev["action"] != Action.import_.value
                and before is not _UNKNOWN
                and before != old
                and not reported
            ):
                out.append(
                    _(
                        "event {id} ({action}) changed {field} from a value its history before "
                        "does not show"
                    ).format(id=ev["id"], action=ev["action"], field=name)
                )
                reported = True  # one is enough: the rest of the history follows from it
            known[name] = new
    differ = sorted(
        name
        for name in (c.name for c in CASES.c)
        if name not in ("id", "version")
        and known.get(name, None if start_known else _UNKNOWN) not in (_UNKNOWN, _snap(case[name]))
    )
    if differ:
        out.append(
            _(
                "{fields} differ from what its history recorded (changed behind the tool's back?)"
            ).format(fields=", ".join(differ))
        )
    return out


def _logged_with_ack(events: list[Mapping]) -> int:
    """1 when the case was logged with --ack (two events, one version), else 0."""
    return int(
        len(events) > 1
        and events[0]["action"] == Action.log.value
        and events[1]["action"] == Action.ack.value
        and events[1]["recorded_at"] == events[0]["recorded_at"]
    )


def _seal_problems(events: list[Mapping]) -> tuple[list[str], int]:
    """The hash chain (complaintctl.history).  Events written without a seal can only come
    first (an importer without one); the chain starts after them."""
    lead = 0
    while lead < len(events) and events[lead]["hash"] is None:
        lead += 1
    if lead:
        # Every writer (live commands, import, the 0002 migration) seals what it writes.
        first = events[0]
        text = _("event {id} ({action}) has no seal: it was removed behind the tool's back").format(
            id=first["id"], action=first["action"]
        )
        return [text], lead
    broken = broken_link(events[lead:])
    if broken is None:
        return [], lead
    ev = next(e for e in events if e["id"] == broken)
    if ev["hash"] is None:
        text = _("event {id} ({action}) has lost its seal (earlier events are sealed)").format(
            id=broken, action=ev["action"]
        )
    else:
        text = _(
            "history seal broken at event {id} ({action}): an event was edited or deleted "
            "behind the tool's back"
        ).format(id=broken, action=ev["action"])
    return [text], lead


# -- copy -------------------------------------------------------------------------------
@dataclass
class CopyResult:
    source: str
    target: str
    counts: dict[str, int]
    checksum: str


def _same_database(a: sa.engine.URL, b: sa.engine.URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return bool(a.database and b.database) and (
            Path(a.database).resolve() == Path(b.database).resolve()
        )
    return (a.host, a.port or 5432, a.database) == (b.host, b.port or 5432, b.database)


def copy(source: sa.Engine, target_url: str) -> CopyResult:
    """Copy the whole register (ids, numbers, counters, hashes) into an empty register at
    `target_url` (created at the current schema if need be), in one transaction there, and
    commit only after every table's count and every case's checksum were found equal."""
    if _same_database(source.url, sa.engine.make_url(target_url)):
        raise DatabaseError(N_("db copy: --to names the database being copied"))
    target = open_db(target_url, create=True)  # the copy's output: made if need be
    name = engine_name(target)
    try:
        with snapshot(source) as src, target.connect() as dst:
            dst.execution_options(complaintctl_write=True)
            with dst.begin():
                _refuse_unless_empty(dst, name)
                _copy_rows(src, dst)
                if dst.dialect.name == "postgresql":
                    for table in (BATCHES, CASES, EVENTS, ATTACHMENTS):
                        dst.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                        )
                result = _verify(src, dst)
    except sa.exc.DBAPIError as exc:
        detail = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
        raise DatabaseError(
            N_("db copy to {name} failed; nothing was copied: {error}"), name=name, error=detail
        ) from None
    return CopyResult(engine_name(source), name, *result)


def _refuse_unless_empty(dst: sa.Connection, name: str) -> None:
    if dst.dialect.name == "postgresql":
        # Nobody may start using the new register while it is being filled.
        dst.exec_driver_sql("LOCK TABLE cases, events, attachments, counters IN EXCLUSIVE MODE")
    held = counts(dst)
    if held["cases"] or held["events"] or held["attachments"] or held["counters"]:
        raise DatabaseError(
            N_("db copy: {name} already holds {cases} cases; the target must be an empty register"),
            name=name,
            cases=held["cases"],
        )


def _copy_rows(src: sa.Connection, dst: sa.Connection) -> None:
    # The target's meta was written when open_db created it: the source's replaces it.
    dst.execute(sa.delete(META))
    for table in TABLES:
        per = BLOB_BATCH if table is ATTACHMENTS else BATCH
        key = list(table.primary_key.columns)
        result = src.execute(sa.select(table).order_by(*key), execution_options={"yield_per": per})
        for part in result.mappings().partitions():
            dst.execute(table.insert(), [dict(row) for row in part])


def _verify(src: sa.Connection, dst: sa.Connection) -> tuple[dict[str, int], str]:
    """(counts, overall checksum) when both sides hold the same; else DatabaseError naming
    what differs (raised inside the target's transaction, so nothing is committed)."""
    before, after = counts(src), counts(dst)
    for table, n in before.items():
        if after[table] != n:
            raise DatabaseError(
                N_(
                    "db copy: {table} has {rows} rows here but {copied} in the copy; "
                    "nothing was committed"
                ),
                table=table,
                rows=n,
                copied=after[table],
            )
    overall = hashlib.sha256()
    for table in (META, COUNTERS, BATCHES):
        a, b = _small_table_checksum(src, table), _small_table_checksum(dst, table)
        if a != b:
            raise DatabaseError(
                N_("db copy: table {table} differs; nothing was committed"), table=table.name
            )
        overall.update(a.encode())
    theirs = histories(dst)
    for mine in histories(src):
        other = next(theirs, None)
        if other is None or other.case["id"] != mine.case["id"]:
            raise DatabaseError(
                N_("db copy: case {number} is missing from the copy; nothing was committed"),
                number=mine.case["number"],
            )
        digest = case_checksum(mine)
        if case_checksum(other) != digest:
            raise DatabaseError(
                N_(
                    "db copy: case {number} differs in the copy (its row, events or "
                    "attachments); nothing was committed"
                ),
                number=mine.case["number"],
            )
        overall.update(digest.encode())
    return before, overall.hexdigest()
