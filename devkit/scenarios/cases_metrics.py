"""Scenarios whose decisive evidence is in Prometheus: throttling, a slow release, memory limits."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import scenario


@scenario(
    "cpu-throttling-renderer",
    "image thumbnails have been super slow for the last half hour",
    culprit=("Deployment", "media", "renderer"),
    category="CPUThrottling",
    metrics=("cadvisor", "app"),
)
def cpu_throttling_renderer():
    """A bulk upload doubled the renderer's work; its 300m CPU limit throttles it ~70%, latency tripled."""
    b = cluster("cpu-throttling-renderer", seed=501, packs=("shop", "media"), step=60)
    noise = [d.old_restart(b, "shop/cart", at="5h"), d.resolved_probe_warning(b, "media/uploads")]
    renderer = b.deployment(
        "media",
        "renderer",
        f"{REGISTRY}/media/renderer:1.4.0",
        replicas=2,
        port=8080,
        cpu="200m",
        memory="256Mi",
        cpu_limit="300m",
        memory_limit="512Mi",
        created="40d",
        rolled_out="9d",
    )
    b.service("media", "renderer", port=80, target_port="http")
    renderer.usage(cpu=0.12, memory="190Mi", cpu_steps=[("32m", 0.52)])
    b.http(renderer, rps=12, latency=0.08, changes=[("32m", {"rps": 26, "latency": 0.31})])
    b.http(b.workload("media/uploads"), rps=8, latency=0.03)
    return b, noise


@scenario(
    "regression-after-release",
    "checkout got really slow after this morning's deploy",
    culprit=("Deployment", "shop", "checkout"),
    category="PerformanceRegression",
    metrics=("app",),
)
def regression_after_release():
    """checkout 2.4.0 (rolled out 26 minutes ago) does an extra query per line item: p95 0.07 s -> 0.9 s."""
    b = cluster("regression-after-release", seed=502, packs=("shop", "data"), step=60)
    noise = [
        d.finished_rollout(b, "shop/cart", f"{REGISTRY}/shop/cart:4.2.1", at="50m"),
        d.old_restart(b, "data/redis", at="8h"),
    ]
    checkout = b.workload("shop/checkout")
    checkout.rollout("26m", image=f"{REGISTRY}/shop/checkout:2.4.0")
    b.http(checkout, rps=6, latency=0.07, changes=[("25m", {"latency": 0.9})])
    b.http(b.workload("shop/cart"), rps=15, latency=0.015)
    b.http(b.workload("shop/frontend"), rps=40, latency=0.05, changes=[("25m", {"latency": 0.08})])
    return b, noise


@scenario(
    "oom-billing-worker",
    "billing worker keeps dying every 15-20 minutes",
    culprit=("Deployment", "billing", "billing-worker"),
    category="OOMKilled",
    metrics=("cadvisor",),
)
def oom_billing_worker():
    """The month-end batch makes billing-worker's working set climb past its 512Mi limit: OOMKilled."""
    b = cluster("oom-billing-worker", seed=503, packs=("shop", "billing"), step=60)
    noise = [d.old_oom(b, "shop/catalog", at=("100m",)), d.old_restart(b, "billing/invoices", at="6h")]
    worker = b.workload("billing/billing-worker")
    worker.pods[0].oom_killed(at=["41m", "23m", "5m"], ramp="14m")
    return b, noise
