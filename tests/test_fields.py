"""The field table (complaintctl/fields.py) is the one place a case's data fields are
described: every command, the importer and the guided `log` refuse a text one character
over the table's limit, naming the field as the table does, and no length limit is
written anywhere else in the package."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest

import complaintctl
from complaintctl import fields, i18n, importer
from complaintctl.cli import app as cli_app
from complaintctl.cli import cases as cli_module

PACKAGE = Path(complaintctl.__file__).parent
NUMBER = re.compile(r"C\d{4}-\d{6}")
TEXTS = [f for f in fields.FIELDS if f.kind == fields.TEXT]
LIMITS = {f.limit for f in TEXTS}


def too_long(f: fields.Field) -> str:
    """The message a text one character over `f`'s limit gets."""
    return f"is {f.limit + 1} characters long; at most {f.limit}"


# -- one place ----------------------------------------------------------------------------
def test_no_module_but_the_table_writes_a_text_length_limit():
    """No literal limit passed to a text check, no {field: limit} table, and the long-text
    limit's number nowhere, outside fields.py."""
    names = {f.name for f in fields.FIELDS}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "fields.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Constant) and node.value == fields.LONG_TEXT:
                found.append(where)
            elif isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if "text" in called or "field" in called:
                    args = [*node.args[2:], *(k.value for k in node.keywords)]
                    if any(isinstance(a, ast.Constant) and a.value in LIMITS for a in args):
                        found.append(where)
            elif isinstance(node, ast.Dict):
                pairs = zip(node.keys, node.values, strict=True)
                if any(
                    isinstance(k, ast.Constant)
                    and k.value in names
                    and isinstance(v, ast.Constant)
                    and v.value in LIMITS
                    for k, v in pairs
                ):
                    found.append(where)
    assert found == []


def test_the_importer_reads_the_table_s_fields_in_its_documented_order():
    assert {f.name: f.limit for f in TEXTS if f.imported} == importer.TEXT_FIELDS
    assert importer.REQUIRED == (
        "received_at",
        "channel",
        "customer_name",
        "contact",
        "summary",
    )
    assert importer.FIELDS[:4] == ("external_ref", "customer_name", "contact", "summary")
    assert importer.FIELDS[-1] == "feedback_score"
    assert set(importer.FIELDS) == {f.name for f in fields.IMPORTED}


def test_every_label_and_prompt_is_a_catalog_message_with_a_chinese_translation():
    i18n.use("zh")
    try:
        for f in fields.FIELDS:
            for message in filter(None, (f.label, f.prompt)):
                assert i18n._(message) != message, (f.name, message)
    finally:
        i18n.use("en")


# -- the commands -------------------------------------------------------------------------
LOG_TEXT = {"customer_name", "contact", "summary"}


def _log_args(**over: str) -> list[str]:
    given = {"channel": "phone", "customer_name": "王伟", "contact": "138", "summary": "漏水"}
    given.update(over)
    args = ["log"]
    for name, value in given.items():
        args += [fields.BY_NAME[name].option, value]
    return args


@pytest.mark.parametrize(
    "f", [f for f in TEXTS if f.prompt or f.name == "external_ref"], ids=lambda f: f.name
)
def test_log_refuses_a_text_one_character_over_the_table_s_limit_and_takes_one_at_it(cli, f):
    over = cli(*_log_args(**{f.name: "x" * (f.limit + 1)}))
    assert over.exit_code != 0
    assert f"{f.option}: {too_long(f)}" in over.stderr
    number = NUMBER.search(cli.ok(*_log_args(**{f.name: "x" * f.limit}))).group(0)
    assert number


# How each other text field is set, on a logged case (CASE); VALUE is the text.
SETTERS = {
    "reject_reason": ["classify", "CASE", "--reject", "VALUE"],
    "owner": ["assign", "CASE", "--department", "QA", "--owner", "VALUE"],
    "escalated_to": ["escalate", "CASE", "--to", "VALUE"],
    "hold_reason": ["hold", "CASE", "--reason", "VALUE"],
    "plan": ["plan", "CASE", "VALUE"],
    "findings": ["investigate", "CASE", "--responsibility", "internal", "--findings", "VALUE"],
    "root_cause": [
        "investigate",
        "CASE",
        "--responsibility",
        "internal",
        "--findings",
        "f",
        "--cause",
        "VALUE",
    ],
    "proposal": [
        "investigate",
        "CASE",
        "--responsibility",
        "internal",
        "--findings",
        "f",
        "--proposal",
        "VALUE",
    ],
    "resolution_note": ["resolve", "CASE", "--remedy", "repair", "--note", "VALUE"],
    "feedback_comment": ["feedback", "CASE", "--score", "5", "--comment", "VALUE"],
    "close_reason": ["close", "CASE", "--reason", "VALUE"],
}


