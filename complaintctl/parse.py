"""Turning what a user typed into typed values, with one-line errors naming the field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from complaintctl.clock import to_local, to_utc
from complaintctl.errors import InvalidValue
from complaintctl.fields import BY_NAME, LONG_TEXT
from complaintctl.messages import N_, _

# A date written day and month first, in either order (03/10/2025, 3.10.25, 03-10-2025).
DAY_MONTH = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def _dayfirst(field: str, text: str, date_order: str | None) -> bool:
    """Whether `text` has its day before its month (for dateutil): 13/10/2025 can only be
    day first and 10/13/2025 only month first; 03/10/2025 is read in `date_order`, and
    without one it is refused, naming both readings."""
    m = DAY_MONTH.match(text)
    if m is None:
        return False  # year first (2025-10-03) or words: dateutil's own reading
    a, b = int(m.group(1)), int(m.group(2))
    if a > 12 or b > 12 or a == b or not a or not b:
        return a > 12  # one reading at most
    if date_order is not None:
        return date_order == "dayfirst"
    year = int(m.group(3))
    year = year if len(m.group(3)) == 4 else 2000 + year
    readings = [(a, b), (b, a)]  # (day, month): day first, then month first
    raise InvalidValue(
        field,
        N_(
            "{value} is ambiguous ({day_first} or {month_first}?); write {iso_day_first} or "
            "{iso_month_first}, or set date_order in the config"
        ),
        value=text.strip(),
        day_first=_day_name(*readings[0]),
        month_first=_day_name(*readings[1]),
        iso_day_first=f"{year:04d}-{readings[0][1]:02d}-{readings[0][0]:02d}",
        iso_month_first=f"{year:04d}-{readings[1][1]:02d}-{readings[1][0]:02d}",
    )


# The forms a typed date or time may take, and nothing else (dateutil alone would read
# `1`, `Oct`, `Monday` or `251001` as some day, and ignore `PST`):
# a date year first (2025-10-03, 2025/10/3, 2025.10.03, 2025年10月3日) or day and month
# first (03/10/2025, 3.10.25: see _dayfirst), then optionally a time (09:15, 09:15:30,
# 09:15:30.5, after a space or T) and an offset (Z, +08:00, +0800, -05); or a time alone
# (today); or `now`.
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))"
)
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?"
_OFFSET = r"(?:\s*(?:Z|[+-]\d{2}(?::?\d{2})?))?"
DATE_FORM = re.compile(rf"\s*{_DATE}\s*")
TIME_FORM = re.compile(rf"\s*(?:{_DATE}(?:(?:\s+|T){_CLOCK}{_OFFSET})?|{_CLOCK}{_OFFSET})\s*")
_ZONE_WORD = re.compile(r"[A-Za-z]{2,5}\s*$")


def _day_name(day: int, month: int) -> str:
    return _("{day} {month_name}").format(day=day, month=month, month_name=_MONTHS[month - 1])


def parse_time(
    field: str, text: str, tz: ZoneInfo, now: dt.datetime, date_order: str | None = None
) -> dt.datetime:
    """A date/time typed in the office's zone (or with its own offset) as naive UTC.

    A bare date means 00:00 that day; a bare time means today.  A date such as
    03/10/2025 is read in `date_order` ("dayfirst" or "monthfirst"), and refused without.
    """
    from dateutil import parser

    if text.strip().lower() == "now":
        return now
    if not TIME_FORM.fullmatch(text):
        if _ZONE_WORD.search(text) and TIME_FORM.fullmatch(_ZONE_WORD.sub("", text)):
            raise InvalidValue(
                field,
                N_("{value}: a time zone name is ambiguous; give an offset such as +08:00"),
                value=_short(text),
            )
        raise InvalidValue(
            field,
            N_("{value} is not a date/time; use e.g. 2025-09-30 09:15 or 2025-09-30"),
            value=_short(text),
        )
    text = text.replace("年", "-").replace("月", "-").replace("日", "")
    local_now = to_local(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    dayfirst = _dayfirst(field, text, date_order)
    try:
        value = parser.parse(text, dayfirst=dayfirst, default=local_now.replace(tzinfo=None))
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        value.utcoffset()  # an offset of a day or more fails here
    except (ValueError, OverflowError, TypeError):
        raise InvalidValue(
            field,
            N_("{value} is not a date/time; use e.g. 2025-09-30 09:15 or 2025-09-30"),
            value=_short(text),
        ) from None
    _in_years(field, value.date())
    return to_utc(value)


FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_years(field: str, day: dt.date) -> dt.date:
    """Refuse dates no complaint can have (and that time-zone arithmetic cannot hold)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidValue(
            field,
            N_("{day} is outside the years {first}-{last}"),
            day=day.isoformat(),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return day


def _short(text: str, limit: int = 60) -> str:
    """A value quoted for a message: escaped, and cut short if long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_date(field: str, text: str, date_order: str | None = None) -> dt.date:
    """A calendar date (2025-09-30, 2025/9/30, ...); 03/10/2025 as in parse_time()."""
    from dateutil import parser

    if not DATE_FORM.fullmatch(text):
        raise InvalidValue(
            field, N_("{value} is not a date; use e.g. 2025-09-30"), value=_short(text)
        )
    text = text.replace("年", "-").replace("月", "-").replace("日", "")
    dayfirst = _dayfirst(field, text, date_order)
    try:
        day = parser.parse(text, dayfirst=dayfirst).date()
    except (ValueError, OverflowError, TypeError):
        raise InvalidValue(
            field, N_("{value} is not a date; use e.g. 2025-09-30"), value=_short(text)
        ) from None
    return _in_years(field, day)


def parse_amount(field: str, text: str | float | None) -> int | None:
    """A money amount as whole cents; at most two decimals, not negative."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return amount_cents(str(text), thousands=False)
    except ValueError as exc:
        raise InvalidValue(field, f"{text!r} {exc}") from None


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def amount_cents(text: str, thousands: bool = True) -> int:
    """A money amount (not empty) as whole cents; ValueError with the reason, which reads
    after the value or a field's name ("… is not an amount; use e.g. 120.50").  A comma is
    read only as a thousands separator in a file's column (1,234.50, with `thousands`);
    anything else with one (120,50 could be 120.50 or 12,050) is refused."""
    text = text.strip()
    if "," in text:
        if not (thousands and _THOUSANDS.fullmatch(text)):
            raise ValueError(
                _("is not an amount: write it with a decimal point and no separators, e.g. 120.50")
            )
        text = text.replace(",", "")
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise ValueError(_("must be a non-negative amount"))
    if not _DECIMAL.fullmatch(text):  # no exponent, NaN, Infinity or sign
        raise ValueError(_("is not an amount; use e.g. 120.50"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("is not an amount; use e.g. 120.50")) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_("must be a non-negative amount"))
    if value >= Decimal("1e13"):
        raise ValueError(_("is too large (at most 9999999999999.99)"))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("must have at most 2 decimals"))
    return int(value * 100)


