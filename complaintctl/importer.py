"""Batch import of complaints from CSV or JSON Lines: mapped, validated, all-or-nothing,
safe to re-run.  Streams the file and writes in batches through SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import hashlib
import io
import json
import os
import pickle
import re
import signal
import threading
import tomllib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from complaintctl import batches as batches_
from complaintctl import fields
from complaintctl.clock import to_utc
from complaintctl.enums import Action, CustomerType, Kind, Remedy, Responsibility, Severity
from complaintctl.errors import (
    CaseChanged,
    ComplaintError,
    ConfigError,
    DatabaseError,
)
from complaintctl.history import SEALED, event_hash
from complaintctl.messages import _
from complaintctl.models import Case, Event
from complaintctl.parse import DAY_MONTH, FIRST_YEAR, LAST_YEAR, amount_cents
from complaintctl.register import Register
from complaintctl.workflow import replay

BATCH = 2000
BULK_CACHE_KIB = 16_000  # the page cache during an import (SQLite's default: 2 MB)
# The fields a row may hold, their limits and the required ones: complaintctl.fields.
LONG_TEXT = fields.LONG_TEXT  # the same limit as a live case's long text fields
TEXT_FIELDS = {name: fields.limit(name) for name in fields.of_kind(fields.TEXT)}
TIME_FIELDS = fields.of_kind(fields.TIME)
AMOUNT_FIELDS = {f.name: f.column for f in fields.IMPORTED if f.kind == fields.AMOUNT}
CODE_FIELDS = fields.of_kind(fields.CODE)
FIELDS = (*TEXT_FIELDS, *TIME_FIELDS, *AMOUNT_FIELDS, *CODE_FIELDS, *fields.of_kind(fields.SCORE))
REQUIRED = fields.REQUIRED


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
        raise ConfigError(
            _("--mapping: cannot read {path}: {error}").format(path=path, error=exc)
        ) from None
    except RecursionError:  # arrays or tables nested hundreds deep
        raise ConfigError(
            _("--mapping: cannot read {path}: nested too deeply").format(path=path)
        ) from None
    for key in data:
        if key not in ("columns", "defaults", "values", "unmapped"):
            raise ConfigError(
                _(
                    "mapping {key}: unknown section; allowed: columns, defaults, values, unmapped"
                ).format(key=key)
            )
    m = Mapping(columns={}, defaults={}, values={}, unmapped={}, identity=False)
    for section in ("columns", "defaults", "unmapped"):
        table = data.get(section, {})
        for name, value in table.items():
            if name not in FIELDS:
                raise ConfigError(
                    _("mapping {key}: unknown field; allowed: {allowed}").format(
                        key=f"{section}.{name}", allowed=", ".join(FIELDS)
                    )
                )
            if not isinstance(value, str):
                raise ConfigError(
                    _("mapping {key}: must be a string").format(key=f"{section}.{name}")
                )
            getattr(m, section)[name] = value
    for name, table in data.get("values", {}).items():
        if name not in FIELDS or not isinstance(table, dict):
            raise ConfigError(
                _("mapping values.{name}: values can be mapped for {allowed}").format(
                    name=name, allowed=", ".join(FIELDS)
                )
            )
        m.values[name] = {str(k).strip().lower(): str(v) for k, v in table.items()}
    if not m.columns:
        raise ConfigError(_("mapping columns: map at least one source column"))
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

    def over(self, percent: float | None) -> bool:
        """Whether more than `percent` % of the rows read were rejected."""
        return percent is not None and self.rejected * 100 > percent * self.read


# -- reading --------------------------------------------------------------------------
def read_csv(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    """(line number where the record starts, row) for each non-blank record."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ImportError_(_("line {line}: not CSV: {error}").format(line=1, error=exc)) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportError_(
                _("line {line}: {error} (a truncated or unterminated record)").format(
                    line=line, error=exc
                )
            ) from None
        if not values or all(not v.strip() for v in values):
            line = reader.line_num + 1
            continue
        if len(values) != len(header):
            # A bad row like any other (rejected, listed, written to the rejects file),
            # not the end of the import: real exports lose a trailing empty field.
            yield line, _Misshapen.of(header, values)
            line = reader.line_num + 1
            continue
        yield line, dict(zip(header, values, strict=True))
        line = reader.line_num + 1


EXTRA_COLUMN = "_extra"  # a long record's values past the header's columns


class _Misshapen(dict):
    """A record with more or fewer fields than the header: its values under the header's
    names (missing ones empty; the rest, as CSV, under EXTRA_COLUMN)."""

    @classmethod
    def of(cls, header: list[str], values: list[str]) -> _Misshapen:
        row = cls(zip(header, values, strict=False))
        for name in header[len(values) :]:
            row.setdefault(name, "")
        if len(values) > len(header):
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow(values[len(header) :])
            row[EXTRA_COLUMN] = buf.getvalue()
            row.column, row.value = EXTRA_COLUMN, row[EXTRA_COLUMN]
        else:
            row.column, row.value = header[len(values)], ""  # the first column it lacks
        row.reason = _(
            "the record has {fields} fields, the header has {header} "
            "(a truncated or malformed record)"
        ).format(fields=len(values), header=len(header))
        return row

    def error(self, line: int) -> RowError:
        return RowError(line, self.column, self.value, self.reason, dict(self))


def rereader(
    raw: IO[bytes], encoding: str
) -> Callable[[], contextlib.AbstractContextManager[IO[str]]]:
    """For a seekable file: a function giving it again as text from where it is now, for
    a pass over it before the import's own (then back at that place)."""
    origin = raw.tell()

    @contextlib.contextmanager
    def again() -> Iterator[IO[str]]:
        at = raw.tell()
        raw.seek(origin)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()
            raw.seek(at)

    return again


