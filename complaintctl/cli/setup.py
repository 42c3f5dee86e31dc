"""Setting an office up: `complaintctl calendar` (the working-day calendar and the deadlines
it gives) and `complaintctl config init|show` (a commented config file).

The root app takes `app`'s command as its own and adds `config_app` as the group `config`.
Nothing heavy at the top: the holidays package (through complaintctl.clock) and the settings
are loaded inside the commands.
"""

import datetime as dt
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from complaintctl.cli.common import _now, _state, one_line
from complaintctl.i18n import _, current, label

if TYPE_CHECKING:
    from complaintctl.config import Code, Settings

# `calendar` joins the root app as a top-level command (see complaintctl/cli/__init__.py).
app = typer.Typer()
config_app = typer.Typer(
    help=_("Write and read the office's config file."),
    no_args_is_help=True,
    rich_markup_mode=None,
)


# -- calendar -------------------------------------------------------------------------------
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# What each kind of day looks like in the grid: a mark after the number (so that the
# calendar reads the same without colour), and its colour on a terminal.
MARKS = {"holiday": "*", "closure": "#", "makeup": "+", "work": " ", "weekend": " "}
COLOURS = {"holiday": "red", "closure": "yellow", "makeup": "green", "weekend": "bright_black"}
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def _weekday_head(day: str) -> str:
    """A weekday's column heading, three columns wide: 'Mo' or, in Chinese, '一'."""
    if current() == "zh":
        return " " + label("weekday", day)[-1]
    return f"{day[:2]:>3}"


def _month(text: str) -> tuple[int, int]:
    """--month YYYY-MM as (year, month)."""
    from complaintctl.errors import InvalidValue
    from complaintctl.parse import FIRST_YEAR, LAST_YEAR

    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidValue(
            "--month", _("{text} is not a month; use YYYY-MM, e.g. 2025-10").format(text=repr(text))
        )
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue(
            "--month",
            _("{text} is outside the years {first}-{last}").format(
                text=text, first=FIRST_YEAR, last=LAST_YEAR
            ),
        )
    return year, int(m.group(2))


def _start(text: str, s: "Settings", now: dt.datetime) -> dt.datetime:
    """--start as naive UTC: a date alone means the office's opening time that day."""
    from complaintctl.clock import to_utc
    from complaintctl.parse import parse_date, parse_time

    if ":" not in text and text.strip().lower() != "now":
        day = parse_date("--start", text, s.date_order)
        return to_utc(dt.datetime.combine(day, s.opening_time, tzinfo=s.tz))
    return parse_time("--start", text, s.tz, now, s.date_order)


def _colour() -> bool:
    """Colour only for a person at a terminal who has not asked for none (no-color.org)."""
    return (
        sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") != "dumb"
    )


def month_lines(
    year: int,
    month: int,
    kinds: dict[dt.date, tuple[str, str | None]],
    colour: bool = False,
    today: dt.date | None = None,
) -> list[str]:
    """The month as a Monday-first grid like cal(1), marks after the day numbers, then a
    legend and one line per day that is marked."""
    import calendar

    width = 4 * 7 - 1
    title = _("{month_name} {year}").format(month_name=MONTHS[month - 1], year=year, month=month)
    lines = [title.center(width).rstrip()]
    lines.append(" ".join(_weekday_head(d) for d in WEEKDAYS))
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append("    ")
                continue
            kind = kinds[day][0]
            cell = f"{day.day:>3}{MARKS[kind]}"
            if colour:
                style: dict = {"fg": COLOURS.get(kind)}
                if kind in ("holiday", "closure"):
                    style["bold"] = True
                if day == today:
                    style["reverse"] = True
                cell = typer.style(f"{day.day:>3}", **style) + MARKS[kind]
            cells.append(cell)
        lines.append("".join(cells).rstrip())
    lines.append("")
    lines.append(_("* holiday   + make-up working day   # office closure"))
    for day in sorted(kinds):
        kind, name = kinds[day]
        if day.month == month and name:
            weekday = label("weekday", WEEKDAYS[day.weekday()])
            lines.append(f"{day.day:>3} {weekday}  {one_line(name)}")
    return lines


