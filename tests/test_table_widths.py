"""Tables fit the terminal: `list`, `warn` (on a terminal) and `show` choose their columns
by the width, never draw a column of zero width, never wrap a case number or break a cell
into fragments: each cell is whole or cut with …, in English and in Chinese (two cells a
character).  --columns, the config's display.list_columns and --wide choose otherwise."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from complaintctl import i18n, queries, render, render_digest
from complaintctl.cli import app
from complaintctl.cli.common import Status, list_filter
from complaintctl.clock import to_utc
from complaintctl.config import LIST_COLUMNS, Settings, settings_from_dict
from complaintctl.digest import build_digest
from complaintctl.errors import ConfigError
from complaintctl.i18n import _, label
from complaintctl.register import Register

WIDTHS = (60, 80, 100, 120, 160)
LANGUAGES = ("en", "zh")
NOW = to_utc(dt.datetime(2025, 10, 20, 10, 0, tzinfo=Settings().tz))
LONG_ZH = (
    "客户反映购买的扫地机器人在使用三天后出现无法充电、噪音异常、App 无法连接等多个问题，要求退货"
)
LONG_CUSTOMER = "北京市朝阳区某某国际贸易有限责任公司采购部"
LONG_EN = "Invoice charged twice for September and the second charge was never refunded"


# -- a register with a case at every step ------------------------------------------------
@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """A SQLite register (its URL) with long Chinese and English texts, a case at each
    step, one on hold, some overdue; the numbers by what each case is."""
    where = tmp_path_factory.mktemp("widths")
    config = where / "config.toml"
    config.write_text('language = "en"\n', encoding="utf-8")
    db = where / "register.db"
    runner = CliRunner()

    def run(*args: str, who: str = "前台小王") -> str:
        result = runner.invoke(app, ["--db", str(db), "--config", str(config), "--as", who, *args])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result.stdout

    run("db", "init")
    numbers: dict[str, str] = {}

    def log(name: str, summary: str, customer: str, received: str, channel: str = "phone") -> str:
        out = run(
            "log", "--channel", channel, "--customer", customer, "--contact", "13800000000",
            "--summary", summary, "--received-at", received, "-q",
        )  # fmt: skip
        numbers[name] = out.strip()
        return numbers[name]

    def up_to(number: str, step: str, at: str, owner: str = "李娜", severity: str = "B") -> None:
        steps = ["acknowledge", "classify", "assign", "investigate", "resolve", "feedback"]
        for done in steps[: steps.index(step)]:
            if done == "acknowledge":
                run("ack", number, "--at", at)
            elif done == "classify":
                run("classify", number, "--category", "PQ", "--severity", severity,
                    "--kind", "claim", "--at", at)  # fmt: skip
            elif done == "assign":
                run("assign", number, "--department", "QA", "--owner", owner, "--at", at)
            elif done == "investigate":
                run("investigate", number, "--findings", "密封圈老化", "--responsibility",
                    "external", "--proposal", "上门更换", "--at", at)  # fmt: skip
            elif done == "resolve":
                run("resolve", number, "--remedy", "repair", "--note", LONG_ZH, "--at", at)

    log("acknowledge", LONG_ZH, LONG_CUSTOMER, "2025-10-09 09:00", "online")
    up_to(log("classify", LONG_EN, "Acme Trading, Ltd (Shanghai branch)", "2025-10-10 10:00"),
          "classify", "2025-10-10 10:30")  # fmt: skip
    up_to(log("assign", "空调不制冷", "赵敏", "2025-10-13 09:00"), "assign", "2025-10-13 09:30")
    n = log("investigate", LONG_ZH + LONG_ZH, "陈静", "2025-10-14 11:00", "social")
    up_to(n, "investigate", "2025-10-14 11:30", owner="Alexandra Konstantinopoulou")
    photo = where / "客户提供的扫地机器人故障照片与购买发票扫描件（第一批，共三张）.jpg"
    photo.write_bytes(b"\xff\xd8 not much of a photo")
    run("attach", n, str(photo))
    n = log("on hold", "要求赔偿安装造成的地板损坏", "刘洋", "2025-10-15 09:30", "letter")
    up_to(n, "investigate", "2025-10-15 10:00", owner="赵磊")
    run("hold", n, "--reason", "等待客户提供照片", "--at", "2025-10-15 11:00")
    up_to(log("resolve", "门店店员态度恶劣", "张强", "2025-10-16 16:20", "visit"),
          "resolve", "2025-10-16 16:30")  # fmt: skip
    up_to(log("feedback", LONG_EN, "Zhou Min", "2025-10-17 09:00", "email"),
          "feedback", "2025-10-17 09:30", owner="Zhou Min")  # fmt: skip
    n = log("closed", "快递丢件", "钱进", "2025-09-05 08:30", "email")
    up_to(n, "feedback", "2025-09-05 09:00", owner="王芳")
    run("feedback", n, "--score", "5", "--comment", "很满意", "--at", "2025-09-10 10:00")
    n = log("rejected", "快递延误五天且包装破损", "李娜", "2025-09-30 10:05", "online")
    run("ack", n, "--at", "2025-09-30 10:10")
    run("classify", n, "--reject", "重复投诉", "--at", "2025-09-30 10:20", who="王芳")
    return f"sqlite:///{db}", numbers


@pytest.fixture
def reg(office) -> Register:
    return Register.open(office[0], Settings())


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest):
    i18n.use(request.param)
    yield request.param
    i18n.use("en")


# -- reading a drawn table back ------------------------------------------------------------
def draw(renderable: object, width: int) -> list[str]:
    console = Console(width=width, color_system=None, highlight=False, soft_wrap=False)
    with console.capture() as out:
        console.print(renderable)
    return out.get().splitlines()


def cells_of(line: str, start: int, width: int) -> str:
    """The text of `line` in terminal columns start..start+width (a Chinese character is
    two columns; Rich never splits one between columns)."""
    columns: list[str] = []
    for ch in line:
        columns.append(ch)
        if cell_len(ch) == 2:
            columns.append("")
    return "".join(columns[start : start + width]).strip(" │┃")


def read_table(table, width: int) -> tuple[list[str], list[list[str]]]:
    """(the headings, the cells of each row) of a table drawn `width` wide, read back from
    the drawn lines at the columns' places; each row must be one line."""
    lines = draw(table, width)
    widths = [c.width for c in table.columns]
    assert all(w and w > 0 for w in widths), widths  # no column of zero width
    compact = width < render.COMPACT_BELOW
    starts = [sum(widths[:i]) + (2 * i if compact else 2 + 3 * i) for i in range(len(widths))]
    headers = [str(c.header) for c in table.columns]
    top = [i for i, line in enumerate(lines) if all(h in line for h in headers)][0]
    got = [cells_of(lines[top], s, w) for s, w in zip(starts, widths, strict=True)]
    assert got == headers, (got, headers, lines[top])  # headings whole, at their places
    body = [line for line in lines[top + 2 :] if line.strip() and not line.startswith("└")]
    assert len(body) == table.row_count, "\n".join(lines)  # one line a row: nothing wraps
    rows = [[cells_of(line, s, w) for s, w in zip(starts, widths, strict=True)] for line in body]
    return headers, rows


