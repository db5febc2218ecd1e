"""The layers of docs/architecture.md hold: what each package may import, read from the source with ``ast``.

Imports under ``if TYPE_CHECKING:`` are left out (they never run); imports inside functions count, since they run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "alpaca_dash"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, ``alpaca_dash.web.app``
    target: str  # what it imports, ``alpaca_dash.queries.jobs`` or ``psycopg``
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


@dataclass(frozen=True)
class Rule:
    """Modules under ``where`` must not import anything under one of ``forbidden``, except the ``allowed`` ones."""

    name: str
    where: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()

    def applies_to(self, module: str) -> bool:
        return _within(module, self.where) and module not in self.allowed

    def breaks(self, found: Import) -> bool:
        return self.applies_to(found.module) and any(_within(found.target, name) for name in self.forbidden)


RULES = [
    Rule(
        "the web layer reaches storage only through queries/ and content/",
        f"{PACKAGE}.web",
        ("psycopg", "sqlalchemy", f"{PACKAGE}.timescale", f"{PACKAGE}.pipeline"),
    ),
    Rule(
        "panel content is UI-free and reads storage only through content.data.PanelData",
        f"{PACKAGE}.content",
        ("nicegui", "psycopg", "sqlalchemy", f"{PACKAGE}.queries", f"{PACKAGE}.timescale", f"{PACKAGE}.pipeline"),
    ),
    Rule("the read side is UI-free", f"{PACKAGE}.queries", ("nicegui",)),
    Rule("only the ALPACA source imports ALPACA", PACKAGE, ("ALPACA",), allowed=(f"{PACKAGE}.sources.alpaca",)),
    Rule(
        "a source only reads runs",
        f"{PACKAGE}.sources",
        tuple(f"{PACKAGE}.{name}" for name in ("pipeline", "timescale", "parquet_cache", "queries", "content", "web")),
    ),
    *(
        Rule(
            f"{storage}/ knows nothing of its callers",
            f"{PACKAGE}.{storage}",
            tuple(f"{PACKAGE}.{name}" for name in ("pipeline", "queries", "content", "web")),
        )
        for storage in ("timescale", "parquet_cache")
    ),
    Rule("ingest runs without a UI", f"{PACKAGE}.pipeline", (f"{PACKAGE}.content", f"{PACKAGE}.web", "nicegui")),
]

#: cycles between top-level packages and modules that exist today and are being removed (each with its reason);
#: a cycle not listed fails the test, and so does a listed one that has gone (take it off the list)
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[Import] = []

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
        for child in node.orelse if name == "TYPE_CHECKING" else [*node.body, *node.orelse]:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [Import(self.module, alias.name, node.lineno) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parent = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            base = ".".join([*parent, *([node.module] if node.module else [])])
        for alias in node.names:
            # ``from alpaca_dash import cli`` imports the module alpaca_dash.cli; ``from x.y import name`` imports x.y
            target = f"{base}.{alias.name}" if base == PACKAGE else base
            self.found.append(Import(self.module, target, node.lineno))


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import a module makes that runs, at any depth, as absolute names."""
    collector = _Collector(module, is_package)
    collector.visit(ast.parse(source))
    return collector.found


@cache
def all_imports(src: Path = SRC) -> list[Import]:
    """Every import in the package's source."""
    found: list[Import] = []
    for path in sorted((src / PACKAGE).rglob("*.py")):
        found += imports_of(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
    return found


def violations(imports: list[Import], rule: Rule) -> list[str]:
    return [str(found) for found in imports if rule.breaks(found)]


def top_level(name: str) -> str | None:
    """The top-level package or module of ``alpaca_dash`` a name is in (``queries`` for ``alpaca_dash.queries.x``)."""
    parts = name.split(".")
    return parts[1] if parts[0] == PACKAGE and len(parts) > 1 else None


def top_level_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for found in imports:
        source, target = top_level(found.module), top_level(found.target)
        if source is not None and target is not None and source != target:
            graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_each_layer_imports_only_what_it_may(rule: Rule) -> None:
    modules = {module_name(path) for path in (SRC / PACKAGE).rglob("*.py")}
    assert any(rule.applies_to(module) for module in modules), f"no module is under {rule.where}: fix the rule"
    assert violations(all_imports(), rule) == []


def test_top_level_packages_import_each_other_without_cycles() -> None:
    found = set(cycles(top_level_graph(all_imports())))
    unknown = [sorted(cycle) for cycle in found - KNOWN_CYCLES.keys()]
    gone = [sorted(cycle) for cycle in KNOWN_CYCLES.keys() - found]
    assert unknown == [], "new import cycles between top-level packages"
    assert gone == [], "these cycles are gone: take them off KNOWN_CYCLES"


def test_the_checks_catch_what_they_forbid() -> None:
    """The same functions, on made-up modules that break each rule, report every break."""
    web = imports_of(
        "import psycopg\nfrom sqlalchemy import text\n"
        "def later():\n    from alpaca_dash.pipeline import jobs\n"
        "from alpaca_dash import timescale\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from alpaca_dash.timescale.database import Database\n",
        f"{PACKAGE}.web.page",
    )
    assert violations(web, RULES[0]) == [
        f"{PACKAGE}.web.page:1 imports psycopg",
        f"{PACKAGE}.web.page:2 imports sqlalchemy",
        f"{PACKAGE}.web.page:4 imports {PACKAGE}.pipeline",
        f"{PACKAGE}.web.page:5 imports {PACKAGE}.timescale",
    ]
    relative = imports_of("from ..timescale import notify\n", f"{PACKAGE}.web.live")
    assert violations(relative, RULES[0]) == [f"{PACKAGE}.web.live:1 imports {PACKAGE}.timescale"]
    content = imports_of("try:\n    from nicegui import ui\nexcept ImportError:\n    pass\n", f"{PACKAGE}.content.x")
    assert violations(content, RULES[1]) == [f"{PACKAGE}.content.x:2 imports nicegui"]
    alpaca = imports_of("import ALPACA.data.finalize\n", f"{PACKAGE}.sources.files")
    assert violations(alpaca, RULES[3]) == [f"{PACKAGE}.sources.files:1 imports ALPACA.data.finalize"]
    assert violations(imports_of("import ALPACA\n", f"{PACKAGE}.sources.alpaca"), RULES[3]) == []
    graph = top_level_graph(
        imports_of(f"from {PACKAGE} import b\n", f"{PACKAGE}.a")
        + imports_of(f"from {PACKAGE}.c.x import y\n", f"{PACKAGE}.b.z")
        + imports_of(f"import {PACKAGE}.a\n", f"{PACKAGE}.c")
        + imports_of(f"import {PACKAGE}.a\n", f"{PACKAGE}.d")
    )
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
