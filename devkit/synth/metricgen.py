"""Prometheus series over the snapshot's window, rendered from the builder's model.

kube-state-metrics and cAdvisor follow the pods' timelines (restarts, readiness, OOM ramps); CoreDNS,
Hubble and application HTTP series follow the builder's profiles and traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devkit.synth.clock import epoch
from devkit.synth.model import Container, Run
from devkit.synth.openmetrics import Labels, MetricsFile, labels_of
from devkit.synth.pods import Pod
from devkit.synth.quantity import parse_quantity
from devkit.synth.sampling import ready_pods, sample_times

if TYPE_CHECKING:
    from devkit.synth.builder import ClusterBuilder

HTTP_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
COREDNS_BUCKETS = (
    0.00025,
    0.0005,
    0.001,
    0.002,
    0.004,
    0.008,
    0.016,
    0.032,
    0.064,
    0.128,
    0.256,
    0.512,
    1.024,
    2.048,
    4.096,
    8.192,
)
DNS_RCODE_TEXT = {0: "No Error", 2: "Server Failure", 3: "Non-Existent Domain", 5: "Refused"}


def timeline(b: ClusterBuilder) -> list[datetime]:
    start = epoch(b.window_start)
    start -= start % b.step
    end = epoch(b.now)
    first = datetime.fromtimestamp(start, tz=b.now.tzinfo)
    count = (end - start) // b.step
    return [
        first + timedelta(seconds=b.step * i)
        for i in range(count + 1)
        if start + b.step * i >= epoch(b.window_start)
    ]


def _pod_labels(pod: Pod) -> Labels:
    """namespace and pod; the uid is only on kube_pod_info, to keep the files small."""
    return labels_of(namespace=pod.namespace, pod=pod.name)


def _le(value: float) -> str:
    return format(value, "g")


# ----- kube-state-metrics --------------------------------------------------------------------------
def kube_state_metrics(b: ClusterBuilder, f: MetricsFile) -> None:
    """With `b.ksm == "lean"` (the default) only the families a diagnosis reads are written, which keeps
    2 hours of a small cluster around 2 MB; "full" adds kube_pod_info, requests, container readiness,
    condition="false", the unknown node status, allocatable, quotas and updated/unavailable replicas."""
    times = timeline(b)
    full = b.ksm == "full"
    pods = b.all_pods(include_deleted=True)
    info = f.family("kube_pod_info", "gauge", "Information about pod.")
    phase = f.family("kube_pod_status_phase", "gauge", "The pods current phase.")
    ready = f.family(
        "kube_pod_status_ready", "gauge", "Describes whether the pod is ready to serve requests."
    )
    unsched = f.family(
        "kube_pod_status_unschedulable", "gauge", "Describes the unschedulable status for the pod."
    )
    c_ready = f.family(
        "kube_pod_container_status_ready",
        "gauge",
        "Describes whether the containers readiness check succeeded.",
    )
    restarts = f.family(
        "kube_pod_container_status_restarts", "counter", "The number of container restarts per container."
    )
    waiting = f.family(
        "kube_pod_container_status_waiting_reason",
        "gauge",
        "Describes the reason the container is currently in waiting state.",
    )
    last_term = f.family(
        "kube_pod_container_status_last_terminated_reason",
        "gauge",
        "Describes the last reason the container was in terminated state.",
    )
    requests = f.family(
        "kube_pod_container_resource_requests",
        "gauge",
        "The number of requested request resource by a container.",
    )
    limits = f.family(
        "kube_pod_container_resource_limits",
        "gauge",
        "The number of requested limit resource by a container.",
    )
    for pod in pods:
        base = _pod_labels(pod)
        owner_kind, owner_name = (
            ("ReplicaSet", pod.owner["name"])
            if pod.owner and pod.owner["kind"] == "ReplicaSet"
            else ((pod.owner["kind"], pod.owner["name"]) if pod.owner else ("<none>", "<none>"))
        )
        node = b.nodes.get(pod.node) if pod.node else None
        info_labels = base + labels_of(
            uid=pod.uid,
            host_ip=node.ip if node else "",
            pod_ip=pod.ip or "",
            node=pod.node or "",
            created_by_kind=owner_kind,
            created_by_name=owner_name,
            priority_class=pod.spec.get("priorityClassName", ""),
            host_network=str(bool(pod.spec.get("hostNetwork"))).lower(),
        )
        for t in times:
            if not pod.exists_at(t):
                continue
            ts = epoch(t)
            if full:
                info.add(info_labels, ts, 1)
            phase.add((*base, ("phase", pod.phase_at(t))), ts, 1)
            is_ready = pod.ready_at(t)
            ready.add((*base, ("condition", "true")), ts, 1 if is_ready else 0)
            if full:
                ready.add((*base, ("condition", "false")), ts, 0 if is_ready else 1)
            if pod.unschedulable is not None:
                unsched.add(base, ts, 1)
                continue
            for c in pod.containers:
                cl = (*base, ("container", c.name))
                if full:
                    c_ready.add(cl, ts, 1 if c.ready_at(t) else 0)
                restarts.add(cl, ts, c.restarts_at(t))
                reason = c.waiting_reason_at(t)
                if reason is not None and reason != "ContainerCreating":
                    waiting.add((*cl, ("reason", reason)), ts, 1)
                last = c.terminated_before(t)
                if last is not None:
                    last_term.add((*cl, ("reason", last.reason or "Error")), ts, 1)
            for c in pod.containers:
                for resource, unit in (("cpu", "core"), ("memory", "byte")):
                    rl = (*base, ("container", c.name), ("resource", resource), ("unit", unit))
                    if full and c.request(resource) is not None:
                        requests.add(rl, ts, c.request(resource))
                    if c.limit(resource) is not None:
                        limits.add(rl, ts, c.limit(resource))
    _workload_metrics(b, f, times, full)
    _node_metrics(b, f, times, full)
    _object_metrics(b, f, times, full)


def _current_rs_at(dep: Any, t: datetime) -> Any:
    candidates = [rs for rs in dep.replica_sets if rs.created <= t]
    return candidates[-1] if candidates else dep.replica_sets[0]


def _workload_metrics(b: ClusterBuilder, f: MetricsFile, times: list[datetime], full: bool) -> None:
    spec = f.family("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.")
    avail = f.family(
        "kube_deployment_status_replicas_available",
        "gauge",
        "The number of available replicas per deployment.",
    )
    unavail = f.family(
        "kube_deployment_status_replicas_unavailable",
        "gauge",
        "The number of unavailable replicas per deployment.",
    )
    updated = f.family(
        "kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment."
    )
    for dep in b.deployments:
        labels = labels_of(namespace=dep.namespace, deployment=dep.name)
        all_pods = [p for rs in dep.replica_sets for p in rs.pods]
        for t in times:
            if t < dep.created:
                continue
            ts = epoch(t)
            live = [p for p in all_pods if p.exists_at(t)]
            ready = sum(1 for p in live if p.ready_at(t))
            spec.add(labels, ts, dep.replicas)
            avail.add(labels, ts, ready)
            if full:
                unavail.add(labels, ts, max(dep.replicas - ready, 0))
                updated.add(labels, ts, len([p for p in _current_rs_at(dep, t).pods if p.exists_at(t)]))
    sts_rep = f.family("kube_statefulset_replicas", "gauge", "Number of desired pods for a StatefulSet.")
    sts_ready = f.family(
        "kube_statefulset_status_replicas_ready", "gauge", "The number of ready replicas per StatefulSet."
    )
    for sts in b.statefulsets:
        labels = labels_of(namespace=sts.namespace, statefulset=sts.name)
        for t in times:
            if t >= sts.created:
                sts_rep.add(labels, epoch(t), sts.replicas)
                sts_ready.add(labels, epoch(t), sum(1 for p in sts.pod_list if p.ready_at(t)))
    ds_desired = f.family(
        "kube_daemonset_status_desired_number_scheduled",
        "gauge",
        "The number of nodes that should be running the daemon pod.",
    )
    ds_ready = f.family(
        "kube_daemonset_status_number_ready",
        "gauge",
        "The number of nodes that should be running the daemon pod and have one or more of the "
        "daemon pod running and ready.",
    )
    for ds in b.daemonsets:
        labels = labels_of(namespace=ds.namespace, daemonset=ds.name)
        for t in times:
            if t >= ds.created:
                ds_desired.add(labels, epoch(t), sum(1 for p in ds.pod_list if p.exists_at(t)))
                ds_ready.add(labels, epoch(t), sum(1 for p in ds.pod_list if p.ready_at(t)))


def _node_metrics(b: ClusterBuilder, f: MetricsFile, times: list[datetime], full: bool) -> None:
    cond = f.family("kube_node_status_condition", "gauge", "The condition of a cluster node.")
    alloc = f.family(
        "kube_node_status_allocatable",
        "gauge",
        "The allocatable for different resources of a node that are available for scheduling.",
    )
    unsched = f.family("kube_node_spec_unschedulable", "gauge", "Whether a node can schedule new pods.")
    taint = f.family("kube_node_spec_taint", "gauge", "The taint of a cluster node.")
    healthy = {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False"}
    for node in b.nodes.values():
        for t in times:
            if t < node.created:
                continue
            ts = epoch(t)
            for kind, normal in healthy.items():
                status, _reason, _message, since = node.conditions[kind]
                now_status = status if t >= since else normal
                for value in ("true", "false", "unknown") if full else ("true", "false"):
                    cond.add(
                        labels_of(node=node.name, condition=kind, status=value),
                        ts,
                        1 if now_status.lower() == value else 0,
                    )
            cpu = parse_quantity(node.cpu) - 0.09
            memory = parse_quantity(node.memory) - 1.2 * 2**30
            if full:
                for resource, unit, value in (
                    ("cpu", "core", cpu),
                    ("memory", "byte", memory),
                    ("pods", "integer", node.pods),
                ):
                    alloc.add(labels_of(node=node.name, resource=resource, unit=unit), ts, round(value, 3))
            if full or node.unschedulable:
                unsched.add(labels_of(node=node.name), ts, 1 if node.unschedulable else 0)
            for item in node.taints:
                taint.add(
                    labels_of(
                        node=node.name, key=item["key"], value=item.get("value", ""), effect=item["effect"]
                    ),
                    ts,
                    1,
                )


def _object_metrics(b: ClusterBuilder, f: MetricsFile, times: list[datetime], full: bool) -> None:
    from devkit.synth.clock import parse_instant

    hpa_fams = {
        "spec_max": f.family(
            "kube_horizontalpodautoscaler_spec_max_replicas",
            "gauge",
            "Upper limit for the number of pods that can be set by the autoscaler; cannot be "
            "smaller than MinReplicas.",
        ),
        "spec_min": f.family(
            "kube_horizontalpodautoscaler_spec_min_replicas",
            "gauge",
            "Lower limit for the number of pods that can be set by the autoscaler, default 1.",
        ),
        "current": f.family(
            "kube_horizontalpodautoscaler_status_current_replicas",
            "gauge",
            "Current number of replicas of pods managed by this autoscaler.",
        ),
        "desired": f.family(
            "kube_horizontalpodautoscaler_status_desired_replicas",
            "gauge",
            "Desired number of replicas of pods managed by this autoscaler.",
        ),
    }
    pvc_phase = f.family(
        "kube_persistentvolumeclaim_status_phase",
        "gauge",
        "The phase the persistent volume claim is currently in.",
    )
    pdb_allowed = f.family(
        "kube_poddisruptionbudget_status_pod_disruptions_allowed",
        "gauge",
        "Number of pod disruptions that are currently allowed.",
    )
    quota = f.family("kube_resourcequota", "gauge", "Information about resource quota.")
    for obj in b.objects + b.rendered_storage:
        meta = obj["metadata"]
        created = parse_instant(meta["creationTimestamp"])
        kind = obj["kind"]
        for t in times:
            if t < created:
                continue
            ts = epoch(t)
            if kind == "HorizontalPodAutoscaler":
                labels = labels_of(namespace=meta["namespace"], horizontalpodautoscaler=meta["name"])
                hpa_fams["spec_max"].add(labels, ts, obj["spec"]["maxReplicas"])
                hpa_fams["spec_min"].add(labels, ts, obj["spec"]["minReplicas"])
                hpa_fams["current"].add(labels, ts, obj["status"]["currentReplicas"])
                hpa_fams["desired"].add(labels, ts, obj["status"]["desiredReplicas"])
            elif kind == "PersistentVolumeClaim":
                labels = labels_of(
                    namespace=meta["namespace"],
                    persistentvolumeclaim=meta["name"],
                    phase=obj["status"]["phase"],
                )
                pvc_phase.add(labels, ts, 1)
            elif kind == "PodDisruptionBudget":
                pdb_allowed.add(
                    labels_of(namespace=meta["namespace"], poddisruptionbudget=meta["name"]),
                    ts,
                    obj["status"]["disruptionsAllowed"],
                )
            elif kind == "ResourceQuota" and full:
                for kind_, values in (("hard", obj["status"]["hard"]), ("used", obj["status"]["used"])):
                    for resource, value in values.items():
                        quota.add(
                            labels_of(
                                namespace=meta["namespace"],
                                resourcequota=meta["name"],
                                resource=resource,
                                type=kind_,
                            ),
                            ts,
                            parse_quantity(value),
                        )


# ----- cAdvisor ------------------------------------------------------------------------------------
def _noise(rng, spread: float) -> float:
    return max(0.0, 1.0 + rng.gauss(0, spread))


def _oom_ramp(b: ClusterBuilder, pod: Pod, c: Container) -> timedelta | None:
    for ramp_pod, name, ramp in b.oom_ramps:
        if ramp_pod is pod and name == c.name:
            return ramp
    return None


def _memory_at(b: ClusterBuilder, pod: Pod, c: Container, run: Run, t: datetime, rng) -> float:
    base = c.usage.memory_at(t) * (1 + rng.uniform(-0.02, 0.02))
    warm = min((t - run.started).total_seconds() / 120, 1.0)
    base *= 0.6 + 0.4 * warm
    limit = c.limit("memory")
    if run.reason == "OOMKilled" and run.finished is not None and limit:
        ramp = _oom_ramp(b, pod, c) or timedelta(minutes=20)
        ramp_start = max(run.finished - ramp, run.started)
        if t >= ramp_start:
            span = max((run.finished - ramp_start).total_seconds(), 1)
            progress = min((t - ramp_start).total_seconds() / span, 1.0)
            return base + (limit * 0.995 - base) * progress**1.4
    if limit:
        base = min(base, limit * 0.97)
    return base


def cadvisor(b: ClusterBuilder, f: MetricsFile) -> None:
    times = timeline(b)
    cpu_total = f.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.")
    mem = f.family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    mem_limit = f.family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.")
    periods = f.family(
        "container_cpu_cfs_periods", "counter", "Number of elapsed enforcement period intervals."
    )
    throttled = f.family(
        "container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals."
    )
    ooms = f.family(
        "container_oom_events", "counter", "Count of out of memory events observed for the container"
    )
    step = b.step
    for pod in b.all_pods(include_deleted=True):
        if pod.node is None:
            continue
        for c in pod.containers:
            labels = labels_of(container=c.name, namespace=pod.namespace, pod=pod.name)
            rng = b.ids.rng(f"cadv/{pod.namespace}/{pod.name}/{c.name}")
            cpu_limit = c.limit("cpu")
            memory_limit = c.limit("memory")
            oom_count = 0
            run_index = -1
            used = period_count = throttle_count = 0.0
            has_oom = any(r.reason == "OOMKilled" for r in c.runs)
            for t in times:
                if not pod.exists_at(t):
                    continue
                ts = epoch(t)
                oom_count = sum(
                    1 for r in c.runs if r.reason == "OOMKilled" and r.finished and r.finished <= t
                )
                if has_oom:
                    ooms.add(labels, ts, oom_count)
                run = c.run_at(t)
                if run is None:
                    continue
                index = c.runs.index(run)
                if index != run_index:
                    run_index, used, period_count, throttle_count = index, 0.0, 0.0, 0.0
                    alive = min(step, (t - run.started).total_seconds())
                else:
                    alive = step
                demand = c.usage.cpu_at(t) * _noise(rng, 0.08)
                if cpu_limit:
                    ratio_to_limit = demand / cpu_limit
                    usage = min(demand, cpu_limit * 0.97)
                    active = min(1.0, 0.25 + ratio_to_limit * 0.5)
                    throttle_ratio = min(0.85, 0.02 + max(0.0, ratio_to_limit - 0.6) * 0.7) * _noise(
                        rng, 0.05
                    )
                    new_periods = 10 * alive * active
                    period_count += new_periods
                    throttle_count += new_periods * min(throttle_ratio, 0.95)
                else:
                    usage = demand
                used += usage * alive
                cpu_total.add(labels, ts, round(used, 6))
                mem.add(labels, ts, round(_memory_at(b, pod, c, run, t, rng)))
                if memory_limit:
                    mem_limit.add(labels, ts, memory_limit)
                if cpu_limit:
                    periods.add(labels, ts, round(period_count))
                    throttled.add(labels, ts, round(throttle_count))


# ----- node-exporter --------------------------------------------------------------------------------
def node_exporter(b: ClusterBuilder, f: MetricsFile) -> None:
    times = timeline(b)
    avail = f.family(
        "node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes."
    )
    total = f.family("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.")
    fs_avail = f.family(
        "node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes."
    )
    fs_size = f.family("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.")
    ct = f.family(
        "node_nf_conntrack_entries",
        "gauge",
        "Number of currently allocated flow entries for connection tracking.",
    )
    ct_limit = f.family(
        "node_nf_conntrack_entries_limit", "gauge", "Maximum size of connection tracking table."
    )
    for node in b.nodes.values():
        rng = b.ids.rng("nodeexp/" + node.name)
        memory = parse_quantity(node.memory) * 0.985
        instance = labels_of(instance=node.name)
        fs = labels_of(device="/dev/nvme0n1p1", fstype="xfs", instance=node.name, mountpoint="/")
        size = 85887762432
        for t in times:
            if t < node.created:
                continue
            ts = epoch(t)
            pods = [p for p in b.all_pods(include_deleted=True) if p.node == node.name and p.exists_at(t)]
            used = sum(c.usage.memory_at(t) for p in pods for c in p.containers if c.run_at(t)) + 1.6 * 2**30
            avail.add(instance, ts, round(max(memory - used * _noise(rng, 0.01), 0)))
            total.add(instance, ts, round(memory))
            fs_avail.add(fs, ts, round(size * (0.58 - 0.00001 * (ts % 3600) / 60)))
            fs_size.add(fs, ts, size)
            ct.add(instance, ts, round(1800 + 90 * len(pods) * _noise(rng, 0.1)))
            ct_limit.add(instance, ts, 131072)


# ----- CoreDNS --------------------------------------------------------------------------------------
def _lognormal_cdf(x: float, median: float, sigma: float) -> float:
    if x <= 0:
        return 0.0
    return 0.5 * (1 + math.erf((math.log(x) - math.log(median)) / (sigma * math.sqrt(2))))


def _split_counts(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Integer split of `total` by `shares` (largest remainder), deterministic."""
    weight = sum(shares.values()) or 1
    exact = {k: total * v / weight for k, v in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))[:rest]:
        counts[key] += 1
    return counts


