"""Setting an office up: `calendar` (the working-day calendar and the deadlines it gives)
and `config init` / `config show` (a commented config file that loads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest
from typer.testing import CliRunner

from complaintctl.cli import app
from complaintctl.config import (
    _TOP_KEYS,
    Code,
    Settings,
    default_config_path,
    load_settings,
    settings_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result.stdout


def refused(*args: str, exit_code: int = 1) -> str:
    """The one line a refused command prints on stderr."""
    result = run(*args)
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def write_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "office.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def grid(out: str) -> list[str]:
    """The title, weekday header and week rows of `calendar`'s month."""
    return out.split("\n\n")[0].splitlines()


def marked(out: str, mark: str) -> list[int]:
    """The days of the month printed with `mark` after them."""
    cells = [line[i : i + 4] for line in grid(out)[2:] for i in range(0, len(line), 4)]
    return [int(c[:3]) for c in cells if c.strip() and c[3:] == mark]


# -- calendar -------------------------------------------------------------------------------
def test_the_cn_calendar_of_october_2025_marks_national_day_and_the_make_up_saturday():
    out = ok("calendar", "--month", "2025-10")
    assert grid(out) == [
        "        October 2025",
        " Mo  Tu  We  Th  Fr  Sa  Su",
        "          1*  2*  3*  4*  5*",
        "  6*  7*  8*  9  10  11+ 12",
        " 13  14  15  16  17  18  19",
        " 20  21  22  23  24  25  26",
        " 27  28  29  30  31",
    ]
    assert marked(out, "*") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert marked(out, "+") == [11]
    names = out.split("\n\n")[1].splitlines()
    assert names[0] == "* holiday   + make-up working day   # office closure"
    assert names[1:4] == ["  1 Wed  National Day", "  2 Thu  National Day", "  3 Fri  National Day"]
    assert names[4:6] == [
        "  4 Sat  weekend within the holiday",
        "  5 Sun  weekend within the holiday",
    ]
    assert names[6] == "  6 Mon  Mid-Autumn Festival"
    assert names[9] == " 11 Sat  make-up working day (调休)"
    # 23 weekdays, less 6 holidays, plus the make-up Saturday.
    assert names[-1] == "18 working days (calendar CN, time zone Asia/Shanghai)"


def test_the_deadlines_of_a_clock_started_before_national_day():
    out = ok("calendar", "--start", "2025-09-30")
    assert grid(out)[0].strip() == "September 2025"  # the month of --start
    assert out.split("\n\n")[-1].splitlines() == [
        "A clock started Tue 2025-09-30 09:00:",
        "  acknowledge    24h  Wed 2025-10-01 09:00",
        "  investigate    3wd  Sat 2025-10-11 18:00",
        "  resolve        5wd  Tue 2025-10-14 18:00",
        "  feedback       7wd  Thu 2025-10-16 18:00",
        "  escalate        1h  Tue 2025-09-30 10:00",
        "  plan            4h  Tue 2025-09-30 13:00",
        "  no clock: classify, assign",
    ]


def test_a_start_with_a_time_moves_the_hour_clocks_but_not_the_working_day_ones():
    out = ok("calendar", "--month", "2025-10", "--start", "2025-09-30 14:30")
    lines = out.split("\n\n")[-1].splitlines()
    assert lines[1] == "  acknowledge    24h  Wed 2025-10-01 14:30"
    assert lines[2] == "  investigate    3wd  Sat 2025-10-11 18:00"
    assert grid(out)[0].strip() == "October 2025"  # --month wins over the month of --start


def test_the_clocks_and_closing_time_come_from_the_config(tmp_path: Path):
    config = write_config(
        tmp_path,
        '[calendar]\nclosing_time = "17:30"\n[clocks]\ninvestigate = "2wd"\nescalate = ""\n',
    )
    out = ok("--config", config, "calendar", "--start", "2025-09-30")
    lines = out.split("\n\n")[-1].splitlines()
    assert "  investigate    2wd  Fri 2025-10-10 17:30" in lines
    assert lines[-1] == "  no clock: classify, assign, escalate"


