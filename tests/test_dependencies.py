"""pyproject.toml declares what the product imports, and nothing it does not.

Imports are read from the sources with ``ast`` (lazy ones included); which installed distribution provides
a module comes from ``importlib.metadata``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("app", "tools", "prompts")
# declared ahead of the code that will import it: the agent's move to langchain.agents.create_agent
DECLARED_AHEAD = {"langchain"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return _canonical(match.group(1))


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> one file that imports it, for every module outside the stdlib and the product."""
    found: dict[str, str] = {}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    module = name.split(".")[0]
                    if module not in sys.stdlib_module_names and module not in PRODUCT:
                        found.setdefault(module, str(path.relative_to(ROOT)))
    return found


def test_every_imported_module_is_declared() -> None:
    project = _project()
    declared = {_requirement_name(r) for r in project["dependencies"]}
    declared |= {_requirement_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    providers = packages_distributions()
    missing = []
    for module, where in sorted(_third_party_imports().items()):
        dists = {_canonical(d) for d in providers.get(module, [])}
        if not dists:  # an optional extra that is not installed here: known by its name (azure-identity)
            dists = {name for name in declared if name == module or name.startswith(f"{module}-")}
        if not dists & declared:
            missing.append(f"{module} (imported in {where}; installed from {sorted(dists) or 'nowhere'})")
    assert not missing, "imported but not declared in pyproject.toml:\n" + "\n".join(missing)


def test_every_declared_dependency_is_imported() -> None:
    imported = set(_third_party_imports())
    providers = packages_distributions()
    unused = []
    for requirement in _project()["dependencies"]:
        name = _requirement_name(requirement)
        modules = {module for module, dists in providers.items() if name in {_canonical(d) for d in dists}}
        if not modules & imported and name not in DECLARED_AHEAD:
            unused.append(f"{name} (provides {sorted(modules) or 'no module found'})")
    assert not unused, "declared but imported by nothing:\n" + "\n".join(unused)