def whole_or_cut(cell: str, value: str) -> bool:
    """`cell` shows `value` whole, or its beginning followed by …"""
    if cell == value.strip():
        return True
    return len(cell) > 1 and cell.endswith("…") and value.startswith(cell[:-1].rstrip())


def assert_fits(lines: list[str], width: int) -> None:
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, too_wide


# -- list ---------------------------------------------------------------------------------
def list_rows(reg: Register) -> list[dict]:
    f = list_filter(Status.all, None, None, None, None, None, False, None, None, None)
    return queries.list_cases(reg, f, NOW, 1, 50)[0]


def list_value(row: dict, name: str) -> list[str]:
    """What a list cell may show for `name`: its full text(s)."""
    if name == "step":
        return [label("step", row["step"]) + (_(" (on hold)") if row["on_hold"] else "")]
    if name == "due_at":
        due = render.fmt(row["due_at"])
        return [due + " !", due + _(" OVERDUE")] if row["overdue"] else [due]
    if name in ("channel", "severity"):
        return [label(name, row[name])]
    return [render.fmt(row[name])]


KEY_COLUMNS = ("number", "step", "customer_name", "summary", "owner", "due_at")


@pytest.mark.parametrize("width", WIDTHS)
def test_list_shows_legible_whole_or_cut_cells_at_every_width(reg, language, width):
    rows = list_rows(reg)
    assert len(rows) == 9
    table = render.list_table(rows, len(rows), 1, 50, width).renderables[0]
    assert_fits(draw(table, width), width)
    headers, cells = read_table(table, width)
    names = {h: n for n, h in ((n, str(c.header)) for n, c in render._list_cols().items())}
    shown = [names[h] for h in headers]
    assert shown == [n for n in LIST_COLUMNS if n in shown]  # in their usual order
    for row, line in zip(rows, cells, strict=True):
        for name, cell in zip(shown, line, strict=True):
            if name == "number":
                assert cell == row["number"]  # never cut, never wrapped
            else:
                assert any(whole_or_cut(cell, v) for v in list_value(row, name)), (name, cell)
    assert {"number", "step", "summary", "due_at"} <= set(shown)
    if width >= 80:
        assert set(KEY_COLUMNS) <= set(shown), shown
    if width >= 160:
        assert shown == list(LIST_COLUMNS)  # all of them, as before
    if width > 60:
        # the summary has room to be read: at least 12 columns
        assert table.columns[shown.index("summary")].width >= 12


