"""One customer, one key: contacts re-keyed by the phone rule of complaintctl.contacts.

Before, a phone's key was its digits, so `+86 138-1234-5678` (8613812345678) and
`13812345678` were two customers to the duplicate check, `warn`'s repeats and the report.
Every case's key is computed again; purged cases keep the pseudonym their purge gave them.
Nothing else changes (the contact as typed stays as it was, and so does the history).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from complaintctl.contacts import contact_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PURGED = "(purged)"  # complaintctl.privacy.PURGED: such a case's key is its pseudonym


def upgrade() -> None:
    _rekey(contact_key)
    op.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")


def downgrade() -> None:
    _rekey(_old_key)
    op.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")


def _old_key(contact: str) -> str:
    """The key as revision 0005 made it: a phone's digits, anything else lower-cased."""
    import re

    contact = contact.strip()
    if re.match(r"^[\d\s+\-().]+$", contact):
        return re.sub(r"\D", "", contact)
    return contact.lower()


def _rekey(key, batch: int = 5000) -> None:
    """Every case's key again, a batch of cases at a time (constant memory)."""
    conn = op.get_bind()
    last = 0
    while rows := conn.execute(
        sa.text(
            "SELECT id, contact, contact_key FROM cases WHERE id > :last AND contact <> :purged "
            "ORDER BY id LIMIT :batch"
        ),
        {"last": last, "purged": PURGED, "batch": batch},
    ).all():
        last = rows[-1][0]
        changed = [
            {"id": id_, "key": key(contact)}
            for id_, contact, old in rows
            if contact is not None and key(contact) != old
        ]
        if changed:
            conn.execute(sa.text("UPDATE cases SET contact_key = :key WHERE id = :id"), changed)
