"""Hubble flow records (GetFlowsResponse JSON lines, protobuf-JSON field names of Cilium's flow.proto).

Enums are written as names, 64-bit integers as strings, empty fields are left out, exactly as
`hubble observe -o jsonpb` and the Hubble exporter write them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devkit.synth.clock import protojson_time
from devkit.synth.pods import Pod
from devkit.synth.sampling import ready_pods, sample_times

if TYPE_CHECKING:
    from devkit.synth.builder import ClusterBuilder, DnsTraffic, ServiceModel, Traffic

DROP_REASON_CODES = {
    "POLICY_DENIED": 133,
    "STALE_OR_UNROUTABLE_IP": 151,
    "CT_MAP_INSERTION_FAILED": 155,
    "SERVICE_BACKEND_NOT_FOUND": 158,
    "FIB_LOOKUP_FAILED": 169,
    "POLICY_DENY": 181,
    "AUTH_REQUIRED": 189,
    "DROP_EP_NOT_READY": 203,
}
SYN_RETRANSMITS = (0.0, 1.0, 3.0, 7.0)  # SYN, then retransmits 1, 2 and 4 seconds apart
RCODE_NAMES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


class FlowFactory:
    def __init__(self, b: ClusterBuilder) -> None:
        self.b = b
        self.cluster = b.name

    def node_name(self, node: str) -> str:
        return f"{self.cluster}/{node}"

    def endpoint(self, pod: Pod) -> dict[str, Any]:
        b = self.b
        sa = pod.spec.get("serviceAccountName", "default")
        ns_labels = b.namespaces.get(pod.namespace, {}).get("labels", {})
        labels = [
            f"k8s:{k}={v}"
            for k, v in pod.labels.items()
            if k
            not in (
                "pod-template-hash",
                "controller-revision-hash",
                "pod-template-generation",
                "statefulset.kubernetes.io/pod-name",
                "apps.kubernetes.io/pod-index",
            )
        ]
        labels += [f"k8s:io.cilium.k8s.namespace.labels.{k}={v}" for k, v in ns_labels.items()]
        labels += [
            f"k8s:io.cilium.k8s.policy.cluster={self.cluster}",
            f"k8s:io.cilium.k8s.policy.serviceaccount={sa}",
            f"k8s:io.kubernetes.pod.namespace={pod.namespace}",
        ]
        identity_key = "|".join(sorted(labels))
        item: dict[str, Any] = {
            "ID": b.ids.number(f"epid/{pod.namespace}/{pod.name}", 100, 4000),
            "identity": b.ids.number("identity/" + identity_key, 10000, 65000),
            "namespace": pod.namespace,
            "labels": sorted(labels),
            "pod_name": pod.name,
        }
        if pod.workload:
            item["workloads"] = [{"name": pod.workload[1], "kind": pod.workload[0]}]
        return item

    def _service(self, svc: ServiceModel | None) -> dict[str, str] | None:
        return {"name": svc.name, "namespace": svc.namespace} if svc else None

    def flow(
        self,
        moment: datetime,
        *,
        node: str,
        src: Pod,
        dst: Pod,
        l4: dict[str, Any],
        verdict: str = "FORWARDED",
        direction: str = "INGRESS",
        reply: bool = False,
        drop_reason: str | None = None,
        observation: str | None = "TO_ENDPOINT",
        src_service: ServiceModel | None = None,
        dst_service: ServiceModel | None = None,
        flow_type: str = "L3_L4",
        l7: dict[str, Any] | None = None,
        summary: str = "",
        key: str = "",
    ) -> dict[str, Any]:
        b = self.b
        f: dict[str, Any] = {
            "time": protojson_time(moment),
            "uuid": b.ids.uid(f"flow/{key}/{moment.isoformat()}/{src.name}/{dst.name}/{reply}"),
            "verdict": verdict,
        }
        if drop_reason:
            f["drop_reason"] = DROP_REASON_CODES[drop_reason]
        f["ethernet"] = {
            "source": self._mac(src if not reply else dst),
            "destination": self._mac(dst if not reply else src),
        }
        f["IP"] = {"source": src.ip, "destination": dst.ip, "ipVersion": "IPv4"}
        f["l4"] = l4
        f["source"] = self.endpoint(src)
        f["destination"] = self.endpoint(dst)
        f["Type"] = flow_type
        f["node_name"] = self.node_name(node)
        if l7:
            f["l7"] = l7
        if drop_reason:
            f["event_type"] = {"type": 1, "sub_type": DROP_REASON_CODES[drop_reason]}
        elif flow_type == "L7":
            f["event_type"] = {"type": 129}
        else:
            f["event_type"] = {"type": 4}
        if src_service:
            f["source_service"] = self._service(src_service)
        if dst_service:
            f["destination_service"] = self._service(dst_service)
        f["traffic_direction"] = direction
        if observation and not drop_reason and flow_type != "L7":
            f["trace_observation_point"] = observation
        if drop_reason:
            f["drop_reason_desc"] = drop_reason
        f["is_reply"] = reply
        if flow_type != "L7" and observation == "TO_ENDPOINT" and not drop_reason:
            f["interface"] = {
                "index": b.ids.number("ifidx/" + (dst.name if not reply else src.name), 8, 90),
                "name": "lxc" + b.ids.hex("ifname/" + (dst.name if not reply else src.name), 12),
            }
        f["Summary"] = summary
        return {"flow": f, "node_name": self.node_name(node), "time": f["time"]}

    def _mac(self, pod: Pod) -> str:
        raw = bytearray.fromhex(self.b.ids.hex("mac/" + pod.name, 12))
        raw[0] = (raw[0] & 0xFE) | 0x02  # locally administered unicast, as Cilium's lxc devices
        return ":".join(f"{byte:02x}" for byte in raw)


def _tcp(sport: int, dport: int, **flags: bool) -> dict[str, Any]:
    return {"TCP": {"source_port": sport, "destination_port": dport, "flags": dict(flags)}}


def _udp(sport: int, dport: int) -> dict[str, Any]:
    return {"UDP": {"source_port": sport, "destination_port": dport}}


def _pick(pods: list[Pod], rng) -> Pod | None:
    return rng.choice(sorted(pods, key=lambda p: p.name)) if pods else None


def _ready(workload: Any, t: datetime) -> list[Pod]:
    return [p for p in ready_pods(workload, t) if p.ip]


def tcp_flows(b: ClusterBuilder, fac: FlowFactory, item: Traffic) -> Iterator[dict[str, Any]]:
    key = f"tcp/{item.src.namespace}/{item.src.name}/{item.dst.namespace}/{item.dst.name}/{item.port}"
    rng = b.ids.rng(key)
    for t in sample_times(b, key, item.since, item.until, item.every):
        src, dst = _pick(_ready(item.src, t), rng), _pick(_ready(item.dst, t), rng)
        if src is None or dst is None or dst.node is None or src.node is None:
            continue
        sport = rng.randint(32768, 60999)
        if item.dropped_since is not None and t >= item.dropped_since:
            for delay in SYN_RETRANSMITS:
                yield fac.flow(
                    t + timedelta(seconds=delay, microseconds=rng.randint(0, 900)),
                    node=dst.node,
                    src=src,
                    dst=dst,
                    l4=_tcp(sport, item.port, SYN=True),
                    verdict="DROPPED",
                    drop_reason=item.drop_reason,
                    summary="TCP Flags: SYN",
                    key=key,
                )
            continue
        yield fac.flow(
            t,
            node=dst.node,
            src=src,
            dst=dst,
            l4=_tcp(sport, item.port, SYN=True),
            summary="TCP Flags: SYN",
            key=key,
        )
        back = t + timedelta(microseconds=rng.randint(150, 900))
        if item.rst_since is not None and t >= item.rst_since:
            yield fac.flow(
                back,
                node=src.node,
                src=dst,
                dst=src,
                l4=_tcp(item.port, sport, ACK=True, RST=True),
                reply=True,
                direction="INGRESS",
                summary="TCP Flags: ACK, RST",
                key=key,
            )
            continue
        yield fac.flow(
            back,
            node=src.node,
            src=dst,
            dst=src,
            l4=_tcp(item.port, sport, SYN=True, ACK=True),
            reply=True,
            direction="INGRESS",
            summary="TCP Flags: SYN, ACK",
            key=key,
        )


def dns_flows(b: ClusterBuilder, fac: FlowFactory, item: DnsTraffic) -> Iterator[dict[str, Any]]:
    try:
        coredns = b.workload("kube-system/coredns")
    except KeyError:  # no cluster DNS modelled
        return
    key = f"dns/{item.src.namespace}/{item.src.name}/{item.query}"
    rng = b.ids.rng(key)
    for t in sample_times(b, key, item.since, item.until, item.every):
        src, dns = _pick(_ready(item.src, t), rng), _pick(_ready(coredns, t), rng)
        if src is None or dns is None or src.node is None or dns.node is None:
            continue
        sport = rng.randint(32768, 60999)
        latency = rng.randint(300_000, 2_500_000)
        back = t + timedelta(microseconds=latency // 1000)
        if not item.l7:
            yield fac.flow(
                t,
                node=dns.node,
                src=src,
                dst=dns,
                l4=_udp(sport, 53),
                summary="UDP",
                key=key,
            )
            yield fac.flow(
                back,
                node=src.node,
                src=dns,
                dst=src,
                l4=_udp(53, sport),
                reply=True,
                summary="UDP",
                key=key,
            )
            continue
        request = {"type": "REQUEST", "dns": {"query": item.query, "qtypes": [item.qtype]}}
        yield fac.flow(
            t,
            node=src.node,
            src=src,
            dst=dns,
            l4=_udp(sport, 53),
            direction="EGRESS",
            flow_type="L7",
            l7=request,
            summary=f"DNS Query {item.query} {item.qtype}",
            key=key,
        )
        answer: dict[str, Any] = {"query": item.query}
        if item.ips:
            answer["ips"] = list(item.ips)
            answer["ttl"] = 30
        if item.rcode:
            answer["rcode"] = item.rcode
        answer["qtypes"] = [item.qtype]
        if item.ips:
            answer["rrtypes"] = [item.qtype]
        answer["observation_source"] = "proxy"
        response = {"type": "RESPONSE", "latency_ns": str(latency), "dns": answer}
        if item.rcode:
            rcode = RCODE_NAMES.get(item.rcode, item.rcode)
            text = f"DNS Answer RCode: {rcode} TTL: 4294967295 (Proxy {item.query} {item.qtype})"
        else:
            shown = ",".join(item.ips)
            text = f'DNS Answer "{shown}" TTL: 30 (Proxy {item.query} {item.qtype})'
        yield fac.flow(
            back,
            node=src.node,
            src=dns,
            dst=src,
            l4=_udp(53, sport),
            direction="EGRESS",
            reply=True,
            flow_type="L7",
            l7=response,
            summary=text,
            key=key,
        )


def render_flows(b: ClusterBuilder) -> str:
    """Every flow of the snapshot as JSON lines, in time order."""
    fac = FlowFactory(b)
    records: list[dict[str, Any]] = []
    for item in b.traffic_list:
        records.extend(tcp_flows(b, fac, item))
    for dns_item in b.dns_list:
        records.extend(dns_flows(b, fac, dns_item))
    records.sort(key=lambda r: datetime.fromisoformat(r["time"].replace("Z", "+00:00")))
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
