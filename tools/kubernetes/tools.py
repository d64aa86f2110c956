"""The registered read-only Kubernetes tools. Docstrings are what a model reads: say when to use each."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Literal

from pydantic import Field

from tools.contracts.kube.time import parse_duration
from tools.contracts.printed import printed_index
from tools.contracts.tool import ToolContext, ToolError, ToolOutput, ToolParams
from tools.contracts.wording import plural
from tools.kubernetes.common import k8s_tool, kube_of
from tools.kubernetes.describe import describe
from tools.kubernetes.events import add_events, event_dict, fetch_events, newest_first
from tools.kubernetes.listing import get_report, list_report
from tools.kubernetes.logs import (
    choose_container,
    fold_log,
    grep_filter,
    read_log_lines,
    render_log_text,
    restart_note,
    select_lines,
)
from tools.kubernetes.network import netpol_report, service_report
from tools.kubernetes.nodes import node_report, nodes_report
from tools.kubernetes.overview import overview_report
from tools.kubernetes.render import BoundedText
from tools.kubernetes.workloads import find_workload, workload_report
from tools.log_lines import SHOWN_LINE_LIMIT, cut_text
from tools.registry import tool_family

_NAMESPACE = Field(None, description="omit for all")
_SINCE = Field(None, description="e.g. 30m")


MAX_SINCE_DAYS = 365


def _since_seconds(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except (ValueError, OverflowError):
        raise ToolError(f"since={value[:40]!r} is not a duration; use e.g. '30m', '2h' or '1d'") from None
    if seconds <= 0:
        raise ToolError(f"since={value!r} must be a positive duration")
    if seconds > MAX_SINCE_DAYS * 86400:
        raise ToolError(f"since={value!r} is longer than {MAX_SINCE_DAYS}d; omit since= to read everything")
    return max(1, math.ceil(seconds))


class ListParams(ToolParams):
    kind: str = Field(description="e.g. pods, deploy, svc, a CRD")
    namespace: str | None = _NAMESPACE
    label_selector: str | None = None  # kubectl's selector syntax, which models know
    field_selector: str | None = None
    limit: int | None = Field(None, ge=1, le=100_000)


@k8s_tool("k8s_list", ListParams)
def k8s_list(ctx: ToolContext, p: ListParams) -> ToolOutput:
    """Objects of a kind, troubled first."""
    out, data = list_report(
        kube_of(ctx),
        p.kind,
        p.namespace,
        p.label_selector,
        p.field_selector,
        p.limit,
        ctx.now(),
        ctx.token_budget,
    )
    return ToolOutput(out.text(), data, out.truncated)


class GetParams(ToolParams):
    kind: str
    name: str
    namespace: str | None = None


@k8s_tool("k8s_get", GetParams)
def k8s_get(ctx: ToolContext, p: GetParams) -> ToolOutput:
    """An object's YAML, for an exact field."""
    out, data = get_report(kube_of(ctx), p.kind, p.name, p.namespace, ctx.token_budget)
    return ToolOutput(out.text(), data, out.truncated)


@k8s_tool("k8s_describe", GetParams)
def k8s_describe(ctx: ToolContext, p: GetParams) -> ToolOutput:
    """Why an object is unhealthy, with its events."""
    kube = kube_of(ctx)
    info = kube.resolve_kind(p.kind)
    if info.kind == "Service" and info.group == "" and p.namespace:
        out, data = service_report(kube, p.name, p.namespace, ctx.now(), ctx.token_budget)
    elif info.kind == "Node" and info.group == "":
        out, data = node_report(kube, p.name, ctx.now(), ctx.token_budget)
    else:
        out, data = describe(kube, p.kind, p.name, p.namespace, ctx.now(), ctx.token_budget)
    # every report marks the lines that print a citation's key (tools.contracts.printed)
    return ToolOutput(out.text(), {**data, "printed": printed_index(out.lines)}, out.truncated)


class EventsParams(ToolParams):
    namespace: str | None = _NAMESPACE
    kind: str | None = None
    name: str | None = Field(None, description="of the involved object")
    type: Literal["Warning", "Normal"] | None = None
    reason: str | None = None
    since: str | None = _SINCE


@k8s_tool("k8s_events", EventsParams)
def k8s_events(ctx: ToolContext, p: EventsParams) -> ToolOutput:
    """Events, newest first; routine ones counted."""
    kube = kube_of(ctx)
    now = ctx.now()
    seconds = _since_seconds(p.since)
    since = now - timedelta(seconds=seconds) if seconds else None
    kind = kube.resolve_kind(p.kind).kind if p.kind else None
    events = newest_first(list(fetch_events(kube, p.namespace, kind, p.name, p.type, p.reason, since)))
    out = BoundedText(ctx.token_budget)
    filters = ", ".join(
        f"{k}={v}"
        for k, v in (
            ("namespace", p.namespace),
            ("kind", kind),
            ("name", p.name),
            ("type", p.type),
            ("reason", p.reason),
            ("since", p.since),
        )
        if v
    )
    hints = [
        f"{k}="
        for k, v in (("name", p.name), ("reason", p.reason), ("type", p.type), ("since", p.since))
        if not v
    ]
    hint = "narrow with " + (", ".join(hints) or "a shorter since=")
    title = f"Events matching {filters}" if filters else "Events (no filter)"
    add_events(out, events, now, hint, fold_routine=not (p.type or p.reason), title=title)
    data = [event_dict(e, now) for e in events[:200]]
    return ToolOutput(out.text(), data, out.truncated)


