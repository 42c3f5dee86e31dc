"""The TOML settings: read once, validated once, every wrong key named."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintctl.errors import ConfigError
from complaintctl.figures import TARGETS
from complaintctl.messages import LANGUAGES, N_, _, normalise
from complaintctl.paths import default_config_path, default_db_path

CONFIG_ENV = "COMPLAINTCTL_CONFIG"
DB_ENV = "COMPLAINTCTL_DB"

DEFAULT_CATEGORIES = (
    ("PQ", "Product quality", "产品质量"),
    ("SA", "Service attitude", "服务态度"),
    ("TS", "Technical support", "技术支持"),
    ("DL", "Delivery", "物流配送"),
    ("BL", "Billing / price", "收费价格"),
    ("FE", "Facilities / environment", "设施环境"),
    ("SM", "Sales & advertising", "销售宣传"),
    ("OT", "Other", "其他"),
)
DATE_ORDERS = ("dayfirst", "monthfirst")  # how a date such as 03/10/2025 is read
DEFAULT_CHANNELS = ("phone", "email", "online", "social", "letter", "visit", "other")
DEFAULT_DEPARTMENTS = (
    ("CS", "Customer service", "客服部"),
    ("SALES", "Sales", "销售部"),
    ("TECH", "Technical support", "技术支持部"),
    ("LOG", "Logistics", "物流部"),
    ("QA", "Quality management", "质量管理部"),
)
# Step clocks; "" means the step has no deadline.  Units: m, h (calendar), d (calendar days),
# wh (working hours, inside opening..closing on working days), wd (working days).
DEFAULT_CLOCKS = {
    "acknowledge": "24h",
    "classify": "",
    "assign": "",
    "investigate": "3wd",
    "resolve": "5wd",
    "feedback": "7wd",
    "escalate": "1h",
    "plan": "4h",
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|wh|d|h|m)\s*$")


@dataclass(frozen=True)
class Duration:
    """A clock length: an amount and a unit (m, h, d, wh, wd)."""

    amount: float
    unit: str

    @property
    def working(self) -> bool:
        return self.unit in ("wd", "wh")

    @property
    def timedelta(self) -> dt.timedelta:
        """The calendar length (only for m, h, d)."""
        return dt.timedelta(seconds=self.amount * {"m": 60, "h": 3600, "d": 86400}[self.unit])

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


def parse_duration(text: str, key: str) -> Duration | None:
    """Parse '24h', '3wd', '90d' ...; empty means no clock. `key` names the setting in errors."""
    if text is None or str(text).strip() == "":
        return None
    m = _DURATION.match(str(text))
    if not m:
        raise ConfigError(
            N_(
                "{key}: {value} is not a duration; use a number and one of m, h, d, wh, wd "
                "(e.g. 24h, 3wd)"
            ),
            key=key,
            value=repr(text),
        )
    amount = float(m.group(1))
    if m.group(2) == "wd" and amount != int(amount):
        raise ConfigError(
            N_("{key}: working days must be a whole number, not {value}"), key=key, value=repr(text)
        )
    if amount > MAX_DURATION[m.group(2)]:
        raise ConfigError(
            N_("{key}: {value} is too long; at most {most} (about ten years)"),
            key=key,
            value=repr(text),
            most=f"{MAX_DURATION[m.group(2)]:g}{m.group(2)}",
        )
    return Duration(amount, m.group(2))


# The longest duration of each unit: about ten years (no clock, window or span is longer).
MAX_DURATION = {"m": 5_270_400, "h": 87_840, "d": 3_660, "wh": 87_840, "wd": 3_660}


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    name_zh: str = ""


@dataclass(frozen=True)
class StaffMember:
    """One person of the [[staff]] roster: the owners a case may be assigned to."""

    name: str
    department: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """Where `warn --mail-to` sends its digest.  The password is never in the file: it is
    read from the environment variable named by `password_env`."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password_env: str | None = None
    sender: str = "complaintctl@localhost"
    timeout: float = 30.0


