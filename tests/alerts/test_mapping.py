"""From alert labels and names to the question: the kube-prometheus labels name the subject, the rule
name says what is wrong, scrape labels never become the subject, and an alert naming nothing is a review."""

from __future__ import annotations

import pytest

from app.alerts.handler import channel_for
from app.alerts.mapping import question_for
from app.alerts.payload import parse_notification
from devkit.alert_payloads import alert, notification
from tools.contracts.settings import AlertRoute


def ask(*alerts: dict, **kwargs) -> str:
    import json

    found = question_for(parse_notification(json.dumps(notification(list(alerts), **kwargs)).encode()))
    assert found is not None
    return found.text


@pytest.mark.parametrize(
    ("name", "labels", "question"),
    [
        ("KubePodCrashLooping", {"namespace": "shop", "pod": "api-1", "container": "api"},
         "why is pod api-1 in namespace shop crash looping?"),
        ("KubePodNotReady", {"namespace": "shop", "pod": "api-1"},
         "why is pod api-1 in namespace shop not ready?"),
        ("KubeDeploymentReplicasMismatch", {"namespace": "shop", "deployment": "checkout"},
         "why is deployment checkout in namespace shop not running all its replicas?"),
        ("KubeStatefulSetReplicasMismatch", {"namespace": "data", "statefulset": "postgres"},
         "why is statefulset postgres in namespace data not running all its replicas?"),
        ("KubeDaemonSetNotScheduled", {"namespace": "kube-system", "daemonset": "cilium"},
         "why is daemonset cilium in namespace kube-system not scheduled on every node?"),
        ("KubeJobFailed", {"namespace": "batch", "job_name": "nightly-export"},
         "why is job nightly-export in namespace batch failing?"),
        ("KubeHpaMaxedOut", {"namespace": "shop", "horizontalpodautoscaler": "catalog"},
         "why is hpa catalog in namespace shop scaled to its maximum replicas?"),
        ("KubePersistentVolumeFillingUp", {"namespace": "data", "persistentvolumeclaim": "pgdata"},
         "why is pvc pgdata in namespace data running out of disk space?"),
        ("CPUThrottlingHigh", {"namespace": "shop", "pod": "catalog-1", "container": "catalog"},
         "why is pod catalog-1 in namespace shop slow from CPU throttling?"),
        ("KubeContainerWaiting", {"namespace": "shop", "pod": "web-1", "container": "web"},
         "why is pod web-1 in namespace shop stuck waiting to start?"),
        ("KubeNodeNotReady", {"node": "node-a"}, "why is node node-a not ready?"),
        ("NodeNotReady", {"node": "node-a"}, "why is node node-a not ready?"),
        ("NodeFilesystemSpaceFillingUp", {"instance": "node-b:9100", "mountpoint": "/"},
         "why is node node-b running out of disk space?"),
        ("TargetDown", {"namespace": "shop", "service": "cart", "job": "cart"},
         "why is service cart in namespace shop down?"),
        ("KubeMemoryOvercommit", {}, "what is wrong in the cluster?"),
        ("KubeQuotaExceeded", {"namespace": "shop", "resourcequota": "compute"},
         "what is wrong in namespace shop?"),
        ("SomethingCustom", {"namespace": "shop", "ingress": "storefront"},
         "why is ingress storefront in namespace shop failing?"),
    ],
)  # fmt: skip
def test_rule_names_and_labels_make_the_question(name: str, labels: dict, question: str) -> None:
    assert ask(alert(name, scrape=name != "TargetDown", **labels)).startswith(question + " (alert " + name)


def test_scrape_labels_are_not_the_subject() -> None:
    # kube-prometheus adds service=...kube-state-metrics, job, instance to every kube-state-metrics alert
    text = ask(alert("KubeMemoryOvercommit"))
    assert text.startswith("what is wrong in the cluster?") and "kube-state-metrics" not in text.split("(")[0]


def test_exported_labels_win() -> None:
    text = ask(alert("KubePodNotReady", namespace="monitoring", exported_namespace="shop", pod="api-1"))
    assert text.startswith("why is pod api-1 in namespace shop not ready?")


def test_several_and_many_subjects() -> None:
    two = ask(*(alert("KubePodCrashLooping", namespace="shop", pod=f"api-{n}") for n in range(2)))
    assert two.startswith("why are pods api-0 and api-1 in namespace shop crash looping?")
    many = ask(*(alert("KubePodCrashLooping", namespace="shop", pod=f"api-{n}") for n in range(7)))
    assert many.startswith("why are 7 pods in namespace shop crash looping?")


def test_summary_is_kept_short_and_heartbeats_are_dropped() -> None:
    text = ask(alert("KubePodNotReady", namespace="shop", pod="a", summary="word " * 200))
    assert len(text) < 400 and text.endswith("…)")
    assert ask(
        alert("Watchdog", scrape=False), alert("KubePodNotReady", namespace="shop", pod="a")
    ).startswith("why is pod a in namespace shop not ready?")


def test_routing_first_match_wins_then_default() -> None:
    import json

    routes = [
        AlertRoute(channel="C1", receiver="team-data"),
        AlertRoute(channel="C2", namespace="shop", match={"severity": "critical"}),
        AlertRoute(channel="C3", namespace="shop"),
    ]

    def route(receiver: str, **labels: str) -> str | None:
        body = notification([alert("KubePodNotReady", pod="a", **labels)], receiver=receiver)
        return channel_for(routes, "CDEFAULT", parse_notification(json.dumps(body).encode()))

    assert route("team-data", namespace="shop") == "C1"
    assert route("kubewhy", namespace="shop", severity="critical") == "C2"
    assert route("kubewhy", namespace="shop") == "C3"
    assert route("kubewhy", namespace="data") == "CDEFAULT"
    with pytest.raises(ValueError):
        AlertRoute.model_validate({"channel": "C1", "namespaces": ["typo"]})  # unknown keys are refused
