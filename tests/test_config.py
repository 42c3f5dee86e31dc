"""The TOML settings: defaults, every documented key, and errors that name the key."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from complaintctl.config import (
    DEFAULT_CATEGORIES,
    DEFAULT_CHANNELS,
    DEFAULT_DEPARTMENTS,
    Code,
    Duration,
    Settings,
    SmtpSettings,
    load_settings,
    settings_from_dict,
)
from complaintctl.errors import ConfigError

FULL_CONFIG = """\
timezone = "Europe/Berlin"
number_pattern = "K{year}/{seq:04d}"
database = "data/register.db"
channels = ["phone", "wechat"]

[calendar]
country = "de"
subdivision = "BY"
opening_time = "08:30"
closing_time = 17:15:00
closures = ["2025-12-24", "2025-12-29..2025-12-31", 2026-01-02]

[clocks]
acknowledge = "4wh"
classify = "2h"
assign = "1d"
investigate = "5wd"
resolve = "10 wd"
feedback = ""
escalate = "30m"
plan = "1.5h"

[feedback]
satisfied_min_score = 3

[duplicates]
window = "2d"

[attachments]
max_bytes = 1048576

[[categories]]
code = "Q"
name = "Quality"
name_zh = "质量"

[[categories]]
code = "X"

[[departments]]
code = "OPS"
name = "Operations"
name_zh = "运营部"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        settings_from_dict(data)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == 2
    return message


# -- defaults -------------------------------------------------------------------------------


def test_no_config_file_anywhere_gives_the_documented_defaults() -> None:
    s = load_settings()

    assert s == Settings()
    assert s.source is None
    assert s.timezone == "Asia/Shanghai"
    assert s.number_pattern == "C{year}-{seq:06d}"
    assert s.database is None
    assert s.country == "CN"
    assert s.subdivision is None
    assert (s.opening_time, s.closing_time) == (dt.time(9), dt.time(18))
    assert s.closures == frozenset()
    assert s.clocks == {
        "acknowledge": Duration(24, "h"),
        "classify": None,
        "assign": None,
        "investigate": Duration(3, "wd"),
        "resolve": Duration(5, "wd"),
        "feedback": Duration(7, "wd"),
        "escalate": Duration(1, "h"),
        "plan": Duration(4, "h"),
    }
    assert s.satisfied_min_score == 4
    assert s.duplicate_window == dt.timedelta(hours=24)
    assert s.max_attachment_bytes == 10 * 1024 * 1024
    assert s.category_codes == ("PQ", "SA", "TS", "DL", "BL", "FE", "SM", "OT")
    assert s.categories == tuple(Code(*c) for c in DEFAULT_CATEGORIES)
    assert s.channels == DEFAULT_CHANNELS
    assert s.department_codes == ("CS", "SALES", "TECH", "LOG", "QA")
    assert s.departments == tuple(Code(*d) for d in DEFAULT_DEPARTMENTS)


def test_an_empty_config_file_gives_the_defaults_but_remembers_its_source(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.toml", "")

    s = load_settings(path)

    assert s.source == path
    assert s.clocks == Settings().clocks
    assert s.categories == Settings().categories


def test_the_config_in_the_default_location_is_read(tmp_path: Path) -> None:
    # The autouse fixture points XDG_CONFIG_HOME at tmp_path / "xdg-config".
    write(tmp_path / "xdg-config" / "complaintctl" / "complaintctl.toml", 'timezone = "UTC"\n')

    assert load_settings().timezone == "UTC"


# -- every documented key -------------------------------------------------------------------


def test_every_documented_key_is_read_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "office" / "complaintctl.toml", FULL_CONFIG)

    s = load_settings(path)

    assert s.source == path
    assert s.timezone == "Europe/Berlin"
    assert str(s.tz) == "Europe/Berlin"
    assert s.number_pattern == "K{year}/{seq:04d}"
    assert s.database == str((tmp_path / "office" / "data" / "register.db").resolve())
    assert s.country == "DE"
    assert s.subdivision == "BY"
    assert s.opening_time == dt.time(8, 30)
    assert s.closing_time == dt.time(17, 15)
    assert s.closures == frozenset(
        {
            dt.date(2025, 12, 24),
            dt.date(2025, 12, 29),
            dt.date(2025, 12, 30),
            dt.date(2025, 12, 31),
            dt.date(2026, 1, 2),
        }
    )
    assert s.clocks == {
        "acknowledge": Duration(4, "wh"),
        "classify": Duration(2, "h"),
        "assign": Duration(1, "d"),
        "investigate": Duration(5, "wd"),
        "resolve": Duration(10, "wd"),
        "feedback": None,
        "escalate": Duration(30, "m"),
        "plan": Duration(1.5, "h"),
    }
    assert s.satisfied_min_score == 3
    assert s.duplicate_window == dt.timedelta(days=2)
    assert s.max_attachment_bytes == 1048576
    assert s.categories == (Code("Q", "Quality", "质量"), Code("X", "X", ""))
    assert s.category_codes == ("Q", "X")
    assert s.channels == ("phone", "wechat")
    assert s.departments == (Code("OPS", "Operations", "运营部"),)


