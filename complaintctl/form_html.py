"""A case as a paper form to print: the registration form the customer confirms
(客户投诉登记表, seed 004 第8条) or the feedback form the customer fills in within the
feedback window (投诉反馈表, seed 000 §3.2.5).

One self-contained HTML page: the styles are inside it, it fetches nothing (a
Content-Security-Policy forbids any fetch) and runs no script.  Its print styles lay it out
on one A4 sheet whatever the case holds: long free text is shortened here (and said so at
the foot of the page) and, as a last guard, clipped by the sheet's fixed height, so the
signature lines always stay on the page.

It takes its words from complaintctl.messages, in the language the command line chose.
Every value is HTML-escaped and passed through `escapes.visible` first: a customer's name
or a summary typed by someone else cannot add markup or reorder what the reader sees.
The case comes from `queries.case_detail` (what `show --format json` prints).
"""

from __future__ import annotations

import datetime as dt
import html

from complaintctl.config import Settings
from complaintctl.escapes import visible
from complaintctl.fields import BY_NAME as FIELDS
from complaintctl.htmlpage import HEAD
from complaintctl.messages import N_, _, language
from complaintctl.messages import label as code_label

# The page's language, as its <html lang> declares it.
HTML_LANG = {"en": "en", "zh": "zh-CN"}
CSP = "default-src 'none'; style-src 'unsafe-inline'"

# The forms' own names, as the customer's procedures name them (seed 004 第8条, seed 000
# §3.2.5): names of documents, fixed per language rather than messages to translate.
TITLES = {
    "registration": {"en": "Customer complaint registration form", "zh": "客户投诉登记表"},
    "feedback": {"en": "Complaint feedback form", "zh": "投诉反馈表"},
}

# Every other word of the forms that is not a field's own label (fields.py has those).
LABELS: dict[str, str] = {
    "case_number": N_("Case number"),
    "ack_due": N_("Acknowledge by"),
    "reply_due": N_("Please reply by"),
    "recorded_by": N_("Recorded by"),
    "complaint": N_("The complaint"),
    "done": N_("What was done"),
    "resolved_at": N_("Resolved"),
    "confirm": N_("I confirm that the complaint above is recorded as I made it."),
    "signature": N_("Customer's signature"),
    "date": N_("Date"),
    "score": N_("Satisfaction score"),
    "score_hint": N_("Tick one box: 1 very dissatisfied, 5 very satisfied."),
    "comments": N_("Comments"),
    "shortened": N_(
        "Long text is shortened to fit one page (…); the full text: complaintctl show {number}"
    ),
    "printed": N_("Printed {at}"),
}

# How much of each free text the page shows (characters; the rest is cut at "…").  With the
# styles' own limits these keep a 2,000-character Chinese description on one sheet.
LIMITS = {
    "customer_name": 80,
    "contact": 80,
    "summary": 160,
    "description": 600,
    "demand": 180,
    "order_no": 60,
    "product": 80,
    "findings": 400,
    "remedy": 80,
    "resolution_note": 400,
    "office": 80,
    "logo": 12,
}
COMMENT_LINES = 5
SCORES = (1, 2, 3, 4, 5)


def label(key: str, **values: object) -> str:
    """A word or sentence of the forms, in the language of this run."""
    text = _(LABELS[key])
    return text.format(**values) if values else text


def field_label(name: str) -> str:
    """A case field's name as people read it (fields.py)."""
    return _(FIELDS[name].label)


class _Text:
    """Escapes values for the page and remembers whether any had to be shortened."""

    def __init__(self) -> None:
        self.shortened = False

    def __call__(self, value: object, limit: str | None = None, *, lines: bool = False) -> str:
        if value is None:
            return ""
        text = when(value) if isinstance(value, dt.datetime) else str(value)
        text = visible(text.strip(), lines=lines)
        most = LIMITS.get(limit or "", 0)
        if most and len(text) > most:
            text = text[:most].rstrip() + "…"
            self.shortened = True
        return html.escape(text)