def test_a_wider_terminal_shows_more_columns(reg):
    rows = list_rows(reg)
    counts = [len(render.list_table(rows, 9, 1, 50, w).renderables[0].columns) for w in WIDTHS]
    assert counts == sorted(counts) and counts[0] < counts[-1], counts


def test_wide_and_chosen_columns_show_them_whatever_the_width(reg):
    rows = list_rows(reg)
    table = render.list_table(rows, 9, 1, 50, 80, wide=True).renderables[0]
    assert [str(c.header) for c in table.columns] == [
        str(c.header) for c in render._list_cols().values()
    ]
    assert all(c.width > 0 for c in table.columns)
    picked = ("owner", "number", "summary")
    table = render.list_table(rows, 9, 1, 50, 60, columns=picked).renderables[0]
    assert [str(c.header) for c in table.columns] == [_("Owner"), _("Case"), _("Summary")]


# -- warn on a terminal --------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_warn_tables_fit_with_whole_case_numbers(reg, office, language, width):
    digest = build_digest(reg, NOW, None, "owner", None, None)
    assert digest.overdue, "the register has overdue cases"
    view = render_digest.digest_rich(digest, width)
    assert_fits(draw(view, width), width)
    tables = [t for t in view.renderables if getattr(t, "columns", None) and t.show_header]
    assert tables
    lists = [x for x in (digest.overdue, digest.due_soon) if x]
    for table, items in zip(tables, lists, strict=True):
        headers, cells = read_table(table, width)
        assert _("Case") in headers and _("Summary") in headers
        if width >= 80:
            assert {_("Step"), _("Due"), _("Customer"), render_digest._headings(digest)[0]} <= set(
                headers
            )
        everything = render_digest._headings(digest)
        for item, line in zip(items, cells, strict=True):
            values = dict(zip(everything, render_digest._cells(digest, item), strict=True))
            for header, cell in zip(headers, line, strict=True):
                if header == _("Case"):
                    assert cell == item["number"]
                else:
                    assert whole_or_cut(cell, values[header]), (header, cell, values[header])
    text = "\n".join(draw(view, width))
    numbers = set(office[1].values())
    found = re.findall(r"C20\d\d-\d*", text)  # early warnings name cases whole too
    assert found and all(n in numbers for n in found), found


def test_warn_wide_keeps_every_column(reg):
    digest = build_digest(reg, NOW, None, "owner", None, None)
    table = render_digest.digest_rich(digest, 60, wide=True).renderables[1]
    assert len(table.columns) == len(render_digest._headings(digest))


# -- show ----------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["investigate", "on hold", "rejected", "closed", "acknowledge"])
def test_show_fits_with_a_timeline_row_a_line(reg, office, language, width, which):
    number = office[1][which]
    detail = queries.case_detail(reg, number, NOW)
    view = render.case_view(detail, width)
    lines = draw(view, width)
    assert_fits(lines, width)
    assert lines[0].startswith(number)
    timeline = next(t for t in view.renderables if str(getattr(t, "title", "")) == _("Timeline"))
    headers, cells = read_table(timeline, width)
    assert _("Step") in headers and _("Status") in headers
    steps = [line[headers.index(_("Step"))] for line in cells]
    assert all(s and "…" not in s for s in steps), steps  # step names whole
    if detail["attachments"]:
        files = next(
            t for t in view.renderables if str(getattr(t, "title", "")) == _("Attachments")
        )
        headers, cells = read_table(files, width)
        assert _("Name") in headers
        name = cells[0][headers.index(_("Name"))]
        assert whole_or_cut(name, detail["attachments"][0]["name"])
        if width <= 100:  # the name takes 62 columns
            assert name.endswith("…")
        if width >= 160:
            assert name == detail["attachments"][0]["name"]
    history = next(t for t in view.renderables if str(getattr(t, "title", "")) == _("History"))
    assert all(c.width > 0 for c in history.columns)
    if _("Who") in [str(c.header) for c in history.columns]:
        who = draw(history, width)
        assert not any(line.strip(" │").startswith("前 ") for line in who)


