"""The events a surface renders while the agent works (page, Slack, CLI progress).

Every event is a small frozen dataclass; a surface receives them through ``on_event`` in the order they
happen and may ignore the kinds it does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.toolset import route_call
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.tool import ToolResult


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
    """A budget stopped the investigation: "tool_calls", "input_tokens", "time" or "model_calls"."""

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

_PHRASES = {
    "health_checks": "running the health checks",
    "k8s_overview": "reading the cluster overview",
    "k8s_events": "reading events",
    "k8s_logs": "reading logs",
    "k8s_list": "listing {kind}",
    "k8s_get": "reading {kind}",
    "k8s_describe": "describing {kind}",
    "k8s_netpol": "reading network policies",
    "k8s_node": "reading node",
    "k8s_service": "reading service",
    "k8s_workload": "reading the rollout",
    "prom_check": "checking {check} in Prometheus",
    "flows_dns": "reading DNS flows",
    "flows_drops": "reading dropped flows",
    "flows_http": "reading HTTP flows",
    "flows_policy": "reading policy drops",
    "flows_pair": "reading traffic from {source} to {destination}",
}
_PREFIXES = {"k8s": "reading", "get": "reading", "list": "listing"}
_SOURCES = {"prom": "querying Prometheus", "flows": "reading network flows"}


def describe_call(tool: str, args: dict[str, Any]) -> str:
    """A human line for a tool call: ``k8s_events {"namespace": "shop"}`` -> "reading events in shop"."""
    tool, args = route_call(tool, args)  # "k8s" with op=events reads as k8s_events
    phrase = _PHRASES.get(tool)
    if phrase is None:
        prefix, _, rest = tool.partition("_")
        verb = _PREFIXES.get(prefix)
        phrase = f"{verb} {rest.replace('_', ' ')}" if verb and rest else f"running {tool.replace('_', ' ')}"
        phrase = _SOURCES.get(prefix, phrase)
    words = [word.format(**args) if _fillable(word, args) else "" for word in phrase.split(" ")]
    text = " ".join(word for word in words if word)
    target = args.get("workload") or args.get("name") or args.get("pod")
    if target:
        text += (
            f" {target}"
            if tool in ("k8s_get", "k8s_describe", "k8s_node", "k8s_service")
            else f" for {target}"
        )
    if args.get("namespace"):
        text += f" in {args['namespace']}"
    return text


def _fillable(word: str, args: dict[str, Any]) -> bool:
    if "{" not in word:
        return True
    key = word[word.index("{") + 1 : word.index("}")]
    return args.get(key) not in (None, "")
