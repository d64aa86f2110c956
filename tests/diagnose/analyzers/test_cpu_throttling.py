"""CPUThrottling: sustained CFS throttling above 25% with the CPU limit, correlated with latency; history."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import cpu_throttling
from tests.diagnose.analyzers.factories import deployment, facts, pod, ramp, service
from tools.contracts.diagnosis import Category

LABELS = {"app": "search"}
LIMITS = {"requests": {"cpu": "250m"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
SEARCH = [
    deployment("search", labels=LABELS, resources=LIMITS),
    pod("search-7b8c9d6f5-abcde", labels=LABELS, owner_rs="search-7b8c9d6f5", resources=LIMITS),
    service("search", selector=LABELS),
]


def throttling(before: float, after: float, step: float = 30, pod_name: str = "search-7b8c9d6f5-abcde"):
    return ramp({"namespace": "shop", "pod": pod_name, "container": "app"}, before, after, step)


def latency(before: float, after: float, step: float = 30):
    return ramp({"namespace": "shop", "service": "search"}, before, after, step)


EXPECTED = [(Category.CPUThrottling, "Deployment", "shop", "search")]
CASES = [
    (
        "throttled and slower",
        facts(
            *SEARCH,
            metrics={"cpu_throttling": [throttling(0.05, 0.62)], "http_latency_p95": [latency(0.12, 0.9)]},
        ),
        EXPECTED,
        2,
    ),
    (
        "throttled, latency unknown",
        facts(*SEARCH, metrics={"cpu_throttling": [throttling(0.3, 0.45)]}),
        EXPECTED,
        1,
    ),
    (
        "healthy: light throttling",
        facts(*SEARCH, metrics={"cpu_throttling": [throttling(0.02, 0.08)]}),
        [],
        None,
    ),
    (
        "stale: throttled an hour ago, fine for the last 40 minutes",
        facts(*SEARCH, metrics={"cpu_throttling": [throttling(0.7, 0.03, step=40)]}),
        [],
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "severity"), CASES, ids=[c[0] for c in CASES])
def test_cpu_throttling(name, given, expected, severity):
    found = cpu_throttling.analyze(given)
    assert [(c.category, c.resource.kind, c.resource.namespace, c.resource.name) for c in found] == expected
    for candidate in found:
        assert candidate.severity == severity
        assert "500m" in candidate.title
        assert candidate.cites and candidate.next_steps


def test_latency_correlation_raises_confidence_and_lists_service():
    (slow,) = cpu_throttling.analyze(CASES[0][1])
    (plain,) = cpu_throttling.analyze(CASES[1][1])
    assert slow.confidence > plain.confidence
    assert [ref.name for ref in slow.affected] == ["search"]