@app.command("calendar")
def calendar_cli(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM",
            help=_(
                "The month to show (default: this month in the office time zone, or the "
                "month of --start)."
            ),
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help=_(
                "Also print every clock's deadline for a clock started then, e.g. "
                "2025-09-30 (at opening time) or '2025-09-30 14:00'."
            ),
        ),
    ] = None,
) -> None:
    """The office's working-day calendar for a month: public holidays, make-up working days
    (调休) and closures marked; with --start, the deadline each clock would get."""
    from complaintctl.clock import WorkCalendar, to_local
    from complaintctl.config import load_settings

    s = load_settings(_state(ctx).config)
    now = _now()
    started = _start(start, s, now) if start else None
    if month:
        year, mon = _month(month)
    else:
        shown = to_local(started or now, s.tz)
        year, mon = shown.year, shown.month
    cal = WorkCalendar.from_settings(s)
    first = dt.date(year, mon, 1)
    # A month and a week either side: a weekend at the month's edge needs its neighbours.
    kinds = cal.day_kinds(first + dt.timedelta(n) for n in range(-7, 31 + 7))
    lines = month_lines(year, mon, kinds, _colour(), to_local(now, s.tz).date())
    lines.append(_working_days_line(s, kinds, year, mon))
    if started is not None:
        lines += ["", *_deadline_lines(cal, s, started)]
    typer.echo("\n".join(lines))


def _working_days_line(s: "Settings", kinds, year: int, month: int) -> str:
    """How many days of the month are worked, and by which calendar and time zone."""
    working = sum(
        k[0] in ("work", "makeup") for d, k in kinds.items() if (d.year, d.month) == (year, month)
    )
    place = s.country + (f"-{s.subdivision}" if s.subdivision else "")
    return _("{count} working days (calendar {place}, time zone {zone})").format(
        count=working, place=place, zone=s.timezone
    )


def _deadline_lines(cal, s: "Settings", started: dt.datetime) -> list[str]:
    """--start: the deadline each configured clock gives a clock started then."""
    from complaintctl.clock import local_text, to_local

    stamp = to_local(started, s.tz)
    weekday = label("weekday", WEEKDAYS[stamp.weekday()])
    lines = [
        _("A clock started {weekday} {time}:").format(
            weekday=weekday, time=local_text(started, s.tz)
        )
    ]
    none = []
    for name, duration in s.clocks.items():
        if duration is None:
            none.append(name)
            continue
        due = cal.add(started, duration)
        weekday = label("weekday", WEEKDAYS[to_local(due, s.tz).weekday()])
        shown = label("step", name)
        lines.append(f"  {shown:<12} {duration!s:>5}  {weekday} {local_text(due, s.tz)}")
    if none:
        names = ", ".join(label("step", n) for n in none)
        lines.append(_("  no clock: {names}").format(names=names))
    return lines


# -- config ---------------------------------------------------------------------------------
class Language(str, Enum):
    zh = "zh"
    en = "en"


# Countries whose offices are set up in Chinese unless --language says otherwise.
CHINESE = {"CN", "TW", "HK", "MO"}
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def _q(value: str) -> str:
    """A TOML basic string."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    out = []
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _clock_text(value: object) -> str:
    return "" if value is None else str(value)


def _span(value: dt.timedelta) -> str:
    """A calendar duration as the config writes it (24h, 90d, 30m)."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and (unit != "d" or seconds >= 2 * 86400):
            return f"{int(seconds // size)}{unit}"
    return f"{seconds / 60:f}".rstrip("0").rstrip(".") + "m"


def _clock_time(t: dt.time) -> str:
    return t.strftime("%H:%M") if not t.second and not t.microsecond else t.isoformat()


