"""PerformanceRegression: latency/error step, and the rollout or config change at that moment; history."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import regression
from tests.diagnose.analyzers.factories import deployment, event, facts, pod, ramp, replicaset, service, ts
from tools.contracts.diagnosis import Category

LABELS = {"app": "checkout"}
OLD_RS = replicaset(
    "checkout", "6b7c8d9f4", labels=LABELS, image="reg.example.com/shop/checkout:1.4.2", revision=1
)
NEW_RS = replicaset(
    "checkout",
    "7d9f8c6b5",
    labels=LABELS,
    image="reg.example.com/shop/checkout:1.5.0",
    created_minutes_ago=32,
    revision=2,
)
NEW_POD = pod(
    "checkout-7d9f8c6b5-x2lqp",
    labels=LABELS,
    owner_rs="checkout-7d9f8c6b5",
    image="reg.example.com/shop/checkout:1.5.0",
)
OLD_POD = pod("checkout-6b7c8d9f4-abcde", labels=LABELS, owner_rs="checkout-6b7c8d9f4")
BASE = [deployment("checkout", labels=LABELS), service("checkout", selector=LABELS)]
SCALED = event(
    "Deployment",
    "checkout",
    "ScalingReplicaSet",
    "Scaled up replica set checkout-7d9f8c6b5 to 1 from 0",
    type_="Normal",
    last_minutes_ago=32,
    component="deployment-controller",
)


def latency(before, after, step=30):
    return ramp({"namespace": "shop", "service": "checkout"}, before, after, step)


def errors(before, after, step=30):
    return ramp({"namespace": "shop", "service": "checkout"}, before, after, step)


def requests(before, after, step=30):
    return ramp({"namespace": "shop", "service": "checkout"}, before, after, step)


def config_pod():
    result = pod("checkout-6b7c8d9f4-abcde", labels=LABELS, owner_rs="checkout-6b7c8d9f4")
    result["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "checkout-config"}}]
    return result


CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {
        "name": "checkout-config",
        "namespace": "shop",
        "managedFields": [
            {"manager": "kubectl-client-side-apply", "operation": "Update", "time": ts(60 * 24 * 5)},
            {"manager": "kubectl-edit", "operation": "Update", "time": ts(33)},
        ],
    },
    "data": {"POOL_SIZE": "2"},
}

EXPECTED = [(Category.PerformanceRegression, "Deployment", "shop", "checkout")]
CASES = [
    (
        "latency jumped right after a new image",
        facts(*BASE, OLD_RS, NEW_RS, NEW_POD, SCALED, metrics={"http_latency_p95": [latency(0.18, 1.4)]}),
        EXPECTED,
        ("checkout:1.4.2 -> reg.example.com/shop/checkout:1.5.0", 0.8),
    ),
    (
        "errors jumped after a ConfigMap edit",
        facts(*BASE, OLD_RS, config_pod(), CONFIG, metrics={"http_error_ratio": [errors(0.002, 0.31)]}),
        EXPECTED,
        ("ConfigMap checkout-config", 0.7),
    ),
    (
        "latency jumped with no change: low confidence",
        facts(*BASE, OLD_RS, OLD_POD, metrics={"http_latency_p95": [latency(0.18, 0.9)]}),
        EXPECTED,
        ("no rollout or config change", 0.3),
    ),
    (
        "latency jumped as the requests did: the load, named",
        facts(
            *BASE,
            OLD_RS,
            OLD_POD,
            metrics={"http_latency_p95": [latency(0.18, 0.9)], "http_request_rate": [requests(30, 72)]},
        ),
        EXPECTED,
        ("as requests to Service shop/checkout rose from 30 to 72 requests/s", 0.5),
    ),
    (
        "latency jumped with the requests flat: neither change nor load",
        facts(
            *BASE,
            OLD_RS,
            OLD_POD,
            metrics={"http_latency_p95": [latency(0.18, 0.9)], "http_request_rate": [requests(30, 31)]},
        ),
        EXPECTED,
        ("nor a step in its traffic", 0.3),
    ),
    (
        "healthy: flat latency",
        facts(*BASE, OLD_RS, OLD_POD, metrics={"http_latency_p95": [latency(0.18, 0.2)]}),
        [],
        None,
    ),
    (
        "stale: a jump an hour ago that recovered 20 minutes ago",
        facts(
            *BASE,
            OLD_RS,
            NEW_RS,
            NEW_POD,
            metrics={
                "http_latency_p95": [
                    ramp({"namespace": "shop", "service": "checkout"}, 0.2, 0.2, 0)
                    | {
                        "values": [
                            [v[0], "1.5" if 20 < i < 60 else "0.2"]
                            for i, v in enumerate(latency(0.2, 0.2)["values"])
                        ]
                    }
                ]
            },
        ),
        [],
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "check"), CASES, ids=[c[0] for c in CASES])
def test_regression(name, given, expected, check):
    found = regression.analyze(given)
    assert [(c.category, c.resource.kind, c.resource.namespace, c.resource.name) for c in found] == expected
    for candidate in found:
        phrase, min_confidence = check
        assert phrase in candidate.title + candidate.explanation
        assert candidate.confidence >= min_confidence
        assert candidate.cites and candidate.next_steps


def test_rollout_change_cites_replicasets_event_and_metric():
    (candidate,) = regression.analyze(CASES[0][1])
    keys = {c.ref.key for c in candidate.cites}
    assert ("ReplicaSet", "shop", "checkout-7d9f8c6b5") in keys
    assert ("ReplicaSet", "shop", "checkout-6b7c8d9f4") in keys
    assert ("http_latency_p95",) in keys
    assert any(c.ref.kind == "events" for c in candidate.cites)
    assert candidate.next_steps[-1].command == "kubectl -n shop rollout undo deployment/checkout"
    assert "09:00" in candidate.title


def test_a_load_step_is_cited_by_the_request_rate_check():
    (candidate,) = regression.analyze(CASES[3][1])
    assert ("http_request_rate", "shop", "checkout") in {c.ref.key for c in candidate.cites}
    assert "no rollout or config change" in candidate.title and "the load is the likely cause" in (
        candidate.explanation
    )
