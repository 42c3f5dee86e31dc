"""`complaintctl import FILE` (complaints from CSV or JSON Lines) and `complaintctl imports
list|undo` (the batches it recorded).

The root app takes `app`'s command as its own and adds `imports_app` as the group `imports`.
"""

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from complaintctl.cli.common import (
    FileFormat,
    Format,
    UsageError,
    _now,
    _state,
    one_line,
    option_name,
)
from complaintctl.i18n import _

# `import` joins the root app as a top-level command (see complaintctl/cli/__init__.py).
app = typer.Typer()
imports_app = typer.Typer(
    help=_("List the import batches, or undo one."),
    no_args_is_help=True,
    rich_markup_mode=None,
)


# import's options.
FileArg = Annotated[
    str,
    typer.Argument(metavar="FILE", help=_("CSV, JSON Lines or .xlsx file; - for standard input.")),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        help=_(
            "Mapping file (TOML): source columns and values to ours [default: columns "
            "named as our fields]."
        )
    ),
]
FormatOpt = Annotated[
    FileFormat | None,
    typer.Option(
        "--format", "-f", help=_("csv or jsonl [default: from the file name; csv for -].")
    ),
]
EncodingOpt = Annotated[str, typer.Option(help=_("Text encoding of the file, e.g. gbk."))]
DayfirstOpt = Annotated[bool, typer.Option("--dayfirst", help=_("Read 03/10/2025 as 3 October."))]
MonthfirstOpt = Annotated[
    bool, typer.Option("--monthfirst", help=_("Read 10/03/2025 as 3 October."))
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help=_("Check every row; write nothing."))]
SkipInvalidOpt = Annotated[
    Path | None,
    typer.Option(
        "--skip-invalid",
        metavar="REJECTS.csv",
        help=_("Import the good rows; write the bad ones, with their reasons, to this CSV."),
    ),
]
FailOverOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-over",
        metavar="N%",
        help=_("With --skip-invalid: import nothing if more than N% of the rows are rejected."),
    ),
]
UpdateOpt = Annotated[
    bool,
    typer.Option(
        "--update",
        help=_("Refresh cases already imported (same external reference) from changed rows."),
    ),
]
AgainOpt = Annotated[
    bool,
    typer.Option(
        "--again",
        help=_(
            "Import content that was imported before (same bytes) once more; without it, "
            "such a file is refused."
        ),
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME",
        help=_("The .xlsx workbook's sheet to read [default: the first]."),
    ),
]
HeaderRowOpt = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        metavar="N",
        min=1,
        help=_(
            "The .xlsx sheet's row that names the columns (below a title row) [default: 1]; "
            "the rows below it are read."
        ),
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help=_("With --skip-invalid: replace the rejects file if it exists.")),
]


@app.command("import")
def import_cli(
    ctx: typer.Context,
    file: FileArg,
    mapping: MappingOpt = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = "utf-8-sig",
    dayfirst: DayfirstOpt = False,
    monthfirst: MonthfirstOpt = False,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = None,
    fail_over: FailOverOpt = None,
    update: UpdateOpt = False,
    again: AgainOpt = False,
    force: ForceOpt = False,
    sheet: SheetOpt = None,
    header_row: HeaderRowOpt = None,
) -> None:
    """Import complaints from CSV, JSON Lines or an .xlsx workbook: validated,
    all-or-nothing, safe to re-run.

    Exit status: 0 every row imported (or, with --dry-run, every row good); 1 bad rows
    and nothing written (without --skip-invalid, or past --fail-over), or an unreadable
    file; 3 imported with --skip-invalid, with rows rejected.
    """
    from complaintctl import importer

    limit = _import_checks(dayfirst, monthfirst, fail_over, skip_invalid, encoding)
    fmt = format.value if format else ("jsonl" if file.endswith((".jsonl", ".ndjson")) else "csv")
    st = _state(ctx)
    reg, now = st.register(adds=not dry_run), _now()
    mapping_ = importer.load_mapping(mapping) if mapping else importer.Mapping()
    raw, stream, content = _open_source(file, encoding, mapping, again)
    book = _workbook(file, raw, stream, format is None, sheet, header_row)
    if book is not None:
        rows, fmt = book.rows(), "xlsx"
    else:
        rows = importer.read_csv(stream) if fmt == "csv" else importer.read_jsonl(stream)
    rejects = (
        _check_rejects(skip_invalid, force) if skip_invalid is not None and not dry_run else None
    )
    try:
        with _progress(raw, file) as tick:
            result = importer.import_rows(
                reg,
                rows,
                mapping_,
                now=now,
                actor=st.actor,
                source=content.source,
                dayfirst=True if dayfirst else False if monthfirst else None,
                dry_run=dry_run,
                skip_invalid=skip_invalid is not None,
                update=update,
                check_header=fmt != "jsonl",
                progress=tick,
                fail_over=limit,
                reread=importer.rereader(raw, encoding) if book is None else None,
                content=content,
                rescan=book.date_texts if book is not None else None,
            )
    except UnicodeDecodeError as exc:
        raise importer.ImportError_(
            _(
                "--encoding: the file is not {encoding} ({reason} at byte {byte}); "
                "try --encoding gbk"
            ).format(encoding=encoding, reason=exc.reason, byte=exc.start)
        ) from None
    finally:
        if book is not None:
            book.close()
        stream.close()
    _print_import(result, rejects, dry_run, force)
    _import_verdict(result, skip_invalid is not None, dry_run, limit, fail_over)


