"""Issue 18, defects 3 and 4: `purge` keeps every report figure (a customer whose old cases
are purged and whose later case is kept is still a repeat complainant), and `export
--redact` masks a name in any letter case, e-mails in every text field, a contact handle
without its prefix, and only whole names."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import SHANGHAI

from complaintctl.clock import to_local, utc_now


def log(cli, customer: str, contact: str, received: str, *extra: str) -> str:
    return cli.ok(
        "log", "--channel", "phone", "--customer", customer, "--contact", contact,
        "--summary", f"{customer} 来电", "--received-at", received, "-q", *extra,
    ).strip()  # fmt: skip


def close(cli, number: str, day: str, category: str = "PQ", owner: str = "李娜") -> None:
    cli.ok("ack", number, "--at", f"{day} 09:30")
    cli.ok("classify", number, "--category", category, "--severity", "C", "--kind", "claim",
           "--at", f"{day} 10:00")  # fmt: skip
    cli.ok("assign", number, "--department", "QA", "--owner", owner, "--at", f"{day} 10:30")
    cli.ok("investigate", number, "--findings", "x", "--responsibility", "external",
           "--at", f"{day} 11:00")  # fmt: skip
    cli.ok("resolve", number, "--remedy", "repair", "--at", f"{day} 15:00")
    cli.ok("feedback", number, "--score", "5", "--at", f"{day} 16:00")


def figures(cli) -> dict[str, str]:
    """Every report the register gives for the months around the purge, each breakdown,
    and the digest as JSON (its time-dependent parts aside)."""
    out = {}
    for month in ("2025-09", "2025-10", "2025-11"):
        out[month] = cli.ok("report", "--month", month, "--format", "json")
        for by in ("category", "channel", "severity", "department", "owner", "kind"):
            out[f"{month} {by}"] = cli.ok("report", "--month", month, "--by", by, "-f", "json")
    out["quarter"] = cli.ok("report", "--quarter", "2025Q4", "--format", "csv")
    warn = json.loads(cli.ok("warn", "--format", "json", "--exit-zero"))
    out["warn repeats"] = json.dumps(
        [(i["number"], i["earlier"]) for i in warn["repeat_complainants"]]
    )
    return out


@pytest.mark.slow
def test_purge_keeps_every_figure_when_a_customer_has_cases_on_both_sides(cli):
    # 王伟: one case closed in October (purged), one received later in October (kept, open)
    early = log(cli, "王伟", "13800000001", "2025-10-02 09:00")
    close(cli, early, "2025-10-03")
    later = log(cli, "王伟", "+86 138-0000-0001", "2025-10-20 09:00")
    # 李雷: two cases, both closed in October: both purged
    for day in ("2025-10-06", "2025-10-13"):
        close(cli, log(cli, "李雷", "lilei@example.com", f"{day} 09:00"), day, "SA", "Zhou Min")
    # 韩梅梅: one case closed in November, after the cut: kept
    close(cli, log(cli, "韩梅梅", "13900000003", "2025-11-03 09:00"), "2025-11-04")
    october = json.loads(cli.ok("report", "--month", "2025-10", "--format", "json"))
    repeats = {f["figure"]: f["value"] for f in october["figures"]}["repeat_complainants"]
    assert repeats == 2  # 王伟 and 李雷
    before = figures(cli)

    assert "purged 3 case(s)" in cli.ok("purge", "--closed-before", "2025-11-01")
    after = figures(cli)
    assert {k for k in before if before[k] != after[k]} == set()
    shown = cli.ok("export", "-", "--status", "all")
    assert "王伟" in shown and "李雷" not in shown and "lilei" not in shown
    assert (
        json.loads(cli.ok("show", later, "--format", "json"))["other_cases"][0]["number"] == early
    )
    assert "no problems found" in cli.ok("db", "check")

    # The last of 王伟's cases purged too: the key goes from all of them, figures stay.
    cli.ok("ack", later, "--at", "2025-10-20 09:30")
    cli.ok("classify", later, "--reject", "重复", "--at", "2025-10-20 10:00")
    now = to_local(utc_now(), SHANGHAI)
    cli.ok("purge", "--closed-before", f"{now:%Y-%m-%d}")
    again = figures(cli)
    assert again["2025-09"] == after["2025-09"]
    keys = json.loads(cli.ok("export", "-", "--format", "jsonl", "--status", "all").splitlines()[0])
    assert "13800000001" not in cli.ok("export", "-", "--events", "--status", "all")
    assert keys["customer_name"] == "(purged)"
    assert "no problems found" in cli.ok("db", "check")


@pytest.mark.parametrize(
    ("customer", "contact", "text", "leaks"),
    [
        ("Zhou Xiaoming", "13800000001", "ZHOU XIAOMING called back", ["ZHOU XIAOMING"]),
        ("Chen Jing", "weibo:chenjing88", "asked chenjing88 on weibo", ["chenjing88"]),
        ("Al", "13800000002", "Alice from the shop saw Al", []),
    ],
)
def test_redact_masks_names_in_any_case_handles_and_whole_names_only(
    cli, customer, contact, text, leaks
):
    number = cli.ok(
        "log", "--channel", "phone", "--customer", customer, "--contact", contact,
        "--summary", text, "--external-ref", "from zx.person@example.com", "-q",
    ).strip()  # fmt: skip
    out = cli.ok("export", "-", "--redact")
    (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r["number"] == number]
    for leak in leaks:
        assert leak not in out
    assert "zx.person@example.com" not in out and row["external_ref"] == "from z***@example.com"
    if customer == "Al":
        assert row["summary"] == "Alice from the shop saw A*"
