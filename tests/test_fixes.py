"""Fixing mistakes, visibly: `edit` corrects a case's data, `undo` takes back its last step,
`merge` ends a complaint logged twice as part of its original.

Everything goes through the command line (SQLite and PostgreSQL), `db check` (which
verifies the history's seals and replays it) stays clean after each fix, and the report
counts what a person counting the cases by hand would.
"""

from __future__ import annotations

import json
import re

import pytest

NUMBER = re.compile(r"C\d{4}-\d{6}")
RECEIVED = "2025-10-09 09:00"


# -- helpers ------------------------------------------------------------------------------
def show(cli, number: str) -> dict:
    return json.loads(cli.ok("show", number, "--format", "json"))


def log(cli, contact: str = "13800000000", received: str = RECEIVED, *extra: str) -> str:
    out = cli.ok(
        "log",
        "--channel",
        "phone",
        "--customer",
        "王伟",
        "--contact",
        contact,
        "--summary",
        "洗衣机漏水",
        "--received-at",
        received,
        *extra,
    )
    return NUMBER.search(out).group(0)


def to_feedback(cli, contact: str = "13800000000", received: str = RECEIVED) -> str:
    """A case walked to its feedback step: received 9 October, resolved 14 October."""
    n = log(cli, contact, received)
    cli.ok("ack", n, "--at", received)
    cli.ok(
        "classify", n, "--category", "PQ", "--severity", "C", "--kind", "general", "--at", received
    )
    cli.ok("assign", n, "--department", "QA", "--owner", "李娜", "--at", received)
    cli.ok(
        "investigate",
        n,
        "--findings",
        "密封圈老化",
        "--responsibility",
        "internal",
        "--at",
        "2025-10-10 15:00",
    )
    cli.ok("resolve", n, "--remedy", "repair", "--at", "2025-10-14 11:00")
    return n


def fails(cli, *args: str) -> str:
    """A refused command: non-zero exit, one line on stderr, no traceback."""
    r = cli(*args)
    assert r.exit_code != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def db_check_clean(cli) -> None:
    out = cli.ok("db", "check")
    assert "no problems found" in out, out


def figures(cli, month: str = "2025-10") -> dict:
    data = json.loads(cli.ok("report", "--month", month, "--format", "json"))
    return {r["figure"]: r["value"] for r in data["figures"] if r["group"] == "(all)"}


# -- edit ---------------------------------------------------------------------------------
def test_a_mistyped_phone_is_corrected_and_the_history_keeps_old_new_who_and_why(cli):
    n = log(cli, "13800000000")
    before = show(cli, n)
    out = cli.ok(
        "--as", "王芳", "edit", n, "--contact", "13900000000", "--reason", "typed 138 for 139"
    )
    assert out.strip() == f"{n}: --contact '13800000000' → '13900000000'"
    d = show(cli, n)
    assert d["contact"] == "13900000000"
    assert d["step"] == "acknowledge"  # the step and its clock stay
    last = d["history"][-1]
    assert last["action"] == "edit" and last["actor"] == "王芳"
    assert last["note"] == "typed 138 for 139"
    assert last["changes"]["contact"] == ["13800000000", "13900000000"]
    assert last["changes"]["contact_key"] == ["13800000000", "13900000000"]
    assert (d["deadlines"], d["due_at"]) == (before["deadlines"], before["due_at"])
    # The corrected contact is the customer's key: a new complaint from it is a repeat.
    second = cli("log", "--channel", "phone", "--customer", "王伟", "--contact", "139-0000-0000",
                 "--summary", "又漏水", "--received-at", "2025-10-09 10:00")  # fmt: skip
    assert f"likely duplicate of {n}" in second.stderr
    db_check_clean(cli)


def test_a_closed_case_is_reclassified_without_moving_its_step_or_clocks(cli):
    n = to_feedback(cli)
    cli.ok("feedback", n, "--score", "5", "--at", "2025-10-15 10:00")
    before = show(cli, n)
    out = cli.ok("edit", n, "--category", "dl", "--kind", "claim", "--reason", "was delivery")
    assert f"{n}: --category 'PQ' → 'DL'" in out and "--kind 'general' → 'claim'" in out
    after = show(cli, n)
    assert (after["category"], after["kind"]) == ("DL", "claim")
    unchanged = {k: v for k, v in before.items() if k not in ("category", "kind", "history")}
    assert {k: after[k] for k in unchanged} == unchanged
    # The report reads the corrected values.
    by = json.loads(cli.ok("report", "--month", "2025-10", "--by", "category", "-f", "json"))
    groups = {r["group"] for r in by["figures"] if r["figure"] == "received" and r["value"]}
    assert groups == {"(all)", "DL"}
    db_check_clean(cli)


