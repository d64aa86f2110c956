"""NetworkPolicyBlocked: policy drops attributed to the policy to edit; DNS egress; stale drops; no flows."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import netpol_blocked
from tests.diagnose.analyzers.factories import (
    endpoint,
    facts,
    namespace,
    network_policy,
    pod,
    service,
    syn_drops,
    tcp_flow,
    ts,
)
from tools.contracts.diagnosis import Category

CHECKOUT = {"app": "checkout"}
POSTGRES = {"app": "postgres"}
CHECKOUT_POD = pod(
    "checkout-7d9f8c6b5-x2lqp", labels=CHECKOUT, owner_rs="checkout-7d9f8c6b5", ip="10.244.1.10"
)
POSTGRES_POD = pod(
    "postgres-0",
    ns="data",
    labels=POSTGRES,
    ip="10.244.2.20",
    ports=[{"name": "pg", "containerPort": 5432}],
)
POSTGRES_POD["metadata"]["ownerReferences"] = [
    {"kind": "StatefulSet", "name": "postgres", "controller": True}
]
COREDNS_POD = pod(
    "coredns-5d78c9869d-abcde", ns="kube-system", labels={"k8s-app": "kube-dns"}, ip="10.244.0.5"
)
BACKGROUND = [
    namespace("shop"),
    namespace("data"),
    namespace("kube-system"),
    CHECKOUT_POD,
    POSTGRES_POD,
    COREDNS_POD,
    service("postgres", ns="data", selector=POSTGRES, port=5432, target_port=5432, cluster_ip="10.96.45.12"),
    service(
        "kube-dns",
        ns="kube-system",
        selector={"k8s-app": "kube-dns"},
        port=53,
        target_port=53,
        cluster_ip="10.96.0.10",
    ),
]
DB_ALLOW_WEB = network_policy(
    "db-allow-web",
    "data",
    {"matchLabels": POSTGRES},
    ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "checkout"}}}], "ports": [{"port": 5432}]}],
)
DEFAULT_DENY = network_policy("default-deny", "data", {}, ingress=[], policy_types=["Ingress"])
FIXED = network_policy(
    "db-allow-web",
    "data",
    {"matchLabels": POSTGRES},
    ingress=[
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                    "podSelector": {"matchLabels": CHECKOUT},
                }
            ],
            "ports": [{"port": 5432}],
        }
    ],
)
SHOP_DENY_EGRESS = network_policy("default-deny-egress", "shop", {}, egress=[], policy_types=["Egress"])

SRC = endpoint("shop", "checkout-7d9f8c6b5-x2lqp", CHECKOUT, "checkout")
DST = endpoint("data", "postgres-0", POSTGRES, "postgres")
DNS_DST = endpoint("kube-system", "coredns-5d78c9869d-abcde", {"k8s-app": "kube-dns"}, "coredns")


def dns_drops(seconds_ago: float):
    flows = []
    for offset in (0, 5, 10):
        flow = tcp_flow(SRC, DNS_DST, 53, seconds_ago - offset, direction="EGRESS")
        flow["l4"] = {"UDP": {"source_port": 40123, "destination_port": 53}}
        flows.append(flow)
    return flows


TIMEOUT_LOG = {
    ("shop", "checkout-7d9f8c6b5-x2lqp", "app", False): (
        f"{ts(1)} ERROR payment failed: dial tcp 10.96.45.12:5432: i/o timeout\n"
    )
}

CASES = [
    (
        "ingress drops at postgres: policy admits checkout only from its own namespace",
        facts(*BACKGROUND, DB_ALLOW_WEB, flows=syn_drops(SRC, DST, 5432, 60), logs=TIMEOUT_LOG),
        ("NetworkPolicy", "data", "db-allow-web"),
        "without a namespaceSelector",
    ),
    (
        "default deny plus allow policy: the allow policy is the one to edit",
        facts(*BACKGROUND, DEFAULT_DENY, DB_ALLOW_WEB, flows=syn_drops(SRC, DST, 5432, 60)),
        ("NetworkPolicy", "data", "db-allow-web"),
        "db-allow-web allows from pods app=checkout in namespace data on TCP 5432",
    ),
    (
        "DNS egress blocked by default deny egress",
        facts(*BACKGROUND, SHOP_DENY_EGRESS, flows=dns_drops(30)),
        ("NetworkPolicy", "shop", "default-deny-egress"),
        "blocks DNS",
    ),
    (
        "no flows: client timeouts and a policy that does not admit it",
        facts(*BACKGROUND, DB_ALLOW_WEB, logs=TIMEOUT_LOG),
        ("NetworkPolicy", "data", "db-allow-web"),
        "times out",
    ),
    (
        "stale: drops an hour ago",
        facts(*BACKGROUND, DB_ALLOW_WEB, flows=syn_drops(SRC, DST, 5432, 3600)),
        None,
        None,
    ),
    (
        "stale: policy fixed since the drops",
        facts(*BACKGROUND, FIXED, flows=syn_drops(SRC, DST, 5432, 300)),
        None,
        None,
    ),
    (
        "stale: traffic forwarded after the drops",
        facts(
            *BACKGROUND,
            DB_ALLOW_WEB,
            flows=[
                *syn_drops(SRC, DST, 5432, 600),
                tcp_flow(SRC, DST, 5432, 60, verdict="FORWARDED", drop_reason=None),
            ],
        ),
        None,
        None,
    ),
    (
        "healthy: policies but no drops and no timeouts",
        facts(*BACKGROUND, FIXED, SHOP_DENY_EGRESS),
        None,
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_netpol_blocked(name, given, expected, phrase):
    found = netpol_blocked.analyze(given)
    if expected is None:
        assert found == []
        return
    assert found, name
    top = max(found, key=lambda c: c.confidence)
    assert top.category == Category.NetworkPolicyBlocked
    assert (top.resource.kind, top.resource.namespace, top.resource.name) == expected
    assert phrase in top.title + " " + top.explanation
    assert top.cites and top.next_steps


def test_flow_finding_cites_drops_log_and_policy_and_lists_affected():
    (candidate,) = netpol_blocked.analyze(CASES[0][1])
    kinds = {cite.ref.kind for cite in candidate.cites}
    assert kinds == {"flows", "object", "log"}
    assert any(c.ref.kind == "flows" and c.needle == "data/postgres" for c in candidate.cites)
    assert candidate.confidence >= 0.9
    names = {(ref.kind, ref.name) for ref in candidate.affected}
    assert {("Deployment", "checkout"), ("StatefulSet", "postgres"), ("Service", "postgres")} <= names
    assert candidate.next_steps[-1].command == "kubectl -n data edit networkpolicy db-allow-web"
