"""Shell completion: what <TAB> offers, from the command tree, the settings and the register,
and that it stays light (no SQLAlchemy, no Pydantic on a SQLite register)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_cli_workflow import log_case, to_investigate

from complaintctl.cli import completion


def tab(cli, line: str, shell: str = "bash") -> list[str]:
    """What completing the last word of `line` offers (a trailing space: a new word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {"_COMPLAINTCTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env |= {"COMP_WORDS": line, "COMP_CWORD": str(cword)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line}
    result = cli.runner.invoke(cli_app(), [], env=env)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def cli_app():
    from complaintctl.cli import app

    return app


def test_tab_offers_the_commands_that_start_with_what_is_typed(cli):
    assert tab(cli, "complaintctl li") == ["list"]
    assert {"log", "list", "show", "warn", "report", "db"} <= set(tab(cli, "complaintctl "))
    assert tab(cli, "complaintctl db up") == ["upgrade"]


def test_tab_offers_a_commands_options_and_the_values_of_a_closed_set(cli):
    assert tab(cli, "complaintctl list --ow") == ["--owner"]
    assert tab(cli, "complaintctl list --format ") == ["table", "json", "csv"]
    assert tab(cli, "complaintctl list --step inv") == ["investigate"]
    assert tab(cli, "complaintctl classify C2025-000001 --severity ") == ["A", "B", "C"]
    # after a flag the next word is not its value: the options are offered again
    assert "--owner" in tab(cli, "complaintctl list --overdue --")


def test_tab_offers_category_department_and_channel_codes_from_the_settings(cli, tmp_path):
    assert "PQ" in tab(cli, "complaintctl classify C2025-000001 --category ")
    assert tab(cli, "complaintctl assign C2025-000001 --department q") == ["QA"]
    assert tab(cli, "complaintctl log --channel ph") == ["phone"]
    config = tmp_path / "office.toml"
    config.write_text(
        '[[categories]]\ncode = "WX"\nname = "Repairs"\n\n'
        '[[categories]]\ncode = "WL"\nname = "Logistics"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    assert tab(cli, f"complaintctl --config {config} classify C1 --category W") == ["WX", "WL"]


def test_zsh_gets_each_code_with_its_name_as_the_description(cli):
    out = tab(cli, "complaintctl assign C2025-000001 --department QA", shell="zsh")
    assert out[0].startswith("_arguments")
    assert any('"QA":' in line for line in out), out


def test_tab_offers_case_numbers_open_ones_first(cli, monkeypatch):
    closed = log_case(cli)
    cli.ok("ack", closed, "--at", "2025-09-30 09:30")
    cli.ok("classify", closed, "--reject", "不属于本公司", "--at", "2025-09-30 10:00")
    first_open, second_open = log_case(cli), log_case(cli)
    assert set(tab(cli, "complaintctl show ")) == {closed, first_open, second_open}
    # Lower-case typing finds them too (numbers are looked up upper-cased).
    assert set(tab(cli, f"complaintctl show {closed[:3].lower()}")) == {
        closed,
        first_open,
        second_open,
    }
    assert tab(cli, f"complaintctl note {closed} ") == []  # TEXT: nothing to offer
    # With room for two, the two open cases are offered and the closed one is not.
    monkeypatch.setattr(completion, "LIMIT", 2)
    assert set(tab(cli, "complaintctl ack C")) == {first_open, second_open}


@pytest.mark.slow
def test_tab_offers_the_owners_in_the_register(cli):
    to_investigate(cli, owner="李娜")
    to_investigate(cli, owner="Wang Fang")
    to_investigate(cli, owner="Wang Lei")
    to_investigate(cli, owner="李娜")
    assert tab(cli, "complaintctl list --owner ") == ["Wang Fang", "Wang Lei", "李娜"]
    assert tab(cli, "complaintctl warn --owner Wang") == ["Wang Fang", "Wang Lei"]
    assert tab(cli, "complaintctl warn --owner 李") == ["李娜"]


@pytest.mark.no_register
def test_completing_never_creates_a_register(cli, db_path):
    assert not db_path.exists()
    assert tab(cli, "complaintctl show C") == []
    assert not db_path.exists()


def test_a_broken_config_offers_nothing_and_prints_no_error(cli, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("this is = = not toml", encoding="utf-8")
    assert tab(cli, f"complaintctl --config {config} assign C1 --department ") == []


@pytest.mark.sqlite_only
def test_completion_as_a_program_loads_neither_sqlalchemy_nor_pydantic(cli, db_path):
    log_case(cli)
    code = (
        "import sys\n"
        "from complaintctl.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'sqlmodel', 'pydantic', 'holidays', 'rich'})\n"
        "print('loaded:', heavy, file=sys.stderr)\n"
    )
    env = {
        **os.environ,
        "COMPLAINTCTL_DB": str(db_path),
        "_COMPLAINTCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "complaintctl show C",
        "COMP_CWORD": "2",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("C"), out
    assert "loaded: []" in out.stderr