def test_an_edit_is_refused_in_one_line_when_it_is_wrong_or_changes_nothing(cli):
    n = log(cli)
    assert "--reason is required" in fails(cli, "edit", n, "--customer", "王玮")
    assert "give at least one field" in fails(cli, "edit", n, "--reason", "x")
    line = fails(cli, "edit", n, "--channel", "pigeon", "--reason", "x")
    assert "--channel: unknown value 'pigeon'; allowed: phone, email" in line
    line = fails(cli, "edit", n, "--customer", "王伟", "--reason", "x")
    assert line == f"error: --customer: nothing to change: case {n} already has these values"
    line = fails(cli, "edit", n, "--category", "PQ", "--reason", "x")
    assert line == f"error: case {n} has no category yet: classify it first"
    line = fails(cli, "edit", n, "--amount", "12.345", "--reason", "x")
    assert line.startswith("error: --amount:")
    cli.ok("ack", n)
    cli.ok("classify", n, "--category", "PQ", "--severity", "C", "--kind", "general")
    line = fails(cli, "edit", n, "--category", "XX", "--reason", "x")
    assert "--category: unknown value 'XX'; allowed: PQ, SA" in line
    line = fails(cli, "edit", n, "--severity", "D", "--reason", "x")
    assert "--severity: unknown value 'D'; allowed: A, B, C" in line
    assert [e["action"] for e in show(cli, n)["history"]] == ["log", "ack", "classify"]
    db_check_clean(cli)


# -- undo ---------------------------------------------------------------------------------
def test_a_mistyped_dissatisfied_score_is_undone_and_never_counts_as_a_reopening(cli):
    n = to_feedback(cli)
    waiting = show(cli, n)
    cli.ok("feedback", n, "--score", "1", "--at", "2025-10-15 10:00")  # meant 5
    reopened = show(cli, n)
    assert (reopened["step"], reopened["reopen_count"]) == ("investigate", 1)
    assert figures(cli)["reopened"] == 1
    out = cli.ok("undo", n, "--reason", "customer said 5, typed 1")
    assert out.startswith(f"{n}: took back feedback of 2025-10-15 10:00; now at step 'feedback'")
    d = show(cli, n)
    strip = ("history",)
    assert {k: v for k, v in d.items() if k not in strip} == {
        k: v for k, v in waiting.items() if k not in strip
    }
    assert [e["action"] for e in d["history"]][-2:] == ["feedback", "undo"]
    assert d["history"][-1]["note"] == "customer said 5, typed 1"
    f = figures(cli)
    assert (f["reopened"], f["feedback"], f["resolved"]) == (0, 0, 1)
    # Then the right score closes it as if the mistake had never been made.
    cli.ok("feedback", n, "--score", "5", "--at", "2025-10-15 10:00")
    f = figures(cli)
    assert (f["reopened"], f["closed"], f["feedback"], f["mean_score"]) == (0, 1, 1, 5)
    db_check_clean(cli)


def test_closing_the_wrong_case_is_undone_back_to_its_feedback_window(cli):
    n = to_feedback(cli)
    waiting = show(cli, n)
    cli.ok("close", n, "--reason", "customer unreachable", "--at", "2025-10-16 10:00")
    cli.ok("note", n, "closed by mistake, it was the neighbour's case")
    cli.ok("undo", n, "--reason", "wrong case")
    d = show(cli, n)
    assert (d["step"], d["outcome"], d["closed_at"], d["reopen_count"]) == (
        "feedback",
        None,
        None,
        0,
    )
    assert d["deadlines"] == waiting["deadlines"]
    assert figures(cli)["closed"] == 0
    db_check_clean(cli)


