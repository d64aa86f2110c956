"""The events a surface renders while the agent works (page, Slack, CLI progress).

Every event is a small frozen dataclass; a surface receives them through ``on_event`` in the order they
happen and may ignore the kinds it does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.diagnosis import Diagnosis
from tools.base import ToolResult


@dataclass(frozen=True)
class Status:
    """A short line saying what the agent is doing now, e.g. "reading events in shop"."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    call_id: str
    tool: str
    args: dict[str, Any]
    status: str


@dataclass(frozen=True)
class ToolFinished:
    """A tool call ended. ``duplicate`` means it was answered from the ledger without running again."""

    call_id: str
    tool: str
    args: dict[str, Any]
    result: ToolResult
    evidence_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's text as it streams (only with ``stream=True``)."""

    text: str


@dataclass(frozen=True)
class BudgetHit:
    """A budget stopped the investigation; ``budget`` is one of "tool_calls", "input_tokens", "time"."""

    budget: str
    message: str


@dataclass(frozen=True)
class Fallback:
    """The model's answer could not be used; the built-in diagnostician's answer follows."""

    reason: str


@dataclass(frozen=True)
class Final:
    diagnosis: Diagnosis


AgentEvent = Status | ToolStarted | ToolFinished | TextDelta | BudgetHit | Fallback | Final

_READS = {"get": "reading", "list": "listing", "describe": "describing", "query": "querying"}


def describe_call(tool: str, args: dict[str, Any]) -> str:
    """A human line for a tool call: ``get_events {"namespace": "shop"}`` -> "reading events in shop"."""
    if tool == "health_checks":
        text = "running the health checks"
    else:
        verb, _, rest = tool.partition("_")
        if verb in _READS and rest:
            text = f"{_READS[verb]} {rest.replace('_', ' ')}"
        else:
            text = f"running {tool.replace('_', ' ')}"
    target = args.get("workload") or args.get("name") or args.get("pod")
    if target:
        text += f" for {target}"
    if args.get("namespace"):
        text += f" in {args['namespace']}"
    return text
