"""The browser side lives in files under web/static: no Python string of the web or content layer holds JavaScript,
CSS or a Vue template beyond a one-line call into ``static/charts.js``, and every static file is packaged."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from alpaca_dash.web.assets import STATIC

SOURCE = Path(__file__).resolve().parents[1] / "src" / "alpaca_dash"
#: what gives a string away as JavaScript, CSS or a Vue template
MARKERS = {
    "JavaScript": re.compile(r"=>|\bfunction\s*\(|document\.|window\.|getElement|new Image|\.setOption\("),
    "CSS": re.compile(r"[\w\]-]\s*\{[^{}]*:[^{}]*;"),
    "a Vue template": re.compile(r"\{\{|\bv-(if|for|bind|on)\b|:props="),
}
#: a one-line call into the page's helpers, e.g. ``() => alpaca.markPainted(`` of an f-string
ONE_LINE_CALL = re.compile(r"^[^\n;]*\balpaca\.\w+[^\n;]*$")


def strings_of(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module (parts of f-strings included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def browser_code_in(path: Path, root: Path = SOURCE) -> list[str]:
    """``file:line: kind: text`` of every string in the module at ``path`` that holds browser code."""
    found = []
    for line, text in strings_of(path):
        for kind, marker in MARKERS.items():
            if marker.search(text) and not (kind == "JavaScript" and ONE_LINE_CALL.match(text)):
                found.append(f"{path.relative_to(root)}:{line}: {kind}: {text[:60]!r}")
    return found


def test_no_javascript_css_or_templates_in_python_strings() -> None:
    modules = [*(SOURCE / "web").rglob("*.py"), *(SOURCE / "content").rglob("*.py")]
    assert len(modules) > 20
    assert [hit for module in modules for hit in browser_code_in(module)] == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "snippets.py"
    module.write_text(
        'A = "(v) => String(Math.round(v))"\n'
        'B = ".panel { display: flex; }"\n'
        "C = '<span>{{ props.node.label }}</span>'\n"
        'D = f"() => alpaca.markPainted({A})"\n'
        'E = "alpaca.numberLabel"\n'
        'F = "() => { const el = document.body; el.remove(); }"\n'
    )
    kinds = [hit.split(": ")[1] for hit in browser_code_in(module, tmp_path)]
    assert kinds == ["JavaScript", "CSS", "a Vue template", "JavaScript"]


def test_every_static_file_is_packaged() -> None:
    project = tomllib.loads((SOURCE.parents[1] / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["alpaca_dash"]
    files = [path for path in STATIC.rglob("*") if path.is_file()]
    assert {"charts.js", "grid.js", "dashboard.css", "observable_node.html"} <= {path.name for path in files}
    for path in files:
        relative = path.relative_to(SOURCE).as_posix()
        assert any(Path(relative).match(pattern) for pattern in patterns), relative