def read_jsonl(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportError_(
                _("line {line}: not JSON: {error}").format(line=number, error=exc.msg)
            ) from None
        if not isinstance(obj, dict):
            raise ImportError_(
                _("line {line}: each line must be a JSON object").format(line=number)
            )
        yield number, {k: "" if v is None else str(v) for k, v in obj.items()}


class CellTime(str):
    """A spreadsheet's date or date-time cell (complaintctl.xlsxread): its text as the CSV
    twin would hold it, and `at`, the naive office-local time it holds, which the importer
    takes as it is (no text parsing, no day/month guessing; a date cell is 00:00 that day)."""

    at: dt.datetime

    def __new__(cls, at: dt.datetime) -> CellTime:
        if at.time() == dt.time():
            text = at.date().isoformat()
        else:
            text = at.isoformat(" ", "milliseconds" if at.microsecond else "seconds")
        cell = super().__new__(cls, text)
        cell.at = at
        return cell

    def __reduce__(self) -> tuple:
        return CellTime, (self.at,)


# -- values ---------------------------------------------------------------------------
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_XYY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


_fromisoformat = dt.datetime.fromisoformat
_FIRST_YEAR, _LAST_YEAR = FIRST_YEAR, LAST_YEAR


class TimeParser:
    """Dates and times in the forms real files carry, read in the office zone; cached,
    because the same date string recurs thousands of times in a file."""

    def __init__(self, tz: ZoneInfo, dayfirst: bool | None) -> None:
        self.tz, self.dayfirst = tz, dayfirst
        self._cache: dict[str, dt.datetime | str] = {}
        self._utcoffset = tz.utcoffset

    def __call__(self, text: str) -> dt.datetime:
        # Most files carry ISO-like times ("2025-10-03 14:05"), each one different: read
        # those straight away (what _parse() would do first), cache only the rest.
        try:
            value = _fromisoformat(text)
        except ValueError:
            return self._cached(text)
        if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
            return self._cached(text)  # refused there, with the reason
        if value.tzinfo is None:
            # to_utc(value.replace(tzinfo=tz)) in one step: the same offset, subtracted.
            return value - self._utcoffset(value)
        return to_utc(value)

    def _cached(self, text: str) -> dt.datetime:
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
                    _("is ambiguous (day/month or month/day?); use --dayfirst or --monthfirst")
                )
            dayfirst = self.dayfirst if self.dayfirst is not None else a > 12
            day, month = (a, b) if dayfirst else (b, a)
            value = dt.datetime(int(y), month, day, int(h or 0), int(mi or 0), int(sec or 0))
        if value is None:
            from dateutil import parser

            try:
                # Parsed against two different defaults: a part the text lacks (year,
                # month, day) shows as a difference, and such a cell is not a date.
                # (dayfirst would also swap month and day of a year-first date)
                dayfirst = bool(self.dayfirst) and DAY_MONTH.match(text) is not None
                value = parser.parse(text, dayfirst=dayfirst, default=dt.datetime(2001, 1, 1))
                if (
                    value.date()
                    != parser.parse(text, dayfirst=dayfirst, default=dt.datetime(2002, 2, 2)).date()
                ):
                    raise ValueError
            except (ValueError, OverflowError):
                raise ValueError(
                    _("is not a date/time (e.g. 2025-10-03 or 2025-10-03 14:05)")
                ) from None
        if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
            raise ValueError(
                _("is outside the years {first}-{last}").format(first=_FIRST_YEAR, last=_LAST_YEAR)
            )
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return to_utc(value)


# -- the day/month order of each time column: a first pass over the file ----------------
@dataclass
class ColumnDates:
    """What the first pass found in one time column: the first cell (line, text) that
    can only be day first (13/10/2025), only month first (10/13/2025), or either
    (03/10/2025)."""

    dayfirst: tuple[int, str] | None = None
    monthfirst: tuple[int, str] | None = None
    ambiguous: tuple[int, str] | None = None

    def add(self, line: int, text: str, a: int, b: int) -> None:
        if a > 12:
            if b <= 12 and self.dayfirst is None:
                self.dayfirst = (line, text)
        elif b > 12:
            if self.monthfirst is None:
                self.monthfirst = (line, text)
        elif a != b and a and b and self.ambiguous is None:
            self.ambiguous = (line, text)


def scan_dates(stream: IO[str], columns: Collection[str], jsonl: bool = False) -> dict:
    """{column: ColumnDates} for these source columns, from a first pass over the file
    that looks at their cells only.  Where the file cannot be read the pass just stops:
    the import's own pass reports it."""
    found = {c: ColumnDates() for c in columns}
    match = DAY_MONTH.match
    try:
        if jsonl:
            return scan_rows(read_jsonl(stream), columns)
        reader = csv.reader(stream, strict=True)
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
        where = [(header.index(c), dates) for c, dates in found.items() if c in header]
        if not where:
            return found
        line = reader.line_num + 1
        for values in reader:
            for i, dates in where:
                if i < len(values) and (m := match(values[i])):
                    dates.add(line, values[i].strip(), int(m.group(1)), int(m.group(2)))
            line = reader.line_num + 1
    except (csv.Error, ImportError_):
        pass
    return found


def scan_rows(rows: Iterator[tuple[int, dict]], columns: Collection[str]) -> dict:
    """scan_dates() over rows already read (JSON Lines, a workbook's sheet): only text
    cells count (a spreadsheet's date cells have no order to guess)."""
    found = {c: ColumnDates() for c in columns}
    match = DAY_MONTH.match
    for line, row in rows:
        for column, dates in found.items():
            text = row.get(column)
            if text and text.__class__ is str and (m := match(text)):
                dates.add(line, text.strip(), int(m.group(1)), int(m.group(2)))
    return found


