"""What every command shares: the error translator at the edge (`ComplaintGroup`), the run's
`State` (the register it opens, who is acting), the option types several commands take, and
the small helpers that read the clock and parse a time for a command.

Imports nothing of the command modules; each of them imports this one.  Heavy modules
(SQLAlchemy, Rich, the services) are imported inside the functions so that `--help` and
shell completion start fast.
"""

import os
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from complaintctl.enums import Severity
from complaintctl.errors import ComplaintError
from complaintctl.fields import BY_NAME as FIELDS_BY_NAME
from complaintctl.i18n import _, label

if TYPE_CHECKING:
    from complaintctl.register import Register


EXIT_UNEXPECTED = 70
# Typer ships its own copy of click's exceptions in recent releases and uses click's in older
# ones; take the classes from wherever Typer's BadParameter lives.
_exc = sys.modules[typer.BadParameter.__module__]
UsageError: type[Exception] = _exc.UsageError
ClickException: type[Exception] = _exc.ClickException
_debug = False


def show_tracebacks(on: bool) -> None:
    """--debug: let an unexpected error through as a traceback."""
    global _debug
    _debug = on


class ComplaintGroup(TyperGroup):
    """Translates every error into one line on stderr and a stable exit code."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        instruction = os.environ.get(complete_var or "_COMPLAINTCTL_COMPLETE", "")
        if instruction.startswith("complete_"):
            from complaintctl.cli.completion import complete

            code = complete(self, instruction[len("complete_") :], "_COMPLAINTCTL_COMPLETE")
            if code is not None:
                if standalone_mode:
                    sys.exit(code)
                return code
        _tolerant_streams()
        try:
            if args is None:
                args = sys.argv[1:]
            _check_arguments(args)
            rv = super().main(
                args=args,
                prog_name=prog_name or "complaintctl",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            code = rv if isinstance(rv, int) else 0
        except UsageError as exc:
            path = exc.ctx.command_path if exc.ctx else "complaintctl"
            typer.echo(
                _("{path}: {message} (see {path} --help)").format(
                    path=path, message=one_line(exc.format_message())
                ),
                err=True,
            )
            code = 2
        except ClickException as exc:
            message = one_line(exc.format_message())
            typer.echo(_("error: {message}").format(message=message), err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo(_("aborted"), err=True)
            code = 1
        except ComplaintError as exc:
            message = one_line(exc.describe(option_name))
            typer.echo(_("error: {message}").format(message=message), err=True)
            code = exc.exit_code
        except Exception as exc:  # the one place that catches everything: no traceback leaks
            if _debug:
                raise
            storage = _storage_error(exc)
            if storage is not None:
                typer.echo(_("error: {message}").format(message=storage), err=True)
                if standalone_mode:
                    sys.exit(storage.exit_code)
                return storage.exit_code
            # One line, and never the SQL parameters a database error carries (they hold
            # customers' personal data): the driver's own message at most.
            detail = str(getattr(exc, "orig", None) or exc).splitlines()
            typer.echo(
                _("error: unexpected {kind}: {detail} (run with --debug for the traceback)").format(
                    kind=type(exc).__name__, detail=detail[0][:200] if detail else ""
                ),
                err=True,
            )
            code = EXIT_UNEXPECTED
        if standalone_mode:
            sys.exit(code)
        return code


def _tolerant_streams() -> None:
    """Text that standard output's encoding cannot hold (PYTHONIOENCODING=ascii, a C
    locale) is written escaped (\\u5f20) instead of ending the command with an error."""
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):  # one that cannot change: as it is
                stream.reconfigure(errors="backslashreplace")


def login_name() -> str:
    """Who is acting when neither --as nor COMPLAINTCTL_USER says: the login name, or, for
    a user id the system has no name for (a container, a deleted account), "uid N"."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


MESSAGE_LIMIT = 400


