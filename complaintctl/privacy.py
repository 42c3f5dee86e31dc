"""Customers' personal data: masking it in exports, and purging it from old closed cases.

`export --redact` masks names and contacts but keeps their shape, so a reader can still
tell cases apart ("张*", "138****5678", "z***@example.com").  `purge` is the retention
policy: the personal fields of cases closed before a date are replaced for good, in the
case and in every entry of its history, their attachments are removed, and the history
is sealed again with a `purge` event that says so.  Statistics do not change: steps,
times, categories, channels, customer type, outcomes and scores are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from complaintctl.db import claim, unit_of_work
from complaintctl.enums import ENDED_STEPS, Action
from complaintctl.errors import InvalidValue
from complaintctl.history import SEALED, event_hash
from complaintctl.messages import N_
from complaintctl.models import Attachment, Case, Event
from complaintctl.parse import day_start
from complaintctl.register import Register

PURGED = "(purged)"
# Fields that are nothing but the customer's personal data: replaced whole.
PERSONAL = ("customer_name", "contact", "contact_key", "description", "demand", "order_no",
            "feedback_comment")  # fmt: skip
# Staff's free text, which may quote the customer: names, phones and e-mails masked out.
FREE_TEXT = ("summary", "hold_reason", "reject_reason", "escalated_to", "plan", "findings",
             "root_cause", "proposal", "resolution_note", "close_reason", "external_ref",
             "product")  # fmt: skip

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone-like: 7 or more digits, maybe spaced or dashed, not part of a longer word (a hash).
_DIGITS = re.compile(r"(?<!\w)\+?\d[\d -]{5,}\d(?!\w)")


# -- masking (export --redact) --------------------------------------------------------------
def mask_name(name: str | None) -> str | None:
    """First character kept, the rest starred: 张三 → 张*, Li Na → L****."""
    if not name:
        return name
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_contact(contact: str | None) -> str | None:
    """An e-mail keeps its first letter and domain; a phone its first 3 and last 4 digits."""
    if not contact:
        return contact
    contact = contact.strip()
    if _EMAIL.fullmatch(contact):
        local, domain = contact.split("@", 1)
        return local[:1] + "***@" + domain
    digits = re.sub(r"\D", "", contact)
    if len(digits) >= 11:  # a mobile number: 138****5678
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:  # a landline: ****5678
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(contact)


def mask_text(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """Free text with e-mails, phone-like numbers and the given names and contacts masked:
    a name in any letter case (ZHOU XIAOMING for Zhou Xiaoming), only where it stands as a
    whole word in Latin letters (the customer Al leaves Alice alone; Chinese has no word
    boundaries, so 王伟 is masked wherever it stands), and a contact handle such as
    weibo:chenjing88 also without its prefix."""
    if not text:
        return text
    for name in sorted(_names(names), key=len, reverse=True):
        contact_like = _EMAIL.fullmatch(name) or len(re.sub(r"\D", "", name)) >= 7
        masked = (mask_contact(name) if contact_like else mask_name(name)) or ""
        text = _whole(name).sub(lambda _m, masked=masked: masked, text)
    text = _EMAIL.sub(lambda m: mask_contact(m.group(0)) or "", text)
    return _DIGITS.sub(lambda m: mask_contact(m.group(0)) or "", text)


def _names(names: tuple[str, ...]) -> set[str]:
    """The names and contacts to mask, and a handle's id without its prefix
    (weibo:chenjing88 → chenjing88)."""
    out = set()
    for n in names:
        n = (n or "").strip()
        if not n:
            continue
        out.add(n)
        prefix, sep, handle = n.partition(":")
        if sep and prefix.isalpha() and len(handle.strip()) >= 3 and not _EMAIL.fullmatch(n):
            out.add(handle.strip())
    return out


def _whole(name: str) -> re.Pattern:
    """`name` in any case, not inside a longer Latin word or number."""
    left = r"(?<![A-Za-z0-9])" if name[0].isascii() and name[0].isalnum() else ""
    right = r"(?![A-Za-z0-9])" if name[-1].isascii() and name[-1].isalnum() else ""
    return re.compile(left + re.escape(name) + right, re.IGNORECASE)


def redact_row(row: dict) -> dict:
    """An export row with the customer's name and contact masked, here and in free text."""
    names = tuple(v for v in (row.get("customer_name"), row.get("contact")) if v)
    return {key: _mask_field(key, value, names) for key, value in row.items()}


def _mask_field(field: str, value: object, names: tuple[str, ...]) -> object:
    if not isinstance(value, str):
        return value
    if field == "customer_name":
        return mask_name(value)
    if field in ("contact", "contact_key"):
        return mask_contact(value)
    if field in PERSONAL or field in FREE_TEXT:
        return mask_text(value, names)
    return value


def redact_event(row: dict, changes: dict, names: tuple[str | None, ...]) -> tuple[dict, dict]:
    """A history row and its {field: [old, new]} with the customer's data masked."""
    known = tuple(n for n in names if n)
    out = dict(row, note=mask_text(row.get("note"), known))
    masked = {
        field: [_mask_field(field, v, known) for v in pair] if isinstance(pair, list) else pair
        for field, pair in changes.items()
    }
    return out, masked


# -- purging (retention) --------------------------------------------------------------------
@dataclass
class Purged:
    cases: int
    events: int
    attachments: int


