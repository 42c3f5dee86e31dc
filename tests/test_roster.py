"""The staff roster ([[staff]] in the config): with one, an owner not on it is a typo and
is refused wherever an owner is set or filtered on, naming the closest names; without one,
any owner is taken as before."""

from __future__ import annotations

import json
import tomllib

import pytest
from conftest import table_rows
from test_cli_workflow import log_case, to_investigate
from test_completion import tab

from complaintctl.config import Settings, StaffMember, settings_from_dict
from complaintctl.errors import ConfigError
from complaintctl.roster import close_names

ROSTER = """
[[staff]]
name = "王芳"
department = "CS"
email = "wang.fang@example.com"

[[staff]]
name = "李娜"
department = "QA"

[[staff]]
name = "Alice Chen"
"""


@pytest.fixture
def roster(tmp_path) -> str:
    path = tmp_path / "office.toml"
    path.write_text(ROSTER, encoding="utf-8")
    return str(path)


def classified(cli) -> str:
    """A case waiting to be assigned (the roster plays no part before that)."""
    number = log_case(cli)
    cli.ok("ack", number, "--at", "2025-09-30 09:00")
    cli.ok("classify", number, "--category", "PQ", "--severity", "B", "--kind", "general",
           "--at", "2025-09-30 09:30")  # fmt: skip
    return number


# -- the config ----------------------------------------------------------------------------------
def test_the_roster_is_read_with_names_departments_and_addresses():
    s = settings_from_dict(tomllib.loads(ROSTER))
    assert s.staff == (
        StaffMember("王芳", "CS", "wang.fang@example.com"),
        StaffMember("李娜", "QA"),
        StaffMember("Alice Chen"),
    )
    assert Settings().staff == ()  # no roster unless the config has one


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[staff]]\ndepartment = "CS"\n', "staff[0].name: every entry needs a non-empty name"),
        ('[[staff]]\nname = "  "\n', "staff[0].name: every entry needs a non-empty name"),
        (
            '[[staff]]\nname = "王芳"\n[[staff]]\nname = "王芳"\n',
            "staff[1].name: 王芳 appears twice",
        ),
        (
            '[[staff]]\nname = "王芳"\ndepartment = "HR"\n',
            "staff[0].department: 'HR' is not a department code of the config; allowed: "
            "CS, SALES, TECH, LOG, QA",
        ),
        (
            '[[staff]]\nname = "王芳"\nemail = "wang.fang"\n',
            "staff[0].email: 'wang.fang' is not an e-mail address like wang.fang@example.com",
        ),
        (
            '[[staff]]\nname = "王芳"\nphone = "123"\n',
            "staff[0].phone: unknown setting; allowed: department, email, name",
        ),
        ('staff = "王芳"\n', "staff: must be a list of [[staff]] tables (name, department, email)"),
    ],
)
def test_a_wrong_roster_entry_is_one_line_naming_its_key(toml, message):
    with pytest.raises(ConfigError) as err:
        settings_from_dict(tomllib.loads(toml))
    assert str(err.value) == message


def test_a_department_must_be_one_of_the_configs_own_departments():
    toml = (
        '[[departments]]\ncode = "HR"\nname = "HR"\n\n[[staff]]\nname = "王芳"\ndepartment = "hr"\n'
    )
    assert settings_from_dict(tomllib.loads(toml)).staff == (StaffMember("王芳", "HR"),)
    with pytest.raises(ConfigError, match=r"^staff\[0\]\.department: 'CS' .* allowed: HR$"):
        settings_from_dict(tomllib.loads(toml.replace('"hr"', '"CS"')))


def test_a_bad_roster_stops_any_command_with_one_line(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[staff]]\nname = "王芳"\nemail = "at@"\n', encoding="utf-8")
    result = cli("--config", str(path), "list")
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "error: staff[0].email: 'at@' is not an e-mail address like wang.fang@example.com"
    ]


# -- suggestions ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("王方", ["王芳"]),  # one character of two wrong: difflib alone finds it only half alike
        ("王", ["王芳"]),
        ("李娜娜", ["李娜"]),
        ("alice chan", ["Alice Chen"]),
        ("张伟", []),
        ("Bob", []),
    ],
)
def test_the_closest_roster_names_are_suggested(typed, suggested):
    assert close_names(typed, ("王芳", "李娜", "Alice Chen")) == suggested


