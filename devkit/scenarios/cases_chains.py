"""Harder cause chains and variants: the symptom is far from the cause, or the cause is a less common shape
of a familiar category."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import scenario
from devkit.synth.extras import failed_create, no_pods_created


@scenario(
    "crash-because-db-oom",
    "checkout keeps crashing since 9:05, did the new code break it?",
    culprit=("StatefulSet", "data", "postgres"),
    category="OOMKilled",
    chain=["Deployment/shop/checkout crashes (connection refused)", "StatefulSet/data/postgres OOMKilled"],
)
def crash_because_db_oom():
    """postgres is OOMKilled every few minutes (a runaway report query); checkout exits at start-up each
    time the database refuses connections."""
    b = cluster("crash-because-db-oom", seed=801, packs=("shop", "data"))
    noise = [
        d.finished_rollout(b, "shop/checkout", f"{REGISTRY}/shop/checkout:2.3.1", at="40m", blame="AppCrash"),
        d.old_restart(b, "shop/cart", at="6h"),
    ]
    b.workload("data/postgres").pods[0].oom_killed(at=["25m", "16m", "8m", "1m"], ramp="6m")
    pg_ip = b.find_service("data", "postgres").cluster_ip
    for pod in b.workload("shop/checkout").pods:
        pod.crash_loop(
            "24m",
            exit_code=1,
            run_seconds=3,
            previous_log=[
                'level=info msg="starting checkout" version=2.3.1',
                'level=info msg="connecting to database" host=postgres.data.svc.cluster.local',
                'level=fatal msg="database unavailable" '
                f'err="dial tcp {pg_ip}:5432: connect: connection refused"',
            ],
        )
    return b, noise


@scenario(
    "short-name-wrong-namespace",
    "cart can't find redis since we moved redis to the data namespace",
    culprit=("Deployment", "shop", "cart"),
    category="DNSFailure",
)
def short_name_wrong_namespace():
    """cart still connects to the short name `redis`, which only resolves inside its own namespace."""
    b = cluster("short-name-wrong-namespace", seed=802, packs=("shop", "data"))
    noise = [
        d.search_path_nxdomain(b, "shop/checkout", "postgres.data.svc.cluster.local", ["10.96.12.40"]),
        d.old_oom(b, "shop/catalog", at=("100m",)),
    ]
    cart = b.workload("shop/cart")
    rs = cart.rollout("33m", env={"REDIS_ADDR": "redis:6379"})
    for suffix in (
        "shop.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "eu-west-1.compute.internal",
    ):
        b.dns_query("shop/cart", f"redis.{suffix}", every="2m", rcode=3, since="33m")
    for pod in rs.pods:
        pod.log(
            [
                (
                    f"{minute}m8s",
                    'level=error msg="cart store unavailable" '
                    'err="dial tcp: lookup redis on 10.96.0.10:53: no such host"',
                )
                for minute in range(32, 0, -3)
            ]
        )
    return b, noise


@scenario(
    "limitrange-rejects-pods",
    "the new ml-batch deployment never creates any pods",
    culprit=("LimitRange", "ml", "container-limits"),
    category="QuotaExceeded",
)
def limitrange_rejects_pods():
    """ml-batch asks for 12Gi per container; the namespace's LimitRange caps containers at 8Gi."""
    b = cluster("limitrange-rejects-pods", seed=803, packs=("shop", "billing"))
    noise = [d.old_restart(b, "billing/invoices", at="4h"), d.old_failed_scheduling(b, "shop/checkout")]
    b.namespace("ml", created="20d")
    b.add(
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "container-limits", "namespace": "ml"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "max": {"cpu": "4", "memory": "8Gi"},
                        "default": {"cpu": "500m", "memory": "512Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    }
                ]
            },
        },
        created="20d",
    )
    dep = b.deployment(
        "ml",
        "ml-batch",
        f"{REGISTRY}/ml/ml-batch:0.2.0",
        replicas=1,
        port=8080,
        cpu="2",
        memory="12Gi",
        memory_limit="12Gi",
        created="27m",
        rolled_out="27m",
        revision=1,
    )
    rs = no_pods_created(dep.current)
    failed_create(
        b,
        rs,
        f'Error creating: pods "{rs.name}-p2x8d" is forbidden: maximum memory usage per Container is 8Gi, '
        "but limit is 12Gi",
        since="27m",
    )
    return b, noise


