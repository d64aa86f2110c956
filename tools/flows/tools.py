"""The flow tools (source "flows"): filtered listings and aggregations of Hubble flows, bounded by
the model's output budget, with structured rows in ``data`` for the page's tables."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field

from tools.budget import fit_lines
from tools.contracts.printed import printed, printed_index, printed_key
from tools.contracts.tool import ToolContext, ToolError, ToolOutput
from tools.contracts.wording import plural, verb
from tools.flows.aggregate import (
    DnsStats,
    DropStats,
    FlowGroups,
    HttpStats,
    PairHistory,
    Tally,
    WorkloadRef,
    flow_row,
)
from tools.flows.attribution import attribute_flow, fetch_policies
from tools.flows.model import (
    DNS_RCODE_NUMBERS,
    DNS_RCODES,
    POLICY_DROP_REASONS,
    Flow,
    FlowView,
    format_epoch,
)
from tools.flows.query import (
    FlowScopeParams,
    FlowWindowParams,
    Selection,
    flow_source,
    scan,
    select,
    source_notes,
    window,
)
from tools.flows.source import FlowSourceError
from tools.registry import tool, tool_family

NARROW_HINT = "Narrow with namespace, workload, verdict or port, or a smaller since_minutes."


def _fit(lines: list[str], ctx: ToolContext, hint: str = NARROW_HINT) -> tuple[str, bool]:
    return fit_lines(lines, ctx.token_budget, hint)


def _times(tally: Tally, with_date: bool) -> str:
    return f"{format_epoch(tally.first, with_date)}..{format_epoch(tally.last, with_date)}"


def _port(port: Any, protocol: Any) -> str:
    text = f":{port}" if port is not None else ""
    return f"{text} {protocol}" if protocol else text


def _filters_text(selection: Selection) -> str:
    return f" [{selection.described}]" if selection.described else ""


# --- flows_query -----------------------------------------------------------------------------------

Verdict = Literal["FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED"]
Protocol = Literal["tcp", "udp", "icmp", "sctp", "http", "dns", "kafka"]


class FlowsQueryParams(FlowScopeParams):
    verdict: Verdict | None = None
    drop_reason: str | None = Field(None, description="e.g. POLICY_DENIED")
    port: int | None = Field(None, ge=0, le=65535, description="destination port")
    protocol: Protocol | None = None
    dns_query: str | None = Field(None, description="regex")
    dns_rcode: str | None = Field(None, description="e.g. NXDOMAIN, SERVFAIL")
    http_status: str | None = Field(None, description="e.g. 503, 5+")
    direction: Literal["INGRESS", "EGRESS"] | None = None
    limit: int = Field(40, ge=1, le=500)


@tool("flows_query", "flows", FlowsQueryParams)
def flows_query(ctx: ToolContext, params: FlowsQueryParams) -> ToolOutput:
    """Single flows, when summaries are not enough."""
    span = window(ctx, params)
    variant: dict[str, Any] = {}
    described: list[str] = []
    checks = []
    if params.verdict:
        variant["verdict"] = [params.verdict]
        described.append(f"verdict={params.verdict}")
    if params.drop_reason:
        reason = params.drop_reason.upper()
        variant["verdict"] = ["DROPPED"]
        checks.append(lambda flow: FlowView(flow).drop_reason == reason)
        described.append(f"drop_reason={reason}")
    if params.port is not None:
        variant["destination_port"] = [str(params.port)]
        described.append(f"port={params.port}")
    if params.protocol:
        variant["protocol"] = [params.protocol]
        described.append(f"protocol={params.protocol}")
    if params.dns_query:
        variant["dns_query"] = [params.dns_query]
        described.append(f"dns_query={params.dns_query}")
    if params.dns_rcode:
        rcode = _rcode(params.dns_rcode)
        variant.setdefault("protocol", ["dns"])
        checks.append(lambda flow: int(((flow.get("l7") or {}).get("dns") or {}).get("rcode") or 0) == rcode)
        described.append(f"dns_rcode={DNS_RCODES.get(rcode, rcode)}")
    if params.http_status:
        variant["http_status_code"] = [params.http_status]
        described.append(f"http_status={params.http_status}")
    if params.direction:
        variant["traffic_direction"] = [params.direction]
        described.append(f"direction={params.direction}")
    selection = select(params, [variant], checks, described)
    groups = FlowGroups(keep=params.limit)
    for flow in scan(ctx, selection, span):
        groups.add(flow)
    with_date = span.with_date
    source = flow_source(ctx)
    matched = f"{plural(groups.total, 'flow')} {verb(groups.total, 'matches', 'match')}"
    header = f"{matched} in {span.text}{_filters_text(selection)} ({source.description})"
    lines = [header, *source_notes(ctx)]
    group_rows = groups.group_rows(20, with_date)
    if groups.total == 0:
        lines.append("No flows match; widen since_minutes or drop a filter.")
    elif groups.total <= params.limit:
        lines.extend(_flow_line(flow, with_date) for flow in groups.recent)
    else:
        lines.append(f"Counts by source -> destination (top {len(group_rows)} of {len(groups.groups)}):")
        for row in group_rows:
            lines.append(_group_line(row))
        latest = list(groups.recent)[-min(10, params.limit) :]
        lines.append(f"Latest {plural(len(latest), 'flow')}:")
        lines.extend(_flow_line(flow, with_date) for flow in latest)
    text, cut = _fit(lines, ctx)
    data = {
        "window": span.as_dict(),
        "total": groups.total,
        "groups": group_rows,
        "flows": [flow_row(flow, with_date) for flow in groups.recent],
        "printed": printed_index(lines, text.splitlines()),
    }
    return ToolOutput(text=text, data=data, truncated=cut or len(groups.groups) > len(group_rows))


def _flow_line(flow: Flow, with_date: bool) -> str:
    """A flow's summary line, printing the pods at either end (a citation asks for it by pod)."""
    view = FlowView(flow)
    ends = [
        printed_key("flow-pod", end.get("namespace"), end.get("pod_name"))
        for end in (view.source, view.destination)
        if end and end.get("namespace") and end.get("pod_name")
    ]
    return printed(view.summary(with_date), *ends)


