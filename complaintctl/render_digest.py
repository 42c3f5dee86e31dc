"""The `warn` digest as plain text (cron, the mail's text part), HTML (the mail), Rich
tables (a terminal), and flat rows for CSV.  Formatting only.

People read it in the language of the run; the JSON and the CSV keep their values English
(they are an interface): the functions that make words take `tr`, `_` for people and `N_`
(which leaves a message as it is) for machines."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import fields, replace
from functools import reduce
from typing import TYPE_CHECKING

from complaintctl.config import parse_duration
from complaintctl.digest import UNASSIGNED, Digest, amount_words, late_words
from complaintctl.escapes import visible
from complaintctl.i18n import N_, _, current, label
from complaintctl.render import fmt

if TYPE_CHECKING:
    from rich.console import Group

Translate = Callable[[str], str]

DIGEST_FIELDS = (
    "section",
    "group",
    "number",
    "step",
    "owner",
    "department",
    "severity",
    "category",
    "customer_name",
    "summary",
    "due_at",
    "late",
    "hours_late",
    "detail",
)
_SECTIONS = (
    ("severity_a", N_("Severity A: escalation or plan missing")),
    ("ready_to_close", N_("Feedback window ended: ready to close")),
    ("waiting", N_("Waiting to be classified or assigned")),
    ("hold_ended", N_("Hold ended: resume or hold again")),
    ("on_hold", N_("On hold")),
    ("repeat_complainants", N_("Repeat complainants")),
    ("category_spikes", N_("Category spikes this week")),
)
_NOTHING = N_("Nothing overdue, nothing due soon, no warnings.")


def _within(d: Digest, tr: Translate = _) -> str:
    """The due-soon span in the words the items use: '1 working day', '4 h'."""
    span = parse_duration(d.within, "--within")
    if span is None:
        return d.within
    return amount_words(span.amount, span.unit, tr)


def _join(items: list[str], tr: Translate = _) -> str:
    """'a, b, c' (Chinese: 'a、b、c')."""
    if not items:
        return ""
    return reduce(lambda a, b: tr(N_("{first}, {second}")).format(first=a, second=b), items)


def _pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    from rich.cells import cell_len  # Rich only for what prints text, never for JSON or CSV

    return text + " " * max(0, width - cell_len(text))


def _weekday(d: Digest) -> str:
    return label("weekday", f"{d.at:%a}")


def headline(d: Digest, tr: Translate = _) -> str:
    return tr(N_("{overdue} overdue, {due_soon} due within {within} (before {horizon})")).format(
        overdue=len(d.overdue),
        due_soon=len(d.due_soon),
        within=_within(d, tr),
        horizon=fmt(d.horizon),
    )


def subject(d: Digest) -> str:
    """The mail's subject."""
    return _("complaintctl: {headline} - {date}").format(
        headline=headline(d), date=f"{d.at:%Y-%m-%d}"
    )


def _group(d: Digest, group: str) -> str:
    """An owner as named; a department by its Chinese name in Chinese."""
    if group == UNASSIGNED:
        return _(UNASSIGNED)
    if d.by == "department" and current() == "zh":
        return d.department_names_zh.get(group, group)
    return group


def _category(d: Digest, code: str) -> str:
    if current() == "zh":
        return d.category_names_zh.get(code, code)
    return code


def _late(d: Digest, item: dict) -> str:
    """How late the case is, in this run's language."""
    late = d.lateness.get(item["number"])
    return late_words(late) if late is not None else item["late"]


