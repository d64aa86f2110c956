"""A pod held in Init by an init container that never finishes (a wait-for-db loop), not by a crash."""

from __future__ import annotations

from app.diagnose.analyzers import init_stuck
from tests.diagnose.analyzers.factories import deployment, facts, pod, ts
from tools.contracts.diagnosis import Category


def initializing(name: str, started_minutes_ago: float, state: dict | None = None) -> dict:
    held = pod(name, labels={"app": "airflow-web"}, owner_rs="airflow-web-7d9f8c6b5", ready=False)
    held["status"]["phase"] = "Pending"
    held["spec"]["initContainers"] = [{"name": "wait-for-postgres", "image": "busybox:1.36"}]
    held["status"]["initContainerStatuses"] = [
        {
            "name": "wait-for-postgres",
            "ready": False,
            "restartCount": 0,
            "state": state or {"running": {"startedAt": ts(started_minutes_ago)}},
        }
    ]
    return held


def test_an_init_container_running_for_long_holds_its_workload():
    stuck = initializing("airflow-web-7d9f8c6b5-x1", 40)
    logs = {("shop", "airflow-web-7d9f8c6b5-x1", "wait-for-postgres", False): "waiting for postgres:5432\n"}
    [found] = init_stuck.analyze(facts(deployment("airflow-web"), stuck, logs=logs))
    assert found.category is Category.Other and found.resource.name == "airflow-web"
    assert "stuck initializing: init container wait-for-postgres" in found.title
    assert "waiting for postgres:5432" in found.explanation and len(found.cites) == 2


def test_a_young_init_step_or_a_crash_looping_one_is_not_this():
    young = initializing("airflow-web-7d9f8c6b5-x2", 3)
    crashing = initializing("airflow-web-7d9f8c6b5-x3", 40, {"waiting": {"reason": "CrashLoopBackOff"}})
    assert init_stuck.analyze(facts(deployment("airflow-web"), young, crashing)) == []
