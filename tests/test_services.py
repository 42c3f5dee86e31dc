"""Services on a real database (SQLite, and PostgreSQL when configured): numbering,
duplicates, clocks through the database."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from complaintctl import queries, services
from complaintctl.config import Settings
from complaintctl.db import HEAD, open_db
from complaintctl.errors import DatabaseError, InvalidValue
from complaintctl.register import Register
from tests.conftest import local

NOW = local(2025, 10, 20, 9, 0)


def log(reg, contact="13800000000", **kw):
    values = dict(
        now=NOW, actor="t", channel="phone", customer_name="王伟", contact=contact, summary="漏水"
    )
    values.update(kw)
    return services.log_complaint(reg, **values)


def test_numbers_follow_the_configured_pattern_and_the_year_the_complaint_arrived(db_url):
    settings = dataclasses.replace(Settings(), number_pattern="TS-{year}/{seq:04d}")
    reg = Register(open_db(db_url, create=True), settings)
    first = log(reg, received_at=local(2024, 12, 31, 23, 30)).case.number
    second = log(reg, received_at=local(2025, 1, 1, 0, 30)).case.number
    third = log(reg).case.number
    assert (first, second, third) == ("TS-2024/0001", "TS-2025/0001", "TS-2025/0002")


def test_a_pattern_without_year_is_one_series_that_never_restarts(db_url):
    settings = dataclasses.replace(Settings(), number_pattern="N{seq}")
    reg = Register(open_db(db_url, create=True), settings)
    numbers = [log(reg, received_at=local(y, 6, 1, 10)).case.number for y in (2023, 2024, 2025)]
    assert numbers == ["N1", "N2", "N3"]


def test_a_refused_log_uses_no_number(register):
    assert log(register).case.number == "C2025-000001"
    with pytest.raises(InvalidValue, match="^channel: unknown value"):
        log(register, channel="pigeon")
    assert log(register).case.number == "C2025-000002"


def test_the_same_phone_written_differently_is_a_likely_duplicate_of_an_open_case(register):
    first = log(register, contact="138 0000 0000").case
    result = log(register, contact="+86 138-0000-0000".replace("+86 ", ""))
    assert result.duplicates == [first.number]


def test_a_case_from_the_same_contact_that_has_ended_is_not_a_duplicate(register):
    first = log(register, received_at=local(2025, 10, 20, 8, 0)).case
    services.ack(register, first.number, now=NOW, actor="t")
    services.reject(register, first.number, reason="spam", now=NOW, actor="t")
    assert log(register).duplicates == []


def test_grading_a_case_down_from_a_drops_the_escalation_clocks_not_yet_met(register):
    number = log(register, ack=True).case.number
    case = services.classify(
        register, number, category="PQ", severity="A", kind="claim", now=NOW, actor="t"
    )
    assert case.escalate_due == local(2025, 10, 20, 10, 0)
    assert case.plan_due == local(2025, 10, 20, 13, 0)
    case = services.classify(
        register, number, category="PQ", severity="B", kind="claim", now=NOW, actor="t"
    )
    assert case.escalate_due is None and case.plan_due is None and case.due_at is None


def test_every_change_appends_one_event_with_the_fields_it_changed(register):
    number = log(register).case.number
    services.ack(register, number, now=NOW, actor="前台")
    services.classify(
        register, number, category="pq", severity="C", kind="general", now=NOW, actor="主管"
    )
    detail = queries.case_detail(register, number, NOW)
    assert [(e["action"], e["actor"]) for e in detail["history"]] == [
        ("log", "t"),
        ("ack", "前台"),
        ("classify", "主管"),
    ]
    changes = detail["history"][2]["changes"]
    assert changes["category"] == [None, "PQ"]  # stored as the config spells it
    assert changes["step"] == ["classify", "assign"]
    with register.engine.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM events")).scalar() == 3


def test_a_schema_newer_than_the_program_is_refused(db_url):
    engine = open_db(db_url, create=True)
    stamp = sa.text("UPDATE alembic_version SET version_num = :v")
    with engine.begin() as con:
        con.execute(stamp, {"v": "0099"})
    try:
        with pytest.raises(DatabaseError, match="schema 0099, newer than this complaintctl"):
            open_db(db_url)
    finally:
        # PostgreSQL's test database keeps its schema from test to test: put it back.
        with engine.begin() as con:
            con.execute(stamp, {"v": HEAD})
        engine.dispose()