def column_orders(found: dict[str, ColumnDates], date_order: str | None) -> dict[str, bool | None]:
    """{column: day first?} as each column's own cells decide: a cell that can only be
    read one way fixes the order of the whole column; a column holding only dates that
    can be read either way takes `date_order` (the config's), and without it is refused,
    as is a column holding both orders."""
    fallback = None if date_order is None else date_order == "dayfirst"
    orders: dict[str, bool | None] = {}
    for column, dates in found.items():
        if dates.dayfirst and dates.monthfirst:
            (day_line, day_text), (month_line, month_text) = dates.dayfirst, dates.monthfirst
            raise ImportError_(
                _(
                    "column {column}: some dates have the day first (line {day_line}: "
                    "{day_text}), some the month first (line {month_line}: {month_text}); "
                    "correct the file, or choose with --dayfirst or --monthfirst"
                ).format(
                    column=repr(column),
                    day_line=day_line,
                    day_text=day_text,
                    month_line=month_line,
                    month_text=month_text,
                )
            )
        if dates.dayfirst or dates.monthfirst:
            orders[column] = bool(dates.dayfirst)
        elif dates.ambiguous and fallback is None:
            line, text = dates.ambiguous
            raise ImportError_(
                _(
                    "column {column}: every date like {text} (line {line}) can be read day "
                    "first or month first; use --dayfirst or --monthfirst, or set date_order "
                    "in the config"
                ).format(column=repr(column), text=text, line=line)
            )
        else:
            orders[column] = fallback
    return orders


_amount = amount_cents  # ValueError with the reason, as every converter here