def _workbook(file: str, raw, stream, guess: bool, sheet: str | None, header_row: int | None):
    """The sheet to import when the source is an .xlsx workbook (known by its name or, the
    format not given, by its bytes), opened and its header checked; None otherwise (and
    then --sheet and --header-row are refused)."""
    from complaintctl import xlsxread

    try:
        if guess and (
            (file != "-" and xlsxread.is_workbook(file)) or xlsxread.looks_like_workbook(raw)
        ):
            name = "stdin" if file == "-" else file
            return xlsxread.Sheet(raw, name, sheet, header_row or 1)
        if sheet is not None or header_row is not None:
            raise UsageError(
                _("{option} applies to .xlsx workbooks").format(
                    option="--sheet" if sheet is not None else "--header-row"
                )
            )
    except BaseException:
        stream.close()
        raise
    return None


def _import_checks(
    dayfirst: bool,
    monthfirst: bool,
    fail_over: str | None,
    skip_invalid: Path | None,
    encoding: str,
) -> float | None:
    """Refuse options that do not go together, before anything is read; the --fail-over
    limit (a percentage) or None."""
    import codecs

    if dayfirst and monthfirst:
        raise UsageError(_("--dayfirst and --monthfirst exclude each other"))
    limit = _percent("--fail-over", fail_over) if fail_over is not None else None
    if limit is not None and skip_invalid is None:
        raise UsageError(_("--fail-over applies to --skip-invalid"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(
            _("--encoding: unknown encoding {encoding}").format(encoding=repr(encoding))
        ) from None
    return limit


def _open_source(file: str, encoding: str, mapping: Path | None, again: bool):
    """(the file's bytes, readable again from the start; its text; what the batch is known
    by).  Read three times: hashed (is this content imported already?), scanned (the order
    of day and month in each date column), imported.  Standard input goes to a temporary
    file."""
    import io

    from complaintctl import batches, importer

    try:
        raw = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise importer.ImportError_(
            _("FILE: cannot open {file}: {reason}").format(file=file, reason=exc.strerror)
        ) from None
    source = "stdin" if file == "-" else Path(file).name
    raw, sha256 = batches.seekable(raw)
    content = batches.Content(
        source, sha256, batches.file_digest(mapping) if mapping else None, again
    )
    return raw, io.TextIOWrapper(raw, encoding=encoding, newline=""), content


def _check_rejects(path: Path, force: bool) -> Path:
    """The --skip-invalid file, checked before anything is imported: a path that cannot be
    written (a folder missing, a device, a link, an existing file without --force) refuses
    the whole run.  It is written once the import is done (complaintctl.outputs)."""
    from complaintctl import outputs

    return outputs.check(path, "--skip-invalid", replace=force)


def _write_rejects(rejects: Path, result, force: bool) -> None:
    """The rejected rows, with line and reason, to the --skip-invalid file (under the
    columns their rows had)."""
    from complaintctl import outputs, render

    extra = list(dict.fromkeys(k for e in result.errors for k in e.row))
    outputs.write_file(
        rejects,
        lambda out: render.write_csv(
            (
                {
                    "line": e.line,
                    "field": e.field,
                    "value": e.value,
                    "reason": e.reason,
                    **{k: e.row.get(k, "") for k in extra},
                }
                for e in result.errors
            ),
            ["line", "field", "value", "reason", *extra],
            out,
        ),
        "--skip-invalid",
        replace=force,
    )


def _print_import(result, rejects, dry_run: bool, force: bool = False) -> None:
    """Each bad row on stderr (and, with --skip-invalid, in its file), then the summary."""
    for e in result.errors:
        value = e.value if len(e.value) <= 80 else e.value[:77] + "..."
        typer.echo(
            _("line {line}: {field}: {value}: {reason}").format(
                line=e.line, field=e.field, value=repr(value), reason=e.reason
            ),
            err=True,
        )
    if rejects is not None:
        from complaintctl.outputs import OutputError

        try:
            _write_rejects(rejects, result, force)
        except OutputError as exc:
            if not result.written:
                raise
            # The good rows are in: say so, and still give the summary.
            typer.echo(
                _("error: {message}; the import itself was committed").format(
                    message=one_line(exc.describe(option_name))
                ),
                err=True,
            )
    done = result.imported if result.written else 0
    summary = (
        _(
            "read {read}, would import {imported}, already present {present}, updated {updated}, "
            "rejected {rejected}"
        )
        if dry_run
        else _(
            "read {read}, imported {imported}, already present {present}, updated {updated}, "
            "rejected {rejected}"
        )
    )
    typer.echo(
        summary.format(
            read=result.read,
            imported=result.imported if dry_run else done,
            present=result.present,
            updated=result.updated if result.written else 0,
            rejected=result.rejected,
        )
    )


def _import_verdict(
    result, skipping: bool, dry_run: bool, limit: float | None, fail_over: str | None
) -> None:
    """The exit status: an error when rows were bad and nothing was imported (or more were
    bad than --fail-over allows), 3 when rows were skipped."""
    from complaintctl import importer

    if result.errors and not skipping:
        raise importer.ImportError_(
            _("{count} bad row(s): nothing was imported").format(count=result.rejected)
            if not dry_run
            else _("{count} bad row(s)").format(count=result.rejected)
        )
    if result.over(limit):
        raise importer.ImportError_(
            _(
                "--fail-over: {count} of {read} rows rejected, more than {limit}%: "
                "nothing was imported"
            ).format(count=result.rejected, read=result.read, limit=fail_over.strip().rstrip("%"))
        )
    if result.errors:
        raise typer.Exit(3)  # imported, with rows rejected (listed above and in the file)


def _percent(option: str, text: str) -> float:
    """A percentage typed as 5% or 5 (0..100)."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:  # NaN fails too
        raise UsageError(
            _("{option}: {value} is not a percentage 0..100, e.g. 5%").format(
                option=option, value=repr(text)
            )
        )
    return value


@contextlib.contextmanager
def _progress(raw, file: str):
    """A Rich progress bar over the bytes read, on a terminal only; yields a tick(rows)."""
    from complaintctl import render

    console = render.console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    total = None if file == "-" else Path(file).stat().st_size
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=total, rows=0)

        def tick(rows: int) -> None:
            if rows % 500 == 0:
                bar.update(task, completed=raw.tell() if total else None, rows=rows)

        yield tick


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


@imports_app.command("list")
def imports_list_cli(
    ctx: typer.Context,
    format: Annotated[
        Format, typer.Option("--format", "-f", help=_("table, json or csv."))
    ] = Format.table,
) -> None:
    """List every import batch, oldest first: when, by whom, from which file, what came of
    its rows, and whether it was undone."""
    from complaintctl import render

    rows = _batch_rows(_state(ctx).register())
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


def _batch_rows(reg) -> list[dict]:
    """The recorded batches as listed: times in the office zone, FIELDS' names."""
    from complaintctl import batches
    from complaintctl.clock import to_local

    tz = reg.settings.tz
    return [
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


@imports_app.command("undo")
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