def _closure_items(days: frozenset[dt.date]) -> list[str]:
    """Closure days as the config writes them: runs of consecutive days as START..END."""
    out: list[str] = []
    ordered = sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == dt.timedelta(1):
            j += 1
        out.append(
            ordered[i].isoformat()
            if i == j
            else f"{ordered[i].isoformat()}..{ordered[j].isoformat()}"
        )
        i = j + 1
    return out


def _list(items: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _codes_block(key: str, codes: "tuple[Code, ...]", live: bool) -> list[str]:
    lead = "" if live else "#"
    lines: list[str] = []
    for c in codes:
        lines += [f"{lead}[[{key}]]", f"{lead}code = {_q(c.code)}", f"{lead}name = {_q(c.name)}"]
        if c.name_zh:
            lines.append(f"{lead}name_zh = {_q(c.name_zh)}")
        lines.append("")
    return lines


def _staff_block(s: "Settings") -> list[str]:
    """The [[staff]] roster as set, or a commented example when there is none."""
    if not s.staff:
        example = (
            "[[staff]]",
            'name = "王芳"',
            'department = "CS"',
            'email = "wang.fang@example.com"',
        )
        return [f"# {line}" for line in example] + [""]
    lines: list[str] = []
    for p in s.staff:
        lines += ["[[staff]]", f"name = {_q(p.name)}"]
        lines += [
            f"{k} = {_q(v)}" for k, v in (("department", p.department), ("email", p.email)) if v
        ]
        lines.append("")
    return lines


def _loader_reads(key: str, value: object) -> bool:
    """Whether this complaintctl's config loader accepts `key` (language is new)."""
    from complaintctl.config import settings_from_dict
    from complaintctl.errors import ConfigError

    try:
        settings_from_dict({key: value})
    except ConfigError:
        return False
    return True


def config_toml(
    s: "Settings", live: set[str] | None, language: str | None, header: list[str]
) -> str:
    """The settings `s` as a commented TOML file.

    Keys named in `live` (all of them when `live` is None) are written as settings; every
    other key is written commented out as `#key = value` (no space after the #, so that
    removing it gives a working line) showing the value `s` has, the default for a file
    from `config init`.  Prose comments start with "# ".
    """

    def line(key: str, text: str, note: str = "") -> str:
        set_ = live is None or key in live
        name = key.rsplit(".", 1)[-1]
        return f"{'' if set_ else '#'}{name} = {text}" + (f"  # {note}" if note else "")

    lines = [*header]
    lines += [
        "# Every key is optional.  A line '#key = value' shows a setting at its default: remove",
        "# the '#' to change it.  A wrong key or value stops every command with an error naming",
        "# the key (exit 2).  This file may hold a database URL: keep it private (chmod 600).",
        "",
        "# The office time zone (IANA name).  Times are stored in UTC and shown in this zone;",
        "# dates typed on the command line are read in it.",
        line("timezone", _q(s.timezone)),
        "",
    ]
    if language is not None or hasattr(s, "language"):
        lines.append(
            "# The language of complaintctl's messages and tables: zh (中文) or en (English)."
        )
        if language is None:
            lines.append("# Not set: taken from LC_ALL, LC_MESSAGES or LANG.")
            lines.append('# language = "zh"')
        elif _loader_reads("language", language):
            lines.append(line("language", _q(language)))
        else:
            lines.append("# (This complaintctl does not read it yet; it speaks English.)")
            lines.append(f"# language = {_q(language)}")
        lines.append("")
    lines += [
        "# How a date such as 03/10/2025 is read, typed or in an imported column whose own",
        "# dates do not tell: dayfirst (3 October) or monthfirst (10 March).",
    ]
    if getattr(s, "date_order", None) is None:
        lines.append("# Not set: such a date is refused (2025-10-03 is always understood).")
        lines.append('# date_order = "dayfirst"')
    else:
        lines.append(line("date_order", _q(s.date_order)))
    lines += [
        "",
        "# Case numbers: {year} is the year the complaint was received, {seq} a counter that",
        "# never goes back (a new series each year while {year} is used).  Python format syntax.",
        line("number_pattern", _q(s.number_pattern)),
        "",
        "# The database: a file path (relative to this file) or a SQLAlchemy URL such as",
        "# postgresql+psycopg://complaints@db.example.com/complaints (keep its password in",
        "# ~/.pgpass, not here).  Unset: --db, then COMPLAINTCTL_DB, then the per-user file.",
    ]
    if s.database is not None:
        from sqlalchemy.engine import make_url

        db = s.database
        if "://" in db:
            db = make_url(db).render_as_string(hide_password=True)
        lines.append(line("database", _q(db)))
    else:
        lines.append('# database = "complaints.db"')
    lines += [
        "",
        "# Channels a complaint can arrive by (000 §3.1); `log --channel` takes one of them.",
        line("channels", _list(s.channels)),
        "",
        "[calendar]",
        "# Public holidays and make-up working days (调休) come from the `holidays` package for",
        "# this country (ISO 3166 code) and, where it has them, subdivision (state, province).",
        "# `complaintctl calendar` shows the result.",
        line("calendar.country", _q(s.country)),
    ]
    if s.subdivision:
        lines.append(line("calendar.subdivision", _q(s.subdivision)))
    else:
        lines.append('# subdivision = "CA"  # e.g. California, with country = "US"')
    lines += [
        line(
            "calendar.opening_time",
            _q(_clock_time(s.opening_time)),
            'office hours: working-hour clocks ("wh") count inside them',
        ),
        line(
            "calendar.closing_time",
            _q(_clock_time(s.closing_time)),
            "a working-day deadline falls at this time",
        ),
        "# Days the office is closed besides public holidays: dates or START..END ranges,",
        '# e.g. ["2025-12-31", "2026-02-23..2026-02-24"].',
        line("calendar.closures", _list(_closure_items(s.closures))),
        "",
        "[clocks]",
        "# How long each step may take.  Units: m (minutes), h (hours), d (days) are calendar",
        "# time; wh (working hours) and wd (working days) follow the calendar above.",
        '# "" = no deadline.',
    ]
    notes = {
        "acknowledge": "tell the customer the case number, from receipt",
        "classify": "classify and accept, from acknowledgement",
        "assign": "assign an owner, from classification",
        "investigate": "the investigation report, from assignment",
        "resolve": "remedy done and customer told, from the report",
        "feedback": "the customer's feedback window, from resolution",
        "escalate": "severity A: escalate, from being graded A",
        "plan": "severity A: a handling plan, from being graded A",
    }
    for name, duration in s.clocks.items():
        lines.append(line(f"clocks.{name}", _q(_clock_text(duration)), notes.get(name, "")))
    lines += [
        "",
        "[feedback]",
        "# Scores at or above this close the case as satisfied; below reopen it to its owner.",
        line("feedback.satisfied_min_score", str(s.satisfied_min_score)),
        "",
        "[duplicates]",
        "# `log` warns when an open case from the same contact was logged within this window.",
        line("duplicates.window", _q(_span(s.duplicate_window))),
        "",
        "[attachments]",
        "# The largest file `attach` accepts, in bytes.",
        line("attachments.max_bytes", str(s.max_attachment_bytes)),
        "",
        "[warn]",
        "# What `warn` (the morning digest) looks at.",
        line("warn.within", _q(str(s.warn_within)), "also list deadlines due within this long"),
        line(
            "warn.waiting",
            _q(str(s.warn_waiting)),
            "list cases waiting this long to be classified or assigned",
        ),
        line(
            "warn.repeat_window",
            _q(_span(s.repeat_window)),
            "same contact again within this = repeat complainant",
        ),
        line(
            "warn.spike_factor",
            repr(float(s.spike_factor)),
            "a category spikes when this week's count >= factor x",
        ),
        line("warn.spike_weeks", str(s.spike_weeks), "... its mean over this many weeks, and"),
        line("warn.spike_min_cases", str(s.spike_min_cases), "... at least this many this week"),
        "",
        "#[undo]",
        "# Who may take back a step with `undo` (any user, any time by default).  For example:",
        "# same_actor = true   # only who took the step",
        '# within = "24h"      # only this soon after it was recorded',
        "",
        "#[display]",
        "# The columns of `list` when --columns is not given (default: chosen by the",
        "# terminal's width).  For example:",
        '# list_columns = ["number", "step", "customer_name", "summary", "owner", "due_at"]',
        "",
    ]
    lines += _office_block(s, line)
    lines += _smtp_block(s, line)
    targets = getattr(s, "targets", None)
    if targets is not None:
        from complaintctl.figures import TARGETS

        lines += ["[targets]", "# What the monthly report judges each period against (003)."]
        for _figure, t in TARGETS:
            value = repr(float(getattr(targets, t.key)))
            lines.append(line(f"targets.{t.key}", value, t.note))
        lines.append("")
    lines += [
        "# Categories: a stable code, an English and a Chinese name (003; 000 §3.2.2).",
        "# Replacing the list keeps old cases readable: their codes are stored as text.",
        *_codes_block("categories", s.categories, live is None or "categories" in live),
        "# Departments that own cases (000 §3.3); `assign --department` takes a code.",
        *_codes_block("departments", s.departments, live is None or "departments" in live),
        "# Staff roster (optional): with one, an owner not on it (a typo such as 王方 for",
        "# 王芳) is refused by assign and by the --owner filters.  Without one, any name is",
        "# taken.  department (a code above) and email are optional.  For example:",
        *_staff_block(s),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _office_block(s: "Settings", line) -> list[str]:
    """[office]: the head of the printed forms; a commented example when not set."""
    name, logo = getattr(s, "office_name", None), getattr(s, "office_logo_text", None)
    lines = [
        "# The head of the printed forms (`form`): the office's name and a short logo text",
        "# (none by default).",
    ]
    if name is None and logo is None:
        return [
            "#[office]",
            *lines,
            "# For example:",
            '# name = "华东区客户服务中心"',
            '# logo_text = "ACME"',
            "",
        ]
    lines.insert(0, "[office]")
    if name is not None:
        lines.append(line("office.name", _q(name)))
    if logo is not None:
        lines.append(line("office.logo_text", _q(logo)))
    return [*lines, ""]


def _smtp_block(s: "Settings", line) -> list[str]:
    lines = [
        "# Where `warn --mail-to` sends its digest.  The password is never written here: put",
        "# it in the environment variable named by password_env.",
    ]
    m = s.smtp
    if m is None:
        return lines + [
            "# Not set: mail is not configured.  For example:",
            "# [smtp]",
            '# host = "smtp.example.com"',
            "# port = 587",
            '# security = "starttls"  # none | starttls (usually port 587) | ssl (usually 465)',
            '# user = "complaints@example.com"',
            '# password_env = "COMPLAINTCTL_SMTP_PASSWORD"',
            '# from = "complaints@example.com"',
            "# timeout = 30",
            "",
        ]
    lines += [
        "[smtp]",
        line("smtp.host", _q(m.host)),
        line("smtp.port", str(m.port)),
        line("smtp.security", _q(m.security), "none | starttls | ssl"),
    ]
    if m.user:
        lines.append(line("smtp.user", _q(m.user)))
    if m.password_env:
        lines.append(line("smtp.password_env", _q(m.password_env)))
    lines += [line("smtp.from", _q(m.sender)), line("smtp.timeout", repr(float(m.timeout))), ""]
    return lines


def _department(text: str, seen: set[str]) -> "Code":
    """--department CODE=Name[=中文名]."""
    from complaintctl.config import Code
    from complaintctl.errors import InvalidValue

    code, _sep, rest = text.partition("=")
    name, _sep, name_zh = rest.partition("=")
    code, name, name_zh = code.strip(), name.strip(), name_zh.strip()
    if not _CODE.match(code):
        raise InvalidValue(
            "--department",
            _(
                "{text}: the code must be 1-20 letters, digits, _ or -; use CODE=Name or "
                "CODE=Name=中文名, e.g. QA=Quality management=质量管理部"
            ).format(text=one_line(repr(text))),
        )
    if code.upper() in seen:
        raise InvalidValue("--department", _("code {code} is given twice").format(code=code))
    for part in (name, name_zh):
        if len(part) > 100 or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in part):
            raise InvalidValue(
                "--department",
                _("{text}: a name is at most 100 printable characters").format(
                    text=one_line(repr(text))
                ),
            )
    seen.add(code.upper())
    return Code(code, name or code, name_zh)


def _default_zone(country: str) -> tuple[str, list[str]]:
    """The time zone for an office in `country`, and every zone the country has.

    CN is the default's own (Asia/Shanghai); elsewhere the first zone the tz database lists
    for the country, which it orders most populous first.
    """
    from complaintctl.config import Settings

    if country == "CN":
        return Settings().timezone, []
    import zoneinfo

    zones: list[str] = []
    for base in zoneinfo.TZPATH:
        tab = Path(base) / "zone.tab"
        if tab.is_file():
            for row in tab.read_text(encoding="utf-8").splitlines():
                parts = row.split("\t")
                if not row.startswith("#") and len(parts) >= 3 and parts[0] == country:
                    zones.append(parts[2])
            break
    return (zones[0] if zones else "UTC"), zones


def _write_private(path: Path, text: str, force: bool) -> None:
    """Write `text` to `path`, readable by its owner only, atomically, replacing a file
    only with --force (complaintctl.outputs); its folder is made if missing."""
    from complaintctl import outputs

    outputs.make_folder(path.parent, "--path")  # only when missing: then so is the file
    outputs.write_file(path, lambda f: f.write(text), "--path", replace=force, newline=None)


# config init's options.
ConfigPathOpt = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help=_(
            "Where to write it (default: --config, COMPLAINTCTL_CONFIG, or the per-user "
            "config file)."
        ),
    ),
]
CountryOpt = Annotated[
    str, typer.Option(help=_("Country of the public-holiday calendar (ISO code)."))
]
SubdivisionOpt = Annotated[
    str | None, typer.Option(help=_("State or province, where the calendar has them."))
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        help=_("Office time zone, e.g. Asia/Shanghai (default: the country's main zone).")
    ),
]
LanguageOpt = Annotated[
    Language | None,
    typer.Option(help=_("zh or en (default: zh for CN, TW, HK, MO; en elsewhere).")),
]
NewDepartmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        metavar="CODE=Name[=中文名]",
        help=_("A department that owns cases; repeat for each (default: CS SALES TECH LOG QA)."),
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help=_("Replace an existing file."))]