class RowConverter:
    """A source row → the columns of a new case, or the first RowError found."""

    def __init__(
        self, reg: Register, mapping: Mapping, dayfirst: bool | None, now: dt.datetime
    ) -> None:
        s = reg.settings
        self.reg, self.mapping, self.now = reg, mapping, now
        # Day first, month first, or undecided (03/10/2025 refused): the --dayfirst or
        # --monthfirst given, else the config's; set_orders() decides per column.
        if dayfirst is None and s.date_order is not None:
            dayfirst = s.date_order == "dayfirst"
        self.dayfirst, self._orders = dayfirst, {}
        self._parsers = {d: TimeParser(s.tz, d) for d in (None, True, False)}
        self.time = self._parsers[dayfirst]
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
            if f not in CODE_FIELDS:
                self._check_values(f, table)
                continue
            for code in table.values():
                if code.lower() not in self.lookup[f]:
                    raise ConfigError(
                        _(
                            "mapping values.{field}: {code} is not a {field}; allowed: {allowed}"
                        ).format(field=f, code=repr(code), allowed=", ".join(self.allowed[f]))
                    )
        for f, rule in mapping.unmapped.items():
            if f not in CODE_FIELDS:
                raise ConfigError(
                    _("mapping unmapped.{field}: only for {allowed}").format(
                        field=f, allowed=", ".join(CODE_FIELDS)
                    )
                )
            if rule != "error" and rule.lower() not in self.lookup[f]:
                raise ConfigError(
                    _(
                        "mapping unmapped.{field}: {rule} is neither 'error' nor a {field}; "
                        "allowed: {allowed}"
                    ).format(field=f, rule=repr(rule), allowed=", ".join(self.allowed[f]))
                )

    def _check_values(self, name: str, table: dict[str, str]) -> None:
        """A value mapping of a field without codes: each value it gives must be one the
        field takes ("" leaves the cell empty)."""
        read = self._converter(name)
        for source, value in table.items():
            if value.strip():
                try:
                    read(value.strip())
                except ValueError as exc:
                    raise ConfigError(
                        _("mapping values.{field}: {source} = {value}: {field} {reason}").format(
                            field=name, source=repr(source), value=repr(value), reason=exc
                        )
                    ) from None

    def set_orders(self, orders: dict[str, bool | None]) -> None:
        """Each source column's day/month order (column_orders()), for the dates in it."""
        self._orders, self._plan = orders, None

    def _time_parser(self, name: str) -> TimeParser:
        column = self.mapping.columns.get(name)
        return self._parsers[self._orders.get(column, self.dayfirst)]

    # (field, source column, default, key in the result, converter) for each field that
    # can have a value: mapped to a column, or defaulted.
    _plan: list[tuple[str, str | None, str, str, Callable[[str], object]]] | None = None

    def check_header(self, header: list[str], line: int = 1) -> None:
        self._plan = None
        if self.mapping.identity:
            self.mapping.columns = {f: f for f in FIELDS if f in header}
        missing = [c for c in self.mapping.columns.values() if c not in header]
        if missing:
            raise ImportError_(
                _(
                    "line {line}: the mapping names column {column}, which the file does not "
                    "have; it has: {header}"
                ).format(line=line, column=repr(missing[0]), header=", ".join(header))
            )

    def _make_plan(self) -> list[tuple[str, str | None, str, str, Callable[[str], object]]]:
        m = self.mapping
        return [
            (
                f,
                m.columns.get(f),
                m.defaults.get(f, ""),
                AMOUNT_FIELDS.get(f, f),
                self._converter(f)
                if f in CODE_FIELDS or f not in m.values
                else self._mapped(m.values[f], self._converter(f), m.defaults.get(f, "")),
            )
            for f in FIELDS
            if f in m.columns or f in m.defaults
        ]

    @staticmethod
    def _mapped(
        table: dict[str, str], read: Callable[[str], object], default: str
    ) -> Callable[[str], object]:
        """`read` after the mapping's [values] for the field: a value it maps to "" is
        an empty cell (the default, if any)."""

        def lookup(raw: str) -> object:
            value = table.get(raw.lower())
            if value is None:
                return read(raw)
            value = value.strip() or default
            return read(value) if value else None

        return lookup

    def _split_plan(self) -> None:
        """The plan, split as convert() goes through it: texts, times, the rest."""
        plan = self._plan = self._make_plan()
        # Texts and times whose values the mapping translates go the general way.
        inline = [p for p in plan if p[0] not in self.mapping.values]
        self._texts = [(p[0], p[1], p[2], TEXT_FIELDS[p[0]]) for p in inline if p[0] in TEXT_FIELDS]
        self._times = [(*p[:3], p[4]) for p in inline if p[0] in TIME_FIELDS]
        general = {p[0] for p in self._texts} | {p[0] for p in self._times}
        self._others = [p for p in plan if p[0] not in general]

    def convert(self, line: int, row: dict) -> dict | RowError:
        if self._plan is None:
            self._split_plan()
        v: dict = {}
        # Field by field in FIELDS order (texts, times, the rest), so the first bad cell of a
        # row is the one reported; texts and times are spelled out, being most of the work.
        get = row.get
        for name, column, default, limit in self._texts:
            raw = get(column) if column else None
            raw = (raw.strip() if raw else "") or default
            if not raw:
                continue
            if len(raw) > limit or "\x00" in raw:
                return self._bad(line, row, name, column, raw)
            v[name] = raw
        utcoffset = self.time._utcoffset
        for name, column, default, parse in self._times:
            raw = get(column) if column else None
            if raw.__class__ is CellTime and _FIRST_YEAR <= raw.at.year <= _LAST_YEAR:
                v[name] = raw.at - utcoffset(raw.at)  # a spreadsheet's date: no text to read
                continue
            raw = (raw.strip() if raw else "") or default
            if not raw:
                continue
            try:
                value = _fromisoformat(raw)
            except ValueError:
                value = None
            if (
                value is not None
                and value.tzinfo is None
                and _FIRST_YEAR <= value.year <= _LAST_YEAR
            ):
                v[name] = value - utcoffset(value)  # what TimeParser does, inline
                continue
            try:
                v[name] = parse(raw)
            except ValueError as exc:
                return RowError(line, column or name, raw, f"{name} {exc}", row)
        for name, column, default, key, value in self._others:
            raw = get(column) if column else None
            raw = (raw.strip() if raw else "") or default
            if not raw:
                continue
            try:
                v[key] = value(raw)
            except ValueError as exc:
                return RowError(line, column or name, raw, f"{name} {exc}", row)
        for name in REQUIRED:
            if not v.get(name):
                return RowError(
                    line,
                    self.mapping.columns.get(name, name),
                    "",
                    _("{field} is required").format(field=name),
                    row,
                )
        return self._in_order(line, row, v)

    def _in_order(self, line: int, row: dict, v: dict) -> dict | RowError:
        """`v`, or the RowError of its first step time out of the procedure's order: each
        step time given must not be before the one before it (feedback and closing both
        follow resolution); and none may be in the future."""
        previous = v["received_at"]
        now = self.now
        future = None if previous <= now else "received_at"
        for name in _STEP_TIMES:
            when = v.get(name)
            if not when:
                continue
            if when < previous:
                return self._late(
                    line,
                    row,
                    name,
                    _("{field} is before {earlier}").format(field=name, earlier=_PREVIOUS[name](v)),
                )
            if future is None and when > now:
                future = name
            if name != "feedback_at":
                previous = when
        if future:
            return self._late(line, row, future, _("{field} is in the future").format(field=future))
        return v

    def _bad(self, line: int, row: dict, name: str, column: str | None, raw: str) -> RowError:
        try:
            self._converter(name)(raw)
        except ValueError as exc:
            return RowError(line, column or name, raw, f"{name} {exc}", row)
        raise AssertionError(f"{name}: {raw!r} is valid")  # pragma: no cover

    def _late(self, line: int, row: dict, name: str, reason: str) -> RowError:
        m = self.mapping
        return RowError(
            line, m.columns.get(name, name), row.get(m.columns.get(name, ""), ""), reason, row
        )

    def _converter(self, name: str) -> Callable[[str], object]:
        """The function reading field `name` from a cell (stripped, never empty); it raises
        ValueError with the reason, which follows the field's name in the message."""
        if name in TIME_FIELDS:
            return self._time_parser(name)
        if name in AMOUNT_FIELDS:
            return _amount
        if name == "feedback_score":
            return _score
        if name in CODE_FIELDS:
            known: dict[str, str] = {}  # a code column holds a handful of values

            def code(raw: str) -> str:
                found = known.get(raw)
                if found is None:
                    found = self._code(name, raw)
                    if len(known) < 10_000:
                        known[raw] = found
                return found

            return code
        limit = TEXT_FIELDS[name]

        def text(raw: str) -> str:
            if len(raw) > limit:
                raise ValueError(
                    _("is {length} characters long; at most {limit}").format(
                        length=len(raw), limit=limit
                    )
                )
            if "\x00" in raw:
                raise ValueError(_("must not contain NUL characters"))
            return raw

        return text

    def _code(self, name: str, raw: str) -> str:
        key = raw.lower()
        code = self.mapping.values.get(name, {}).get(key, raw).lower()
        found = self.lookup[name].get(code)
        if found is None:
            rule = self.mapping.unmapped.get(name, "error")
            if rule == "error":
                raise ValueError(
                    _("{value} is not mapped; allowed: {allowed}").format(
                        value=repr(raw), allowed=", ".join(self.allowed[name])
                    )
                )
            found = self.lookup[name][rule.lower()]
        return found


_STEP_TIMES = TIME_FIELDS[1:]


def _previous_name(name: str) -> Callable[[dict], str]:
    """The step time `name` must not be before, given the row's times (the latest earlier
    step given; feedback_at is never one, as closing follows resolution too)."""
    earlier = [f for f in TIME_FIELDS[: TIME_FIELDS.index(name)] if f != "feedback_at"]
    return lambda v: next((f for f in reversed(earlier) if v.get(f)), "received_at")


