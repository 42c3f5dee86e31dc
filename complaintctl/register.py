"""The open register handed to every service and query: database, settings, calendar."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING

from complaintctl.clock import WorkCalendar
from complaintctl.config import Settings
from complaintctl.store import sqlite_path

if TYPE_CHECKING:
    import sqlalchemy as sa

    from complaintctl.store import EngineStore, Store


class Register:
    """A register and its office: `store` runs SQL through the thin storage layer (on a
    SQLite file without loading SQLAlchemy), `engine` is the SQLAlchemy engine the ORM
    services use, opened on first use."""

    def __init__(
        self,
        engine: sa.Engine | None,
        settings: Settings,
        *,
        url: str | None = None,
        store: Store | EngineStore | None = None,
    ) -> None:
        self._engine = engine
        self.settings = settings
        # None: only the settings and the calendar (a register with no database).
        self.url = url or (engine.url.render_as_string(hide_password=False) if engine else None)
        self._store = store

    @classmethod
    def open(cls, url: str, settings: Settings, create: bool = False) -> Register:
        """Open the register at `url` (`NoRegister` when there is none; with `create`, make
        it first).  A SQLite file is opened by the storage layer alone."""
        path = sqlite_path(url)
        if path is not None and not create:
            from complaintctl.store import open_sqlite

            return cls(None, settings, url=url, store=open_sqlite(path))
        from complaintctl.db import open_db

        return cls(open_db(url, create=create), settings, url=url)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            if self.url is None:
                raise ValueError("this register has no database")
            from complaintctl.db import open_db

            self._engine = open_db(self.url)
        return self._engine

    @property
    def store(self) -> Store | EngineStore:
        if self._store is None:
            path = sqlite_path(self.url or "")
            if path is not None:
                from complaintctl.store import open_sqlite

                self._store = open_sqlite(path)
            else:
                from complaintctl.store import EngineStore

                self._store = EngineStore(self.engine)
        return self._store

    def close(self) -> None:
        """Let go of the database (the storage layer's connection, the engine's pool)."""
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._engine is not None:
            self._engine.dispose()

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The office calendar, built on first use: commands that only read stored
        deadlines (show, list, export) never load the holidays package."""
        return WorkCalendar.from_settings(self.settings)

    def clock(self, name: str, start: dt.datetime) -> dt.datetime | None:
        """The deadline of clock `name` (a step, 'escalate' or 'plan') started at `start`."""
        duration = self.settings.clocks.get(name)
        return self.calendar.add(start, duration) if duration else None

    def shift(
        self, name: str, due: dt.datetime, paused_from: dt.datetime, paused_to: dt.datetime
    ) -> dt.datetime:
        """The deadline `due` of clock `name`, moved by the time it was paused (a hold)."""
        duration = self.settings.clocks.get(name)
        if duration is None:
            return due
        return self.calendar.extend(due, duration, paused_from, paused_to)
