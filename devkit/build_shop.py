"""Build the demo snapshot `shop`: a small production cluster with six injected problems.

    python -m devkit.build_shop [--out DIR]      # default: app/demo/shop/

The ground truth (what is wrong, where, and which evidence shows it) is in docs/demo.md and, for tests,
app/demo/shop_truth.yaml. Never edit the generated files by hand: change this script and rebuild.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.demo import SHOP_SNAPSHOT
from devkit.synth import ClusterBuilder, configmap_volume, container, mount, secret_ref
from devkit.synth.writer import write_snapshot

CAPTURED_AT = "2026-11-20T09:30:00Z"
REGISTRY = "registry.example.com/shop"
DEFAULT_OUT = SHOP_SNAPSHOT


def build() -> ClusterBuilder:
    b = ClusterBuilder(
        "shop-prod",
        CAPTURED_AT,
        seed=2026,
        kubernetes_version="v1.31.2",
        description="Demo: a small online shop on 3 nodes with Cilium/Hubble, Prometheus and ingress-nginx.",
        hubble_metrics=("dns",),  # as in cilium-config below: only DNS metrics are exported
    )
    for name in ("worker-1", "worker-2", "worker-3"):
        b.node(name, cpu="4", memory="16Gi", created="74d")
    _platform(b)
    _monitoring(b)
    _ingress(b)
    _data(b)
    _shop(b)
    _traffic(b)
    return b


# ----- kube-system: CoreDNS, Cilium, Hubble ---------------------------------------------------------
def _platform(b: ClusterBuilder) -> None:
    b.configmap(
        "kube-system",
        "coredns",
        {
            "Corefile": (
                ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
                "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
                "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n"
                "    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n"
                "    cache 30\n    loop\n"
                "    reload\n    loadbalance\n}\n"
            )
        },
        created="74d",
    )
    dns_container = container(
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
        cpu="100m",
        memory="70Mi",
        memory_limit="170Mi",
        probe_path=None,
        args=["-conf", "/etc/coredns/Corefile"],
        volume_mounts=[mount("config-volume", "/etc/coredns", True)],
    )
    dns_container["livenessProbe"] = {
        "failureThreshold": 5,
        "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
        "initialDelaySeconds": 60,
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 5,
    }
    dns_container["readinessProbe"] = {
        "failureThreshold": 3,
        "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"},
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }
    b.service_account("kube-system", "coredns", created="74d")
    coredns = b.deployment(
        "kube-system",
        "coredns",
        containers=[dns_container],
        replicas=2,
        labels={"k8s-app": "kube-dns"},
        created="74d",
        rolled_out="21d",
        revision=2,
        service_account="coredns",
        priority_class="system-cluster-critical",
        volumes=[
            {
                "configMap": {
                    "defaultMode": 420,
                    "items": [{"key": "Corefile", "path": "Corefile"}],
                    "name": "coredns",
                },
                "name": "config-volume",
            }
        ],
    )
    coredns.usage(cpu=0.012, memory="24Mi")
    b.service(
        "kube-system",
        "kube-dns",
        selector={"k8s-app": "kube-dns"},
        cluster_ip="10.96.0.10",
        ports=[("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53, "TCP"), ("metrics", 9153, 9153, "TCP")],
        labels={
            "k8s-app": "kube-dns",
            "kubernetes.io/cluster-service": "true",
            "kubernetes.io/name": "CoreDNS",
        },
        created="74d",
    )
    b.coredns(rps=55.0, rcodes={"NOERROR": 0.83, "NXDOMAIN": 0.17}, latency=0.0011)

    b.configmap(
        "kube-system",
        "cilium-config",
        {
            "cluster-name": "shop-prod",
            "cluster-id": "1",
            "kube-proxy-replacement": "true",
            "enable-hubble": "true",
            "hubble-listen-address": ":4244",
            "hubble-metrics": "dns:query;ignoreAAAA",
            "hubble-metrics-server": ":9965",
            "ipam": "kubernetes",
            "routing-mode": "tunnel",
            "tunnel-protocol": "vxlan",
            "enable-policy": "default",
            "policy-audit-mode": "false",
        },
        created="74d",
    )
    b.service_account("kube-system", "cilium", created="74d")
    b.service_account("kube-system", "cilium-operator", created="74d")
    b.service_account("kube-system", "hubble-relay", created="74d")
    cilium = b.daemonset(
        "kube-system",
        "cilium",
        "quay.io/cilium/cilium:v1.16.3",
        labels={"k8s-app": "cilium"},
        host_network=True,
        service_account="cilium",
        created="74d",
        rolled_out="21d",
        ports=[("peer-service", 4244, "TCP"), ("hubble-metrics", 9965, "TCP")],
        cpu="100m",
        memory="512Mi",
        probe_path=None,
        command=["cilium-agent"],
        args=["--config-dir=/tmp/cilium/config-map"],
    )
    cilium.usage(cpu=0.06, memory="310Mi")
    b.deployment(
        "kube-system",
        "cilium-operator",
        "quay.io/cilium/operator-generic:v1.16.3",
        replicas=1,
        labels={"io.cilium/app": "operator", "name": "cilium-operator"},
        created="74d",
        rolled_out="21d",
        revision=2,
        service_account="cilium-operator",
        priority_class="system-cluster-critical",
        port=9963,
        port_name="prometheus",
        probe_path=None,
        cpu=None,
        memory=None,
    ).usage(cpu=0.004, memory="48Mi")
    relay = b.deployment(
        "kube-system",
        "hubble-relay",
        "quay.io/cilium/hubble-relay:v1.16.3",
        replicas=1,
        labels={"k8s-app": "hubble-relay"},
        created="74d",
        rolled_out="21d",
        revision=2,
        service_account="hubble-relay",
        port=4245,
        port_name="grpc",
        tcp_probes=True,
        cpu=None,
        memory=None,
    )
    relay.usage(cpu=0.003, memory="30Mi")
    b.service(
        "kube-system",
        "hubble-relay",
        selector={"k8s-app": "hubble-relay"},
        port=80,
        target_port="grpc",
        port_name="",
        labels={"k8s-app": "hubble-relay"},
        created="74d",
    )
    b.service_account("kube-system", "metrics-server", created="74d")
    b.deployment(
        "kube-system",
        "metrics-server",
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
        replicas=1,
        labels={"k8s-app": "metrics-server"},
        created="74d",
        rolled_out="30d",
        revision=1,
        service_account="metrics-server",
        port=10250,
        port_name="https",
        probe_path=None,
        cpu="100m",
        memory="200Mi",
        priority_class="system-cluster-critical",
    ).usage(cpu=0.005, memory="38Mi")
    b.service(
        "kube-system",
        "metrics-server",
        selector={"k8s-app": "metrics-server"},
        port=443,
        target_port="https",
        port_name="https",
        labels={"k8s-app": "metrics-server"},
        created="74d",
    )
    b.storage_class("gp3", default=True)
    b.role(
        None,
        "cilium",
        [
            {
                "apiGroups": [""],
                "resources": ["pods", "services", "nodes", "namespaces", "endpoints"],
                "verbs": ["get", "list", "watch"],
            },
            {"apiGroups": ["cilium.io"], "resources": ["*"], "verbs": ["*"]},
        ],
        created="74d",
    )
    b.role_binding(None, "cilium", "cilium", [("kube-system", "cilium")], created="74d")


# ----- monitoring -------------------------------------------------------------------------------------
def _monitoring(b: ClusterBuilder) -> None:
    b.namespace("monitoring", created="70d")
    for sa in ("prometheus", "kube-state-metrics", "node-exporter"):
        b.service_account("monitoring", sa, created="70d")
    b.configmap(
        "monitoring",
        "prometheus-config",
        {
            "prometheus.yml": (
                "global:\n  scrape_interval: 60s\n  evaluation_interval: 60s\nscrape_configs:\n"
                "- job_name: kube-state-metrics\n  static_configs:\n"
                "  - targets: ['kube-state-metrics.monitoring:8080']\n"
                "- job_name: kubelet-cadvisor\n  scheme: https\n  kubernetes_sd_configs: [{role: node}]\n"
                "- job_name: node-exporter\n  kubernetes_sd_configs: [{role: endpoints}]\n"
                "- job_name: coredns\n  kubernetes_sd_configs: [{role: pod}]\n"
                "- job_name: hubble\n  kubernetes_sd_configs: [{role: pod}]\n"
                "- job_name: shop-apps\n  kubernetes_sd_configs: [{role: pod, namespaces: {names: [shop]}}]\n"
            )
        },
        created="70d",
    )
    prom = b.statefulset(
        "monitoring",
        "prometheus",
        "quay.io/prometheus/prometheus:v2.54.1",
        replicas=1,
        labels={"app.kubernetes.io/name": "prometheus"},
        claims=[("prometheus-data", "50Gi", "gp3")],
        mount_path="/prometheus",
        port=9090,
        port_name="web",
        probe_path="/-/healthy",
        cpu="500m",
        memory="2Gi",
        memory_limit="4Gi",
        service_account="prometheus",
        created="70d",
        rolled_out="9d",
        volumes=[configmap_volume("config", "prometheus-config")],
    )
    prom.usage(cpu=0.21, memory="1400Mi")
    b.service(
        "monitoring",
        "prometheus",
        selector={"app.kubernetes.io/name": "prometheus"},
        port=9090,
        target_port="web",
        port_name="web",
        labels={"app.kubernetes.io/name": "prometheus"},
        created="70d",
    )
    ksm = b.deployment(
        "monitoring",
        "kube-state-metrics",
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
        replicas=1,
        labels={"app.kubernetes.io/name": "kube-state-metrics"},
        created="70d",
        rolled_out="9d",
        revision=2,
        service_account="kube-state-metrics",
        ports=[("http-metrics", 8080, "TCP"), ("telemetry", 8081, "TCP")],
        probe_path="/healthz",
        cpu="50m",
        memory="128Mi",
        memory_limit="256Mi",
    )
    ksm.usage(cpu=0.008, memory="52Mi")
    b.service(
        "monitoring",
        "kube-state-metrics",
        selector={"app.kubernetes.io/name": "kube-state-metrics"},
        port=8080,
        target_port="http-metrics",
        port_name="http-metrics",
        labels={"app.kubernetes.io/name": "kube-state-metrics"},
        created="70d",
    )
    ne = b.daemonset(
        "monitoring",
        "node-exporter",
        "quay.io/prometheus/node-exporter:v1.8.2",
        labels={"app.kubernetes.io/name": "node-exporter"},
        host_network=True,
        service_account="node-exporter",
        created="70d",
        rolled_out="9d",
        port=9100,
        port_name="metrics",
        probe_path="/",
        cpu="50m",
        memory="64Mi",
        memory_limit="128Mi",
        priority_class=None,
    )
    ne.usage(cpu=0.006, memory="22Mi")
    b.role(
        None,
        "kube-state-metrics",
        [
            {
                "apiGroups": ["", "apps", "autoscaling", "policy", "networking.k8s.io"],
                "resources": ["*"],
                "verbs": ["list", "watch"],
            }
        ],
        created="70d",
    )
    b.role_binding(
        None,
        "kube-state-metrics",
        "kube-state-metrics",
        [("monitoring", "kube-state-metrics")],
        created="70d",
    )
    b.role(
        None,
        "prometheus",
        [
            {
                "apiGroups": [""],
                "resources": ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
                "verbs": ["get", "list", "watch"],
            }
        ],
        created="70d",
    )
    b.role_binding(None, "prometheus", "prometheus", [("monitoring", "prometheus")], created="70d")


# ----- ingress-nginx ----------------------------------------------------------------------------------
def _ingress(b: ClusterBuilder) -> None:
    b.namespace("ingress-nginx", created="70d")
    b.service_account("ingress-nginx", "ingress-nginx", created="70d")
    b.ingress_class("nginx")
    controller = b.deployment(
        "ingress-nginx",
        "ingress-nginx-controller",
        "registry.k8s.io/ingress-nginx/controller:v1.11.3",
        replicas=2,
        labels={"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"},
        created="70d",
        rolled_out="16d",
        revision=4,
        service_account="ingress-nginx",
        ports=[("http", 80, "TCP"), ("https", 443, "TCP"), ("metrics", 10254, "TCP")],
        probe_path="/healthz",
        cpu="100m",
        memory="90Mi",
        memory_limit="512Mi",
        args=[
            "/nginx-ingress-controller",
            "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
            "--election-id=ingress-nginx-leader",
            "--controller-class=k8s.io/ingress-nginx",
            "--ingress-class=nginx",
        ],
        env={
            "POD_NAME": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            "POD_NAMESPACE": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
        },
    )
    for c in controller.template["spec"]["containers"]:
        c["livenessProbe"]["httpGet"]["port"] = 10254
        c["readinessProbe"]["httpGet"]["port"] = 10254
    controller.usage(cpu=0.03, memory="140Mi")
    b.service(
        "ingress-nginx",
        "ingress-nginx-controller",
        selector={"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"},
        ports=[("http", 80, "http"), ("https", 443, "https")],
        type="LoadBalancer",
        labels={"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"},
        created="70d",
    )


# ----- data: postgres -----------------------------------------------------------------------------------
def _data(b: ClusterBuilder) -> None:
    b.namespace("data", created="60d")
    b.secret(
        "data", "postgres-credentials", {"username": "shop", "password": "s3cr3t-demo-only"}, created="60d"
    )
    pg = b.statefulset(
        "data",
        "postgres",
        "postgres:16.4",
        replicas=1,
        service_name="postgres-headless",
        claims=[("data", "20Gi", "gp3")],
        mount_path="/var/lib/postgresql/data",
        port=5432,
        port_name="postgres",
        tcp_probes=True,
        cpu="500m",
        memory="1Gi",
        memory_limit="2Gi",
        env={
            "POSTGRES_USER": secret_ref("postgres-credentials", "username"),
            "POSTGRES_PASSWORD": secret_ref("postgres-credentials", "password"),
            "PGDATA": "/var/lib/postgresql/data/pgdata",
        },
        created="60d",
        rolled_out="12d",
        nodes=["worker-2"],
    )
    pg.usage(cpu=0.09, memory="610Mi")
    b.service(
        "data",
        "postgres",
        selector={"app": "postgres"},
        port=5432,
        target_port="postgres",
        port_name="postgres",
        created="60d",
    )
    b.service(
        "data",
        "postgres-headless",
        selector={"app": "postgres"},
        port=5432,
        target_port="postgres",
        port_name="postgres",
        headless=True,
        created="60d",
    )
    # PROBLEM 2 (flows only): added 38 minutes ago for the catalog team's new read access; it isolates
    # postgres and allows only app=catalog, so checkout's connections are dropped (POLICY_DENIED).
    b.network_policy(
        "data",
        "postgres-allow-catalog",
        {"app": "postgres"},
        ingress=[
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                        "podSelector": {"matchLabels": {"app": "catalog"}},
                    }
                ],
                "ports": [{"port": 5432, "protocol": "TCP"}],
            }
        ],
        created="38m",
        annotations={"kubernetes.io/change-cause": "CHG-4471 allow catalog read replica access"},
    )


# ----- shop ---------------------------------------------------------------------------------------------
def _shop(b: ClusterBuilder) -> None:
    b.namespace("shop", labels={"team": "storefront"}, created="60d")
    for sa in ("frontend", "checkout", "payments", "catalog", "cart"):
        b.service_account("shop", sa, created="60d")
    b.secret("shop", "checkout-db", {"username": "checkout", "password": "demo-only"}, created="60d")
    b.secret("shop", "payments-stripe", {"api-key": "sk_live_demo_only"}, created="60d")
    b.secret(
        "shop",
        "shop-tls",
        {"tls.crt": "-----BEGIN CERTIFICATE-----\n...", "tls.key": "-----BEGIN KEY-----"},
        type="kubernetes.io/tls",
        created="50d",
    )
    b.configmap(
        "shop",
        "frontend-config",
        {
            "CART_URL": "http://cart.shop.svc.cluster.local",
            "CATALOG_URL": "http://catalog.shop.svc.cluster.local",
            "CHECKOUT_URL": "http://checkout.shop.svc.cluster.local",
        },
        created="60d",
    )
    db_env = {
        "DB_HOST": "postgres.data.svc.cluster.local",
        "DB_PORT": "5432",
        "DB_PASSWORD": secret_ref("checkout-db", "password"),
    }

    frontend = b.deployment(
        "shop",
        "frontend",
        f"{REGISTRY}/frontend:3.14.1",
        replicas=2,
        port=8080,
        cpu="200m",
        memory="256Mi",
        memory_limit="512Mi",
        service_account="frontend",
        created="60d",
        rolled_out="4d",
        revision=7,
        env_from=[{"configMapRef": {"name": "frontend-config"}}],
        volume_mounts=[mount("config", "/etc/frontend", True)],
        volumes=[configmap_volume("config", "frontend-config")],
    )
    frontend.usage(cpu=0.07, memory="180Mi")
    checkout = b.deployment(
        "shop",
        "checkout",
        f"{REGISTRY}/checkout:2.3.0",
        replicas=2,
        port=8080,
        cpu="100m",
        memory="128Mi",
        memory_limit="256Mi",
        service_account="checkout",
        created="60d",
        rolled_out="2d",
        revision=5,
        env={**db_env, "PAYMENTS_URL": "http://payments.shop.svc.cluster.local"},
    )
    checkout.usage(cpu=0.03, memory="96Mi")
    payments = b.deployment(
        "shop",
        "payments",
        f"{REGISTRY}/payments:2.7.4",
        replicas=2,
        port=8080,
        cpu="100m",
        memory="128Mi",
        memory_limit="256Mi",
        service_account="payments",
        created="60d",
        rolled_out="9d",
        revision=4,
        env={
            "STRIPE_KEY": secret_ref("payments-stripe", "api-key"),
            "STRIPE_ENDPOINT": "https://api.stripe.com",
        },
    )
    payments.usage(cpu=0.02, memory="70Mi")
    catalog = b.deployment(
        "shop",
        "catalog",
        f"{REGISTRY}/catalog:1.9.2",
        replicas=2,
        port=8080,
        cpu="100m",
        memory="256Mi",
        cpu_limit="200m",
        memory_limit="512Mi",
        service_account="catalog",
        created="60d",
        rolled_out="6d",
        revision=6,
        env=db_env | {"DB_PASSWORD": secret_ref("checkout-db", "password")},
    )
    cart = b.deployment(
        "shop",
        "cart",
        f"{REGISTRY}/cart:4.2.0",
        replicas=2,
        port=8080,
        cpu="100m",
        memory="128Mi",
        memory_limit="256Mi",
        service_account="cart",
        created="60d",
        rolled_out="3d",
        revision=3,
        env={"REDIS_URL": "redis://redis.shop.svc.cluster.local:6379"},
    )
    cart.usage(cpu=0.025, memory="98Mi")
    redis = b.deployment(
        "shop",
        "redis",
        "redis:7.2.5",
        replicas=1,
        port=6379,
        port_name="redis",
        tcp_probes=True,
        cpu="100m",
        memory="256Mi",
        memory_limit="512Mi",
        created="60d",
        rolled_out="30d",
        revision=1,
        args=["--maxmemory", "400mb", "--maxmemory-policy", "allkeys-lru"],
    )
    redis.usage(cpu=0.015, memory="150Mi")

    for name in ("frontend", "checkout", "payments", "catalog", "redis"):
        port = 6379 if name == "redis" else 80
        b.service(
            "shop",
            name,
            port=port,
            target_port="redis" if name == "redis" else "http",
            port_name="redis" if name == "redis" else "http",
        )
    # PROBLEM 4 (cause chain): the cart Service was re-applied from the new Helm chart 18 minutes ago with
    # the chart's recommended labels as selector; the cart pods still carry only app=cart -> no endpoints,
    # so the frontend's cart calls fail (503 to shoppers).
    b.service(
        "shop",
        "cart",
        selector={"app.kubernetes.io/name": "cart", "app.kubernetes.io/instance": "cart"},
        labels={
            "app.kubernetes.io/name": "cart",
            "app.kubernetes.io/instance": "cart",
            "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": "cart-0.4.0",
        },
        annotations={"meta.helm.sh/release-name": "cart", "meta.helm.sh/release-namespace": "shop"},
    )
    b.ingress(
        "shop",
        "shop",
        "shop.example.com",
        [("/", "frontend", 80)],
        tls_secret="shop-tls",
        annotations={"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
    )
    b.hpa(frontend, min_replicas=2, max_replicas=6, cpu_target=70, current_cpu=41)
    b.pdb("shop", "frontend", {"app": "frontend"}, min_available=1)
    b.pdb("shop", "checkout", {"app": "checkout"}, min_available=1)
    b.network_policy(
        "shop",
        "frontend-allow-ingress",
        {"app": "frontend"},
        ingress=[
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
                ],
                "ports": [{"port": 8080, "protocol": "TCP"}],
            }
        ],
        created="50d",
    )
    b.add(
        {
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "payments-egress", "namespace": "shop"},
            "spec": {
                "endpointSelector": {"matchLabels": {"app": "payments"}},
                "egress": [
                    {
                        "toEndpoints": [
                            {
                                "matchLabels": {
                                    "k8s:io.kubernetes.pod.namespace": "kube-system",
                                    "k8s-app": "kube-dns",
                                }
                            }
                        ],
                        "toPorts": [
                            {
                                "ports": [{"port": "53", "protocol": "ANY"}],
                                "rules": {"dns": [{"matchPattern": "*"}]},
                            }
                        ],
                    },
                    {"toFQDNs": [{"matchName": "api.stripe.com"}], "toPorts": [{"ports": [{"port": "443"}]}]},
                ],
            },
        },
        created="40d",
        generation=True,
    )

    # PROBLEM 1 (metrics only): a promotion started at 09:00; catalog needs ~0.34 cores per pod but its
    # CPU limit is 200m -> CFS throttling ~75%, latency up. No events, no restarts, pods Ready.
    catalog.usage(cpu=0.11, memory="230Mi", cpu_steps=[("30m", 0.34)])

    # PROBLEM 3 (previous logs): payments 2.8.0 was rolled out 25 minutes ago; it reads STRIPE_API_KEY but
    # the Deployment still sets STRIPE_KEY. The new pod panics at start-up; the rollout is stuck.
    new_rs = payments.rollout("25m", image=f"{REGISTRY}/payments:2.8.0", complete=False)
    crashing = new_rs.pods[0]
    crashing.crash_loop(
        since="25m",
        exit_code=2,
        run_seconds=2,
        running_for="9s",
        previous_log=[
            '{"level":"info","msg":"starting payments","version":"2.8.0","commit":"9f3c2ab"}',
            '{"level":"info","msg":"loading configuration","source":"env"}',
            '{"level":"warn","msg":"STRIPE_KEY is no longer read since 2.8.0"}',
            "panic: config: required environment variable STRIPE_API_KEY is not set",
            "",
            "goroutine 1 [running]:",
            "main.mustEnv({0x9c1f0e, 0xe})",
            "\t/src/cmd/payments/config.go:41 +0x1b4",
            "main.loadConfig()",
            "\t/src/cmd/payments/config.go:58 +0x2c5",
            "main.main()",
            "\t/src/cmd/payments/main.go:23 +0x25",
        ],
        log=[
            '{"level":"info","msg":"starting payments","version":"2.8.0","commit":"9f3c2ab"}',
            '{"level":"info","msg":"loading configuration","source":"env"}',
        ],
    )

    # PROBLEM 5 (resolved, must not be blamed): one cart pod was OOMKilled twice 95 and 90 minutes ago
    # (a bulk cart import); it has run normally since, at ~40% of its memory limit.
    cart.pods[0].oom_killed(at=["95m", "90m"], ramp="14m")

    # PROBLEM 6 (objects and events): the new recommendations service was deployed 9 minutes ago with a
    # mistyped tag (v1.0.O, letter O) -> ErrImagePull / ImagePullBackOff.
    recs = b.deployment(
        "shop",
        "recommendations",
        f"{REGISTRY}/recommendations:v1.0.O",
        replicas=1,
        port=8080,
        cpu="100m",
        memory="128Mi",
        memory_limit="256Mi",
        created="9m",
        rolled_out="9m",
        revision=1,
    )
    recs.pods[0].image_pull_error(since="9m")
    b.service("shop", "recommendations", created="9m")
    b.resource_quota(
        "shop",
        "shop-quota",
        {"requests.cpu": "8", "requests.memory": "16Gi", "limits.memory": "24Gi", "pods": "50"},
    )

    _logs(b, checkout, frontend)
    _http(b, frontend, checkout, payments, catalog, cart)


def _logs(b: ClusterBuilder, checkout, frontend) -> None:
    pg_ip = b.find_service("data", "postgres").cluster_ip
    cart_ip = b.find_service("shop", "cart").cluster_ip
    for index, pod in enumerate(checkout.pods):
        lines: list = []
        for minute in range(110, 0, -3):
            stamp = f"{minute}m{7 + index * 11}s"
            if minute > 38:
                lines.append(
                    (
                        stamp,
                        f'level=info msg="order created" order_id=A{91000 - minute * 7 + index} '
                        f"items={1 + minute % 4} duration={40 + minute % 30}ms",
                    )
                )
            else:
                lines.append(
                    (
                        stamp,
                        f'level=error msg="create order failed" order_id=A{91000 - minute * 7 + index} '
                        f'err="dial tcp {pg_ip}:5432: i/o timeout"',
                    )
                )
                lines.append(
                    (
                        f"{minute}m{2 + index * 11}s",
                        'level=warn msg="database ping failed, retrying in 5s" attempt=1',
                    )
                )
        pod.log(lines)
    for index, pod in enumerate(frontend.pods):
        lines = []
        for minute in range(115, 0, -4):
            stamp = f"{minute}m{13 + index * 17}s"
            if minute > 18:
                lines.append((stamp, f'level=info msg="GET /cart" status=200 duration={25 + minute % 15}ms'))
            else:
                lines.append(
                    (
                        stamp,
                        'level=error msg="upstream request failed" upstream=cart '
                        f'url=http://cart.shop.svc.cluster.local/api/cart err="dial tcp {cart_ip}:80: '
                        'connect: connection refused"',
                    )
                )
                lines.append(
                    (f"{minute}m{9 + index * 17}s", 'level=info msg="GET /cart" status=503 duration=2ms')
                )
            if minute <= 38 and minute % 12 == 3:
                lines.append(
                    (
                        f"{minute}m{40 + index * 7}s",
                        'level=warn msg="POST /checkout" status=502 upstream=checkout duration=5012ms',
                    )
                )
        pod.log(lines)


def _http(b: ClusterBuilder, frontend, checkout, payments, catalog, cart) -> None:
    b.http(
        frontend,
        rps=45,
        codes={"200": 0.998, "500": 0.002},
        latency=0.045,
        changes=[
            ("38m", {"codes": {"200": 0.978, "500": 0.002, "502": 0.02}}),
            ("30m", {"latency": 0.12}),
            ("18m", {"codes": {"200": 0.71, "500": 0.002, "502": 0.02, "503": 0.268}}),
        ],
    )
    b.http(
        checkout,
        rps=4,
        codes={"200": 0.998, "500": 0.002},
        latency=0.06,
        changes=[
            ("38m", {"codes": {"200": 0.45, "500": 0.002, "503": 0.548}, "latency": 1.6}),
        ],
    )
    b.http(payments, rps=2.5, latency=0.18)
    b.http(catalog, rps=30, latency=0.03, changes=[("30m", {"rps": 75, "latency": 0.21})])
    b.http(cart, rps=15, latency=0.012, changes=[("18m", {"rps": 0})])


def _traffic(b: ClusterBuilder) -> None:
    b.traffic("ingress-nginx/ingress-nginx-controller", "shop/frontend", 8080, every="3m")
    b.traffic("shop/frontend", "shop/catalog", 8080, every="3m")
    b.traffic("shop/frontend", "shop/cart", 8080, every="3m", until="18m")
    b.traffic("shop/frontend", "shop/checkout", 8080, every="4m")
    b.traffic("shop/checkout", "shop/payments", 8080, every="4m", until="38m")
    b.traffic("shop/cart", "shop/redis", 6379, every="4m", until="18m")
    b.traffic("shop/catalog", "data/postgres", 5432, every="3m")
    # PROBLEM 2: the evidence that names the cause exists only here.
    b.traffic("shop/checkout", "data/postgres", 5432, every="3m", dropped_since="38m")
    b.dns_query("shop/payments", "api.stripe.com", every="6m", ips=["54.187.174.169"])
    b.dns_query("shop/payments", "api.stripe.com.shop.svc.cluster.local", every="6m", rcode=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: app/demo/shop)"
    )
    args = parser.parse_args(argv)
    out = write_snapshot(build(), args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