_PREVIOUS = {name: _previous_name(name) for name in _STEP_TIMES}


def _score(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise ValueError(_("must be a whole number 1..5"))
    return int(raw)


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
    fail_over: float | None = None,
    reread: Callable[[], contextlib.AbstractContextManager[IO[str]]] | None = None,
    content: batches_.Content | None = None,
    rescan: Callable[[Collection[str]], Iterator[tuple[int, dict]]] | None = None,
) -> ImportResult:
    """Import every row in one transaction: committed only if every row is good (or
    `skip_invalid`, unless more than `fail_over` % of the rows are rejected), and never
    with `dry_run`; a re-run finds rows already present by their external reference.
    With `content`, the run is recorded as an import batch (complaintctl.batches), and
    content imported before is refused unless asked again.  Where the rows are not text (a
    workbook's sheet), `rescan(columns)` gives those columns' text cells again, for the
    day/month pass `reread` makes."""
    conv = RowConverter(reg, mapping, dayfirst, now)
    if reread is not None and dayfirst is None:
        _set_date_orders(conv, reread, reg.settings.date_order, jsonl=not check_header)
    elif rescan is not None and dayfirst is None:
        columns = {conv.mapping.columns[f] for f in TIME_FIELDS if f in conv.mapping.columns}
        found = scan_rows(rescan(columns), columns)
        conv.set_orders(column_orders(found, reg.settings.date_order))
    run = _ImportRun(
        reg,
        rows,
        conv,
        now=now,
        actor=actor,
        source=source,
        update=update,
        check_header=check_header,
        content=content,
    )
    return run.run(
        dry_run=dry_run, skip_invalid=skip_invalid, fail_over=fail_over, progress=progress
    )


def _set_date_orders(
    conv: RowConverter,
    reread: Callable[[], contextlib.AbstractContextManager[IO[str]]],
    date_order: str | None,
    *,
    jsonl: bool,
) -> None:
    """The day/month order of each time column, from all of its cells: a first pass, over
    those columns only, before any row is converted."""
    columns = {conv.mapping.columns[f] for f in TIME_FIELDS if f in conv.mapping.columns}
    with reread() as again:
        found = scan_dates(again, columns, jsonl=jsonl)
    conv.set_orders(column_orders(found, date_order))


