"""Working-day and deadline arithmetic over the `holidays` calendar.

Every time that enters or leaves this module is a *naive UTC* datetime (what the database
stores); the office time zone is applied inside, where days and closing times are decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from complaintctl.config import Duration, Settings
from complaintctl.messages import _, language

UTC = dt.UTC


def utc_now() -> dt.datetime:
    """The current time as naive UTC (only the CLI should call this)."""
    return dt.datetime.now(UTC).replace(tzinfo=None)


def to_local(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive-UTC time as an aware time in the office zone."""
    return t.replace(tzinfo=UTC).astimezone(tz)


def offset_periods(
    tz: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.timedelta]]:
    """The zone's UTC offsets from `start` to `end` (naive UTC): [(from, offset), ...], the
    first from `start`, each change found to the second (the days are sampled, and a day
    whose offset differs from the day before is bisected)."""

    def offset(t: dt.datetime) -> dt.timedelta:
        return t.replace(tzinfo=UTC).astimezone(tz).utcoffset() or dt.timedelta(0)

    t = start.replace(microsecond=0)
    periods = [(start, offset(start))]
    day = dt.timedelta(days=1)
    while t < end:
        step = min(day, end - t)
        current = periods[-1][1]
        if offset(t + step) != current:
            low, high = t, t + step  # offset(low) == current != offset(high)
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    middle = low + dt.timedelta(seconds=1)
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            periods.append((high, offset(high)))
            t = high
        else:
            t += step
    return periods


def local_text(t: dt.datetime | None, tz: ZoneInfo) -> str:
    """A naive-UTC time as people read it in the office zone ("-" for none)."""
    return to_local(t, tz).strftime("%Y-%m-%d %H:%M") if t else "-"


def to_utc(t: dt.datetime) -> dt.datetime:
    """An aware time as naive UTC."""
    return t.astimezone(UTC).replace(tzinfo=None)


