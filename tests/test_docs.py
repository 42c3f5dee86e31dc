"""The documentation keeps up with the code: every command has help and a README entry."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.main import get_command

from complaintctl.cli import app
from complaintctl.config import DEFAULT_CLOCKS, load_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands():
    root = get_command(app)
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):
            for sub, subcmd in cmd.commands.items():
                yield f"{name} {sub}", subcmd
        else:
            yield name, cmd


@pytest.mark.parametrize("name,command", list(_commands()), ids=lambda x: str(x))
def test_every_command_has_help_and_a_readme_entry(name, command):
    assert (command.help or "").strip(), f"{name} has no docstring/help"
    headings = re.findall(r"^### (.+)$", README, re.M)
    assert any(name in [h.strip() for h in heading.split(",")] for heading in headings), (
        f"README has no '### {name}' entry"
    )
    assert f"complaintctl {name}" in README, f"README shows no example of {name}"


def test_every_option_of_every_command_has_help_text():
    for name, command in _commands():
        for param in command.params:
            if param.param_type_name == "option" and param.name not in ("help",):
                assert getattr(param, "help", None), f"{name} {param.opts} has no help"


def test_ci_runs_the_readme_test_command_verbatim():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    test_lines = [line for b in blocks for line in b.splitlines() if "pytest" in line]
    assert test_lines, "README shows no test command"
    assert test_lines[0] in (ROOT / ".ci" / "run").read_text()


def test_the_example_config_sets_every_key_and_loads():
    data = tomllib.loads((ROOT / "examples" / "complaintctl.toml").read_text("utf-8"))
    assert set(data["clocks"]) == set(DEFAULT_CLOCKS)
    assert {"country", "opening_time", "closing_time", "closures"} <= set(data["calendar"])
    for key in (
        "timezone",
        "number_pattern",
        "channels",
        "categories",
        "departments",
        "feedback",
        "duplicates",
        "attachments",
    ):
        assert key in data, key
    settings = load_settings(ROOT / "examples" / "complaintctl.toml")
    assert settings.category_codes == ("PQ", "SA", "TS", "DL", "BL", "FE", "SM", "OT")