# What the monthly report judges each period against (seed 003's goals): a number per
# target of figures.TARGETS, its default from there.
Targets = make_dataclass(
    "Targets",
    [(t.key, float, field(default=t.default)) for _f, t in TARGETS],
    frozen=True,
)
Targets.__module__ = __name__  # (make_dataclass's own `module` needs Python 3.12)


@dataclass(frozen=True)
class Settings:
    """Every setting, with defaults from DESIGN.md."""

    timezone: str = "Asia/Shanghai"
    language: str | None = None  # en | zh; None: from LC_ALL/LC_MESSAGES/LANG
    date_order: str | None = None  # dayfirst | monthfirst: how 03/10/2025 is read; None: refused
    number_pattern: str = "C{year}-{seq:06d}"
    database: str | None = None
    country: str = "CN"
    subdivision: str | None = None
    opening_time: dt.time = dt.time(9, 0)
    closing_time: dt.time = dt.time(18, 0)
    closures: frozenset[dt.date] = frozenset()
    clocks: dict[str, Duration | None] = field(
        default_factory=lambda: {k: parse_duration(v, k) for k, v in DEFAULT_CLOCKS.items()}
    )
    satisfied_min_score: int = 4
    duplicate_window: dt.timedelta = dt.timedelta(hours=24)
    max_attachment_bytes: int = 10 * 1024 * 1024
    categories: tuple[Code, ...] = tuple(Code(*c) for c in DEFAULT_CATEGORIES)
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    departments: tuple[Code, ...] = tuple(Code(*d) for d in DEFAULT_DEPARTMENTS)
    staff: tuple[StaffMember, ...] = ()  # empty: no roster, any owner is taken
    warn_within: Duration = Duration(1, "wd")
    # [warn] waiting: a case at classify or assign (steps without a clock) this long is listed
    warn_waiting: Duration = Duration(1, "wd")
    repeat_window: dt.timedelta = dt.timedelta(days=90)
    undo_same_actor: bool = False  # [undo] same_actor: only who took a step may undo it
    undo_within: dt.timedelta | None = None  # [undo] within: how soon (None: any time)
    spike_factor: float = 2.0
    spike_min_cases: int = 3
    spike_weeks: int = 8
    list_columns: tuple[str, ...] | None = None  # list's columns; None: by the width
    office_name: str | None = None  # [office] name: the head of the printed forms
    office_logo_text: str | None = None  # [office] logo_text: a short mark beside it
    smtp: SmtpSettings | None = None
    targets: Targets = Targets()
    source: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def department_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.departments)

    @property
    def staff_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.staff)


def _refuse_readable_secret(source: Path, url: str) -> None:
    """A config that holds a database password must be readable by its owner only."""
    from urllib.parse import urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if not password:
        return
    try:
        mode = source.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        raise ConfigError(
            N_(
                "database: {path} holds a database password and is readable by others "
                "(mode {mode}); run: chmod 600 {path} (or keep the password in ~/.pgpass)"
            ),
            path=source,
            mode=f"{mode:04o}",
        )


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the config: `path` > $COMPLAINTCTL_CONFIG > the default location > built-in defaults.

    A path given explicitly (argument or environment) must exist; the default may be absent.
    """
    explicit = path or os.environ.get(CONFIG_ENV)
    cfg_path = Path(explicit) if explicit else default_config_path()
    if not cfg_path.exists():
        if explicit:
            raise ConfigError(N_("config: file {path} does not exist"), path=cfg_path)
        return Settings()
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            N_("config: {path} is not valid TOML: {error}"), path=cfg_path, error=exc
        ) from None
    except RecursionError:  # arrays or tables nested hundreds deep
        raise ConfigError(
            N_("config: {path} is nested too deeply to be a config"), path=cfg_path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            N_("config: cannot read {path}: {error}"), path=cfg_path, error=exc
        ) from None
    return settings_from_dict(data, cfg_path)


_Reader = Callable[[object, "_Key", dict], object]


@dataclass(frozen=True)
class _Key:
    """One setting of the file, declared once: its dotted name, the reader that checks its
    value and turns it into the setting, the message that refuses it, and the field it sets."""

    path: str  # as written in the file and in messages: "warn.within"
    read: _Reader  # (value, this key, the settings read so far) -> the setting
    message: str = ""  # the refusal, with {key} and {value} (repr) to fill
    sets: str = ""  # the Settings field; "" when it is the key's own name
    blank_is_unset: bool = False  # an empty value leaves the default
    then: Callable[[dict], None] | None = None  # a check across keys, run after this one

    @property
    def table(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    def given(self, table: dict) -> bool:
        """Whether `table` sets this key (an absent key keeps the Settings default)."""
        return self.name in table and (bool(table[self.name]) or not self.blank_is_unset)


def _refusal(key: _Key, value: object, **more: object) -> ConfigError:
    """The key's own message about `value` (raised by the reader, `from None` inside except)."""
    return ConfigError(_(key.message).format(key=key.path, value=repr(value), **more))