@config_app.command("init")
def config_init_cli(
    ctx: typer.Context,
    path: ConfigPathOpt = None,
    country: CountryOpt = "CN",
    subdivision: SubdivisionOpt = None,
    timezone: TimezoneOpt = None,
    language: LanguageOpt = None,
    department: NewDepartmentOpt = None,
    force: ForceOpt = False,
) -> None:
    """Write a commented config file for the office (country, time zone, language,
    departments); every other setting is shown at its default, ready to change."""
    from complaintctl.config import CONFIG_ENV, default_config_path

    st = _state(ctx)
    explicit = path or st.config or os.environ.get(CONFIG_ENV)
    target = Path(explicit).expanduser() if explicit else default_config_path()
    code = _calendar_country(country, subdivision)
    zone, zones = _office_zone(code, timezone)
    lang = (language.value if language else None) or ("zh" if code in CHINESE else "en")
    seen: set[str] = set()
    departments = tuple(_department(d, seen) for d in department or [])
    settings, text = _initial_config(code, subdivision, zone, lang, departments, target)
    _write_private(target, text, force)
    typer.echo(_("wrote {path}").format(path=target))
    note = _(" (the first of {count} zones of {country}; --timezone picks another)").format(
        count=len(zones), country=code
    )
    typer.echo(
        _("  time zone   {zone}").format(zone=zone)
        + (note if timezone is None and len(zones) > 1 else "")
    )
    place = code + ("-" + subdivision if subdivision else "")
    typer.echo(_("  calendar    {place}").format(place=place))
    typer.echo(_("  language    {language}").format(language=lang))
    shown = departments or settings.departments
    typer.echo(_("  departments {codes}").format(codes=" ".join(d.code for d in shown)))
    looked_up = Path(st.config or os.environ.get(CONFIG_ENV) or default_config_path())
    if looked_up.expanduser().resolve() != target.resolve():
        typer.echo(
            _("use it with: complaintctl --config {path} ... (or set {variable})").format(
                path=target, variable=CONFIG_ENV
            )
        )