def one_line(text: str) -> str:
    """A message as one short line: control characters (a value's newline, a terminal
    escape, a bidi override) shown escaped, and a very long message (a refused 10 MB
    value) cut short."""
    from complaintctl.escapes import visible

    text = visible(text, lines=False)
    if len(text) > MESSAGE_LIMIT:
        text = f"{text[: MESSAGE_LIMIT - 60]}… [{len(text) - MESSAGE_LIMIT + 60} characters more]"
    return text


# Fields the domain names that a command takes as an argument, not as an option.
_ARGUMENTS = {"file": "FILE", "id": "ID", "text": "TEXT", "case": "CASE"}


def option_name(field: str) -> str:
    """What a command's reader calls a field an error names: the option that sets it
    (`received_at` → --received-at, `order_no` → --order), or the argument."""
    if field in FIELDS_BY_NAME and FIELDS_BY_NAME[field].option:
        return FIELDS_BY_NAME[field].option
    if field in _ARGUMENTS:
        return _ARGUMENTS[field]
    if field.isidentifier() and field.islower():
        return "--" + field.replace("_", "-")
    return field


def _check_arguments(args: list[str]) -> None:
    """Refuse what no option may hold before any command sees it: NUL (no file name, URL
    or database text can carry it) and bytes that are not UTF-8 (Python hands those over
    as lone surrogates, which can be neither stored nor searched for)."""
    for i, arg in enumerate(args, 1):
        if not isinstance(arg, str):
            continue
        if "\x00" in arg:
            raise UsageError(
                _("argument {i} contains a NUL character, which is not allowed").format(i=i)
            )
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(
                _("argument {i} is not valid UTF-8 (check the terminal's character set)").format(
                    i=i
                )
            ) from None