class _ImportRun:
    """One import_rows() call: its rows read and converted (prepared(), batches()), each
    batch written (flush(), or flush_fast() on SQLite without --update), all in the one
    transaction run() opens and commits or rolls back."""

    def __init__(
        self,
        reg: Register,
        rows: Iterator[tuple[int, dict]],
        conv: RowConverter,
        *,
        now: dt.datetime,
        actor: str,
        source: str,
        update: bool,
        check_header: bool,
        content: batches_.Content | None,
    ) -> None:
        from complaintctl.services import contact_key, reserve_numbers
        from complaintctl.store import EngineStore

        self._contact_key, self._reserve_numbers = contact_key, reserve_numbers
        self._bound_store = EngineStore.bound
        self.reg, self.rows, self.conv, self.mapping = reg, rows, conv, conv.mapping
        self.now, self.actor, self.source = now, actor, source
        self.update, self.check_header, self.content = update, check_header, content
        self.result = ImportResult()
        self.clock = reg.calendar.clock_function(reg.settings.clocks)  # reg.clock, for bulk use
        self.local_date = reg.calendar.local_date
        self.min_score = reg.settings.satisfied_min_score
        self.pattern = reg.settings.number_pattern
        self.bookkeeping = {
            "logged_at": now,
            "logged_by": actor,
            "on_hold": False,
            "reopen_count": 0,
            "version": 1,
            "import_batch": None,  # the batch's id, once it is recorded (run())
        }
        self.recorded_at = _sqlite_time(now)
        self.sqlite_insert = _SQLITE_INSERT
        self.fast = reg.engine.dialect.name == "sqlite" and not update

    # -- reading and converting rows ----------------------------------------------------
    def prepared(self) -> Iterator[tuple[int, RowError | dict]]:
        """(rows read so far, the row's new case columns or its error), row by row."""
        conv, mapping, bookkeeping = self.conv, self.mapping, self.bookkeeping
        contact_key, clock, min_score = self._contact_key, self.clock, self.min_score
        individual = CustomerType.individual.value
        seen_refs: set[str] = set()
        header_checked = not self.check_header  # JSON Lines objects may leave keys out
        read = 0
        for line, row in self.rows:
            if not header_checked:
                conv.check_header(list(row))
                header_checked = True
            read += 1
            if row.__class__ is _Misshapen:
                yield read, row.error(line)
                continue
            v = conv.convert(line, row)
            if v.__class__ is not RowError:
                ref = v.get("external_ref")
                if ref:
                    if ref in seen_refs:
                        v = RowError(
                            line,
                            mapping.columns.get("external_ref", "external_ref"),
                            ref,
                            _("external_ref appears twice in this file"),
                            row,
                        )
                        yield read, v
                        continue
                    seen_refs.add(ref)
                v["contact_key"] = contact_key(v["contact"])
                if "customer_type" not in v:
                    v["customer_type"] = individual
                v.update(bookkeeping)
                replay(v, clock, min_score)  # its step times, through the workflow
                v["line"] = line
            yield read, v

    def batches(self) -> Iterator[tuple[int, list[RowError | dict]]]:
        """(rows read so far, up to BATCH new cases and the errors found among them)."""
        batch: list[RowError | dict] = []
        good = read = 0
        for read, v in self.prepared():  # noqa: B007 (read is what the batch reports)
            batch.append(v)
            if v.__class__ is not RowError:
                good += 1
                if good >= BATCH:
                    yield read, batch
                    batch, good = [], 0
        yield read, batch

    def fast_batches(self) -> Iterator[tuple[int, list]]:
        """batches(), each new case as a plain tuple for flush_fast(): (line,
        external_ref, year received, *_sqlite_values()) (SQLite, no --update)."""
        local_date = self.local_date
        for read, batch in self.batches():
            times = _SQLiteTimes()
            yield (
                read,
                [
                    v
                    if v.__class__ is RowError
                    else (v["line"], v.get("external_ref"), local_date(v["received_at"]).year)
                    + _sqlite_values(v, times)
                    for v in batch
                ],
            )

    def source_batches(self) -> Iterator[tuple[int, list]] | _Child:
        """Where run() takes its batches from."""
        if self.fast and _READER_PROCESS and _can_fork():
            # Reading and converting rows is pure Python, writing them is mostly SQLite: on
            # two cores a second process does the first while this one does the second.
            return _from_child(self.fast_batches)
        return self.fast_batches() if self.fast else self.batches()

    # -- finding present rows, numbering new cases ---------------------------------------
    @staticmethod
    def existing_refs(conn: sa.Connection, refs: list[str]) -> dict[str, int]:
        if not refs:
            return {}
        return dict(
            conn.execute(
                sa.select(_CASES.c.external_ref, _CASES.c.id).where(_CASES.c.external_ref.in_(refs))
            ).all()
        )

    def numbers(self, conn: sa.Connection, years: list[int]) -> list[str]:
        """The next case numbers for new cases received in these years, in this order."""
        by_year: dict[int, list[int]] = {}
        for i, year in enumerate(years):
            by_year.setdefault(year, []).append(i)
        out: list[str] = [""] * len(years)
        store = self._bound_store(conn)
        for year, positions in by_year.items():
            for i, number in zip(
                positions,
                self._reserve_numbers(store, self.pattern, year, len(positions)),
                strict=True,
            ):
                out[i] = number
        return out

    # -- writing cases and events ----------------------------------------------------------
    def flush_fast(self, new: list[tuple], conn: sa.Connection) -> None:
        # The transaction holds SQLite's write lock (BEGIN IMMEDIATE): nobody else can take
        # ids meanwhile, so give them out here, and hand the driver plain tuples in the
        # exact text format SQLAlchemy's DateTime uses on SQLite.
        result = self.result
        existing = _sqlite_existing_refs(conn, [c[1] for c in new if c[1]])
        if existing:
            result.present += sum(1 for c in new if c[1] in existing)
            new = [c for c in new if c[1] not in existing]
        if not new:
            return
        first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(_CASES.c.id), 0))).scalar()
        ids = range(first + 1, first + 1 + len(new))
        conn.exec_driver_sql(
            self.sqlite_insert,
            [
                (case_id, number, *c[_FAST_VALUES:])
                for case_id, number, c in zip(
                    ids, self.numbers(conn, [c[2] for c in new]), new, strict=True
                )
            ],
        )
        # Each import event is made from its case row by SQL, for each run of cases whose
        # file lines are consecutive (all of them, in a file with one line per record).
        for lo, hi, offset in _line_runs(ids, new):
            conn.exec_driver_sql(
                _SQLITE_EVENTS,
                (
                    Action.import_.value,
                    self.recorded_at,
                    self.actor,
                    f"imported from {self.source} line ",
                    offset,
                    lo,
                    hi,
                ),
            )
        result.imported += len(new)

    def flush(self, batch: list[dict], conn: sa.Connection) -> None:
        result = self.result
        existing = self.existing_refs(
            conn, [v["external_ref"] for v in batch if v.get("external_ref")]
        )
        new = []
        for v in batch:
            ref = v.get("external_ref")
            if ref and ref in existing:
                if self.update and self._update(conn, existing[ref], v, v["line"]):
                    result.updated += 1
                else:
                    result.present += 1
                continue
            new.append(v)
        local_date = self.local_date
        for v, number in zip(
            new, self.numbers(conn, [local_date(v["received_at"]).year for v in new]), strict=True
        ):
            v["number"] = number
        if not new:
            return
        ids = (
            conn.execute(
                sa.insert(_CASES).returning(_CASES.c.id, sort_by_parameter_order=True),
                [{c: v.get(c) for c in _CASE_COLUMNS} for v in new],  # executemany: every key
            )
            .scalars()
            .all()
        )
        self._insert_import_events(conn, ids, new)
        result.imported += len(new)

    def _insert_import_events(self, conn: sa.Connection, ids: list[int], new: list[dict]) -> None:
        now, actor, source = self.now, self.actor, self.source
        rows = [
            {
                "case_id": case_id,
                "action": Action.import_.value,
                "at": v["received_at"],
                "recorded_at": now,
                "actor": actor,
                "step_from": None,
                "step_to": v["step"],
                "note": f"imported from {source} line {v['line']}",
                "changes": None,  # what was imported is the case row itself
            }
            for case_id, v in zip(ids, new, strict=True)
        ]
        for row in rows:
            row["hash"] = event_hash(None, row)
        conn.execute(_EVENTS.insert(), rows)

    def _update(self, conn: sa.Connection, case_id: int, v: dict, line: int) -> bool:
        # A case somebody has worked on here since it was imported belongs to complaintctl
        # now: the source file must not wind it back.
        cases, events = _CASES, _EVENTS
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
        claimed = conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id, cases.c.version == current["version"])
            .values(**{k: v[k] for k in changed}, version=current["version"] + 1)
        ).rowcount
        if claimed != 1:  # PostgreSQL: someone changed it since we read it
            raise CaseChanged(current["number"])
        self._insert_update_event(conn, case_id, current, v, line, changed)
        return True

    def _insert_update_event(
        self, conn: sa.Connection, case_id: int, current, v: dict, line: int, changed: dict
    ) -> None:
        now, events = self.now, _EVENTS
        event = dict(
            case_id=case_id,
            action=Action.import_.value,
            at=now,
            recorded_at=now,
            actor=self.actor,
            step_from=current["step"],
            step_to=v.get("step", current["step"]),
            note=f"updated from {self.source} line {line}",
            changes=json.dumps(changed, ensure_ascii=False, sort_keys=True),
        )
        prev = conn.execute(
            sa.select(events.c.hash)
            .where(events.c.case_id == case_id)
            .order_by(events.c.id.desc())
            .limit(1)
        ).scalar()
        conn.execute(events.insert().values(**event, hash=event_hash(prev, event)))

    # -- the transaction ---------------------------------------------------------------------
    def run(
        self,
        *,
        dry_run: bool,
        skip_invalid: bool,
        fail_over: float | None,
        progress: Callable[[int], None] | None,
    ) -> ImportResult:
        """Every batch written in one transaction, then committed or rolled back."""
        source_batches = self.source_batches()
        with (
            contextlib.closing(source_batches),
            self.reg.engine.connect() as conn,
            _bulk_cache(conn),
            _sealing(conn),
        ):
            conn.execution_options(complaintctl_write=True)
            trans = conn.begin()
            try:
                batch_id = self._begin_batch(conn)
                self._write(conn, source_batches, progress)
                self._end(conn, trans, batch_id, dry_run, skip_invalid, fail_over)
            except sa.exc.OperationalError as exc:
                trans.rollback()
                raise DatabaseError(
                    _("database unavailable: {error}").format(error=exc.orig)
                ) from None
            except BaseException:
                trans.rollback()
                raise
        return self.result

    def _begin_batch(self, conn: sa.Connection) -> int | None:
        """The import batch recorded (with `content`): its id, which the new cases carry."""
        if self.content is None:
            return None
        batch_id = batches_.begin(conn, self.reg, self.content, now=self.now, actor=self.actor)
        self.bookkeeping["import_batch"] = batch_id
        self.sqlite_insert = _SQLITE_INSERT.replace(_BATCH_SLOT, str(int(batch_id)))
        return batch_id

    def _write(
        self,
        conn: sa.Connection,
        source_batches: Iterator[tuple[int, list]] | _Child,
        progress: Callable[[int], None] | None,
    ) -> None:
        result = self.result
        flush = self.flush_fast if self.fast else self.flush
        for read, batch in source_batches:
            errors = [v for v in batch if v.__class__ is RowError]
            if errors:
                result.errors += errors
                batch = [v for v in batch if v.__class__ is not RowError]
            if batch:
                flush(batch, conn)
            if progress:
                for n in range(result.read + 1, read + 1):
                    progress(n)
            result.read = read

    def _end(
        self,
        conn: sa.Connection,
        trans: sa.RootTransaction,
        batch_id: int | None,
        dry_run: bool,
        skip_invalid: bool,
        fail_over: float | None,
    ) -> None:
        """Commit, or roll back (--dry-run, bad rows without --skip-invalid, or more of
        them than --fail-over allows)."""
        result = self.result
        if dry_run or (result.errors and not skip_invalid) or result.over(fail_over):
            trans.rollback()
            return
        if self.content is not None:
            batches_.finish(
                conn,
                batch_id,
                read=result.read,
                imported=result.imported,
                present=result.present,
                updated=result.updated,
                rejected=result.rejected,
            )
        trans.commit()
        result.written = True


