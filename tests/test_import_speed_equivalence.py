"""The import's fast paths compute exactly what the plain code computes.

An import asks the calendar for several deadlines per row, reads a time cell per step and
writes plain tuples to SQLite; each of those has a faster spelling for bulk use.  These
tests compare each fast spelling with the plain one over many random inputs: every clock
kind, holidays, make-up working days, office closures, times before and after office
hours, weekends, and zones with daylight saving time or odd offsets.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from complaintctl import importer
from complaintctl.clock import WorkCalendar, to_utc
from complaintctl.config import Duration, Settings, parse_duration
from complaintctl.models import Case
from complaintctl.workflow import replay

# Hundreds of hypothesis examples per test, and a second process: slow (python -m pytest
# -m 'not slow' leaves them out; tests/test_import.py and tests/test_clock.py stay fast).
pytestmark = pytest.mark.slow

D = dt.date
MANY = settings(max_examples=300, deadline=None)

CALENDARS = {
    # China: public holidays and make-up working Saturdays/Sundays (调休).
    "CN": WorkCalendar(),
    # Office closures, one of them on a make-up working day (the closure wins).
    "CN+closures": WorkCalendar(
        closures=[D(2025, 10, 11), D(2025, 12, 24), D(2026, 2, 27), D(2024, 9, 14)],
        opening=dt.time(8, 30),
        closing=dt.time(17, 15),
    ),
    # Daylight saving time: local midnight and office hours move against UTC.
    "US-CA": WorkCalendar(country="US", subdivision="CA", tz="America/Los_Angeles"),
    # An offset that is not whole hours, and a day that is not 09-18.
    "NP": WorkCalendar(
        country="NP", tz="Asia/Kathmandu", opening=dt.time(10), closing=dt.time(16, 30)
    ),
    # Local midnight falls mid-afternoon in UTC; DST in the southern summer.
    "NZ": WorkCalendar(country="NZ", tz="Pacific/Auckland"),
}
calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)
durations = st.one_of(
    st.builds(Duration, st.integers(0, 12).map(float), st.just("wd")),
    st.builds(Duration, st.sampled_from([0.25, 0.5, 1.0, 4.0, 9.0, 24.0, 40.5]), st.just("wh")),
    st.builds(Duration, st.integers(0, 200).map(float), st.sampled_from(["m", "h", "d"])),
    st.builds(Duration, st.sampled_from([0.5, 1.5, 24.0]), st.just("h")),
)
# Naive UTC moments over ten years, down to the microsecond.
moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31))


@st.composite
def office_moments(draw: st.DrawFn, cal: WorkCalendar) -> dt.datetime:
    """A moment chosen around what matters to a calendar: local midnight, opening and
    closing time (just before, at, just after), on holidays, make-up days and weekends."""
    day = draw(
        st.one_of(
            st.dates(D(2020, 1, 1), D(2030, 12, 31)),
            st.sampled_from(
                [
                    D(2025, 9, 30),  # eve of China's National Day
                    D(2025, 10, 1),  # National Day
                    D(2025, 10, 11),  # make-up working Saturday (a closure in one calendar)
                    D(2025, 9, 28),  # make-up working Sunday
                    D(2024, 9, 14),  # make-up working Saturday (a closure in one calendar)
                    D(2026, 2, 14),  # Spring Festival make-up day
                    D(2025, 12, 24),
                    D(2025, 12, 25),
                    D(2025, 3, 9),  # US DST starts
                    D(2025, 11, 2),  # US DST ends
                    D(2025, 4, 6),  # NZ DST ends
                    D(2025, 9, 28),  # NZ DST starts
                    D(2025, 10, 4),  # a Saturday
                    D(2025, 10, 5),  # a Sunday
                ]
            ),
        )
    )
    time = draw(
        st.one_of(
            st.sampled_from([dt.time(0), dt.time(23, 59, 59, 999_999), cal.opening, cal.closing]),
            st.times(),
        )
    )
    nudge = draw(st.sampled_from([0, 0, -1, 1, -3600, 3600, -60, 60]))
    local = dt.datetime.combine(day, time) + dt.timedelta(microseconds=nudge)
    return to_utc(local.replace(tzinfo=cal.tz))


starts = st.one_of(moments, calendars.flatmap(office_moments))


# -- deadlines ------------------------------------------------------------------------------


@MANY
@given(cal=calendars, duration=durations, start=starts)
@example(cal=CALENDARS["CN"], duration=Duration(3, "wd"), start=dt.datetime(2025, 9, 30, 2))
def test_a_deadline_function_gives_what_add_gives(
    cal: WorkCalendar, duration: Duration, start: dt.datetime
) -> None:
    assert cal.deadline_function(duration)(start) == cal.add(start, duration)


@MANY
@given(
    cal=calendars,
    duration=durations,
    first=starts,
    others=st.lists(st.integers(-3 * 86400, 3 * 86400), min_size=1, max_size=20),
)
def test_a_deadline_function_reused_over_many_starts_stays_exact(
    cal: WorkCalendar, duration: Duration, first: dt.datetime, others: list[int]
) -> None:
    # Starts on the same and neighbouring local days: the remembered deadline of one
    # day must never leak into a start on another, or into one before/after hours.
    deadline = cal.deadline_function(duration)
    for start in [first, *(first + dt.timedelta(seconds=s) for s in others), first]:
        assert deadline(start) == cal.add(start, duration), start


@given(cal=calendars, start=starts, n=st.integers(1, 15))
@MANY
def test_working_day_deadlines_of_one_local_day_share_one_answer_only_within_that_day(
    cal: WorkCalendar, start: dt.datetime, n: int
) -> None:
    deadline = cal.deadline_function(Duration(n, "wd"))
    day = cal.local_date(start)
    local_midnight = to_utc(dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz))
    for moment in (local_midnight, start, local_midnight - dt.timedelta(microseconds=1)):
        assert deadline(moment) == cal.add(moment, Duration(n, "wd"))


CLOCKS = {
    "acknowledge": "24h",
    "classify": "",
    "assign": "2wh",
    "investigate": "3wd",
    "resolve": "5wd",
    "feedback": "7wd",
    "escalate": "1h",
    "plan": "4wh",
}


def _plain_clock(cal: WorkCalendar, clocks: dict[str, Duration | None]):
    """Register.clock, spelled out."""

    def clock(name: str, start: dt.datetime) -> dt.datetime | None:
        duration = clocks.get(name)
        return cal.add(start, duration) if duration else None

    return clock


@MANY
@given(
    cal=calendars,
    name=st.sampled_from([*CLOCKS, "unknown"]),
    start=starts,
    defaults=st.booleans(),
)
def test_a_clock_function_gives_what_the_register_clock_gives(
    cal: WorkCalendar, name: str, start: dt.datetime, defaults: bool
) -> None:
    clocks = Settings().clocks if defaults else {k: parse_duration(v, k) for k, v in CLOCKS.items()}
    assert cal.clock_function(clocks)(name, start) == _plain_clock(cal, clocks)(name, start)


# -- the state of an imported case -----------------------------------------------------------


STEP_TIMES = ("acknowledged_at", "classified_at", "assigned_at", "investigated_at", "resolved_at")


@st.composite
def imported_rows(draw: st.DrawFn, cal: WorkCalendar) -> dict:
    """What the converter hands workflow.replay(): the source's times, in order, and
    outcome fields, some missing."""
    received = draw(office_moments(cal))
    v: dict = {"received_at": received, "on_hold": draw(st.sampled_from([False, False, True]))}
    t, depth = received, draw(st.integers(0, len(STEP_TIMES)))
    for name in STEP_TIMES[:depth]:
        t += dt.timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)))
        v[name] = t
    if draw(st.booleans()):
        v["severity"] = draw(st.sampled_from(["A", "B", "C"]))
    if depth == len(STEP_TIMES) and draw(st.booleans()):
        v["feedback_score"] = draw(st.integers(1, 5))
        v["feedback_at"] = t + dt.timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
    if draw(st.integers(0, 3)) == 0:
        v["closed_at"] = t + dt.timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
    if draw(st.integers(0, 5)) == 0:
        v["reject_reason"] = "not ours"
    return v


@MANY
@given(
    data=st.data(),
    cal=calendars,
    defaults=st.booleans(),
    min_score=st.integers(1, 5),
)
def test_an_imported_rows_state_with_the_fast_clock_is_what_the_register_clock_gives(
    data: st.DataObject, cal: WorkCalendar, defaults: bool, min_score: int
) -> None:
    # (That the replay itself is what live commands do is tests/test_workflow.py's part.)
    clocks = Settings().clocks if defaults else {k: parse_duration(v, k) for k, v in CLOCKS.items()}
    row = data.draw(imported_rows(cal))

    fast = replay(dict(row), cal.clock_function(clocks), min_score)
    plain = replay(dict(row), _plain_clock(cal, clocks), min_score)

    assert fast == plain
    assert [type(fast[k]) for k in fast] == [type(plain[k]) for k in fast]


# -- reading time cells ----------------------------------------------------------------------

ZONES = [ZoneInfo(z) for z in ("Asia/Shanghai", "America/Los_Angeles", "Asia/Kathmandu")]


@MANY
@given(
    tz=st.sampled_from(ZONES),
    moment=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    form=st.sampled_from(
        [
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S.%f",
            "%Y-%m-%d",
            "%Y-%m-%dT%H:%M:%S%z",
            "%Y/%m/%d %H:%M",
            "%d.%m.%Y %H:%M",
        ]
    ),
    offset=st.sampled_from([None, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]),
)
@example(
    tz=ZONES[1], moment=dt.datetime(2025, 3, 9, 2, 30), form="%Y-%m-%d %H:%M", offset=None
)  # a wall time that does not exist (DST gap)
@example(
    tz=ZONES[1], moment=dt.datetime(2025, 11, 2, 1, 30), form="%Y-%m-%d %H:%M", offset=None
)  # a wall time that happens twice
def test_a_time_cell_reads_the_same_through_the_fast_path_and_the_full_parser(
    tz: ZoneInfo, moment: dt.datetime, form: str, offset: dt.tzinfo | None
) -> None:
    text = moment.replace(tzinfo=offset).strftime(form)
    parser = importer.TimeParser(tz, dayfirst=True)

    assert parser(text) == parser._parse(text)
    assert parser(f" {text} ") == parser._parse(text)


# -- what reaches SQLite ---------------------------------------------------------------------


def _value_for(column: sa.Column, draw: st.DrawFn) -> object:
    if isinstance(column.type, sa.DateTime):
        return draw(st.none() | moments)
    if isinstance(column.type, sa.Boolean):
        return draw(st.booleans())
    if isinstance(column.type, sa.Integer):
        return draw(st.none() | st.integers(-(2**40), 2**40))
    return draw(st.none() | st.text(max_size=20))


@st.composite
def case_values(draw: st.DrawFn) -> dict:
    """Some columns of a case (others absent), with None here and there."""
    return {
        c.name: _value_for(c, draw)
        for c in Case.__table__.c
        # import_batch is one value per import, written into the statement itself (its
        # rows are checked in test_import_batches.py), never bound per row.
        if c.name not in ("id", "import_batch") and draw(st.integers(0, 3)) > 0
    }


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(case_values(), min_size=1, max_size=8))
def test_the_sqlite_fast_path_stores_what_sqlalchemy_would_store(rows: list[dict]) -> None:
    # No constraints here: the point is the stored values and their types, column by column.
    meta = sa.MetaData()
    table = sa.Table("cases", meta, *(sa.Column(c.name, c.type) for c in Case.__table__.c))
    plain, fast = sa.create_engine("sqlite://"), sa.create_engine("sqlite://")
    for engine in (plain, fast):
        meta.create_all(engine)
    with plain.begin() as conn:
        for case_id, v in enumerate(rows, start=1):
            conn.execute(table.insert().values(id=case_id, **v))
    with fast.begin() as conn:
        times = importer._SQLiteTimes()
        conn.exec_driver_sql(
            importer._SQLITE_INSERT,
            [
                (case_id, v.get("number"), *importer._sqlite_values(v, times))
                for case_id, v in enumerate(rows, start=1)
            ],
        )
    columns = ", ".join(f"{c.name}, typeof({c.name})" for c in table.c)
    query = f"SELECT {columns} FROM cases ORDER BY id"
    with plain.connect() as a, fast.connect() as b:
        assert a.exec_driver_sql(query).all() == b.exec_driver_sql(query).all()


# -- the reading process ----------------------------------------------------------------------

HEADER = (
    "external_ref,received_at,channel,customer_name,contact,summary,description,category,"
    "severity,assigned_at,investigated_at,resolved_at,feedback_score,feedback_at\n"
)


def _messy_file(path, rows: int = 5000) -> None:
    """Good rows and bad ones, multi-line records and blank lines, references twice."""
    lines = [HEADER]
    for i in range(rows):
        day = dt.datetime(2024, 1, 1, 8) + dt.timedelta(hours=2 * i)
        t = [day + dt.timedelta(hours=h) for h in (5, 30, 80)]
        received = day.strftime("%Y-%m-%d %H:%M")
        if i % 97 == 0:
            received = "2099-01-01 10:00"  # in the future
        if i % 101 == 0:
            received = "03/04/2024 10:00"  # ambiguous
        if i % 89 == 0:
            received = day.strftime("%d %B %Y %H:%M")  # for dateutil
        ref = f"R-{i % 4990}"  # the last ten appear twice
        description = '"two\nlines"' if i % 13 == 0 else "plain"
        steps = ",".join(x.strftime("%Y-%m-%d %H:%M") if k < i % 4 else "" for k, x in enumerate(t))
        score = "5" if i % 4 == 3 else ""
        feedback = (t[2] + dt.timedelta(hours=3)).isoformat() if score else ""
        lines.append(
            f"{ref},{received},{'email' if i % 53 else 'fax'},客户{i},138{i:08d},问题,"
            f"{description},PQ,{'ABC'[i % 3]},{steps},{score},{feedback}\n"
        )
        if i % 211 == 0:
            lines.append("\n")
    path.write_text("".join(lines), encoding="utf-8")


def _import_into(tmp_path, name: str, csv_path, **options) -> tuple[importer.ImportResult, dict]:
    from complaintctl.db import open_db
    from complaintctl.register import Register

    reg = Register(open_db(f"sqlite:///{tmp_path / name}", create=True), Settings())
    now = dt.datetime(2026, 1, 1)
    with csv_path.open(encoding="utf-8", newline="") as f:
        result = importer.import_rows(
            reg,
            importer.read_csv(f),
            importer.Mapping(),
            now=now,
            actor="tester",
            source="messy.csv",
            **options,
        )
    with reg.engine.connect() as conn:
        tables = {
            t: conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").all()
            for t in ("cases", "events", "counters")
        }
    reg.engine.dispose()
    return result, tables


def test_rows_read_in_a_second_process_import_exactly_as_in_one(tmp_path, monkeypatch) -> None:
    assert importer._can_fork()  # else this test would compare the one path with itself
    path = tmp_path / "messy.csv"
    _messy_file(path)

    monkeypatch.setattr(importer, "_READER_PROCESS", True)
    forked = _import_into(tmp_path, "forked.db", path, skip_invalid=True)
    again = _import_into(tmp_path, "forked.db", path, skip_invalid=True)  # all present now
    monkeypatch.setattr(importer, "_READER_PROCESS", False)
    single = _import_into(tmp_path, "single.db", path, skip_invalid=True)
    single_again = _import_into(tmp_path, "single.db", path, skip_invalid=True)

    assert forked[0].imported > 4000 and len(forked[0].errors) > 100
    assert again[0].present == forked[0].imported
    for a, b in ((forked, single), (again, single_again)):
        assert vars(a[0]) == vars(b[0])
        assert a[1] == b[1]


def test_a_file_that_breaks_off_in_the_second_process_stops_the_import_the_same_way(
    tmp_path, monkeypatch
) -> None:
    path = tmp_path / "messy.csv"
    _messy_file(path, rows=3000)
    with path.open("a", encoding="utf-8") as f:
        f.write('R-x,2024-01-01 10:00,email,"unterminated\n')

    raised = []
    for reader_process in (True, False):
        monkeypatch.setattr(importer, "_READER_PROCESS", reader_process)
        try:
            _import_into(tmp_path, f"{reader_process}.db", path)
        except importer.ImportError_ as exc:
            raised.append(str(exc))
        with sa.create_engine(f"sqlite:///{tmp_path / f'{reader_process}.db'}").connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0

    assert len(raised) == 2 and raised[0] == raised[1]
    assert "truncated or unterminated record" in raised[0]


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2999, 12, 31)),
    recorded=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2999, 12, 31)),
    case_id=st.integers(1, 10**12),
    actor=st.text(min_size=1, max_size=20),
    step=st.sampled_from(["acknowledge", "closed", "feedback", "rejected"]),
    note=st.text(max_size=60),
)
def test_the_import_seal_equals_the_seal_of_the_event_read_back(
    at, recorded, case_id, actor, step, note
):
    """The import seals its events inside SQLite from the stored text of their times; the
    seal must be the one history.event_hash gives the same event as the program reads it
    (so db check finds an imported history intact)."""
    from complaintctl.history import event_hash
    from complaintctl.importer import _sqlite_seal

    def stored(t: dt.datetime) -> str:  # SQLAlchemy's DateTime text on SQLite
        return t.strftime("%Y-%m-%d %H:%M:%S.%f")

    event = {
        "case_id": case_id, "action": "import", "at": at, "recorded_at": recorded,
        "actor": actor, "step_from": None, "step_to": step, "changes": None, "note": note,
    }  # fmt: skip
    assert _sqlite_seal(
        case_id, "import", stored(at), stored(recorded), actor, None, step, None, note
    ) == event_hash(None, event)
