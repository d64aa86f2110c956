"""NetworkPolicy evaluation: selection by direction, peers (pod, namespace, ipBlock) and ports."""

from __future__ import annotations

import pytest

from app.diagnose.netpol import EGRESS, INGRESS, Peer, Port, describe_allowed, evaluate, policy_types
from tests.diagnose.analyzers.factories import network_policy

WEB_IN_DATA = network_policy(
    "db-allow-web",
    "data",
    {"matchLabels": {"app": "postgres"}},
    ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}],
)
FROM_SHOP_NS = network_policy(
    "db-allow-shop",
    "data",
    {"matchLabels": {"app": "postgres"}},
    ingress=[
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"team": "shop"}},
                    "podSelector": {
                        "matchExpressions": [{"key": "app", "operator": "In", "values": ["checkout"]}]
                    },
                }
            ],
            "ports": [{"port": "pg", "protocol": "TCP"}],
        }
    ],
)
DENY_EGRESS = network_policy("default-deny-egress", "shop", {}, egress=[], policy_types=["Egress"])
ALLOW_DNS = network_policy(
    "allow-dns",
    "shop",
    {},
    egress=[
        {
            "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }
    ],
    policy_types=["Egress"],
)
EXTERNAL = network_policy(
    "allow-payments-api",
    "shop",
    {"matchLabels": {"app": "checkout"}},
    egress=[
        {
            "to": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.9/32"]}}],
            "ports": [{"port": 8000, "endPort": 8443}],
        }
    ],
    policy_types=["Egress"],
)

POSTGRES = ("data", {"app": "postgres"})
CHECKOUT_SHOP = Peer("shop", {"app": "checkout"}, {"kubernetes.io/metadata.name": "shop", "team": "shop"})
WEB_DATA = Peer("data", {"app": "web"}, {"kubernetes.io/metadata.name": "data"})
WEB_SHOP = Peer("shop", {"app": "web"}, {"kubernetes.io/metadata.name": "shop"})
KUBE_DNS = Peer("kube-system", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})

CASES = [
    # name, policies, direction, subject (ns, labels), peer, port, (isolated, allowed)
    ("no policy: not isolated", [], INGRESS, POSTGRES, CHECKOUT_SHOP, Port(5432), (False, True)),
    (
        "podSelector admits same-namespace web",
        [WEB_IN_DATA],
        INGRESS,
        POSTGRES,
        WEB_DATA,
        Port(5432),
        (True, True),
    ),
    (
        "podSelector without namespaceSelector: other ns denied",
        [WEB_IN_DATA],
        INGRESS,
        POSTGRES,
        WEB_SHOP,
        Port(5432),
        (True, False),
    ),
    ("wrong port denied", [WEB_IN_DATA], INGRESS, POSTGRES, WEB_DATA, Port(5433), (True, False)),
    (
        "namespace+pod selector with named port",
        [FROM_SHOP_NS],
        INGRESS,
        POSTGRES,
        CHECKOUT_SHOP,
        Port(5432, names=("pg",)),
        (True, True),
    ),
    ("named port not on pod", [FROM_SHOP_NS], INGRESS, POSTGRES, CHECKOUT_SHOP, Port(5432), (True, False)),
    (
        "union of policies",
        [WEB_IN_DATA, FROM_SHOP_NS],
        INGRESS,
        POSTGRES,
        CHECKOUT_SHOP,
        Port(5432, names=("pg",)),
        (True, True),
    ),
    (
        "egress default deny blocks DNS",
        [DENY_EGRESS],
        EGRESS,
        ("shop", {"app": "checkout"}),
        KUBE_DNS,
        Port(53, "UDP"),
        (True, False),
    ),
    (
        "DNS allowed by allow-dns",
        [DENY_EGRESS, ALLOW_DNS],
        EGRESS,
        ("shop", {"app": "checkout"}),
        KUBE_DNS,
        Port(53, "UDP"),
        (True, True),
    ),
    (
        "ingress policy does not isolate egress",
        [WEB_IN_DATA],
        EGRESS,
        POSTGRES,
        CHECKOUT_SHOP,
        Port(443),
        (False, True),
    ),
    (
        "ipBlock with port range",
        [EXTERNAL],
        EGRESS,
        ("shop", {"app": "checkout"}),
        Peer(None, ip="203.0.113.7"),
        Port(8443),
        (True, True),
    ),
    (
        "ipBlock except",
        [EXTERNAL],
        EGRESS,
        ("shop", {"app": "checkout"}),
        Peer(None, ip="203.0.113.9"),
        Port(8443),
        (True, False),
    ),
    (
        "namespaceSelector {} admits cluster pods only, not an outside address",
        [DENY_EGRESS, ALLOW_DNS],
        EGRESS,
        ("shop", {"app": "checkout"}),
        Peer(None, {"k8s-app": "kube-dns"}, ip="8.8.8.8"),
        Port(53, "UDP"),
        (True, False),
    ),
]


@pytest.mark.parametrize(
    ("name", "policies", "direction", "subject", "peer", "port", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_evaluate(name, policies, direction, subject, peer, port, expected):
    verdict = evaluate(policies, direction, subject[0], subject[1], peer, port)
    assert (bool(verdict.isolating), verdict.allowed) == expected


def test_policy_types_default_and_description():
    assert policy_types(WEB_IN_DATA) == [INGRESS]
    assert policy_types(network_policy("x", "a", egress=[{}])) == [INGRESS, EGRESS]
    assert describe_allowed(WEB_IN_DATA, INGRESS) == "from pods app=web in namespace data on TCP 5432"
    assert describe_allowed(DENY_EGRESS, EGRESS) == "nothing (deny all)"
