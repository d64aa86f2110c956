"""MissingConfig analyzer: missing Secret/ConfigMap/key/ServiceAccount; runAsNonRoot is Other; resolved
references are not blamed."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import missing_config
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import (
    config_map,
    culprits,
    running_status,
    secret,
    waiting_status,
    workload_pod,
)

POD = "payments-5f6d7c8b9-abcde"
RS = "payments-5f6d7c8b9"


def config_error(message):
    return workload_pod(
        POD, owner_rs=RS, statuses=[waiting_status("app", "CreateContainerConfigError", message)]
    )


CASES = [
    (
        "missing key in an existing secret",
        facts(
            deployment("payments", available=0),
            replicaset("payments", "5f6d7c8b9"),
            config_error("couldn't find key DB_PASSWORD in Secret shop/db-creds"),
            secret("db-creds", "shop", ["DB_USER", "DB_PASS"]),
            events=[
                event(
                    "Pod",
                    POD,
                    "Failed",
                    "Error: couldn't find key DB_PASSWORD in Secret shop/db-creds",
                    count=12,
                )
            ],
        ),
        [("MissingConfig", "Deployment", "shop", "payments")],
    ),
    (
        "configmap volume not found while pending",
        facts(
            deployment("payments", available=0),
            workload_pod(
                POD, owner_rs=RS, phase="Pending", statuses=[waiting_status("app", "ContainerCreating")]
            ),
            config_map("payments-config", "shop"),
            events=[
                event(
                    "Pod",
                    POD,
                    "FailedMount",
                    'MountVolume.SetUp failed for volume "config" : configmap "payment-config" not found',
                    count=7,
                )
            ],
        ),
        [("MissingConfig", "Deployment", "shop", "payments")],
    ),
    (
        "ReplicaSet cannot create pods: serviceaccount missing",
        facts(
            deployment("payments", available=0),
            replicaset("payments", "5f6d7c8b9", replicas=0),
            events=[
                event(
                    "ReplicaSet",
                    RS,
                    "FailedCreate",
                    f'Error creating: pods "{RS}-" is forbidden: '
                    "error looking up service account shop/payments-sa: "
                    'serviceaccount "payments-sa" not found',
                    component="replicaset-controller",
                    count=15,
                )
            ],
        ),
        [("MissingConfig", "Deployment", "shop", "payments")],
    ),
    (
        "runAsNonRoot with a root image is Other",
        facts(
            deployment("payments", available=0),
            config_error("container has runAsNonRoot and image will run as root"),
        ),
        [("Other", "Deployment", "shop", "payments")],
    ),
    (
        "secret created since: pod running, old event is history",
        facts(
            deployment("payments"),
            workload_pod(POD, owner_rs=RS, ready=True, statuses=[running_status()]),
            secret("db-creds", "shop"),
            events=[event("Pod", POD, "Failed", 'Error: secret "db-creds" not found', last_minutes_ago=120)],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_missing_config(name, given, expected):
    assert culprits(missing_config.analyze(given)) == expected


def test_explanation_names_missing_key_and_close_names():
    (found,) = missing_config.analyze(CASES[0][1])
    assert "key DB_PASSWORD in Secret db-creds" in found.title and "DB_PASS" in found.explanation
    (mount,) = missing_config.analyze(CASES[1][1])
    assert "payments-config" in mount.explanation  # did-you-mean