def _calendar_country(country: str, subdivision: str | None) -> str:
    """--country as the holiday calendar's code (and --subdivision checked against it)."""
    from complaintctl.clock import supported_calendars
    from complaintctl.errors import InvalidValue

    code = country.strip().upper()
    supported = supported_calendars()
    if code not in supported:
        raise InvalidValue(
            "--country",
            _(
                "{country} is not a country the holidays package knows; use an ISO code "
                "such as CN, HK, TW, SG, US, GB, DE"
            ).format(country=one_line(repr(country))),
        )
    if subdivision is not None and subdivision not in supported[code]:
        raise InvalidValue(
            "--subdivision",
            _("{subdivision} is not a subdivision of {country}; allowed: {allowed}").format(
                subdivision=one_line(repr(subdivision)),
                country=code,
                allowed=", ".join(supported[code]) or _("none"),
            ),
        )
    return code


def _office_zone(code: str, timezone: str | None) -> tuple[str, list[str]]:
    """(the office's time zone: --timezone, checked, or the country's main one; every zone
    the country has)."""
    import zoneinfo

    from complaintctl.errors import InvalidValue

    zone, zones = _default_zone(code)
    if timezone is None:
        return zone, zones
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            "--timezone",
            _("{zone} is not an IANA time zone like Asia/Shanghai").format(
                zone=one_line(repr(timezone))
            ),
        ) from None
    return timezone, zones


