"""VolumeFull analyzer: ENOSPC in logs blames the PVC written to (or the workload), ephemeral-storage
limit evictions blame the workload; old lines and node-level evictions are not blamed here."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import volume_full
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import (
    claim_volume,
    crashloop_status,
    culprits,
    pvc,
    running_status,
    workload_pod,
)

POD = "ingest-6b5c4d3e2-ab12c"
RS = "ingest-6b5c4d3e2"
CONTAINER = {
    "name": "app",
    "image": "x",
    "volumeMounts": [
        {"name": "spool", "mountPath": "/var/spool/ingest"},
        {"name": "tmp", "mountPath": "/tmp"},
    ],
}
VOLUMES = [claim_volume("spool", "ingest-spool"), {"name": "tmp", "emptyDir": {}}]
FULL = (
    "2026-11-20T09:27:13.002Z OSError: [Errno 28] No space left on device: "
    "'/var/spool/ingest/batch-000193.parquet'\n"
)


def ingest(statuses, **kwargs):
    return workload_pod(
        POD, owner_rs=RS, statuses=statuses, containers=[CONTAINER], volumes=VOLUMES, **kwargs
    )


CASES = [
    (
        "ENOSPC on the PVC mount",
        facts(
            deployment("ingest", available=0),
            replicaset("ingest", "6b5c4d3e2"),
            ingest([crashloop_status(pod_name=POD)]),
            pvc("ingest-spool", "shop"),
            logs={("shop", POD, "app", True): "2026-11-20T09:27:12Z writing batch 193\n" + FULL},
        ),
        [("VolumeFull", "PersistentVolumeClaim", "shop", "ingest-spool")],
    ),
    (
        "ephemeral-storage limit eviction",
        facts(
            deployment("ingest", available=1),
            workload_pod(
                "ingest-6b5c4d3e2-zz999",
                owner_rs=RS,
                phase="Failed",
                statuses=[],
            ),
            events=[
                event(
                    "Pod",
                    "ingest-6b5c4d3e2-zz999",
                    "Evicted",
                    "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.",
                    count=1,
                )
            ],
        ),
        [("VolumeFull", "Deployment", "shop", "ingest")],
    ),
    (
        "node low on ephemeral-storage is node pressure, not this",
        facts(
            deployment("ingest", available=1),
            workload_pod("ingest-6b5c4d3e2-zz999", owner_rs=RS, phase="Failed", statuses=[]),
            events=[
                event(
                    "Pod",
                    "ingest-6b5c4d3e2-zz999",
                    "Evicted",
                    "The node was low on resource: ephemeral-storage. "
                    "Threshold quantity: 10Gi, available: 8123456Ki.",
                )
            ],
        ),
        [],
    ),
    (
        "disk full yesterday, healthy now: history",
        facts(
            deployment("ingest"),
            ingest([running_status(restarts=2, last_reason="Error")], ready=True),
            logs={("shop", POD, "app", True): FULL.replace("2026-11-20T09", "2026-11-19T09")},
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_volume_full(name, given, expected):
    assert culprits(volume_full.analyze(given)) == expected


def test_cites_the_log_line():
    (found,) = volume_full.analyze(CASES[0][1])
    (log_cite,) = [cite for cite in found.cites if cite.ref.kind == "log"]
    assert log_cite.needle.startswith("OSError: [Errno 28] No space left on device")
    assert log_cite.ref.key == ("shop", POD, "app", "previous")


def test_full_claim_names_the_workload_it_breaks():
    """The crashing workload is listed as affected, so correlation folds its AppCrash into this cause."""
    (found,) = volume_full.analyze(CASES[0][1])
    assert [(ref.kind, ref.name) for ref in found.affected][:1] == [("Deployment", "ingest")]
