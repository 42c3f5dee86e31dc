"""Which days an office works, read from a cache instead of the `holidays` package.

The `holidays` package knows every country's public holidays and make-up working days, but
loading it and a country costs more than the rest of a command (about 100–150 ms).  The
answers it gives for one office never change until the office's calendar settings or the
package do, so they are kept in a small JSON file in the user's cache directory, one per
(country, subdivision, closure days, language of the holiday names, `holidays` version),
covering the years FIRST_YEAR–LAST_YEAR.  A day outside those years, or a cache that cannot
be read or written, is answered by the package itself, as before.

`DayTable` answers the questions `holidays.HolidayBase` answers for the clock:
`is_working_day`, `get` (the holiday's name), `get_nth_working_day`, `weekend`,
`weekend_workdays`; tests/test_workdays.py checks it against the package day by day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from pathlib import Path

FORMAT = 1  # bump when the file's layout changes
FIRST_YEAR, LAST_YEAR = 2000, 2045
CACHE_ENV = "COMPLAINTCTL_CACHE_DIR"  # where the files go (default: the user cache dir)


def holidays_version() -> str:
    """The installed `holidays` version, read without importing the package."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return "none"
    version_file = Path(spec.origin).with_name("version.py")
    try:
        for line in version_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("__version__"):
                return line.split("=", 1)[1].strip().strip("'\"")
    except OSError:
        pass
    return str(Path(spec.origin).stat().st_mtime_ns)


def cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    from platformdirs import user_cache_path

    return user_cache_path("complaintctl")


def supported_countries() -> dict[str, list[str]]:
    """Every country the holidays package knows, with its subdivisions (what
    `holidays.list_supported_countries()` says), cached like the day tables."""
    version = holidays_version()
    key = hashlib.sha256(f"{FORMAT}:{version}".encode()).hexdigest()[:32]
    path = cache_dir() / f"countries-{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import holidays

    countries = {c: list(s) for c, s in holidays.list_supported_countries().items()}
    _write_quietly(path, json.dumps(countries, sort_keys=True))
    return countries


def package_calendar(
    country: str, subdivision: str | None, closures: Iterable[dt.date], names: str | None
):
    """The `holidays` calendar of an office: the country's (and subdivision's) holidays,
    with the office's closure days added as holidays and taken out of the make-up days."""
    import holidays  # the one place that loads the package (and a country: ~100 ms)

    closures = sorted(set(closures))
    years = sorted({d.year for d in closures})
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=years, language=names)
    return calendar, closures


class DayTable:
    """An office's working days over FIRST_YEAR–LAST_YEAR, from the cache (or the package
    when a day lies outside them)."""

    def __init__(
        self,
        country: str,
        subdivision: str | None,
        closures: Iterable[dt.date],
        names: str | None,
        closure_name: str,
    ) -> None:
        self._args = (country, subdivision, sorted(set(closures)), names, closure_name)
        self._package = None  # the holidays calendar, loaded only when needed
        data = self._load()
        self.weekend: set[int] = set(data["weekend"])
        self.weekend_workdays: set[dt.date] = {dt.date.fromisoformat(d) for d in data["workdays"]}
        self._names: dict[dt.date, str] = {
            dt.date.fromisoformat(d): name for d, name in data["holidays"].items()
        }
        self._first = dt.date(FIRST_YEAR, 1, 1)
        self._last = dt.date(LAST_YEAR, 12, 31)

    # -- the questions ------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        if not self._first <= day <= self._last:
            return self._calendar().is_working_day(day)
        if day.weekday() in self.weekend:
            return day in self.weekend_workdays
        return day not in self._names

    def get(self, day: dt.date) -> str | None:
        """The name of the holiday (or closure) on `day`, None if there is none."""
        if not self._first <= day <= self._last:
            return self._calendar().get(day)
        return self._names.get(day)

    def get_nth_working_day(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (before it if n < 0), as the package counts."""
        step = dt.timedelta(1 if n > 0 else -1)
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    # -- the cache ----------------------------------------------------------------------
    def key(self) -> str:
        country, subdivision, closures, names, closure_name = self._args
        identity = {
            "format": FORMAT,
            "country": country,
            "subdivision": subdivision,
            "closures": [d.isoformat() for d in closures],
            "names": names,
            "closure_name": closure_name,
            "holidays": holidays_version(),
            "years": [FIRST_YEAR, LAST_YEAR],
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]

    def _load(self) -> dict:
        path = cache_dir() / f"calendar-{self.key()}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        data = self._build()
        _write_quietly(path, json.dumps(data, ensure_ascii=False, sort_keys=True))
        return data

    def _calendar(self):
        """The package's calendar of this office (loaded once, when the cache cannot answer)."""
        if self._package is None:
            country, subdivision, closures, names, closure_name = self._args
            calendar, closures = package_calendar(country, subdivision, closures, names)
            for day in closures:
                calendar[day] = closure_name
                calendar.weekend_workdays.discard(day)
            self._package = calendar
        return self._package

    def _build(self) -> dict:
        calendar = self._calendar()
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            calendar.get(dt.date(year, 1, 1))  # fills the year in (the package is lazy)
        first, last = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
        return {
            "weekend": sorted(calendar.weekend),
            "workdays": sorted(
                d.isoformat() for d in calendar.weekend_workdays if first <= d <= last
            ),
            "holidays": {
                d.isoformat(): name for d, name in sorted(calendar.items()) if first <= d <= last
            },
        }


def _write_quietly(path: Path, text: str) -> None:
    """Write the cache file whole (complaintctl.outputs: a temporary file renamed over it,
    never through a link), or not at all: a cache that cannot be written only costs the
    next run the package's time."""
    from complaintctl import outputs
    from complaintctl.errors import ComplaintError

    try:
        outputs.make_folder(path.parent, "cache")
        outputs.write_file(path, lambda f: f.write(text), "cache")
    except ComplaintError:
        pass
