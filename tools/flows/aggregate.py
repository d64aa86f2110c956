"""Aggregations over a stream of flows, in memory bounded by distinct keys (never by record count).

Each aggregator has ``add(flow)`` and returns plain rows, so one pass over a source can feed several
of them (the benchmark does) and the rows go straight into a tool's structured ``data``.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from tools.flows.model import (
    DNS_RCODES,
    Flow,
    FlowView,
    endpoint_matches_workload,
    endpoint_name,
    format_epoch,
)

OTHER = "(other)"
DEFAULT_MAX_KEYS = 20_000


@dataclass
class Tally:
    count: int = 0
    first: float | None = None
    last: float | None = None

    def add(self, epoch: float | None) -> None:
        self.count += 1
        if epoch is None:
            return
        if self.first is None or epoch < self.first:
            self.first = epoch
        if self.last is None or epoch > self.last:
            self.last = epoch


def _tally(table: dict[Any, Tally], key: Any, epoch: float | None, max_keys: int) -> None:
    """Count under ``key``; once ``max_keys`` distinct keys exist, new ones count under OTHER."""
    entry = table.get(key)
    if entry is None:
        if len(table) >= max_keys:
            key = OTHER
            entry = table.get(key)
        if entry is None:
            entry = table[key] = Tally()
    entry.add(epoch)


def _times(tally: Tally, with_date: bool) -> dict[str, Any]:
    return {
        "count": tally.count,
        "first_seen": format_epoch(tally.first, with_date),
        "last_seen": format_epoch(tally.last, with_date),
    }


# --- drops ------------------------------------------------------------------------------------------


@dataclass
class DropStats:
    """Dropped flows: by reason, and by source -> destination, port, protocol, reason, direction."""

    max_keys: int = DEFAULT_MAX_KEYS
    total: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    pairs: dict[Any, Tally] = field(default_factory=dict)

    def add(self, flow: Flow) -> None:
        if flow.get("verdict") != "DROPPED":
            return
        view = FlowView(flow)
        reason = view.drop_reason or "UNKNOWN"
        self.total += 1
        self.by_reason[reason] += 1
        client, server, port, _ = view.oriented()
        key = (client, server, port, view.protocol, reason, view.direction)
        _tally(self.pairs, key, view.epoch, self.max_keys)

    def top_pairs(self, count: int, with_date: bool = False) -> list[dict[str, Any]]:
        ranked = sorted(self.pairs.items(), key=lambda item: (-item[1].count, str(item[0])))[:count]
        rows = []
        for key, tally in ranked:
            if key == OTHER:
                rows.append({"source": OTHER, "destination": OTHER, **_times(tally, with_date)})
                continue
            source, destination, port, protocol, reason, direction = key
            rows.append(
                {
                    "source": source,
                    "destination": destination,
                    "port": port,
                    "protocol": protocol,
                    "reason": reason,
                    "direction": direction,
                    **_times(tally, with_date),
                }
            )
        return rows


# --- DNS --------------------------------------------------------------------------------------------


@dataclass
class DnsStats:
    """DNS answers from L7 DNS flows (failures by query, rcode and client), and the L3/L4 view of
    port-53 traffic (what is left when no DNS-aware policy sends DNS through the proxy)."""

    max_keys: int = DEFAULT_MAX_KEYS
    l7_flows: int = 0
    responses: int = 0
    by_rcode: Counter[int] = field(default_factory=Counter)
    failures: dict[Any, Tally] = field(default_factory=dict)
    l4_flows: int = 0
    l4_verdicts: Counter[str] = field(default_factory=Counter)
    l4_drops: dict[Any, Tally] = field(default_factory=dict)

    def add(self, flow: Flow) -> None:
        l7 = flow.get("l7")
        if l7 is not None and "dns" in l7:
            self._add_l7(flow, l7)
            return
        l4 = flow.get("l4") or {}
        part = l4.get("UDP") or l4.get("TCP")
        if part is None:
            return
        destination_port = int(part.get("destination_port") or 0)
        source_port = int(part.get("source_port") or 0)
        if destination_port != 53 and source_port != 53:
            return
        view = FlowView(flow)
        self.l4_flows += 1
        self.l4_verdicts[view.verdict] += 1
        if view.verdict == "DROPPED":
            to_server = destination_port == 53
            client = view.source_name if to_server else view.destination_name
            server = view.destination_name if to_server else view.source_name
            key = (client, server, view.drop_reason or "UNKNOWN")
            _tally(self.l4_drops, key, view.epoch, self.max_keys)

    def _add_l7(self, flow: Flow, l7: dict[str, Any]) -> None:
        self.l7_flows += 1
        if l7.get("type") != "RESPONSE":
            return
        dns = l7["dns"]
        rcode = int(dns.get("rcode") or 0)
        self.responses += 1
        self.by_rcode[rcode] += 1
        if rcode == 0:
            return
        view = FlowView(flow)
        client = view.destination_name  # a response flows from the resolver to the client
        key = (dns.get("query") or "?", rcode, client)
        _tally(self.failures, key, view.epoch, self.max_keys)

    def failure_rows(self, count: int, with_date: bool = False) -> list[dict[str, Any]]:
        ranked = sorted(self.failures.items(), key=lambda item: (-item[1].count, str(item[0])))[:count]
        rows = []
        for key, tally in ranked:
            if key == OTHER:
                rows.append({"query": OTHER, **_times(tally, with_date)})
                continue
            query, rcode, client = key
            rows.append(
                {
                    "query": query,
                    "rcode": DNS_RCODES.get(rcode, str(rcode)),
                    "rcode_number": rcode,
                    "client": client,
                    **_times(tally, with_date),
                }
            )
        return rows

    def l4_drop_rows(self, count: int, with_date: bool = False) -> list[dict[str, Any]]:
        ranked = sorted(self.l4_drops.items(), key=lambda item: (-item[1].count, str(item[0])))[:count]
        rows = []
        for key, tally in ranked:
            client, server, reason = key if key != OTHER else (OTHER, OTHER, OTHER)
            rows.append({"client": client, "server": server, "reason": reason, **_times(tally, with_date)})
        return rows


# --- HTTP -------------------------------------------------------------------------------------------


@dataclass
class _Server:
    responses: int = 0
    errors: int = 0
    codes: Counter[int] = field(default_factory=Counter)
    urls: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    error_times: Tally = field(default_factory=Tally)


@dataclass
class HttpStats:
    """HTTP responses from L7 flows per destination (the server): totals, errors, codes, URLs."""

    min_status: int = 500
    max_keys: int = DEFAULT_MAX_KEYS
    servers: dict[str, _Server] = field(default_factory=dict)

    def add(self, flow: Flow) -> None:
        http = (flow.get("l7") or {}).get("http")
        if not http:
            return
        code = int(http.get("code") or 0)
        if not code:
            return  # a request; its response carries the code
        view = FlowView(flow)
        server_name, client_name = (
            (view.source_name, view.destination_name)
            if view.is_l7_response
            else (view.destination_name, view.source_name)
        )
        server = self.servers.get(server_name)
        if server is None:
            if len(self.servers) >= self.max_keys:
                server_name = OTHER
            server = self.servers.setdefault(server_name, _Server())
        server.responses += 1
        if code < self.min_status:
            return
        server.errors += 1
        server.codes[code] += 1
        request = f"{http.get('method', '')} {http.get('url', '')}".strip()
        if len(server.urls) < 50 or request in server.urls:
            server.urls[request] += 1
        if len(server.clients) < 50 or client_name in server.clients:
            server.clients[client_name] += 1
        server.error_times.add(view.epoch)

    def rows(self, count: int, with_date: bool = False) -> list[dict[str, Any]]:
        ranked = sorted(
            ((name, server) for name, server in self.servers.items() if server.errors),
            key=lambda item: (-item[1].errors, item[0]),
        )[:count]
        return [
            {
                "destination": name,
                "responses": server.responses,
                "errors": server.errors,
                "error_ratio": round(server.errors / server.responses, 4) if server.responses else 0.0,
                "codes": {str(code): n for code, n in server.codes.most_common()},
                "top_request": server.urls.most_common(1)[0][0] if server.urls else None,
                "top_client": server.clients.most_common(1)[0][0] if server.clients else None,
                "first_error": format_epoch(server.error_times.first, with_date),
                "last_error": format_epoch(server.error_times.last, with_date),
            }
            for name, server in ranked
        ]


# --- a pair of workloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadRef:
    """``ns/name`` or ``name``: a workload (or a pod-name prefix when Hubble has no workload)."""

    name: str
    namespace: str | None = None

    @classmethod
    def parse(cls, text: str) -> WorkloadRef:
        namespace, sep, name = text.strip().partition("/")
        if not sep:
            return cls(name=namespace)
        if not name or not namespace:
            raise ValueError(f"{text!r} must be 'namespace/workload' or 'workload'")
        return cls(name=name, namespace=namespace)

    def matches(self, endpoint: dict[str, Any] | None) -> bool:
        return endpoint_matches_workload(endpoint, self.name, self.namespace)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


MAX_TRACKED_CONNECTIONS = 50_000  # retransmits come within seconds: forgetting the oldest is harmless


@dataclass
class PairHistory:
    """Traffic from ``source`` to ``destination``: verdicts per time bucket, RST replies from the
    destination (a Service targetPort with no listener), and SYN retransmits (packets going nowhere)."""

    source: WorkloadRef
    destination: WorkloadRef
    bucket_s: int = 60
    verdicts: Counter[str] = field(default_factory=Counter)
    drop_reasons: Counter[str] = field(default_factory=Counter)
    buckets: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ports: Counter[int] = field(default_factory=Counter)
    rst_ports: Counter[int] = field(default_factory=Counter)
    syns: int = 0
    syn_retransmits: int = 0
    rst_replies: int = 0
    reply_verdicts: Counter[str] = field(default_factory=Counter)
    reverse: int = 0
    _connections: dict[tuple[Any, ...], None] = field(default_factory=dict)  # insertion-ordered
    _recent: deque[Flow] = field(default_factory=lambda: deque(maxlen=5))

    def add(self, flow: Flow) -> None:
        source, destination = flow.get("source"), flow.get("destination")
        forward = self.source.matches(source) and self.destination.matches(destination)
        backward = not forward and self.destination.matches(source) and self.source.matches(destination)
        if not forward and not backward:
            return
        view = FlowView(flow)
        epoch = view.epoch
        bucket = self.buckets[int(epoch // self.bucket_s) * self.bucket_s] if epoch is not None else Counter()
        reply = view.is_reply
        if forward and not reply:
            verdict = view.verdict
            self.verdicts[verdict] += 1
            bucket[verdict] += 1
            if verdict == "DROPPED":
                self.drop_reasons[view.drop_reason or "UNKNOWN"] += 1
            port = view.destination_port
            if port is not None:
                self.ports[port] += 1
            flags = view.tcp_flags
            if "SYN" in flags and "ACK" not in flags:
                self.syns += 1
                connection = (view.source_ip, view.source_port, view.destination_ip, port)
                if connection in self._connections:
                    self.syn_retransmits += 1
                    bucket["SYN_RETRANSMIT"] += 1
                else:
                    if len(self._connections) >= MAX_TRACKED_CONNECTIONS:
                        del self._connections[next(iter(self._connections))]
                    self._connections[connection] = None
            self._recent.append(flow)
        elif backward and reply:
            self.reply_verdicts[view.verdict] += 1
            if "RST" in view.tcp_flags:
                self.rst_replies += 1
                bucket["RST"] += 1
                if view.source_port is not None:
                    self.rst_ports[view.source_port] += 1
                self._recent.append(flow)
        else:
            self.reverse += 1  # traffic the other way round (destination initiating), or unknown direction

    def bucket_rows(self) -> list[dict[str, Any]]:
        rows = []
        for start in sorted(self.buckets):
            counts = self.buckets[start]
            if counts:
                rows.append({"bucket_start": format_epoch(start, with_date=True), **dict(counts)})
        return rows

    @property
    def recent(self) -> list[Flow]:
        return list(self._recent)


# --- flows grouped for a listing ----------------------------------------------------------------------


@dataclass
class FlowGroups:
    """Matching flows counted by (source, destination, port, protocol, verdict, reason), plus the
    ``keep`` most recent flows in full."""

    keep: int = 40
    max_keys: int = DEFAULT_MAX_KEYS
    total: int = 0
    groups: dict[Any, Tally] = field(default_factory=dict)
    recent: deque[Flow] = field(init=False)

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.keep)

    def add(self, flow: Flow) -> None:
        self.total += 1
        view = FlowView(flow)
        reason = view.drop_reason if view.verdict == "DROPPED" else None
        client, server, port, reply = view.oriented()
        key = (client, server, port, view.protocol, view.verdict, reason, reply)
        _tally(self.groups, key, view.epoch, self.max_keys)
        self.recent.append(flow)

    def group_rows(self, count: int, with_date: bool = False) -> list[dict[str, Any]]:
        ranked = sorted(self.groups.items(), key=lambda item: (-item[1].count, str(item[0])))[:count]
        rows = []
        for key, tally in ranked:
            if key == OTHER:
                rows.append({"source": OTHER, "destination": OTHER, **_times(tally, with_date)})
                continue
            client, server, port, protocol, verdict, reason, reply = key
            rows.append(
                {
                    "source": client,
                    "destination": server,
                    "port": port,
                    "protocol": protocol,
                    "verdict": verdict,
                    "reason": reason,
                    "replies": reply,
                    **_times(tally, with_date),
                }
            )
        return rows


def flow_row(flow: Flow, with_date: bool = False) -> dict[str, Any]:
    """One flow as a table row for the page."""
    view = FlowView(flow)
    return {
        "time": flow.get("time"),
        "source": endpoint_name(view.source, view.source_ip, flow.get("source_names")),
        "source_pod": view.source.get("pod_name"),
        "destination": endpoint_name(view.destination, view.destination_ip, flow.get("destination_names")),
        "destination_pod": view.destination.get("pod_name"),
        "port": view.destination_port,
        "protocol": view.protocol,
        "flags": sorted(view.tcp_flags),
        "verdict": view.verdict,
        "drop_reason": view.drop_reason if view.verdict == "DROPPED" else None,
        "direction": view.direction,
        "is_reply": view.is_reply,
        "l7": view.l7_summary(),
        "node": flow.get("node_name"),
        "summary": view.summary(with_date),
    }
