"""AppCrash analyzer: crash loops with their log, init containers, Job failures; OOM/probe kills and history
are not blamed."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import crash
from tests.diagnose.analyzers.factories import deployment, event, facts, pod, replicaset, service
from tests.diagnose.analyzers.workload_factories import (
    crashloop_status,
    culprits,
    running_status,
    stuck_rollout,
    workload_pod,
)

POD = "checkout-7d9f8c6b5-x2lqp"
RS = "checkout-7d9f8c6b5"
BACKOFF = event(
    "Pod",
    POD,
    "BackOff",
    f"Back-off restarting failed container app in pod {POD}_shop(6c1f0a52-1b1e-4b9e-9d59-5f1a2b3c4d5e)",
    count=42,
)
PREVIOUS_LOG = (
    "2026-11-20T09:28:58.120Z starting checkout v2.4.0\n"
    "2026-11-20T09:28:58.310Z panic: required environment variable DATABASE_URL is not set\n"
    "2026-11-20T09:28:58.311Z goroutine 1 [running]:\n"
)


def crashing(statuses=None, **kwargs):
    return workload_pod(POD, owner_rs=RS, statuses=statuses or [crashloop_status(pod_name=POD)], **kwargs)


CASES = [
    (
        "crash loop with missing env var in the previous log",
        facts(
            deployment("checkout", available=0),
            replicaset("checkout", "7d9f8c6b5"),
            crashing(),
            events=[BACKOFF],
            logs={("shop", POD, "app", True): PREVIOUS_LOG},
        ),
        [("AppCrash", "Deployment", "shop", "checkout")],
    ),
    (
        "failing init container of a bare-ReplicaSet-less deployment found by pod-template-hash",
        facts(
            deployment("checkout", available=0),
            workload_pod(
                POD,
                owner_rs=RS,
                phase="Pending",
                statuses=[],
                init_statuses=[crashloop_status("migrate", exit_code=2, pod_name=POD)],
                init_containers=[{"name": "migrate", "image": "registry.example.com/shop/migrate:1"}],
            ),
            logs={
                (
                    "shop",
                    POD,
                    "migrate",
                    True,
                ): 'ERROR: relation "orders" does not exist\nError: migration failed'
            },
        ),
        [("AppCrash", "Deployment", "shop", "checkout")],
    ),
    (
        "failed Job pod with exit code 1",
        facts(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "report-28901", "namespace": "shop"},
                "status": {"failed": 1},
            },
            {
                **workload_pod(
                    "report-28901-abcde",
                    phase="Failed",
                    statuses=[
                        {
                            "name": "app",
                            "restartCount": 0,
                            "state": {
                                "terminated": {
                                    "reason": "Error",
                                    "exitCode": 1,
                                    "finishedAt": "2026-11-20T09:20:00Z",
                                }
                            },
                        }
                    ],
                ),
            },
            logs={
                (
                    "shop",
                    "report-28901-abcde",
                    "app",
                    False,
                ): "Traceback (most recent call last):\nValueError: bad date"
            },
        ),
        [("AppCrash", "Pod", "shop", "report-28901-abcde")],
    ),
    (
        "OOM kill is not an app crash",
        facts(crashing([crashloop_status(reason="OOMKilled", exit_code=137, pod_name=POD)])),
        [],
    ),
    (
        "liveness kill is the probe analyzer's",
        facts(
            crashing([crashloop_status(reason="Error", exit_code=137, pod_name=POD)]),
            events=[
                event(
                    "Pod", POD, "Killing", "Container app failed liveness probe, will be restarted", count=9
                )
            ],
        ),
        [],
    ),
    (
        "old crash, pod healthy now: history",
        facts(
            deployment("checkout"),
            replicaset("checkout", "7d9f8c6b5"),
            workload_pod(
                POD,
                owner_rs=RS,
                ready=True,
                statuses=[running_status(restarts=4, last_reason="Error", last_finished_minutes_ago=180)],
            ),
            events=[
                event(
                    "Pod",
                    POD,
                    "BackOff",
                    f"Back-off restarting failed container app in pod {POD}",
                    last_minutes_ago=185,
                )
            ],
            logs={("shop", POD, "app", True): PREVIOUS_LOG},
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_crash(name, given, expected):
    assert culprits(crash.analyze(given)) == expected


def test_crash_cites_the_log_line_and_the_stuck_rollout():
    given = facts(
        stuck_rollout(deployment("checkout", available=0), RS),
        replicaset("checkout", "7d9f8c6b5"),
        crashing(),
        events=[BACKOFF],
        logs={("shop", POD, "app", True): PREVIOUS_LOG},
    )
    (found,) = crash.analyze(given)
    needles = [cite.needle for cite in found.cites]
    assert "panic: required environment variable DATABASE_URL is not set" in needles
    assert "CrashLoopBackOff" in needles
    assert any("has timed out progressing" in needle for needle in needles)
    assert "DATABASE_URL" in found.title and found.severity == 3 and found.confidence >= 0.85
    assert any("--previous" in (step.command or "") for step in found.next_steps)


def test_dependency_refusal_is_reported_with_lower_confidence():
    given = facts(
        deployment("checkout", available=0),
        crashing(),
        logs={
            ("shop", POD, "app", True): "connecting\ndial tcp 10.96.45.12:5432: connect: connection refused"
        },
    )
    (found,) = crash.analyze(given)
    assert found.confidence < 0.7 and "10.96.45.12:5432" in found.title


def test_a_crash_on_a_refused_dependency_names_the_service_and_its_workload():
    """The log line's ClusterIP:port is the postgres Service; its pods belong to StatefulSet postgres, so a
    problem of that StatefulSet can be folded in as this crash's cause."""
    postgres = pod("postgres-0", ns="data", labels={"app": "postgres"}, ip="10.244.2.31")
    postgres["metadata"]["ownerReferences"] = [
        {"kind": "StatefulSet", "name": "postgres", "controller": True}
    ]
    given = facts(
        deployment("checkout", available=0),
        replicaset("checkout", "7d9f8c6b5"),
        crashing(),
        service("postgres", ns="data", cluster_ip="10.96.45.12", port=5432, target_port=5432),
        postgres,
        events=[BACKOFF],
        logs={
            ("shop", POD, "app", True): '2026-11-20T09:28:58.310Z level=fatal msg="database unavailable" '
            'err="dial tcp 10.96.45.12:5432: connect: connection refused"\n'
        },
    )
    (found,) = crash.analyze(given)
    assert [(r.kind, r.namespace, r.name) for r in found.depends_on] == [
        ("Service", "data", "postgres"),
        ("StatefulSet", "data", "postgres"),
    ]