def test_every_text_field_of_the_table_is_set_by_log_or_a_workflow_command():
    by_log = {f.name for f in TEXTS if f.prompt} | {"external_ref"}
    assert {f.name for f in TEXTS} == by_log | set(SETTERS)


@pytest.mark.parametrize("name", sorted(SETTERS))
def test_a_workflow_command_refuses_a_text_over_the_table_s_limit_naming_its_option(cli, name):
    f = fields.BY_NAME[name]
    number = NUMBER.search(cli.ok(*_log_args())).group(0)
    value = "x" * (f.limit + 1)
    args = [number if a == "CASE" else value if a == "VALUE" else a for a in SETTERS[name]]
    result = cli(*args)
    assert result.exit_code != 0
    assert f"{f.option}: {too_long(f)}" in result.stderr


def test_import_refuses_each_text_one_character_over_the_table_s_limit_naming_the_field(
    cli, tmp_path
):
    imported = [f for f in TEXTS if f.imported]
    header = ["received_at", "channel", *(f.name for f in imported)]
    base = {"received_at": "2025-10-03", "channel": "phone", "customer_name": "王伟"}
    base |= {"contact": "138", "summary": "漏水"}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for i, f in enumerate(imported):
        for length in (f.limit + 1, f.limit):
            row = dict(base, external_ref=f"F-{i}-{length}")
            row[f.name] = "x" * length
            writer.writerow([row.get(h, "") for h in header])
    source = tmp_path / "long.csv"
    source.write_text(buf.getvalue(), encoding="utf-8")
    result = cli("import", str(source), "--dry-run")
    assert result.exit_code == 1
    refused = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    # Row 2k+2 is field k over its limit; the row at the limit (2k+3) is not refused.
    assert refused == [
        f"line {2 * i + 2}: {f.name}: '{'x' * 77}...': {f.name} {too_long(f)}"
        for i, f in enumerate(imported)
    ]


# -- the guided log -----------------------------------------------------------------------
def test_the_guided_log_asks_with_the_table_s_prompts_and_limits(register, monkeypatch):
    """Each text question refuses one character over the table's limit, as --option would,
    and takes a text at the limit."""
    asked = {f.name: f for f in TEXTS if f.prompt}
    by_prompt = {f.prompt: f for f in asked.values()}
    refused: dict[str, str] = {}

    def prompt(label, default="", value_proc=None, show_default=True):
        f = by_prompt.get(label)
        if f is None:  # not a text: its default
            return value_proc(default)
        try:
            value_proc("x" * (f.limit + 1))
        except cli_module.typer.BadParameter as exc:
            refused[f.name] = str(exc)
        return value_proc("x" * f.limit)

    monkeypatch.setattr(cli_module.typer, "prompt", prompt)
    form = ["channel", "customer", "customer_type", "contact", "summary", "description"]
    form += ["demand", "order", "product", "amount", "received_at"]
    answers = cli_module._ask_log_form(register, cli_module._now(), form)
    assert refused == {name: f"{f.option}: {too_long(f)}" for name, f in asked.items()}
    assert {f.name: answers[f.key] for f in asked.values()} == {
        f.name: "x" * f.limit for f in asked.values()
    }


def test_show_prints_each_field_given_at_log_under_the_table_s_label(cli):
    given = {"order_no": "SO-1", "product": "洗衣机", "external_ref": "EXT-7"}
    given |= {"description": "门漏水", "demand": "换新"}
    out = cli.ok("show", NUMBER.search(cli.ok(*_log_args(**given))).group(0))
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for name, value in given.items():
        assert f"{fields.BY_NAME[name].label} {value}" in lines, name


def _commands() -> dict[str, set[str]]:
    """Each command of the CLI (by its path) → its option names."""
    import typer

    found: dict[str, set[str]] = {}

    def walk(command, path: str) -> None:
        found[path] = {o for p in command.params for o in getattr(p, "opts", ())}
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(cli_app), "")
    return found


def test_each_field_s_option_is_one_the_cli_has_and_log_has_every_field_it_asks():
    commands = _commands()
    every = set().union(*commands.values())
    assert [f.name for f in fields.FIELDS if f.option.startswith("-")] == [
        f.name for f in fields.FIELDS if f.option in every
    ]
    assert {f.option for f in fields.FIELDS if f.prompt} <= commands["log"]
    assert {f.option for f in fields.FIELDS if f.required} <= commands["log"]


def test_export_has_a_column_for_every_field_of_the_table():
    from complaintctl import queries

    assert [f.name for f in fields.FIELDS if f.name not in queries.EXPORT_FIELDS] == []
