"""Jinja templating of step arguments and conditions, in a sandbox.

A value that is exactly one ``{{ expression }}`` keeps the expression's type (a number stays a number, a
missing value becomes None and the argument is left out); any other string with ``{{ }}`` renders to text.
Templates see ``params`` (the runbook's parameters) and ``steps`` (earlier results by step id: ``ok``,
``error``, ``text``, ``data``, ``truncated``, ``skipped``, ``tool``, ``args``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateError, Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from tools.patterns import outside_pattern

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)
ROOTS = ("params", "steps")


class TemplateProblem(ValueError):
    """A template that does not compile, or refers to something that does not exist."""


class _RunbookEnvironment(SandboxedEnvironment):
    """``x.items`` on a tool's data means the key ``items``, not the dict method of that name."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@cache
def _env() -> SandboxedEnvironment:
    env = _RunbookEnvironment(
        undefined=ChainableUndefined,
        autoescape=False,
        finalize=lambda value: "" if value is None else value,
    )
    env.tests["startswith"] = lambda value, prefix: str(value).startswith(str(prefix))
    env.tests["match"] = lambda value, pattern: outside_pattern(str(pattern)).search(str(value)) is not None
    return env


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def template_strings(value: Any) -> list[str]:
    """Every template string inside ``value`` (dicts and lists searched)."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in template_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in template_strings(item)]
    return [value] if is_template(value) else []


@dataclass(frozen=True)
class Reference:
    root: str  # "params" or "steps"
    name: str


def references(source: str, *, expression: bool = False) -> list[Reference]:
    """What a template or expression refers to (``params.X``, ``steps.Y``); raises on a syntax error."""
    text = source
    if expression:
        text = "{{ " + source + " }}"
    else:
        whole = _WHOLE_EXPRESSION.match(source)
        if whole:
            text = "{{ " + whole.group("expr") + " }}"
    try:
        tree = _env().parse(text)
    except TemplateError as exc:
        raise TemplateProblem(f"template {source!r} does not compile: {exc}") from None
    found: list[Reference] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner = node.node
        if isinstance(inner, nodes.Name) and inner.name in ROOTS:
            key = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
            if key is not None:
                found.append(Reference(inner.name, key))
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in tree.find_all(nodes.Name):
        known = name.name in ROOTS or name.name in local or name.name in _env().globals
        if name.ctx == "load" and not known:
            raise TemplateProblem(
                f"template {source!r} uses {name.name!r}; only params and steps are available"
            )
    return found


def _constant(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def render(value: Any, context: dict[str, Any]) -> Any:
    """``value`` with every template in it rendered (dicts and lists recursively)."""
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if not is_template(value):
        return value
    whole = _WHOLE_EXPRESSION.match(value)
    try:
        if whole:
            result = _env().compile_expression(whole.group("expr"), undefined_to_none=False)(**context)
            return None if isinstance(result, Undefined) else result
        return _env().from_string(value).render(**context)
    except Exception as exc:  # any failure inside a template (a filter on the wrong type, ...)
        raise TemplateProblem(f"template {value!r} failed: {type(exc).__name__}: {exc}") from None


def condition(expression: str, context: dict[str, Any]) -> bool:
    """The truth of a ``when`` expression; anything undefined is false."""
    try:
        result = _env().compile_expression(expression, undefined_to_none=False)(**context)
    except Exception as exc:  # any failure inside the expression
        raise TemplateProblem(f"condition {expression!r} failed: {type(exc).__name__}: {exc}") from None
    return False if isinstance(result, Undefined) else bool(result)