def _table(data: dict, key: str) -> dict:
    return _as_table(data.get(key, {}), key)


def _as_table(value: object, key: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(N_("{key}: must be a table ([{key}])"), key=key)
    return value


def _check_keys(table: dict, allowed: set[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                N_("{key}: unknown setting; allowed: {allowed}"),
                key=f"{prefix}{key}",
                allowed=", ".join(sorted(allowed)),
            )


# Readers: (value, key, the settings read so far) -> the setting, or ConfigError naming key.
# One per kind of value; keys of the same kind share it and differ only in their message.


def _zone(value: object, key: _Key, kw: dict) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise _refusal(key, value) from None
    return str(value)


def _language(value: object, key: _Key, kw: dict) -> str:
    language = normalise(str(value))
    if language is None:
        raise _refusal(key, value, allowed=", ".join(LANGUAGES))
    return language


def _one_of(choices: tuple[str, ...]) -> _Reader:
    """A reader for one of `choices`, taken as it is."""

    def read(value: object, key: _Key, kw: dict) -> object:
        if value not in choices:
            raise _refusal(key, value, allowed=", ".join(choices))
        return value

    return read


# A field of number_pattern: {year} or {seq}, with at most a zero-padded width of 1-12.
_PATTERN_FIELD = re.compile(r"(?:year|seq)(?::0?(?:[1-9]|1[0-2])?d)?")


def _number_pattern(value: object, key: _Key, kw: dict) -> str:
    pattern = str(value)
    if "{seq" not in pattern:
        raise ConfigError(N_("number_pattern: must contain {seq}, e.g. C{year}-{seq:06d}"))
    refusal = ConfigError(
        N_(
            "number_pattern: {pattern} may use only the fields {{year}} and {{seq}}, each "
            "with a width of at most 12 (e.g. {{seq:06d}}), and printable characters"
        ),
        pattern=repr(pattern)[:80],
    )
    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError:
        raise refusal from None
    for literal, name, spec, conversion in fields:
        if not literal.isprintable() or len(literal) > 20:
            raise refusal
        if name is None:
            continue
        text = name + (f":{spec}" if spec else "")
        if conversion or not _PATTERN_FIELD.fullmatch(text):
            raise refusal
    if [name for _l, name, _s, _c in fields if name == "seq"] != ["seq"]:
        raise refusal
    return pattern


def _database(value: object, key: _Key, kw: dict) -> str:
    db, source = str(value), kw["source"]
    if source is not None and "://" in db:
        _refuse_readable_secret(source, db)
    # A relative path in the config means relative to the config file, not the cwd.
    if source and "://" not in db and not Path(db).is_absolute():
        db = str((source.parent / db).resolve())
    return db


def _country(value: object, key: _Key, kw: dict) -> str:
    from complaintctl.workdays import supported_countries

    country = str(value).upper()
    if country not in supported_countries():
        raise _refusal(key, value)
    return country


def _subdivision(value: object, key: _Key, kw: dict) -> str:
    from complaintctl.workdays import supported_countries

    country = kw.get("country", "CN")
    subdivs = supported_countries()[country]
    if str(value) not in subdivs:
        raise _refusal(key, value, country=country, allowed=", ".join(subdivs) or _("none"))
    return str(value)


def _time(value: object, key: _Key, kw: dict) -> dt.time:
    try:
        t = dt.time.fromisoformat(str(value))
        if t.tzinfo is not None:  # the office time zone is `timezone`, not an offset here
            raise ValueError
        return t
    except ValueError:
        raise _refusal(key, value) from None


def _opens_before_it_closes(kw: dict) -> None:
    if kw.get("opening_time", dt.time(9)) >= kw.get("closing_time", dt.time(18)):
        raise ConfigError(N_("calendar.closing_time: must be later than calendar.opening_time"))


def _closures(value: object, key: _Key, kw: dict) -> frozenset[dt.date]:
    """Closure days: ISO dates, or 'START..END' ranges (both ends included)."""
    if not isinstance(value, list):
        raise ConfigError(N_("calendar.closures: must be a list of dates or 'START..END' ranges"))
    days: list[dt.date] = []
    for item in value:
        text = item.isoformat() if isinstance(item, dt.date) else str(item)
        try:
            if ".." in text:
                start_s, end_s = text.split("..", 1)
                start, end = (
                    dt.date.fromisoformat(start_s),
                    dt.date.fromisoformat(end_s),
                )
                if end < start:
                    raise ValueError
                days.extend(start + dt.timedelta(n) for n in range((end - start).days + 1))
            else:
                days.append(dt.date.fromisoformat(text))
        except ValueError:
            raise ConfigError(
                N_(
                    "calendar.closures: {value} is not a date (2025-12-31) or range "
                    "(2025-12-29..2025-12-31)"
                ),
                value=repr(text),
            ) from None
    return frozenset(days)


def _clocks(value: object, key: _Key, kw: dict) -> dict[str, Duration | None]:
    """[clocks]: one duration per step of DEFAULT_CLOCKS, read in the file's order."""
    table = _as_table(value, key.path)
    _check_keys(table, set(DEFAULT_CLOCKS), "clocks.")
    clocks = {k: parse_duration(v, f"clocks.{k}") for k, v in DEFAULT_CLOCKS.items()}
    for k, v in table.items():
        clocks[k] = parse_duration(v, f"clocks.{k}")
    return clocks


def _span(value: object, key: _Key, kw: dict) -> Duration:
    """A duration of any unit ("1wd", "4h"); empty is refused."""
    span = parse_duration(value, key.path)
    if span is None:
        raise _refusal(key, value)
    return span


def _calendar_span(value: object, key: _Key, kw: dict) -> dt.timedelta:
    """A duration in calendar units ("24h", "90d"), as a timedelta."""
    span = parse_duration(value, key.path)
    if span is None or span.working:
        raise _refusal(key, value)
    return span.timedelta


def _whole(low: int, high: float = math.inf) -> _Reader:
    """A reader for a whole number low..high (a bool is not one, though Python says int)."""

    def read(value: object, key: _Key, kw: dict) -> int:
        if type(value) is not int or not low <= value <= high:
            raise _refusal(key, value)
        return value

    return read


def _flag(value: object, key: _Key, kw: dict) -> bool:
    """true or false."""
    if type(value) is not bool:
        raise _refusal(key, value)
    return value


def _positive_up_to(high: float) -> _Reader:
    """A reader for a number above 0 and at most `high`, whole or not (not a bool)."""

    def read(value: object, key: _Key, kw: dict) -> float:
        if type(value) not in (int, float) or not 0 < value <= high:
            raise _refusal(key, value)
        return float(value)

    return read


def _text(value: object, key: _Key, kw: dict) -> str:
    """A non-blank string, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise _refusal(key, value)
    return value.strip()


def _names(value: object, key: _Key, kw: dict) -> tuple[str, ...]:
    """A non-empty list of distinct (without regard to case), printable, non-empty strings."""
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c for c in value):
        raise _refusal(key, value)
    for i, name in enumerate(value):
        if not name.isprintable() or len(name) > 40:
            raise ConfigError(
                N_("{key}: {value} must be at most 40 printable characters"),
                key=f"{key.path}[{i}]",
                value=repr(name)[:50],
            )
        if name.casefold() in (n.casefold() for n in value[:i]):
            raise ConfigError(N_("{key}: {value} appears twice"), key=key.path, value=repr(name))
    return tuple(value)


def _code(item: object, where: str) -> Code:
    """One {code, name, name_zh} entry of a code list; `where` is "categories[2]"."""
    if not isinstance(item, dict) or not str(item.get("code", "")).strip():
        raise ConfigError(N_("{key}: every entry needs a non-empty code"), key=f"{where}.code")
    _check_keys(item, {"code", "name", "name_zh"}, f"{where}.")
    code = str(item["code"]).strip()
    if not code.isprintable() or len(code) > 20:
        raise ConfigError(
            N_("{key}: {value} must be at most 20 printable characters"),
            key=f"{where}.code",
            value=repr(code)[:40],
        )
    return Code(code, str(item.get("name", code)), str(item.get("name_zh", "")))


def _codes(defaults: tuple[tuple[str, str, str], ...]) -> _Reader:
    """A reader for a list of {code, name, name_zh} tables with distinct codes."""

    def read(value: object, key: _Key, kw: dict) -> tuple[Code, ...]:
        if value is None:
            return tuple(Code(*d) for d in defaults)
        if not isinstance(value, list) or not value:
            raise _refusal(key, value)
        out = tuple(_code(item, f"{key.path}[{i}]") for i, item in enumerate(value))
        seen = [c.code.casefold() for c in out]  # codes are matched without regard to case
        dupes = [c.code for i, c in enumerate(out) if seen[i] in seen[:i]]
        if dupes:
            raise ConfigError(N_("{key}: code {code} appears twice"), key=key.path, code=dupes[0])
        return out

    return read


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _member(item: object, where: str, departments: tuple[str, ...]) -> StaffMember:
    """One [[staff]] entry; `where` is "staff[2]"."""
    if not isinstance(item, dict):
        raise ConfigError(N_("{key}: every entry must be a table with a name"), key=where)
    _check_keys(item, {"name", "department", "email"}, f"{where}.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(N_("{key}: every entry needs a non-empty name"), key=f"{where}.name")
    department = item.get("department")
    if department is not None:
        found = [
            c
            for c in departments
            if isinstance(department, str) and c.lower() == department.strip().lower()
        ]
        if not found:
            raise ConfigError(
                N_("{key}: {value} is not a department code of the config; allowed: {allowed}"),
                key=f"{where}.department",
                value=repr(department),
                allowed=", ".join(departments),
            )
        department = found[0]
    email = item.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email.strip())):
        raise ConfigError(
            N_("{key}: {value} is not an e-mail address like wang.fang@example.com"),
            key=f"{where}.email",
            value=repr(email),
        )
    return StaffMember(name.strip(), department, email.strip() if email else None)


def _staff(value: object, key: _Key, kw: dict) -> tuple[StaffMember, ...]:
    """[[staff]]: the roster of owners (name, department, email); names distinct."""
    if not isinstance(value, list):
        raise _refusal(key, value)
    departments = tuple(d.code for d in kw.get("departments") or Settings.departments)
    out = tuple(_member(item, f"{key.path}[{i}]", departments) for i, item in enumerate(value))
    seen: set[str] = set()
    for i, member in enumerate(out):
        if member.name.casefold() in seen:
            raise ConfigError(
                N_("{key}: {name} appears twice"), key=f"{key.path}[{i}].name", name=member.name
            )
        seen.add(member.name.casefold())
    return out


def _targets(value: object, key: _Key, kw: dict) -> Targets:
    """[targets]: the report's goals; each a plain number within its own range."""
    t = _as_table(value, key.path)
    limits = {target.key: (target.low, target.high, _(target.allowed)) for _f, target in TARGETS}
    _check_keys(t, set(limits), "targets.")
    got: dict = {}
    for name, number in t.items():
        low, high, what = limits[name]
        # bool is an int to Python, and NaN passes neither comparison: refuse both.
        if type(number) not in (int, float) or not low <= number <= high:
            raise ConfigError(
                N_("{key}: must be {what}, not {value}"),
                key=f"targets.{name}",
                what=what,
                value=repr(number),
            )
        got[name] = float(number)
    return Targets(**got)


# The columns `list` can show: the fields of its rows (queries.LIST_FIELDS) but on_hold and
# overdue, which it shows in the step and the deadline.
LIST_COLUMNS = (
    "number",
    "step",
    "received_at",
    "channel",
    "customer_name",
    "summary",
    "category",
    "severity",
    "department",
    "owner",
    "due_at",
)


def _list_columns(value: object, key: _Key, kw: dict) -> tuple[str, ...]:
    """[display] list_columns: fields of `list`'s rows, a list or as --columns takes them."""
    allowed = LIST_COLUMNS
    if isinstance(value, str):
        value = [n.strip() for n in value.split(",") if n.strip()]
    names = value if isinstance(value, list) and value else [value]
    for name in names:
        if name not in allowed:
            raise _refusal(key, name, allowed=", ".join(allowed))
    return tuple(dict.fromkeys(names))


_SMTP_KEYS = (
    _Key("smtp.host", _text, N_("smtp.host: must be a host name")),
    _Key("smtp.port", _whole(1, 65535), N_("smtp.port: must be a port number 1..65535")),
    _Key(
        "smtp.security",
        _one_of(("none", "starttls", "ssl")),
        N_("smtp.security: must be one of none, starttls, ssl"),
    ),
    _Key("smtp.user", _text, N_("{key}: must be a non-empty string")),
    _Key("smtp.password_env", _text, N_("{key}: must be a non-empty string")),
    _Key("smtp.from", _text, N_("{key}: must be a non-empty string"), sets="sender"),
    _Key(
        "smtp.timeout",
        _positive_up_to(3600),
        N_("smtp.timeout: must be a number of seconds above 0, at most 3600"),
    ),
)


def _smtp(value: object, key: _Key, kw: dict) -> SmtpSettings:
    """[smtp]: where the digest is mailed; never a password, only where to find one."""
    t = _as_table(value, key.path)
    if "password" in t:
        raise ConfigError(
            N_(
                "smtp.password: passwords are never read from the config file; set "
                "smtp.password_env to the name of an environment variable that holds it"
            )
        )
    got = _read_keys(t, _SMTP_KEYS, {})
    if got.get("user") and not got.get("password_env"):
        raise ConfigError(N_("smtp.password_env: required when smtp.user is set"))
    return SmtpSettings(**got)


# Every key of the file, in the order they are checked (so the first wrong one is the one
# named).  The keys of a table must stay together: each run of them is one table, whose
# unknown keys are refused before any of its values is read.
_KEYS = (
    _Key("timezone", _zone, N_("timezone: {value} is not an IANA time zone like Asia/Shanghai")),
    _Key("language", _language, N_("language: {value} is not a language; allowed: {allowed}")),
    _Key(
        "date_order",
        _one_of(DATE_ORDERS),
        N_("date_order: {value} is not a date order; allowed: {allowed}"),
    ),
    _Key("number_pattern", _number_pattern),
    _Key("database", _database),
    _Key(
        "calendar.country",
        _country,
        N_("calendar.country: {value} is not a country the holidays package knows"),
    ),
    _Key(
        "calendar.subdivision",
        _subdivision,
        N_("calendar.subdivision: {value} is not a subdivision of {country}; allowed: {allowed}"),
        blank_is_unset=True,
    ),
    _Key("calendar.opening_time", _time, N_("{key}: {value} is not a time of day like 18:00")),
    _Key(
        "calendar.closing_time",
        _time,
        N_("{key}: {value} is not a time of day like 18:00"),
        then=_opens_before_it_closes,
    ),
    _Key("calendar.closures", _closures),
    _Key("clocks", _clocks),
    _Key(
        "feedback.satisfied_min_score",
        _whole(1, 5),
        N_("feedback.satisfied_min_score: must be a whole number 1..5"),
    ),
    _Key(
        "duplicates.window",
        _calendar_span,
        N_("duplicates.window: must be a calendar duration such as 24h or 2d"),
        sets="duplicate_window",
    ),
    _Key(
        "attachments.max_bytes",
        _whole(1, 2**31),
        N_("attachments.max_bytes: must be a whole number of bytes, 1 to 2147483648 (2 GiB)"),
        sets="max_attachment_bytes",
    ),
    _Key(
        "warn.within",
        _span,
        N_("warn.within: must be a duration such as 1wd or 4h"),
        sets="warn_within",
    ),
    _Key(
        "warn.waiting",
        _span,
        N_("warn.waiting: must be a duration such as 1wd or 4h"),
        sets="warn_waiting",
    ),
    _Key(
        "warn.repeat_window",
        _calendar_span,
        N_("warn.repeat_window: must be a calendar duration such as 90d"),
    ),
    _Key(
        "warn.spike_factor",
        _positive_up_to(1000),
        N_("warn.spike_factor: must be a positive number such as 2.0, at most 1000"),
    ),
    _Key(
        "warn.spike_min_cases",
        _whole(1, 1_000_000),
        N_("{key}: must be a whole number, 1 to 1000000"),
    ),
    _Key(
        "warn.spike_weeks", _whole(1, 520), N_("{key}: must be a whole number of weeks, 1 to 520")
    ),
    _Key(
        "undo.same_actor",
        _flag,
        N_("undo.same_actor: must be true or false"),
        sets="undo_same_actor",
    ),
    _Key(
        "undo.within",
        _calendar_span,
        N_("undo.within: must be a calendar duration such as 24h or 7d"),
        sets="undo_within",
    ),
    _Key(
        "display.list_columns",
        _list_columns,
        N_("{key}: {value} is not a column of list; allowed: {allowed}"),
    ),
    _Key(
        "office.name",
        _text,
        N_("{key}: must be a non-empty string"),
        sets="office_name",
        blank_is_unset=True,
    ),
    _Key(
        "office.logo_text",
        _text,
        N_("{key}: must be a non-empty string"),
        sets="office_logo_text",
        blank_is_unset=True,
    ),
    _Key("smtp", _smtp),
    _Key("targets", _targets),
    _Key(
        "categories",
        _codes(DEFAULT_CATEGORIES),
        N_("{key}: must be a non-empty list of {{code, name, name_zh}} tables"),
    ),
    _Key(
        "departments",
        _codes(DEFAULT_DEPARTMENTS),
        N_("{key}: must be a non-empty list of {{code, name, name_zh}} tables"),
    ),
    _Key(
        "staff",
        _staff,
        N_("staff: must be a list of [[staff]] tables (name, department, email)"),
    ),
    _Key("channels", _names, N_("channels: must be a non-empty list of channel names")),
)
_TOP_KEYS = {key.path.partition(".")[0] for key in _KEYS}


def _read_keys(table: dict, keys: tuple[_Key, ...], kw: dict) -> dict:
    """Read `keys` (all of one table) from `table` into `kw`, refusing any other key first."""
    if keys[0].table:
        _check_keys(table, {key.name for key in keys}, keys[0].table + ".")
    for key in keys:
        if key.given(table):
            kw[key.sets or key.name] = key.read(table[key.name], key, kw)
        if key.then is not None:
            key.then(kw)
    return kw


def settings_from_dict(data: dict, source: Path | None = None) -> Settings:
    """Validate a parsed TOML document into Settings; errors name the offending key."""
    _check_keys(data, _TOP_KEYS, "")
    kw: dict = {"source": source}
    for table, keys in groupby(_KEYS, key=lambda k: k.table):
        _read_keys(_table(data, table) if table else data, tuple(keys), kw)
    return Settings(**kw)


def resolve_db_url(cli_value: str | None, settings: Settings) -> str:
    """--db > $COMPLAINTCTL_DB > the config's `database` > the per-user default.

    Each may be a file path or a SQLAlchemy URL.
    """
    return resolve_db(cli_value, settings)[0]


def resolve_db(cli_value: str | None, settings: Settings) -> tuple[str, bool]:
    """(the database URL, whether it was named): named by --db, $COMPLAINTCTL_DB or the
    config, or else the per-user default.  Only the default may be created on first use;
    a named register that is not there is a typo or a missing mount, never a new office."""
    value = cli_value or os.environ.get(DB_ENV) or settings.database
    named = bool(value)
    value = value or str(default_db_path())
    if "://" in value:
        return value, named
    return "sqlite:///" + str(Path(value).expanduser().resolve()), named