def test_the_documented_example_config_loads_and_matches_the_defaults_but_closures_and_smtp() -> (
    None
):
    example = Path(__file__).resolve().parent.parent / "examples" / "complaintctl.toml"

    s = load_settings(example)

    assert s.closures == frozenset(
        {dt.date(2025, 12, 31), dt.date(2026, 2, 23), dt.date(2026, 2, 24)}
    )
    assert s.source == example
    assert s.smtp == SmtpSettings(sender="complaintctl@example.com")
    assert dataclasses.replace(s, closures=frozenset(), source=None, smtp=None) == Settings()


def test_clocks_not_mentioned_keep_their_defaults() -> None:
    s = settings_from_dict({"clocks": {"acknowledge": "8wh"}})

    assert s.clocks["acknowledge"] == Duration(8, "wh")
    assert s.clocks["investigate"] == Duration(3, "wd")
    assert s.clocks["classify"] is None


def test_an_empty_clock_means_the_step_has_no_deadline() -> None:
    assert settings_from_dict({"clocks": {"investigate": ""}}).clocks["investigate"] is None


def test_a_duration_prints_back_as_it_was_written() -> None:
    s = settings_from_dict({"clocks": {"acknowledge": "24h", "plan": "1.5h", "resolve": "5 wd"}})

    assert [str(s.clocks[k]) for k in ("acknowledge", "plan", "resolve")] == ["24h", "1.5h", "5wd"]


def test_a_closing_range_of_one_day_is_that_day() -> None:
    s = settings_from_dict({"calendar": {"closures": ["2025-10-10..2025-10-10"]}})

    assert s.closures == frozenset({dt.date(2025, 10, 10)})


def test_a_subdivision_of_the_default_country_is_not_needed_and_an_empty_one_is_ignored() -> None:
    assert settings_from_dict({"calendar": {"subdivision": ""}}).subdivision is None


def test_a_us_state_is_a_valid_subdivision() -> None:
    s = settings_from_dict({"calendar": {"country": "US", "subdivision": "CA"}})

    assert (s.country, s.subdivision) == ("US", "CA")


# -- the database path ----------------------------------------------------------------------


def test_a_relative_database_path_is_resolved_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "etc" / "complaintctl.toml", 'database = "../var/register.db"\n')
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)

    assert load_settings(path).database == str(tmp_path.resolve() / "var" / "register.db")


def test_a_relative_config_path_still_resolves_the_database_next_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "etc" / "complaintctl.toml", 'database = "register.db"\n')
    monkeypatch.chdir(tmp_path)

    s = load_settings("etc/complaintctl.toml")

    assert s.database == str(tmp_path.resolve() / "etc" / "register.db")


def test_an_absolute_database_path_and_a_database_url_are_kept_as_written(tmp_path: Path) -> None:
    absolute = str(tmp_path / "abs.db")
    source = tmp_path / "complaintctl.toml"

    assert settings_from_dict({"database": absolute}, source).database == absolute
    url = "sqlite:///relative.db"
    assert settings_from_dict({"database": url}, source).database == url


# -- finding the file -----------------------------------------------------------------------


def test_the_complaintctl_config_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "env.toml", 'timezone = "Europe/London"\n')
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(path))

    s = load_settings()

    assert s.timezone == "Europe/London"
    assert s.source == path


def test_an_explicit_path_beats_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "COMPLAINTCTL_CONFIG", str(write(tmp_path / "env.toml", 'timezone = "UTC"\n'))
    )
    explicit = write(tmp_path / "explicit.toml", 'timezone = "Asia/Tokyo"\n')

    assert load_settings(explicit).timezone == "Asia/Tokyo"


def test_an_explicit_config_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError) as info:
        load_settings(missing)

    assert str(info.value) == f"config: file {missing} does not exist"


def test_a_missing_file_named_by_the_environment_variable_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "gone.toml"
    monkeypatch.setenv("COMPLAINTCTL_CONFIG", str(missing))

    with pytest.raises(ConfigError) as info:
        load_settings()

    assert str(info.value) == f"config: file {missing} does not exist"


