"""DNSFailure: wrong host names (flows and logs), CoreDNS down or SERVFAIL, search-path noise, stale lines."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import dns
from tests.diagnose.analyzers.factories import deployment, dns_flow, endpoint, facts, pod, ramp, service, ts
from tools.contracts.diagnosis import Category

CHECKOUT = {"app": "checkout"}
CHECKOUT_POD = pod("checkout-7d9f8c6b5-x2lqp", labels=CHECKOUT, owner_rs="checkout-7d9f8c6b5")
CLIENT = endpoint("shop", "checkout-7d9f8c6b5-x2lqp", CHECKOUT, "checkout")
COREDNS_LABELS = {"k8s-app": "kube-dns"}


def coredns(ready: bool = True):
    dep = deployment("coredns", ns="kube-system", labels=COREDNS_LABELS, available=2 if ready else 0)
    pods = [
        pod(
            f"coredns-5d78c9869d-{s}",
            ns="kube-system",
            labels=COREDNS_LABELS,
            owner_rs="coredns-5d78c9869d",
            ready=ready,
        )
        for s in ("abcde", "fghij")
    ]
    return [dep, *pods]


BACKGROUND = [
    *coredns(),
    CHECKOUT_POD,
    deployment("checkout", labels=CHECKOUT),
    service("postgres", ns="data", selector={"app": "postgres"}, port=5432, target_port=5432),
    service("checkout", selector=CHECKOUT),
]
CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "checkout-config", "namespace": "shop"},
    "data": {"DATABASE_HOST": "postgress.data"},
}


def wrong_name_flows(seconds_ago: float):
    """A lookup of postgress.data through the search path: every attempt answers NXDOMAIN."""
    queries = [
        "postgress.data.shop.svc.cluster.local.",
        "postgress.data.svc.cluster.local.",
        "postgress.data.cluster.local.",
        "postgress.data.",
    ]
    return [dns_flow(CLIENT, q, 3, seconds_ago - i * 0.01) for i, q in enumerate(queries)]


def search_noise_flows():
    """A good name (postgres.data): the search-path attempts answer NXDOMAIN, the last one resolves."""
    return [
        dns_flow(CLIENT, "postgres.data.shop.svc.cluster.local.", 3, 30),
        dns_flow(CLIENT, "postgres.data.svc.cluster.local.", 3, 30),
        dns_flow(CLIENT, "api.stripe.com.shop.svc.cluster.local.", 3, 30),
        dns_flow(CLIENT, "api.stripe.com.svc.cluster.local.", 3, 30),
    ]


GO_LOG = {
    ("shop", "checkout-7d9f8c6b5-x2lqp", "app", False): (
        f'{ts(2)} level=error msg="db connect failed" err="dial tcp: lookup postgress.data on 10.96.0.10:53: '
        'no such host"\n'
    )
}
OLD_GO_LOG = {key: text.replace(ts(2), ts(240)) for key, text in GO_LOG.items()}
SERVFAIL_LOG = {
    ("kube-system", "coredns-5d78c9869d-abcde", "coredns", False): (
        f"{ts(1)} [ERROR] plugin/errors: 2 api.stripe.com. A: read udp 10.244.0.5:48290->10.0.0.2:53: "
        "i/o timeout\n"
    )
}

CASES = [
    (
        "wrong host name in flows, configured in a ConfigMap",
        facts(*BACKGROUND, CONFIG, flows=wrong_name_flows(40)),
        [(Category.DNSFailure, "Deployment", "shop", "checkout")],
    ),
    (
        "wrong host name in the app log only (no flows)",
        facts(*BACKGROUND, logs=GO_LOG),
        [(Category.DNSFailure, "Deployment", "shop", "checkout")],
    ),
    (
        "CoreDNS pods not ready: CoreDNS is the culprit, not the client",
        facts(
            *[o for o in BACKGROUND if "coredns" not in o["metadata"]["name"]],
            *coredns(ready=False),
            logs=GO_LOG,
        ),
        [(Category.DNSFailure, "Deployment", "kube-system", "coredns")],
    ),
    (
        "SERVFAIL rate rising with upstream timeouts in CoreDNS logs",
        facts(
            *BACKGROUND,
            logs=SERVFAIL_LOG,
            metrics={
                "coredns_rcode_rate": [
                    ramp({"rcode": "SERVFAIL"}, 0.0, 4.0, 20),
                    ramp({"rcode": "NOERROR"}, 50, 48, 20),
                ]
            },
        ),
        [(Category.DNSFailure, "Deployment", "kube-system", "coredns")],
    ),
    (
        "healthy: search-path NXDOMAINs of good names are noise",
        facts(*BACKGROUND, flows=search_noise_flows()),
        [],
    ),
    ("stale: a no-such-host line four hours ago", facts(*BACKGROUND, logs=OLD_GO_LOG), []),
    ("stale: NXDOMAIN flows two hours ago", facts(*BACKGROUND, flows=wrong_name_flows(7200)), []),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_dns(name, given, expected):
    found = dns.analyze(given)
    got = [(c.category, c.resource.kind, c.resource.namespace, c.resource.name) for c in found]
    assert got == expected
    for candidate in found:
        assert candidate.cites and candidate.next_steps


def test_wrong_name_explains_and_suggests():
    (candidate,) = dns.analyze(CASES[0][1])
    assert "postgress.data" in candidate.title
    assert "Did you mean postgres.data" in candidate.explanation
    assert any(c.ref.key == ("ConfigMap", "shop", "checkout-config") for c in candidate.cites)
    assert any(c.ref.kind == "flows" and c.needle.startswith("postgress.data") for c in candidate.cites)


@pytest.mark.parametrize(
    ("query", "namespace", "base"),
    [
        ("postgres.data.shop.svc.cluster.local.", "shop", "postgres.data"),
        ("postgres.data.svc.cluster.local.", "shop", "postgres.data"),
        ("api.stripe.com.cluster.local.", "shop", "api.stripe.com"),
        ("postgress.", "shop", "postgress"),
    ],
)
def test_base_name(query, namespace, base):
    assert dns.base_name(query, namespace) == base
