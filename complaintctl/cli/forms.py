"""The paper forms: `form CASE` prints a case as the registration form the customer
confirms (客户投诉登记表), `form CASE --feedback` as the feedback form the customer fills
in (投诉反馈表): one self-contained HTML page each, laid out for one A4 sheet
(complaintctl/form_html.py).
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from complaintctl.cli.common import CaseArg, _local, _now, _state, one_line
from complaintctl.i18n import _

# The command joins the root app as a top-level command (see complaintctl/cli/__init__.py).
app = typer.Typer()


@app.command("form")
def form_cli(
    ctx: typer.Context,
    case: CaseArg,
    feedback: Annotated[
        bool,
        typer.Option(
            "--feedback",
            help=_("The feedback form (what was done, the score, comments) instead."),
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=_("Write the page to FILE (- or none: standard output)."),
        ),
    ] = None,
) -> None:
    """A case as a printable form (HTML, one A4 sheet): the registration form the
    customer confirms, or with --feedback the feedback form."""
    from complaintctl import form_html, outputs, queries

    if output is not None and output != "-":
        outputs.check(Path(output), "--output", dash=True)  # before any work
    reg = _state(ctx).register()
    now = _now()
    detail = queries.case_detail(reg, case, now)
    page = form_html.page(detail, reg.settings, feedback=feedback, now=_local(reg, now))
    if output is None or output == "-":
        sys.stdout.write(page)
        return
    outputs.write_file(output, lambda out: out.write(page), "--output", dash=True)
    typer.echo(_("wrote {path}").format(path=one_line(output)), err=True)
