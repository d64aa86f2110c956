"""Stuck rollout analyzer: Other only when nothing else explains the ProgressDeadlineExceeded."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import rollout
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import (
    crashloop_status,
    culprits,
    running_status,
    stuck_rollout,
    workload_pod,
)

RS = "web-5d6c7b8a9"


def stuck():
    return stuck_rollout(deployment("web", replicas=2, available=1), RS)


CASES = [
    (
        "deadline exceeded, pods running but never ready, no events",
        facts(
            stuck(),
            replicaset("web", "5d6c7b8a9"),
            workload_pod(f"{RS}-aaaaa", owner_rs=RS, ready=False, statuses=[running_status(ready=False)]),
        ),
        [("Other", "Deployment", "shop", "web")],
    ),
    (
        "crash loop explains it: the crash analyzer's",
        facts(stuck(), workload_pod(f"{RS}-aaaaa", owner_rs=RS, statuses=[crashloop_status()])),
        [],
    ),
    (
        "quota FailedCreate explains it",
        facts(
            stuck(),
            replicaset("web", "5d6c7b8a9"),
            events=[
                event(
                    "ReplicaSet", RS, "FailedCreate", "Error creating: exceeded quota: q, requested: pods=1"
                )
            ],
        ),
        [],
    ),
    (
        "healthy deployment",
        facts(
            deployment("web"),
            workload_pod(f"{RS}-aaaaa", owner_rs=RS, ready=True, statuses=[running_status()]),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_rollout(name, given, expected):
    assert culprits(rollout.analyze(given)) == expected
