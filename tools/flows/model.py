"""A light view over one Hubble flow in protobuf-JSON form.

Every flow source (snapshot files, Hubble Relay) hands the rest of kubewhy plain dicts shaped like
``hubble observe -o jsonpb`` prints a Flow: enum values as names, 64-bit integers as strings, empty
fields omitted. This module reads those dicts: the envelope, time stamps, endpoints, L4 and L7 parts,
and one compact line per flow for a model to read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tools.contracts.kube.time import parse_time

Flow = dict[str, Any]

VERDICTS = ("FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED")
POLICY_DROP_REASONS = frozenset({"POLICY_DENIED", "POLICY_DENY"})
DNS_RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
DNS_RCODE_NUMBERS = {name: number for number, name in DNS_RCODES.items()}
L4_PROTOCOLS = ("TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP")
TCP_FLAG_ORDER = ("SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
# Response-type keys other than "flow" that a GetFlowsResponse line may carry; such lines are skipped.
NON_FLOW_KEYS = ("node_status", "lost_events", "agent_event", "debug_event")


def unwrap(record: dict[str, Any]) -> Flow | None:
    """The Flow inside one jsonl record: the ``flow`` of an envelope, a bare Flow, or None for
    ``node_status``/``lost_events`` lines and anything that is not a flow."""
    inner = record.get("flow")
    if isinstance(inner, dict):
        if "node_name" not in inner and "node_name" in record:
            inner["node_name"] = record["node_name"]
        if "time" not in inner and "time" in record:
            inner["time"] = record["time"]
        return inner
    for key in NON_FLOW_KEYS:
        if key in record:
            return None
    if "verdict" in record or "source" in record or "IP" in record or "l4" in record:
        return record
    return None


# --- time ------------------------------------------------------------------------------------------

_SECOND_CACHE: dict[str, float] = {}


def parse_epoch(text: str) -> float | None:
    """RFC 3339 (nanoseconds allowed) to epoch seconds; None when unreadable. Whole seconds are cached
    because consecutive flows share them, which keeps this off the profile of a million-line scan."""
    if len(text) >= 20 and text[-1] == "Z" and text[10] == "T":
        head = text[:19]
        base = _SECOND_CACHE.get(head)
        if base is None:
            try:
                base = datetime.fromisoformat(head).replace(tzinfo=UTC).timestamp()
            except ValueError:
                return None
            if len(_SECOND_CACHE) > 100_000:
                _SECOND_CACHE.clear()
            _SECOND_CACHE[head] = base
        fraction = text[19:-1]
        if not fraction:
            return base
        try:
            return base + float("0" + fraction)
        except ValueError:
            return None
    moment = parse_time(text)  # offsets other than Z, or a short form: the slow, general path
    return None if moment is None else moment.timestamp()


def flow_epoch(flow: Flow) -> float | None:
    text = flow.get("time")
    return parse_epoch(text) if isinstance(text, str) else None


def format_epoch(epoch: float | None, with_date: bool = False) -> str:
    if epoch is None:
        return "?"
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if with_date else "%H:%M:%S")


# --- endpoints -------------------------------------------------------------------------------------


def label_map(endpoint: dict[str, Any] | None) -> dict[str, str]:
    """Endpoint labels without their source prefix: ``"k8s:app=checkout"`` -> ``{"app": "checkout"}``.
    Reserved labels keep their prefix (``"reserved:world"`` -> ``{"reserved:world": ""}``) so they
    never look like pod labels."""
    result: dict[str, str] = {}
    for label in (endpoint or {}).get("labels") or ():
        source, sep, rest = label.partition(":")
        if not sep:
            source, rest = "", label
        key, _, value = rest.partition("=")
        if source == "reserved":
            result[f"reserved:{key}"] = value
        else:
            result[key] = value
    return result


def reserved_identity(endpoint: dict[str, Any] | None) -> str | None:
    """``world``, ``host``, ``kube-apiserver``... for non-pod endpoints, from ``reserved:`` labels."""
    for label in (endpoint or {}).get("labels") or ():
        if label.startswith("reserved:"):
            return label[9:].partition("=")[0]
    return None


def workload_name(endpoint: dict[str, Any] | None) -> str | None:
    workloads = (endpoint or {}).get("workloads")
    if workloads:
        return workloads[0].get("name") or None
    return None


def endpoint_matches_workload(endpoint: dict[str, Any] | None, name: str, namespace: str | None) -> bool:
    """Does this endpoint belong to workload ``name``? Uses ``workloads`` when Hubble filled it, else the
    pod-name convention (``<workload>-...``) of Deployments, StatefulSets, DaemonSets and Jobs."""
    if not endpoint:
        return False
    if namespace and endpoint.get("namespace") != namespace:
        return False
    workloads = endpoint.get("workloads")
    if workloads:
        return any(item.get("name") == name for item in workloads)
    pod = endpoint.get("pod_name") or ""
    return pod == name or pod.startswith(name + "-")


def endpoint_name(endpoint: dict[str, Any] | None, ip: str | None, names: list[str] | None = None) -> str:
    """A stable, readable name for grouping: ``ns/workload``, else ``ns/pod``, else the reserved identity
    with its IP or DNS name (``world(api.stripe.com)``), else the IP."""
    endpoint = endpoint or {}
    namespace = endpoint.get("namespace")
    workload = workload_name(endpoint)
    if workload:
        return f"{namespace}/{workload}" if namespace else workload
    pod = endpoint.get("pod_name")
    if pod:
        return f"{namespace}/{pod}" if namespace else pod
    reserved = reserved_identity(endpoint)
    where = names[0] if names else ip
    if reserved:
        return f"{reserved}({where})" if where else reserved
    return where or "unknown"


def pod_display(endpoint: dict[str, Any] | None, ip: str | None, names: list[str] | None = None) -> str:
    """The most specific name: ``ns/pod`` for pods, else as :func:`endpoint_name`."""
    endpoint = endpoint or {}
    pod = endpoint.get("pod_name")
    if pod:
        namespace = endpoint.get("namespace")
        return f"{namespace}/{pod}" if namespace else pod
    return endpoint_name(endpoint, ip, names)


# --- the view --------------------------------------------------------------------------------------


class FlowView:
    """Read-only accessors over one flow dict. Cheap to create; computes on access."""

    __slots__ = ("raw",)

    def __init__(self, raw: Flow) -> None:
        self.raw = raw

    @property
    def epoch(self) -> float | None:
        return flow_epoch(self.raw)

    @property
    def verdict(self) -> str:
        return self.raw.get("verdict") or "VERDICT_UNKNOWN"

    @property
    def drop_reason(self) -> str | None:
        reason = self.raw.get("drop_reason_desc")
        if reason:
            return str(reason)
        number = self.raw.get("drop_reason")
        return f"drop_reason={number}" if number else None

    @property
    def direction(self) -> str | None:
        direction = self.raw.get("traffic_direction")
        return None if direction in (None, "TRAFFIC_DIRECTION_UNKNOWN") else direction

    @property
    def source(self) -> dict[str, Any]:
        return self.raw.get("source") or {}

    @property
    def destination(self) -> dict[str, Any]:
        return self.raw.get("destination") or {}

    @property
    def source_ip(self) -> str | None:
        return (self.raw.get("IP") or {}).get("source")

    @property
    def destination_ip(self) -> str | None:
        return (self.raw.get("IP") or {}).get("destination")

    @property
    def source_name(self) -> str:
        return endpoint_name(self.source, self.source_ip, self.raw.get("source_names"))

    @property
    def destination_name(self) -> str:
        return endpoint_name(self.destination, self.destination_ip, self.raw.get("destination_names"))

    @property
    def l4(self) -> tuple[str | None, dict[str, Any]]:
        """(protocol name, its message) from the ``l4`` oneof."""
        l4 = self.raw.get("l4") or {}
        for name in L4_PROTOCOLS:
            part = l4.get(name)
            if part is not None:
                return name, part
        return None, {}

    @property
    def protocol(self) -> str | None:
        return self.l4[0]

    @property
    def source_port(self) -> int | None:
        port = self.l4[1].get("source_port")
        return int(port) if port is not None else None

    @property
    def destination_port(self) -> int | None:
        port = self.l4[1].get("destination_port")
        return int(port) if port is not None else None

    @property
    def tcp_flags(self) -> frozenset[str]:
        protocol, part = self.l4
        if protocol != "TCP":
            return frozenset()
        return frozenset(flag for flag, on in (part.get("flags") or {}).items() if on)

    @property
    def is_reply(self) -> bool | None:
        value = self.raw.get("is_reply")
        if value is None:
            value = self.raw.get("reply")
        return None if value is None else bool(value)

    @property
    def l7(self) -> dict[str, Any]:
        return self.raw.get("l7") or {}

    @property
    def dns(self) -> dict[str, Any] | None:
        return self.l7.get("dns")

    @property
    def http(self) -> dict[str, Any] | None:
        return self.l7.get("http")

    @property
    def is_l7_response(self) -> bool:
        return self.l7.get("type") == "RESPONSE" or bool(self.is_reply)

    @property
    def service_port(self) -> int | None:
        """The server-side port: the destination port, or the source port of a reply."""
        return self.source_port if self.is_reply else self.destination_port

    def oriented(self) -> tuple[str, str, int | None, bool]:
        """(client, server, server port, is reply) by workload name. Replies are turned around, as
        ``hubble observe`` prints them, so the side that opened the connection always comes first."""
        if self.is_reply:
            return self.destination_name, self.source_name, self.source_port, True
        return self.source_name, self.destination_name, self.destination_port, False

    def summary(self, with_date: bool = False) -> str:
        """One compact line: time, client -> server:port (``<-`` for replies), protocol and flags,
        verdict, drop reason, direction, L7."""
        protocol, _ = self.l4
        source = pod_display(self.source, self.source_ip, self.raw.get("source_names"))
        destination = pod_display(self.destination, self.destination_ip, self.raw.get("destination_names"))
        if self.is_reply:
            left, right, port, arrow = destination, source, self.source_port, "<-"
        else:
            left, right, port, arrow = source, destination, self.destination_port, "->"
        parts = [
            format_epoch(self.epoch, with_date),
            left,
            arrow,
            f"{right}:{port}" if port is not None else right,
        ]
        if protocol:
            flags = self.tcp_flags
            ordered = ",".join(flag for flag in TCP_FLAG_ORDER if flag in flags)
            parts.append(f"{protocol}[{ordered}]" if ordered else protocol)
        parts.append(self.verdict)
        if self.verdict == "DROPPED" and self.drop_reason:
            parts.append(self.drop_reason)
        if self.direction:
            parts.append(self.direction.lower())
        l7 = self.l7_summary()
        if l7:
            parts.append(l7)
        return " ".join(parts)

    def l7_summary(self) -> str | None:
        dns = self.dns
        if dns is not None:
            rcode = int(dns.get("rcode") or 0)
            kind = self.l7.get("type", "")
            answer = f" {DNS_RCODES.get(rcode, rcode)}" if kind == "RESPONSE" else ""
            return f"dns {kind.lower()} {dns.get('query', '?')}{answer}"
        http = self.http
        if http is not None:
            code = http.get("code")
            text = f"http {http.get('method', '')} {http.get('url', '')}".rstrip()
            return f"{text} {code}" if code else text
        return None