# -- assign, list, warn --------------------------------------------------------------------------
def test_an_owner_not_on_the_roster_is_refused_and_nothing_is_written(cli, db_url, roster):
    number = classified(cli)
    before = table_rows(db_url)
    result = cli("--config", roster, "assign", number, "--department", "CS", "--owner", "王方")
    assert result.exit_code == 1
    assert result.stderr == "error: --owner: 王方 is not on the staff roster; did you mean 王芳?\n"
    assert table_rows(db_url) == before
    result = cli("--config", roster, "assign", number, "--department", "CS", "--owner", "Bob")
    assert result.exit_code == 1
    assert "Bob is not on the staff roster" in result.stderr and "did you mean" not in result.stderr
    assert table_rows(db_url) == before


def test_a_roster_name_is_taken_and_stored_as_the_roster_spells_it(cli, roster):
    number = classified(cli)
    cli.ok("--config", roster, "assign", number, "--department", "QA", "--owner", "alice chen")
    case = json.loads(cli.ok("--config", roster, "show", number, "--format", "json"))
    assert case["owner"] == "Alice Chen"
    # re-assigning checks the new owner the same way
    result = cli("--config", roster, "assign", number, "--department", "CS", "--owner", "王方")
    assert result.exit_code == 1 and "did you mean 王芳?" in result.stderr
    cli.ok("--config", roster, "assign", number, "--department", "CS", "--owner", "王芳")
    listed = json.loads(cli.ok("--config", roster, "list", "--owner", "王芳", "--format", "json"))
    assert [c["number"] for c in listed["cases"]] == [number]


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--owner", "王方"),
        ("export", "-", "--owner", "王方"),
        ("warn", "--owner", "王方", "--at", "2025-10-20 11:00"),
    ],
)
def test_an_owner_filter_not_on_the_roster_is_refused(cli, roster, command):
    to_investigate(cli, owner="王芳", department="CS")
    result = cli("--config", roster, *command)
    assert result.exit_code == 1, result.stdout
    assert result.stderr == "error: --owner: 王方 is not on the staff roster; did you mean 王芳?\n"
    assert result.stdout == ""


def test_without_a_roster_any_owner_is_taken_as_before(cli):
    number = to_investigate(cli, owner="王方", department="CS")
    listed = json.loads(cli.ok("list", "--owner", "王方", "--format", "json"))
    assert [c["number"] for c in listed["cases"]] == [number]
    assert json.loads(cli.ok("list", "--owner", "王芳", "--format", "json"))["total"] == 0
    cli.ok("warn", "--owner", "nobody", "--at", "2025-10-20 11:00")


# -- config init, completion ---------------------------------------------------------------------
def test_config_init_writes_a_commented_roster_that_loads_once_uncommented(cli, tmp_path):
    path = tmp_path / "c.toml"
    cli.ok("config", "init", "--path", str(path), "--country", "CN", "--timezone", "Asia/Shanghai")
    text = path.read_text("utf-8")
    assert "# [[staff]]\n# name = " in text
    assert settings_from_dict(tomllib.loads(text)).staff == ()
    block = text[text.index("# [[staff]]") :].split("\n\n")[0]
    live = text.replace(block, "\n".join(line.removeprefix("# ") for line in block.splitlines()))
    staff = settings_from_dict(tomllib.loads(live)).staff
    assert len(staff) == 1 and staff[0].department == "CS" and staff[0].email


def test_config_show_prints_the_roster_in_force(cli, roster):
    text = cli.ok("--config", roster, "config", "show")
    assert (
        settings_from_dict(tomllib.loads(text)).staff
        == settings_from_dict(tomllib.loads(ROSTER)).staff
    )


def test_tab_offers_the_roster_names_for_owner(cli, roster):
    to_investigate(cli, owner="Someone Else")  # in the register, not on the roster
    assert tab(cli, f"complaintctl --config {roster} list --owner ") == [
        "王芳",
        "李娜",
        "Alice Chen",
    ]
    assert tab(cli, f"complaintctl --config {roster} assign C2025-000001 --owner 王") == ["王芳"]
    assert tab(cli, f"complaintctl --config {roster} warn --owner al") == ["Alice Chen"]
    assert tab(cli, "complaintctl list --owner ") == ["Someone Else"]  # no roster: the register


def test_the_refusal_is_one_chinese_line_in_chinese(cli, roster):
    from complaintctl import i18n

    number = classified(cli)
    i18n.use("zh")
    try:
        result = cli("--config", roster, "assign", number, "--department", "CS", "--owner", "王方")
    finally:
        i18n.use("en")
    assert result.exit_code == 1
    assert result.stderr == "错误：--owner：王方 不在员工名册中；您是不是要找 王芳？\n"
