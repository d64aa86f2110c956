"""The healthy background every scenario starts from: a few nodes, the platform (CoreDNS, Cilium,
metrics-server, ingress-nginx) and a few application namespaces, all running and Ready.

Scenarios pick the application packs they want and then break one thing. Names vary between packs so the
question router has to tie plain words to this cluster's objects.
"""

from __future__ import annotations

from devkit.synth import ClusterBuilder, configmap_volume, mount, secret_ref

CAPTURED_AT = "2026-11-20T09:30:00Z"
REGISTRY = "registry.example.com"


def cluster(
    name: str,
    *,
    seed: int,
    packs: tuple[str, ...] = ("shop", "data"),
    nodes: int = 3,
    control_plane: bool = False,
    node_memory: str = "16Gi",
    node_cpu: str = "4",
    step: int = 60,
    window: str = "1h",
    captured_at: str = CAPTURED_AT,
) -> ClusterBuilder:
    """A healthy cluster with the platform and the named application packs."""
    b = ClusterBuilder(
        name,
        captured_at,
        seed=seed,
        window=window,
        step=step,
        description=f"kubewhy scenario {name}",
    )
    if control_plane:
        b.node("control-plane-1", role="control-plane", cpu="2", memory="8Gi", created="120d")
    for index in range(1, nodes + 1):
        b.node(f"worker-{index}", cpu=node_cpu, memory=node_memory, created="90d")
    platform(b)
    for pack in packs:
        PACKS[pack](b)
    return b