def _group_line(row: dict[str, Any]) -> str:
    if row.get("destination") == "(other)":
        return f"  x{row['count']} (other pairs)"
    reason = f" {row['reason']}" if row.get("reason") else ""
    arrow = "<-" if row.get("replies") else "->"
    return (
        f"  x{row['count']} {row['source']} {arrow} {row['destination']}"
        f"{_port(row['port'], row['protocol'])} "
        f"{row['verdict']}{reason} ({row['first_seen']}..{row['last_seen']})"
    )


def _rcode(value: str) -> int:
    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    if text in DNS_RCODE_NUMBERS:
        return DNS_RCODE_NUMBERS[text]
    raise ToolError(f"dns_rcode: {value!r} is not one of {', '.join(DNS_RCODE_NUMBERS)} or a number")


# --- flows_drops -----------------------------------------------------------------------------------


class FlowsDropsParams(FlowScopeParams):
    top: int = Field(10, ge=1, le=100)


@tool("flows_drops", "flows", FlowsDropsParams)
def flows_drops(ctx: ToolContext, params: FlowsDropsParams) -> ToolOutput:
    """Dropped flows by reason and pair; first for 'cannot connect'."""
    span = window(ctx, params)
    selection = select(params, [{"verdict": ["DROPPED"]}])
    stats = DropStats()
    for flow in scan(ctx, selection, span):
        stats.add(flow)
    with_date = span.with_date
    pairs = stats.top_pairs(params.top, with_date)
    lines = [
        f"{plural(stats.total, 'dropped flow')} in {span.text}{_filters_text(selection)} "
        f"({flow_source(ctx).description})",
        *source_notes(ctx),
    ]
    if stats.total:
        lines.append(
            "By reason: " + ", ".join(f"{reason} {n}" for reason, n in stats.by_reason.most_common())
        )
        lines.append(f"Top dropped pairs ({len(pairs)} of {len(stats.pairs)}):")
        for row in pairs:
            direction = f" {row['direction'].lower()}" if row.get("direction") else ""
            lines.append(
                f"  x{row['count']} {row['source']} -> {row['destination']}"
                f"{_port(row.get('port'), row.get('protocol'))} {row.get('reason')}{direction} "
                f"({row['first_seen']}..{row['last_seen']})"
            )
        if POLICY_DROP_REASONS & set(stats.by_reason):
            lines.append("Policy drops: flows_policy names the NetworkPolicy and what it allows.")
    text, cut = _fit(lines, ctx)
    data = {
        "window": span.as_dict(),
        "total": stats.total,
        "by_reason": dict(stats.by_reason),
        "pairs": pairs,
    }
    return ToolOutput(text=text, data=data, truncated=cut or len(stats.pairs) > len(pairs))


