"""The one tool registry: ``@tool`` registers a function when its module is imported, and ``run_tool`` runs
one with its arguments checked. Which modules make up kubewhy's tool set is said in ``app.toolset``.

A :class:`ToolFamily` offers several tools of one source to a model as one, the member chosen by ``op``:
a model resends every definition on every call, so one definition for six Prometheus tools costs a
sixth of the overhead. A family is not registered: runbooks, MCP and the CLI keep the members' names,
and a family's call runs, and is recorded as, the member it names."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, create_model

from tools.contracts.tool import Source, ToolContext, ToolError, ToolOutput, ToolParams, ToolResult
from tools.inert import plain

log = logging.getLogger(__name__)

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

    def route(self, args: dict[str, Any]) -> tuple[ToolSpec, dict[str, Any]]:
        """The tool a call runs, with its arguments: this one (a family names one of its members)."""
        return self, args


OP = "op"


class _FamilyParams(ToolParams):
    model_config = ConfigDict(extra="allow")  # the member checks its own arguments


@dataclass(frozen=True)
class ToolFamily(ToolSpec):
    """Tools offered as one, chosen by ``op`` (see the module docstring). Its schema is the union of the
    members' parameters, less ``hidden`` ones a model need not see (still accepted); its description is
    ``intro``, then each op with its member's description."""

    intro: str = ""
    members: tuple[tuple[str, ToolSpec], ...] = ()
    hidden: frozenset[str] = frozenset()

    def route(self, args: dict[str, Any]) -> tuple[ToolSpec, dict[str, Any]]:
        member = dict(self.members).get(args.get(OP)) if isinstance(args.get(OP), str) else None
        if member is None:
            return self, args  # validating against the family's params says which ops there are
        return member, {key: value for key, value in args.items() if key != OP}

    def json_schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {OP: {"enum": [op for op, _ in self.members], "type": "string"}}
        for _, member in self.members:
            schema = member.json_schema()
            defs = schema.get("$defs", {})
            for name, prop in schema.get("properties", {}).items():
                if name not in properties and name not in self.hidden:
                    properties[name] = _without_defaults(_inline(prop, defs))
        return {"properties": properties, "required": [OP], "type": "object"}

    def narrowed(self, unavailable: Mapping[str, str]) -> ToolFamily | None:
        """This family without the members whose source is not connected; None when none is left."""
        kept = tuple((op, member) for op, member in self.members if member.source not in unavailable)
        if kept == self.members:
            return self
        return _family(self.name, self.source, self.intro, kept, self.hidden) if kept else None


def tool_family(
    name: str,
    source: Source,
    intro: str,
    members: dict[str, ToolFunction],
    hidden: frozenset[str] = frozenset(),
) -> ToolFamily:
    """A family of registered tools, offered when ``source`` is connected."""
    return _family(name, source, intro, tuple((op, spec_of(f)) for op, f in members.items()), hidden)


@functools.lru_cache(maxsize=64)
def _family(
    name: str, source: Source, intro: str, members: tuple[tuple[str, ToolSpec], ...], hidden: frozenset[str]
) -> ToolFamily:
    """Built once per member set, so the same family is the same object (and the same schema) each time."""
    ops = tuple(op for op, _ in members)
    params = create_model(
        f"{name}_params", __base__=_FamilyParams, op=(Literal[ops], Field(description="the tool to run"))
    )
    described = " ".join(f"{op}: {spec.description}" for op, spec in members)
    description = f"{intro} {described}" if intro else described
    return ToolFamily(
        name, source, description, params, _unrouted, intro=intro, members=members, hidden=hidden
    )


def _unrouted(ctx: ToolContext, params: Any) -> ToolOutput:
    raise ToolError(f"{OP}= names the tool to run")  # a valid op is routed to its member before this


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``{"$ref": "#/$defs/X"}`` -> X itself: a family's schema has no ``$defs`` of its own."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"), {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return {key: _inline(value, defs) for key, value in node.items()}


def _without_defaults(prop: dict[str, Any]) -> dict[str, Any]:
    """A member's defaults apply when its call leaves them out; a model reading them is paying for noise."""
    return {key: value for key, value in prop.items() if key != "default"}


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
    """Validate arguments, run the tool, and always return a ToolResult: a ToolError or any other exception
    (a tool bug) becomes the result's error, here and only here, so no caller wraps a call again."""
    spec, args = spec.route(dict(args or {}))
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
    except Exception as exc:  # a tool bug must not end a question: every caller reads one error result
        if not isinstance(exc, ToolError):
            log.exception("tool %s failed", name)
        message = _bounded(
            str(exc) if isinstance(exc, ToolError) else f"{name} failed: {type(exc).__name__}: {exc}"
        )
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
