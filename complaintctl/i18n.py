"""English and Simplified Chinese: gettext catalogs kept in the package.

Every message people read goes through `_()`; its Chinese is in
`locale/zh_CN/LC_MESSAGES/complaintctl.po`, compiled to the `.mo` next to it that gettext
reads.  The language is chosen once per run, before the command line is parsed (help texts
are made when the commands are defined): the config's `language`, else the first of
LC_ALL, LC_MESSAGES and LANG that is set (zh… → Chinese), else English.

Names that are codes in the data (steps, channels, severities…) stay English in the
database, in CSV/JSON field names and, unless `--localise` is given, in CSV/JSON values;
`label()` gives their names for people.

    python -m complaintctl.i18n update   # add new messages to the .po (keeps translations)
    python -m complaintctl.i18n fill F.json  # merge {"msgid": "中文"} pairs, then compile
    python -m complaintctl.i18n compile  # .po → .mo
    python -m complaintctl.i18n check    # messages without a translation (exit 1 if any)
"""

from __future__ import annotations

import gettext as _gettext
import os
import sys
from pathlib import Path

from complaintctl import messages
from complaintctl.messages import normalise

DOMAIN = "complaintctl"
LOCALE_DIR = Path(__file__).parent / "locale"
PO_FILE = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")

_current: str | None = None
_translation: _gettext.NullTranslations = _gettext.NullTranslations()


def _configured_language() -> str | None:
    """The config's `language`, read early and cheaply (any error: none; the command
    itself reports a bad config when it loads it)."""
    path = _config_argument() or os.environ.get("COMPLAINTCTL_CONFIG")
    if not path:
        from complaintctl.paths import default_config_path

        path = str(default_config_path())
    try:
        import tomllib

        with open(path, "rb") as f:
            value = tomllib.load(f).get("language")
    except (OSError, ValueError, RecursionError):
        return None
    return normalise(value) if isinstance(value, str) else None


def _config_argument() -> str | None:
    """--config FILE from the command line (the language is chosen before it is parsed)."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def detect() -> str:
    """The language of this run: config, then the environment, then English."""
    configured = _configured_language()
    if configured:
        return configured
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return normalise(value) or "en"
    return "en"


def use(language: str | None = None) -> str:
    """Switch the messages to `language` ('en' or 'zh'; None: detect()); returns it."""
    global _current, _translation
    language = language or detect()
    if language == "zh":
        with open(MO_FILE, "rb") as f:
            _translation = _gettext.GNUTranslations(f)
    else:
        _translation = _gettext.NullTranslations()
    _current = language
    # The domain's messages (complaintctl.messages) follow: it never chooses a language.
    messages.install(_translation.gettext, language)
    return language


def current() -> str:
    if _current is None:
        use()
    return _current or "en"


def _(message: str) -> str:
    """`message` in the language of this run."""
    if _current is None:
        use()
    return _translation.gettext(message)


# -- names of codes ---------------------------------------------------------------------
N_ = messages.N_


# Codes stay English in the data; these are their names for people ("kind:code"), e.g.
# label("step", "investigate").  A code missing here (a channel the office added) shows as
# itself.
CODE_NAMES = (
    N_("step:received"),
    N_("step:acknowledge"),
    N_("step:classify"),
    N_("step:assign"),
    N_("step:escalate"),
    N_("step:plan"),
    N_("step:investigate"),
    N_("step:resolve"),
    N_("step:feedback"),
    N_("step:closed"),
    N_("step:rejected"),
    N_("action:log"),
    N_("action:ack"),
    N_("action:classify"),
    N_("action:reject"),
    N_("action:assign"),
    N_("action:investigate"),
    N_("action:resolve"),
    N_("action:feedback"),
    N_("action:close"),
    N_("action:reopen"),
    N_("action:hold"),
    N_("action:resume"),
    N_("action:escalate"),
    N_("action:plan"),
    N_("action:note"),
    N_("action:attach"),
    N_("action:import"),
    N_("action:purge"),
    N_("action:edit"),
    N_("action:undo"),
    N_("action:merge"),
    N_("channel:phone"),
    N_("channel:email"),
    N_("channel:online"),
    N_("channel:social"),
    N_("channel:letter"),
    N_("channel:visit"),
    N_("channel:other"),
    N_("severity:A"),
    N_("severity:B"),
    N_("severity:C"),
    N_("kind:general"),
    N_("kind:claim"),
    N_("kind:unjustified"),
    N_("customer_type:individual"),
    N_("customer_type:enterprise"),
    N_("responsibility:internal"),
    N_("responsibility:external"),
    N_("responsibility:mixed"),
    N_("remedy:refund"),
    N_("remedy:compensation"),
    N_("remedy:replacement"),
    N_("remedy:repair"),
    N_("remedy:return"),
    N_("remedy:apology"),
    N_("remedy:explanation"),
    N_("remedy:service-improvement"),
    N_("remedy:none"),
    N_("outcome:satisfied"),
    N_("outcome:expired"),
    N_("outcome:closed"),
    N_("outcome:rejected"),
    N_("outcome:merged"),
    N_("status:on time"),
    N_("status:late"),
    N_("status:overdue"),
    N_("status:pending"),
    N_("status:expired"),
    N_("status:stopped"),
    N_("status:on hold"),
    N_("status:not started"),
    N_("status:no clock"),
    N_("status:done"),
    # The monthly report's name per period kind (its figures' and breakdowns' names are in
    # figures.py); and the days of the week (%a) in the digest and the chart.
    N_("report:month"),
    N_("report:quarter"),
    N_("report:year"),
    N_("report:range"),
    N_("weekday:Mon"),
    N_("weekday:Tue"),
    N_("weekday:Wed"),
    N_("weekday:Thu"),
    N_("weekday:Fri"),
    N_("weekday:Sat"),
    N_("weekday:Sun"),
)


def label(kind: str, code: str | None) -> str:
    """The name people read for a code (a step, channel, severity, outcome, …): the code
    itself in English, its catalog name in Chinese."""
    current()
    return messages.label(kind, code)


# -- the catalog --------------------------------------------------------------------------
def extract(package: Path = Path(__file__).parent) -> dict[str, list[str]]:
    """Every literal `_("…")` and `N_("…")` in the package, with where it is (file:line)."""
    import ast

    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(package.parent)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
            elif isinstance(node, ast.FunctionDef) and any(
                _is_command(d) for d in node.decorator_list
            ):
                doc = ast.get_docstring(node, clean=True)
                if doc:  # a command's help (translated by translate_commands())
                    where = f"{path.relative_to(package.parent)}:{node.lineno}"
                    found.setdefault(doc, []).append(where)
    return found


def _is_command(decorator: object) -> bool:
    """@app.command(…) / @app.callback(…) (Typer takes the function's docstring as help)."""
    import ast

    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ("command", "callback")
    )