def coredns(b: ClusterBuilder, f: MetricsFile) -> None:
    try:
        dns = b.workload("kube-system/coredns")
    except KeyError:
        return
    times = timeline(b)
    responses = f.family("coredns_dns_responses", "counter", "Counter of response status codes.")
    duration_f = f.family(
        "coredns_dns_request_duration_seconds",
        "histogram",
        "Histogram of the time (in seconds) each request took per zone.",
    )
    profile = b.dns_profile
    state: dict[str, dict[str, Any]] = {}
    for t in times:
        ts = epoch(t)
        pods = ready_pods(dns, t)
        rps, rcodes, latency = profile.at(t)
        for pod in sorted(pods, key=lambda p: p.name):
            rng = b.ids.rng(f"dns/{pod.name}/{ts}")
            s = state.setdefault(
                pod.name, {"codes": {}, "buckets": [0] * len(COREDNS_BUCKETS), "count": 0, "sum": 0.0}
            )
            n = int(rps * b.step / len(pods) * _noise(rng, 0.06))
            for code, k in _split_counts(n, rcodes).items():
                s["codes"][code] = s["codes"].get(code, 0) + k
            for i, le in enumerate(COREDNS_BUCKETS):
                s["buckets"][i] += round(n * _lognormal_cdf(le, latency, 0.9))
            s["count"] += n
            s["sum"] += n * latency * math.exp(0.9**2 / 2)
            base = labels_of(pod=pod.name, server="dns://:53", zone=".")
            for code in sorted(s["codes"]):
                responses.add((*base, ("rcode", code)), ts, s["codes"][code])
            buckets = [(_le(le), float(v)) for le, v in zip(COREDNS_BUCKETS, s["buckets"], strict=True)]
            buckets.append(("+Inf", float(s["count"])))
            duration_f.add_histogram((*base, ("type", "A")), ts, buckets, round(s["sum"], 6), s["count"])


