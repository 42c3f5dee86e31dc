"""Where complaintctl keeps its files when nothing else says (per user, by platformdirs).

A module of its own, standard library and platformdirs only: the language is chosen from
the config before the command line is parsed, and must not import the settings for it."""

from __future__ import annotations

from pathlib import Path


def default_config_path() -> Path:
    """Where the config lives when neither --config nor COMPLAINTCTL_CONFIG says."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("complaintctl")) / "complaintctl.toml"


def default_db_path() -> Path:
    """The per-user database file used when nothing else names one."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("complaintctl")) / "complaintctl.db"
