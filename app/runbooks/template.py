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

from app.runbooks.template_bounds import (
    MAX_TEMPLATE_CHARS,
    TemplateLimit,
    bounded_call,
    bounded_filter,
    check_binop,
    check_result,
    render_bounded,
    statement_problem,
)
from tools.patterns import outside_pattern

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)
ROOTS = ("params", "steps")


class TemplateProblem(ValueError):
    """A template that does not compile, or refers to something that does not exist."""


class TemplateRefused(TemplateProblem):
    """A template refused whatever its data: past a bound, or reading a private attribute."""


class _RunbookEnvironment(SandboxedEnvironment):
    """``x.items`` on a tool's data means the key ``items``, not the dict method of that name.

    Every operator, call and filter that can make a result much larger than its inputs is checked
    before it runs (:mod:`app.runbooks.template_bounds`), and a private attribute is an error, not a
    silent undefined, so a hostile template is refused quickly and by name."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters = {name: bounded_filter(name, f) for name, f in self.filters.items()}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise TemplateLimit(f"{attribute!r} of a {type(obj).__name__} is private; templates read data only")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return bounded_call(lambda: parent.call(__context, __obj, *args, **kwargs), __obj, args, kwargs)


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
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateRefused(
            f"template of {len(source):,} characters; a template has at most {MAX_TEMPLATE_CHARS:,}"
        )
    try:
        tree = _env().parse(text)
    except TemplateError as exc:
        raise TemplateProblem(f"template {source!r} does not compile: {exc}") from None
    refused = statement_problem(tree)
    if refused is not None:
        raise TemplateRefused(f"template {_short(source)} {refused}")
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


def _short(source: str) -> str:
    return repr(source if len(source) <= 120 else source[:117] + "...")


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
        references(value)  # the same bounds as validation: length, statements, private attributes
        if whole:
            result = _env().compile_expression(whole.group("expr"), undefined_to_none=False)(**context)
            return None if isinstance(result, Undefined) else check_result(result)
        return render_bounded(_env().from_string(value), context)
    except TemplateProblem:
        raise
    except Exception as exc:  # any failure inside a template (a filter on the wrong type, a bound, ...)
        raise _problem(f"template {_short(value)} failed", exc) from None


def condition(expression: str, context: dict[str, Any]) -> bool:
    """The truth of a ``when`` expression; anything undefined is false."""
    try:
        references(expression, expression=True)
        result = _env().compile_expression(expression, undefined_to_none=False)(**context)
    except TemplateProblem:
        raise
    except Exception as exc:  # any failure inside the expression (a bound, a wrong type, ...)
        raise _problem(f"condition {_short(expression)} failed", exc) from None
    return False if isinstance(result, Undefined) else bool(result)


def _problem(what: str, exc: Exception) -> TemplateProblem:
    if isinstance(exc, TemplateLimit | MemoryError | RecursionError):
        return TemplateRefused(f"{what}: {exc or type(exc).__name__}")
    return TemplateProblem(f"{what}: {type(exc).__name__}: {exc}")


def trial_problem(source: str, context: dict[str, Any], *, expression: bool) -> str | None:
    """Render ``source`` with placeholder values the way a run would, and say what fails. A template that
    reads earlier steps is judged only on what fails whatever the data (a bound, a private attribute);
    one over parameters alone must render."""
    try:
        if expression:
            condition(source, context)
        else:
            render(source, context)
    except TemplateRefused as exc:
        return str(exc)
    except TemplateProblem as exc:
        uses_steps = any(ref.root == "steps" for ref in references(source, expression=expression))
        return None if uses_steps else str(exc)
    return None
