"""complaintctl: a command-line complaint register for small offices."""

__version__ = "0.1.0"
