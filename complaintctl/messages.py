"""Text for people, as the domain writes it: English messages marked for the catalog.

The domain never chooses a language.  It writes `_("English message")` and gets it back in
the language the edge installed (`install()`, called by complaintctl.i18n when the command
line chooses the language); until then, and in any program that never installs one, the
English message itself.  Errors keep their message and values and are put into words only
when printed (complaintctl.errors), so the edge decides there too.

Codes in the data (steps, channels, severities…) stay English; `label()` gives the names
people read for them.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "zh")

_gettext: Callable[[str], str] = str
_language = "en"


def normalise(value: str) -> str | None:
    """'zh', 'zh_CN', 'zh-CN.UTF-8', 'en_US' … → 'zh' / 'en'; None for anything else."""
    base = value.strip().split(".")[0].replace("-", "_").lower()
    if base.startswith("zh"):
        return "zh"
    if base in ("en", "c", "posix") or base.startswith("en_"):
        return "en"
    return None


def install(gettext: Callable[[str], str], language: str) -> None:
    """Put messages into `language` from now on, looking each one up with `gettext`."""
    global _gettext, _language
    _gettext, _language = gettext, language


def language() -> str:
    """The language messages are put into ('en' until the edge installs another)."""
    return _language


def _(message: str) -> str:
    """`message` in the installed language."""
    return _gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it (gettext's idiom)."""
    return message


def label(kind: str, code: str | None) -> str:
    """The name people read for a code (a step, channel, severity, outcome, …): the code
    itself in English, its catalog name ("kind:code") in Chinese."""
    if code is None or code == "":
        return ""
    if _language == "en":
        return code
    key = f"{kind}:{code}"
    text = _gettext(key)
    return code if text == key else text


def join(items: list[str] | tuple[str, ...]) -> str:
    """A list in a sentence: "a, b" (Chinese: "a、b")."""
    return ("、" if _language == "zh" else ", ").join(items)