def format_amount(cents: int | None) -> str | None:
    return None if cents is None else f"{Decimal(cents) / 100:.2f}"


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """00:00 of a local calendar day, as naive UTC."""
    return to_utc(dt.datetime.combine(day, dt.time(0), tzinfo=tz))


MAX_TEXT = LONG_TEXT  # characters of a free-text field


def parse_text(
    field_name: str, value: str | None, required: bool = False, max_len: int = MAX_TEXT
) -> str | None:
    """A text field as stored: trimmed; empty is None (refused when `required`); at most
    `max_len` characters, no NUL."""
    value = value.strip() if value is not None else None
    if not value:
        if required:
            raise InvalidValue(field_name, N_("must not be empty"))
        return None
    if len(value) > max_len:
        raise InvalidValue(
            field_name,
            N_("is {length} characters long; at most {limit}"),
            length=len(value),
            limit=max_len,
        )
    if "\x00" in value:
        raise InvalidValue(field_name, N_("must not contain NUL characters"))
    return value


def parse_field(name: str, value: str | None, required: bool | None = None) -> str | None:
    """The text field `name` of a case (complaintctl.fields) as stored, checked against its
    limit (errors name the field); `required` defaults to whether every case has it."""
    f = BY_NAME[name]
    need = f.required if required is None else required
    return parse_text(name, value, need, f.limit or LONG_TEXT)
