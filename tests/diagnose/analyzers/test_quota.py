"""QuotaExceeded analyzer: FailedCreate on the ReplicaSet blames the ResourceQuota / LimitRange (no pods
exist); a controller that has caught up is history."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import quota
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import culprits, limit_range, resource_quota

RS = "api-6d4c8b7f9"
EXCEEDED = (
    f'Error creating: pods "{RS}-7hx2k" is forbidden: exceeded quota: compute-quota, requested: '
    "limits.memory=1Gi, used: limits.memory=7680Mi, limited: limits.memory=8Gi"
)
LIMITED = (
    f'Error creating: pods "{RS}-9zz1q" is forbidden: maximum memory usage per Container is 1Gi, '
    "but limit is 2Gi"
)
QUOTA = resource_quota("compute-quota", "shop", {"limits.memory": "8Gi"}, {"limits.memory": "7680Mi"})


def failed_create(message, minutes_ago=1):
    return event(
        "ReplicaSet",
        RS,
        "FailedCreate",
        message,
        component="replicaset-controller",
        count=23,
        last_minutes_ago=minutes_ago,
    )


def stuck_rs():
    rs = replicaset("api", "6d4c8b7f9", replicas=3)
    rs["status"] = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0}
    return rs


CASES = [
    (
        "memory quota exhausted, no pods exist",
        facts(
            deployment("api", replicas=3, available=0), stuck_rs(), QUOTA, events=[failed_create(EXCEEDED)]
        ),
        [("QuotaExceeded", "ResourceQuota", "shop", "compute-quota")],
    ),
    (
        "LimitRange maximum",
        facts(
            deployment("api", replicas=3, available=0),
            stuck_rs(),
            limit_range("container-limits", "shop"),
            events=[failed_create(LIMITED)],
        ),
        [("QuotaExceeded", "LimitRange", "shop", "container-limits")],
    ),
    (
        "quota raised since: all replicas created, event recent but resolved",
        facts(
            deployment("api", replicas=3),
            replicaset("api", "6d4c8b7f9", replicas=3),
            QUOTA,
            events=[failed_create(EXCEEDED)],
        ),
        [],
    ),
    (
        "old event only: history",
        facts(
            deployment("api", replicas=3, available=0),
            stuck_rs(),
            QUOTA,
            events=[failed_create(EXCEEDED, 240)],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_quota(name, given, expected):
    assert culprits(quota.analyze(given)) == expected


def test_quota_explains_usage_and_affects_the_deployment():
    (found,) = quota.analyze(CASES[0][1])
    assert "7680Mi of limits.memory=8Gi" in found.explanation
    assert [(ref.kind, ref.name) for ref in found.affected] == [("Deployment", "api")]
    assert found.severity == 3
