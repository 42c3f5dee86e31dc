"""The TOML settings: read once, validated once, every wrong key named."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintctl.errors import ConfigError
from complaintctl.figures import TARGETS
from complaintctl.messages import LANGUAGES, _, normalise
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
            _(
                "{key}: {value} is not a duration; use a number and one of m, h, d, wh, wd "
                "(e.g. 24h, 3wd)"
            ).format(key=key, value=repr(text))
        )
    amount = float(m.group(1))
    if m.group(2) == "wd" and amount != int(amount):
        raise ConfigError(
            _("{key}: working days must be a whole number, not {value}").format(
                key=key, value=repr(text)
            )
        )
    return Duration(amount, m.group(2))


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    name_zh: str = ""


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
    warn_within: Duration = Duration(1, "wd")
    repeat_window: dt.timedelta = dt.timedelta(days=90)
    spike_factor: float = 2.0
    spike_min_cases: int = 3
    spike_weeks: int = 8
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
            _(
                "database: {path} holds a database password and is readable by others "
                "(mode {mode}); run: chmod 600 {path} (or keep the password in ~/.pgpass)"
            ).format(path=source, mode=f"{mode:04o}")
        )


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the config: `path` > $COMPLAINTCTL_CONFIG > the default location > built-in defaults.

    A path given explicitly (argument or environment) must exist; the default may be absent.
    """
    explicit = path or os.environ.get(CONFIG_ENV)
    cfg_path = Path(explicit) if explicit else default_config_path()
    if not cfg_path.exists():
        if explicit:
            raise ConfigError(_("config: file {path} does not exist").format(path=cfg_path))
        return Settings()
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("config: {path} is not valid TOML: {error}").format(path=cfg_path, error=exc)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("config: cannot read {path}: {error}").format(path=cfg_path, error=exc)
        ) from None
    return settings_from_dict(data, cfg_path)


_TOP_KEYS = {
    "timezone",
    "language",
    "date_order",
    "number_pattern",
    "database",
    "calendar",
    "clocks",
    "feedback",
    "duplicates",
    "attachments",
    "categories",
    "channels",
    "departments",
    "warn",
    "smtp",
    "targets",
}


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(_("{key}: must be a table ([{key}])").format(key=key))
    return value