def test_a_united_kingdom_office_sees_christmas_and_no_make_up_days(tmp_path: Path):
    config = write_config(
        tmp_path, 'timezone = "Europe/London"\n[calendar]\ncountry = "GB"\nsubdivision = "ENG"\n'
    )
    out = ok("--config", config, "calendar", "--month", "2025-12", "--start", "2025-12-23")
    assert marked(out, "*") == [25, 26]
    assert marked(out, "+") == []
    assert " 25 Thu  Christmas Day" in out.splitlines()
    assert "21 working days (calendar GB-ENG, time zone Europe/London)" in out
    assert "  investigate    3wd  Tue 2025-12-30 18:00" in out.splitlines()


def test_a_weekend_beside_a_holiday_is_a_weekend_not_part_of_the_holiday(tmp_path: Path):
    config = write_config(tmp_path, 'timezone = "America/New_York"\n[calendar]\ncountry = "US"\n')
    out = ok("--config", config, "calendar", "--month", "2025-07")
    assert marked(out, "*") == [4]  # Friday; Saturday 5 and Sunday 6 stay plain weekend
    assert "weekend within the holiday" not in out


def test_office_closures_are_marked_and_named(tmp_path: Path):
    config = write_config(tmp_path, '[calendar]\nclosures = ["2025-12-30..2025-12-31"]\n')
    out = ok("--config", config, "calendar", "--month", "2025-12")
    assert marked(out, "#") == [30, 31]
    assert " 30 Tue  Office closure" in out.splitlines()
    assert marked(out, "*") == []  # CN has no public holiday in December


def test_the_default_month_is_this_month_in_the_office_time_zone():
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    title = grid(ok("calendar"))[0].strip()
    after = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    assert title in {f"{t:%B %Y}" for t in (before, after)}


def test_the_calendar_reads_no_database(isolated: Path):
    ok("calendar", "--month", "2025-10")
    assert not isolated.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--month", "2025-13"),
            "error: --month: '2025-13' is not a month; use YYYY-MM, e.g. 2025-10",
        ),
        (("--month", "Oct"), "error: --month: 'Oct' is not a month; use YYYY-MM, e.g. 2025-10"),
        (("--month", "0999-01"), "error: --month: 0999-01 is outside the years 1900-2999"),
        (
            ("--start", "soon"),
            "error: --start: 'soon' is not a date; use e.g. 2025-09-30",
        ),
        (
            ("--start", "2025-09-30 25:00"),
            "error: --start: '2025-09-30 25:00' is not a date/time; use e.g. 2025-09-30 09:15 "
            "or 2025-09-30",
        ),
    ],
)
def test_a_bad_month_or_start_is_refused_in_one_line(args, message):
    assert refused("calendar", *args) == message