# --- flows_dns -------------------------------------------------------------------------------------


class FlowsDnsParams(FlowScopeParams):
    query: str | None = Field(None, description="regex on names")
    top: int = Field(10, ge=1, le=100)


@tool("flows_dns", "flows", FlowsDnsParams)
def flows_dns(ctx: ToolContext, params: FlowsDnsParams) -> ToolOutput:
    """Failed DNS lookups, by name and client."""
    span = window(ctx, params)
    if params.query:
        variants: list[dict[str, Any]] = [{"protocol": ["dns"], "dns_query": [params.query]}]
    else:
        variants = [{"protocol": ["dns"]}, {"destination_port": ["53"]}, {"source_port": ["53"]}]
    selection = select(params, variants, described=[f"query={params.query}"] if params.query else [])
    stats = DnsStats()
    for flow in scan(ctx, selection, span):
        stats.add(flow)
    with_date = span.with_date
    failures = stats.failure_rows(params.top, with_date)
    drops = stats.l4_drop_rows(params.top, with_date)
    failed = stats.responses - stats.by_rcode.get(0, 0)
    lines = [
        f"DNS in {span.text}{_filters_text(selection)} ({flow_source(ctx).description})",
        *source_notes(ctx),
    ]
    if stats.l7_flows:
        by_code = ", ".join(
            f"{DNS_RCODES.get(code, code)} {n}" for code, n in stats.by_rcode.most_common() if code != 0
        )
        lines.append(
            f"{plural(stats.responses, 'L7 DNS response')}, {failed} "
            f"failed{f' ({by_code})' if by_code else ''}"
        )
        if failures:
            lines.append("Failed lookups:")
            for row in failures:
                lines.append(
                    f"  x{row['count']} {row['query']} {row['rcode']} for {row['client']} "
                    f"({row['first_seen']}..{row['last_seen']})"
                )
    elif stats.l4_flows:
        lines.append(
            "No L7 DNS flows: only UDP/53 L3/L4 flows are visible, so query names and answer codes are not "
            "(L7 DNS visibility needs a DNS-aware Cilium policy)."
        )
    else:
        lines.append("No DNS flows (L7 or port 53) in the window.")
    if stats.l4_flows:
        verdicts = ", ".join(f"{verdict} {n}" for verdict, n in stats.l4_verdicts.most_common())
        lines.append(f"Port-53 L3/L4 flows: {stats.l4_flows} ({verdicts})")
    if drops:
        lines.append("Dropped DNS traffic (lookups cannot leave the client):")
        for row in drops:
            lines.append(
                f"  x{row['count']} {row['client']} -> {row['server']}:53 {row['reason']} "
                f"({row['first_seen']}..{row['last_seen']})"
            )
    text, cut = _fit(lines, ctx)
    data = {
        "window": span.as_dict(),
        "l7_flows": stats.l7_flows,
        "responses": stats.responses,
        "failed": failed,
        "by_rcode": {DNS_RCODES.get(code, str(code)): n for code, n in stats.by_rcode.items()},
        "failures": failures,
        "l4_flows": stats.l4_flows,
        "l4_verdicts": dict(stats.l4_verdicts),
        "l4_drops": drops,
        "only_l4": stats.l7_flows == 0 and stats.l4_flows > 0,
    }
    return ToolOutput(text=text, data=data, truncated=cut or len(stats.failures) > len(failures))