def _initial_config(
    code: str,
    subdivision: str | None,
    zone: str,
    lang: str,
    departments: "tuple[Code, ...]",
    target: Path,
) -> "tuple[Settings, str]":
    """(the settings, the commented file) `config init` writes: the given keys set, every
    other shown at its default; checked to load the way every command will read it."""
    import tomllib
    from dataclasses import replace

    from complaintctl.config import Settings, settings_from_dict
    from complaintctl.errors import ConfigError, InvalidValue

    settings = replace(Settings(), timezone=zone, country=code, subdivision=subdivision)
    live = {"timezone", "calendar.country", "language"}
    if subdivision:
        live.add("calendar.subdivision")
    if departments:
        settings = replace(settings, departments=departments)
        live.add("departments")
    header = [
        f"# complaintctl configuration, written by `complaintctl config init` on "
        f"{dt.date.today().isoformat()}.",
    ]
    text = config_toml(settings, live, lang, header)
    try:
        settings_from_dict(tomllib.loads(text), target)
    except (ConfigError, tomllib.TOMLDecodeError) as exc:  # a bug here, not the user's
        raise InvalidValue(
            "config init", _("the generated file does not load: {reason}").format(reason=exc)
        ) from None
    return settings, text


@config_app.command("show")
def config_show_cli(ctx: typer.Context) -> None:
    """Print the settings in effect (the config file's, defaults for the rest) as TOML;
    a database password is never shown."""
    from complaintctl.config import load_settings

    s = load_settings(_state(ctx).config)
    where = f"from {s.source}" if s.source else "built-in defaults (no config file)"
    header = [f"# complaintctl settings in effect: {where}.", ""]
    typer.echo(config_toml(s, None, getattr(s, "language", None), header), nl=False)
