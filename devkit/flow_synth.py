"""Build Hubble flow records in protobuf-JSON form, as the Hubble exporter writes them.

Used by the tests (to state exactly the flows a case needs) and by ``bench/bench_flows.py`` (to write
a million realistic lines). Field names and enum spellings follow Cilium's ``flow.proto``.
"""

from __future__ import annotations

import json
import random
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CLUSTER = "prod"
_UUIDS = random.Random(0)  # uuids are random-looking but reproducible


@dataclass(frozen=True)
class Pod:
    """A pod as Hubble sees it: namespace, name, workload, labels, IP."""

    namespace: str
    name: str
    workload: str
    labels: tuple[tuple[str, str], ...]
    ip: str
    kind: str = "Deployment"
    namespace_labels: tuple[tuple[str, str], ...] = ()

    def endpoint(self, identity: int = 0) -> dict[str, Any]:
        labels = [f"k8s:{key}={value}" for key, value in self.labels]
        labels.append(f"k8s:io.kubernetes.pod.namespace={self.namespace}")
        labels.append("k8s:io.cilium.k8s.policy.cluster=default")
        labels.extend(
            f"k8s:io.cilium.k8s.namespace.labels.{key}={value}" for key, value in self.namespace_labels
        )
        endpoint: dict[str, Any] = {
            "ID": 1000 + (zlib.crc32(self.name.encode()) % 3000),
            "identity": identity or 10000 + (zlib.crc32(repr(self.labels).encode()) % 50000),
            "namespace": self.namespace,
            "labels": sorted(labels),
            "pod_name": self.name,
        }
        if self.workload:
            endpoint["workloads"] = [{"name": self.workload, "kind": self.kind}]
        return endpoint


def pod(
    namespace: str,
    workload: str,
    ip: str,
    labels: dict[str, str] | None = None,
    suffix: str = "7d9f8c6b5-x2lqp",
    kind: str = "Deployment",
    namespace_labels: dict[str, str] | None = None,
) -> Pod:
    return Pod(
        namespace=namespace,
        name=f"{workload}-{suffix}" if suffix else workload,
        workload=workload,
        labels=tuple(sorted((labels or {"app": workload}).items())),
        ip=ip,
        kind=kind,
        namespace_labels=tuple(sorted((namespace_labels or {}).items())),
    )


WORLD = "world"


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC as protobuf JSON writes a Timestamp: 0, 3 or 6 fractional digits, then Z."""
    moment = moment.astimezone(UTC)
    micros = moment.microsecond
    fraction = "" if not micros else f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def make_flow(
    time: datetime,
    source: Pod | str,
    destination: Pod | str,
    *,
    verdict: str = "FORWARDED",
    drop_reason: str | None = None,
    protocol: str = "TCP",
    source_port: int = 43512,
    destination_port: int = 8080,
    flags: Iterable[str] = ("SYN",),
    direction: str = "EGRESS",
    is_reply: bool | None = False,
    l7: dict[str, Any] | None = None,
    node: str = "worker-1",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Flow dict. ``source``/``destination`` are pods, or an IP string for a world endpoint."""
    flow: dict[str, Any] = {"time": timestamp(time), "uuid": str(uuid.UUID(int=_UUIDS.getrandbits(128)))}
    flow["verdict"] = verdict
    if verdict == "DROPPED":
        reason = drop_reason or "POLICY_DENIED"
        flow["drop_reason"] = {"POLICY_DENIED": 133, "POLICY_DENY": 181}.get(reason, 0) or None
        flow["drop_reason_desc"] = reason
        if flow["drop_reason"] is None:
            del flow["drop_reason"]
    source_ip = source.ip if isinstance(source, Pod) else source
    destination_ip = destination.ip if isinstance(destination, Pod) else destination
    flow["IP"] = {"source": source_ip, "destination": destination_ip, "ipVersion": "IPv4"}
    if protocol in ("TCP", "UDP", "SCTP"):
        part: dict[str, Any] = {"source_port": source_port, "destination_port": destination_port}
        if protocol == "TCP":
            part["flags"] = {flag: True for flag in flags}
        flow["l4"] = {protocol: part}
    elif protocol in ("ICMPv4", "ICMPv6"):
        flow["l4"] = {protocol: {"type": 8}}
    flow["source"] = (
        source.endpoint() if isinstance(source, Pod) else {"identity": 2, "labels": ["reserved:world"]}
    )
    flow["destination"] = (
        destination.endpoint()
        if isinstance(destination, Pod)
        else {"identity": 2, "labels": ["reserved:world"]}
    )
    flow["Type"] = "L7" if l7 else "L3_L4"
    flow["node_name"] = f"{CLUSTER}/{node}"
    if l7:
        flow["l7"] = l7
        flow["event_type"] = {"type": 129}
    elif verdict == "DROPPED":
        flow["event_type"] = {"type": 1, "sub_type": 133}
    else:
        flow["event_type"] = {"type": 4}
    if is_reply is not None:
        flow["is_reply"] = is_reply
    flow["traffic_direction"] = direction
    if verdict != "DROPPED":
        flow["trace_observation_point"] = "TO_ENDPOINT"
    if extra:
        flow.update(extra)
    return flow