# --- flows_http ------------------------------------------------------------------------------------


class FlowsHttpParams(FlowScopeParams):
    min_status: int = Field(500, ge=400, le=599)
    top: int = Field(10, ge=1, le=100)


@tool("flows_http", "flows", FlowsHttpParams)
def flows_http(ctx: ToolContext, params: FlowsHttpParams) -> ToolOutput:
    """HTTP errors by destination and client."""
    span = window(ctx, params)
    selection = select(params, [{"protocol": ["http"]}])
    stats = HttpStats(min_status=params.min_status)
    for flow in scan(ctx, selection, span):
        stats.add(flow)
    with_date = span.with_date
    rows = stats.rows(params.top, with_date)
    responses = sum(server.responses for server in stats.servers.values())
    errors = sum(server.errors for server in stats.servers.values())
    lines = [
        f"HTTP in {span.text}{_filters_text(selection)} ({flow_source(ctx).description}): "
        f"{plural(responses, 'response')} from {plural(len(stats.servers), 'destination')}, "
        f"{errors} with status >= {params.min_status}",
        *source_notes(ctx),
    ]
    if not responses:
        lines.append("No L7 HTTP flows: HTTP visibility needs an L7 (HTTP) Cilium policy on the destination.")
    for row in rows:
        codes = ", ".join(f"{code} x{n}" for code, n in row["codes"].items())
        lines.append(
            f"  {row['destination']}: {row['errors']}/{row['responses']} errors ({row['error_ratio']:.1%}) "
            f"{codes}; top: {row['top_request']} from {row['top_client']} "
            f"({row['first_error']}..{row['last_error']})"
        )
    text, cut = _fit(lines, ctx)
    data = {"window": span.as_dict(), "responses": responses, "errors": errors, "destinations": rows}
    return ToolOutput(text=text, data=data, truncated=cut)


# --- flows_pair ------------------------------------------------------------------------------------


class FlowsPairParams(FlowWindowParams):
    source: str = Field(description="[namespace/]workload")
    destination: str = Field(description="[namespace/]workload")
    bucket_minutes: int = Field(1, ge=1, le=60)