def test_undo_refuses_in_one_line_when_there_is_nothing_it_may_take_back(cli, tmp_path):
    n = log(cli)
    assert fails(cli, "undo", n, "--reason", "x") == (
        f"error: case {n} has no step to undo (only its logging)"
    )
    assert "--reason is required" in fails(cli, "undo", n)
    cli.ok("ack", n)
    cli.ok("undo", n, "--reason", "not told yet")
    assert show(cli, n)["step"] == "acknowledge"
    assert fails(cli, "undo", n, "--reason", "x") == (
        f"error: the last step of case {n} was already undone"
    )
    # A later step or an edit after the step: undo takes back only the very last step.
    cli.ok("ack", n)
    cli.ok("edit", n, "--product", "洗衣机", "--reason", "forgot")
    assert fails(cli, "undo", n, "--reason", "x") == (
        f"error: the last change to case {n} was an edit: edit the field back instead"
    )
    assert "does not exist" in fails(cli, "undo", "C2025-999999", "--reason", "x")
    # The config may keep undo to whoever took the step, and to a short while.
    other = log(cli, "13700000000")
    cli.ok("--as", "王芳", "ack", other)
    config = tmp_path / "undo.toml"
    config.write_text('[undo]\nsame_actor = true\nwithin = "24h"\n', "utf-8")
    line = fails(cli, "--config", str(config), "--as", "李娜", "undo", other, "--reason", "x")
    assert line == (
        f"error: only 王芳 may undo their ack of case {other} (undo.same_actor in the config)"
    )
    old = log(cli, "13600000000")
    cli.ok("--as", "王芳", "ack", old, "--at", RECEIVED)  # recorded now: within 24h
    cli.ok("--config", str(config), "--as", "王芳", "undo", old, "--reason", "x")
    config.write_text('[undo]\nwithin = "soon"\n', "utf-8")
    assert "undo.within" in fails(cli, "--config", str(config), "undo", old, "--reason", "x")
    db_check_clean(cli)


def test_after_a_later_step_undo_takes_back_only_that_one_and_the_earlier_stays(cli):
    n = to_feedback(cli)
    cli.ok("feedback", n, "--score", "2", "--at", "2025-10-15 10:00")  # a real reopening
    cli.ok("note", n, "客户不满意，重新调查")
    cli.ok("investigate", n, "--findings", "复查", "--responsibility", "internal")
    out = cli.ok("undo", n, "--reason", "recorded on the wrong case")
    assert out.startswith(f"{n}: took back investigate of ")
    d = show(cli, n)
    assert (d["step"], d["reopen_count"], d["findings"]) == ("investigate", 1, "密封圈老化")
    assert fails(cli, "undo", n, "--reason", "x") == (
        f"error: the last step of case {n} was already undone"
    )
    assert figures(cli)["reopened"] == 1  # the feedback before it was not taken back
    db_check_clean(cli)


def test_a_new_severity_keeps_the_clocks_as_they_are(cli):
    n = log(cli)
    cli.ok("ack", n)
    cli.ok("classify", n, "--category", "PQ", "--severity", "C", "--kind", "general")
    before = show(cli, n)
    cli.ok("edit", n, "--severity", "A", "--reason", "media called")
    after = show(cli, n)
    assert after["severity"] == "A"
    assert after["deadlines"] == before["deadlines"]  # no escalation or plan clock started
    assert "escalate" not in after["deadlines"]
    db_check_clean(cli)


# -- merge --------------------------------------------------------------------------------
def test_a_complaint_logged_twice_is_merged_and_counted_apart(cli):
    original = log(cli, "13800000000", "2025-10-09 09:00")
    dupe = log(cli, "138 0000 0000", "2025-10-09 09:20")
    out = cli.ok("merge", dupe, "--into", original, "--reason", "same call logged twice")
    assert out.strip() == f"{dupe}: merged into {original}; now at step 'closed' (merged)"
    d = show(cli, dupe)
    assert (d["step"], d["outcome"], d["merged_into"]) == ("closed", "merged", original)
    assert show(cli, original)["merged_duplicates"] == [dupe]
    assert f"Merged duplicates  {dupe}" in cli.ok("show", original)
    f = figures(cli)
    assert (f["received"], f["merged"], f["repeat_complainants"], f["rejected"]) == (1, 1, 0, 0)
    assert (f["closed"], f["open_at_end"]) == (0, 1)
    db_check_clean(cli)
    # Undone, the duplicate is a complaint of its own again.
    cli.ok("undo", dupe, "--reason", "not the same after all")
    assert show(cli, original)["merged_duplicates"] == []
    f = figures(cli)
    assert (f["received"], f["merged"], f["repeat_complainants"]) == (2, 0, 1)
    db_check_clean(cli)


