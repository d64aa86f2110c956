"""The curated diagnostic PromQL catalogue: named checks a model or the diagnostician can run.

Each check knows its PromQL, the base series it needs and which exporter provides them (so an empty
answer can say "is kube-state-metrics scraped?" instead of looking healthy), the unit of its values, what
an empty result means when the series do exist, and how the namespace/workload/pod/node filters map onto
its labels. Label conventions are those of kube-state-metrics, cAdvisor via the kubelet, node-exporter
with kube-prometheus relabelling (``instance`` = node name), CoreDNS and Hubble.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

KSM = "kube-state-metrics"
CADVISOR = "cAdvisor (kubelet /metrics/cadvisor)"
NODE_EXPORTER = "node-exporter"
KUBELET = "the kubelet (/metrics)"
COREDNS = "CoreDNS"
HUBBLE = "Hubble metrics (cilium-agent with hubble.metrics enabled)"
APP = "the application's own HTTP metrics (http_requests_total, http_request_duration_seconds)"

FILTERS = ("namespace", "workload", "pod", "node")
Matcher = Callable[[str], str]


def _raw(text: str) -> str:
    """A PromQL backtick string (no escapes needed for the validated Kubernetes names used here)."""
    return f"`{text}`"


def _regex_name(name: str) -> str:
    return name.replace(".", r"\.")


def equals(label: str) -> Matcher:
    return lambda value: f"{label}={_raw(value)}"


def workload_pods(label: str = "pod") -> Matcher:
    """Pods of a Deployment (name-hash-xxxxx), StatefulSet (name-0), DaemonSet or Job (name-xxxxx)."""
    suffix = "([a-z0-9]{5,10}-[a-z0-9]{5}|[0-9]+|[a-z0-9]{5})"
    return lambda value: f"{label}=~{_raw(_regex_name(value) + '-' + suffix)}"


def node_instance(value: str) -> str:
    """node-exporter's ``instance`` is the node name under kube-prometheus, else host:port."""
    return f"instance=~{_raw(_regex_name(value) + '(:[0-9]+)?')}"


POD_FILTERS: Mapping[str, Matcher] = {
    "namespace": equals("namespace"),
    "workload": workload_pods(),
    "pod": equals("pod"),
    "node": equals("node"),
}