def _line_runs(ids: range, new: list[tuple]) -> list[list[int]]:
    """[first id, last id, line - id] for each run of new cases (fast path tuples, line
    first) whose file lines are consecutive, in id order."""
    runs: list[list[int]] = []
    for case_id, c in zip(ids, new, strict=True):
        offset = c[0] - case_id
        if runs and runs[-1][2] == offset:
            runs[-1][1] = case_id
        else:
            runs.append([case_id, case_id, offset])
    return runs


# -- the reading process ------------------------------------------------------------------
_READER_PROCESS = True  # tests switch it off to compare


def _can_fork() -> bool:
    """A forked child is safe while this process runs no other thread (a thread holding a
    lock at fork time would leave it held forever in the child)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _ChildFailed:
    """What the reading process sends instead of a batch when it raises."""

    def __init__(self, exc: BaseException) -> None:
        try:
            pickle.loads(pickle.dumps(exc))
            self.exc = exc
        except Exception:  # noqa: BLE001 (what does not survive pickling goes as text)
            self.exc = RuntimeError(_("reading the file failed: {error}").format(error=repr(exc)))


_DONE = "done"


def _from_child(produce: Callable[[], Iterator[object]]) -> _Child:
    """The items of `produce()`, computed in a child forked now (before any transaction)
    and sent back pickled; an exception there is raised here.  Closing the returned
    generator ends the child."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's frames
        status = 0
        # A short-lived process whose rows hold no reference cycles: no collector passes
        # over the parent's objects (which would also copy their memory pages).
        gc.disable()
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as out:
                try:
                    for item in produce():
                        pickle.dump(item, out, pickle.HIGHEST_PROTOCOL)
                    pickle.dump(_DONE, out)
                except BaseException as exc:  # noqa: BLE001 (handed to the parent)
                    pickle.dump(_ChildFailed(exc), out, pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 (the parent reports the missing end)
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    return _Child(pid, read_fd)


class _Child:
    """The parent's end of _from_child(): iterate for the items; close() always ends and
    reaps the child, whether or not anything was read."""

    def __init__(self, pid: int, read_fd: int) -> None:
        self.pid, self.done = pid, False
        self.inp = os.fdopen(read_fd, "rb")

    def __iter__(self) -> Iterator[object]:
        while True:
            try:
                item = pickle.load(self.inp)
            except EOFError:
                raise ImportError_(
                    _("reading the file stopped unexpectedly (its process ended)")
                ) from None
            if item.__class__ is _ChildFailed:
                raise item.exc
            if item == _DONE:
                self.done = True
                return
            yield item

    def close(self) -> None:
        if self.pid is None:
            return
        if not self.done:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.inp.close()
        os.waitpid(self.pid, 0)
        self.pid = None


@contextlib.contextmanager
def _bulk_cache(conn: sa.Connection) -> Iterator[None]:
    """A larger SQLite page cache while the import runs: the cases table's ten indexes take
    rows in random order, and a small cache keeps writing and re-reading their pages.
    (Only the cache: journaling and syncing stay as they are, so the import remains one
    transaction that survives a crash.)"""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {before}")


_CASES, _EVENTS = Case.__table__, Event.__table__
_CASE_COLUMNS = [c.name for c in _CASES.c if c.name != "id"]
# The fast path's column order: the times last, as they need formatting.
_TIME_COLUMNS = [c for c in _CASE_COLUMNS if isinstance(Case.__table__.c[c].type, sa.DateTime)]
_OTHER_COLUMNS = [
    c for c in _CASE_COLUMNS if c not in _TIME_COLUMNS and c not in ("number", "import_batch")
]
# A new case on the fast path: (line, external_ref, year received, *_sqlite_values()).
_FAST_VALUES = 3
# The batch id is the same for every row: written into the statement (an int), not bound;
# as it stands, the statement writes NULL there (no batch).
_BATCH_SLOT = "/*batch*/NULL"
_SQLITE_INSERT = (
    f"INSERT INTO cases (id, number, import_batch, {', '.join(_OTHER_COLUMNS + _TIME_COLUMNS)}) "
    f"VALUES (?, ?, {_BATCH_SLOT}, {', '.join('?' * len(_OTHER_COLUMNS + _TIME_COLUMNS))})"
)
# The import events of the cases with ids lo..hi, whose file line is id + offset: the same
# values import_rows() gives them on other databases (`at`: the time received).
# Each is sealed (complaintctl.history) as the first event of its case, by a function the
# import registers on its connection.
_SQLITE_EVENTS = (
    "INSERT INTO events (case_id, action, at, recorded_at, actor, step_from, step_to, "
    "changes, note, hash) SELECT id, ?1, received_at, ?2, ?3, NULL, step, NULL, ?4 || (id + ?5), "
    "complaintctl_seal(id, ?1, received_at, ?2, ?3, NULL, step, NULL, ?4 || (id + ?5)) "
    "FROM cases WHERE id BETWEEN ?6 AND ?7 ORDER BY id"
)


_seal_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _iso_text(text: str) -> str:
    """SQLAlchemy's SQLite text of a time ('2025-09-01 01:12:00.000000') as the
    isoformat() of the datetime it stands for, without building the datetime."""
    if len(text) != 26:
        return dt.datetime.fromisoformat(text).isoformat()
    micro = text[20:]
    return f"{text[:10]}T{text[11:19]}" + ("" if micro == "000000" else f".{micro}")


def _sqlite_seal(case_id, action, at, recorded_at, actor, step_from, step_to, changes, note) -> str:
    """The seal of a first event, from its SEALED columns as SQLite holds them (times as
    SQLAlchemy's text): exactly history.event_hash(None, event) of the same event read
    back (a test compares them), at a fraction of the cost (it runs once per row)."""
    payload = _seal_json(
        ["", case_id, action, _iso_text(at), _iso_text(recorded_at), actor, step_from,
         step_to, changes, note]
    )  # fmt: skip
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _sealing(conn: sa.Connection) -> Iterator[None]:
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function("complaintctl_seal", len(SEALED), _sqlite_seal, deterministic=True)
    yield


def _sqlite_existing_refs(conn: sa.Connection, refs: list[str]) -> set[str]:
    """Which of these external references cases already have (SQLite, plain SQL: the
    statement is the same for every batch)."""
    found: set[str] = set()
    for i in range(0, len(refs), 500):  # old SQLite allows 999 parameters
        chunk = refs[i : i + 500]
        found.update(
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT external_ref FROM cases WHERE external_ref IN "
                f"({', '.join('?' * len(chunk))})",
                tuple(chunk),
            )
        )
    return found


