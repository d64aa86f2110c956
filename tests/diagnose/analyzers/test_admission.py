"""Admission denials (Other): webhook and Pod Security rejections of pod creation."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import admission
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import culprits

RS = "web-5d6c7b8a9"


def failed(message, minutes_ago=1):
    return event(
        "ReplicaSet",
        RS,
        "FailedCreate",
        message,
        component="replicaset-controller",
        last_minutes_ago=minutes_ago,
    )


CASES = [
    (
        "gatekeeper webhook denies",
        facts(
            deployment("web", available=0),
            replicaset("web", "5d6c7b8a9"),
            events=[
                failed(
                    'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: '
                    '[must-have-owner] you must provide labels: {"owner"}'
                )
            ],
        ),
        [("Other", "Deployment", "shop", "web")],
    ),
    (
        "pod security restricted",
        facts(
            deployment("web", available=0),
            replicaset("web", "5d6c7b8a9"),
            events=[
                failed(
                    f'Error creating: pods "{RS}-x" is forbidden: violates PodSecurity "restricted:latest": '
                    'allowPrivilegeEscalation != false (container "app" must set '
                    "securityContext.allowPrivilegeEscalation=false)"
                )
            ],
        ),
        [("Other", "Deployment", "shop", "web")],
    ),
    (
        "quota denial is not this analyzer's; old denial is history",
        facts(
            deployment("web"),
            replicaset("web", "5d6c7b8a9"),
            events=[
                failed(
                    "Error creating: pods is forbidden: exceeded quota: q, requested: pods=1, "
                    "used: pods=5, limited: pods=5"
                ),
                failed(
                    'Error creating: admission webhook "x.example.com" denied the request: no',
                    minutes_ago=600,
                ),
            ],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_admission(name, given, expected):
    assert culprits(admission.analyze(given)) == expected