# ----- Hubble ---------------------------------------------------------------------------------------
def _dns_events(b: ClusterBuilder) -> Iterator[tuple[datetime, str, Any]]:
    for item in b.dns_list:
        if not item.l7:
            continue
        for t in sample_times(
            b, f"dns/{item.src.namespace}/{item.src.name}/{item.query}", item.since, item.until, item.every
        ):
            pods = ready_pods(item.src, t)
            if pods:
                yield t, pods[0].node, item


def hubble(b: ClusterBuilder, f: MetricsFile) -> None:
    times = timeline(b)
    if "dns" in b.hubble_metrics and b.dns_list:
        queries = f.family("hubble_dns_queries", "counter", "Number of DNS queries observed")
        answers = f.family("hubble_dns_responses", "counter", "Number of DNS responses observed")
        events = sorted(_dns_events(b), key=lambda e: e[0])
        q_counts: dict[Labels, int] = {}
        a_counts: dict[Labels, int] = {}
        index = 0
        for t in times:
            while index < len(events) and events[index][0] <= t:
                _moment, node, item = events[index]
                q = labels_of(node=node, rcode="", qtypes=item.qtype, ips_returned="0")
                a = labels_of(
                    node=node,
                    rcode=DNS_RCODE_TEXT.get(item.rcode, str(item.rcode)),
                    qtypes=item.qtype,
                    ips_returned=str(len(item.ips)),
                )
                q_counts[q] = q_counts.get(q, 0) + 1
                a_counts[a] = a_counts.get(a, 0) + 1
                index += 1
            for labels, value in sorted(q_counts.items()):
                queries.add(labels, epoch(t), value)
            for labels, value in sorted(a_counts.items()):
                answers.add(labels, epoch(t), value)
    if not b.traffic_list or not ({"drop", "flow"} & b.hubble_metrics):
        return
    drops = f.family("hubble_drop", "counter", "Number of drops")
    processed = f.family("hubble_flows_processed", "counter", "Total number of flows processed")
    totals: dict[tuple[str, Labels], float] = {}
    for t in times:
        ts = epoch(t)
        for item in b.traffic_list:
            if not (item.since <= t <= item.until):
                continue
            dst_pods = ready_pods(item.dst, t)
            if not dst_pods:
                continue
            node = dst_pods[0].node
            n = item.rate * b.step
            if item.dropped_since is not None and t >= item.dropped_since:
                key = ("drop", labels_of(node=node, reason=item.drop_reason, protocol="TCP"))
                totals[key] = totals.get(key, 0) + n * 4
                key = (
                    "flow",
                    labels_of(
                        node=node, protocol="TCP", subtype=item.drop_reason, type="Drop", verdict="DROPPED"
                    ),
                )
                totals[key] = totals.get(key, 0) + n * 4
            else:
                key = (
                    "flow",
                    labels_of(
                        node=node, protocol="TCP", subtype="to-endpoint", type="Trace", verdict="FORWARDED"
                    ),
                )
                totals[key] = totals.get(key, 0) + n * 2
        for (kind, labels), value in sorted(totals.items()):
            if kind == "drop" and "drop" in b.hubble_metrics:
                drops.add(labels, ts, round(value))
            elif kind == "flow" and "flow" in b.hubble_metrics:
                processed.add(labels, ts, round(value))


