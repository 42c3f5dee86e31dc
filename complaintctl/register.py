"""The open register handed to every service and query: database, settings, calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

from complaintctl.clock import WorkCalendar
from complaintctl.config import Settings


@dataclass
class Register:
    engine: sa.Engine
    settings: Settings

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
