"""AutoscalingLimit: HPA at maxReplicas wanting more; metric unreadable (missing requests); history."""

from __future__ import annotations

import json

import pytest

from app.diagnose.analyzers import autoscaling
from tests.diagnose.analyzers.factories import deployment, event, facts, hpa, pod
from tools.contracts.diagnosis import Category
from tools.contracts.kube.hpa import CONDITIONS

AT_MAX = (
    "ScalingLimited",
    "True",
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
)
MISSING_CPU = (
    "failed to get cpu utilization: missing request for cpu in container app of Pod api-6d9f7c8b5-x2lqp"
)
METRIC_FAILED = (
    "ScalingActive",
    "False",
    "FailedGetResourceMetric",
    f"the HPA was unable to compute the replica count: {MISSING_CPU}",
)
API_NO_REQUESTS = [
    deployment("api", resources={"limits": {"memory": "512Mi"}}),
    pod(
        "api-6d9f7c8b5-x2lqp",
        labels={"app": "api"},
        owner_rs="api-6d9f7c8b5",
        resources={"limits": {"memory": "512Mi"}},
    ),
]
EXPECTED = [(Category.AutoscalingLimit, "HorizontalPodAutoscaler", "shop", "api")]

CASES = [
    (
        "at max and limited",
        facts(
            deployment("api"),
            hpa("api", max_replicas=10, current=10, desired=14, cpu_now=96, conditions=[AT_MAX]),
        ),
        EXPECTED,
        "96%",
    ),
    (
        "metric unreadable because containers have no cpu request",
        facts(
            *API_NO_REQUESTS,
            hpa("api", cpu_now=None, conditions=[METRIC_FAILED]),
            event(
                "HorizontalPodAutoscaler",
                "api",
                "FailedGetResourceMetric",
                MISSING_CPU,
                count=42,
                component="horizontal-pod-autoscaler",
            ),
        ),
        EXPECTED,
        "container app of Deployment shop/api sets no cpu request",
    ),
    ("healthy: within range", facts(deployment("api"), hpa("api")), [], None),
    (
        "stale: old metric failure event, metrics valid now; at min is not a limit",
        facts(
            deployment("api"),
            hpa(
                "api",
                current=2,
                conditions=[
                    (
                        "ScalingLimited",
                        "True",
                        "TooFewReplicas",
                        "the desired replica count is less than the minimum replica count",
                    )
                ],
            ),
            event(
                "HorizontalPodAutoscaler", "api", "FailedGetResourceMetric", MISSING_CPU, last_minutes_ago=600
            ),
        ),
        [],
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_autoscaling(name, given, expected, phrase):
    found = autoscaling.analyze(given)
    assert [(c.category, c.resource.kind, c.resource.namespace, c.resource.name) for c in found] == expected
    for candidate in found:
        assert phrase in candidate.title + candidate.explanation
        assert candidate.cites and candidate.next_steps


def as_served_by_v1(v2: dict) -> dict:
    """The same HPA as `kubectl get hpa -o json` returns it from a cluster before 1.23: one CPU target
    in spec, the current CPU in status, the conditions as a JSON string in an annotation."""
    spec, status = v2["spec"], v2["status"]
    cpu_target = spec["metrics"][0]["resource"]["target"]["averageUtilization"]
    metadata = {**v2["metadata"], "annotations": {CONDITIONS: json.dumps(status["conditions"])}}
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas")}
        | {"targetCPUUtilizationPercentage": cpu_target},
        "status": {
            "currentReplicas": status["currentReplicas"],
            "desiredReplicas": status["desiredReplicas"],
            "currentCPUUtilizationPercentage": 187,
        },
    }


def test_an_autoscaling_v1_hpa_at_its_maximum_is_found_from_its_annotation():
    served = as_served_by_v1(hpa("frontend", current=10, max_replicas=10, cpu_now=187, conditions=[AT_MAX]))
    [found] = autoscaling.analyze(facts(deployment("frontend", replicas=10), served))
    assert found.category is Category.AutoscalingLimit and "cpu at 187% (target 70%)" in found.explanation
    assert "annotations" in served["metadata"] and "conditions" not in served["status"]  # read, not changed
    calm = as_served_by_v1(hpa("frontend", current=4, max_replicas=10))
    assert autoscaling.analyze(facts(deployment("frontend"), calm)) == []
    garbled = {**calm, "metadata": {**calm["metadata"], "annotations": {CONDITIONS: "[not json"}}}
    assert autoscaling.analyze(facts(deployment("frontend"), garbled)) == []