def _detail(d: Digest, section: str, item: dict, tr: Translate = _) -> str:
    if section == "severity_a":
        missing = d.missing.get(item["number"])
        return _join([tr(m) for m in missing], tr) if missing is not None else item["problem"]
    if section == "ready_to_close":
        return tr(N_("window ended {time}")).format(time=fmt(item["window_ended"]))
    if section in ("waiting", "on_hold", "hold_ended"):
        length = d.waited.get(item["number"])
        amount = (
            amount_words(length.amount, length.unit, tr)
            if length is not None
            else item["waiting" if section == "waiting" else "held"]
        )
        if section == "waiting":
            return tr(N_("at {step} for {amount}, since {time}")).format(
                step=label("step", item["step"]) if tr is _ else item["step"],
                amount=amount,
                time=fmt(item["since"]),
            )
        words = tr(N_("on hold for {amount}, since {time}: {reason}")).format(
            amount=amount, time=fmt(item["since"]), reason=item["hold_reason"] or ""
        )
        if item.get("until"):
            words += tr(N_(" (until {day})")).format(day=f"{item['until']:%Y-%m-%d}")
        return words
    if section == "repeat_complainants":
        earlier = item["earlier"]
        if item.get("earlier_count", len(earlier)) <= len(earlier):
            return tr(N_("{customer} <{contact}>, earlier: {earlier}")).format(
                customer=item["customer_name"],
                contact=item["contact"],
                earlier=_join(earlier, tr),
            )
        # Thousands of earlier cases (one contact for a whole import): counted, not listed.
        return tr(
            N_("{customer} <{contact}>, {count} earlier cases since {first}, latest: {earlier}")
        ).format(
            customer=item["customer_name"],
            contact=item["contact"],
            count=item["earlier_count"],
            first=item["first_earlier"],
            earlier=_join(earlier, tr),
        )
    if section == "category_spikes":
        return tr(N_("{count} this week ({week}), trailing {weeks}-week mean {mean}")).format(
            count=item["this_week"],
            week=item["week"],
            weeks=item["weeks"],
            mean=item["trailing_mean"],
        )
    return ""


def _subject_of(d: Digest, item: dict) -> str:
    """What an early-warning line is about: a case number, or a category."""
    return item.get("number") or _category(d, item.get("category"))


def _clock(item: dict) -> str:
    """What a late or due item waits on: its step, or a severity-A clock (escalate, plan)
    by that clock's name."""
    clock = item.get("clock")
    if clock in ("escalate", "plan"):
        return label("action", clock)
    return label("step", item["step"])


def _line(d: Digest, item: dict) -> str:
    sev = f"[{label('severity', item['severity'])}] " if item.get("severity") else ""
    return "  " + _("{number}  {step}  {late}  due {due}  {severity}{summary} ({customer})").format(
        number=item["number"],
        step=_pad(_clock(item), 11),
        late=_pad(_late(d, item), 22),
        due=fmt(item["due_at"]),
        severity=sev,
        summary=item["summary"],
        customer=item["customer_name"],
    )


def _headings(d: Digest) -> tuple[str, ...]:
    """The columns of the overdue / due-soon tables (HTML and terminal alike)."""
    return (
        _("Owner") if d.by == "owner" else _("Department"),
        _("Case"),
        _("Step"),
        _("Late"),
        _("Due"),
        _("Sev."),
        _("Summary"),
        _("Customer"),
    )


def _cells(d: Digest, item: dict) -> tuple[str, ...]:
    """One case's cells under `_headings`."""
    return (
        _group(d, item["group"]),
        item["number"],
        _clock(item),
        _late(d, item),
        fmt(item["due_at"]),
        label("severity", item.get("severity")),
        item["summary"],
        item["customer_name"],
    )


def _lists(d: Digest) -> tuple[tuple[str, list[dict]], ...]:
    """The overdue and the due-soon list, each with its title."""
    return (
        (_("Overdue"), d.overdue),
        (_("Due within {within}").format(within=_within(d)), d.due_soon),
    )


def _nothing(d: Digest) -> bool:
    return not (d.overdue or d.due_soon or any(getattr(d, k) for k, _t in _SECTIONS))


def shown(d: Digest) -> Digest:
    """The digest with its items' texts as a person is shown them: nothing in a summary
    or a name acts on a terminal or reorders a line (complaintctl.escapes).  The JSON and
    CSV forms keep them as stored."""
    sections = {
        f.name: [
            {k: visible(v, lines=False) if isinstance(v, str) else v for k, v in item.items()}
            for item in getattr(d, f.name)
        ]
        for f in fields(d)
        if isinstance(getattr(d, f.name), list)
    }
    return replace(d, **sections)


def digest_text(d: Digest) -> str:
    """The digest as plain text: no colour, no box drawing (cron mails it as it is)."""
    d = shown(d)
    out = [
        _("complaintctl warn — {weekday} {time} ({zone})").format(
            weekday=_weekday(d), time=f"{d.at:%Y-%m-%d %H:%M}", zone=d.at.tzname()
        ),
        headline(d),
    ]
    by = label("breakdown", d.by)
    for title, rows in (
        (_("OVERDUE (by {by})").format(by=by), d.overdue),
        (_("DUE WITHIN {within} (by {by})").format(within=_within(d), by=by), d.due_soon),
    ):
        if not rows:
            continue
        out += ["", title]
        group = None
        for item in rows:
            if item["group"] != group:
                group = item["group"]
                out.append(_group(d, group))
            out.append(_line(d, item))
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            out += ["", _(title).upper()]
            for item in items:
                out.append(f"  {_subject_of(d, item)}  {_detail(d, key, item)}")
    if _nothing(d):
        out += ["", _(_NOTHING)]
    return "\n".join(out) + "\n"


