"""Scenarios that test understanding the question: typos, times, whole-cluster reviews, a question about one
problem while another is louder, and symptoms named far from their cause."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster, normal_traffic
from devkit.scenarios.catalog import scenario
from devkit.synth import secret_ref


@scenario(
    "typo-thumbnailer-crash",
    "why does the thumbnailr keep crashing",
    culprit=("Deployment", "media", "thumbnailer"),
    category="AppCrash",
)
def typo_thumbnailer_crash():
    """thumbnailer 2.1.0 imports a module its image lacks: ModuleNotFoundError at start-up."""
    b = cluster("typo-thumbnailer-crash", seed=701, packs=("shop", "media"))
    noise = [d.old_restart(b, "media/uploads", at="5h"), d.old_oom(b, "shop/cart", at=("100m",))]
    dep = b.workload("media/thumbnailer")
    rs = dep.rollout("31m", image=f"{REGISTRY}/media/thumbnailer:2.1.0")
    for pod in rs.pods:
        pod.crash_loop(
            "31m",
            exit_code=1,
            run_seconds=4,
            previous_log=[
                "INFO:thumbnailer:starting thumbnailer 2.1.0",
                "Traceback (most recent call last):",
                '  File "/app/thumbnailer/__main__.py", line 3, in <module>',
                "    from thumbnailer.server import serve",
                '  File "/app/thumbnailer/server.py", line 7, in <module>',
                "    import pyvips",
                "ModuleNotFoundError: No module named 'pyvips'",
            ],
        )
    return b, noise


@scenario(
    "errors-since-config-change",
    "checkout has been returning 500s since 9:07",
    culprit=("Deployment", "shop", "checkout"),
    category="PerformanceRegression",
    metrics=("app",),
)
def errors_since_config_change():
    """ConfigMap checkout-flags was edited at 09:06 (a new payment provider flag): 5xx 0.1% -> 12%."""
    b = cluster("errors-since-config-change", seed=702, packs=("shop", "data"), step=60)
    noise = [
        d.finished_rollout(b, "shop/catalog", f"{REGISTRY}/shop/catalog:1.9.3", at="55m"),
        d.old_restart(b, "shop/frontend", at="9h"),
    ]
    flags = b.configmap(
        "shop", "checkout-flags", {"PAYMENT_PROVIDER": "adyen-v2", "RETRY": "3"}, created="60d"
    )
    flags["metadata"]["managedFields"] = [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:PAYMENT_PROVIDER": {}, "f:RETRY": {}}},
            "manager": "kubectl-edit",
            "operation": "Update",
            "time": "2026-11-20T09:06:12Z",
        }
    ]
    checkout = b.workload("shop/checkout")
    for pod in checkout.pods:
        pod.spec["containers"][0]["envFrom"] = [{"configMapRef": {"name": "checkout-flags"}}]
    checkout.template["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "checkout-flags"}}]
    b.http(
        checkout,
        rps=6,
        latency=0.07,
        codes={"200": 0.999, "500": 0.001},
        changes=[("23m", {"codes": {"200": 0.88, "500": 0.12}})],
    )
    b.http(b.workload("shop/catalog"), rps=30, latency=0.03)
    return b, noise


@scenario(
    "cluster-review-finds-crash",
    "anything on fire in the cluster right now?",
    culprit=("Deployment", "billing", "invoices"),
    category="AppCrash",
)
def cluster_review_finds_crash():
    """invoices crash-loops (it cannot parse its new config); the rest is healthy apart from old noise."""
    b = cluster("cluster-review-finds-crash", seed=703, packs=("shop", "data", "billing", "media"))
    noise = [
        d.recovered_node(b, "worker-1"),
        d.old_oom(b, "media/thumbnailer", at=("100m",)),
        d.resolved_probe_warning(b, "shop/cart"),
    ]
    for pod in b.workload("billing/invoices").pods:
        pod.crash_loop(
            "18m",
            exit_code=2,
            previous_log=[
                '{"level":"info","msg":"invoices 5.1.0 starting"}',
                '{"level":"fatal","msg":"invalid configuration",'
                '"error":"yaml: line 14: did not find expected key"}',
            ],
        )
    return b, noise


@scenario(
    "question-about-quieter-problem",
    "why is the uploads rollout stuck?",
    culprit=("Deployment", "media", "uploads"),
    category="ImagePull",
)
def question_about_quieter_problem():
    """uploads cannot pull its new image, while an unrelated node outage is the louder problem."""
    b = cluster("question-about-quieter-problem", seed=704, packs=("shop", "media", "billing"), nodes=4)
    noise = [d.old_restart(b, "media/thumbnailer", at="3h")]
    node = b.nodes["worker-4"]
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        node.conditions[kind] = (
            "Unknown",
            "NodeStatusUnknown",
            "Kubelet stopped posting node status.",
            b.at("9m"),
        )
    node.taints = [{"effect": "NoExecute", "key": "node.kubernetes.io/unreachable"}]
    for pod in b.all_pods():
        if pod.node == "worker-4":
            for c in pod.containers:
                c.unready_since = b.at("9m")
    noise.append(
        d.Distractor(("Node", None, "worker-4"), "a real outage, but not what was asked", "NodeNotReady")
    )
    dep = b.workload("media/uploads")
    rs = dep.rollout("20m", image=f"{REGISTRY}/media/uploads:0.10.0", complete=False)
    rs.pods[0].node = "worker-1"
    rs.pods[0].image_pull_error("20m")
    return b, noise


@scenario(
    "readiness-probe-no-endpoints",
    "cart service has no endpoints but the pods are running?",
    culprit=("Deployment", "shop", "cart"),
    category="ProbeFailure",
    chain=["Service/shop/cart (no ready endpoints)", "Deployment/shop/cart readiness probe"],
)
def readiness_probe_no_endpoints():
    """cart 4.3.0 serves its health check on /health; the readiness probe still asks /healthz (404)."""
    b = cluster("readiness-probe-no-endpoints", seed=705, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/checkout", at="4h"), d.old_failed_scheduling(b, "shop/catalog")]
    cart = b.workload("shop/cart")
    rs = cart.rollout("22m", image=f"{REGISTRY}/shop/cart:4.3.0")
    for pod in rs.pods:
        pod.not_ready("22m", message="Readiness probe failed: HTTP probe failed with statuscode: 404")
    return b, noise


@scenario(
    "secret-not-found",
    "uploads won't start after we moved to the new secrets setup",
    culprit=("Deployment", "media", "uploads"),
    category="MissingConfig",
)
def secret_not_found():
    """uploads now reads its S3 credentials from Secret uploads-s3, which the migration never created."""
    b = cluster("secret-not-found", seed=706, packs=("shop", "media"))
    noise = [d.old_oom(b, "media/thumbnailer", at=("100m",)), d.resolved_probe_warning(b, "shop/frontend")]
    dep = b.workload("media/uploads")
    rs = dep.rollout(
        "13m",
        env={
            "S3_ACCESS_KEY": secret_ref("uploads-s3", "access-key"),
            "S3_SECRET_KEY": secret_ref("uploads-s3", "secret-key"),
        },
        complete=False,
    )
    rs.pods[0].config_error("13m", 'secret "uploads-s3" not found')
    return b, noise


@scenario(
    "ingress-blocked-by-policy",
    "shop.example.com is timing out for everyone!",
    culprit=("NetworkPolicy", "shop", "default-deny-ingress"),
    category="NetworkPolicyBlocked",
    chain=[
        "Ingress/shop/shop",
        "ingress-nginx -> shop/frontend:8080 dropped",
        "NetworkPolicy/shop/default-deny-ingress",
    ],
)
def ingress_blocked_by_policy():
    """A default-deny ingress policy landed in shop with allow rules for the shop's own pods only: the
    ingress controller can no longer reach the frontend."""
    b = cluster("ingress-blocked-by-policy", seed=707, packs=("shop", "data"))
    noise = [
        d.search_path_nxdomain(b, "shop/cart", "redis.data.svc.cluster.local", ["10.96.40.12"]),
        d.old_restart(b, "data/postgres", at="9h"),
    ]
    b.network_policy(
        "shop",
        "default-deny-ingress",
        {},
        ingress=[{"from": [{"podSelector": {}}]}],
        created="16m",
        annotations={"kubernetes.io/change-cause": "SEC-219 namespace isolation"},
    )
    normal_traffic(b)
    b.traffic(
        "ingress-nginx/ingress-nginx-controller", "shop/frontend", 8080, every="1m", dropped_since="16m"
    )
    controller = b.workload("ingress-nginx/ingress-nginx-controller").pods[0]
    frontend_ip = b.workload("shop/frontend").pods[0].ip
    controller.log(
        [
            (
                f"{minute}m{17 + minute % 9}s",
                f"2026/11/20 09:{30 - minute:02d}:{17 + minute % 9:02d} [error] 31#31: *{88000 + minute} "
                "upstream timed out (110: Operation timed out) while connecting to upstream, "
                "client: 203.0.113.7, "
                f'server: shop.example.com, request: "GET / HTTP/2.0", upstream: "http://{frontend_ip}:8080/"',
            )
            for minute in range(15, 0, -1)
        ]
    )
    return b, noise