class WorkCalendar:
    """Which days the office works, and deadlines counted in its working days and hours.

    Public holidays and make-up working days come from `holidays` (through the cached
    complaintctl.workdays.DayTable); the office's own closure days are added as holidays
    (and removed from the make-up days, so a closure wins).
    """

    def __init__(
        self,
        country: str = "CN",
        subdivision: str | None = None,
        closures: Iterable[dt.date] = (),
        opening: dt.time = dt.time(9),
        closing: dt.time = dt.time(18),
        tz: ZoneInfo | str = "Asia/Shanghai",
    ) -> None:
        from complaintctl.workdays import DayTable

        closures = sorted(set(closures))
        # Holiday names in the run's language where the calendar has them (English runs
        # keep the package's own choice, from LANG).
        names = "zh_CN" if language() == "zh" else None
        # The holidays package's answers for this office, from the user's cache once they
        # have been worked out (loading the package and a country costs ~100-150 ms).
        self._holidays = DayTable(country, subdivision, closures, names, _("Office closure"))
        self.closures = frozenset(closures)
        self.opening = opening
        self.closing = closing
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        # Imports and reports ask the same questions thousands of times.
        self._nth: dict[tuple[dt.date, int], dt.date] = {}
        self._windows: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}
        self._years: dict[int, list[dt.timedelta]] = {}

    @classmethod
    def from_settings(cls, s: Settings) -> WorkCalendar:
        return cls(s.country, s.subdivision, s.closures, s.opening_time, s.closing_time, s.tz)

    # -- days -------------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        return self._holidays.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        """Why `day` is not worked (holiday or closure name, or 'weekend'); None if it is."""
        if self.is_working_day(day):
            return None
        return self._holidays.get(day) or "weekend"

    def day_kinds(self, days: Iterable[dt.date]) -> dict[dt.date, tuple[str, str | None]]:
        """Each day as (kind, name): kind one of work, makeup (a weekend day worked: 调休),
        holiday, closure, weekend; name the holiday's or closure's name.

        A weekend between two holidays is part of the holiday (China's National Day break is
        1-8 October, its Saturday and Sunday included); a weekend next to one is a weekend.
        """
        weekend = self._holidays.weekend

        def kind(day: dt.date) -> str:
            if self.is_working_day(day):
                return "makeup" if day.weekday() in weekend else "work"
            if day in self.closures:
                return "closure"
            return "weekend" if self.holiday_name(day) == "weekend" else "holiday"

        def off_neighbour(day: dt.date, step: int) -> bool:
            day += dt.timedelta(step)
            for _i in range(7):  # a weekend run is at most a few days long
                k = kind(day)
                if k != "weekend":
                    return k in ("holiday", "closure")
                day += dt.timedelta(step)
            return False

        out: dict[dt.date, tuple[str, str | None]] = {}
        for day in days:
            k = kind(day)
            name = None
            if k in ("holiday", "closure"):
                name = self.holiday_name(day)
            elif k == "makeup":
                name = "make-up working day (调休)"
            elif k == "weekend" and off_neighbour(day, -1) and off_neighbour(day, 1):
                k, name = "holiday", "weekend within the holiday"
            out[day] = (k, name)
        return out

    def nth_working_day(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n >= 1); `day` itself never counts."""
        key = (day, n)
        if key not in self._nth:
            self._nth[key] = self._holidays.get_nth_working_day(day, n)
        return self._nth[key]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days `end` lies after `start`."""
        if end <= start:
            return -self.working_days_between(end, start) if end < start else 0
        return sum(
            1
            for i in range(1, (end - start).days + 1)
            if self.is_working_day(start + dt.timedelta(i))
        )

    # -- times ------------------------------------------------------------------------------
    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The office hours of `day` as naive-UTC (start, end)."""
        if day in self._windows:
            return self._windows[day]
        window = self._windows[day] = (
            to_utc(dt.datetime.combine(day, self.opening, tzinfo=self.tz)),
            to_utc(dt.datetime.combine(day, self.closing, tzinfo=self.tz)),
        )
        return window

    def local_date(self, t: dt.datetime) -> dt.date:
        return to_local(t, self.tz).date()

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime:
        """The deadline `duration` after `start` (naive UTC in and out).

        wd: closing time on the n-th working day after the day the clock started;
        wh: working hours inside office hours; m/h/d: calendar time.
        """
        if duration.unit == "wd":
            day = self.nth_working_day(self.local_date(start), int(duration.amount))
            return self._window(day)[1]
        if duration.unit == "wh":
            return self.add_working_seconds(start, duration.amount * 3600)
        return start + duration.timedelta

    def deadline_function(self, duration: Duration) -> Callable[[dt.datetime], dt.datetime]:
        """`lambda start: self.add(start, duration)`, for bulk use (imports): the same
        results, computed once per local day for working-day clocks.

        A working-day deadline depends only on the local date its clock started, so it is
        remembered per date; calendar clocks are one addition.
        """
        if duration.unit == "wd":
            n, tz, by_day = int(duration.amount), self.tz, {}

            def working_days(start: dt.datetime) -> dt.datetime:
                # tz.fromutc(...) is what to_local()'s astimezone() does, minus a step.
                day = tz.fromutc(start.replace(tzinfo=tz)).date()
                due = by_day.get(day)
                if due is None:
                    due = by_day[day] = self._window(self.nth_working_day(day, n))[1]
                return due

            return working_days
        if duration.unit == "wh":
            seconds = duration.amount * 3600
            return lambda start: self.add_working_seconds(start, seconds)
        length = duration.timedelta
        return lambda start: start + length

    def clock_function(
        self, clocks: dict[str, Duration | None]
    ) -> Callable[[str, dt.datetime], dt.datetime | None]:
        """A `workflow.Clock` over these clock lengths (None: no deadline), as
        `Register.clock` computes it, for bulk use."""
        functions = {
            name: self.deadline_function(duration) for name, duration in clocks.items() if duration
        }

        def clock(name: str, start: dt.datetime) -> dt.datetime | None:
            function = functions.get(name)
            return function(start) if function else None

        return clock

    def add_working_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """Move forward `seconds` of office time, skipping nights and non-working days."""
        remaining = dt.timedelta(seconds=seconds)
        if remaining <= dt.timedelta(0):
            return start
        day = self.local_date(start)
        while True:
            if self.is_working_day(day):
                open_, close = self._window(day)
                point = max(start, open_)
                if point < close:
                    if remaining <= close - point:
                        return point + remaining
                    remaining -= close - point
            day += dt.timedelta(1)

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Office time between two naive-UTC moments (0 if end <= start)."""
        if end <= start:
            return 0.0
        first, last = self.local_date(start), self.local_date(end)
        total = self._office_part(first, start, end)
        if last > first:
            total += self._office_part(last, start, end)
            # The whole days between, from per-year running totals: constant time however
            # long ago `start` was (warn asks this for every overdue case).
            total += self._office_days(first + dt.timedelta(1), last)
        return total.total_seconds()

    def _office_part(self, day: dt.date, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Office time of `day` that lies between start and end."""
        if not self.is_working_day(day):
            return dt.timedelta(0)
        open_, close = self._window(day)
        lo, hi = max(start, open_), min(end, close)
        return hi - lo if hi > lo else dt.timedelta(0)

    def _office_days(self, a: dt.date, b: dt.date) -> dt.timedelta:
        """Office time of the working days a <= day < b (whole days)."""
        if b <= a:
            return dt.timedelta(0)
        if a.year == b.year:
            cum = self._year_office(a.year)
            return cum[b.timetuple().tm_yday - 1] - cum[a.timetuple().tm_yday - 1]
        total = self._year_office(a.year)[-1] - self._year_office(a.year)[a.timetuple().tm_yday - 1]
        for year in range(a.year + 1, b.year):
            total += self._year_office(year)[-1]
        return total + self._year_office(b.year)[b.timetuple().tm_yday - 1]

    def _year_office(self, year: int) -> list[dt.timedelta]:
        """Running office time of `year`: entry i is the office time of its first i days."""
        if year not in self._years:
            cum = [dt.timedelta(0)]
            day = dt.date(year, 1, 1)
            while day.year == year:
                length = dt.timedelta(0)
                if self.is_working_day(day):
                    open_, close = self._window(day)
                    length = close - open_
                cum.append(cum[-1] + length)
                day += dt.timedelta(1)
            self._years[year] = cum
        return self._years[year]

    def extend(
        self,
        deadline: dt.datetime,
        duration: Duration,
        paused_from: dt.datetime,
        paused_to: dt.datetime,
    ) -> dt.datetime:
        """A deadline moved by the time a clock was paused.

        Working-time clocks move by the office time spent paused; calendar clocks by the
        calendar time.
        """
        if duration.working:
            return self.add_working_seconds(
                deadline, self.working_seconds_between(paused_from, paused_to)
            )
        return deadline + max(paused_to - paused_from, dt.timedelta(0))


def supported_calendars() -> dict[str, list[str]]:
    """The countries whose public-holiday calendars the office can use (ISO codes), each
    with its subdivisions (states, provinces); from the cache the day tables use."""
    from complaintctl.workdays import supported_countries

    return supported_countries()
