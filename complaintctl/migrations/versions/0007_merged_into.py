"""Merged duplicates: a case logged twice is ended as part of its original.

Before, a complaint logged twice had to be acknowledged and rejected, and then counted as
received, rejected and a repeat complainant.  `merge CASE --into ORIGINAL` ends the
duplicate with the outcome `merged` and records the original's number here; the reports
count such cases apart, and the original's `show` lists them (found through the index).

The column is added without a foreign key (on SQLite that would rebuild the cases table);
existing cases have none.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("merged_into", sa.String(), nullable=True))
    op.create_index("ix_cases_merged_into", "cases", ["merged_into"])
    op.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_index("ix_cases_merged_into", "cases")
    op.drop_column("cases", "merged_into")
    op.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