def digest_html(d: Digest) -> str:
    """The digest as a small HTML document (the mail's HTML part)."""
    d = shown(d)
    e = html.escape
    parts = [
        f"<h2>{e(headline(d))}</h2>",
        f"<p>{e(_('As of {time} ({zone}).').format(time=fmt(d.at), zone=d.at.tzname()))}</p>",
    ]
    for title, rows in _lists(d):
        if not rows:
            continue
        parts.append(
            f"<h3>{e(title)}</h3><table border='1' cellpadding='4' "
            "style='border-collapse:collapse'><tr><th>"
            + "</th><th>".join(e(h) for h in _headings(d))
            + "</th></tr>"
        )
        for item in rows:
            cells = _cells(d, item)
            parts.append("<tr><td>" + "</td><td>".join(e(c) for c in cells) + "</td></tr>")
        parts.append("</table>")
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            parts.append(f"<h3>{e(_(title))}</h3><ul>")
            for item in items:
                about = str(_subject_of(d, item))
                parts.append(f"<li><b>{e(about)}</b> {e(_detail(d, key, item))}</li>")
            parts.append("</ul>")
    return "<html><body>" + "\n".join(parts) + "</body></html>\n"


def digest_rows(d: Digest) -> list[dict]:
    """One flat row per item of every section (CSV; values English in any language)."""
    rows = []
    for section in ("overdue", "due_soon", *(k for k, _t in _SECTIONS)):
        for item in getattr(d, section):
            row = {f: item.get(f) for f in DIGEST_FIELDS}
            row["section"] = section
            if section not in ("overdue", "due_soon"):
                row["detail"] = _detail(d, section, item, N_)
            rows.append(row)
    return rows


def digest_json(d: Digest) -> dict:
    """The digest as JSON (values English in any language).  Its sections are lists of
    plain dicts, given as they are (not deep-copied: thousands of items on a big register)."""
    data = {f.name: getattr(d, f.name) for f in fields(d) if f.metadata.get("json", True)}
    data["headline"] = headline(d, N_)
    return data


def digest_rich(d: Digest, width: int = 160, wide: bool = False) -> Group:
    """The digest for a person at a terminal `width` columns wide: the case, its owner
    (or department), step, deadline, summary and customer first, how late and the severity
    as there is room (`wide`: all of them, however narrow the terminal)."""
    d = shown(d)
    from rich.console import Group
    from rich.text import Text

    from complaintctl.render import Col, fit_table

    cols = [
        Col(_headings(d)[0], cut=6, want=8),
        Col(_("Case")),
        Col(_("Step"), cut=11, want=11),
        Col(_("Late"), cut=10, want=20),
        Col(_("Due")),
        Col(_("Sev.")),
        Col(_("Summary"), cut=12, want=24),
        Col(_("Customer"), cut=8, want=12),
    ]
    parts: list = [Text(headline(d), style="bold red" if d.overdue else "bold")]
    for (title, rows), style in zip(_lists(d), ("red", "yellow"), strict=True):
        if not rows:
            continue
        cells = []
        for item in rows:
            row: list = list(_cells(d, item))
            row[3] = Text(row[3], style=style)
            cells.append(row)
        parts.append(
            fit_table(
                cols,
                cells,
                width,
                priority=(1, 4, 6, 0, 2, 7, 3, 5),
                core=6,
                everything=wide,
                title=title,
                title_justify="left",
                title_style=f"bold {style}",
            )
        )
    for key, title in _SECTIONS:
        items = getattr(d, key)
        if items:
            rows = [[str(_subject_of(d, item)), _detail(d, key, item)] for item in items]
            parts.append(
                fit_table(
                    [Col(""), Col("", cut=20, wrap=True)],
                    rows,
                    width,
                    title=_(title),
                    title_justify="left",
                    show_header=False,
                )
            )
    if len(parts) == 1:
        parts.append(Text(_(_NOTHING), style="green"))
    return Group(*parts)
