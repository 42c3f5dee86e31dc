"""Text from the register as a person is shown it: nothing in it may act on the reader's
terminal or reorder what they read.

A summary, an owner or a customer's name is typed by someone else and may hold control
characters (ESC ] 0;title BEL retitles a terminal, ESC [2J clears it), Unicode's bidi
overrides (U+202E shows the rest of the line backwards) or its line and paragraph
separators (U+2028 breaks a line a log reader thinks is one).  Every human-facing line —
tables, the `warn` digest and its mail, the report (text and HTML), error messages — goes
through `visible()`, which writes each of those as its escape (\\x1b, \\u202e).  JSON and
CSV keep the text exactly as stored: they are for programs.
"""

from __future__ import annotations

# C0 and C1 controls and DEL; the bidi embeddings, overrides, isolates and marks; the
# line and paragraph separators; the byte-order mark in the middle of a text.
_HIDDEN = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
_HIDDEN += [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_HIDDEN += [0x2028, 0x2029, 0xFEFF]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# One line: every one of them escaped (\n and \t too).
ONE_LINE = {c: _escape(c) for c in _HIDDEN} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
# A block of text (a table cell, a note): its line breaks and tabs kept.
LINES = {c: v for c, v in ONE_LINE.items() if c not in (ord("\n"), ord("\t"))}


def visible(text: str, *, lines: bool = True) -> str:
    """`text` with everything that could act on a terminal or reorder a line escaped;
    `lines`: keep line breaks and tabs (a multi-line note), else escape them too."""
    return text.translate(LINES if lines else ONE_LINE)
