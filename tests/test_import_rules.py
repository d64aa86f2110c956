"""The floors hold: every arrow between product modules points down, nothing circles, nothing is imported
by a name in a string.

The product (app/, tools/, prompts/) is read as source with ``ast``, never imported, so a module that
is only imported lazily inside a function still counts: a lazy import is an arrow too.

Floors, top to bottom (a module may import its own floor or any floor below it):

    surfaces   app/cli.py, app/commands, app/ui, app/slack, app/mcp, app/alerts
    engine     every other module of app/
    sources    tools/kubernetes, tools/prometheus, tools/flows, tools/snapshot
    contracts  tools/contracts, tools/registry.py, tools/budget.py, prompts/
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("app", "tools", "prompts")
FLOORS = ("contracts", "sources", "engine", "surfaces")  # bottom first
SURFACES = ("app.cli", "app.commands", "app.ui", "app.slack", "app.mcp", "app.alerts")
SOURCES = ("tools.kubernetes", "tools.prometheus", "tools.flows", "tools.snapshot")
NOT_PRODUCT = ("tests", "devkit", "bench")  # development code the shipped package never imports
STRING_IMPORTS = {"import_module", "__import__", "spec_from_file_location", "iter_modules", "walk_packages"}
STRING_IMPORT_MODULES = {"pkgutil", "importlib", "importlib.util", "importlib.machinery", "runpy"}


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "_pb2" in path.name:  # protoc output: generated, imports only the protobuf runtime
                continue
            files[_module_name(path)] = path
    return files


MODULES = _product_files()


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def floor_of(module: str) -> str:
    if _under(module, SURFACES):
        return "surfaces"
    if _under(module, ("app",)):
        return "engine"
    if _under(module, SOURCES):
        return "sources"
    return "contracts"


def _resolve(target: str) -> str | None:
    """The product module an import names (a package's ``__init__`` for a package), or None."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def _imported_names(module: str, tree: ast.AST) -> Iterator[tuple[str, int]]:
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import name` imports the submodule pkg.name when there is one
                full = f"{base}.{alias.name}"
                yield (full if full in MODULES else base), node.lineno


def _parse(module: str) -> ast.AST:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))


def _arrows() -> list[Arrow]:
    arrows: list[Arrow] = []
    for module in MODULES:
        for name, line in _imported_names(module, _parse(module)):
            target = _resolve(name)
            if target is not None and target != module:
                arrows.append(Arrow(module, target, line))
            elif _under(name, NOT_PRODUCT):
                arrows.append(Arrow(module, name, line))
    return arrows


ARROWS = _arrows()


def test_every_product_module_is_read() -> None:
    assert "app.engine" in MODULES and "tools.registry" in MODULES and "prompts" in MODULES
    assert len(MODULES) > 150, len(MODULES)
    assert any(arrow.source.startswith("tools.") for arrow in ARROWS)


def test_floors_are_assigned_as_documented() -> None:
    assert floor_of("app.cli") == floor_of("app.commands.ask") == floor_of("app.slack.bot") == "surfaces"
    assert floor_of("app.engine") == floor_of("app.diagnose.router") == floor_of("app.agent.loop") == "engine"
    assert floor_of("tools.kubernetes.tools") == floor_of("tools.snapshot.loader") == "sources"
    assert (
        floor_of("tools.contracts.settings")
        == floor_of("tools.registry")
        == floor_of("prompts")
        == ("contracts")
    )


def test_arrows_only_point_down() -> None:
    upward = [
        f"{MODULES[a.source].relative_to(ROOT)}:{a.line} {a.source} ({floor_of(a.source)}) imports "
        f"{a.target} ({floor_of(a.target)})"
        for a in ARROWS
        if a.target in MODULES and FLOORS.index(floor_of(a.target)) > FLOORS.index(floor_of(a.source))
    ]
    assert not upward, "imports that point up a floor:\n" + "\n".join(upward)


def test_nothing_under_tools_imports_app() -> None:
    offending = [
        f"{a.source} -> {a.target}" for a in ARROWS if _under(a.source, ("tools",)) and a.target[:4] == "app."
    ]
    offending += [
        f"{a.source} -> {a.target}" for a in ARROWS if _under(a.source, ("tools",)) and a.target == "app"
    ]
    assert not offending, offending


def test_the_product_never_imports_development_code() -> None:
    offending = [
        f"{MODULES[a.source].relative_to(ROOT)}:{a.line} imports {a.target}"
        for a in ARROWS
        if _under(a.target, NOT_PRODUCT)
    ]
    assert not offending, "\n".join(offending)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: every component of more than one module is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for arrow in ARROWS:
        if arrow.target in MODULES:
            graph[arrow.source].add(arrow.target)
    return graph


def _ancestors(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_circles() -> None:
    # a package's own __init__ runs before any of its submodules: an arrow from a submodule up to its
    # package's __init__ is how Python works, not a circle anyone wrote, so it is left out
    graph = {
        module: {target for target in targets if target not in _ancestors(module)}
        for module, targets in _graph().items()
    }
    circles = _strongly_connected(graph)
    assert not circles, "modules that import each other (directly or round a loop):\n" + "\n".join(
        " <-> ".join(circle) for circle in circles
    )


def test_cycle_finder_finds_a_loop() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def _string_imports(module: str) -> Iterator[str]:
    tree = _parse(module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names]
            base = node.module if isinstance(node, ast.ImportFrom) else None
            if base in STRING_IMPORT_MODULES and set(names) & (STRING_IMPORTS | {"util", "machinery"}):
                yield f"line {node.lineno}: from {base} import {', '.join(names)}"
            for name in names if isinstance(node, ast.Import) else []:
                if name in STRING_IMPORT_MODULES:
                    yield f"line {node.lineno}: import {name}"
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in STRING_IMPORTS:
                yield f"line {node.lineno}: {name}"


def test_nothing_is_imported_by_a_name_in_a_string() -> None:
    found = [f"{MODULES[m].relative_to(ROOT)} {where}" for m in MODULES for where in _string_imports(m)]
    assert not found, "imports by a name in a string:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "import importlib\nimportlib.import_module('x')\n",
        "from importlib import import_module\n",
        "__import__('os')\n",
        "import pkgutil\n",
    ],
)
def test_string_import_detector_sees(source: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source)
    monkeypatch.setitem(MODULES, "probe", path)
    assert list(_string_imports("probe"))
