"""What a runbook template may cost: bounded time, memory and output, refused by name when exceeded.

Runbooks come from users (files, the page's editor, "save as runbook"), so a template is hostile input.
Jinja's sandbox stops attribute escapes but not size: ``'a' * 3000000000`` or ``'x'|center(10**9)``
allocates gigabytes before anything could look at the result. So:

- a template is short (``MAX_TEMPLATE_CHARS``) and has no loops, macros, ``set`` or includes: without them
  the work a template does is bounded by its length times the size of the data it reads;
- every operator, call and filter that can make a result larger than its inputs is estimated *before* it
  runs (``'a' * n``, ``x ** n``, ``'%9999999s' % x``, widths, paddings, joins, replacements) and refused
  when the estimate passes ``MAX_OUTPUT_CHARS``;
- a rendered value is at most ``MAX_OUTPUT_CHARS`` characters.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import safe_range

MAX_TEMPLATE_CHARS = 2000  # a tool argument, a condition or a question, not a program
MAX_OUTPUT_CHARS = 100_000  # what one template may produce (a tool argument or the question)
MAX_ITEMS = 100_000  # items a filter may produce (Jinja's own range() bound)
MAX_INT_BITS = 4096  # integers beyond this are no tool argument (Python prints at most 4300 digits)
SIZE_CAP = 4 * MAX_OUTPUT_CHARS  # sizes are counted up to here: past it, only growth matters
REFUSED_STATEMENTS = {
    nodes.For: "loops",
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Assign: "set",
    nodes.AssignBlock: "set",
    nodes.With: "with",
    nodes.FilterBlock: "filter blocks",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    nodes.Extends: "extends",
    nodes.Block: "blocks",
}
_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


class TemplateLimit(SecurityError):
    """A template that would cost more than a runbook template may (or reads a private attribute)."""


def statement_problem(tree: nodes.Template) -> str | None:
    """Why a parsed template is refused before it runs (a loop, ``set``, a private attribute), or None."""
    for kind, label in REFUSED_STATEMENTS.items():
        if next(tree.find_all(kind), None) is not None:
            return f"uses {label}; templates are expressions and {{% if %}} only, so their cost is bounded"
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _private_name(node)
        if name is not None:
            return f"reads the private attribute {name!r}; templates read data, never Python internals"
    return None


def _private_name(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        name: Any = node.attr
    elif isinstance(node, nodes.Getitem):
        name = node.arg.value if isinstance(node.arg, nodes.Const) else None
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        name = node.args[0].value if isinstance(node.args[0], nodes.Const) else None
    else:
        name = None
    return name if isinstance(name, str) and name.startswith("_") else None


def size(value: Any, cap: int = SIZE_CAP) -> int:
    """About how many characters ``value`` holds, counting nested items; stops counting past ``cap``."""
    total, stack = 0, [value]
    while stack and total <= cap:
        item = stack.pop()
        if isinstance(item, str | bytes | range):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
    return total


def _int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def _refuse(estimate: int, what: str) -> None:
    raise TemplateLimit(
        f"{what} would make about {estimate:,} characters; a runbook template may make at most "
        f"{MAX_OUTPUT_CHARS:,}"
    )


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**`` and ``%`` whose result would pass the bounds, before computing it."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SIZED) and _int_bits(count) and size(seq) * count > MAX_OUTPUT_CHARS:
                _refuse(size(seq) * count, "'*'")
        if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
            raise TemplateLimit(f"'*' would make an integer of more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if _int_bits(right) and right > 0 and _int_bits(left) > 1 and _int_bits(left) * right > MAX_INT_BITS:
            raise TemplateLimit(f"'**' would make an integer of more than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str):
        check_format(left)


def check_format(template: str) -> None:
    """Refuse a ``%`` or ``{}`` format string whose width or precision passes the bound (or is a ``*``)."""
    numbers = [n for spec in _PERCENT_SPEC.finditer(template) for n in spec.groups() if n]
    try:
        specs = [field[2] or "" for field in string.Formatter().parse(template)]
    except ValueError:
        specs = []  # not a valid {} format: str.format itself will say so
    numbers += [n for spec in specs for n in _NUMBER.findall(spec)]
    if any("{" in spec for spec in specs) or "*" in numbers:
        raise TemplateLimit("a format with a computed width is not allowed in a runbook template")
    widest = max((int(n) for n in numbers), default=0)
    if widest > MAX_OUTPUT_CHARS:
        _refuse(widest, "this format width")


def _guard(receiver: Any, arguments: list[Any], what: str) -> int:
    """Estimate the result of ``receiver.what(*arguments)`` from its inputs; refuse one that grows past
    the bound. Returns the size of the inputs (a result may be as large as they are)."""
    base = size(receiver)
    sizes = [size(a) for a in arguments if isinstance(a, _SIZED)]
    numbers = sum(abs(a) for a in arguments if isinstance(a, int | float) and not isinstance(a, bool))
    estimate = int((base + 1) * max([1, *sizes]) + min(numbers, 10**18))
    inputs = base + sum(sizes) + 1
    if estimate > MAX_OUTPUT_CHARS and estimate > inputs:
        _refuse(estimate, what)
    return inputs


def check_result(value: Any, inputs: int = 0) -> Any:
    """``value`` with an iterator made a bounded list; refused if it grew past the bound."""
    if isinstance(value, Iterator):
        items = list(islice(value, MAX_ITEMS + 1))
        if len(items) > MAX_ITEMS:
            raise TemplateLimit(f"a filter made more than {MAX_ITEMS:,} items")
        value = items
    made = size(value)
    if made > MAX_OUTPUT_CHARS and made > inputs and inputs < SIZE_CAP:
        _refuse(made, "this template")
    return value


def bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja filter that is estimated before it runs and checked after."""
    passes_context = hasattr(function, "jinja_pass_arg")  # @pass_environment, @pass_context ...: first

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = list(args[1:] if passes_context else args)
        receiver, arguments = (values[0], values[1:]) if values else (None, [])
        if name == "format" and isinstance(receiver, str):
            check_format(receiver)
        inputs = _guard(receiver, [*arguments, *kwargs.values()], f"the filter {name!r}")
        return check_result(function(*args, **kwargs), inputs)

    return bounded


def bounded_call(run: Callable[[], Any], obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A call from a template (``'a'.ljust(n)``, ``range(n)``, ``'{:>9}'.format(x)``), bounded likewise."""
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format in a function of its own
    if target is safe_range:  # bounded by the sandbox itself, and lazy
        return run()
    receiver = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "a function")
    if name in ("format", "format_map") and isinstance(receiver, str):
        check_format(receiver)
    inputs = _guard(receiver, [*args, *kwargs.values()], f"{name}()")
    return check_result(run(), inputs)


def render_bounded(template: Template, context: dict[str, Any]) -> str:
    """The template's text, refused as soon as it passes ``MAX_OUTPUT_CHARS``."""
    pieces, made = [], 0
    for piece in template.generate(**context):
        made += len(piece)
        if made > MAX_OUTPUT_CHARS:
            _refuse(made, "this template")
        pieces.append(piece)
    return "".join(pieces)
