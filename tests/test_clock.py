"""Working-day arithmetic: deadlines over the real holiday calendar, in naive UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintctl.clock import WorkCalendar, to_local, to_utc
from complaintctl.config import Duration, settings_from_dict
from tests.conftest import SHANGHAI, local

D = dt.date
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HOUR = 3600
OFFICE_DAY = 9 * HOUR

CN = WorkCalendar()
CALIFORNIA = WorkCalendar(country="US", subdivision="CA", tz="America/Los_Angeles")


def la(*args: int) -> dt.datetime:
    """A wall-clock time in Los Angeles as naive UTC."""
    return to_utc(dt.datetime(*args, tzinfo=LOS_ANGELES))


def wd(n: int) -> Duration:
    return Duration(n, "wd")


# -- the acceptance example -----------------------------------------------------------------


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday() -> None:
    start = local(2025, 9, 30, 10)

    assert CN.add(start, wd(3)) == local(2025, 10, 11, 18)


def test_the_acceptance_deadline_is_stored_as_naive_utc_ten_in_the_morning() -> None:
    deadline = CN.add(local(2025, 9, 30, 10), wd(3))

    assert deadline == dt.datetime(2025, 10, 11, 10, 0)
    assert deadline.tzinfo is None


def test_a_case_assigned_before_national_day_is_due_on_the_make_up_saturday() -> None:
    assert CN.add(local(2025, 9, 30, 17, 59), wd(3)) == local(2025, 10, 11, 18)


def test_a_clock_started_just_after_local_midnight_counts_from_the_local_day() -> None:
    # 00:30 in Shanghai is still the previous day in UTC; the office day decides.
    start = local(2025, 9, 30, 0, 30)
    assert start.date() == D(2025, 9, 29)

    assert CN.add(start, wd(3)) == local(2025, 10, 11, 18)


def test_a_clock_started_late_in_the_evening_still_counts_from_that_day() -> None:
    assert CN.add(local(2025, 9, 30, 23, 30), wd(3)) == local(2025, 10, 11, 18)


@pytest.mark.parametrize(
    ("n", "due"),
    [
        (1, local(2025, 10, 9, 18)),
        (2, local(2025, 10, 10, 18)),
        (3, local(2025, 10, 11, 18)),
        (4, local(2025, 10, 13, 18)),
        (5, local(2025, 10, 14, 18)),
        (7, local(2025, 10, 16, 18)),
    ],
)
def test_each_working_day_clock_from_the_eve_of_national_day_skips_the_whole_holiday(
    n: int, due: dt.datetime
) -> None:
    assert CN.add(local(2025, 9, 30, 10), wd(n)) == due


# -- which days are worked ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 26), True),  # Friday
        (D(2025, 9, 27), False),  # ordinary Saturday
        (D(2025, 9, 28), True),  # Sunday make-up day for National Day
        (D(2025, 9, 29), True),
        (D(2025, 9, 30), True),
        (D(2025, 10, 1), False),
        (D(2025, 10, 2), False),
        (D(2025, 10, 3), False),
        (D(2025, 10, 4), False),
        (D(2025, 10, 5), False),
        (D(2025, 10, 6), False),
        (D(2025, 10, 7), False),
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),
        (D(2025, 10, 10), True),
        (D(2025, 10, 11), True),  # Saturday make-up day
        (D(2025, 10, 12), False),  # ordinary Sunday
        (D(2025, 10, 18), False),  # ordinary Saturday
    ],
)
def test_national_day_2025_is_off_from_the_first_to_the_eighth_with_two_make_up_days(
    day: dt.date, working: bool
) -> None:
    assert CN.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 25), False),  # ordinary Saturday
        (D(2025, 1, 26), True),  # Sunday make-up day
        (D(2025, 1, 27), True),
        (D(2025, 1, 28), False),  # New Year's Eve
        (D(2025, 1, 29), False),
        (D(2025, 1, 31), False),
        (D(2025, 2, 1), False),
        (D(2025, 2, 2), False),
        (D(2025, 2, 3), False),
        (D(2025, 2, 4), False),
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),  # Saturday make-up day
        (D(2025, 2, 9), False),  # ordinary Sunday
    ],
)
def test_spring_festival_2025_is_off_from_the_28th_of_january_to_the_4th_of_february(
    day: dt.date, working: bool
) -> None:
    assert CN.is_working_day(day) is working


def test_a_make_up_day_is_recognised_on_a_fresh_calendar_before_anything_else_is_asked() -> None:
    assert WorkCalendar().is_working_day(D(2025, 10, 11)) is True
    assert WorkCalendar().is_working_day(D(2025, 9, 28)) is True


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (local(2025, 1, 24, 10), 1, local(2025, 1, 26, 18)),  # Friday -> make-up Sunday
        (local(2025, 1, 24, 10), 2, local(2025, 1, 27, 18)),
        (local(2025, 1, 24, 10), 3, local(2025, 2, 5, 18)),
        (local(2025, 1, 27, 10), 1, local(2025, 2, 5, 18)),
        (local(2025, 1, 27, 10), 4, local(2025, 2, 8, 18)),  # make-up Saturday
        (local(2025, 1, 27, 10), 5, local(2025, 2, 10, 18)),
        (local(2025, 2, 5, 10), 3, local(2025, 2, 8, 18)),
    ],
)
def test_working_day_clocks_around_spring_festival_2025_land_on_the_expected_days(
    start: dt.datetime, n: int, due: dt.datetime
) -> None:
    assert CN.add(start, wd(n)) == due


def test_a_clock_started_on_friday_before_national_day_is_due_on_the_make_up_sunday() -> None:
    assert CN.add(local(2025, 9, 26, 15), wd(1)) == local(2025, 9, 28, 18)
    assert CN.add(local(2025, 9, 26, 15), wd(4)) == local(2025, 10, 9, 18)


def test_an_ordinary_weekend_is_skipped() -> None:
    # Friday 2025-10-17 -> Monday 2025-10-20.
    assert CN.add(local(2025, 10, 17, 11), wd(1)) == local(2025, 10, 20, 18)


# -- clocks started on a non-working day ----------------------------------------------------


def test_a_clock_started_on_an_ordinary_saturday_counts_from_the_next_working_day() -> None:
    # Saturday 2025-09-27; the next working day is the make-up Sunday.
    assert CN.add(local(2025, 9, 27, 10), wd(1)) == local(2025, 9, 28, 18)
    # Saturday 2025-10-18 -> Monday 2025-10-20.
    assert CN.add(local(2025, 10, 18, 10), wd(1)) == local(2025, 10, 20, 18)


def test_a_clock_started_in_the_middle_of_national_day_counts_from_the_ninth() -> None:
    assert CN.add(local(2025, 10, 4, 10), wd(1)) == local(2025, 10, 9, 18)
    assert CN.add(local(2025, 10, 4, 10), wd(3)) == local(2025, 10, 11, 18)


def test_a_clock_started_on_the_make_up_saturday_does_not_count_that_saturday() -> None:
    assert CN.add(local(2025, 10, 11, 10), wd(1)) == local(2025, 10, 13, 18)


def test_a_clock_started_in_the_middle_of_spring_festival_counts_from_the_fifth() -> None:
    assert CN.add(local(2025, 1, 30, 9), wd(1)) == local(2025, 2, 5, 18)


# -- office closures ------------------------------------------------------------------------


def test_a_closure_on_a_weekday_makes_it_a_non_working_day() -> None:
    cal = WorkCalendar(closures=[D(2025, 10, 10)])

    assert cal.is_working_day(D(2025, 10, 10)) is False
    assert cal.holiday_name(D(2025, 10, 10)) == "Office closure"
    assert cal.add(local(2025, 9, 30, 10), wd(3)) == local(2025, 10, 13, 18)


def test_a_closure_on_the_make_up_saturday_wins_over_the_make_up_day() -> None:
    cal = WorkCalendar(closures=[D(2025, 10, 11)])

    assert cal.is_working_day(D(2025, 10, 11)) is False
    assert cal.holiday_name(D(2025, 10, 11)) == "Office closure"
    assert cal.add(local(2025, 9, 30, 10), wd(3)) == local(2025, 10, 13, 18)


def test_a_closure_on_the_make_up_sunday_wins_over_the_make_up_day() -> None:
    cal = WorkCalendar(closures=[D(2025, 9, 28)])

    assert cal.is_working_day(D(2025, 9, 28)) is False
    assert cal.add(local(2025, 9, 26, 10), wd(1)) == local(2025, 9, 29, 18)


def test_a_closure_on_a_public_holiday_keeps_both_names() -> None:
    cal = WorkCalendar(closures=[D(2025, 10, 1)])

    assert cal.holiday_name(D(2025, 10, 1)) == "National Day; Office closure"


def test_closures_in_two_years_both_apply_and_the_new_year_make_up_sunday_still_works() -> None:
    cal = WorkCalendar(closures=[D(2025, 12, 31), D(2026, 1, 5)])

    assert cal.is_working_day(D(2025, 12, 31)) is False
    assert cal.is_working_day(D(2026, 1, 4)) is True  # Sunday make-up day for New Year
    assert cal.is_working_day(D(2026, 1, 5)) is False
    assert cal.add(local(2025, 12, 30, 10), wd(1)) == local(2026, 1, 4, 18)
    assert cal.add(local(2025, 12, 30, 10), wd(2)) == local(2026, 1, 6, 18)


def test_closures_do_not_leak_into_another_calendar() -> None:
    WorkCalendar(closures=[D(2025, 10, 10)])

    assert WorkCalendar().is_working_day(D(2025, 10, 10)) is True


def test_a_calendar_from_settings_uses_the_configured_hours_and_closures() -> None:
    cfg = settings_from_dict(
        {
            "calendar": {
                "opening_time": "08:30",
                "closing_time": "17:00",
                "closures": ["2025-10-10"],
            }
        }
    )
    cal = WorkCalendar.from_settings(cfg)

    assert cal.add(local(2025, 9, 30, 10), wd(3)) == local(2025, 10, 13, 17)
    assert cal.working_seconds_between(local(2025, 10, 9, 0), local(2025, 10, 9, 23)) == 8.5 * HOUR


# -- holiday names and counting days ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2025, 10, 1), "National Day"),
        (D(2025, 10, 6), "Mid-Autumn Festival"),
        (D(2025, 10, 7), "Day off (substituted from 09/28/2025)"),
        (D(2025, 1, 28), "Chinese New Year's Eve"),
        (D(2025, 1, 29), "Chinese New Year (Spring Festival)"),
        (D(2025, 10, 12), "weekend"),
        (D(2025, 9, 27), "weekend"),
        (D(2025, 10, 11), None),
        (D(2025, 9, 28), None),
        (D(2025, 9, 30), None),
    ],
)
def test_holiday_name_says_why_a_day_is_not_worked_and_none_for_a_working_day(
    day: dt.date, name: str | None
) -> None:
    assert CN.holiday_name(day) == name


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (D(2025, 9, 30), D(2025, 10, 11), 3),
        (D(2025, 10, 11), D(2025, 9, 30), -3),
        (D(2025, 9, 30), D(2025, 9, 30), 0),
        (D(2025, 10, 1), D(2025, 10, 8), 0),
        (D(2025, 9, 30), D(2025, 10, 1), 0),
        (D(2025, 9, 26), D(2025, 9, 30), 3),  # make-up Sunday counts
        (D(2025, 9, 27), D(2025, 9, 28), 1),
        (D(2025, 1, 24), D(2025, 2, 10), 7),
        (D(2025, 10, 17), D(2025, 10, 20), 1),
    ],
)
def test_working_days_between_counts_the_working_days_after_start_up_to_end(
    start: dt.date, end: dt.date, count: int
) -> None:
    assert CN.working_days_between(start, end) == count


# -- calendar-hour clocks -------------------------------------------------------------------


def test_a_24_hour_clock_across_national_day_is_just_24_calendar_hours() -> None:
    assert CN.add(local(2025, 9, 30, 10), Duration(24, "h")) == local(2025, 10, 1, 10)


def test_calendar_minute_hour_and_day_clocks_ignore_holidays_and_nights() -> None:
    start = local(2025, 9, 30, 17, 30)

    assert CN.add(start, Duration(90, "m")) == local(2025, 9, 30, 19)
    assert CN.add(start, Duration(1, "h")) == local(2025, 9, 30, 18, 30)
    assert CN.add(start, Duration(4, "h")) == local(2025, 9, 30, 21, 30)
    assert CN.add(start, Duration(2, "d")) == local(2025, 10, 2, 17, 30)


# -- working-hour clocks --------------------------------------------------------------------


def test_a_working_hour_clock_counts_only_office_hours_and_skips_the_holiday() -> None:
    # Two hours on 30 September, then nothing until 9 October.
    assert CN.add(local(2025, 9, 30, 16), Duration(4, "wh")) == local(2025, 10, 9, 11)


def test_a_working_hour_clock_started_before_opening_starts_at_opening() -> None:
    assert CN.add(local(2025, 9, 30, 7), Duration(1, "wh")) == local(2025, 9, 30, 10)


def test_a_working_hour_clock_started_after_closing_starts_next_working_morning() -> None:
    assert CN.add(local(2025, 9, 29, 20), Duration(1, "wh")) == local(2025, 9, 30, 10)
    assert CN.add(local(2025, 9, 30, 20), Duration(1, "wh")) == local(2025, 10, 9, 10)


def test_a_working_hour_clock_started_on_a_saturday_runs_on_the_make_up_sunday() -> None:
    assert CN.add(local(2025, 9, 27, 15), Duration(2, "wh")) == local(2025, 9, 28, 11)


def test_a_working_hour_clock_that_fills_the_day_ends_at_closing_not_next_morning() -> None:
    assert CN.add(local(2025, 9, 30, 17), Duration(1, "wh")) == local(2025, 9, 30, 18)
    assert CN.add(local(2025, 9, 29, 9), Duration(9, "wh")) == local(2025, 9, 29, 18)


def test_a_fractional_working_hour_clock_is_exact() -> None:
    assert CN.add(local(2025, 9, 30, 17, 45), Duration(0.5, "wh")) == local(2025, 10, 9, 9, 15)


# -- working seconds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (local(2025, 9, 30, 10), local(2025, 10, 9, 10), 9 * HOUR),
        (local(2025, 9, 30, 10), local(2025, 9, 30, 12, 30), 2.5 * HOUR),
        (local(2025, 9, 26, 17), local(2025, 9, 29, 10), 11 * HOUR),  # make-up Sunday
        (local(2025, 10, 17, 17), local(2025, 10, 20, 10), 2 * HOUR),  # ordinary weekend
        (local(2025, 9, 30, 19), local(2025, 10, 9, 8), 0.0),
        (local(2025, 10, 1, 0), local(2025, 10, 8, 23, 59), 0.0),
        (local(2025, 9, 29, 0), local(2025, 9, 30, 23, 59), 2 * OFFICE_DAY),
        (local(2025, 10, 9, 10), local(2025, 9, 30, 10), 0.0),  # end before start
        (local(2025, 9, 30, 10), local(2025, 9, 30, 10), 0.0),
    ],
)
def test_working_seconds_between_counts_only_office_time(
    start: dt.datetime, end: dt.datetime, seconds: float
) -> None:
    assert CN.working_seconds_between(start, end) == seconds


@pytest.mark.parametrize(
    ("start", "seconds", "end"),
    [
        (local(2025, 9, 30, 17), 2 * HOUR, local(2025, 10, 9, 10)),
        (local(2025, 9, 30, 17), 1 * HOUR, local(2025, 9, 30, 18)),
        (local(2025, 9, 30, 7), 1 * HOUR, local(2025, 9, 30, 10)),
        (local(2025, 9, 30, 20), 1 * HOUR, local(2025, 10, 9, 10)),
        (local(2025, 9, 30, 9), 3 * OFFICE_DAY, local(2025, 10, 10, 18)),
        (local(2025, 10, 4, 12), 30 * 60, local(2025, 10, 9, 9, 30)),
        (local(2025, 10, 10, 17), 2 * HOUR, local(2025, 10, 11, 10)),  # make-up Saturday
    ],
)
def test_add_working_seconds_moves_through_office_hours_only(
    start: dt.datetime, seconds: float, end: dt.datetime
) -> None:
    assert CN.add_working_seconds(start, seconds) == end


def test_adding_no_working_seconds_leaves_the_time_where_it_was_even_at_night() -> None:
    night = local(2025, 10, 3, 2)

    assert CN.add_working_seconds(night, 0) == night
    assert CN.add_working_seconds(night, -60) == night


# -- extending a paused clock ---------------------------------------------------------------


def test_a_working_day_clock_paused_for_two_office_days_moves_two_office_days() -> None:
    deadline = local(2025, 10, 11, 18)

    moved = CN.extend(deadline, wd(3), local(2025, 10, 9, 9), local(2025, 10, 10, 18))

    assert moved == local(2025, 10, 14, 18)


def test_a_working_clock_paused_over_the_holiday_moves_only_by_the_office_hours_paused() -> None:
    # Paused 17:00 on 30 Sept until 10:00 on 9 Oct: one office hour each side of the holiday.
    deadline = local(2025, 10, 11, 18)

    moved = CN.extend(deadline, wd(3), local(2025, 9, 30, 17), local(2025, 10, 9, 10))

    assert moved == local(2025, 10, 13, 11)


def test_a_working_clock_paused_only_during_the_holiday_does_not_move() -> None:
    deadline = local(2025, 10, 11, 18)

    assert CN.extend(deadline, wd(3), local(2025, 10, 2), local(2025, 10, 6)) == deadline


def test_a_working_hour_clock_paused_overnight_does_not_move() -> None:
    deadline = local(2025, 9, 30, 11)

    moved = CN.extend(deadline, Duration(4, "wh"), local(2025, 9, 29, 18), local(2025, 9, 30, 9))

    assert moved == deadline


def test_a_calendar_clock_moves_by_the_calendar_time_it_was_paused() -> None:
    deadline = local(2025, 10, 1, 10)

    moved = CN.extend(deadline, Duration(24, "h"), local(2025, 9, 30, 12), local(2025, 10, 2, 12))

    assert moved == local(2025, 10, 3, 10)


def test_a_calendar_clock_with_a_backwards_pause_does_not_move() -> None:
    deadline = local(2025, 10, 1, 10)

    moved = CN.extend(deadline, Duration(1, "h"), local(2025, 10, 2), local(2025, 10, 1))

    assert moved == deadline


def test_cesar_chavez_day_is_a_holiday_in_california_but_not_in_new_york() -> None:
    new_york = WorkCalendar(country="US", subdivision="NY", tz="America/New_York")

    assert CALIFORNIA.holiday_name(D(2025, 3, 31)) == "Cesar Chavez Day"
    assert new_york.is_working_day(D(2025, 3, 31)) is True


def test_a_californian_clock_skips_thanksgiving_and_the_day_after() -> None:
    # Wednesday 26 Nov 2025 -> Thursday and Friday are holidays -> Monday 1 Dec.
    due = CALIFORNIA.add(la(2025, 11, 26, 10), wd(1))

    assert due == la(2025, 12, 1, 18)
    assert due == dt.datetime(2025, 12, 2, 2, 0)  # PST is UTC-8


def test_a_californian_calendar_has_no_chinese_make_up_days() -> None:
    assert CALIFORNIA.is_working_day(D(2025, 10, 11)) is False
    assert CALIFORNIA.is_working_day(D(2025, 10, 1)) is True
    assert CALIFORNIA.holiday_name(D(2025, 10, 11)) == "weekend"


def test_a_working_day_deadline_across_the_spring_dst_change_is_at_local_closing_time() -> None:
    # Friday 7 March 2025 is PST (UTC-8); Monday 10 March is PDT (UTC-7).
    start = la(2025, 3, 7, 10)

    due = CALIFORNIA.add(start, wd(1))

    assert due == dt.datetime(2025, 3, 11, 1, 0)
    assert to_local(due, LOS_ANGELES).replace(tzinfo=None) == dt.datetime(2025, 3, 10, 18)
    # Friday's closing to Monday's closing is 71 real hours, not 72.
    assert due - la(2025, 3, 7, 18) == dt.timedelta(hours=71)


def test_working_hours_across_the_spring_dst_change_count_only_office_time() -> None:
    start = la(2025, 3, 7, 17)  # Friday, one office hour left

    due = CALIFORNIA.add(start, Duration(2, "wh"))

    assert due == la(2025, 3, 10, 10)
    assert due == dt.datetime(2025, 3, 10, 17, 0)
    assert due - start == dt.timedelta(hours=64)
    assert CALIFORNIA.working_seconds_between(start, due) == 2 * HOUR


def test_working_hours_across_the_autumn_dst_change_count_only_office_time() -> None:
    start = la(2025, 10, 31, 17)  # Friday, PDT

    due = CALIFORNIA.add(start, Duration(2, "wh"))

    assert due == dt.datetime(2025, 11, 3, 18, 0)  # Monday 10:00 PST
    assert due - start == dt.timedelta(hours=66)
    assert CALIFORNIA.working_seconds_between(start, due) == 2 * HOUR


def test_a_24_hour_clock_across_the_dst_change_is_24_real_hours() -> None:
    start = la(2025, 3, 8, 12)  # Saturday, PST

    due = CALIFORNIA.add(start, Duration(24, "h"))

    assert due == dt.datetime(2025, 3, 9, 20, 0)
    assert to_local(due, LOS_ANGELES).replace(tzinfo=None) == dt.datetime(2025, 3, 9, 13)


def test_an_office_day_on_the_dst_change_weekend_still_has_nine_office_hours() -> None:
    assert CALIFORNIA.working_seconds_between(la(2025, 3, 10, 0), la(2025, 3, 10, 23)) == 9 * HOUR
    assert CALIFORNIA.working_seconds_between(la(2025, 3, 7), la(2025, 3, 11)) == 18 * HOUR


# -- properties -----------------------------------------------------------------------------

MOMENTS = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31))
DAYS = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
COUNTS = st.integers(min_value=1, max_value=30)
OFFICE_SECONDS = st.integers(min_value=0, max_value=30 * OFFICE_DAY)
CALENDARS = st.sampled_from([CN, CALIFORNIA])
PROPERTY = settings(max_examples=100, deadline=None)


@PROPERTY
@given(start=MOMENTS, n=COUNTS)
def test_the_deadline_day_of_a_working_day_clock_is_always_a_working_day(
    start: dt.datetime, n: int
) -> None:
    due_day = to_local(CN.add(start, wd(n)), SHANGHAI).date()

    assert CN.is_working_day(due_day)
    assert due_day == CN.nth_working_day(CN.local_date(start), n)
    assert CN.working_days_between(CN.local_date(start), due_day) == n


@PROPERTY
@given(day=DAYS, n=COUNTS, m=COUNTS)
def test_counting_n_then_m_working_days_is_counting_n_plus_m(day: dt.date, n: int, m: int) -> None:
    assert CN.nth_working_day(CN.nth_working_day(day, n), m) == CN.nth_working_day(day, n + m)


@PROPERTY
@given(cal=CALENDARS, start=MOMENTS, n=COUNTS)
def test_a_working_day_deadline_is_always_at_closing_time_local(
    cal: WorkCalendar, start: dt.datetime, n: int
) -> None:
    due = to_local(cal.add(start, wd(n)), cal.tz)

    assert (due.hour, due.minute, due.second, due.microsecond) == (18, 0, 0, 0)
    assert due.date() > cal.local_date(start)


@PROPERTY
@given(cal=CALENDARS, start=MOMENTS, a=OFFICE_SECONDS, b=OFFICE_SECONDS)
def test_adding_a_then_b_working_seconds_is_adding_a_plus_b(
    cal: WorkCalendar, start: dt.datetime, a: int, b: int
) -> None:
    assert cal.add_working_seconds(start, a + b) == cal.add_working_seconds(
        cal.add_working_seconds(start, a), b
    )


@PROPERTY
@given(cal=CALENDARS, start=MOMENTS, s=OFFICE_SECONDS)
def test_the_working_seconds_up_to_a_working_time_deadline_are_the_seconds_added(
    cal: WorkCalendar, start: dt.datetime, s: int
) -> None:
    end = cal.add_working_seconds(start, s)

    assert abs(cal.working_seconds_between(start, end) - s) < 1
    assert end >= start


def _office_time_day_by_day(cal: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Office time between two moments, walking every day (the plain definition)."""
    total = dt.timedelta(0)
    day, last = cal.local_date(start), cal.local_date(end)
    while day <= last:
        if cal.is_working_day(day):
            open_, close = cal._window(day)
            lo, hi = max(start, open_), min(end, close)
            total += max(hi - lo, dt.timedelta(0))
        day += dt.timedelta(1)
    return total.total_seconds() if end > start else 0.0


MOMENTS = st.datetimes(min_value=dt.datetime(2019, 12, 20), max_value=dt.datetime(2027, 1, 10))
CLOSED_CN = WorkCalendar(closures=[dt.date(2025, 10, 11), dt.date(2024, 12, 31)])


@settings(max_examples=300, deadline=None)
@given(start=MOMENTS, end=MOMENTS, which=st.sampled_from(["CN", "CA", "closures"]))
def test_office_time_between_two_moments_equals_counting_every_day(start, end, which):
    """warn asks how late every overdue case is: the answer comes from running totals per
    year, and must equal walking day by day — across years, holidays, make-up days, office
    closures and daylight-saving changes."""
    cal = {"CN": CN, "CA": CALIFORNIA, "closures": CLOSED_CN}[which]
    assert cal.working_seconds_between(start, end) == _office_time_day_by_day(cal, start, end)