def _storage_error(exc: Exception) -> ComplaintError | None:
    """A database OperationalError (busy, read-only, disk full) raised outside a unit of
    work, as the same one-line refusal the unit of work gives."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.OperationalError):
        from complaintctl.store import storage_error

        return storage_error(str(exc), "file")  # the storage layer's own connection
    if sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError):
        from complaintctl.errors import RegisterDamaged

        return RegisterDamaged(str(exc))  # "database disk image is malformed"
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.DatabaseError) and "malformed" in str(exc):
        from complaintctl.errors import RegisterDamaged

        return RegisterDamaged(str(getattr(exc, "orig", exc)).splitlines()[0])
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
        return None
    from complaintctl import db

    return db.storage_error(exc)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class FileFormat(str, Enum):
    """The file formats export writes and import reads."""

    csv = "csv"
    jsonl = "jsonl"


class Status(str, Enum):
    open = "open"
    ended = "ended"
    all = "all"


@dataclass
class State:
    db: str | None
    config: str | None
    actor: str
    _register: "Register | None" = field(default=None, repr=False)

    def register(self, adds: bool = False) -> "Register":
        """Open the register (settings, database, calendar); `NoRegister` when there is none.

        Only a command that adds cases (`adds`: log, import) creates one, and only the
        per-user default on first use: a register named by --db, $COMPLAINTCTL_DB or the
        config is made by `db init` alone, so a typo is an error, never an empty register.
        """
        if self._register is None:
            from complaintctl.config import load_settings, resolve_db
            from complaintctl.register import Register

            settings = load_settings(self.config)
            url, named = resolve_db(self.db, settings)
            self._register = Register.open(url, settings, create=adds and not named)
        return self._register

    def database_url(self) -> str:
        """The database this run uses (--db, $COMPLAINTCTL_DB, the config, the default)."""
        from complaintctl.config import load_settings, resolve_db_url

        return resolve_db_url(self.db, load_settings(self.config))


def _state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def _now():
    from complaintctl.clock import utc_now

    return utc_now()


def _time(reg: "Register", option: str, text: str | None, now):
    from complaintctl.parse import parse_time

    return parse_time(option, text, reg.settings.tz, now, reg.settings.date_order) if text else None


def _local(reg: "Register", t) -> str:
    from complaintctl.clock import local_text

    return local_text(t, reg.settings.tz)


def _move(ctx: typer.Context, service: str, case: str, at: str | None, **kwargs: Any):
    """Run one case-moving service as the acting user, now, with --at; (register, case)."""
    from complaintctl import services

    st = _state(ctx)
    reg, now = st.register(), _now()
    moved = getattr(services, service)(
        reg, case, now=now, actor=st.actor, at=_time(reg, "--at", at, now), **kwargs
    )
    return reg, moved


def _report(reg: "Register", case, verb: str) -> None:
    """The one-line answer of a command that moved a case."""
    line = _("{number}: {verb}; now at step '{step}'").format(
        number=case.number, verb=verb, step=label("step", case.step)
    )
    if case.on_hold:
        line += _(" (on hold)")
    elif case.step_due_at and case.is_open:
        line += _(", due {time}").format(time=_local(reg, case.step_due_at))
    if case.outcome:
        line += _(" ({outcome})").format(outcome=label("outcome", case.outcome))
    typer.echo(line)


LocaliseOpt = Annotated[
    bool,
    typer.Option(
        "--localise",
        help=_(
            "CSV/JSON: codes (step, channel, severity…) as names in the language of the run; "
            "field names stay English."
        ),
    ),
]


def _case_number(ctx: typer.Context, value: str | None) -> str | None:
    """A CASE argument as the case's number: a bare sequence (`15`) is this year's case,
    and a number that does not exist is refused with the nearest existing ones."""
    if value is None or ctx.resilient_parsing:
        return value
    from complaintctl import queries

    return queries.resolve_number(_state(ctx).register(), value, _now())


CaseArg = Annotated[
    str,
    typer.Argument(
        metavar="CASE",
        help=_("Case number, e.g. C2025-000123, or 123 for this year's."),
        callback=_case_number,
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help=_("When it happened, if not now (office time zone), e.g. '2025-09-30 10:00'."),
    ),
]


# The filters `list` and `export` share.
StatusOpt = Annotated[Status, typer.Option(help=_("open, ended or all."))]
StepOpt = Annotated[
    str | None,
    typer.Option(
        help=_(
            "Only cases at this step (acknowledge, classify, assign, investigate, resolve, "
            "feedback, closed, rejected)."
        )
    ),
]
OwnerOpt = Annotated[str | None, typer.Option(help=_("Only this owner's cases."))]
DepartmentOpt = Annotated[str | None, typer.Option(help=_("Only this department."))]
CategoryOpt = Annotated[str | None, typer.Option(help=_("Only this category code."))]
SeverityOpt = Annotated[Severity | None, typer.Option(help=_("Only this severity."))]
OverdueOpt = Annotated[bool, typer.Option("--overdue", help=_("Only cases past a deadline."))]
FromOpt = Annotated[str | None, typer.Option("--from", help=_("Received on or after DATE."))]
ToOpt = Annotated[str | None, typer.Option("--to", help=_("Received on or before DATE."))]
SearchOpt = Annotated[
    str | None,
    typer.Option(
        help=_(
            "Text in number, summary, description, demand, customer, contact, order, "
            "product or external reference."
        )
    ),
]


def list_filter(
    status: Status,
    step: str | None,
    owner: str | None,
    department: str | None,
    category: str | None,
    severity: Severity | None,
    overdue: bool,
    from_: str | None,
    to: str | None,
    search: str | None,
    date_order: str | None = None,
):
    """The shared filter options as a queries.ListFilter."""
    from complaintctl import queries
    from complaintctl.parse import parse_date

    return queries.ListFilter(
        status=status.value,
        step=step,
        owner=owner,
        department=department,
        category=category,
        severity=severity.value if severity else None,
        overdue=overdue,
        search=search,
        received_from=parse_date("--from", from_, date_order) if from_ else None,
        received_to=parse_date("--to", to, date_order) if to else None,
    )