def translate_commands(app: object) -> None:
    """Give every command of a Typer app (and of its sub-apps) its help in this run's
    language: the docstring, through the catalog."""
    import inspect

    for info in getattr(app, "registered_commands", []):
        doc = info.help or inspect.getdoc(info.callback)
        if doc:
            info.help = _(doc)
    callback = getattr(app, "registered_callback", None)
    if callback is not None:
        doc = callback.help or inspect.getdoc(callback.callback)
        if doc:
            callback.help = _(doc)
    for group in getattr(app, "registered_groups", []):
        translate_commands(group.typer_instance)


def read_po(text: str) -> dict[str, str]:
    """msgid → msgstr of a .po file (the subset of the format this project writes)."""
    import ast

    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            entries["".join(msgid)] = "".join(msgstr)

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [ast.literal_eval(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif not line or line.startswith("#"):
            continue
    flush()
    return entries


def _quote(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out.replace(chr(9), chr(92) + "t")}"'


def write_po(entries: dict[str, str], where: dict[str, list[str]]) -> str:
    lines = [
        "# Simplified Chinese messages of complaintctl.",
        "# Edit msgstr lines; then: python -m complaintctl.i18n compile",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Language: zh_CN\\n"',
        "",
    ]
    for msgid in sorted(entries):
        if not msgid:
            continue
        for w in where.get(msgid, [])[:3]:
            lines.append(f"#: {w}")
        lines.append(f"msgid {_quote(msgid)}")
        lines.append(f"msgstr {_quote(entries[msgid])}")
        lines.append("")
    return "\n".join(lines)


def compile_mo(entries: dict[str, str]) -> bytes:
    """The GNU .mo file of these translations (what msgfmt writes; untranslated entries
    are left out, so gettext falls back to the English)."""
    import struct

    header = "Content-Type: text/plain; charset=UTF-8\nLanguage: zh_CN\n"
    items = {"": header} | {k: v for k, v in entries.items() if k and v}
    keys = sorted(items)
    ids = [k.encode("utf-8") for k in keys]
    strs = [items[k].encode("utf-8") for k in keys]
    n = len(keys)
    start = 7 * 4 + 16 * n
    offsets, data = [], b""
    for b in ids:
        offsets.append((len(b), start + len(data)))
        data += b + b"\0"
    trans = []
    for b in strs:
        trans.append((len(b), start + len(data)))
        data += b + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    out += b"".join(struct.pack("<2I", *o) for o in offsets)
    out += b"".join(struct.pack("<2I", *t) for t in trans)
    return out + data


def missing() -> list[str]:
    """Messages in the code with no translation in the catalog."""
    known = read_po(PO_FILE.read_text(encoding="utf-8")) if PO_FILE.exists() else {}
    return sorted(m for m in extract() if not known.get(m))


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        where = extract()
        known = read_po(PO_FILE.read_text(encoding="utf-8")) if PO_FILE.exists() else {}
        entries = {m: known.get(m, "") for m in where}
        PO_FILE.parent.mkdir(parents=True, exist_ok=True)
        PO_FILE.write_text(write_po(entries, where), encoding="utf-8")
        print(
            f"{PO_FILE}: {len(entries)} messages, {sum(1 for v in entries.values() if not v)} "
            "without a translation"
        )
        return 0
    if command == "fill" and len(argv) == 2:
        import json

        where = extract()
        known = read_po(PO_FILE.read_text(encoding="utf-8"))
        given = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        unknown = sorted(set(given) - set(where))
        for m in unknown:
            print(f"not in the code (left out): {m!r}", file=sys.stderr)
        entries = {m: given.get(m) or known.get(m, "") for m in where}
        PO_FILE.write_text(write_po(entries, where), encoding="utf-8")
        MO_FILE.write_bytes(compile_mo(entries))
        print(f"{len(given) - len(unknown)} translations filled; {len(missing())} missing")
        return 0
    if command == "compile":
        MO_FILE.write_bytes(compile_mo(read_po(PO_FILE.read_text(encoding="utf-8"))))
        print(f"{MO_FILE} written")
        return 0
    if command == "check":
        gaps = missing()
        for m in gaps:
            print(f"no translation: {m!r}")
        return 1 if gaps else 0
    print("usage: python -m complaintctl.i18n update|fill FILE.json|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