def _check_keys(table: dict, allowed: set[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                _("{key}: unknown setting; allowed: {allowed}").format(
                    key=f"{prefix}{key}", allowed=", ".join(sorted(allowed))
                )
            )


def _time(value: object, key: str) -> dt.time:
    try:
        t = dt.time.fromisoformat(str(value))
        if t.tzinfo is not None:  # the office time zone is `timezone`, not an offset here
            raise ValueError
        return t
    except ValueError:
        raise ConfigError(
            _("{key}: {value} is not a time of day like 18:00").format(key=key, value=repr(value))
        ) from None


def _codes(value: object, key: str, defaults: tuple[Code, ...]) -> tuple[Code, ...]:
    if value is None:
        return defaults
    if not isinstance(value, list) or not value:
        raise ConfigError(
            _("{key}: must be a non-empty list of {{code, name, name_zh}} tables").format(key=key)
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not str(item.get("code", "")).strip():
            raise ConfigError(
                _("{key}: every entry needs a non-empty code").format(key=f"{key}[{i}].code")
            )
        _check_keys(item, {"code", "name", "name_zh"}, f"{key}[{i}].")
        code = str(item["code"]).strip()
        out.append(Code(code, str(item.get("name", code)), str(item.get("name_zh", ""))))
    seen = [c.code for c in out]
    dupes = {c for c in seen if seen.count(c) > 1}
    if dupes:
        raise ConfigError(
            _("{key}: code {code} appears twice").format(key=key, code=sorted(dupes)[0])
        )
    return tuple(out)


def settings_from_dict(data: dict, source: Path | None = None) -> Settings:
    """Validate a parsed TOML document into Settings; errors name the offending key."""
    _check_keys(data, _TOP_KEYS, "")
    kw: dict = {"source": source}

    if "timezone" in data:
        try:
            ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                _("timezone: {value} is not an IANA time zone like Asia/Shanghai").format(
                    value=repr(data["timezone"])
                )
            ) from None
        kw["timezone"] = str(data["timezone"])

    if "language" in data:
        language = normalise(str(data["language"]))
        if language is None:
            raise ConfigError(
                _("language: {value} is not a language; allowed: {allowed}").format(
                    value=repr(data["language"]), allowed=", ".join(LANGUAGES)
                )
            )
        kw["language"] = language

    if "date_order" in data:
        if data["date_order"] not in DATE_ORDERS:
            raise ConfigError(
                _("date_order: {value} is not a date order; allowed: {allowed}").format(
                    value=repr(data["date_order"]), allowed=", ".join(DATE_ORDERS)
                )
            )
        kw["date_order"] = data["date_order"]

    if "number_pattern" in data:
        pattern = str(data["number_pattern"])
        if "{seq" not in pattern:
            raise ConfigError(_("number_pattern: must contain {seq}, e.g. C{year}-{seq:06d}"))
        try:
            pattern.format(year=2025, seq=1)
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            raise ConfigError(
                _("number_pattern: {pattern} may use only {{year}} and {{seq}} fields").format(
                    pattern=repr(pattern)
                )
            ) from None
        kw["number_pattern"] = pattern

    if "database" in data:
        db = str(data["database"])
        if source is not None and "://" in db:
            _refuse_readable_secret(source, db)
        # A relative path in the config means relative to the config file, not the cwd.
        if source and "://" not in db and not Path(db).is_absolute():
            db = str((source.parent / db).resolve())
        kw["database"] = db

    cal = _table(data, "calendar")
    _check_keys(
        cal,
        {"country", "subdivision", "opening_time", "closing_time", "closures"},
        "calendar.",
    )
    if "country" in cal:
        import holidays

        country = str(cal["country"]).upper()
        if country not in holidays.list_supported_countries():
            raise ConfigError(
                _("calendar.country: {value} is not a country the holidays package knows").format(
                    value=repr(cal["country"])
                )
            )
        kw["country"] = country
    if cal.get("subdivision"):
        import holidays

        country = kw.get("country", "CN")
        subdivs = holidays.list_supported_countries()[country]
        if str(cal["subdivision"]) not in subdivs:
            raise ConfigError(
                _(
                    "calendar.subdivision: {value} is not a subdivision of {country}; "
                    "allowed: {allowed}"
                ).format(
                    value=repr(cal["subdivision"]),
                    country=country,
                    allowed=", ".join(subdivs) or _("none"),
                )
            )
        kw["subdivision"] = str(cal["subdivision"])
    if "opening_time" in cal:
        kw["opening_time"] = _time(cal["opening_time"], "calendar.opening_time")
    if "closing_time" in cal:
        kw["closing_time"] = _time(cal["closing_time"], "calendar.closing_time")
    if kw.get("opening_time", dt.time(9)) >= kw.get("closing_time", dt.time(18)):
        raise ConfigError(_("calendar.closing_time: must be later than calendar.opening_time"))
    if "closures" in cal:
        kw["closures"] = frozenset(_closures(cal["closures"]))

    clocks_in = _table(data, "clocks")
    _check_keys(clocks_in, set(DEFAULT_CLOCKS), "clocks.")
    clocks = {k: parse_duration(v, f"clocks.{k}") for k, v in DEFAULT_CLOCKS.items()}
    for k, v in clocks_in.items():
        clocks[k] = parse_duration(v, f"clocks.{k}")
    kw["clocks"] = clocks

    fb = _table(data, "feedback")
    _check_keys(fb, {"satisfied_min_score"}, "feedback.")
    if "satisfied_min_score" in fb:
        score = fb["satisfied_min_score"]
        if type(score) is not int or not 1 <= score <= 5:  # not bool
            raise ConfigError(_("feedback.satisfied_min_score: must be a whole number 1..5"))
        kw["satisfied_min_score"] = score

    dup = _table(data, "duplicates")
    _check_keys(dup, {"window"}, "duplicates.")
    if "window" in dup:
        window = parse_duration(dup["window"], "duplicates.window")
        if window is None or window.working:
            raise ConfigError(_("duplicates.window: must be a calendar duration such as 24h or 2d"))
        kw["duplicate_window"] = window.timedelta

    att = _table(data, "attachments")
    _check_keys(att, {"max_bytes"}, "attachments.")
    if "max_bytes" in att:
        if type(att["max_bytes"]) is not int or att["max_bytes"] <= 0:  # not bool
            raise ConfigError(_("attachments.max_bytes: must be a positive whole number of bytes"))
        kw["max_attachment_bytes"] = att["max_bytes"]

    warn = _table(data, "warn")
    _check_keys(
        warn, {"within", "repeat_window", "spike_factor", "spike_min_cases", "spike_weeks"}, "warn."
    )
    if "within" in warn:
        within = parse_duration(warn["within"], "warn.within")
        if within is None:
            raise ConfigError(_("warn.within: must be a duration such as 1wd or 4h"))
        kw["warn_within"] = within
    if "repeat_window" in warn:
        window = parse_duration(warn["repeat_window"], "warn.repeat_window")
        if window is None or window.working:
            raise ConfigError(_("warn.repeat_window: must be a calendar duration such as 90d"))
        kw["repeat_window"] = window.timedelta
    if "spike_factor" in warn:
        factor = warn["spike_factor"]
        if type(factor) not in (int, float) or factor <= 0:
            raise ConfigError(_("warn.spike_factor: must be a positive number such as 2.0"))
        kw["spike_factor"] = float(factor)
    for key in ("spike_min_cases", "spike_weeks"):
        if key in warn:
            if type(warn[key]) is not int or warn[key] < 1:
                raise ConfigError(
                    _("{key}: must be a whole number, 1 or more").format(key=f"warn.{key}")
                )
            kw[key] = warn[key]

    if "smtp" in data:
        kw["smtp"] = _smtp(_table(data, "smtp"))
    if "targets" in data:
        kw["targets"] = _targets(_table(data, "targets"))

    kw["categories"] = _codes(data.get("categories"), "categories", Settings().categories)
    kw["departments"] = _codes(data.get("departments"), "departments", Settings().departments)
    if "channels" in data:
        ch = data["channels"]
        if not isinstance(ch, list) or not ch or not all(isinstance(c, str) and c for c in ch):
            raise ConfigError(_("channels: must be a non-empty list of channel names"))
        kw["channels"] = tuple(ch)
    return Settings(**kw)


def _closures(value: object) -> list[dt.date]:
    """Closure days: ISO dates, or 'START..END' ranges (both ends included)."""
    if not isinstance(value, list):
        raise ConfigError(_("calendar.closures: must be a list of dates or 'START..END' ranges"))
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
                _(
                    "calendar.closures: {value} is not a date (2025-12-31) or range "
                    "(2025-12-29..2025-12-31)"
                ).format(value=repr(text))
            ) from None
    return days


