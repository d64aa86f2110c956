"""Healthy clusters with red herrings: the right answer is "nothing is wrong"."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster, normal_traffic
from devkit.scenarios.catalog import scenario


@scenario("healthy-shop", "is anything wrong with the shop right now?", healthy=True)
def healthy_shop():
    """A routine cart release, an old restart, a brief readiness blip and search-path NXDOMAINs."""
    b = cluster("healthy-shop", seed=601, packs=("shop", "data"))
    normal_traffic(b)
    noise = [
        d.finished_rollout(b, "shop/cart", f"{REGISTRY}/shop/cart:4.2.1", at="35m"),
        d.old_restart(b, "shop/checkout", at="5h"),
        d.resolved_probe_warning(b, "shop/catalog"),
        d.search_path_nxdomain(b, "shop/checkout", "postgres.data.svc.cluster.local", ["10.96.12.40"]),
    ]
    return b, noise


@scenario("healthy-cluster-review", "quick health check of the whole cluster please", healthy=True)
def healthy_cluster_review():
    """A node that blipped NotReady 50 minutes ago, an old OOM kill, an old scheduling wait."""
    b = cluster("healthy-cluster-review", seed=602, packs=("shop", "data", "billing", "media"))
    noise = [
        d.recovered_node(b, "worker-2"),
        d.old_oom(b, "billing/billing-worker", at=("105m",)),
        d.old_failed_scheduling(b, "media/thumbnailer"),
        d.old_restart(b, "data/redis", at="12h"),
    ]
    return b, noise


@scenario(
    "healthy-checkout-metrics",
    "is checkout slow? a customer complained",
    healthy=True,
    metrics=("app", "cadvisor"),
)
def healthy_checkout_metrics():
    """checkout was released 40 minutes ago and its latency did not move; nothing else is wrong."""
    b = cluster("healthy-checkout-metrics", seed=603, packs=("shop", "data"))
    noise = [
        d.finished_rollout(b, "shop/checkout", f"{REGISTRY}/shop/checkout:2.3.1", at="40m"),
        d.old_oom(b, "shop/cart", at=("110m",)),
    ]
    b.http(b.workload("shop/checkout"), rps=6, latency=0.07)
    b.http(b.workload("shop/frontend"), rps=40, latency=0.05)
    return b, noise