@dataclass(frozen=True)
class Selector:
    """Builds ``{...}`` label selectors from a check's fixed matchers and the caller's filters."""

    matchers: tuple[str, ...] = ()

    def __call__(self, *fixed: str) -> str:
        matchers = (*fixed, *self.matchers)
        return "{" + ", ".join(matchers) + "}" if matchers else ""


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    metrics: tuple[str, ...]  # the base series the check reads
    exporter: str  # who provides them (named when they are missing)
    unit: str  # ratio, bytes, seconds, per_second, count
    empty_means: str  # what an empty result says when the base series exist
    build: Callable[[Selector], str]
    filters: Mapping[str, Matcher] = field(default_factory=lambda: POD_FILTERS)
    note: str = ""
    order: str = "relevance"  # or "labels": keep tagged pairs (desired/available) next to each other

    def promql(self, filters: Mapping[str, str | None]) -> tuple[str, list[str]]:
        """The PromQL for these filters, and the filters this check cannot apply (ignored)."""
        matchers, ignored = self.matchers(filters)
        return self.build(Selector(tuple(matchers))), ignored

    def matchers(self, filters: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
        matchers: list[str] = []
        ignored: list[str] = []
        for name in FILTERS:
            value = filters.get(name)
            if not value:
                continue
            if name in self.filters:
                matchers.append(self.filters[name](value))
            else:
                ignored.append(name)
        return matchers, ignored


def _tagged(label: str, parts: Mapping[str, str]) -> str:
    """Several queries in one result, told apart by a label (e.g. vs="request" / vs="limit")."""
    return " or ".join(
        f'label_replace({query}, "{label}", "{value}", "", "")' for value, query in parts.items()
    )


_NOT_POD = 'container!="", container!="POD"'

CHECKS: dict[str, Check] = {}


def _register(check: Check) -> None:
    CHECKS[check.name] = check


_register(
    Check(
        name="restarts",
        title="restart counters of containers that restarted within the last hour before each point",
        metrics=("kube_pod_container_status_restarts_total",),
        exporter=KSM,
        unit="count",
        empty_means="no container restarted",
        build=lambda s: (
            f"kube_pod_container_status_restarts_total{s()} and on (namespace, pod, container) "
            f"(increase(kube_pod_container_status_restarts_total{s()}[1h]) > 0)"
        ),
    )
)
_register(
    Check(
        name="oom_kills",
        title="containers whose last termination was OOMKilled",
        metrics=("kube_pod_container_status_last_terminated_reason",),
        exporter=KSM,
        unit="count",
        empty_means="no container's last termination was OOMKilled",
        build=lambda s: f"kube_pod_container_status_last_terminated_reason{s('reason=`OOMKilled`')} > 0",
    )
)
_register(
    Check(
        name="memory_vs_limit",
        title="memory working set as a fraction of the container's memory limit",
        metrics=("container_memory_working_set_bytes", "kube_pod_container_resource_limits"),
        exporter=f"{CADVISOR} and {KSM}",
        unit="ratio",
        empty_means="no container has a memory limit",
        build=lambda s: (
            f"max by (namespace, pod, container) (container_memory_working_set_bytes{s(_NOT_POD)}) / "
            "(max by (namespace, pod, container) "
            f"(kube_pod_container_resource_limits{s('resource=`memory`')} > 0) or "
            f"max by (namespace, pod, container) (container_spec_memory_limit_bytes{s(_NOT_POD)} > 0))"
        ),
        note="OOM kills happen at 100%",
    )
)
_register(
    Check(
        name="cpu_vs_request_limit",
        title="CPU usage (cores, 5m rate) as a fraction of the container's CPU request and limit",
        metrics=("container_cpu_usage_seconds_total", "kube_pod_container_resource_requests"),
        exporter=f"{CADVISOR} and {KSM}",
        unit="ratio",
        empty_means="no container has a CPU request or limit",
        build=lambda s: _tagged(
            "vs",
            {
                kind: (
                    "sum by (namespace, pod, container) "
                    f"(rate(container_cpu_usage_seconds_total{s(_NOT_POD)}[5m])) / "
                    f"sum by (namespace, pod, container) ({metric}{s('resource=`cpu`')} > 0)"
                )
                for kind, metric in (
                    ("request", "kube_pod_container_resource_requests"),
                    ("limit", "kube_pod_container_resource_limits"),
                )
            },
        ),
        note="above 100% of the limit is impossible; near it means throttling (see cpu_throttling)",
    )
)
_register(
    Check(
        name="cpu_throttling",
        title="CFS throttling ratio: throttled periods / all periods over 5m (kubernetes-mixin)",
        metrics=("container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_periods_total"),
        exporter=CADVISOR,
        unit="ratio",
        empty_means="no container has a CPU limit (CFS quota), so nothing can be throttled",
        build=lambda s: (
            "sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_throttled_periods_total{s('container!=``')}[5m])) / "
            "sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_periods_total{s()}[5m]))"
        ),
        note="kubernetes-mixin CPUThrottlingHigh fires above 25%",
    )
)
_register(
    Check(
        name="container_waiting_reasons",
        title="containers waiting, with the reason (CrashLoopBackOff, ImagePullBackOff, ...)",
        metrics=("kube_pod_container_status_waiting_reason",),
        exporter=KSM,
        unit="count",
        empty_means="no container is waiting",
        build=lambda s: f"kube_pod_container_status_waiting_reason{s()} > 0",
    )
)
_register(
    Check(
        name="container_terminated_reasons",
        title="the reason of each container's last termination (OOMKilled, Error, Completed, ...)",
        metrics=("kube_pod_container_status_last_terminated_reason",),
        exporter=KSM,
        unit="count",
        empty_means="no container has terminated before",
        build=lambda s: f"kube_pod_container_status_last_terminated_reason{s()} > 0",
    )
)
_register(
    Check(
        name="deployment_replicas",
        title="Deployment replicas: desired vs available (state label)",
        metrics=("kube_deployment_spec_replicas", "kube_deployment_status_replicas_available"),
        exporter=KSM,
        unit="count",
        empty_means="no Deployment matches",
        build=lambda s: _tagged(
            "state",
            {
                "desired": f"kube_deployment_spec_replicas{s()}",
                "available": f"kube_deployment_status_replicas_available{s()}",
            },
        ),
        filters={"namespace": equals("namespace"), "workload": equals("deployment")},
        order="labels",
    )
)
_register(
    Check(
        name="node_conditions",
        title="nodes not Ready, or with a pressure/problem condition true",
        metrics=("kube_node_status_condition",),
        exporter=KSM,
        unit="count",
        empty_means="every node is Ready and no node condition reports a problem",
        build=lambda s: (
            f"(kube_node_status_condition{s('condition=`Ready`', 'status!=`true`')} == 1) or "
            f"(kube_node_status_condition{s('condition!=`Ready`', 'status=`true`')} == 1)"
        ),
        filters={"node": equals("node")},
    )
)
_register(
    Check(
        name="node_pressure",
        title="node resources used: filesystem, memory and conntrack table (resource label)",
        metrics=(
            "node_filesystem_avail_bytes",
            "node_memory_MemAvailable_bytes",
            "node_nf_conntrack_entries",
        ),
        exporter=NODE_EXPORTER,
        unit="ratio",
        empty_means="no node-exporter series match",
        build=lambda s: _tagged(
            "resource",
            {
                "filesystem": (
                    f"1 - node_filesystem_avail_bytes{s('fstype!~`tmpfs|overlay|squashfs`')} / "
                    f"node_filesystem_size_bytes{s('fstype!~`tmpfs|overlay|squashfs`')}"
                ),
                "memory": f"1 - node_memory_MemAvailable_bytes{s()} / node_memory_MemTotal_bytes{s()}",
                "conntrack": f"node_nf_conntrack_entries{s()} / node_nf_conntrack_entries_limit{s()}",
            },
        ),
        filters={"node": node_instance},
        note="kubelet evicts around 90% filesystem / memory use; a full conntrack table drops packets",
    )
)
_register(
    Check(
        name="pvc_usage",
        title="PersistentVolumeClaim space used (kubelet volume stats)",
        metrics=("kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"),
        exporter=KUBELET,
        unit="ratio",
        empty_means="no mounted PersistentVolumeClaim matches",
        build=lambda s: (
            f"1 - kubelet_volume_stats_available_bytes{s()} / kubelet_volume_stats_capacity_bytes{s()}"
        ),
        filters={"namespace": equals("namespace"), "node": equals("node")},
    )
)
_register(
    Check(
        name="hpa_replicas",
        title="HorizontalPodAutoscaler current vs max replicas (state label); current = max means capped",
        metrics=(
            "kube_horizontalpodautoscaler_status_current_replicas",
            "kube_horizontalpodautoscaler_spec_max_replicas",
        ),
        exporter=KSM,
        unit="count",
        empty_means="no HorizontalPodAutoscaler matches",
        build=lambda s: _tagged(
            "state",
            {
                "current": f"kube_horizontalpodautoscaler_status_current_replicas{s()}",
                "max": f"kube_horizontalpodautoscaler_spec_max_replicas{s()}",
            },
        ),
        filters={"namespace": equals("namespace"), "workload": equals("horizontalpodautoscaler")},
        order="labels",
    )
)
_register(
    Check(
        name="coredns_rcodes",
        title="CoreDNS responses per second by response code (NXDOMAIN, SERVFAIL, ...)",
        metrics=("coredns_dns_responses_total",),
        exporter=COREDNS,
        unit="per_second",
        empty_means="CoreDNS answered no queries",
        build=lambda s: f"sum by (rcode) (rate(coredns_dns_responses_total{s()}[5m]))",
        filters={"pod": equals("pod"), "node": equals("node")},
    )
)
_register(
    Check(
        name="coredns_latency",
        title="CoreDNS request latency quantiles (p50, p99) over 5m",
        metrics=("coredns_dns_request_duration_seconds_bucket",),
        exporter=COREDNS,
        unit="seconds",
        empty_means="CoreDNS answered no queries",
        build=lambda s: _tagged(
            "quantile",
            {
                q: f"histogram_quantile({q}, sum by (le) "
                f"(rate(coredns_dns_request_duration_seconds_bucket{s()}[5m])))"
                for q in ("0.5", "0.99")
            },
        ),
        filters={"pod": equals("pod"), "node": equals("node")},
    )
)
_register(
    Check(
        name="hubble_drops",
        title="packets dropped per second by drop reason (Hubble)",
        metrics=("hubble_drop_total",),
        exporter=HUBBLE,
        unit="per_second",
        empty_means="no packet was dropped",
        build=lambda s: f"sum by (reason, protocol) (rate(hubble_drop_total{s()}[5m])) > 0",
        filters={"node": equals("node")},
        note="use the flow tools to see which pods and which policy",
    )
)
_register(
    Check(
        name="http_request_rate",
        title="HTTP requests per second by namespace, service and job",
        metrics=("http_requests_total",),
        exporter=APP,
        unit="per_second",
        empty_means="no HTTP requests were served",
        build=lambda s: f"sum by (namespace, service, job) (rate(http_requests_total{s()}[5m]))",
        filters={"namespace": equals("namespace"), "workload": workload_pods(), "pod": equals("pod")},
    )
)
_register(
    Check(
        name="http_error_ratio",
        title="fraction of HTTP requests answered with a 5xx code, by namespace, service and job",
        metrics=("http_requests_total",),
        exporter=APP,
        unit="ratio",
        empty_means="no HTTP requests were served",
        build=lambda s: (
            f"sum by (namespace, service, job) (rate(http_requests_total{s('code=~`5..`')}[5m])) / "
            f"sum by (namespace, service, job) (rate(http_requests_total{s()}[5m]))"
        ),
        filters={"namespace": equals("namespace"), "workload": workload_pods(), "pod": equals("pod")},
    )
)
_register(
    Check(
        name="http_latency_quantiles",
        title="HTTP request latency quantiles (p50, p90, p99) by namespace, service and job",
        metrics=("http_request_duration_seconds_bucket",),
        exporter=APP,
        unit="seconds",
        empty_means="no HTTP requests were served",
        build=lambda s: _tagged(
            "quantile",
            {
                q: f"histogram_quantile({q}, sum by (namespace, service, job, le) "
                f"(rate(http_request_duration_seconds_bucket{s()}[5m])))"
                for q in ("0.5", "0.9", "0.99")
            },
        ),
        filters={"namespace": equals("namespace"), "workload": workload_pods(), "pod": equals("pod")},
    )
)


def check_names() -> list[str]:
    return list(CHECKS)


def get_check(name: str) -> Check:
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known checks: {', '.join(CHECKS)}") from None