# ----- application HTTP -------------------------------------------------------------------------------
def app_http(b: ClusterBuilder, f: MetricsFile) -> None:
    if not b.http_profiles:
        return
    times = timeline(b)
    requests = f.family("http_requests", "counter", "Total number of HTTP requests by status code.")
    duration_f = f.family("http_request_duration_seconds", "histogram", "HTTP request latency in seconds.")
    for profile in b.http_profiles:
        state: dict[str, dict[str, Any]] = {}
        for t in times:
            ts = epoch(t)
            pods = ready_pods(profile.workload, t)
            rps, codes, latency = profile.at(t)
            for pod in sorted(pods, key=lambda p: p.name):
                rng = b.ids.rng(f"http/{pod.name}/{ts}")
                s = state.setdefault(
                    pod.name,
                    {
                        "codes": {c: 0 for c in sorted(profile.codes)},
                        "buckets": [0] * len(HTTP_BUCKETS),
                        "count": 0,
                        "sum": 0.0,
                    },
                )
                n = round(rps * b.step / len(pods) * _noise(rng, 0.07))
                for code, k in _split_counts(n, codes).items():
                    s["codes"][code] = s["codes"].get(code, 0) + k
                for i, le in enumerate(HTTP_BUCKETS):
                    s["buckets"][i] += round(n * _lognormal_cdf(le, latency, profile.spread))
                s["count"] += n
                s["sum"] += n * latency * math.exp(profile.spread**2 / 2)
                base = labels_of(namespace=pod.namespace, pod=pod.name, service=profile.service)
                for code in sorted(s["codes"]):
                    requests.add((*base, ("code", code)), ts, s["codes"][code])
                buckets = [(_le(le), float(v)) for le, v in zip(HTTP_BUCKETS, s["buckets"], strict=True)]
                buckets.append(("+Inf", float(s["count"])))
                duration_f.add_histogram(base, ts, buckets, round(s["sum"], 4), s["count"])


GENERATORS = {
    "kube-state-metrics": kube_state_metrics,
    "cadvisor": cadvisor,
    "node-exporter": node_exporter,
    "coredns": coredns,
    "hubble": hubble,
    "app": app_http,
}