@tool("flows_pair", "flows", FlowsPairParams)
def flows_pair(ctx: ToolContext, params: FlowsPairParams) -> ToolOutput:
    """Two workloads' traffic over time: drops, SYNs, RSTs."""
    span = window(ctx, params)
    try:
        source, destination = WorkloadRef.parse(params.source), WorkloadRef.parse(params.destination)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    forward = {"source_pod": [_pod_spec(source)], "destination_pod": [_pod_spec(destination)]}
    backward = {"source_pod": [_pod_spec(destination)], "destination_pod": [_pod_spec(source)]}
    selection = select(FlowScopeParams(), [forward, backward])
    history = PairHistory(source, destination, bucket_s=params.bucket_minutes * 60)
    for flow in scan(ctx, selection, span):
        history.add(flow)
    buckets = history.bucket_rows()
    verdicts = ", ".join(f"{verdict} {n}" for verdict, n in history.verdicts.most_common()) or "no traffic"
    lines = [f"{source} -> {destination} in {span.text} ({flow_source(ctx).description}): {verdicts}"]
    lines.extend(source_notes(ctx))
    if history.drop_reasons:
        lines.append("Drop reasons: " + ", ".join(f"{r} {n}" for r, n in history.drop_reasons.most_common()))
    if history.ports:
        lines.append("Destination ports: " + ", ".join(f"{p} ({n})" for p, n in history.ports.most_common(5)))
    if history.syns:
        lines.append(
            f"SYNs: {history.syns}, of which {history.syn_retransmits} retransmits (attempts not answered)"
        )
    if history.rst_replies:
        ports = ", ".join(str(port) for port, _ in history.rst_ports.most_common(3))
        lines.append(
            f"RST replies from {destination} port {ports}: {history.rst_replies}: nothing accepts "
            "connections there; check the Service targetPort against the container port."
        )
    elif history.syns:
        lines.append(f"RST replies from {destination}: 0")
    if history.verdicts.get("DROPPED"):
        lines.append("The drops are attributed to NetworkPolicies by flows_policy.")
    if buckets:
        lines.append(f"Per {params.bucket_minutes} min (UTC):")
        for row in buckets:
            counts = " ".join(f"{key} {value}" for key, value in row.items() if key != "bucket_start")
            lines.append(f"  {row['bucket_start']} {counts}")
    text, cut = _fit(lines, ctx, "Use a larger bucket_minutes or a smaller since_minutes.")
    data = {
        "window": span.as_dict(),
        "source": str(source),
        "destination": str(destination),
        "verdicts": dict(history.verdicts),
        "drop_reasons": dict(history.drop_reasons),
        "syns": history.syns,
        "syn_retransmits": history.syn_retransmits,
        "rst_replies": history.rst_replies,
        "rst_ports": {str(port): n for port, n in history.rst_ports.items()},
        "reply_verdicts": dict(history.reply_verdicts),
        "buckets": buckets,
        "recent": [flow_row(flow, True) for flow in history.recent],
    }
    return ToolOutput(text=text, data=data, truncated=cut)


def _pod_spec(ref: WorkloadRef) -> str:
    return f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name


# --- flows_policy ----------------------------------------------------------------------------------

MAX_POLICY_GROUPS = 2_000


class FlowsPolicyParams(FlowScopeParams):
    top: int = Field(10, ge=1, le=50)
    policies: list[dict[str, Any]] | None = Field(
        None, description="NetworkPolicies to use, not the cluster's"
    )


@tool("flows_policy", "flows", FlowsPolicyParams)
def flows_policy(ctx: ToolContext, params: FlowsPolicyParams) -> ToolOutput:
    """Which NetworkPolicy drops a flow, what it allows."""
    span = window(ctx, params)
    selection = select(
        params,
        [{"verdict": ["DROPPED"]}],
        [
            lambda flow: (
                flow.get("drop_reason_desc") in POLICY_DROP_REASONS or flow.get("drop_reason") in (133, 181)
            )
        ],
    )
    groups: dict[tuple[Any, ...], tuple[Tally, Flow]] = {}
    total = 0
    for flow in scan(ctx, selection, span):
        total += 1
        view = FlowView(flow)
        client, server, port, _ = view.oriented()
        key = (client, server, port, view.protocol, view.direction)
        entry = groups.get(key)
        if entry is None:
            if len(groups) >= MAX_POLICY_GROUPS:
                continue
            entry = groups[key] = (Tally(), flow)
        entry[0].add(view.epoch)
    policies, namespace_labels, origin = _policies(ctx, params)
    with_date = span.with_date
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0].count, str(item[0])))[: params.top]
    lines = [
        f"{plural(total, 'policy-dropped flow')} in {span.text}{_filters_text(selection)} in "
        f"{plural(len(groups), 'pair')} "
        f"({flow_source(ctx).description}); {origin}",
        *source_notes(ctx),
    ]
    rows = []
    for (source, destination, port, protocol, direction), (tally, sample) in ranked:
        attributions = attribute_flow(sample, policies, namespace_labels)
        where = f"{direction.lower()}, " if direction else ""
        lines.append(
            f"x{tally.count} {source} -> {destination}{_port(port, protocol)} "
            f"({where}{_times(tally, with_date)}):"
        )
        lines.extend(f"  {item.explanation}" for item in attributions)
        rows.append(
            {
                "source": source,
                "destination": destination,
                "port": port,
                "protocol": protocol,
                "direction": direction,
                "count": tally.count,
                "first_seen": format_epoch(tally.first, with_date),
                "last_seen": format_epoch(tally.last, with_date),
                "attributions": [item.as_row() for item in attributions],
            }
        )
    if not total:
        lines.append("No policy drops in the window.")
    text, cut = _fit(lines, ctx)
    data = {"window": span.as_dict(), "total": total, "policies_read": origin, "pairs": rows}
    return ToolOutput(text=text, data=data, truncated=cut or len(groups) > len(ranked))


