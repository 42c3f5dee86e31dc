"""Indexes on lower(owner), lower(department), lower(category).

`list`, `warn` and `export` match these case-insensitively (`lower(owner) = ?`), which the
plain column indexes cannot serve: at a million cases `list --owner X` scanned the table.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("owner", "department", "category")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_cases_{column}_lower", "cases", [sa.text(f"lower({column})")])
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_cases_{column}_lower", "cases")
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