@dataclass
class _Scrub:
    """How one case's values are purged: its customer's name and contact (to mask in free
    text) and the pseudonym that replaces its contact key."""

    names: tuple[str, ...]
    pseudonym: str

    def value(self, field: str, value: object) -> object:
        if value is None or not isinstance(value, str):
            return value
        if field == "contact_key":
            return self.pseudonym
        if field in PERSONAL:
            return PURGED
        if field in FREE_TEXT:
            return mask_text(value, self.names)
        return value

    def changes(self, changes: str | None) -> str | None:
        if not changes:
            return changes
        data = json.loads(changes)
        for field, pair in data.items():
            if isinstance(pair, list) and len(pair) == 2:
                data[field] = [self.value(field, v) for v in pair]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def purge(
    reg: Register,
    *,
    closed_before: dt.date,
    now: dt.datetime,
    actor: str,
    dry_run: bool = False,
) -> Purged:
    """Anonymise every ended case closed before the office day `closed_before` that still
    holds personal data: one transaction for all of them."""
    cutoff = day_start(closed_before, reg.settings.tz)
    if cutoff > now:
        raise InvalidValue(
            "closed_before",
            N_("{day} is in the future"),
            day=closed_before.isoformat(),
        )
    total = Purged(0, 0, 0)
    ended = [s.value for s in ENDED_STEPS]
    with unit_of_work(reg.engine, write=not dry_run) as session:
        cases = session.scalars(
            sa.select(Case)
            .where(
                Case.step.in_(ended),
                Case.closed_at < cutoff,
                Case.customer_name != PURGED,
            )
            .order_by(Case.id)
        ).all()
        keys = _pseudonyms(
            session, {case.contact_key for case in cases}, cutoff, ended, now, actor, dry_run
        )
        for case in cases:
            total.cases += 1
            scrub = _Scrub(
                tuple(v for v in (case.customer_name, case.contact) if v),
                keys.get(case.contact_key, case.contact_key),
            )
            events = session.scalars(
                sa.select(Event).where(Event.case_id == case.id).order_by(Event.id)
            ).all()
            attachments = session.scalars(
                sa.select(Attachment).where(Attachment.case_id == case.id)
            ).all()
            total.events += len(events)
            total.attachments += len(attachments)
            if dry_run:
                continue
            for field in (*PERSONAL, *FREE_TEXT):
                setattr(case, field, scrub.value(field, getattr(case, field)))
            for a in attachments:
                session.delete(a)
            old_head = events[-1].hash if events else None
            prev = None
            for ev in events:  # the history scrubbed the same way, and sealed again
                ev.changes = scrub.changes(ev.changes)
                if ev.action in (Action.feedback.value, Action.attach.value) and ev.note:
                    # The customer's own words (feedback), the names of removed files.
                    ev.note = PURGED
                else:
                    ev.note = mask_text(ev.note, scrub.names)
                ev.hash = prev = event_hash(prev, _sealed(ev))
            claim(session, case)
            note = (
                f"personal data purged (retention: closed before "
                f"{closed_before.isoformat()}): {', '.join(PERSONAL)} replaced; "
                f"{len(attachments)} attachment(s) removed; names, phones and e-mails masked "
                f"in free text and history; previous seal {old_head or 'none'}"
            )
            session.add(_purge_event(case, prev, note, now, actor))
            session.flush()
    return total


def _pseudonyms(
    session: sa.orm.Session,
    keys: set[str],
    cutoff: dt.datetime,
    ended: list[str],
    now: dt.datetime,
    actor: str,
    dry_run: bool,
) -> dict[str, str]:
    """The contact keys the purge replaces, each by one pseudonym for all its cases
    ("(purged #<the customer's lowest case id>)"), so that 'repeat complainants' and every
    other figure count the same after the purge; it says nothing of who.

    A customer who still has cases the purge keeps keeps the key on the purged ones too
    (the register holds it anyway): replacing it would part those cases from the kept ones
    and change the figures.  When the last of a customer's cases is purged, the cases
    purged before are given the pseudonym as well."""
    if not keys:
        return {}
    cases = Case.__table__.c
    kept = set(
        session.execute(
            sa.select(cases.contact_key)
            .where(cases.contact_key.in_(keys))
            .where(cases.customer_name != PURGED)
            .where(~(cases.step.in_(ended) & (cases.closed_at < cutoff)))
            .distinct()
        ).scalars()
    )
    gone = keys - kept
    if not gone:
        return {}
    first = dict(
        session.execute(
            sa.select(cases.contact_key, sa.func.min(cases.id))
            .where(cases.contact_key.in_(gone))
            .group_by(cases.contact_key)
        ).all()
    )
    pseudonyms = {key: f"{PURGED[:-1]} #{first[key]})" for key in gone}
    if dry_run:
        return pseudonyms
    earlier = session.scalars(
        sa.select(Case).where(Case.contact_key.in_(gone), Case.customer_name == PURGED)
    ).all()
    for case in earlier:  # purged before, kept the key: the key out, here and in the history
        scrub = _Scrub((), pseudonyms[case.contact_key])
        case.contact_key = scrub.pseudonym
        prev = None
        for ev in session.scalars(
            sa.select(Event).where(Event.case_id == case.id).order_by(Event.id)
        ).all():
            ev.changes = scrub.changes(ev.changes)
            ev.hash = prev = event_hash(prev, _sealed(ev))
        claim(session, case)
        note = "contact key replaced by a pseudonym: the customer's last case was purged"
        session.add(_purge_event(case, prev, note, now, actor))
    return pseudonyms


def _purge_event(case: Case, prev: str | None, note: str, now: dt.datetime, actor: str) -> Event:
    """The `purge` entry that closes a case's resealed history (`prev`: its last seal)."""
    event = Event(
        case_id=case.id,
        action=Action.purge.value,
        at=now,
        recorded_at=now,
        actor=actor,
        step_from=case.step,
        step_to=case.step,
        changes=None,
        note=note,
    )
    event.hash = event_hash(prev, _sealed(event))
    return event


def _sealed(ev: Event) -> Mapping[str, object]:
    return {k: getattr(ev, k) for k in SEALED}