def when(value: object) -> str:
    """A time as the forms show it: 2025-09-29 09:15 (office time, as case_detail gives)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _due(detail: dict, step: str) -> object:
    return ((detail.get("deadlines") or {}).get(step) or {}).get("due")


def _done(detail: dict, step: str) -> object:
    return ((detail.get("deadlines") or {}).get(step) or {}).get("done")


def page(detail: dict, settings: Settings, *, feedback: bool, now: object) -> str:
    """The case `detail` (queries.case_detail) as one printable HTML page: the registration
    form, or the feedback form with `feedback`.  `now`: the print time, in office time."""
    esc = _Text()
    number = esc(detail["number"])
    kind = "feedback" if feedback else "registration"
    title = html.escape(TITLES[kind].get(language(), TITLES[kind]["en"]))
    body = _feedback(detail, esc) if feedback else _registration(detail, esc)
    office = esc(getattr(settings, "office_name", None), "office")
    logo = esc(getattr(settings, "office_logo_text", None), "logo")
    due_key, due = ("reply_due", _due(detail, "feedback")) if feedback else (
        "ack_due", _due(detail, "acknowledge"))  # fmt: skip
    foot = [html.escape(label("printed", at=when(now)))]
    if esc.shortened:
        foot.insert(0, html.escape(label("shortened", number=visible(str(detail["number"])))))
    parts = [
        HEAD.format(
            lang=HTML_LANG.get(language(), "en"), csp=CSP, title=f"{title} {number}", css=_CSS
        ),
        f'<div class="sheet {kind}">',
        '<header class="top">',
        f'<div class="logo">{logo}</div>' if logo else "",
        f'<div class="office">{office}</div>' if office else '<div class="office"></div>',
        "</header>",
        f"<h1>{title}</h1>",
        f'<table class="ids">{_COLS}<tr>',
        f'<th>{html.escape(label("case_number"))}</th><td class="number">{number}</td>',
        f"<th>{html.escape(label(due_key))}</th>",
        f'<td class="due">{esc(when(due)) if due else _blank()}</td>',
        "</tr></table>",
        body,
        f"<footer>{'<br>'.join(foot)}</footer>",
        "</div>",
        "</body>\n</html>\n",
    ]
    return "\n".join(p for p in parts if p)


# Four columns: a label, a value, a label, a value.
_COLS = '<colgroup><col class="l"><col><col class="l"><col></colgroup>'


def _blank() -> str:
    return '<span class="blank"></span>'


def _row(name: str, value: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr{attr}><th>{html.escape(field_label(name))}</th><td>{value}</td></tr>"


def _pair(a: tuple[str, str], b: tuple[str, str]) -> str:
    return (
        f"<tr><th>{html.escape(field_label(a[0]))}</th><td>{a[1]}</td>"
        f"<th>{html.escape(field_label(b[0]))}</th><td>{b[1]}</td></tr>"
    )


def _long(name: str, value: str, cls: str) -> str:
    """A free-text field: its label, then its text in a box the styles keep to a height."""
    return (
        f'<tr class="long {cls}"><th>{html.escape(field_label(name))}</th>'
        f'<td colspan="3"><div class="text">{value}</div></td></tr>'
    )


def _who(detail: dict, esc: _Text) -> list[str]:
    """The customer's lines, on both forms."""
    return [
        _pair(
            ("customer_name", esc(detail.get("customer_name"), "customer_name")),
            ("customer_type", esc(code_label("customer_type", detail.get("customer_type")))),
        ),
        _pair(
            ("contact", esc(detail.get("contact"), "contact")),
            ("channel", esc(code_label("channel", detail.get("channel")))),
        ),
        _pair(
            ("received_at", esc(detail.get("received_at"))),
            ("order_no", esc(detail.get("order_no"), "order_no")),
        ),
    ]


def _signature(confirm: bool) -> str:
    lines = [f'<p class="confirm">{html.escape(label("confirm"))}</p>'] if confirm else []
    lines += [
        '<table class="sign"><tr>',
        f'<th>{html.escape(label("signature"))}</th><td class="line"></td>',
        f'<th>{html.escape(label("date"))}</th><td class="line date"></td>',
        "</tr></table>",
    ]
    return '<section class="signature">' + "\n".join(lines) + "</section>"


def _registration(detail: dict, esc: _Text) -> str:
    amount = detail.get("amount_claimed")
    rows = [
        *_who(detail, esc),
        _pair(
            ("product", esc(detail.get("product"), "product")),
            ("amount_claimed", esc(amount) if amount is not None else ""),
        ),
        _long("summary", esc(detail.get("summary"), "summary", lines=True), "summary"),
        _long(
            "description", esc(detail.get("description"), "description", lines=True), "description"
        ),
        _long("demand", esc(detail.get("demand"), "demand", lines=True), "demand"),
    ]
    recorded = (
        f'<p class="recorded">{html.escape(label("recorded_by"))}: '
        f"{esc(detail.get('logged_by'), 'customer_name')} · {esc(detail.get('logged_at'))}</p>"
    )
    return "\n".join(
        [
            '<main class="body">',
            f'<table class="fields">{_COLS}{"".join(rows)}</table>',
            recorded,
            "</main>",
            _signature(confirm=True),
        ]
    )