def _policies(
    ctx: ToolContext, params: FlowsPolicyParams
) -> tuple[list[dict[str, Any]] | None, dict[str, dict[str, str]], str]:
    """NetworkPolicies given, else from the cluster; None (with why) when they cannot be read."""
    if params.policies is not None:
        return (
            params.policies,
            {},
            f"{plural(len(params.policies), 'NetworkPolicy', 'NetworkPolicies')} given",
        )
    if ctx.kube is None or "kubernetes" in ctx.unavailable:
        why = ctx.unavailable.get("kubernetes", "no Kubernetes access")
        return None, {}, f"NetworkPolicies not read ({why})"
    try:
        policies, labels = fetch_policies(ctx.kube)
    except Exception as exc:  # a partial answer beats none: the drops are still shown
        return None, {}, f"NetworkPolicies could not be read ({exc})"
    return (
        policies,
        labels,
        f"{plural(len(policies), 'NetworkPolicy', 'NetworkPolicies')} read from the cluster",
    )


# --- flows_status ----------------------------------------------------------------------------------


class FlowsStatusParams(FlowWindowParams):
    pass


@tool("flows_status", "flows", FlowsStatusParams)
def flows_status(ctx: ToolContext, params: FlowsStatusParams) -> ToolOutput:
    """Where flows come from, what they cover."""
    span = window(ctx, params)
    source = flow_source(ctx)
    status: dict[str, Any] = {}
    server_status = getattr(source, "server_status", None)
    if callable(server_status):
        try:
            status = server_status()
        except FlowSourceError as exc:
            raise ToolError(str(exc)) from None
    verdicts: Counter[str] = Counter()
    types: Counter[str] = Counter()
    nodes: Counter[str] = Counter()
    for flow in source.iter_flows(None, span.since, span.until):
        verdicts[flow.get("verdict") or "VERDICT_UNKNOWN"] += 1
        types[flow.get("Type") or "UNKNOWN_TYPE"] += 1
        nodes[flow.get("node_name") or "?"] += 1
    total = sum(verdicts.values())
    lines = [f"Flow source: {source.description}", *source_notes(ctx)]
    if status:
        lines.append(
            "Server status: "
            + ", ".join(
                f"{key}={value}" for key, value in status.items() if not isinstance(value, (list, dict))
            )
        )
    lines.append(f"{plural(total, 'flow')} in {span.text} from {plural(len(nodes), 'node')}")
    if total:
        lines.append("By verdict: " + ", ".join(f"{v} {n}" for v, n in verdicts.most_common()))
        lines.append("By type: " + ", ".join(f"{t} {n}" for t, n in types.most_common()))
    text, cut = _fit(lines, ctx)
    data = {
        "window": span.as_dict(),
        "source": source.description,
        "server_status": status,
        "total": total,
        "verdicts": dict(verdicts),
        "types": dict(types),
        "nodes": dict(nodes),
    }
    return ToolOutput(text=text, data=data, truncated=cut)


FAMILY = tool_family(
    "flows",
    "flows",
    "Hubble flows.",
    {
        "drops": flows_drops,
        "dns": flows_dns,
        "http": flows_http,
        "pair": flows_pair,
        "policy": flows_policy,
        "query": flows_query,
        "status": flows_status,
    },
    hidden=frozenset(  # for runbooks and tests; a model does with the defaults
        {"until", "side", "policies", "top", "limit", "min_status", "bucket_minutes", "protocol", "direction"}
        | {"dns_query", "dns_rcode", "http_status", "drop_reason"}
    ),
)
