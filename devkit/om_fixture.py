"""A small, realistic OpenMetrics file: 2 h of kube-state-metrics, cAdvisor, node-exporter, kubelet,
CoreDNS, Hubble and app series at 30 s resolution, with a step change at 08:45 (checkout starts
crash-looping, its memory jumps to its limit, its CPU gets throttled) and trouble on worker-2 at 09:00.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

CAPTURED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
END = int(CAPTURED_AT.timestamp())
START = END - 2 * 3600
STEP = 30
CHANGE = END - 45 * 60  # 08:45
NODE_TROUBLE = END - 30 * 60  # 09:00
MI = 2**20
GI = 2**30

CHECKOUT = {"namespace": "shop", "pod": "checkout-7d9f8c6b5-x2lqp", "container": "app"}
WEB = {"namespace": "shop", "pod": "web-5c8d7f9b4-abcde", "container": "web"}

Value = Callable[[int], float | None]


def _after(at: int, before: float, after: float) -> Value:
    return lambda t: after if t >= at else before


def _counter(rate_before: float, rate_after: float, at: int = CHANGE) -> Value:
    def value(t: int) -> float:
        if t < at:
            return rate_before * (t - START)
        return rate_before * (at - START) + rate_after * (t - at)

    return value


def _wiggle(level: float, amplitude: float) -> Value:
    return lambda t: level + amplitude * math.sin(t / 300.0)


def series() -> list[tuple[str, dict[str, str], Value]]:
    """(metric, labels, value(t)) for every series in the fixture; value None means no sample."""
    restarts_checkout = lambda t: 0.0 if t < CHANGE else float(1 + (t - CHANGE) // 300)  # noqa: E731
    rows: list[tuple[str, dict[str, str], Value]] = [
        ("kube_pod_container_status_restarts_total", CHECKOUT, restarts_checkout),
        ("kube_pod_container_status_restarts_total", WEB, lambda t: 2.0),
        (
            "kube_pod_container_status_waiting_reason",
            {**CHECKOUT, "reason": "CrashLoopBackOff"},
            _after(CHANGE, 0, 1),
        ),
        (
            "kube_pod_container_status_last_terminated_reason",
            {**CHECKOUT, "reason": "OOMKilled"},
            _after(CHANGE, 0, 1),
        ),
        ("kube_pod_container_status_last_terminated_reason", {**WEB, "reason": "Completed"}, lambda t: 1.0),
        (
            "kube_pod_container_resource_limits",
            {**CHECKOUT, "resource": "memory", "unit": "byte"},
            lambda t: 512.0 * MI,
        ),
        (
            "kube_pod_container_resource_limits",
            {**WEB, "resource": "memory", "unit": "byte"},
            lambda t: 256.0 * MI,
        ),
        (
            "kube_pod_container_resource_limits",
            {**CHECKOUT, "resource": "cpu", "unit": "core"},
            lambda t: 0.5,
        ),
        ("kube_pod_container_resource_limits", {**WEB, "resource": "cpu", "unit": "core"}, lambda t: 1.0),
        (
            "kube_pod_container_resource_requests",
            {**CHECKOUT, "resource": "cpu", "unit": "core"},
            lambda t: 0.25,
        ),
        ("kube_pod_container_resource_requests", {**WEB, "resource": "cpu", "unit": "core"}, lambda t: 0.5),
        (
            "container_memory_working_set_bytes",
            {**CHECKOUT, "node": "worker-1"},
            _after(CHANGE, 200.0 * MI, 500.0 * MI),
        ),
        ("container_memory_working_set_bytes", {**WEB, "node": "worker-2"}, _wiggle(100.0 * MI, 2.0 * MI)),
        ("container_cpu_usage_seconds_total", {**CHECKOUT, "node": "worker-1"}, _counter(0.1, 0.48)),
        ("container_cpu_usage_seconds_total", {**WEB, "node": "worker-2"}, _counter(0.05, 0.05)),
        ("container_cpu_cfs_periods_total", {**CHECKOUT, "node": "worker-1"}, _counter(10, 10)),
        ("container_cpu_cfs_periods_total", {**WEB, "node": "worker-2"}, _counter(10, 10)),
        ("container_cpu_cfs_throttled_periods_total", {**CHECKOUT, "node": "worker-1"}, _counter(0, 6)),
        ("container_cpu_cfs_throttled_periods_total", {**WEB, "node": "worker-2"}, _counter(0, 0)),
        ("kube_deployment_spec_replicas", {"namespace": "shop", "deployment": "checkout"}, lambda t: 3.0),
        (
            "kube_deployment_status_replicas_available",
            {"namespace": "shop", "deployment": "checkout"},
            _after(CHANGE, 3, 1),
        ),
        ("kube_deployment_spec_replicas", {"namespace": "shop", "deployment": "web"}, lambda t: 2.0),
        (
            "kube_deployment_status_replicas_available",
            {"namespace": "shop", "deployment": "web"},
            lambda t: 2.0,
        ),
        (
            "kube_node_status_condition",
            {"node": "worker-1", "condition": "Ready", "status": "true"},
            lambda t: 1.0,
        ),
        (
            "kube_node_status_condition",
            {"node": "worker-2", "condition": "Ready", "status": "true"},
            lambda t: 1.0,
        ),
        (
            "kube_node_status_condition",
            {"node": "worker-2", "condition": "MemoryPressure", "status": "true"},
            _after(NODE_TROUBLE, 0, 1),
        ),
        (
            "kube_node_status_condition",
            {"node": "worker-1", "condition": "MemoryPressure", "status": "true"},
            lambda t: 0.0,
        ),
        ("node_memory_MemAvailable_bytes", {"instance": "worker-1"}, lambda t: 6.0 * GI),
        ("node_memory_MemTotal_bytes", {"instance": "worker-1"}, lambda t: 8.0 * GI),
        (
            "node_memory_MemAvailable_bytes",
            {"instance": "worker-2"},
            _after(NODE_TROUBLE, 4.0 * GI, 0.3 * GI),
        ),
        ("node_memory_MemTotal_bytes", {"instance": "worker-2"}, lambda t: 8.0 * GI),
        ("node_nf_conntrack_entries", {"instance": "worker-1"}, lambda t: 1000.0),
        ("node_nf_conntrack_entries_limit", {"instance": "worker-1"}, lambda t: 131072.0),
        (
            "node_filesystem_avail_bytes",
            {"instance": "worker-1", "mountpoint": "/", "fstype": "ext4", "device": "/dev/sda1"},
            lambda t: 40.0 * GI,
        ),
        (
            "node_filesystem_size_bytes",
            {"instance": "worker-1", "mountpoint": "/", "fstype": "ext4", "device": "/dev/sda1"},
            lambda t: 100.0 * GI,
        ),
        (
            "kubelet_volume_stats_available_bytes",
            {"namespace": "data", "persistentvolumeclaim": "data-postgres-0", "node": "worker-1"},
            lambda t: 10.0 * GI * (0.5 - 0.45 * (t - START) / (END - START)),
        ),
        (
            "kubelet_volume_stats_capacity_bytes",
            {"namespace": "data", "persistentvolumeclaim": "data-postgres-0", "node": "worker-1"},
            lambda t: 10.0 * GI,
        ),
        (
            "kube_horizontalpodautoscaler_status_current_replicas",
            {"namespace": "shop", "horizontalpodautoscaler": "web"},
            _after(CHANGE, 3, 5),
        ),
        (
            "kube_horizontalpodautoscaler_spec_max_replicas",
            {"namespace": "shop", "horizontalpodautoscaler": "web"},
            lambda t: 5.0,
        ),
        ("coredns_dns_responses_total", {"rcode": "NOERROR", "server": "dns://:53"}, _counter(20, 20)),
        ("coredns_dns_responses_total", {"rcode": "NXDOMAIN", "server": "dns://:53"}, _counter(0.1, 5)),
        (
            "hubble_drop_total",
            {"reason": "POLICY_DENIED", "protocol": "TCP", "node": "worker-2"},
            _counter(0, 2, NODE_TROUBLE),
        ),
        ("http_requests_total", {**CHECKOUT, "job": "checkout", "code": "200"}, _counter(50, 30)),
        ("http_requests_total", {**CHECKOUT, "job": "checkout", "code": "500"}, _counter(0.5, 20)),
        (
            "ALERTS",
            {"alertname": "KubePodCrashLooping", "alertstate": "firing", **CHECKOUT, "severity": "warning"},
            _present_after(CHANGE + 600),
        ),
        ("up", {"job": "kube-state-metrics", "instance": "10.0.0.5:8080"}, lambda t: 1.0),
        ("up", {"job": "node-exporter", "instance": "worker-2"}, _after(NODE_TROUBLE, 1, 0)),
    ]
    for upper, fast, slow in (("0.01", 0.9, 0.2), ("0.1", 1.0, 0.6), ("+Inf", 1.0, 1.0)):
        rows.append(
            (
                "coredns_dns_request_duration_seconds_bucket",
                {"le": upper, "server": "dns://:53"},
                _counter(20 * fast, 20 * fast),
            )
        )
        rows.append(
            (
                "http_request_duration_seconds_bucket",
                {**CHECKOUT, "job": "checkout", "le": upper},
                _counter(50 * fast, 50 * slow),
            )
        )
    return rows


def _present_after(at: int) -> Value:
    return lambda t: 1.0 if t >= at else None


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def write_openmetrics(path: Path, exclude: Collection[str] = (), only: Collection[str] = ()) -> Path:
    """Write the fixture: series grouped by metric family, samples in time order, timestamps in seconds.
    ``exclude``/``only`` pick metric families (to play a cluster where an exporter is not scraped)."""
    by_family: dict[str, list[tuple[dict[str, str], Value]]] = {}
    for name, labels, value in series():
        if name in exclude or (only and name not in only):
            continue
        by_family.setdefault(name, []).append((labels, value))
    lines = []
    for name, members in by_family.items():
        for labels, value in members:
            for t in range(START, END + 1, STEP):
                v = value(t)
                if v is not None:
                    lines.append(f"{name}{{{_labels(labels)}}} {v!r} {t}")
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")
    return path