def _spawn(args: list[str], env: dict[str, str]) -> str:
    child = pexpect.spawn(
        sys.executable, ["-m", "complaintctl", *args], env=env, encoding="utf-8", timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


@pytest.mark.slow
def test_on_a_terminal_the_calendar_is_coloured_unless_no_color_is_set():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    coloured = _spawn(["calendar", "--month", "2025-10"], env)
    assert "\x1b[" in coloured
    # 1 October: red (and bold), then its mark.
    assert re.search(r"\x1b\[31m(\x1b\[[0-9;]*m)*\s*1\x1b\[0m\*", coloured)
    plain = _spawn(["calendar", "--month", "2025-10"], env | {"NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert "  6*  7*  8*  9  10  11+ 12" in plain.replace("\r", "").splitlines()


def test_piped_output_has_no_colour_codes():
    assert "\x1b" not in ok("calendar", "--month", "2025-10")


# -- config init ----------------------------------------------------------------------------
def init(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "office" / "complaintctl.toml"
    ok("config", "init", "--path", str(path), *args)
    return path


def test_config_init_writes_the_office_values_and_the_file_loads_with_them(tmp_path: Path):
    path = init(
        tmp_path,
        "--country",
        "hk",
        "--timezone",
        "Asia/Hong_Kong",
        "--language",
        "en",
        "--department",
        "CS=Customer care=客户关怀部",
        "--department",
        "QA=Quality",
    )
    settings = load_settings(path)
    assert settings.country == "HK"
    assert settings.timezone == "Asia/Hong_Kong"
    assert settings.departments == (
        Code("CS", "Customer care", "客户关怀部"),
        Code("QA", "Quality"),
    )
    text = path.read_text("utf-8")
    if hasattr(settings, "language"):  # once the loader reads it, it must say en
        assert settings.language == "en"
    else:
        assert '# language = "en"' in text.splitlines()
    # Everything else is left at the defaults.
    defaults = Settings()
    assert settings.clocks == defaults.clocks
    assert settings.categories == defaults.categories
    assert settings.channels == defaults.channels


def test_config_init_for_china_by_default(tmp_path: Path):
    out = ok("config", "init", "--path", str(tmp_path / "c.toml"))
    settings = load_settings(tmp_path / "c.toml")
    assert (settings.country, settings.timezone) == ("CN", "Asia/Shanghai")
    assert settings.departments == Settings().departments
    assert "  language    zh" in out.splitlines()
    assert "  departments CS SALES TECH LOG QA" in out.splitlines()


def test_every_default_shown_commented_out_is_the_real_default(tmp_path: Path):
    """Removing the '#' of every '#key = value' line changes nothing: the file shows the
    true defaults."""
    path = init(tmp_path, "--department", "QA=Quality")
    uncommented = re.sub(r"(?m)^#(?=[A-Za-z_\[])", "", path.read_text("utf-8"))
    data = tomllib.loads(uncommented)
    settings = settings_from_dict(data)
    expected = dataclasses.replace(Settings(), departments=(Code("QA", "Quality"),))
    if hasattr(expected, "language"):  # a CN office speaks Chinese unless told otherwise
        expected = dataclasses.replace(expected, language="zh")
    assert settings == expected
    # ... and every key the loader reads is there, and every key the example config has.
    assert set(data) | {"database", "smtp", "language", "date_order", "staff"} >= _TOP_KEYS
    example = tomllib.loads((ROOT / "examples" / "complaintctl.toml").read_text("utf-8"))
    for table in ("calendar", "clocks", "feedback", "duplicates", "attachments", "warn"):
        assert set(data[table]) | {"subdivision"} >= set(example[table]), table


def test_every_key_is_explained_by_a_comment(tmp_path: Path):
    text = init(tmp_path).read_text("utf-8")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#?[a-z_]+ = ", line) and not line.startswith(("#code", "#name", "code")):
            block = lines[max(0, i - 12) : i]
            assert "#  " in line or any(b.startswith("# ") for b in block), line


def test_the_file_is_private_and_written_atomically(tmp_path: Path):
    path = init(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_config_init_never_overwrites_without_force(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text("# ours\n", encoding="utf-8")
    path.chmod(0o644)
    line = refused("config", "init", "--path", str(path), "--country", "GB")
    assert line == f"error: --path: {path} exists; use --force to replace it"
    assert path.read_text("utf-8") == "# ours\n"
    ok("config", "init", "--path", str(path), "--country", "GB", "--force")
    assert load_settings(path).country == "GB"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_without_a_path_it_writes_where_every_command_looks(tmp_path: Path):
    out = ok("config", "init", "--country", "GB", "--timezone", "Europe/London")
    assert out.splitlines()[0] == f"wrote {default_config_path()}"
    assert "use it with" not in out
    # The next command reads it without being told: Christmas is a holiday there.
    assert " 25 Thu  Christmas Day" in ok("calendar", "--month", "2025-12").splitlines()


def test_the_root_config_option_names_the_file_to_write(tmp_path: Path):
    path = tmp_path / "named.toml"
    ok("--config", str(path), "config", "init", "--country", "SG", "--timezone", "Asia/Singapore")
    assert load_settings(path).country == "SG"


def test_a_country_with_several_time_zones_gets_its_main_one_and_a_note(tmp_path: Path):
    out = ok("config", "init", "--path", str(tmp_path / "us.toml"), "--country", "US")
    assert load_settings(tmp_path / "us.toml").timezone == "America/New_York"
    assert re.search(r"time zone   America/New_York \(the first of \d+ zones of US;", out)
    assert "  language    en" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--country", "XX"),
            "error: --country: 'XX' is not a country the holidays package knows; use an ISO "
            "code such as CN, HK, TW, SG, US, GB, DE",
        ),
        (
            ("--country", "US", "--subdivision", "ZZ"),
            "error: --subdivision: 'ZZ' is not a subdivision of US; allowed: ",
        ),
        (
            ("--timezone", "Mars/Olympus"),
            "error: --timezone: 'Mars/Olympus' is not an IANA time zone like Asia/Shanghai",
        ),
        (
            ("--department", "Q A=Quality"),
            "error: --department: 'Q A=Quality': the code must be 1-20 letters, digits, _ or "
            "-; use CODE=Name or CODE=Name=中文名, e.g. QA=Quality management=质量管理部",
        ),
        (
            ("--department", "QA=Quality", "--department", "qa=Again"),
            "error: --department: code qa is given twice",
        ),
        (
            ("--department", "QA=Qual\x1bity"),
            "error: --department: 'QA=Qual\\x1bity': a name is at most 100 printable characters",
        ),
    ],
)
def test_bad_options_are_refused_in_one_line_and_nothing_is_written(tmp_path: Path, args, message):
    path = tmp_path / "c.toml"
    line = refused("config", "init", "--path", str(path), *args)
    assert line.startswith(message) if message.endswith(": ") else line == message
    assert list(tmp_path.iterdir()) == []


def test_a_language_other_than_zh_or_en_is_a_usage_error(tmp_path: Path):
    line = refused(
        "config", "init", "--path", str(tmp_path / "c.toml"), "--language", "fr", exit_code=2
    )
    assert re.match(r"\S+ config init: Invalid value for '--language'", line)
    assert "'zh', 'en'" in line
    assert list(tmp_path.iterdir()) == []


def test_a_directory_is_not_a_config_file(tmp_path: Path):
    line = refused("config", "init", "--path", str(tmp_path))
    assert line == f"error: --path: {tmp_path} is a directory, not a regular file"


# -- config show ----------------------------------------------------------------------------
def test_config_show_without_a_file_prints_the_defaults_as_a_file_that_loads():
    out = ok("config", "show")
    assert out.startswith("# complaintctl settings in effect: built-in defaults (no config file).")
    assert settings_from_dict(tomllib.loads(out)) == Settings()


def test_config_show_prints_what_the_file_sets_and_hides_a_database_password(tmp_path: Path):
    path = init(tmp_path, "--country", "GB", "--timezone", "Europe/London")
    text = path.read_text("utf-8").replace(
        '# database = "complaints.db"', 'database = "postgresql+psycopg://clerk:s3cret@db/c"'
    )
    text = text.replace('#investigate = "3wd"', 'investigate = "2wd"')
    path.write_text(text, encoding="utf-8")
    out = ok("--config", str(path), "config", "show")
    assert out.startswith(f"# complaintctl settings in effect: from {path}.")
    assert "s3cret" not in out
    assert 'database = "postgresql+psycopg://clerk:***@db/c"' in out.splitlines()
    shown = settings_from_dict(tomllib.loads(out))
    loaded = load_settings(path)
    assert shown.clocks["investigate"] == loaded.clocks["investigate"]
    assert dataclasses.replace(shown, database=None, source=None) == dataclasses.replace(
        loaded, database=None, source=None
    )
