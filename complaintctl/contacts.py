"""One customer, one key: a contact reduced to what identifies the person.

`+86 138-1234-5678`, `0086 13812345678`, `(138) 1234 5678` and `13812345678` are one
mobile phone; `010-1234 5678` and `+86 10 1234 5678` one Beijing landline (its trunk 0
kept, as the number is dialled inside China); an e-mail address is compared without case.
The key groups a customer's cases (`warn`'s repeat complainants, the duplicate check of
`log`, the report's repeat cases) and is what `list --search` matches a phone number
against.  Migration 0006 re-keyed the cases stored before this rule.
"""

from __future__ import annotations

import re

_PHONE = re.compile(r"^[\d\s+\-().]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CHINA = "86"


def is_phone(contact: str) -> bool:
    """Whether the contact is written as a phone number (digits, spaces, + - ( ) .)."""
    return bool(_PHONE.match(contact.strip())) and any(c.isdigit() for c in contact)


def contact_key(contact: str) -> str:
    """The key of a contact: a Chinese phone number in its national form (digits only,
    landlines with their trunk 0), any other country's as + and its digits; anything else
    (an e-mail, a WeChat id) lower-cased."""
    contact = contact.strip()
    if not is_phone(contact):
        return contact.lower()
    digits = re.sub(r"\D", "", contact)
    if contact.startswith("+"):
        if not digits.startswith(CHINA):
            return "+" + digits
        return _national(digits[len(CHINA) :])
    if digits.startswith("00"):
        if not digits.startswith("00" + CHINA):
            return "+" + digits[2:]
        return _national(digits[2 + len(CHINA) :])
    if digits.startswith(CHINA) and _MOBILE.match(digits[len(CHINA) :]):
        return digits[len(CHINA) :]  # 8613812345678: a mobile with the country code
    return digits


def _national(number: str) -> str:
    """A Chinese number written after +86: a mobile as it is; a landline gets back the
    trunk 0 it is dialled with at home (+86 10 1234 5678 -> 01012345678); a 400/800
    service number as it is."""
    if _MOBILE.match(number) or number.startswith(("0", "400", "800")) or len(number) < 9:
        return number
    return "0" + number
