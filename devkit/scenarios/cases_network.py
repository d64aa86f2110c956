"""Scenarios where traffic does not get through: Services, policies, DNS, ingress, TLS and RBAC."""

from __future__ import annotations

from datetime import timedelta

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster, normal_traffic
from devkit.scenarios.catalog import scenario
from devkit.synth.extras import certificate, udp_drops


def _client_errors(pod, lines: list[tuple[int, str]], *, every: int = 2, until: int = 0, start: int = 50):
    """Healthy request lines from `start` minutes ago, then the error lines (minute, text) repeated."""
    out: list[tuple[str, str]] = []
    first_error = max(minute for minute, _ in lines)
    for minute in range(start, until, -every):
        if minute > first_error:
            out.append(
                (f"{minute}m12s", 'level=info msg="request" method=GET path=/ status=200 duration=18ms')
            )
        else:
            out.extend((f"{minute}m{10 + i * 7}s", text) for i, (_, text) in enumerate(lines))
    pod.log(out)


@scenario(
    "frontend-5xx-service-selector",
    "frontend is throwing 503s on the product pages since ~9:10",
    culprit=("Service", "shop", "catalog"),
    category="ServiceNoEndpoints",
    chain=["Deployment/shop/frontend", "Service/shop/catalog", "selector app.kubernetes.io/name=catalog"],
)
def frontend_5xx_service_selector():
    """The catalog Service was re-applied from a Helm chart with selector app.kubernetes.io/name=catalog;
    the catalog pods carry only app=catalog, so it has no endpoints and the frontend's calls fail."""
    b = cluster("frontend-5xx-service-selector", seed=301, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/cart", at="4h"), d.resolved_probe_warning(b, "shop/checkout")]
    svc = b.find_service("shop", "catalog")
    svc.selector = {"app.kubernetes.io/name": "catalog", "app.kubernetes.io/instance": "catalog"}
    svc.labels = {"app.kubernetes.io/name": "catalog", "app.kubernetes.io/managed-by": "Helm"}
    for pod in b.workload("shop/frontend").pods:
        _client_errors(
            pod,
            [
                (
                    20,
                    'level=error msg="upstream request failed" upstream=catalog '
                    "url=http://catalog.shop.svc.cluster.local/api/products "
                    f'err="dial tcp {svc.cluster_ip}:80: connect: connection refused"',
                ),
                (20, 'level=info msg="GET /products" status=503 duration=3ms'),
            ],
        )
    return b, noise


@scenario(
    "service-targetport-wrong",
    "billing worker gets connection refused from invoices",
    culprit=("Service", "billing", "invoices"),
    category="ServicePortMismatch",
)
def service_targetport_wrong():
    """The invoices Service was changed to targetPort 8000; the pods listen on 8080 and answer RST."""
    b = cluster("service-targetport-wrong", seed=302, packs=("shop", "billing"))
    noise = [
        d.old_oom(b, "billing/billing-worker", at=("100m",)),
        d.resolved_probe_warning(b, "shop/frontend"),
    ]
    svc = b.find_service("billing", "invoices")
    svc.ports[0]["targetPort"] = 8000
    b.traffic(
        "billing/billing-worker", "billing/invoices", 8000, every="2m", rst_since="24m", service="invoices"
    )
    _client_errors(
        b.workload("billing/billing-worker").pods[0],
        [
            (
                24,
                'level=error msg="push invoice batch failed" '
                'err="Post \\"http://invoices.billing.svc.cluster.local/api/batches\\": '
                f'dial tcp {svc.cluster_ip}:80: connect: connection refused" retry_in=30s',
            )
        ],
    )
    return b, noise


@scenario(
    "checkout-db-policy",
    "checkout is timing out talking to the db since about 20 min ago",
    culprit=("NetworkPolicy", "data", "postgres-clients"),
    category="NetworkPolicyBlocked",
    chain=["Deployment/shop/checkout", "drops at data/postgres:5432", "NetworkPolicy/data/postgres-clients"],
)
def checkout_db_policy():
    """New policy postgres-clients admits only pods labelled role=db-client; checkout's pods lack it."""
    b = cluster("checkout-db-policy", seed=303, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/catalog", at="5h"), d.old_oom(b, "data/redis", at=("115m",))]
    catalog = b.workload("shop/catalog")
    catalog.template["metadata"]["labels"]["role"] = "db-client"
    for pod in catalog.pods:
        pod.labels["role"] = "db-client"
    b.network_policy(
        "data",
        "postgres-clients",
        {"app": "postgres"},
        ingress=[
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"team": "storefront"}},
                        "podSelector": {"matchLabels": {"role": "db-client"}},
                    }
                ],
                "ports": [{"port": 5432, "protocol": "TCP"}],
            }
        ],
        created="21m",
    )
    normal_traffic(b)
    b.traffic("shop/checkout", "data/postgres", 5432, every="2m", dropped_since="21m")
    pg_ip = b.find_service("data", "postgres").cluster_ip
    for pod in b.workload("shop/checkout").pods:
        _client_errors(
            pod,
            [
                (21, f'level=error msg="create order failed" err="dial tcp {pg_ip}:5432: i/o timeout"'),
                (21, 'level=warn msg="POST /api/orders" status=504 duration=10003ms'),
            ],
        )
    return b, noise