def platform(b: ClusterBuilder) -> None:
    """kube-system (CoreDNS, Cilium, metrics-server) and ingress-nginx."""
    b.service_account("kube-system", "coredns", created="120d")
    coredns = b.deployment(
        "kube-system",
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        replicas=2,
        labels={"k8s-app": "kube-dns"},
        ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
        probe_path=None,
        cpu="100m",
        memory="70Mi",
        memory_limit="170Mi",
        created="120d",
        rolled_out="21d",
        service_account="coredns",
        priority_class="system-cluster-critical",
    )
    coredns.usage(cpu=0.01, memory="22Mi")
    b.service(
        "kube-system",
        "kube-dns",
        selector={"k8s-app": "kube-dns"},
        cluster_ip="10.96.0.10",
        ports=[("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53, "TCP"), ("metrics", 9153, 9153, "TCP")],
        labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
        created="120d",
    )
    b.service_account("kube-system", "cilium", created="120d")
    b.daemonset(
        "kube-system",
        "cilium",
        "quay.io/cilium/cilium:v1.16.3",
        labels={"k8s-app": "cilium"},
        host_network=True,
        service_account="cilium",
        created="120d",
        rolled_out="21d",
        ports=[("hubble-metrics", 9965, "TCP")],
        probe_path=None,
        cpu="100m",
        memory="512Mi",
    ).usage(cpu=0.05, memory="300Mi")
    b.deployment(
        "kube-system",
        "metrics-server",
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
        replicas=1,
        labels={"k8s-app": "metrics-server"},
        port=10250,
        port_name="https",
        probe_path=None,
        created="120d",
        rolled_out="30d",
        revision=1,
        priority_class="system-cluster-critical",
    ).usage(cpu=0.005, memory="38Mi")
    b.storage_class("gp3", default=True)

    b.namespace("ingress-nginx", created="100d")
    b.ingress_class("nginx")
    b.service_account("ingress-nginx", "ingress-nginx", created="100d")
    labels = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"}
    b.deployment(
        "ingress-nginx",
        "ingress-nginx-controller",
        "registry.k8s.io/ingress-nginx/controller:v1.11.3",
        replicas=1,
        labels=labels,
        ports=[("http", 80, "TCP"), ("https", 443, "TCP")],
        probe_path="/healthz",
        cpu="100m",
        memory="90Mi",
        created="100d",
        rolled_out="16d",
        service_account="ingress-nginx",
    ).usage(cpu=0.02, memory="120Mi")
    b.service(
        "ingress-nginx",
        "ingress-nginx-controller",
        selector=labels,
        ports=[("http", 80, "http"), ("https", 443, "https")],
        type="LoadBalancer",
        labels=labels,
        created="100d",
    )


def _web_deployment(b: ClusterBuilder, namespace: str, name: str, version: str, **kwargs):
    options = {
        "replicas": 2,
        "port": 8080,
        "cpu": "100m",
        "memory": "128Mi",
        "memory_limit": "256Mi",
        "created": "60d",
        "rolled_out": "5d",
    }
    options.update(kwargs)
    dep = b.deployment(namespace, name, f"{REGISTRY}/{namespace}/{name}:{version}", **options)
    b.service(namespace, name, port=80, target_port="http")
    return dep


def shop(b: ClusterBuilder) -> None:
    """Namespace shop: frontend, cart, checkout, catalog behind ingress shop.example.com."""
    b.namespace("shop", labels={"team": "storefront"}, created="60d")
    for sa in ("frontend", "checkout"):
        b.service_account("shop", sa, created="60d")
    b.configmap(
        "shop",
        "frontend-config",
        {
            "CART_URL": "http://cart.shop.svc.cluster.local",
            "CHECKOUT_URL": "http://checkout.shop.svc.cluster.local",
            "CATALOG_URL": "http://catalog.shop.svc.cluster.local",
        },
        created="60d",
    )
    b.secret("shop", "checkout-db", {"username": "checkout", "password": "not-a-real-one"}, created="60d")
    _web_deployment(
        b,
        "shop",
        "frontend",
        "3.14.1",
        service_account="frontend",
        env_from=[{"configMapRef": {"name": "frontend-config"}}],
        volume_mounts=[mount("config", "/etc/frontend", True)],
        volumes=[configmap_volume("config", "frontend-config")],
        rolled_out="4d",
    ).usage(cpu=0.06, memory="150Mi")
    _web_deployment(b, "shop", "cart", "4.2.0", rolled_out="3d").usage(cpu=0.02, memory="90Mi")
    _web_deployment(
        b,
        "shop",
        "checkout",
        "2.3.0",
        service_account="checkout",
        env={
            "DB_HOST": "postgres.data.svc.cluster.local",
            "DB_PASSWORD": secret_ref("checkout-db", "password"),
        },
        rolled_out="2d",
    ).usage(cpu=0.03, memory="96Mi")
    _web_deployment(b, "shop", "catalog", "1.9.2", rolled_out="6d").usage(cpu=0.04, memory="110Mi")
    b.ingress("shop", "shop", "shop.example.com", [("/", "frontend", 80)])


def data(b: ClusterBuilder) -> None:
    """Namespace data: postgres (StatefulSet with a PVC) and redis."""
    b.namespace("data", created="60d")
    b.secret("data", "postgres-credentials", {"username": "app", "password": "not-a-real-one"}, created="60d")
    b.statefulset(
        "data",
        "postgres",
        "postgres:16.4",
        replicas=1,
        claims=[("data", "20Gi", "gp3")],
        mount_path="/var/lib/postgresql/data",
        port=5432,
        port_name="postgres",
        tcp_probes=True,
        cpu="500m",
        memory="1Gi",
        memory_limit="2Gi",
        env={"POSTGRES_PASSWORD": secret_ref("postgres-credentials", "password")},
        created="60d",
        rolled_out="12d",
    ).usage(cpu=0.08, memory="600Mi")
    b.service("data", "postgres", port=5432, target_port="postgres", port_name="postgres", created="60d")
    b.deployment(
        "data",
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
    ).usage(cpu=0.01, memory="140Mi")
    b.service("data", "redis", port=6379, target_port="redis", port_name="redis", created="60d")


def billing(b: ClusterBuilder) -> None:
    """Namespace billing: the invoices API and the billing worker."""
    b.namespace("billing", labels={"team": "finance"}, created="80d")
    b.secret("billing", "billing-db", {"url": "postgres://billing@postgres.data:5432/billing"}, created="80d")
    _web_deployment(
        b,
        "billing",
        "invoices",
        "5.1.0",
        env={"DATABASE_URL": secret_ref("billing-db", "url")},
        created="80d",
        rolled_out="8d",
    ).usage(cpu=0.03, memory="120Mi")
    b.deployment(
        "billing",
        "billing-worker",
        f"{REGISTRY}/billing/billing-worker:5.1.0",
        replicas=1,
        port=9090,
        port_name="metrics",
        probe_path=None,
        cpu="200m",
        memory="256Mi",
        memory_limit="512Mi",
        env={"DATABASE_URL": secret_ref("billing-db", "url")},
        created="80d",
        rolled_out="8d",
    ).usage(cpu=0.05, memory="200Mi")


def media(b: ClusterBuilder) -> None:
    """Namespace media: the uploads API and the thumbnailer."""
    b.namespace("media", labels={"team": "content"}, created="40d")
    _web_deployment(b, "media", "uploads", "0.9.4", created="40d", rolled_out="10d").usage(
        cpu=0.02, memory="80Mi"
    )
    _web_deployment(
        b, "media", "thumbnailer", "2.0.1", cpu="250m", memory="256Mi", memory_limit="512Mi", created="40d"
    ).usage(cpu=0.05, memory="180Mi")


PACKS = {"shop": shop, "data": data, "billing": billing, "media": media}


def normal_traffic(b: ClusterBuilder) -> None:
    """Everyday connections between the shop and its data stores (flows)."""
    b.traffic("ingress-nginx/ingress-nginx-controller", "shop/frontend", 8080, every="4m")
    b.traffic("shop/frontend", "shop/catalog", 8080, every="4m")
    b.traffic("shop/frontend", "shop/cart", 8080, every="4m")
    b.traffic("shop/frontend", "shop/checkout", 8080, every="5m")
    b.traffic("shop/catalog", "data/postgres", 5432, every="5m")
    b.traffic("shop/cart", "data/redis", 6379, every="5m")
