"""An index on (contact_key, received_at) in place of the one on contact_key alone.

"Has this customer complained before, within the window?" (`warn`'s repeat complainants,
`report`'s repeat cases, the duplicate check of `log`) asks for one contact's cases
received between two times: with both columns in the index that is one range, instead of
reading every case of the contact to compare its time.  At a million cases `warn` read
the earlier cases of each of 50,000 open cases this way (0.69 s → 0.25 s).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_contact_key_received", "cases", ["contact_key", "received_at"])
    op.drop_index("ix_cases_contact_key", "cases")
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.create_index("ix_cases_contact_key", "cases", ["contact_key"])
    op.drop_index("ix_cases_contact_key_received", "cases")
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
