"""ProbeFailure analyzer: liveness kills, probe port not declared by the container, readiness failures;
a pod Ready again with a couple of old failures is not blamed."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import probes, rollout, service_endpoints
from tests.diagnose.analyzers.factories import deployment, event, facts, node, replicaset, service
from tests.diagnose.analyzers.workload_factories import (
    crashloop_status,
    culprits,
    running_status,
    workload_pod,
)
from tools.contracts.diagnosis import ResourceRef

POD = "api-7c9d8e6f5-zx81p"
RS = "api-7c9d8e6f5"
CONTAINER = {
    "name": "api",
    "image": "registry.example.com/shop/api:2.1",
    "ports": [{"name": "http", "containerPort": 8080}],
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8081}, "periodSeconds": 10},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
}
LIVENESS = event(
    "Pod",
    POD,
    "Unhealthy",
    'Liveness probe failed: Get "http://10.244.1.7:8081/healthz": '
    "dial tcp 10.244.1.7:8081: connect: connection refused",
    count=27,
)
KILLING = event(
    "Pod", POD, "Killing", "Container api failed liveness probe, will be restarted", type_="Normal", count=9
)
READINESS = event(
    "Pod", POD, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", count=40
)


def probed_pod(statuses, ready=False, container=CONTAINER):
    return workload_pod(POD, owner_rs=RS, statuses=statuses, ready=ready, containers=[container])


CASES = [
    (
        "liveness on a port the container does not listen on",
        facts(
            deployment("api", available=0),
            replicaset("api", "7c9d8e6f5"),
            probed_pod([crashloop_status("api", exit_code=137, pod_name=POD)]),
            events=[LIVENESS, KILLING],
        ),
        [("ProbeFailure", "Deployment", "shop", "api")],
    ),
    (
        "readiness failing, pods not ready",
        facts(
            deployment("api", available=0),
            probed_pod([running_status("api", ready=False)], container={**CONTAINER, "livenessProbe": None}),
            events=[READINESS],
        ),
        [("ProbeFailure", "Deployment", "shop", "api")],
    ),
    (
        "two old readiness blips on a ready pod: nothing",
        facts(
            deployment("api"),
            probed_pod([running_status("api")], ready=True),
            events=[
                event(
                    "Pod",
                    POD,
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503",
                    count=2,
                )
            ],
        ),
        [],
    ),
    (
        "failures long ago: history",
        facts(
            deployment("api"),
            probed_pod([running_status("api", restarts=3, last_reason="Error", last_exit=137)], ready=True),
            events=[{**LIVENESS, "lastTimestamp": "2026-11-20T06:00:00Z"}],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_probes(name, given, expected):
    assert culprits(probes.analyze(given)) == expected


def test_port_mismatch_is_named():
    (found,) = probes.analyze(CASES[0][1])
    assert "checks port 8081, but container api listens on 8080" in found.title
    assert found.confidence >= 0.9 and found.severity == 3
    assert any("failed liveness probe" in cite.needle for cite in found.cites)


def test_a_pod_on_a_node_that_is_down_is_the_nodes_problem_not_a_probe_failure():
    """The node controller marks the pods of a NotReady node not ready; with no probe event, that is not a
    probe failing (the nodes analyzer reports the node, and one cause is not six)."""
    rs = "catalog-5d8f7c9b4"
    stranded = workload_pod(
        f"{rs}-q2x7w", owner_rs=rs, statuses=[running_status(ready=False)], node="worker-3"
    )
    stranded["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    stranded["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}

    def cluster(*nodes):
        return facts(
            deployment("catalog", replicas=1, available=0),
            replicaset("catalog", "5d8f7c9b4"),
            service("catalog"),
            stranded,
            *nodes,
        )

    given = cluster(node("worker-3", ready="Unknown", ready_reason="NodeStatusUnknown"))
    assert probes.analyze(given) == []
    assert rollout.analyze(given) == []
    [no_endpoints] = service_endpoints.analyze(given)
    assert "node worker-3 is not Ready" in no_endpoints.explanation
    assert ResourceRef(kind="Node", name="worker-3") in no_endpoints.depends_on
    assert probes.analyze(cluster(node("worker-3"))), "on a Ready node the same pod fails its readiness"
