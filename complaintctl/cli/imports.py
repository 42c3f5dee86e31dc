"""`complaintctl imports list|undo`: the import batches recorded by `import`.

The root app adds `app` as the group `imports`.
"""

import sys
from typing import Annotated

import typer

from complaintctl.cli.common import Format, _now, _state
from complaintctl.i18n import _

app = typer.Typer(
    help=_("List the import batches, or undo one."),
    no_args_is_help=True,
    rich_markup_mode=None,
)

# The batch as listed (JSON and CSV field names stay English).
FIELDS = (
    "batch",
    "at",
    "actor",
    "source",
    "read",
    "imported",
    "present",
    "updated",
    "rejected",
    "sha256",
    "mapping_sha256",
    "undone_at",
    "undone_by",
)


@app.command("list")
def imports_list_cli(
    ctx: typer.Context,
    format: Annotated[
        Format, typer.Option("--format", "-f", help=_("table, json or csv."))
    ] = Format.table,
) -> None:
    """List every import batch, oldest first: when, by whom, from which file, what came of
    its rows, and whether it was undone."""
    from complaintctl import batches, render
    from complaintctl.clock import to_local

    reg = _state(ctx).register()
    tz = reg.settings.tz
    rows = [
        {
            "batch": b["id"],
            "at": to_local(b["at"], tz),
            "actor": b["actor"],
            "source": b["source"],
            "read": b["rows_read"],
            "imported": b["rows_imported"],
            "present": b["rows_present"],
            "updated": b["rows_updated"],
            "rejected": b["rows_rejected"],
            "sha256": b["sha256"],
            "mapping_sha256": b["mapping_sha256"],
            "undone_at": to_local(b["undone_at"], tz) if b["undone_at"] else None,
            "undone_by": b["undone_by"],
        }
        for b in batches.list_batches(reg)
    ]
    if format is Format.json:
        typer.echo(render.to_json(rows))
        return
    if format is Format.csv:
        render.write_csv(rows, FIELDS, sys.stdout)
        return
    if not rows:
        typer.echo(_("No import batches."))
        return
    for r in rows:
        line = _(
            "{batch:>4}  {at}  {actor}  {source}: read {read}, imported {imported}, "
            "already present {present}, updated {updated}, rejected {rejected}"
        ).format(**{**r, "at": render.fmt(r["at"])})
        if r["undone_at"]:
            line += _("  (undone {at} by {actor})").format(
                at=render.fmt(r["undone_at"]), actor=r["undone_by"]
            )
        typer.echo(render.visible(line))


@app.command("undo")
def imports_undo_cli(
    ctx: typer.Context,
    batch: Annotated[int, typer.Argument(metavar="BATCH", help=_("The batch's number."))],
) -> None:
    """Remove the cases an import batch created, with their history, in one transaction.

    Refused (exit 1, nothing removed) when any of them was worked on since it was
    imported (the refusal names them), or when the batch refreshed cases it did not create
    (--update).  The batch stays listed, marked undone; its file can be imported again.
    """
    from complaintctl import batches

    st = _state(ctx)
    done = batches.undo(st.register(), batch, now=_now(), actor=st.actor)
    typer.echo(
        _(
            "import batch {batch} ({source}) undone: {cases} case(s) and {events} history "
            "entries removed"
        ).format(batch=done.batch, source=done.source, cases=done.cases, events=done.events)
    )