def test_merge_refuses_itself_a_merged_case_an_unknown_case_and_an_ended_one(cli):
    a, b, c = (log(cli, f"1380000000{i}") for i in range(3))
    assert fails(cli, "merge", b, "--into", b, "--reason", "x") == (
        "error: --into: a case cannot be merged into itself"
    )
    assert fails(cli, "merge", b, "--into", "C2025-999999", "--reason", "x") == (
        f"error: --into: case C2025-999999 does not exist; did you mean {b}, {c}?"
    )
    assert "--into is required" in fails(cli, "merge", b, "--reason", "x")
    assert "--reason is required" in fails(cli, "merge", b, "--into", a)
    cli.ok("merge", b, "--into", a, "--reason", "dup")
    assert fails(cli, "merge", c, "--into", b, "--reason", "x") == (
        f"error: --into: case {b} is itself merged into {a}; merge into that one"
    )
    assert fails(cli, "merge", b, "--into", c, "--reason", "x") == (
        f"error: case {b} has ended (merged); only an open case is merged (undo or reopen it first)"
    )
    db_check_clean(cli)


# -- the report against a count by hand ----------------------------------------------------
@pytest.mark.parametrize("undo_merge", [False, True])
def test_the_report_after_undos_and_merges_equals_a_count_by_hand(cli, undo_merge):
    # Four customers; what happens to each, and what a person would count.
    kept = to_feedback(cli, "13800000001", "2025-10-09 09:00")
    cli.ok("feedback", kept, "--score", "2", "--at", "2025-10-15 10:00")  # a real reopening
    slip = to_feedback(cli, "13800000002", "2025-10-09 09:30")
    cli.ok("feedback", slip, "--score", "1", "--at", "2025-10-15 10:00")
    cli.ok("undo", slip, "--reason", "meant 5")
    cli.ok("feedback", slip, "--score", "5", "--at", "2025-10-15 10:30")
    original = log(cli, "13800000003", "2025-10-09 10:00")
    dupe = log(cli, "13800000003", "2025-10-09 10:05")
    cli.ok("merge", dupe, "--into", original, "--reason", "logged twice")
    if undo_merge:
        cli.ok("undo", dupe, "--reason", "a second complaint after all")
    wrong = to_feedback(cli, "13800000004", "2025-10-10 09:00")
    cli.ok("close", wrong, "--reason", "x", "--at", "2025-10-16 09:00")
    cli.ok("undo", wrong, "--reason", "wrong case")

    cases = [show(cli, n) for n in (kept, slip, original, dupe, wrong)]
    complaints = [d for d in cases if d["outcome"] != "merged"]
    reopenings = {  # feedback that reopened, or reopen, and was not taken back
        d["number"]
        for d in cases
        for i, e in enumerate(d["history"])
        if (e["action"] == "reopen" or (e["action"], e["step_to"]) == ("feedback", "investigate"))
        and not any(later["action"] == "undo" for later in d["history"][i + 1 : i + 2])
    }
    contacts = [d["contact"] for d in sorted(complaints, key=lambda d: d["received_at"])]
    expected = {
        "received": len(complaints),
        "merged": len(cases) - len(complaints),
        "closed": sum(d["step"] == "closed" for d in complaints),
        "reopened": len(reopenings),
        "repeat_complainants": sum(c in contacts[:i] for i, c in enumerate(contacts)),
        "feedback": sum(d["feedback_at"] is not None for d in complaints),
        "resolved": sum(d["deadlines"]["resolve"]["done"] is not None for d in complaints),
    }
    assert expected == {
        "received": 5 if undo_merge else 4,
        "merged": 0 if undo_merge else 1,
        "closed": 1,
        "reopened": 1,
        "repeat_complainants": 1 if undo_merge else 0,
        "feedback": 2,
        "resolved": 2,  # kept's resolution was reopened: its round starts over
    }
    got = figures(cli)
    assert {k: got[k] for k in expected} == expected
    db_check_clean(cli)
