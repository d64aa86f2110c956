"""The one tool registry: ``@tool`` registers a function when its module is imported, and ``run_tool`` runs
one with its arguments checked. Which modules make up kubewhy's tool set is said in ``app.toolset``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tools.contracts.tool import Source, ToolContext, ToolError, ToolOutput, ToolParams, ToolResult
from tools.inert import plain

ToolFunction = Callable[[ToolContext, Any], ToolOutput]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    source: Source
    description: str
    params: type[ToolParams]
    function: ToolFunction

    def json_schema(self) -> dict[str, Any]:
        schema = self.params.model_json_schema()
        schema.pop("title", None)
        return schema


_TOOLS: dict[str, ToolSpec] = {}
MAX_ERROR_CHARS = 2000  # an error may quote a hostile argument: bound what it echoes


def printable(text: str) -> str:
    """Drop terminal escape sequences and control characters that logs may carry (tab and newline stay)
    and show bidi controls: they must not reach a model, a terminal or a page (:mod:`tools.inert`)."""
    return plain(text)


def tool(name: str, source: Source, params: type[ToolParams]) -> Callable[[ToolFunction], ToolFunction]:
    """Register a tool. The function's docstring is the description a model reads."""

    def register(function: ToolFunction) -> ToolFunction:
        if name in _TOOLS:
            raise ValueError(f"tool {name!r} registered twice")
        description = " ".join((function.__doc__ or "").split())
        _TOOLS[name] = ToolSpec(name, source, description, params, function)
        return function

    return register


def registered_tools() -> dict[str, ToolSpec]:
    """The tools of every module imported so far, by name (``app.toolset`` imports them all)."""
    return _TOOLS


def spec_of(function: ToolFunction) -> ToolSpec:
    """The spec a ``@tool`` function was registered with."""
    for spec in _TOOLS.values():
        if spec.function is function:
            return spec
    raise ToolError(f"{getattr(function, '__name__', function)!r} is not a registered tool")


def unknown_tool(name: str, args: dict[str, Any], known: list[str]) -> ToolResult:
    """The result of calling a name no tool has: an error a model can read and fix."""
    message = _bounded(f"unknown tool {name!r}; known tools: {', '.join(sorted(known))}")
    return ToolResult(
        tool=name[:200], args=args, source="kubernetes", text=f"error: {message}", error=message
    )


def run_tool(ctx: ToolContext, spec: ToolSpec, args: dict[str, Any] | None = None) -> ToolResult:
    """Validate arguments, run the tool, and always return a ToolResult (errors included, never raised)."""
    args = dict(args or {})
    name = spec.name
    started = time.perf_counter()
    if spec.source in ctx.unavailable:
        reason = f"{spec.source} is unavailable: {ctx.unavailable[spec.source]}"
        return ToolResult(tool=name, args=args, source=spec.source, text=f"error: {reason}", error=reason)
    try:
        params = spec.params.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
        )
        message = _bounded(f"invalid arguments for {name}: {problems}")
        return ToolResult(tool=name, args=args, source=spec.source, text=f"error: {message}", error=message)
    try:
        output = spec.function(ctx, params)
    except ToolError as exc:
        message = _bounded(str(exc))
        return ToolResult(
            tool=name,
            args=args,
            source=spec.source,
            text=f"error: {message}",
            error=message,
            duration_s=time.perf_counter() - started,
        )
    return ToolResult(
        tool=name,
        args=params.model_dump(exclude_defaults=True, mode="json"),
        source=output.source or spec.source,
        text=printable(output.text),
        data=output.data,
        truncated=output.truncated,
        duration_s=time.perf_counter() - started,
    )


def _bounded(message: str) -> str:
    if len(message) <= MAX_ERROR_CHARS:
        return message
    return message[: MAX_ERROR_CHARS - 40] + f" ... ({len(message) - MAX_ERROR_CHARS + 40:,} characters cut)"
