"""Errors the core raises; each carries the exit code the CLI uses for it.

An error keeps its message (an English msgid, the error's code) and the values that fill
it; it is put into words when printed, in the language the edge installed
(complaintctl.messages).  An `InvalidValue` names the field it is about as the domain
calls it (`received_at`, `at`, `step`); the CLI prints the option that sets it instead.
"""

from __future__ import annotations

from collections.abc import Callable

from complaintctl.messages import N_, _


def _words(message: str, values: dict[str, object]) -> str:
    return _(message).format(**values) if values else _(message)


class ComplaintError(Exception):
    """Base of every error a user can cause; the message is one line for stderr."""

    exit_code = 1

    def __init__(self, message: str = "", /, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message)

    def describe(self, name: Callable[[str], str] = str) -> str:
        """The message in the installed language; `name` gives a field the name its
        reader knows it by (the CLI: its option)."""
        return _words(self.message, self.values)

    def __str__(self) -> str:
        return self.describe()

    def __reduce__(self):
        # Pickled as it is (class and attributes), not rebuilt from its arguments: the
        # import's reading process sends its errors to the writing one this way.
        return (_restore, (type(self), self.message, dict(self.__dict__)))


def _restore(cls: type, message: str, state: dict) -> ComplaintError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidValue(ComplaintError):
    """A field was given a value it does not allow (the message names both)."""

    def __init__(self, field: str, message: str, /, **values: object) -> None:
        self.field = field
        super().__init__(message, **values)

    def describe(self, name: Callable[[str], str] = str) -> str:
        return _("{field}: {message}").format(
            field=name(self.field), message=_words(self.message, self.values)
        )


class CaseNotFound(ComplaintError):
    def __init__(self, number: str, near: tuple[str, ...] = ()) -> None:
        self.number = number
        self.near = near
        if near:
            super().__init__(
                N_("case {number} does not exist; did you mean {near}?"),
                number=number,
                near=", ".join(near),
            )
        else:
            super().__init__(N_("case {number} does not exist"), number=number)


class CaseChanged(ComplaintError):
    """Someone else changed the case between this command reading it and writing it."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(
            N_("case {number} changed meanwhile; run the command again"), number=number
        )


class InvalidTransition(ComplaintError):
    """A step was asked for that the case's current step does not allow."""


class ConfigError(ComplaintError):
    """The configuration file is wrong; the message names the key."""

    exit_code = 2


class DatabaseError(ComplaintError):
    """The database cannot be opened or is not one of ours."""

    exit_code = 1


class RegisterDamaged(DatabaseError):
    """The register holds what complaintctl never writes: a damaged page of the file, text
    in a time column, a schema version that is no number.  The command stops before it
    writes anything; `db check` lists the damage."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            N_("the register is damaged ({detail}): run complaintctl db check"), detail=detail
        )


class NoRegister(DatabaseError):
    """There is no register where the run looks (a missing or empty file, a database
    without our tables): 2, like a wrong option, so cron never takes it for an all-clear."""

    exit_code = 2

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            N_("no register at {path} (create one with: complaintctl db init)"), path=where
        )
