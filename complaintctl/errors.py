"""Errors the core raises; each carries the exit code the CLI uses for it."""

from complaintctl.messages import _


class ComplaintError(Exception):
    """Base of every error a user can cause; the message is one line for stderr."""

    exit_code = 1

    def __reduce__(self):
        # Pickled as it is (message, class, attributes), not rebuilt from its arguments:
        # the import's reading process sends its errors to the writing one this way.
        return (_restore, (type(self), str(self), dict(self.__dict__)))


def _restore(cls: type, message: str, state: dict) -> "ComplaintError":
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidValue(ComplaintError):
    """A field was given a value it does not allow (the message names both)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(_("{field}: {message}").format(field=field, message=message))


class CaseNotFound(ComplaintError):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(_("case {number} does not exist").format(number=number))


class CaseChanged(ComplaintError):
    """Someone else changed the case between this command reading it and writing it."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(
            _("case {number} changed meanwhile; run the command again").format(number=number)
        )


class InvalidTransition(ComplaintError):
    """A step was asked for that the case's current step does not allow."""


class ConfigError(ComplaintError):
    """The configuration file is wrong; the message names the key."""

    exit_code = 2


class DatabaseError(ComplaintError):
    """The database cannot be opened or is not one of ours."""

    exit_code = 1


class NoRegister(DatabaseError):
    """There is no register where the run looks (a missing or empty file, a database
    without our tables): 2, like a wrong option, so cron never takes it for an all-clear."""

    exit_code = 2

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            _("no register at {path} (create one with: complaintctl db init)").format(path=where)
        )