def test_a_file_that_is_not_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", "timezone = \n")

    with pytest.raises(ConfigError) as info:
        load_settings(path)

    assert str(info.value).startswith(f"config: {path} is not valid TOML: ")
    assert "\n" not in str(info.value)


# -- wrong settings name their key ----------------------------------------------------------


def test_an_unknown_top_level_key_is_named() -> None:
    message = config_error({"colour": "red"})

    assert message.startswith("colour: unknown setting; allowed: attachments, calendar, ")


def test_an_unknown_key_inside_calendar_is_named_with_its_table() -> None:
    message = config_error({"calendar": {"weekend": ["fri"]}})

    assert message == (
        "calendar.weekend: unknown setting; allowed: closing_time, closures, country, "
        "opening_time, subdivision"
    )


def test_an_unknown_key_inside_clocks_is_named_with_its_table() -> None:
    message = config_error({"clocks": {"review": "2wd"}})

    assert message == (
        "clocks.review: unknown setting; allowed: acknowledge, assign, classify, escalate, "
        "feedback, investigate, plan, resolve"
    )


@pytest.mark.parametrize("table", ["feedback", "duplicates", "attachments"])
def test_an_unknown_key_inside_the_small_tables_is_named_with_its_table(table: str) -> None:
    assert config_error({table: {"bogus": 1}}).startswith(f"{table}.bogus: unknown setting")


def test_a_table_written_as_a_plain_value_is_named() -> None:
    assert config_error({"calendar": "CN"}) == "calendar: must be a table ([calendar])"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Shanghai", "", "../etc/passwd"])
def test_a_bad_timezone_is_named(zone: str) -> None:
    assert config_error({"timezone": zone}) == (
        f"timezone: {zone!r} is not an IANA time zone like Asia/Shanghai"
    )


def test_a_duration_of_three_weeks_is_named_with_its_clock() -> None:
    assert config_error({"clocks": {"investigate": "3 weeks"}}) == (
        "clocks.investigate: '3 weeks' is not a duration; use a number and one of "
        "m, h, d, wh, wd (e.g. 24h, 3wd)"
    )


@pytest.mark.parametrize("value", ["3", "wd", "-1h", "3 wd 2h", "1,5h"])
def test_other_malformed_durations_are_named_with_their_clock(value: str) -> None:
    assert config_error({"clocks": {"resolve": value}}).startswith(
        f"clocks.resolve: {value!r} is not a duration"
    )


def test_a_fractional_number_of_working_days_is_named() -> None:
    assert config_error({"clocks": {"feedback": "1.5wd"}}) == (
        "clocks.feedback: working days must be a whole number, not '1.5wd'"
    )


@pytest.mark.parametrize("value", ["2025-02-30", "next monday", "2025-12-31..2025-12-29"])
def test_a_bad_closure_date_is_named(value: str) -> None:
    assert config_error({"calendar": {"closures": ["2025-10-10", value]}}) == (
        f"calendar.closures: {value!r} is not a date (2025-12-31) or range (2025-12-29..2025-12-31)"
    )


def test_closures_that_are_not_a_list_are_named() -> None:
    assert config_error({"calendar": {"closures": "2025-10-10"}}) == (
        "calendar.closures: must be a list of dates or 'START..END' ranges"
    )


@pytest.mark.parametrize(
    "calendar",
    [
        {"opening_time": "18:00", "closing_time": "09:00"},
        {"opening_time": "09:00", "closing_time": "09:00"},
        {"closing_time": "08:00"},  # against the default opening at 09:00
        {"opening_time": "19:00"},  # against the default closing at 18:00
    ],
)
def test_closing_before_or_at_opening_is_named(calendar: dict) -> None:
    assert config_error({"calendar": calendar}) == (
        "calendar.closing_time: must be later than calendar.opening_time"
    )


def test_an_unreadable_time_of_day_is_named() -> None:
    assert config_error({"calendar": {"opening_time": "nine"}}) == (
        "calendar.opening_time: 'nine' is not a time of day like 18:00"
    )


def test_a_time_of_day_with_a_utc_offset_is_named_not_a_crash() -> None:
    message = config_error({"calendar": {"opening_time": "09:00+08:00"}})

    assert message.startswith("calendar.opening_time: ")


def test_an_unknown_country_is_named() -> None:
    assert config_error({"calendar": {"country": "XX"}}) == (
        "calendar.country: 'XX' is not a country the holidays package knows"
    )


def test_a_subdivision_the_country_does_not_have_is_named_with_the_allowed_ones() -> None:
    message = config_error({"calendar": {"country": "US", "subdivision": "ZZ"}})

    assert message.startswith("calendar.subdivision: 'ZZ' is not a subdivision of US; allowed: ")
    assert ", CA, " in message


