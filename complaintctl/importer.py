"""Batch import of complaints from CSV or JSON Lines: mapped, validated, all-or-nothing,
safe to re-run.  Streams the file and writes in batches through SQLAlchemy Core."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from complaintctl.clock import to_utc
from complaintctl.enums import Action, CustomerType, Kind, Remedy, Responsibility, Severity
from complaintctl.errors import ComplaintError, ConfigError, DatabaseError, InvalidValue
from complaintctl.models import Case, Event, imported_state
from complaintctl.parse import parse_amount
from complaintctl.register import Register

BATCH = 2000
LONG_TEXT = 100_000  # the same limit as a live case's long text fields
TEXT_FIELDS = {
    "external_ref": 200,
    "customer_name": 200,
    "contact": 200,
    "summary": 500,
    "description": LONG_TEXT,
    "demand": LONG_TEXT,
    "order_no": 100,
    "product": 200,
    "reject_reason": LONG_TEXT,
    "owner": 100,
    "findings": LONG_TEXT,
    "root_cause": LONG_TEXT,
    "proposal": LONG_TEXT,
    "resolution_note": LONG_TEXT,
    "feedback_comment": LONG_TEXT,
    "close_reason": LONG_TEXT,
}
TIME_FIELDS = (
    "received_at",
    "acknowledged_at",
    "classified_at",
    "assigned_at",
    "investigated_at",
    "resolved_at",
    "feedback_at",
    "closed_at",
)
AMOUNT_FIELDS = {"amount_claimed": "amount_claimed_cents", "remedy_amount": "remedy_amount_cents"}
CODE_FIELDS = (
    "channel",
    "customer_type",
    "category",
    "severity",
    "kind",
    "department",
    "responsibility",
    "remedy",
)
FIELDS = (*TEXT_FIELDS, *TIME_FIELDS, *AMOUNT_FIELDS, *CODE_FIELDS, "feedback_score")
REQUIRED = ("received_at", "channel", "customer_name", "contact", "summary")


class ImportError_(ComplaintError):
    """The file cannot be read as a whole (encoding, truncated record, mapping)."""


@dataclass
class Mapping:
    """Source columns → our fields, source values → our codes, defaults, unmapped rule."""

    columns: dict[str, str] = field(default_factory=lambda: {f: f for f in FIELDS})
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: dict[str, str] = field(default_factory=dict)  # field -> "error" | fallback code
    identity: bool = True  # no mapping file: columns named as our fields, those present


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file (TOML); errors name the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"--mapping: cannot read {path}: {exc}") from None
    for key in data:
        if key not in ("columns", "defaults", "values", "unmapped"):
            raise ConfigError(
                f"mapping {key}: unknown section; allowed: columns, defaults, values, unmapped"
            )
    m = Mapping(columns={}, defaults={}, values={}, unmapped={}, identity=False)
    for section in ("columns", "defaults", "unmapped"):
        table = data.get(section, {})
        for name, value in table.items():
            if name not in FIELDS:
                raise ConfigError(
                    f"mapping {section}.{name}: unknown field; allowed: " + ", ".join(FIELDS)
                )
            if not isinstance(value, str):
                raise ConfigError(f"mapping {section}.{name}: must be a string")
            getattr(m, section)[name] = value
    for name, table in data.get("values", {}).items():
        if name not in CODE_FIELDS or not isinstance(table, dict):
            raise ConfigError(
                f"mapping values.{name}: values can be mapped for " + ", ".join(CODE_FIELDS)
            )
        m.values[name] = {str(k).strip().lower(): str(v) for k, v in table.items()}
    if not m.columns:
        raise ConfigError("mapping columns: map at least one source column")
    return m


@dataclass
class RowError:
    line: int
    field: str
    value: str
    reason: str
    row: dict = field(default_factory=dict, repr=False)


@dataclass
class ImportResult:
    read: int = 0
    imported: int = 0
    present: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def rejected(self) -> int:
        return len({e.line for e in self.errors})


# -- reading --------------------------------------------------------------------------
def read_csv(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    """(line number where the record starts, row) for each non-blank record."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ImportError_(f"line 1: not CSV: {exc}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportError_(f"line {line}: {exc} (a truncated or unterminated record)") from None
        if not values or all(not v.strip() for v in values):
            line = reader.line_num + 1
            continue
        if len(values) != len(header):
            raise ImportError_(
                f"line {line}: has {len(values)} fields, the header has "
                f"{len(header)} (a truncated or malformed record)"
            )
        yield line, dict(zip(header, values, strict=True))
        line = reader.line_num + 1


