"""The tools kubewhy offers, named in one place: each source's tools and the diagnostician as one tool.

A ``@tool`` function registers itself when its module is imported; this module imports every tool module
explicitly, so what it looks up is the whole set. The agent, runbooks, the CLI and the MCP server look a
tool up here by name.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from app.agent import health_tool
from tools.contracts.tool import ToolContext, ToolError, ToolResult
from tools.flows import tools as flow_tools
from tools.kubernetes import tools as kubernetes_tools
from tools.prometheus import tools as prometheus_tools
from tools.registry import ToolSpec, registered_tools, run_tool, unknown_tool

TOOL_MODULES: tuple[ModuleType, ...] = (kubernetes_tools, prometheus_tools, flow_tools, health_tool)


def all_tools() -> list[ToolSpec]:
    """Every tool, sorted by name."""
    return sorted(registered_tools().values(), key=lambda spec: spec.name)


def offered_tools(ctx: ToolContext) -> tuple[list[ToolSpec], dict[str, str]]:
    """The tools one session offers (the agent and the MCP server alike), sorted by name, and the tools
    held back because their source is not connected (name -> why). A tool for a source that is not there
    only costs schema tokens on every model call and an error when called."""
    offered: list[ToolSpec] = []
    withheld: dict[str, str] = {}
    for spec in all_tools():
        why = ctx.unavailable.get(spec.source)
        if why is None:
            offered.append(spec)
        else:
            withheld[spec.name] = f"{spec.source} is not connected: {why}"
    return offered, withheld


def get_tool(name: str) -> ToolSpec:
    try:
        return registered_tools()[name]
    except KeyError:
        known = ", ".join(sorted(registered_tools()))
        raise ToolError(f"unknown tool {name!r}; known tools: {known}") from None


def call_tool(ctx: ToolContext, name: str, args: dict[str, Any] | None = None) -> ToolResult:
    """Run the tool called ``name``; an unknown name is an error result a model can read, never raised."""
    spec = registered_tools().get(name)
    if spec is None:
        return unknown_tool(name, dict(args or {}), list(registered_tools()))
    return run_tool(ctx, spec, args)