def test_a_subdivision_for_china_which_has_none_is_named() -> None:
    assert config_error({"calendar": {"subdivision": "SH"}}) == (
        "calendar.subdivision: 'SH' is not a subdivision of CN; allowed: none"
    )


def test_a_duplicate_category_code_is_named() -> None:
    data = {"categories": [{"code": "PQ", "name": "Quality"}, {"code": "PQ", "name": "Again"}]}

    assert config_error(data) == "categories: code PQ appears twice"


def test_a_duplicate_department_code_is_named() -> None:
    data = {"departments": [{"code": "CS"}, {"code": "CS"}]}

    assert config_error(data) == "departments: code CS appears twice"


def test_a_category_without_a_code_is_named_by_its_position() -> None:
    data = {"categories": [{"code": "PQ"}, {"name": "Nameless"}]}

    assert config_error(data) == "categories[1].code: every entry needs a non-empty code"


def test_an_unknown_key_in_a_category_is_named_by_its_position() -> None:
    data = {"categories": [{"code": "PQ", "colour": "red"}]}

    assert config_error(data) == (
        "categories[0].colour: unknown setting; allowed: code, name, name_zh"
    )


def test_an_empty_category_list_is_named() -> None:
    assert config_error({"categories": []}).startswith("categories: must be a non-empty list")


@pytest.mark.parametrize("channels", [[], ["phone", ""], "phone", ["phone", 3]])
def test_a_bad_channel_list_is_named(channels: object) -> None:
    assert config_error({"channels": channels}) == (
        "channels: must be a non-empty list of channel names"
    )


def test_a_number_pattern_without_seq_is_named() -> None:
    assert config_error({"number_pattern": "C{year}-0001"}) == (
        "number_pattern: must contain {seq}, e.g. C{year}-{seq:06d}"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "C{year}-{seq}-{month}",
        "C{seq:06q}",
        "C{0}{seq}",
        "C{seq[0]}",
        "C{seq.real.x}",
        "C{seq.__class__.__mro__}",  # every case would get the same number
        "C{seq:0200000000d}",  # 200 million digits: one log took 74 s and 600 MB
        "C{seq:09999999999d}",
        "C{seq:013d}",
        "C{seq!r}",
        "C{seq}{seq}",
        "C\x00{seq}",
    ],
)
def test_a_number_pattern_with_other_fields_is_named(pattern: str) -> None:
    assert config_error({"number_pattern": pattern}) == (
        f"number_pattern: {pattern!r} may use only the fields {{year}} and {{seq}}, each with "
        "a width of at most 12 (e.g. {seq:06d}), and printable characters"
    )


@pytest.mark.parametrize("pattern", ["C{year}-{seq:06d}", "{seq:012d}", "TS-{year:04d}-{seq}"])
def test_a_number_pattern_of_year_and_seq_is_taken(pattern: str) -> None:
    assert settings_from_dict({"number_pattern": pattern}).number_pattern == pattern


@pytest.mark.parametrize("score", [0, 6, 3.5, "4", True])
def test_a_satisfied_score_outside_one_to_five_is_named(score: object) -> None:
    assert config_error({"feedback": {"satisfied_min_score": score}}) == (
        "feedback.satisfied_min_score: must be a whole number 1..5"
    )


@pytest.mark.parametrize("size", [0, -1, 1.5, "10MB", True, 2**31 + 1, 10**20])
def test_a_bad_attachment_size_is_named(size: object) -> None:
    assert config_error({"attachments": {"max_bytes": size}}) == (
        "attachments.max_bytes: must be a whole number of bytes, 1 to 2147483648 (2 GiB)"
    )


@pytest.mark.parametrize("window", ["3wd", "8wh", ""])
def test_a_duplicate_window_in_working_time_or_empty_is_named(window: str) -> None:
    assert config_error({"duplicates": {"window": window}}) == (
        "duplicates.window: must be a calendar duration such as 24h or 2d"
    )


# -- the CLI --------------------------------------------------------------------------------


def test_the_cli_with_a_wrong_config_exits_2_with_one_line_naming_the_key(
    tmp_path: Path, cli
) -> None:
    bad_toml = write(tmp_path / "bad.toml", '[calendar]\nweekend = ["fri"]\n')

    result = cli("--config", str(bad_toml), "list")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: calendar.weekend: unknown setting; allowed: closing_time, closures, "
        "country, opening_time, subdivision\n"
    )


def test_the_cli_with_a_missing_config_file_exits_2_naming_the_file(tmp_path: Path, cli) -> None:
    missing = tmp_path / "missing.toml"

    result = cli("--config", str(missing), "list")

    assert result.exit_code == 2
    assert result.stderr == f"error: config: file {missing} does not exist\n"