def read_jsonl(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportError_(f"line {number}: not JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise ImportError_(f"line {number}: each line must be a JSON object")
        yield number, {k: "" if v is None else str(v) for k, v in obj.items()}


# -- values ---------------------------------------------------------------------------
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_XYY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class TimeParser:
    """Dates and times in the forms real files carry, read in the office zone; cached,
    because the same date string recurs thousands of times in a file."""

    def __init__(self, tz: ZoneInfo, dayfirst: bool | None) -> None:
        self.tz, self.dayfirst = tz, dayfirst
        self._cache: dict[str, dt.datetime | str] = {}

    def __call__(self, text: str) -> dt.datetime:
        hit = self._cache.get(text)
        if hit is None:
            try:
                hit = self._parse(text)
            except ValueError as exc:
                hit = str(exc)
            if len(self._cache) >= 20_000:
                self._cache.clear()  # bounded: memory must not grow with the file
            self._cache[text] = hit
        if isinstance(hit, str):
            raise ValueError(hit)
        return hit

    def _parse(self, text: str) -> dt.datetime:
        text = text.strip()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None and (m := _YMD.match(text)):
            y, mo, d, h, mi, sec = m.groups()
            value = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
        if value is None and (m := _XYY.match(text)):
            a, b, y, h, mi, sec = m.groups()
            a, b = int(a), int(b)
            if self.dayfirst is None and a <= 12 and b <= 12 and a != b:
                raise ValueError(
                    "is ambiguous (day/month or month/day?); use --dayfirst or --monthfirst"
                )
            dayfirst = self.dayfirst if self.dayfirst is not None else a > 12
            day, month = (a, b) if dayfirst else (b, a)
            value = dt.datetime(int(y), month, day, int(h or 0), int(mi or 0), int(sec or 0))
        if value is None:
            from dateutil import parser

            try:
                # Parsed against two different defaults: a part the text lacks (year,
                # month, day) shows as a difference, and such a cell is not a date.
                value = parser.parse(
                    text, dayfirst=bool(self.dayfirst), default=dt.datetime(2001, 1, 1)
                )
                if (
                    value.date()
                    != parser.parse(
                        text, dayfirst=bool(self.dayfirst), default=dt.datetime(2002, 2, 2)
                    ).date()
                ):
                    raise ValueError
            except (ValueError, OverflowError):
                raise ValueError(
                    "is not a date/time (e.g. 2025-10-03 or 2025-10-03 14:05)"
                ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return to_utc(value)


def _amount(text: str) -> int:
    try:
        return parse_amount("", text)
    except InvalidValue as exc:
        raise ValueError(str(exc).split(": ", 1)[1].replace(repr(text) + " ", "")) from None


class RowConverter:
    """A source row → the columns of a new case, or the first RowError found."""

    def __init__(
        self, reg: Register, mapping: Mapping, dayfirst: bool | None, now: dt.datetime
    ) -> None:
        s = reg.settings
        self.reg, self.mapping, self.now = reg, mapping, now
        self.time = TimeParser(s.tz, dayfirst)
        self.allowed = {
            "channel": s.channels,
            "category": s.category_codes,
            "department": s.department_codes,
            "customer_type": tuple(e.value for e in CustomerType),
            "severity": tuple(e.value for e in Severity),
            "kind": tuple(e.value for e in Kind),
            "responsibility": tuple(e.value for e in Responsibility),
            "remedy": tuple(e.value for e in Remedy),
        }
        self.lookup = {f: {a.lower(): a for a in codes} for f, codes in self.allowed.items()}
        for f, table in mapping.values.items():
            for code in table.values():
                if code.lower() not in self.lookup[f]:
                    raise ConfigError(
                        f"mapping values.{f}: {code!r} is not a {f}; allowed: "
                        + ", ".join(self.allowed[f])
                    )
        for f, rule in mapping.unmapped.items():
            if f not in CODE_FIELDS:
                raise ConfigError(f"mapping unmapped.{f}: only for " + ", ".join(CODE_FIELDS))
            if rule != "error" and rule.lower() not in self.lookup[f]:
                raise ConfigError(
                    f"mapping unmapped.{f}: {rule!r} is neither 'error' nor a "
                    f"{f}; allowed: " + ", ".join(self.allowed[f])
                )

    _plan: list[tuple[str, str | None, str]] | None = None

    def check_header(self, header: list[str], line: int = 1) -> None:
        self._plan = None
        if self.mapping.identity:
            self.mapping.columns = {f: f for f in FIELDS if f in header}
        missing = [c for c in self.mapping.columns.values() if c not in header]
        if missing:
            raise ImportError_(
                f"line {line}: the mapping names column {missing[0]!r}, which "
                "the file does not have; it has: " + ", ".join(header)
            )

    def convert(self, line: int, row: dict) -> dict | RowError:
        m = self.mapping
        if self._plan is None:
            # Only the fields that can have a value: mapped to a column, or defaulted.
            self._plan = [
                (f, m.columns.get(f), m.defaults.get(f, ""))
                for f in FIELDS
                if f in m.columns or f in m.defaults
            ]
        v: dict = {}
        for name, column, default in self._plan:
            raw = row.get(column) if column else None
            raw = (raw.strip() if raw else "") or default
            if not raw:
                continue
            try:
                v.update(self._value(name, raw))
            except ValueError as exc:
                return RowError(line, column or name, raw, f"{name} {exc}", row)
        for name in REQUIRED:
            if not v.get(name):
                return RowError(line, m.columns.get(name, name), "", f"{name} is required", row)
        # The procedure's order: each step time given must not be before the one before it
        # (feedback and closing both follow resolution).
        previous = "received_at"
        for name in TIME_FIELDS[1:]:
            when = v.get(name)
            if not when:
                continue
            if when < v[previous]:
                return RowError(
                    line,
                    m.columns.get(name, name),
                    row.get(m.columns.get(name, ""), ""),
                    f"{name} is before {previous}",
                    row,
                )
            if name != "feedback_at":
                previous = name
        for name in TIME_FIELDS:
            if v.get(name) and v[name] > self.now:
                return RowError(
                    line,
                    m.columns.get(name, name),
                    row.get(m.columns.get(name, ""), ""),
                    f"{name} is in the future",
                    row,
                )
        return v

    def _value(self, name: str, raw: str) -> dict:
        if name in TIME_FIELDS:
            return {name: self.time(raw)}
        if name in AMOUNT_FIELDS:
            return {AMOUNT_FIELDS[name]: _amount(raw)}
        if name == "feedback_score":
            if not raw.isdigit() or not 1 <= int(raw) <= 5:
                raise ValueError("must be a whole number 1..5")
            return {name: int(raw)}
        if name in CODE_FIELDS:
            key = raw.lower()
            code = self.mapping.values.get(name, {}).get(key, raw).lower()
            found = self.lookup[name].get(code)
            if found is None:
                rule = self.mapping.unmapped.get(name, "error")
                if rule == "error":
                    raise ValueError(
                        f"{raw!r} is not mapped; allowed: " + ", ".join(self.allowed[name])
                    )
                found = self.lookup[name][rule.lower()]
            return {name: found}
        limit = TEXT_FIELDS[name]
        if len(raw) > limit:
            raise ValueError(f"is {len(raw)} characters long; at most {limit}")
        if "\x00" in raw:
            raise ValueError("must not contain NUL characters")
        return {name: raw}


# -- writing --------------------------------------------------------------------------
def import_rows(
    reg: Register,
    rows: Iterator[tuple[int, dict]],
    mapping: Mapping,
    *,
    now: dt.datetime,
    actor: str,
    source: str,
    dayfirst: bool | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    update: bool = False,
    check_header: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import every row in one transaction: committed only if every row is good (or
    `skip_invalid`), and never with `dry_run`; a re-run finds rows already present by
    their external reference."""
    from complaintctl.services import contact_key, reserve_numbers

    conv = RowConverter(reg, mapping, dayfirst, now)
    result = ImportResult()
    clock = reg.clock
    min_score = reg.settings.satisfied_min_score
    pattern = reg.settings.number_pattern
    cases, events = Case.__table__, Event.__table__
    insert_columns = _CASE_COLUMNS  # executemany wants every key
    seen_refs: set[str] = set()
    header_checked = not check_header  # JSON Lines objects may leave keys out

    def flush(batch: list[tuple[int, dict]], conn: sa.Connection) -> None:
        refs = [v["external_ref"] for _, v in batch if v.get("external_ref")]
        existing = {}
        if refs:
            existing = dict(
                conn.execute(
                    sa.select(cases.c.external_ref, cases.c.id).where(
                        cases.c.external_ref.in_(refs)
                    )
                ).all()
            )
        new = []
        for line, v in batch:
            ref = v.get("external_ref")
            if ref and ref in existing:
                if update and _update(conn, existing[ref], v, line):
                    result.updated += 1
                else:
                    result.present += 1
                continue
            new.append((line, v))
        by_year: dict[int, list[dict]] = {}
        for _, v in new:
            by_year.setdefault(reg.calendar.local_date(v["received_at"]).year, []).append(v)
        for year, values in by_year.items():
            for v, number in zip(
                values, reserve_numbers(conn, pattern, year, len(values)), strict=True
            ):
                v["number"] = number
        if not new:
            return
        if conn.dialect.name == "sqlite":
            # The transaction holds SQLite's write lock (BEGIN IMMEDIATE): nobody else can
            # take ids meanwhile, so give them out here, and hand the driver plain tuples
            # in the exact text format SQLAlchemy's DateTime uses on SQLite.
            first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0))).scalar()
            ids = list(range(first + 1, first + 1 + len(new)))
            conn.exec_driver_sql(
                _SQLITE_INSERT,
                [
                    (case_id, *map(_sqlite_value, map(v.get, insert_columns)))
                    for case_id, (_, v) in zip(ids, new, strict=True)
                ],
            )
        else:
            ids = (
                conn.execute(
                    sa.insert(cases).returning(cases.c.id, sort_by_parameter_order=True),
                    [{c: v.get(c) for c in insert_columns} for _, v in new],
                )
                .scalars()
                .all()
            )
        conn.execute(
            events.insert(),
            [
                {
                    "case_id": case_id,
                    "action": Action.import_.value,
                    "at": v["received_at"],
                    "recorded_at": now,
                    "actor": actor,
                    "step_from": None,
                    "step_to": v["step"],
                    "note": f"imported from {source} line {line}",
                    "changes": None,  # what was imported is the case row itself
                }
                for case_id, (line, v) in zip(ids, new, strict=True)
            ],
        )
        result.imported += len(new)

    def _update(conn: sa.Connection, case_id: int, v: dict, line: int) -> bool:
        # A case somebody has worked on here since it was imported belongs to complaintctl
        # now: the source file must not wind it back.
        worked_on = conn.execute(
            sa.select(events.c.id)
            .where(events.c.case_id == case_id, events.c.action != Action.import_.value)
            .limit(1)
        ).first()
        if worked_on:
            return False
        current = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().one()
        changed = {
            k: [_plain(current[k]), _plain(val)]
            for k, val in v.items()
            if k in cases.c and k not in _BOOKKEEPING and current[k] != val
        }
        if not changed:
            return False
        conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id)
            .values(**{k: v[k] for k in changed}, version=current["version"] + 1)
        )
        conn.execute(
            events.insert().values(
                case_id=case_id,
                action=Action.import_.value,
                at=now,
                recorded_at=now,
                actor=actor,
                step_from=current["step"],
                step_to=v.get("step", current["step"]),
                note=f"updated from {source} line {line}",
                changes=json.dumps(changed, ensure_ascii=False, sort_keys=True),
            )
        )
        return True

    with reg.engine.connect() as conn:
        conn.execution_options(complaintctl_write=True)
        trans = conn.begin()
        try:
            batch: list[tuple[int, dict]] = []
            for line, row in rows:
                if not header_checked:
                    conv.check_header(list(row))
                    header_checked = True
                result.read += 1
                v = conv.convert(line, row)
                if isinstance(v, RowError):
                    result.errors.append(v)
                else:
                    ref = v.get("external_ref")
                    if ref and ref in seen_refs:
                        result.errors.append(
                            RowError(
                                line,
                                mapping.columns.get("external_ref", "external_ref"),
                                ref,
                                "external_ref appears twice in this file",
                                row,
                            )
                        )
                        continue
                    if ref:
                        seen_refs.add(ref)
                    v["contact_key"] = contact_key(v["contact"])
                    v.setdefault("customer_type", CustomerType.individual.value)
                    v.update(
                        logged_at=now, logged_by=actor, on_hold=False, reopen_count=0, version=1
                    )
                    imported_state(v, clock, min_score)
                    batch.append((line, v))
                if len(batch) >= BATCH:
                    flush(batch, conn)
                    batch = []
                if progress:
                    progress(result.read)
            if batch:
                flush(batch, conn)
            if dry_run or (result.errors and not skip_invalid):
                trans.rollback()
            else:
                trans.commit()
                result.written = True
        except sa.exc.OperationalError as exc:
            trans.rollback()
            raise DatabaseError(f"database unavailable: {exc.orig}") from None
        except BaseException:
            trans.rollback()
            raise
    return result


_CASE_COLUMNS = [c.name for c in Case.__table__.c if c.name != "id"]
_SQLITE_INSERT = (
    f"INSERT INTO cases (id, {', '.join(_CASE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_CASE_COLUMNS) + 1))})"
)


def _sqlite_value(value: object) -> object:
    """A value as SQLAlchemy would bind it on SQLite (naive UTC times as text)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "microseconds")
    return value


# Columns about the import itself, never compared or copied by --update.
_BOOKKEEPING = frozenset(
    {"id", "number", "logged_at", "logged_by", "version", "on_hold", "reopen_count"}
)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value
