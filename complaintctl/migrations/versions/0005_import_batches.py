"""Import batches: a table of imports, and each imported case's batch.

A file without an ID column imported twice used to become every complaint twice, with no
word said.  Each import that writes is now a row of `import_batches` (file name, SHA-256
of its bytes, mapping digest, rows read/imported/present/updated/rejected, who, when), so a
second import of the same content is recognised and refused, and `import --undo N` can
remove the cases a batch created (found by `cases.import_batch`).

The new column is added without a foreign key: on SQLite that would rebuild the whole
cases table; the import writes the column itself, in the transaction that writes the batch.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mapping_sha256", sa.String(64), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_present", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(), nullable=True),
    )
    op.create_index("ix_import_batches_sha256", "import_batches", ["sha256"])
    op.add_column("cases", sa.Column("import_batch", sa.Integer(), nullable=True))
    op.create_index("ix_cases_import_batch", "cases", ["import_batch"])
    op.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_index("ix_cases_import_batch", "cases")
    op.drop_column("cases", "import_batch")
    op.drop_index("ix_import_batches_sha256", "import_batches")
    op.drop_table("import_batches")
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
