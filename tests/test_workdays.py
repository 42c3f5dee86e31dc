"""The cached working-day table answers as the `holidays` package does, day by day."""

import datetime as dt
import json
import os
import subprocess
import sys

import holidays
import pytest

from complaintctl import workdays
from complaintctl.workdays import DayTable

CLOSURES = [dt.date(2025, 10, 9), dt.date(2025, 9, 28), dt.date(2026, 12, 31)]  # 9-28: make-up


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv(workdays.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _package(country, subdivision, closures, names):
    calendar = holidays.country_holidays(country, subdiv=subdivision, language=names)
    for day in closures:
        calendar[day] = "Office closure"
        calendar.weekend_workdays.discard(day)
    return calendar


def _days(first=2015, last=2030):
    day = dt.date(first, 1, 1)
    while day.year <= last:
        yield day
        day += dt.timedelta(1)


@pytest.mark.parametrize(
    ("country", "subdivision", "closures", "names"),
    [
        ("CN", None, CLOSURES, "zh_CN"),
        ("CN", None, [], None),
        ("DE", "BY", [dt.date(2024, 12, 27)], None),
        ("US", "CA", [], None),
    ],
)
def test_the_table_equals_the_package_from_2015_to_2030(country, subdivision, closures, names):
    table = DayTable(country, subdivision, closures, names, "Office closure")
    again = DayTable(country, subdivision, closures, names, "Office closure")  # from the file
    package = _package(country, subdivision, closures, names)
    for day in _days():
        expected = (package.is_working_day(day), package.get(day))
        assert (table.is_working_day(day), table.get(day)) == expected, day
        assert (again.is_working_day(day), again.get(day)) == expected, day
        if day.day in (1, 15, 28):
            for n in (1, 3, 10):
                assert table.get_nth_working_day(day, n) == package.get_nth_working_day(day, n)


def test_the_chinese_make_up_days_and_golden_week_are_there():
    table = DayTable("CN", None, [], None, "Office closure")
    assert not table.is_working_day(dt.date(2025, 10, 1))  # National Day
    assert table.is_working_day(dt.date(2025, 9, 28))  # a Sunday worked for it
    assert table.get_nth_working_day(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)


def test_a_second_run_reads_the_file_and_never_loads_the_package(_cache):
    DayTable("CN", None, CLOSURES, None, "Office closure")
    assert len(list(_cache.glob("calendar-*.json"))) == 1
    code = (
        "import sys, datetime as dt\nimport datetime\n"
        "from complaintctl.workdays import DayTable\n"
        f"t = DayTable('CN', None, {CLOSURES!r}, None, 'Office closure')\n"
        "print(t.is_working_day(dt.date(2025, 10, 9)), t.get(dt.date(2025, 10, 9)),\n"
        "      'holidays' in sys.modules)\n"
    )
    env = dict(os.environ, **{workdays.CACHE_ENV: str(_cache)})
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "Office", "closure", "False"]


def test_another_closure_day_is_another_file(_cache):
    DayTable("CN", None, [], None, "Office closure")
    table = DayTable("CN", None, [dt.date(2025, 10, 13)], None, "Office closure")
    assert len(list(_cache.glob("calendar-*.json"))) == 2
    assert not table.is_working_day(dt.date(2025, 10, 13))


def test_a_damaged_file_is_rebuilt(_cache):
    table = DayTable("CN", None, [], None, "Office closure")
    path = _cache / f"calendar-{table.key()}.json"
    path.write_text("{not json", encoding="utf-8")
    again = DayTable("CN", None, [], None, "Office closure")
    assert not again.is_working_day(dt.date(2025, 10, 1))
    assert json.loads(path.read_text(encoding="utf-8"))["weekend"] == [5, 6]


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv(workdays.CACHE_ENV, str(blocked / "below"))  # below a file: cannot mkdir
    table = DayTable("CN", None, [], None, "Office closure")
    assert table.get_nth_working_day(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)


def test_days_outside_the_cached_years_ask_the_package():
    table = DayTable("CN", None, [], None, "Office closure")
    package = holidays.country_holidays("CN")
    for day in (dt.date(1999, 10, 1), dt.date(2046, 10, 1), dt.date(2046, 10, 10)):
        assert table.is_working_day(day) == package.is_working_day(day)
    assert table.get_nth_working_day(dt.date(2045, 12, 29), 3) == package.get_nth_working_day(
        dt.date(2045, 12, 29), 3
    )


def test_the_countries_the_config_may_name_are_the_packages_and_cached(_cache):
    known = {c: list(s) for c, s in holidays.list_supported_countries().items()}
    assert workdays.supported_countries() == known
    code = (
        "import sys\n"
        "from complaintctl.workdays import supported_countries\n"
        "c = supported_countries()\n"
        "print('DE' in c, 'BY' in c['DE'], 'holidays' in sys.modules)\n"
    )
    env = dict(os.environ, **{workdays.CACHE_ENV: str(_cache)})
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "True", "False"]
