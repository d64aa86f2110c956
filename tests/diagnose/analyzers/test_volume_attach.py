"""VolumeAttach analyzer: Multi-Attach and mount timeouts point at the claim; configmap mounts and
running pods are not blamed."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import volume_attach
from tests.diagnose.analyzers.factories import event, facts
from tests.diagnose.analyzers.workload_factories import (
    claim_volume,
    culprits,
    pv,
    pvc,
    running_status,
    waiting_status,
    workload_pod,
)

NEW = "grafana-7f8d9c6b5-new01"
OLD = "grafana-5c4b3a291-old01"
MULTI = (
    'Multi-Attach error for volume "pvc-0b1c2d3e" Volume is already exclusively attached to one node and '
    "can't be attached to another"
)
TIMEOUT = (
    "Unable to attach or mount volumes: unmounted volumes=[storage], unattached volumes=[storage "
    "kube-api-access-7xk2p]: timed out waiting for the condition"
)


def grafana(name, phase, node, statuses):
    return workload_pod(
        name,
        ns="monitoring",
        phase=phase,
        node=node,
        statuses=statuses,
        volumes=[claim_volume("storage", "grafana")],
    )


NEW_POD = grafana(NEW, "Pending", "worker-2", [waiting_status("grafana", "ContainerCreating")])
OLD_POD = grafana(OLD, "Running", "worker-1", [running_status("grafana")])

CASES = [
    (
        "multi-attach during a rolling update",
        facts(
            NEW_POD,
            OLD_POD,
            pvc("grafana", "monitoring", volume_name="pvc-0b1c2d3e"),
            pv("pvc-0b1c2d3e", "monitoring", "grafana"),
            events=[
                event(
                    "Pod",
                    NEW,
                    "FailedAttachVolume",
                    MULTI,
                    ns="monitoring",
                    component="attachdetach-controller",
                )
            ],
        ),
        [("VolumeAttach", "PersistentVolumeClaim", "monitoring", "grafana")],
    ),
    (
        "mount timed out",
        facts(
            NEW_POD,
            pvc("grafana", "monitoring"),
            events=[event("Pod", NEW, "FailedMount", TIMEOUT, ns="monitoring")],
        ),
        [("VolumeAttach", "PersistentVolumeClaim", "monitoring", "grafana")],
    ),
    (
        "missing configmap volume is not an attach problem",
        facts(
            NEW_POD,
            events=[
                event(
                    "Pod",
                    NEW,
                    "FailedMount",
                    'MountVolume.SetUp failed for volume "config" : configmap "grafana-ini" not found',
                    ns="monitoring",
                )
            ],
        ),
        [],
    ),
    (
        "attached in the end: pod running, old events",
        facts(
            OLD_POD,
            events=[event("Pod", OLD, "FailedAttachVolume", MULTI, ns="monitoring", last_minutes_ago=5)],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_volume_attach(name, given, expected):
    assert culprits(volume_attach.analyze(given)) == expected


def test_multi_attach_names_the_holder():
    (found,) = volume_attach.analyze(CASES[0][1])
    assert OLD in found.explanation and "Recreate" in found.explanation and found.confidence >= 0.9
