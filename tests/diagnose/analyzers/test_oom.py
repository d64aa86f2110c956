"""OOMKilled analyzer: recent kills with the working set climbing to the limit; near-limit warnings;
an old kill on a healthy pod is history."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import oom
from tests.diagnose.analyzers.factories import deployment, facts, replicaset, series
from tests.diagnose.analyzers.workload_factories import (
    crashloop_status,
    culprits,
    running_status,
    workload_pod,
)

POD = "search-5b7c9d-q8w2e"
RS = "search-5b7c9d"
LABELS = {"namespace": "shop", "pod": POD, "container": "app"}
CLIMB = series(LABELS, [(60 - m, 0.5 + m / 100) for m in range(0, 50, 5)] + [(5, 0.99), (2, 1.0)])


def oom_pod(**kwargs):
    return workload_pod(
        POD,
        owner_rs=RS,
        statuses=[crashloop_status(reason="OOMKilled", exit_code=137, pod_name=POD)],
        containers=[{"name": "app", "image": "x", "resources": {"limits": {"memory": "512Mi"}}}],
        **kwargs,
    )


CASES = [
    (
        "OOM crash loop with the working set at the limit",
        facts(
            deployment("search", available=0),
            replicaset("search", "5b7c9d"),
            oom_pod(),
            metrics={oom.METRIC: [CLIMB]},
        ),
        [("OOMKilled", "Deployment", "shop", "search")],
    ),
    (
        "OOM kill without metrics (source unavailable)",
        facts(deployment("search", available=1), oom_pod(), unavailable={"prometheus": "connection refused"}),
        [("OOMKilled", "Deployment", "shop", "search")],
    ),
    (
        "working set pinned at the limit, no kill yet: warning",
        facts(
            deployment("search"),
            workload_pod(POD, owner_rs=RS, ready=True, statuses=[running_status()]),
            metrics={oom.METRIC: [series(LABELS, [(30, 0.8), (10, 0.93), (1, 0.97)])]},
        ),
        [("OOMKilled", "Deployment", "shop", "search")],
    ),
    (
        "OOM kill four hours ago, running fine since: history",
        facts(
            deployment("search"),
            workload_pod(
                POD,
                owner_rs=RS,
                ready=True,
                statuses=[
                    running_status(
                        restarts=1, last_reason="OOMKilled", last_exit=137, last_finished_minutes_ago=240
                    )
                ],
            ),
            metrics={oom.METRIC: [series(LABELS, [(30, 0.4), (1, 0.45)])]},
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_oom(name, given, expected):
    assert culprits(oom.analyze(given)) == expected


def test_oom_cites_metric_and_limit():
    given = facts(deployment("search", available=0), oom_pod(), metrics={oom.METRIC: [CLIMB]})
    (found,) = oom.analyze(given)
    assert {cite.ref.kind for cite in found.cites} == {"object", "metric"}
    assert "512Mi" in found.title and found.confidence >= 0.9 and found.severity == 3
    assert "to 100% of the limit" in found.explanation
    near = oom.analyze(
        facts(
            deployment("search"),
            workload_pod(POD, owner_rs=RS, ready=True, statuses=[running_status()]),
            metrics={oom.METRIC: [series(LABELS, [(1, 0.97)])]},
        )
    )
    assert near[0].severity == 1 and near[0].confidence < 0.5
