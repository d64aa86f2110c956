"""StorageProvisioning analyzer: pending claims with a missing class or failing provisioner; bound claims
and WaitForFirstConsumer are fine."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import storage
from tests.diagnose.analyzers.factories import event, facts
from tests.diagnose.analyzers.workload_factories import (
    claim_volume,
    culprits,
    pvc,
    storage_class,
    workload_pod,
)

DB_POD = "postgres-0"
UNBOUND = (
    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
    "available: 3 Preemption is not helpful for scheduling."
)
WAITING = (
    "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' "
    "or manually by the system administrator. If volume creation is delayed, please verify "
    "that the provisioner is running and correctly registered."
)


def db_pod():
    return workload_pod(
        DB_POD, ns="data", phase="Pending", node=None, volumes=[claim_volume("data", "data-postgres-0")]
    )


CASES = [
    (
        "StorageClass does not exist",
        facts(
            pvc("data-postgres-0", "data", phase="Pending", storage_class="fast-ssd"),
            storage_class("standard", default=True),
            db_pod(),
            events=[
                event(
                    "PersistentVolumeClaim",
                    "data-postgres-0",
                    "ProvisioningFailed",
                    'storageclass.storage.k8s.io "fast-ssd" not found',
                    ns="data",
                    component="persistentvolume-controller",
                    count=30,
                ),
                event("Pod", DB_POD, "FailedScheduling", UNBOUND, ns="data", component="default-scheduler"),
            ],
        ),
        [("StorageProvisioning", "PersistentVolumeClaim", "data", "data-postgres-0")],
    ),
    (
        "external provisioner never answers",
        facts(
            pvc("data-postgres-0", "data", phase="Pending", storage_class="ebs", created_minutes_ago=40),
            storage_class("ebs"),
            db_pod(),
            events=[
                event(
                    "PersistentVolumeClaim",
                    "data-postgres-0",
                    "ExternalProvisioning",
                    WAITING,
                    ns="data",
                    type_="Normal",
                    count=160,
                )
            ],
        ),
        [("StorageProvisioning", "PersistentVolumeClaim", "data", "data-postgres-0")],
    ),
    (
        "WaitForFirstConsumer is normal",
        facts(
            pvc("scratch", "data", phase="Pending", storage_class="standard", created_minutes_ago=60),
            storage_class("standard", default=True),
            events=[
                event(
                    "PersistentVolumeClaim",
                    "scratch",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                    ns="data",
                    type_="Normal",
                )
            ],
        ),
        [],
    ),
    (
        "bound claim with an old ProvisioningFailed: history",
        facts(
            pvc("data-postgres-0", "data", phase="Bound", volume_name="pvc-1f2e"),
            events=[
                event(
                    "PersistentVolumeClaim",
                    "data-postgres-0",
                    "ProvisioningFailed",
                    'storageclass.storage.k8s.io "fast-ssd" not found',
                    ns="data",
                    last_minutes_ago=300,
                )
            ],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_storage(name, given, expected):
    assert culprits(storage.analyze(given)) == expected


def test_missing_class_names_existing_ones_and_the_waiting_pod():
    (found,) = storage.analyze(CASES[0][1])
    assert "'fast-ssd' does not exist" in found.title and "standard" in found.explanation
    assert [ref.name for ref in found.affected] == [DB_POD] and found.severity == 3
    assert any(cite.ref.kind == "events" and cite.ref.key == ("data", DB_POD) for cite in found.cites)