@scenario(
    "hpa-cannot-read-metric",
    "frontend isn't scaling up even though it's busy",
    culprit=("HorizontalPodAutoscaler", "shop", "frontend"),
    category="AutoscalingLimit",
)
def hpa_cannot_read_metric():
    """frontend 3.15.0 dropped its CPU request, so its HPA cannot compute utilisation and never scales."""
    b = cluster("hpa-cannot-read-metric", seed=804, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/catalog", at="5h"), d.resolved_probe_warning(b, "shop/cart")]
    frontend = b.workload("shop/frontend")
    for spec in (frontend.template["spec"]["containers"][0],):
        spec["resources"].pop("requests", None)
    rs = frontend.rollout("45m", image=f"{REGISTRY}/shop/frontend:3.15.0")
    for pod in rs.pods:
        pod.spec["containers"][0]["resources"].pop("requests", None)
    b.hpa(frontend, min_replicas=2, max_replicas=10, cpu_target=70, current_cpu=None)
    b.event(
        ("HorizontalPodAutoscaler", "shop", "frontend"),
        "FailedGetResourceMetric",
        "failed to get cpu utilization: missing request for cpu in container frontend "
        f"of Pod {rs.pods[0].name}",
        "Warning",
        88,
        "44m",
        "20s",
        component="horizontal-pod-autoscaler",
    )
    return b, noise


@scenario(
    "billing-namespace-review",
    "what's wrong in the billing ns?",
    culprit=("Deployment", "billing", "billing-worker"),
    category="ImagePull",
)
def billing_namespace_review():
    """billing-worker's new image is in a registry that now needs a pull secret; elsewhere, media has its own
    unrelated crash."""
    b = cluster("billing-namespace-review", seed=805, packs=("shop", "billing", "media"))
    noise = [d.old_restart(b, "billing/invoices", at="3h")]
    worker = b.workload("billing/billing-worker")
    rs = worker.rollout("19m", image="ghcr.io/example-private/billing-worker:5.2.0", complete=False)
    rs.pods[0].image_pull_error("19m", not_found=False)
    for pod in b.workload("media/thumbnailer").pods:
        pod.crash_loop("40m", exit_code=139, previous_log=["Segmentation fault (core dumped)"])
    noise.append(
        d.Distractor(
            ("Deployment", "media", "thumbnailer"), "a real crash, but in another namespace", "AppCrash"
        )
    )
    return b, noise


@scenario(
    "slow-after-last-deploy",
    "invoices is slow after the last deploy",
    culprit=("Deployment", "billing", "invoices"),
    category="PerformanceRegression",
    metrics=("app",),
)
def slow_after_last_deploy():
    """invoices 5.2.0 (rolled out 18 minutes ago) renders PDFs synchronously: p95 from 0.12 s to 1.4 s."""
    b = cluster("slow-after-last-deploy", seed=806, packs=("shop", "billing"), step=60)
    noise = [
        d.finished_rollout(b, "billing/billing-worker", f"{REGISTRY}/billing/billing-worker:5.1.1", at="50m"),
        d.old_oom(b, "shop/cart", at=("100m",)),
    ]
    invoices = b.workload("billing/invoices")
    invoices.rollout("18m", image=f"{REGISTRY}/billing/invoices:5.2.0")
    b.http(invoices, rps=9, latency=0.12, changes=[("17m", {"latency": 1.4})])
    b.http(b.workload("shop/checkout"), rps=6, latency=0.07)
    return b, noise


@scenario(
    "taint-no-toleration",
    "why won't the gpu-inference pods schedule on the new gpu nodes?",
    culprit=("Deployment", "ml", "gpu-inference"),
    category="SchedulingConstraint",
)
def taint_no_toleration():
    """The new GPU nodes are tainted nvidia.com/gpu=present:NoSchedule; gpu-inference has no toleration."""
    b = cluster("taint-no-toleration", seed=807, packs=("shop", "data"))
    for index in (1, 2):
        b.node(
            f"gpu-{index}",
            cpu="8",
            memory="64Gi",
            instance_type="g5.2xlarge",
            labels={"accelerator": "nvidia-a10g"},
            taints=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "value": "present"}],
            created="2h",
        )
    noise = [d.old_failed_scheduling(b, "shop/frontend"), d.old_restart(b, "data/redis", at="6h")]
    dep = b.deployment(
        "ml",
        "gpu-inference",
        f"{REGISTRY}/ml/gpu-inference:0.5.0",
        replicas=2,
        port=8000,
        node_selector={"accelerator": "nvidia-a10g"},
        created="1h",
        rolled_out="1h",
        revision=1,
    )
    for pod in dep.pods:
        pod.cannot_schedule(
            "58m",
            "0/5 nodes are available: 2 node(s) had untolerated taint {nvidia.com/gpu: present}, "
            "3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: "
            "5 Preemption is not helpful for scheduling.",
        )
    return b, noise
