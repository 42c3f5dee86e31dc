"""A case's rules, apart from how it is stored: the checks and moves every case takes.

`CaseRules` adapts a case's columns (its attributes) to complaintctl.workflow, which
decides; the SQLModel table `models.Case` and the storage layer's plain `CaseRecord`
both take their rules from here, so a live command works the same through either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from complaintctl import workflow
from complaintctl.enums import Action, Step
from complaintctl.errors import InvalidTransition
from complaintctl.messages import N_, _, join, label
from complaintctl.schema import TABLES
from complaintctl.workflow import Clock, Shift, allowed_actions, refusal

COLUMNS = tuple(TABLES["cases"])


class CaseRules:
    """The state machine of a case (complaintctl.workflow decides; this adapts a row)."""

    @property
    def is_open(self) -> bool:
        return self.step not in (Step.closed.value, Step.rejected.value)

    def check(self, action: Action) -> None:
        """Refuse `action` unless the workflow allows it now (from this step, on hold or not)."""
        refused = refusal(self.step, self.on_hold, action)
        if refused is None:
            return
        step = Step(self.step)
        if refused == "step":
            nxt = allowed_actions(step)
            raise InvalidTransition(
                N_("case {number} is at step '{step}'; {action} is not allowed now (next: {next})"),
                number=self.number,
                step=label("step", step.value),
                action=label("action", action.value),
                next=join([label("action", a) for a in nxt]) if nxt else _("nothing, it has ended"),
            )
        if refused == "on_hold":
            raise InvalidTransition(
                N_("case {number} is on hold at step '{step}' ({reason}); run resume first"),
                number=self.number,
                step=label("step", step.value),
                reason=self.hold_reason,
            )
        if refused == "already_on_hold":
            raise InvalidTransition(N_("case {number} is already on hold"), number=self.number)
        raise InvalidTransition(N_("case {number} is not on hold"), number=self.number)

    def start(self, at: dt.datetime, clock: Clock) -> None:
        """A newly logged case: waiting for acknowledgement, its clock run from receipt."""
        self._take(Action.log, self.received_at, clock, {})

    def apply(
        self,
        action: Action,
        at: dt.datetime,
        clock: Clock,
        *,
        satisfied: bool | None = None,
        shift: Shift | None = None,
        **fields: object,
    ) -> None:
        """Take `action` at `at`: check it, then set its fields and every status, time and
        deadline column that goes with them (`workflow.apply`), so no caller ever has to.

        `fields` are the action's own values (category, owner, score, ...); `satisfied` is
        feedback's verdict, `shift` what moves a resumed step's deadline.
        """
        self.check(action)
        for name in fields:
            if not hasattr(self, name):
                raise AttributeError(name)
        self._take(action, at, clock, fields, satisfied, shift)

    def _take(
        self,
        action: Action,
        at: dt.datetime,
        clock: Clock,
        fields: dict,
        satisfied: bool | None = None,
        shift: Shift | None = None,
    ) -> None:
        state = {name: getattr(self, name) for name in workflow.COLUMNS}
        changes = workflow.apply(state, action, at, clock, fields, satisfied=satisfied, shift=shift)
        for name, value in changes.items():
            setattr(self, name, value)


class CaseRecord(CaseRules):
    """A case as the storage layer reads it: every column an attribute, as on the model."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)

    def values(self) -> dict[str, Any]:
        """Every column and its value."""
        return {name: self.__dict__.get(name) for name in COLUMNS}