class LogsParams(ToolParams):
    namespace: str
    pod: str
    container: str | None = None
    previous: bool = False
    tail: int | None = Field(None, ge=1, le=100_000)
    since: str | None = _SINCE
    grep: str | None = Field(None, description="regex")


@k8s_tool("k8s_logs", LogsParams, source="logs")
def k8s_logs(ctx: ToolContext, p: LogsParams) -> ToolOutput:
    """A container's log; previous=true for the crashed instance."""
    kube = kube_of(ctx)
    pod = kube.get_object("Pod", p.pod, p.namespace)
    container, others = choose_container(pod, p.container)
    lines = read_log_lines(kube, p.namespace, p.pod, container, p.previous, p.tail, _since_seconds(p.since))
    fetched = len(lines)
    if p.grep:
        lines = grep_filter(lines, p.grep)
    lines = [cut_text(line, SHOWN_LINE_LIMIT) for line in fold_log(lines)]
    out = BoundedText(ctx.token_budget)
    which = "previous instance" if p.previous else "current instance"
    header = f"Log of {p.namespace}/{p.pod} container {container} ({which}): {plural(fetched, 'line')} read"
    if p.grep:
        header += f", {len(lines)} match grep={p.grep!r}"
    if others and not p.container:
        header += f"; other containers: {', '.join(str(o) for o in others)}"
    note = None if p.previous else restart_note(pod, container)
    reserve = 60 + (len(note) // 3 if note else 0)
    selection = select_lines(lines, max(out.room - reserve - len(header) // 3, 50))
    hint = "narrow with " + ", ".join(
        h for h, v in (("grep=", p.grep), ("since=", p.since), ("tail=", p.tail)) if not v
    )
    render_log_text(
        out, header, selection, p.grep, hint if hint != "narrow with " else "use a stricter grep="
    )
    if note:
        out.note(note)
    data = {
        "namespace": p.namespace,
        "pod": p.pod,
        "container": container,
        "previous": p.previous,
        "lines_read": fetched,
        "lines_matching": len(lines),
        "lines": selection.lines,
    }
    return ToolOutput(out.text(), data, out.truncated or selection.shown < selection.total, source="logs")


class WorkloadParams(ToolParams):
    name: str
    namespace: str
    kind: str | None = Field(None, description="Deployment, StatefulSet, DaemonSet, Job or CronJob")


@k8s_tool("k8s_workload", WorkloadParams)
def k8s_workload(ctx: ToolContext, p: WorkloadParams) -> ToolOutput:
    """A rollout's revisions, images and pods."""
    kube = kube_of(ctx)
    obj = find_workload(kube, p.name, p.namespace, p.kind)
    out, data = workload_report(kube, obj, ctx.now(), ctx.token_budget)
    return ToolOutput(out.text(), data, out.truncated)


class ServiceParams(ToolParams):
    name: str
    namespace: str


@k8s_tool("k8s_service", ServiceParams)
def k8s_service(ctx: ToolContext, p: ServiceParams) -> ToolOutput:
    """A Service's endpoints and target ports."""
    out, data = service_report(kube_of(ctx), p.name, p.namespace, ctx.now(), ctx.token_budget)
    return ToolOutput(out.text(), data, out.truncated)


class NodeParams(ToolParams):
    name: str | None = Field(None, description="omit for every node")


@k8s_tool("k8s_node", NodeParams)
def k8s_node(ctx: ToolContext, p: NodeParams) -> ToolOutput:
    """Conditions, taints, requests vs allocatable."""
    kube = kube_of(ctx)
    if p.name:
        out, data = node_report(kube, p.name, ctx.now(), ctx.token_budget)
    else:
        out, data = nodes_report(kube, ctx.now(), ctx.token_budget)
    return ToolOutput(out.text(), data, out.truncated)


class NetpolParams(ToolParams):
    namespace: str
    pod: str


@k8s_tool("k8s_netpol", NetpolParams)
def k8s_netpol(ctx: ToolContext, p: NetpolParams) -> ToolOutput:
    """NetworkPolicies selecting a pod, what they allow."""
    out, data = netpol_report(kube_of(ctx), p.namespace, p.pod, ctx.token_budget)
    return ToolOutput(out.text(), data, out.truncated)


class OverviewParams(ToolParams):
    namespace: str | None = Field(None, description="omit for the cluster")


@k8s_tool("k8s_overview", OverviewParams)
def k8s_overview(ctx: ToolContext, p: OverviewParams) -> ToolOutput:
    """What is unhealthy in a namespace or cluster."""
    out, data = overview_report(
        kube_of(ctx), p.namespace, ctx.now(), ctx.token_budget, ctx.cluster_name, ctx.progress
    )
    return ToolOutput(out.text(), data, out.truncated)


FAMILY = tool_family(
    "k8s",
    "kubernetes",
    "",  # the name says it
    {
        "describe": k8s_describe,
        "list": k8s_list,
        "get": k8s_get,
        "events": k8s_events,
        "logs": k8s_logs,
        "overview": k8s_overview,
        "workload": k8s_workload,
        "service": k8s_service,
        "node": k8s_node,
        "netpol": k8s_netpol,
    },
    hidden=frozenset({"limit", "tail"}),
)
