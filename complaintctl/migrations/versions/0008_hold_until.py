"""`hold --until DAY`: the day a case on hold comes back into `warn`.

Before, a case on hold never appeared in `warn`, however long it waited.  Now every case on
hold is listed with how long it has been held, and one held until a day is listed as
"hold ended" from that day on (00:00 office time, stored here as UTC) until it is resumed.
Existing holds have no such day.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("hold_until", sa.DateTime(), nullable=True))
    op.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_column("cases", "hold_until")
    op.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
