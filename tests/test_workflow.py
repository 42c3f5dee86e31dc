"""The workflow table and the one function that applies it (complaintctl.workflow).

First the table and the function directly, on plain dicts (no database, no calendar).
Then the property the whole design rests on: a case worked through live commands and
the same history imported as a row (its step times) end in the same state: step, every
deadline, due_at, outcome, closing time.  In memory over thousands of random histories,
and end to end (services and `import` on a real register) over fewer.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from complaintctl import services, workflow
from complaintctl.clock import WorkCalendar, to_local
from complaintctl.config import Settings, parse_duration
from complaintctl.enums import ENDED_STEPS, Action, Step
from complaintctl.errors import InvalidTransition
from complaintctl.importer import Mapping, RowConverter, import_rows
from complaintctl.models import Case
from complaintctl.register import Register
from complaintctl.workflow import MOVES, apply, refusal, replay

T0 = dt.datetime(2025, 9, 29, 1, 0)  # naive UTC
DAY = dt.timedelta(days=1)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def day_clock(name: str, start: dt.datetime) -> dt.datetime | None:
    """Every clock one day long, except classify, which has none."""
    return None if name == "classify" else start + DAY


def fresh() -> dict:
    """A case just logged at T0, as plain values."""
    state = {"received_at": T0, "reopen_count": 0, "on_hold": False}
    state.update(apply(state, Action.log, T0, day_clock))
    return state


def run(state: dict, action: Action, when: dt.datetime, fields=None, **kw) -> dict:
    """Take an action the table allows on `state`; the state after it."""
    assert refusal(state["step"], state.get("on_hold"), action) is None, (state["step"], action)
    return state | apply(state, action, when, day_clock, fields, **kw)


def at_step(step: Step) -> dict:
    """A fresh case walked forward to `step`, one hour per action."""
    state = fresh()
    walk = [
        (Action.ack, {}),
        (Action.classify, {"severity": "C"}),
        (Action.assign, {"owner": "李娜"}),
        (Action.investigate, {}),
        (Action.resolve, {}),
    ]
    for i, (action, fields) in enumerate(walk, start=1):
        if state["step"] == step.value:
            break
        state = run(state, action, at(i), fields)
    assert state["step"] == step.value
    return state


# -- the table -----------------------------------------------------------------------------


def test_every_action_but_import_and_the_fixes_has_a_row_in_the_table():
    # edit changes data, not the step; undo and merge set what services.py says (undo:
    # the values the step it takes back recorded), checked by `db check` like any event.
    assert set(MOVES) == set(Action) - {Action.import_, Action.edit, Action.undo, Action.merge}


def test_the_forward_steps_each_enter_the_next_step_stamp_their_time_and_start_its_clock():
    forward = [
        (Action.ack, Step.acknowledge, Step.classify, "acknowledged_at"),
        (Action.classify, Step.classify, Step.assign, "classified_at"),
        (Action.assign, Step.assign, Step.investigate, "assigned_at"),
        (Action.investigate, Step.investigate, Step.resolve, "investigated_at"),
        (Action.resolve, Step.resolve, Step.feedback, "resolved_at"),
    ]
    for action, before, after, stamp in forward:
        move = MOVES[action]
        assert before in move.allowed_from and move.enters is after and move.stamps == stamp
        state = at_step(before)
        changed = apply(state, action, at(10), day_clock, {"severity": "C", "owner": "x"})
        assert changed["step"] == after.value and changed[stamp] == at(10)
        assert changed["step_started_at"] == at(10)
        assert changed["step_due_at"] == day_clock(after.value, at(10))
        column = workflow.STEP_DUE.get(after.value)
        if column:
            assert changed[column] == at(10) + DAY
        assert changed["due_at"] == changed["step_due_at"]


def test_apply_leaves_the_state_it_is_given_alone_and_returns_only_what_changed():
    state = at_step(Step.investigate)
    before = dict(state)
    changed = apply(state, Action.investigate, at(10), day_clock, {"findings": "f"})
    assert state == before
    assert set(changed) == {
        "findings",
        "investigated_at",
        "step",
        "step_started_at",
        "step_due_at",
        "resolve_due",
        "due_at",
    }


def test_each_action_is_allowed_exactly_from_the_steps_its_row_lists():
    for action, move in MOVES.items():
        if action is Action.log:
            continue
        for step in Step:
            refused = refusal(step.value, False, action)
            if step in move.allowed_from:
                assert refused in (None, "not_on_hold"), (action, step)
            else:
                assert refused == "step", (action, step)


def test_what_comes_next_is_the_procedure_not_the_side_actions():
    assert workflow.allowed_actions(Step.investigate) == ["classify", "assign", "investigate"]
    assert workflow.allowed_actions(Step.feedback) == ["feedback", "close"]
    for ended in ENDED_STEPS:
        assert workflow.allowed_actions(ended) == ["reopen"]


def test_on_hold_only_resume_and_what_does_not_move_the_case_are_allowed():
    allowed = {a for a in MOVES if a is not Action.log and refusal("investigate", True, a) is None}
    assert allowed == {Action.resume, Action.escalate, Action.plan, Action.note, Action.attach}
    assert refusal("investigate", True, Action.hold) == "already_on_hold"
    assert refusal("investigate", True, Action.investigate) == "on_hold"
    assert refusal("investigate", False, Action.resume) == "not_on_hold"


def test_an_action_stopping_a_severity_a_clock_stamps_the_time_that_meets_it():
    for action, move in MOVES.items():
        for name in move.stops:
            if name in workflow.A_CLOCKS:
                assert move.stamps == workflow.A_CLOCKS[name][1], action


# -- the function --------------------------------------------------------------------------


def test_reclassifying_records_the_time_without_moving_and_reassigning_keeps_the_first():
    state = at_step(Step.investigate)
    state = run(state, Action.classify, at(10), {"severity": "B"})
    state = run(state, Action.assign, at(11), {"owner": "张三"})
    assert state["step"] == "investigate" and state["step_started_at"] == at(3)
    assert state["classified_at"] == at(10) and state["assigned_at"] == at(3)
    assert state["owner"] == "张三" and state["investigate_due"] == at(3) + DAY


def test_grading_a_starts_the_escalation_and_plan_clocks_and_grading_down_drops_the_unmet():
    def a_clock(name, start):
        return start + {"escalate": dt.timedelta(hours=1), "plan": dt.timedelta(hours=4)}.get(
            name, 3 * DAY
        )

    state = at_step(Step.classify)
    state = state | apply(state, Action.classify, at(2), a_clock, {"severity": "A"})
    assert (state["escalate_due"], state["plan_due"], state["due_at"]) == (at(3), at(6), at(3))
    state = state | apply(state, Action.escalate, at(2.5), a_clock, {"escalated_to": "经理"})
    assert state["due_at"] == at(6)
    state = state | apply(state, Action.classify, at(3), a_clock, {"severity": "C"})
    assert state["escalate_due"] == at(3) and state["plan_due"] is None
    assert state["due_at"] == state["step_due_at"]


def test_closing_inside_the_feedback_window_is_closed_and_from_its_end_on_expired():
    state = at_step(Step.feedback)
    due = state["feedback_due"]
    early = run(state, Action.close, due - dt.timedelta(seconds=1))
    late = run(state, Action.close, due)
    assert (early["step"], early["outcome"], early["due_at"]) == ("closed", "closed", None)
    assert (late["step"], late["outcome"], late["closed_at"]) == ("closed", "expired", due)


def test_feedback_satisfied_ends_dissatisfied_reopens_and_none_only_records():
    state = at_step(Step.feedback)
    happy = run(state, Action.feedback, at(9), {"feedback_score": 5}, satisfied=True)
    assert (happy["step"], happy["outcome"], happy["closed_at"]) == ("closed", "satisfied", at(9))
    sad = run(state, Action.feedback, at(9), {"feedback_score": 2}, satisfied=False)
    assert (sad["step"], sad["reopen_count"], sad["investigate_due"]) == (
        "investigate",
        1,
        at(9) + DAY,
    )
    assert sad["investigated_at"] is sad["resolved_at"] is sad["feedback_due"] is None
    recorded = run(state, Action.feedback, at(9), {"feedback_score": 2})
    assert recorded["step"] == "feedback" and recorded["feedback_at"] == at(9)
    assert recorded["reopen_count"] == 0


def test_reopening_goes_to_the_owner_or_back_to_classification_after_a_rejection():
    closed = run(at_step(Step.feedback), Action.close, at(9))
    again = run(closed, Action.reopen, at(10))
    assert (again["step"], again["outcome"], again["closed_at"]) == ("investigate", None, None)
    assert again["investigate_due"] == at(10) + DAY and again["reopen_count"] == 1
    rejected = run(at_step(Step.classify), Action.reject, at(3), {"reject_reason": "no"})
    assert (rejected["step"], rejected["outcome"], rejected["classified_at"]) == (
        "rejected",
        "rejected",
        at(3),
    )
    again = run(rejected, Action.reopen, at(4))
    assert again["step"] == "classify" and again["classified_at"] is None
    assert again["reject_reason"] is None


def test_a_hold_pauses_the_step_clock_and_resume_moves_its_deadline_by_the_shift():
    state = run(at_step(Step.investigate), Action.hold, at(4), {"hold_reason": "photos"})
    assert state["on_hold"] and state["hold_started_at"] == at(4) and state["due_at"] is None
    paused = []

    def shift(name, due, paused_from, paused_to):
        paused.append((name, due, paused_from, paused_to))
        return due + (paused_to - paused_from)

    resumed = run(state, Action.resume, at(10), shift=shift)
    assert paused == [("investigate", at(3) + DAY, at(4), at(10))]
    assert resumed["step_due_at"] == resumed["investigate_due"] == at(9) + DAY
    assert resumed["due_at"] == at(9) + DAY
    assert not resumed["on_hold"] and resumed["hold_started_at"] is resumed["hold_reason"] is None
    unshifted = run(state, Action.resume, at(10))
    assert unshifted["step_due_at"] == at(3) + DAY


def live_case(received: dt.datetime, clock) -> Case:
    """A case just logged at `received`, as `log` makes it, its first clock started."""
    case = Case(
        number="C1",
        channel="phone",
        customer_name="王伟",
        contact="13800000000",
        contact_key="13800000000",
        summary="漏水",
        received_at=received,
        logged_at=received,
        logged_by="t",
        step_started_at=received,
    )
    case.start(received, clock)
    return case


def test_the_live_case_refuses_what_the_table_refuses_with_the_same_message_as_before():
    case = live_case(T0, day_clock)
    with pytest.raises(InvalidTransition) as err:
        case.apply(Action.resolve, at(1), day_clock)
    assert str(err.value) == (
        "case C1 is at step 'acknowledge'; resolve is not allowed now (next: ack)"
    )
    assert case.step == "acknowledge" and case.resolved_at is None


def test_an_imported_row_that_was_classified_then_rejected_keeps_both_times():
    row = {"received_at": T0, "classified_at": at(2), "closed_at": at(5), "reject_reason": "x"}
    v = replay(row, day_clock, 4)
    assert (v["step"], v["outcome"], v["classified_at"], v["closed_at"]) == (
        "rejected",
        "rejected",
        at(2),
        at(5),
    )
    assert v["step_started_at"] == at(5) and v["due_at"] is None


def test_an_imported_row_with_only_its_receipt_waits_for_acknowledgement():
    v = replay({"received_at": T0}, day_clock, 4)
    assert (v["step"], v["step_due_at"], v["ack_due"], v["due_at"]) == (
        "acknowledge",
        T0 + DAY,
        T0 + DAY,
        T0 + DAY,
    )
    assert v["outcome"] is None and v["investigate_due"] is None


# -- live and imported: the same state -----------------------------------------------------

SETTINGS = Settings()
CALENDAR = WorkCalendar.from_settings(SETTINGS)
MIN_SCORE = SETTINGS.satisfied_min_score
CUSTOM = {
    "acknowledge": "4wh",
    "classify": "2wh",
    "assign": "1d",
    "investigate": "3wd",
    "resolve": "36h",
    "feedback": "7wd",
    "escalate": "1h",
    "plan": "4wh",
}
CLOCK_SETS = {
    "default": SETTINGS.clocks,
    "custom": {k: parse_duration(v, k) for k, v in CUSTOM.items()},
}
# The columns a source file can say something about (directly or through its step times).
COMPARED = (
    "step",
    "step_started_at",
    "step_due_at",
    "due_at",
    "on_hold",
    "outcome",
    "reopen_count",
    "ack_due",
    "investigate_due",
    "resolve_due",
    "feedback_due",
    "escalate_due",
    "plan_due",
    "acknowledged_at",
    "classified_at",
    "assigned_at",
    "investigated_at",
    "resolved_at",
    "feedback_at",
    "feedback_score",
    "closed_at",
)

# Actions a source file can record: its step times, a rejection, a satisfied score, a
# closing.  (Holds, escalations, plans and reopening leave no trace in a row; a note
# changes nothing, so it is drawn too.)
ACTIONS = [
    Action.ack,
    Action.classify,
    Action.reject,
    Action.assign,
    Action.investigate,
    Action.resolve,
    Action.feedback,
    Action.close,
    Action.note,
]
gaps = st.one_of(
    st.just(0),
    st.integers(1, 600),  # within the hour
    st.integers(0, 14 * 24 * 3600),  # up to a fortnight: nights, weekends, holidays
)
histories = st.lists(
    st.tuples(
        # An action to try (refused or not), or the n-th of those allowed now (so that
        # histories get deep into the procedure).
        st.one_of(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 3)),
        gaps,
        st.sampled_from(["A", "B", "C"]),  # a classification's severity
        st.integers(MIN_SCORE, 5),  # a satisfied score
        st.booleans(),  # spell the row the short way (leave out what import fills in)
    ),
    max_size=12,
)
receipts = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)


def expressible(case, action: Action) -> bool:
    """Whether a source row can record `action` taken now on this live case.

    A row has one classification time: a case classified again keeps the start of the
    step it waits at (and the severity-A clocks) from its first classification, which a
    row cannot tell from its last.  A rejection after a classification is its last one."""
    if action is Action.classify:
        return not case.classified_at
    if action is Action.reject:
        return not (case.severity == "A" and case.classified_at)
    return True


def work_live(
    received: dt.datetime, history: list, take, current
) -> tuple[dict, list[tuple[Action, dt.datetime]]]:
    """Walk `history` through `take(action, at, fields)` (the live path; `current()` is
    the live case as it stands), skipping what the workflow refuses or a row cannot
    express; the row a source file would hold for what was done, and the actions done."""
    row = {
        "external_ref": uuid.uuid4().hex,
        "channel": SETTINGS.channels[0],
        "customer_name": "王伟",
        "contact": "13800000000",
        "summary": "漏水",
        "received_at": received,
    }
    done = []
    t = received
    for pick, gap, severity, score, short in history:
        t += dt.timedelta(seconds=gap)
        action = pick
        if isinstance(pick, int):
            case = current()
            options = [
                a
                for a in ACTIONS
                if refusal(case.step, case.on_hold, a) is None and expressible(case, a)
            ]
            action = options[pick % len(options)]
        fields: dict = {}
        if action is Action.classify:
            fields = {"category": SETTINGS.category_codes[0], "severity": severity, "kind": "claim"}
        elif action is Action.reject:
            fields = {"reject_reason": "不属于本公司"}
        elif action is Action.assign:
            fields = {"department": SETTINGS.department_codes[0], "owner": "李娜"}
        elif action is Action.feedback:
            fields = {"feedback_score": score}
        try:
            if not take(action, t, fields):
                continue
        except InvalidTransition:
            continue
        done.append((action, t))
        if action is Action.ack:
            row["acknowledged_at"] = t
        elif action is Action.classify:
            row.update(fields, classified_at=t)
        elif action is Action.reject:
            # Both times are the rejection's: a file may give either and leave the other.
            row.update(fields, classified_at=t, closed_at=t)
            if short:
                del row["closed_at" if gap % 2 else "classified_at"]
        elif action is Action.assign:
            row.setdefault("assigned_at", t)
            row.update(fields)
        elif action is Action.investigate:
            row["investigated_at"] = t
        elif action is Action.resolve:
            row["resolved_at"] = t
        elif action is Action.feedback:
            row.update(feedback_score=score, feedback_at=t)
            if not short:
                row["closed_at"] = t
        elif action is Action.close:
            row["closed_at"] = t
    return row, done


def cells(row: dict) -> dict[str, str]:
    """The row as a CSV file holds it: local times and plain text."""
    return {
        k: to_local(v, SETTINGS.tz).strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(v, dt.datetime)
        else str(v)
        for k, v in row.items()
    }


def _register_clock(clocks):
    """Register.clock over these clock lengths (the live path's clock)."""

    def clock(name: str, start: dt.datetime) -> dt.datetime | None:
        duration = clocks.get(name)
        return CALENDAR.add(start, duration) if duration else None

    return clock


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(received=receipts, history=histories, clocks=st.sampled_from(sorted(CLOCK_SETS)))
def test_a_history_worked_live_and_the_same_history_imported_end_in_the_same_state(
    received: dt.datetime, history: list, clocks: str
) -> None:
    clock = _register_clock(CLOCK_SETS[clocks])
    case = live_case(received, clock)

    def take(action: Action, when: dt.datetime, fields: dict) -> bool:
        case.check(action)
        if not expressible(case, action):
            return False
        satisfied = True if action is Action.feedback else None
        case.apply(action, when, clock, satisfied=satisfied, **fields)
        return True

    row, _ = work_live(received, history, take, lambda: case)
    # The import path: the row's cells read by the importer's converter, then replayed
    # with the clock function the importer uses.
    reg = Register(None, Settings(clocks=CLOCK_SETS[clocks]))  # type: ignore[arg-type]
    converter = RowConverter(reg, Mapping(), None, dt.datetime(2031, 1, 1))
    source = cells(row)
    converter.check_header(list(source))
    v = converter.convert(2, source)
    assert isinstance(v, dict), v
    v.update(on_hold=False, reopen_count=0)  # the importer's bookkeeping
    replay(v, CALENDAR.clock_function(CLOCK_SETS[clocks]), MIN_SCORE)

    assert {k: v.get(k) for k in COMPARED} == {k: getattr(case, k) for k in COMPARED}


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(received=receipts, history=histories)
def test_a_history_worked_through_the_commands_and_imported_gives_the_same_register_row(
    register: Register, received: dt.datetime, history: list
) -> None:
    now = dt.datetime(2031, 1, 1)
    common = {"now": now, "actor": "tester"}
    logged = services.log_complaint(
        register,
        channel=SETTINGS.channels[0],
        customer_name="王伟",
        contact="13800000000",
        summary="漏水",
        received_at=received,
        **common,
    ).case
    number = logged.number

    def current() -> Case:
        with Session(register.engine) as session:
            return session.exec(select(Case).where(Case.number == number)).one()

    def take(action: Action, when: dt.datetime, fields: dict) -> bool:
        case = current()
        case.check(action)
        if not expressible(case, action):
            return False
        c = dict(common, at=when)
        if action is Action.ack:
            services.ack(register, number, **c)
        elif action is Action.classify:
            services.classify(register, number, **fields, **c)
        elif action is Action.reject:
            services.reject(register, number, reason=fields["reject_reason"], **c)
        elif action is Action.assign:
            services.assign(register, number, **fields, **c)
        elif action is Action.investigate:
            services.investigate(
                register,
                number,
                findings="f",
                cause=None,
                responsibility="internal",
                proposal=None,
                **c,
            )
        elif action is Action.resolve:
            services.resolve(
                register, number, remedy="refund", amount_cents=None, note=None, told_at=None, **c
            )
        elif action is Action.feedback:
            services.record_feedback(
                register, number, score=fields["feedback_score"], comment=None, **c
            )
        elif action is Action.close:
            services.close(register, number, reason="客户不再回复", **c)
        elif action is Action.note:
            services.add_note(register, number, text="来电", **c)
        return True

    row, _ = work_live(received, history, take, current)
    result = import_rows(
        register, iter([(2, cells(row))]), Mapping(), now=now, actor="tester", source="t.csv"
    )
    assert result.imported == 1, result.errors
    with Session(register.engine) as session:
        live = session.exec(select(Case).where(Case.number == number)).one()
        imported = session.exec(select(Case).where(Case.external_ref == row["external_ref"])).one()
        assert {k: getattr(imported, k) for k in COMPARED} == {
            k: getattr(live, k) for k in COMPARED
        }


# -- db check: each event replayed through the workflow ----------------------------------------


def test_db_check_names_an_event_whose_recorded_change_is_not_what_the_workflow_sets(
    cli, db_url: str
) -> None:
    import json

    import sqlalchemy as sa

    args = ["--channel", "phone", "--customer", "王伟", "--contact", "13800000001"]
    number = cli.ok("log", *args, "--summary", "洗衣机漏水", "-q").strip()
    cli.ok("ack", number)
    cli.ok("classify", number, "--category", "PQ", "--severity", "B", "--kind", "claim")
    assert "no problems found" in cli.ok("db", "check")

    # The ack event claims a time the ack was not taken at (and the row agrees with it).
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            event_id, changes = conn.execute(
                sa.text("SELECT id, changes FROM events WHERE action = 'ack'")
            ).one()
            changes = json.loads(changes)
            moved = dt.datetime.fromisoformat(changes["acknowledged_at"][1]) - dt.timedelta(hours=5)
            changes["acknowledged_at"][1] = moved.isoformat()
            conn.execute(
                sa.text("UPDATE events SET changes = :c WHERE id = :i"),
                {"c": json.dumps(changes, ensure_ascii=False, sort_keys=True), "i": event_id},
            )
            conn.execute(sa.text("UPDATE cases SET acknowledged_at = :t"), {"t": moved})
    finally:
        engine.dispose()
    result = cli("db", "check")
    assert result.exit_code == 1
    assert (
        f"case {number}: event {event_id} (ack) recorded acknowledged_at otherwise than the "
        "workflow sets them"
    ) in result.stdout.splitlines()
