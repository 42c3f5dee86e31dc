"""The register's schema migrations (Alembic), shipped inside the package.

Run them with `complaintctl db upgrade`; `complaintctl db status` shows where a database
stands.  A released migration is never edited: a change to the schema is a new file in
versions/, and its revision id is added to `complaintctl.store.REVISIONS`.
"""