# -- the command line -----------------------------------------------------------------------
def header_line(out: str) -> str:
    return next(line for line in out.splitlines() if "Case" in line)


def test_list_follows_the_terminal_width(cli, monkeypatch):
    from test_cli_workflow import log_case

    log_case(cli, summary=LONG_ZH, customer=LONG_CUSTOMER)
    monkeypatch.setenv("COLUMNS", "80")
    out = cli.ok("list")
    assert all(cell_len(line) <= 80 for line in out.splitlines()), out
    heads = header_line(out).split()
    assert heads[:3] == ["Case", "Step", "Customer"] and "Owner" in heads
    assert "Received" not in heads and "…" in out
    wide = cli.ok("list", "--wide")
    assert "Received" in header_line(wide) and "Dept." in header_line(wide)
    monkeypatch.setenv("COLUMNS", "200")
    assert "Received" in header_line(cli.ok("list"))


def test_list_columns_option_and_config_default(cli, monkeypatch, tmp_path):
    from test_cli_workflow import log_case

    number = log_case(cli, summary=LONG_ZH)
    monkeypatch.setenv("COLUMNS", "60")
    out = cli.ok("list", "--columns", "owner,number,received_at,channel")
    assert header_line(out).split() == ["Owner", "Case", "Received", "Ch."]
    assert number in out and "phone" in out
    config = tmp_path / "list.toml"
    config.write_text('[display]\nlist_columns = ["number", "summary"]\n', encoding="utf-8")
    out = cli.ok("--config", str(config), "list")
    assert header_line(out).split() == ["Case", "Summary"]
    out = cli.ok("--config", str(config), "list", "--columns", "number,channel")
    assert header_line(out).split() == ["Case", "Ch."]  # the option wins


@pytest.mark.parametrize("bad", ["number,colour", "", "overdue"])
def test_an_unknown_column_is_refused_naming_the_allowed(cli, bad):
    result = cli("list", "--columns", bad)
    assert result.exit_code != 0
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: --columns:"), err
    assert "allowed: number, step, received_at" in err and "Traceback" not in err


def test_the_config_refuses_an_unknown_list_column():
    settings = settings_from_dict({"display": {"list_columns": "number, owner"}})
    assert settings.list_columns == ("number", "owner")
    for bad in (["number", "colour"], [], 3):
        with pytest.raises(ConfigError, match=r"^display\.list_columns: .* allowed: number"):
            settings_from_dict({"display": {"list_columns": bad}})


def test_the_list_columns_are_the_fields_of_list_rows():
    fields = tuple(n for n in queries.LIST_FIELDS if n not in ("on_hold", "overdue"))
    assert fields == LIST_COLUMNS


def test_csv_and_json_do_not_depend_on_the_width(cli, monkeypatch):
    from test_cli_workflow import log_case

    log_case(cli, summary=LONG_ZH, customer=LONG_CUSTOMER)
    outputs = []
    for columns in ("60", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        outputs.append([cli.ok("list", "-f", f) for f in ("csv", "json")])
    assert outputs[0] == outputs[1]
    assert LONG_ZH in outputs[0][0] and json.loads(outputs[0][1])["cases"][0]["summary"] == LONG_ZH


def test_warn_on_an_80_column_terminal(cli, db_path: Path):
    from test_cli_workflow import to_investigate
    from test_reading import on_terminal

    number = to_investigate(cli, summary=LONG_ZH, customer=LONG_CUSTOMER, owner="李娜")
    env = {"COMPLAINTCTL_DB": str(db_path), "NO_COLOR": "1"}
    args = ["warn", "--exit-zero", "--at", "2025-10-31 10:00"]
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", on_terminal(args, env, cols=80))
    lines = out.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), out
    row = [line for line in lines if number in line]
    assert len(row) == 1 and "李娜" in row[0] and "…" in row[0], out
    wide = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", on_terminal([*args, "--wide"], env, cols=80))
    assert "Late" in wide and "Sev." in wide