@scenario(
    "egress-policy-blocks-dns",
    "thumbnailer can't resolve anything since the security team's change",
    culprit=("NetworkPolicy", "media", "default-deny-egress"),
    category="NetworkPolicyBlocked",
)
def egress_policy_blocks_dns():
    """A default-deny egress policy in media allows only postgres; DNS to CoreDNS is dropped too."""
    b = cluster("egress-policy-blocks-dns", seed=304, packs=("shop", "data", "media"))
    noise = [
        d.search_path_nxdomain(b, "shop/cart", "redis.data.svc.cluster.local", ["10.96.40.12"]),
        d.old_restart(b, "shop/checkout", at="6h"),
    ]
    b.network_policy(
        "media",
        "default-deny-egress",
        {},
        egress=[
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}},
                        "podSelector": {"matchLabels": {"app": "postgres"}},
                    }
                ],
                "ports": [{"port": 5432, "protocol": "TCP"}],
            }
        ],
        created="26m",
        annotations={"kubernetes.io/change-cause": "SEC-212 restrict egress of media"},
    )
    udp_drops(b, "media/thumbnailer", "kube-system/coredns", 53, since="26m", every="90s")
    for pod in b.workload("media/thumbnailer").pods:
        _client_errors(
            pod,
            [
                (
                    26,
                    'level=error msg="fetch original failed" '
                    'err="Get \\"https://assets.example.com/o/8812.jpg\\": dial tcp: '
                    "lookup assets.example.com on 10.96.0.10:53: "
                    f'read udp {pod.ip}:41823->10.96.0.10:53: i/o timeout"',
                )
            ],
        )
    return b, noise


@scenario(
    "redis-hostname-typo",
    "cart is erroring, something about redis?",
    culprit=("Deployment", "shop", "cart"),
    category="DNSFailure",
)
def redis_hostname_typo():
    """cart 4.3.0 is configured with redis-master.data.svc.cluster.local; the Service is called redis."""
    b = cluster("redis-hostname-typo", seed=305, packs=("shop", "data"))
    noise = [
        d.search_path_nxdomain(b, "shop/checkout", "postgres.data.svc.cluster.local", ["10.96.12.40"]),
        d.old_restart(b, "data/redis", at="7h"),
    ]
    cart = b.workload("shop/cart")
    rs = cart.rollout(
        "28m",
        image=f"{REGISTRY}/shop/cart:4.3.0",
        env={"REDIS_ADDR": "redis-master.data.svc.cluster.local:6379"},
    )
    b.dns_query("shop/cart", "redis-master.data.svc.cluster.local", every="2m", rcode=3, since="28m")
    b.dns_query(
        "shop/cart",
        "redis-master.data.svc.cluster.local.shop.svc.cluster.local",
        every="2m",
        rcode=3,
        since="28m",
    )
    for pod in rs.pods:
        _client_errors(
            pod,
            [
                (
                    27,
                    'level=error msg="cart store unavailable" err="dial tcp: lookup '
                    'redis-master.data.svc.cluster.local on 10.96.0.10:53: no such host"',
                ),
                (27, 'level=info msg="GET /api/cart" status=500 duration=4ms'),
            ],
            start=27,
        )
    return b, noise


@scenario(
    "coredns-upstream-failing",
    "invoices can't reach stripe or s3 anymore, external calls all failing",
    culprit=("Deployment", "kube-system", "coredns"),
    category="DNSFailure",
)
def coredns_upstream_failing():
    """CoreDNS forwards to the VPC resolver, which stopped answering: every external name gets SERVFAIL."""
    b = cluster("coredns-upstream-failing", seed=306, packs=("shop", "billing"))
    noise = [d.old_restart(b, "billing/billing-worker", at="3h"), d.resolved_probe_warning(b, "shop/cart")]
    for name in ("api.stripe.com", "s3.eu-west-1.amazonaws.com"):
        b.dns_query("billing/invoices", name, every="6m", ips=["54.187.174.169"], until="19m")
        b.dns_query("billing/invoices", name, every="90s", rcode=2, since="19m")
    for index, pod in enumerate(b.workload("kube-system/coredns").pods):
        pod.log(
            [
                (
                    f"{minute}m{3 + index * 5}s",
                    f"[ERROR] plugin/errors: 2 {name}. A: "
                    f"read udp {pod.ip}:{40000 + minute * 13}->10.0.0.2:53: i/o timeout",
                )
                for minute in range(19, 0, -2)
                for name in ("api.stripe.com", "s3.eu-west-1.amazonaws.com")
            ]
        )
    for pod in b.workload("billing/invoices").pods:
        _client_errors(
            pod,
            [
                (
                    19,
                    'level=error msg="charge failed" err="Post \\"https://api.stripe.com/v1/charges\\": '
                    'dial tcp: lookup api.stripe.com on 10.96.0.10:53: server misbehaving"',
                )
            ],
        )
    return b, noise


