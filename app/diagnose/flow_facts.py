"""Readings of Hubble Flow objects (protobuf-JSON, unwrapped) for analyzers: who, where, when, why."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tools.contracts.kube.time import parse_time

POLICY_DROP_REASONS = {"POLICY_DENIED", "POLICY_DENY"}
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def flow_time(flow: dict[str, Any]) -> datetime | None:
    return parse_time(flow.get("time"))


def is_recent(flow: dict[str, Any], now: datetime, window: timedelta) -> bool:
    moment = flow_time(flow)
    return moment is not None and -timedelta(minutes=5) <= now - moment <= window


def endpoint_labels(endpoint: dict[str, Any] | None) -> dict[str, str]:
    """Hubble labels like ``k8s:app=checkout`` as {"app": "checkout"} (k8s source only, no io.* internals)."""
    labels: dict[str, str] = {}
    for text in (endpoint or {}).get("labels") or []:
        source, _, pair = text.partition(":")
        if source != "k8s" or "=" not in pair:
            continue
        key, _, value = pair.partition("=")
        if key.startswith("io.kubernetes.pod.namespace") or key.startswith("io.cilium."):
            continue
        labels[key] = value
    return labels


def endpoint_workload(endpoint: dict[str, Any] | None) -> tuple[str, str] | None:
    workloads = (endpoint or {}).get("workloads") or []
    if workloads:
        return workloads[0].get("kind", ""), workloads[0].get("name", "")
    return None


def endpoint_text(endpoint: dict[str, Any] | None) -> str:
    """``ns/pod`` as ``hubble observe`` prints a pod endpoint (or the reserved identity / IP)."""
    endpoint = endpoint or {}
    if endpoint.get("pod_name"):
        return f"{endpoint.get('namespace')}/{endpoint['pod_name']}"
    for text in endpoint.get("labels") or []:
        if text.startswith("reserved:"):
            return text.partition(":")[2]
    return str(endpoint.get("identity", "?"))


def l4(flow: dict[str, Any]) -> tuple[str, int | None, int | None]:
    """(protocol, source port, destination port) of the flow."""
    layer = flow.get("l4") or {}
    for proto in ("TCP", "UDP", "SCTP"):
        if proto in layer:
            part = layer[proto] or {}
            return proto, _int(part.get("source_port")), _int(part.get("destination_port"))
    for proto in ("ICMPv4", "ICMPv6"):
        if proto in layer:
            return proto, None, None
    return "", None, None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def tcp_flags(flow: dict[str, Any]) -> dict[str, bool]:
    return ((flow.get("l4") or {}).get("TCP") or {}).get("flags") or {}


def is_policy_drop(flow: dict[str, Any]) -> bool:
    return flow.get("verdict") == "DROPPED" and flow.get("drop_reason_desc") in POLICY_DROP_REASONS


def is_rst_reply(flow: dict[str, Any]) -> bool:
    return bool(tcp_flags(flow).get("RST")) and (
        bool(flow.get("is_reply")) or flow.get("verdict") == "FORWARDED"
    )


def dns_of(flow: dict[str, Any]) -> dict[str, Any] | None:
    return ((flow.get("l7") or {}).get("dns")) or None


def dns_rcode(flow: dict[str, Any]) -> int | None:
    dns = dns_of(flow)
    return None if dns is None else _int(dns.get("rcode", 0))


def denied_by(flow: dict[str, Any]) -> list[dict[str, Any]]:
    """Policies Hubble names as denying the flow (newer Cilium), for either direction."""
    return list(flow.get("ingress_denied_by") or []) + list(flow.get("egress_denied_by") or [])
