"""The package's layers, read from its source: the domain (workflow, services, queries,
reports, storage…) never reaches up into the command line, the renderers or the catalog,
and no two modules import each other, directly or round a longer circle."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import complaintctl
from complaintctl import i18n
from complaintctl.errors import CaseNotFound, InvalidValue

PACKAGE = Path(complaintctl.__file__).parent

# The edge: what parses the command line, chooses the language and renders for people.
EDGE_PREFIXES = (
    "complaintctl.cli",  # the command line (and its groups)
    "complaintctl.render",  # text, tables, CSV/JSON writers
    "complaintctl.report_html",  # the HTML report and its charts
    "complaintctl.xlsx",  # the Excel workbooks (export/list/report --xlsx)
)
EDGE = {"complaintctl.i18n", "complaintctl.completion", "complaintctl.__main__"}
# What the domain may not import: the edge, and the libraries only the edge uses.
FORBIDDEN_LIBRARIES = {"typer", "click", "rich"}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_edge(module: str) -> bool:
    return module in EDGE or module.startswith(EDGE_PREFIXES)


def _imports(module: str) -> set[str]:
    """Every module `module` imports, anywhere in it (inside functions too: an import
    deferred for speed is still a dependency)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            # `from complaintctl import services` imports the module complaintctl.services
            found.update(
                f"{source}.{alias.name}"
                for alias in node.names
                if f"{source}.{alias.name}" in MODULES
            )
    return found


GRAPH = {m: {d for d in _imports(m) if d in MODULES and d != m} for m in MODULES}


def test_the_package_has_a_domain_and_an_edge():
    domain = [m for m in MODULES if not _is_edge(m)]
    # The walk sees the modules these rules are about (a renamed package would empty it).
    assert {"complaintctl.services", "complaintctl.workflow", "complaintctl.errors"} <= set(domain)
    assert any(m.startswith("complaintctl.cli") for m in MODULES)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _is_edge(m)))
def test_a_domain_module_imports_nothing_of_the_edge(module):
    reached = _imports(module)
    edge = sorted(m for m in reached if m in MODULES and _is_edge(m))
    libraries = sorted(m for m in reached if m.split(".")[0] in FORBIDDEN_LIBRARIES)
    assert not edge, f"{module} imports {edge}"
    assert not libraries, f"{module} imports {libraries}"


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_modules_import_each_other_in_a_circle():
    assert _circles(GRAPH) == []


def test_the_circle_finder_finds_a_circle():
    # The check above would pass on a finder that finds nothing: it is shown one.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


# -- the language is the edge's choice ------------------------------------------------
def _run(code: str, lang: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "COMPLAINTCTL_"))}
    env |= {"LANG": lang, "COMPLAINTCTL_CONFIG": os.devnull}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_domain_chooses_no_language_the_edge_does():
    # A Chinese terminal: the domain alone speaks English and never loads the catalog …
    code = (
        "import sys\n"
        "from complaintctl import services, queries, report, importer, dbops\n"
        "from complaintctl.errors import CaseNotFound\n"
        "print(CaseNotFound('C1'), 'complaintctl.i18n' in sys.modules)\n"
    )
    assert _run(code, "zh_CN.UTF-8") == "case C1 does not exist False"
    # … until the edge chooses the language (here from LANG), and then it follows.
    code = (
        "from complaintctl.errors import CaseNotFound\n"
        "from complaintctl import i18n\n"
        "i18n.use()\n"
        "print(CaseNotFound('C1'))\n"
    )
    assert _run(code, "zh_CN.UTF-8") == "案件 C1 不存在"


def test_an_error_is_put_into_words_when_it_is_printed():
    try:
        i18n.use("en")
        error = CaseNotFound("C2025-000001")
        i18n.use("zh")
        assert str(error) == "案件 C2025-000001 不存在"
        i18n.use("en")
        assert str(error) == "case C2025-000001 does not exist"
    finally:
        i18n.use("en")


def test_a_refused_value_names_the_field_and_the_cli_its_option():
    from complaintctl.cli import option_name

    error = InvalidValue("order_no", "is 101 characters long; at most 100")
    assert str(error) == "order_no: is 101 characters long; at most 100"
    assert error.describe(option_name) == "--order: is 101 characters long; at most 100"
    assert option_name("received_at") == "--received-at"
    assert option_name("told_at") == "--told-at"  # not a case field: the option's own name
    assert option_name("file") == "FILE"  # an argument
    assert option_name("--dayfirst") == "--dayfirst"  # already an option


def test_a_service_refusal_raised_in_english_is_printed_in_the_language_chosen_later():
    from complaintctl import services
    from complaintctl.cli import option_name

    try:
        i18n.use("en")
        with pytest.raises(InvalidValue) as caught:
            services._choice("channel", "pigeon", ("phone", "email"))
        i18n.use("zh")
        expected = "--channel：未知的值 'pigeon'；可选：phone, email"
        assert caught.value.describe(option_name) == expected
        assert caught.value.message == "unknown value {value}; allowed: {allowed}"  # its code
        assert caught.value.values == {"value": "'pigeon'", "allowed": "phone, email"}
    finally:
        i18n.use("en")
