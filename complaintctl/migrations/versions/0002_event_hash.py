"""Seal each history event with a hash chained to the case's previous event.

Existing events are sealed in the order they were written (by id), so a database
upgraded from 0001 checks clean and any later edit behind the tool's back shows.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from complaintctl.history import SEALED, event_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    conn = op.get_bind()
    # Typed as the models type them, so that times reach the seal as datetimes on every
    # driver (SQLite stores them as text) exactly as the services seal live events.
    types = {"case_id": sa.Integer(), "at": sa.DateTime(), "recorded_at": sa.DateTime()}
    events = sa.table(
        "events",
        sa.column("id", sa.Integer()),
        sa.column("hash", sa.String()),
        *(sa.column(name, types.get(name, sa.String())) for name in SEALED),
    )
    columns = (events.c.id, *(events.c[k] for k in SEALED))
    update = (
        sa.update(events)
        .where(events.c.id == sa.bindparam("event_id"))
        .values(hash=sa.bindparam("seal"))
    )
    last: dict[int, str] = {}  # case id -> the hash of its latest event so far
    after = 0
    while True:  # pages by id, so memory stays flat and no cursor is open across updates
        rows = (
            conn.execute(
                sa.select(*columns).where(events.c.id > after).order_by(events.c.id).limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        seals = []
        for row in rows:
            seal = event_hash(last.get(row["case_id"]), row)
            last[row["case_id"]] = seal
            seals.append({"event_id": row["id"], "seal": seal})
        conn.execute(update, seals)
        after = rows[-1]["id"]
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hash")
    op.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