@scenario(
    "ingress-backend-missing",
    "uploads.example.com gives 503 after yesterday's cleanup",
    culprit=("Ingress", "media", "uploads"),
    category="IngressMisconfig",
)
def ingress_backend_missing():
    """The cleanup renamed the Service uploads-api to uploads, but the Ingress still points at uploads-api."""
    b = cluster("ingress-backend-missing", seed=307, packs=("shop", "media"))
    noise = [d.old_restart(b, "media/thumbnailer", at="10h"), d.resolved_probe_warning(b, "shop/frontend")]
    b.ingress("media", "uploads", "uploads.example.com", [("/", "uploads-api", 80)], created="90d")
    controller = b.workload("ingress-nginx/ingress-nginx-controller").pods[0]
    controller.log(
        [
            (f"{minute}m{5 + minute % 7}s", 'W1120 service "media/uploads-api" not found')
            for minute in range(40, 0, -5)
        ]
        + [(f"{minute}m30s", "I1120 store.go:441] updating Ingress media/uploads") for minute in (55,)]
    )
    return b, noise


@scenario(
    "ingress-class-missing",
    "the new admin.example.com ingress doesn't route anywhere, no address either",
    culprit=("Ingress", "shop", "admin"),
    category="IngressMisconfig",
)
def ingress_class_missing():
    """The admin Ingress asks for class nginx-internal; only class nginx exists in this cluster."""
    b = cluster("ingress-class-missing", seed=308, packs=("shop", "data"))
    noise = [d.old_oom(b, "shop/catalog", at=("95m",)), d.old_failed_scheduling(b, "shop/cart")]
    b.deployment(
        "shop",
        "admin",
        f"{REGISTRY}/shop/admin:1.0.2",
        replicas=1,
        port=8080,
        created="2h",
        rolled_out="2h",
        revision=1,
    )
    b.service("shop", "admin", port=80, target_port="http", created="2h")
    ingress = b.ingress(
        "shop", "admin", "admin.example.com", [("/", "admin", 80)], class_name="nginx-internal", created="2h"
    )
    ingress["status"] = {"loadBalancer": {}}
    return b, noise


@scenario(
    "certificate-expired",
    "browsers say the shop.example.com cert is expired!!",
    culprit=("Certificate", "shop", "shop-tls"),
    category="CertificateExpired",
)
def certificate_expired():
    """The ACME HTTP-01 solver can no longer reach the cluster, so shop-tls was never renewed and expired."""
    b = cluster("certificate-expired", seed=309, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/checkout", at="8h"), d.resolved_probe_warning(b, "shop/catalog")]
    b.secret(
        "shop",
        "shop-tls",
        {"tls.crt": "-----BEGIN CERTIFICATE-----", "tls.key": "-----BEGIN PRIVATE KEY-----"},
        type="kubernetes.io/tls",
        created="80d",
    )
    certificate(
        b,
        "shop",
        "shop-tls",
        secret="shop-tls",
        dns_names=["shop.example.com"],
        not_after=b.now - timedelta(hours=7),
        ready=False,
        message="The certificate has expired; renewal failed: ACME HTTP-01 challenge did not complete",
    )
    ingress = next(o for o in b.objects if o["kind"] == "Ingress" and o["metadata"]["name"] == "shop")
    ingress["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    return b, noise


@scenario(
    "rbac-reporter-forbidden",
    "the ops reporter is failing with permission errors on pods",
    culprit=("Role", "shop", "pod-reader"),
    category="RBACForbidden",
)
def rbac_reporter_forbidden():
    """reporter lists pods in shop; Role pod-reader grants only get, so list is forbidden."""
    b = cluster("rbac-reporter-forbidden", seed=310, packs=("shop", "billing"))
    noise = [d.old_restart(b, "billing/invoices", at="5h"), d.old_oom(b, "shop/cart", at=("100m",))]
    b.namespace("ops", created="30d")
    b.service_account("ops", "reporter", created="30d")
    reporter = b.deployment(
        "ops",
        "reporter",
        f"{REGISTRY}/ops/reporter:0.3.1",
        replicas=1,
        port=8080,
        service_account="reporter",
        created="30d",
        rolled_out="35m",
    )
    b.role(
        "shop", "pod-reader", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}], created="30d"
    )
    b.role_binding("shop", "reporter-pod-reader", "pod-reader", [("ops", "reporter")], created="30d")
    _client_errors(
        reporter.pods[0],
        [
            (
                34,
                'level=error msg="collect inventory failed" namespace=shop err="pods is forbidden: User '
                '\\"system:serviceaccount:ops:reporter\\" cannot list resource \\"pods\\" '
                'in API group \\"\\" in the namespace \\"shop\\""',
            )
        ],
        start=34,
        every=3,
    )
    return b, noise
