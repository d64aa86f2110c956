"""The builder library on a small scenario: determinism and the shapes scenario authors rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.synth import ClusterBuilder
from devkit.synth.clock import duration
from devkit.synth.writer import write_snapshot
from tests.synth.helpers import flows, objects_by_kind, tree_bytes
from tools.snapshot.loader import load_snapshot
from tools.snapshot.validate import validate_snapshot


def _scenario(seed: int = 5) -> ClusterBuilder:
    b = ClusterBuilder("lab", "2026-03-01T12:00:00Z", seed=seed, window="30m")
    for name in ("node-a", "node-b"):
        b.node(name)
    b.deployment(
        "kube-system",
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        port=53,
        port_name="dns",
        labels={"k8s-app": "kube-dns"},
    )
    b.service(
        "kube-system",
        "kube-dns",
        selector={"k8s-app": "kube-dns"},
        port=53,
        target_port=53,
        port_name="dns",
        protocol="UDP",
        cluster_ip="10.96.0.10",
    )
    web = b.deployment("shop", "web", "reg.example.com/web:1.0", port=8080)
    api = b.deployment("shop", "api", "reg.example.com/api:2.0", port=8080, memory_limit="128Mi")
    b.service("shop", "web", port=80)
    b.service("shop", "api", port=80, target_port=8081)  # nothing listens on 8081
    api.pods[0].crash_loop(since="20m", exit_code=1, previous_log=["boom: missing DATABASE_URL"])
    api.pods[1].cannot_schedule(
        "15m",
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
        "available: 2 No preemption victims found for incoming pod.",
    )
    web.pods[1].config_error("5m", 'secret "web-creds" not found')
    b.event(web.pods[0], "Unhealthy", "Readiness probe failed: old", first="3h", last="2h")  # beyond the TTL
    b.traffic(
        web,
        b.deployment("shop", "db", "postgres:16.4", replicas=1, port=5432),
        5432,
        every="1m",
        rst_since="10m",
    )
    b.dns_query(web, "db.shop.svc.cluster.local", rcode=3, every="5m")
    return b


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_snapshot(_scenario(), tmp_path_factory.mktemp("lab"))


def test_same_inputs_give_identical_bytes(lab: Path, tmp_path: Path) -> None:
    again = write_snapshot(_scenario(), tmp_path / "again")
    assert tree_bytes(lab) == tree_bytes(again)
    other = write_snapshot(_scenario(seed=6), tmp_path / "other")
    assert tree_bytes(other) != tree_bytes(lab)


def test_scenario_is_a_valid_snapshot(lab: Path) -> None:
    assert validate_snapshot(load_snapshot(lab)) == []


def test_pod_states_have_the_control_plane_text(lab: Path) -> None:
    objects = objects_by_kind(lab)
    pods = {p["metadata"]["name"]: p for p in objects["Pod"]}
    api = sorted(n for n in pods if n.startswith("api-"))
    crashing = pods[api[0]]["status"]["containerStatuses"][0]
    assert crashing["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert crashing["state"]["waiting"]["message"].startswith(
        "back-off 5m0s restarting failed container=api pod="
    )
    assert crashing["lastState"]["terminated"]["exitCode"] == 1 and crashing["restartCount"] >= 5
    assert (lab / "logs" / "shop" / api[0] / "api.log").read_text() == (
        lab / "logs" / "shop" / api[0] / "api.previous.log"
    ).read_text()  # kubelet serves the last instance
    pending = pods[api[1]]
    assert pending["status"]["phase"] == "Pending" and "nodeName" not in pending["spec"]
    assert pending["status"]["conditions"][0]["reason"] == "Unschedulable"
    web_waiting = [
        p
        for n, p in pods.items()
        if n.startswith("web-") and p["status"]["containerStatuses"][0]["state"].get("waiting")
    ]
    assert web_waiting[0]["status"]["containerStatuses"][0]["state"]["waiting"] == {
        "message": 'secret "web-creds" not found',
        "reason": "CreateContainerConfigError",
    }
    events = objects["Event"]
    assert any(
        e["reason"] == "BackOff"
        and e["message"].startswith("Back-off restarting failed container api in pod")
        for e in events
    )
    assert any(
        e["reason"] == "FailedScheduling" and e["source"]["component"] == "default-scheduler" for e in events
    )
    assert not any(e["message"] == "Readiness probe failed: old" for e in events)  # expired (event TTL 1h)


def test_wrong_target_port_gives_rst_replies_and_endpoints_still_listed(lab: Path) -> None:
    records = [r["flow"] for r in flows(lab)]
    rst = [f for f in records if "TCP" in f["l4"] and f["l4"]["TCP"]["flags"].get("RST")]
    assert rst and all(f["is_reply"] and f["l4"]["TCP"]["source_port"] == 5432 for f in rst)
    slices = {
        s["metadata"]["labels"]["kubernetes.io/service-name"]: s
        for s in objects_by_kind(lab)["EndpointSlice"]
    }
    assert slices["api"]["ports"][0]["port"] == 8081


def test_durations() -> None:
    assert duration("1h30m").total_seconds() == 5400
    assert duration(90).total_seconds() == 90
    with pytest.raises(ValueError, match="not a duration"):
        duration("ninety minutes")