def dns_l7(query: str, rcode: int = 0, response: bool = True, ips: Iterable[str] = ()) -> dict[str, Any]:
    dns: dict[str, Any] = {"query": query, "qtypes": ["A"]}
    if response:
        if rcode:
            dns["rcode"] = rcode
        else:
            dns["ips"] = list(ips) or ["10.96.0.1"]
            dns["ttl"] = 30
            dns["rrtypes"] = ["A"]
    return {"type": "RESPONSE" if response else "REQUEST", "latency_ns": "1200000", "dns": dns}


def http_l7(
    code: int, method: str = "GET", url: str = "http://api/", response: bool = True
) -> dict[str, Any]:
    http: dict[str, Any] = {"method": method, "url": url, "protocol": "HTTP/1.1"}
    if response:
        http["code"] = code
    return {"type": "RESPONSE" if response else "REQUEST", "latency_ns": "3500000", "http": http}


def envelope(flow: dict[str, Any]) -> dict[str, Any]:
    """The GetFlowsResponse line the exporter and ``hubble observe -o jsonpb`` write."""
    return {"flow": flow, "node_name": flow.get("node_name", ""), "time": flow["time"]}


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


# --- a realistic mix for the benchmark -----------------------------------------------------------------

SHOP = {
    "web": pod("shop", "web", "10.0.1.10", suffix="6c8d7b9f4-k2m4p"),
    "checkout": pod("shop", "checkout", "10.0.1.23"),
    "cart": pod("shop", "cart", "10.0.1.31", suffix="5f6d7c8b9-abcde"),
    "postgres": pod("data", "postgres", "10.0.2.45", suffix="0", kind="StatefulSet"),
    "coredns": pod("kube-system", "coredns", "10.0.0.10", {"k8s-app": "kube-dns"}, suffix="5d78c9869d-4vq7z"),
}


def traffic_mix(
    count: int, start: datetime, seconds: float = 3600.0, seed: int = 7
) -> Iterator[dict[str, Any]]:
    """``count`` envelope records over ``seconds``: mostly forwarded TCP, ~8% policy drops (checkout ->
    postgres), ~6% L7 DNS (some NXDOMAIN), ~6% L7 HTTP (some 5xx). Deterministic for a seed."""
    rng = random.Random(seed)
    _UUIDS.seed(seed)
    step = seconds / max(count, 1)
    pods = SHOP
    for index in range(count):
        moment = start + timedelta(seconds=index * step)
        roll = rng.random()
        port = 40000 + rng.randrange(20000)
        if roll < 0.08:
            flow = make_flow(
                moment,
                pods["checkout"],
                pods["postgres"],
                verdict="DROPPED",
                destination_port=5432,
                source_port=port,
                direction="INGRESS",
            )
        elif roll < 0.14:
            rcode = 3 if rng.random() < 0.3 else 0
            query = "postgres.data.svc.cluster.local." if rcode == 0 else "postgress.data.svc.cluster.local."
            flow = make_flow(
                moment,
                pods["coredns"],
                pods["checkout"],
                protocol="UDP",
                source_port=53,
                destination_port=port,
                l7=dns_l7(query, rcode),
                is_reply=True,
                direction="INGRESS",
            )
        elif roll < 0.20:
            code = 503 if rng.random() < 0.2 else 200
            flow = make_flow(
                moment,
                pods["cart"],
                pods["web"],
                source_port=8080,
                destination_port=port,
                flags=("ACK", "PSH"),
                l7=http_l7(code, url="http://cart.shop:8080/api/cart"),
                is_reply=True,
                direction="INGRESS",
            )
        else:
            flow = make_flow(
                moment,
                pods["web"],
                pods["cart"],
                source_port=port,
                flags=("ACK", "PSH"),
                extra={"destination_service": {"name": "cart", "namespace": "shop"}},
            )
        yield envelope(flow)
