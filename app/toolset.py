"""The tools kubewhy offers, named in one place: each source's tools and the diagnostician as one tool.

A ``@tool`` function registers itself when its module is imported; this module imports every tool module
explicitly, so what it looks up is the whole set. Runbooks, the CLI and the MCP server look a tool up here
by its registered name. The agent is offered a compact set instead (:func:`offered_tools`): each source's
families (``prom``, ``flows``, ``k8s``; see :class:`tools.registry.ToolFamily`) in place of their members,
since every definition is resent with every model call. A family's call runs its member, and the
members' own names still work when a model uses them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from app.agent import health_tool
from tools.contracts.tool import ToolContext, ToolError, ToolResult
from tools.flows import tools as flow_tools
from tools.kubernetes import tools as kubernetes_tools
from tools.prometheus import tools as prometheus_tools
from tools.registry import ToolFamily, ToolSpec, registered_tools, run_tool, unknown_tool

TOOL_MODULES: tuple[ModuleType, ...] = (kubernetes_tools, prometheus_tools, flow_tools, health_tool)
FAMILIES: tuple[ToolFamily, ...] = (kubernetes_tools.FAMILY, prometheus_tools.FAMILY, flow_tools.FAMILY)


def all_tools() -> list[ToolSpec]:
    """Every tool, sorted by name."""
    return sorted(registered_tools().values(), key=lambda spec: spec.name)


def agent_tools() -> list[ToolSpec]:
    """The compact set a model is offered, sorted by name: every family, and every tool no family holds."""
    members = {member.name for family in FAMILIES for _, member in family.members}
    single = [spec for spec in all_tools() if spec.name not in members]
    return sorted([*single, *FAMILIES], key=lambda spec: spec.name)


def reachable_names(spec: ToolSpec) -> set[str]:
    """The registered tools a call to ``spec`` can run: itself, or a family's members."""
    if isinstance(spec, ToolFamily):
        return {member.name for _, member in spec.members}
    return {spec.name}


def offered_tools(ctx: ToolContext) -> tuple[list[ToolSpec], dict[str, str]]:
    """The tools the agent offers a model in one session (:func:`agent_tools`, a family without the
    members whose source is not connected), and the registered tools held back (name -> why). A tool for
    a source that is not there only costs schema tokens on every model call and an error when called."""
    offered: list[ToolSpec] = []
    withheld: dict[str, str] = {}
    for spec in agent_tools():
        kept = spec.narrowed(ctx.unavailable) if isinstance(spec, ToolFamily) else spec
        if kept is not None and kept.source not in ctx.unavailable:
            offered.append(kept)
            reached = reachable_names(kept)
        else:
            reached = set()
        for name in sorted(reachable_names(spec) - reached):
            source = registered_tools()[name].source
            source = source if source in ctx.unavailable else spec.source
            withheld[name] = f"{source} is not connected: {ctx.unavailable[source]}"
    return offered, withheld


def get_tool(name: str) -> ToolSpec:
    try:
        return registered_tools()[name]
    except KeyError:
        known = ", ".join(sorted(registered_tools()))
        raise ToolError(f"unknown tool {name!r}; known tools: {known}") from None


def call_tool(ctx: ToolContext, name: str, args: dict[str, Any] | None = None) -> ToolResult:
    """Run the tool or family called ``name``; an unknown name is an error result a model can read, never
    raised."""
    spec = registered_tools().get(name) or _FAMILIES_BY_NAME.get(name)
    if spec is None:
        return unknown_tool(name, dict(args or {}), [*registered_tools(), *_FAMILIES_BY_NAME])
    return run_tool(ctx, spec, args)


def route_call(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The registered tool a call runs and its arguments (a family's call names one of its members)."""
    family = _FAMILIES_BY_NAME.get(name)
    if family is None:
        return name, args
    spec, routed = family.route(args)
    return spec.name, routed


_FAMILIES_BY_NAME = {family.name: family for family in FAMILIES}