# A NaN binds as NULL in SQLite, and much faster than None does (the sqlite3 module looks
# up an adapter for every None it binds); no column of a case ever holds a float.
_NULL = float("nan")


class _SQLiteTimes(dict):
    """Naive UTC times → the text SQLAlchemy's DateTime stores on SQLite (None → NULL).

    A memo: a batch's rows share many times (a step's start is another step's end; every
    case received on one day has the same working-day deadlines)."""

    def __missing__(self, value: dt.datetime | None) -> object:
        text = self[value] = _NULL if value is None else value.isoformat(" ", "microseconds")
        return text


def _sqlite_time(value: dt.datetime) -> str:
    """A naive UTC time as SQLAlchemy's DateTime stores it on SQLite."""
    return value.isoformat(" ", "microseconds")


def _sqlite_values(v: dict, times: _SQLiteTimes) -> tuple:
    """A new case's _SQLITE_INSERT parameters after id and number, as SQLAlchemy binds
    them on SQLite."""
    return (
        *map(v.get, _OTHER_COLUMNS, repeat(_NULL)),
        *map(times.__getitem__, map(v.get, _TIME_COLUMNS)),
    )


# Columns about the import itself, never compared or copied by --update.
_BOOKKEEPING = frozenset(
    {
        "id",
        "number",
        "logged_at",
        "logged_by",
        "version",
        "on_hold",
        "reopen_count",
        "import_batch",
    }
)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value