def _feedback(detail: dict, esc: _Text) -> str:
    remedy = code_label("remedy", detail.get("remedy"))
    if detail.get("remedy_amount") is not None:
        remedy = f"{remedy} ({detail['remedy_amount']})" if remedy else str(detail["remedy_amount"])
    complaint = [
        *_who(detail, esc),
        _long("summary", esc(detail.get("summary"), "summary", lines=True), "summary"),
    ]
    done = [
        _long("findings", esc(detail.get("findings"), "findings", lines=True), "findings"),
        f"<tr><th>{html.escape(field_label('remedy'))}</th><td>{esc(remedy, 'remedy')}</td>"
        f"<th>{html.escape(label('resolved_at'))}</th>"
        f"<td>{esc(_done(detail, 'resolve'))}</td></tr>",
        _long(
            "resolution_note",
            esc(detail.get("resolution_note"), "resolution_note", lines=True),
            "note",
        ),
    ]
    # The score the customer gave, once the case is closed on it; while the case waits for
    # feedback (again, after a reopening) the boxes are blank for the customer to tick.
    score = detail.get("feedback_score") if detail.get("step") == "closed" else None
    boxes = "".join(
        f'<span class="score"><span class="box{" ticked" if score == n else ""}">'
        f"{'✓' if score == n else ''}</span> {n}</span>"
        for n in SCORES
    )
    comment_lines = '<div class="rule"></div>' * COMMENT_LINES
    return "\n".join(
        [
            '<main class="body">',
            f"<h2>{html.escape(label('complaint'))}</h2>",
            f'<table class="fields">{_COLS}{"".join(complaint)}</table>',
            f"<h2>{html.escape(label('done'))}</h2>",
            f'<table class="fields">{_COLS}{"".join(done)}</table>',
            "</main>",
            '<section class="answer">',
            f"<h2>{html.escape(label('score'))}</h2>",
            f'<p class="scores">{boxes}</p>',
            f'<p class="hint">{html.escape(label("score_hint"))}</p>',
            f"<h2>{html.escape(label('comments'))}</h2>",
            f'<div class="comments">{comment_lines}</div>',
            "</section>",
            _signature(confirm=False),
        ]
    )


# One A4 sheet: 297 mm less two 12 mm margins leaves 273 mm; the sheet is a little shorter
# and clips what would not fit, so a printer never starts a second page.  Inside it the
# complaint's text gives way (flex: 1, clipped) and the signature lines keep their place.
_CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html { background: #e2e8f0; }
body { margin: 0; color: #111; font: 10pt/1.4 "DejaVu Sans", "Noto Sans", "Helvetica Neue",
  Arial, "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; }
.sheet { width: 186mm; height: 270mm; overflow: hidden; display: flex;
  flex-direction: column; background: #fff; margin: 8mm auto; padding: 0; }
@media screen { .sheet { padding: 6mm; width: 198mm; height: 282mm;
  box-shadow: 0 1px 6px rgba(0,0,0,.25); } }
@media print { html { background: #fff; } .sheet { margin: 0; } }
header.top { display: flex; align-items: center; gap: 4mm; min-height: 12mm;
  border-bottom: 0.6mm solid #111; padding-bottom: 2mm; flex: none; }
.logo { border: 0.5mm solid #111; padding: 1mm 3mm; font-weight: bold; font-size: 14pt;
  white-space: nowrap; overflow: hidden; max-width: 60mm; }
.office { font-size: 13pt; font-weight: bold; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; flex: 1; }
h1 { font-size: 17pt; text-align: center; margin: 4mm 0 3mm; letter-spacing: 0.1em;
  flex: none; }
h2 { font-size: 11pt; margin: 3mm 0 1.5mm; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 0.3mm solid #444; padding: 1.2mm 2mm; vertical-align: top;
  text-align: left; overflow-wrap: anywhere; word-break: break-word; }
th { background: #f1f5f9; font-weight: normal; white-space: normal; }
col.l { width: 28mm; }
table.ids { flex: none; margin-bottom: 3mm; }
table.ids td { font-weight: bold; font-size: 11pt; }
main.body { flex: 1 1 auto; min-height: 0; overflow: hidden; }
.text { white-space: pre-wrap; overflow: hidden; display: -webkit-box;
  -webkit-box-orient: vertical; }
tr.summary .text { -webkit-line-clamp: 3; max-height: 4.2em; }
tr.description .text { min-height: 4.2em; -webkit-line-clamp: 14; max-height: 19.6em; }
tr.demand .text { min-height: 2.8em; -webkit-line-clamp: 4; max-height: 5.6em; }
tr.findings .text, tr.note .text { -webkit-line-clamp: 7; max-height: 9.8em; }
p.recorded { color: #444; font-size: 8.5pt; margin: 1.5mm 0 0; }
section.answer { flex: none; }
p.scores { margin: 1mm 0; display: flex; gap: 10mm; font-size: 12pt; }
.score { white-space: nowrap; }
.box { display: inline-block; width: 6mm; height: 6mm; border: 0.4mm solid #111;
  vertical-align: middle; text-align: center; line-height: 5.5mm; font-size: 10pt; }
p.hint { margin: 0 0 1mm; color: #444; font-size: 8.5pt; }
.comments .rule { height: 8mm; border-bottom: 0.3mm solid #666; }
section.signature { flex: none; margin-top: 4mm; }
p.confirm { margin: 0 0 3mm; }
table.sign { table-layout: auto; }
table.sign th, table.sign td { border: none; background: none; padding: 0 2mm 0 0;
  vertical-align: bottom; }
table.sign th { width: auto; white-space: nowrap; }
table.sign td.line { border-bottom: 0.3mm solid #111; height: 10mm; width: 70mm; }
table.sign td.date { width: 40mm; }
.blank { display: inline-block; width: 40mm; border-bottom: 0.3mm solid #111;
  height: 1em; }
footer { flex: none; margin-top: 3mm; font-size: 7.5pt; color: #555; }
"""