def _targets(t: dict) -> Targets:
    """[targets]: the report's goals; each a plain number within its own range."""
    limits = {target.key: (target.low, target.high, _(target.allowed)) for _f, target in TARGETS}
    _check_keys(t, set(limits), "targets.")
    kw: dict = {}
    for key, value in t.items():
        low, high, what = limits[key]
        # bool is an int to Python, and NaN passes neither comparison: refuse both.
        if type(value) not in (int, float) or not low <= value <= high:
            raise ConfigError(
                _("{key}: must be {what}, not {value}").format(
                    key=f"targets.{key}", what=what, value=repr(value)
                )
            )
        kw[key] = float(value)
    return Targets(**kw)


def _smtp(t: dict) -> SmtpSettings:
    if "password" in t:
        raise ConfigError(
            _(
                "smtp.password: passwords are never read from the config file; set "
                "smtp.password_env to the name of an environment variable that holds it"
            )
        )
    _check_keys(t, {"host", "port", "security", "user", "password_env", "from", "timeout"}, "smtp.")
    kw: dict = {}
    if "host" in t:
        if not isinstance(t["host"], str) or not t["host"].strip():
            raise ConfigError(_("smtp.host: must be a host name"))
        kw["host"] = t["host"].strip()
    if "port" in t:
        if type(t["port"]) is not int or not 0 < t["port"] < 65536:
            raise ConfigError(_("smtp.port: must be a port number 1..65535"))
        kw["port"] = t["port"]
    if "security" in t:
        if t["security"] not in ("none", "starttls", "ssl"):
            raise ConfigError(_("smtp.security: must be one of none, starttls, ssl"))
        kw["security"] = t["security"]
    for key, attr in (("user", "user"), ("password_env", "password_env"), ("from", "sender")):
        if key in t:
            if not isinstance(t[key], str) or not t[key].strip():
                raise ConfigError(_("{key}: must be a non-empty string").format(key=f"smtp.{key}"))
            kw[attr] = t[key].strip()
    if "timeout" in t:
        if type(t["timeout"]) not in (int, float) or t["timeout"] <= 0:
            raise ConfigError(_("smtp.timeout: must be a positive number of seconds"))
        kw["timeout"] = float(t["timeout"])
    if kw.get("user") and not kw.get("password_env"):
        raise ConfigError(_("smtp.password_env: required when smtp.user is set"))
    return SmtpSettings(**kw)


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
