"""Turning what a user typed into typed values, with one-line errors naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from complaintctl.clock import to_local, to_utc
from complaintctl.errors import InvalidValue
from complaintctl.i18n import _


def parse_time(field: str, text: str, tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """A date/time typed in the office's zone (or with its own offset) as naive UTC.

    A bare date means 00:00 that day; a bare time means today.
    """
    from dateutil import parser

    if text.strip().lower() == "now":
        return now
    local_now = to_local(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        value = parser.parse(text, default=local_now.replace(tzinfo=None))
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        value.utcoffset()  # an offset of a day or more fails here
    except (ValueError, OverflowError, TypeError):
        raise InvalidValue(
            field,
            _("{value} is not a date/time; use e.g. 2025-09-30 09:15 or 2025-09-30").format(
                value=_short(text)
            ),
        ) from None
    _in_years(field, value.date())
    return to_utc(value)


FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_years(field: str, day: dt.date) -> dt.date:
    """Refuse dates no complaint can have (and that time-zone arithmetic cannot hold)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidValue(
            field,
            _("{day} is outside the years {first}-{last}").format(
                day=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR
            ),
        )
    return day


def _short(text: str, limit: int = 60) -> str:
    """A value quoted for a message: escaped, and cut short if long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_date(field: str, text: str) -> dt.date:
    """A calendar date (2025-09-30, 2025/9/30, ...)."""
    from dateutil import parser

    try:
        day = parser.parse(text).date()
    except (ValueError, OverflowError, TypeError):
        raise InvalidValue(
            field, _("{value} is not a date; use e.g. 2025-09-30").format(value=_short(text))
        ) from None
    return _in_years(field, day)


def parse_amount(field: str, text: str | float | None) -> int | None:
    """A money amount as whole cents; at most two decimals, not negative."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return amount_cents(str(text))
    except ValueError as exc:
        raise InvalidValue(field, f"{text!r} {exc}") from None


def amount_cents(text: str) -> int:
    """A money amount (not empty) as whole cents; ValueError with the reason, which reads
    after the value or a field's name ("… is not an amount; use e.g. 120.50")."""
    try:
        value = Decimal(text.strip().replace(",", ""))
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


MAX_TEXT = 100_000  # characters of a free-text field


def parse_text(
    field_name: str, value: str | None, required: bool = False, max_len: int = MAX_TEXT
) -> str | None:
    """A text field as stored: trimmed; empty is None (refused when `required`); at most
    `max_len` characters, no NUL."""
    value = value.strip() if value is not None else None
    if not value:
        if required:
            raise InvalidValue(field_name, _("must not be empty"))
        return None
    if len(value) > max_len:
        raise InvalidValue(
            field_name,
            _("is {length} characters long; at most {limit}").format(
                length=len(value), limit=max_len
            ),
        )
    if "\x00" in value:
        raise InvalidValue(field_name, _("must not contain NUL characters"))
    return value
