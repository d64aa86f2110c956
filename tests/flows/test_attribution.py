"""NetworkPolicy attribution, table-driven over policies written as the API server returns them."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.flow_synth import make_flow, pod
from tests.flows.flow_builders import CHECKOUT, COREDNS, NOW, POSTGRES, WEB
from tools.contracts.kube.selectors import matches
from tools.flows.attribution import attribute_flow, fetch_policies


def netpol(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec,
    }


DEFAULT_DENY = netpol("data", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_WEB = netpol(
    "data",
    "db-allow-web",
    {
        "podSelector": {"matchLabels": {"app": "postgres"}},
        "ingress": [
            {
                "from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}],
                "ports": [{"protocol": "TCP", "port": 5432}],
            }
        ],
    },
)
ALLOW_TEAM_SHOP = netpol(
    "data",
    "db-allow-team-shop",
    {
        "podSelector": {"matchLabels": {"app": "postgres"}},
        "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}], "ports": [{"port": 5432}]}
        ],
    },
)
ALLOW_CHECKOUT_WRONG_PORT = netpol(
    "data",
    "db-allow-checkout",
    {
        "podSelector": {"matchLabels": {"app": "postgres"}},
        "ingress": [
            {
                "from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "checkout"}}}],
                "ports": [{"protocol": "TCP", "port": 5433}],
            }
        ],
    },
)
OTHER_APP = netpol("data", "redis-only", {"podSelector": {"matchLabels": {"app": "redis"}}, "ingress": []})
SAME_NS_ONLY = netpol(
    "data",
    "db-same-namespace",
    {"podSelector": {"matchLabels": {"app": "postgres"}}, "ingress": [{"from": [{"podSelector": {}}]}]},
)
DENY_EGRESS = netpol("shop", "default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
EGRESS_DNS_ONLY = netpol(
    "shop",
    "egress-dns-only",
    {
        "podSelector": {"matchLabels": {"app": "checkout"}},
        "egress": [
            {
                "to": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
                ],
                "ports": [{"protocol": "UDP", "port": 53}],
            }
        ],
    },
)
INTERNET = netpol(
    "shop",
    "egress-internet",
    {
        "podSelector": {"matchLabels": {"app": "checkout"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["93.184.216.0/24"]}}]}],
    },
)
NAMED_PORT = netpol(
    "data",
    "db-named-port",
    {
        "podSelector": {"matchLabels": {"app": "postgres"}},
        "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": "postgresql"}]}],
    },
)

INGRESS_DROP = make_flow(
    NOW, CHECKOUT, POSTGRES, verdict="DROPPED", destination_port=5432, direction="INGRESS"
)
EGRESS_DROP = make_flow(NOW, CHECKOUT, POSTGRES, verdict="DROPPED", destination_port=5432, direction="EGRESS")
DNS_DROP = make_flow(
    NOW, CHECKOUT, COREDNS, verdict="DROPPED", protocol="UDP", destination_port=53, direction="EGRESS"
)
WORLD_DROP = make_flow(
    NOW, CHECKOUT, "93.184.216.34", verdict="DROPPED", destination_port=443, direction="EGRESS"
)
NO_NS_LABELS = pod("shop", "checkout", "10.0.1.23")  # namespace labels only from Namespace objects
INGRESS_DROP_BARE = make_flow(
    NOW, NO_NS_LABELS, POSTGRES, verdict="DROPPED", destination_port=5432, direction="INGRESS"
)

CASES = [
    # (case, flow, policies, namespace labels, outcome, words the explanation must contain)
    (
        "default deny",
        INGRESS_DROP,
        [DEFAULT_DENY],
        {},
        "denied",
        [
            "Dropped by NetworkPolicy data/default-deny, which allows no ingress (default deny)",
            "has labels app=checkout",
        ],
    ),
    (
        "allow from app=web only",
        INGRESS_DROP,
        [DEFAULT_DENY, ALLOW_WEB, OTHER_APP],
        {},
        "denied",
        [
            "data/db-allow-web, which only allows ingress from app=web in all namespaces on 5432",
            "data/default-deny",
        ],
    ),
    (
        "single allow-list policy",
        INGRESS_DROP,
        [ALLOW_WEB],
        {},
        "denied",
        [
            "Dropped by NetworkPolicy data/db-allow-web, "
            "which only allows ingress from app=web in all namespaces on 5432"
        ],
    ),
    (
        "namespaceSelector admits the peer namespace",
        INGRESS_DROP,
        [ALLOW_TEAM_SHOP],
        {},
        "allowed",
        ["admits"],
    ),
    (
        "namespaceSelector from Namespace objects",
        INGRESS_DROP_BARE,
        [ALLOW_TEAM_SHOP],
        {"shop": {"team": "shop"}},
        "allowed",
        ["data/db-allow-team-shop admits"],
    ),
    (
        "namespaceSelector without the label",
        INGRESS_DROP_BARE,
        [ALLOW_TEAM_SHOP],
        {"shop": {"team": "payments"}},
        "denied",
        ["from any pod in namespaces team=shop"],
    ),
    (
        "port mismatch",
        INGRESS_DROP,
        [ALLOW_CHECKOUT_WRONG_PORT],
        {},
        "denied",
        [
            "only allows ingress from app=checkout in all namespaces on 5433",
            "admits shop/checkout",
            "not on this port",
        ],
    ),
    (
        "podSelector alone means the same namespace",
        INGRESS_DROP,
        [SAME_NS_ONLY],
        {},
        "denied",
        ["any pod in data"],
    ),
    (
        "no policy selects the pod",
        INGRESS_DROP,
        [OTHER_APP],
        {},
        "not-isolated",
        ["No NetworkPolicy selects"],
    ),
    (
        "egress default deny",
        EGRESS_DROP,
        [DENY_EGRESS, ALLOW_WEB],
        {},
        "denied",
        ["shop/default-deny-egress, which allows no egress (default deny)"],
    ),
    (
        "egress allows only DNS",
        EGRESS_DROP,
        [EGRESS_DNS_ONLY],
        {},
        "denied",
        ["only allows egress to any pod in namespaces kubernetes.io/metadata.name=kube-system on UDP 53"],
    ),
    ("egress DNS admitted", DNS_DROP, [EGRESS_DNS_ONLY], {}, "allowed", ["shop/egress-dns-only admits"]),
    ("ipBlock except", WORLD_DROP, [INTERNET], {}, "denied", ["0.0.0.0/0 except 93.184.216.0/24"]),
    ("named port", INGRESS_DROP, [NAMED_PORT], {}, "unknown", ["data/db-named-port admits", "named port"]),
    ("policies unknown", INGRESS_DROP, None, {}, "unknown", ["could not be read"]),
]


@pytest.mark.parametrize(
    ("case", "flow", "policies", "namespaces", "outcome", "words"), CASES, ids=[case[0] for case in CASES]
)
def test_attribution(
    case: str,
    flow: dict,
    policies: list | None,
    namespaces: dict,
    outcome: str,
    words: list[str],
) -> None:
    (result,) = attribute_flow(flow, policies, namespaces)
    assert result.outcome == outcome, result.explanation
    for word in words:
        assert word in result.explanation


def test_unknown_direction_checks_both_sides() -> None:
    flow = make_flow(NOW, CHECKOUT, POSTGRES, verdict="DROPPED", destination_port=5432, direction="")
    results = attribute_flow(flow, [DEFAULT_DENY, DENY_EGRESS])
    assert [(r.direction, r.outcome) for r in results] == [("ingress", "denied"), ("egress", "denied")]


def test_hubble_named_policy_is_reported() -> None:
    flow = dict(INGRESS_DROP)
    flow["ingress_denied_by"] = [{"name": "db-deny", "namespace": "data", "kind": "CiliumNetworkPolicy"}]
    (result,) = attribute_flow(flow, [])
    assert result.denied_by == ["CiliumNetworkPolicy data/db-deny"]
    assert "Hubble names the denying policy: CiliumNetworkPolicy data/db-deny" in result.explanation


def test_world_subject_is_not_a_pod() -> None:
    flow = make_flow(NOW, "93.184.216.34", WEB, verdict="DROPPED", direction="EGRESS")
    (result,) = attribute_flow(flow, [DENY_EGRESS])
    assert result.outcome == "unknown"
    assert "is not a pod" in result.explanation


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"app": "x"}, True),
        ({"matchLabels": {"app": "x"}}, {"app": "x", "tier": "a"}, True),
        ({"matchLabels": {"app": "y"}}, {"app": "x"}, False),
        (
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
            {"tier": "b"},
            True,
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {"tier": "a"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {}, True),
    ],
)
def test_selector_matches(selector: dict, labels: dict, expected: bool) -> None:
    assert matches(selector, labels) is expected


class FakeKube:
    """Stands in for KubeAccess: the one method attribution calls, over fixed cluster objects."""

    def __init__(self, objects: dict[str, list[dict]]) -> None:
        self.objects = objects
        self.calls: list[tuple[str, str | None]] = []

    def list_objects(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        self.calls.append((kind, namespace))
        return list(self.objects.get(kind, []))


def test_fetch_policies_reads_policies_and_namespace_labels() -> None:
    kube = FakeKube(
        {
            "NetworkPolicy": [ALLOW_WEB],
            "Namespace": [
                {"metadata": {"name": "shop", "labels": {"team": "shop"}}},
                {"metadata": {"name": "data"}},
            ],
        }
    )
    policies, labels = fetch_policies(kube)
    assert policies == [ALLOW_WEB]
    assert labels == {"shop": {"team": "shop"}, "data": {}}
    assert kube.calls == [("NetworkPolicy", None), ("Namespace", None)]
