"""Measured answers over hand-built facts: when an event happened (occurrences), when trouble began
(onset signs: failing calls in the subject's own log lines, the working set at its limit) and what changed
before an onset (a Service's request rate stepping up or collapsing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.diagnose.candidate import Candidate
from app.diagnose.cite import tool_call_for
from app.diagnose.facts import Facts
from app.diagnose.measure import _failed_calls, _memory_at_limit, changes_before, occurrences
from app.diagnose.subject import subject_of
from tools.contracts.diagnosis import Category, ResourceRef

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
CART = ResourceRef(kind="Deployment", namespace="shop", name="cart")


def pod(name: str, *, last: dict | None = None, restarts: int = 0) -> dict:
    status = {"name": "cart", "ready": True, "restartCount": restarts, "state": {"running": {}}}
    if last:
        status["lastState"] = {"terminated": last}
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "cart"}},
        "spec": {"containers": [{"name": "cart"}]},
        "status": {"phase": "Running", "containerStatuses": [status]},
    }


def facts(*pods: dict, logs: dict | None = None, metrics: dict | None = None) -> Facts:
    return Facts(
        now=NOW, objects={"Pod": list(pods), "Deployment": []}, logs=logs or {}, metrics=metrics or {}
    )


def test_an_old_oom_kill_is_on_record_with_its_time_and_a_restart_is_not_an_oom():
    oomed = pod(
        "cart-abc12-x1y2z",
        last={"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-20T08:00:00Z"},
    )
    crashed = pod(
        "cart-abc12-q9w8e", last={"reason": "Error", "exitCode": 1, "finishedAt": "2026-11-20T09:20:00Z"}
    )
    known = facts(oomed, crashed)
    subject = subject_of(CART, known)
    [oom] = occurrences(known, subject, "oom", [])
    assert oom.at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC) and "OOM-killed" in oom.what
    restarts = occurrences(known, subject, "restart", [])
    assert [m.at.hour for m in restarts] == [8, 9]  # both terminations are restarts, oldest first
    assert occurrences(known, subject, "evicted", []) == []


def test_failing_calls_in_the_subjects_own_log_lines_date_the_trouble():
    text = (
        "2026-11-20T09:14:30Z level=info msg=ok\n"
        '2026-11-20T09:15:02Z level=error msg="upstream failed" err="dial tcp 10.96.1.2:80: connect: '
        'connection refused"\n'
    )
    known = facts(pod("cart-abc12-x1y2z"), logs={("shop", "cart-abc12-x1y2z", "cart", False): text})
    [moment] = _failed_calls(known, subject_of(CART, known))
    assert moment.at == datetime(2026, 11, 20, 9, 15, 2, tzinfo=UTC)
    quiet = facts(
        pod("cart-abc12-x1y2z"), logs={("shop", "cart-abc12-x1y2z", "cart", False): "no stamps: refused"}
    )
    assert _failed_calls(quiet, subject_of(CART, quiet)) == []


def test_repeated_oom_kills_begin_when_the_working_set_first_reaches_its_limit():
    start = NOW.timestamp() - 3600
    values = [[start + 60 * i, str(0.4 if i < 20 else 0.93)] for i in range(40)]
    series = {
        "metric": {"namespace": "shop", "pod": "cart-abc12-x1y2z", "container": "cart"},
        "values": values,
    }
    known = facts(metrics={"memory_working_set_ratio": [series]})
    [moment] = _memory_at_limit(known, [CART])
    assert moment.at.timestamp() == start + 60 * 20


def rate_series(service: str, before: float, after: float, minutes_ago: int, namespace: str = "shop") -> dict:
    """A Service's request rate over the two hours before NOW, one sample a minute, stepping from
    ``before`` to ``after`` ``minutes_ago`` minutes before NOW over a 5-minute ramp (as rate() climbs),
    with a little noise."""
    values = []
    for minute in range(120, -1, -1):
        progress = min(max((minutes_ago - minute) / 5, 0.0), 1.0)
        noise = ((minute * 7) % 5 - 2) * 0.05 * max(before, after) / 30
        values.append([NOW.timestamp() - 60 * minute, str(before + (after - before) * progress + noise)])
    return {"metric": {"namespace": namespace, "service": service}, "values": values}


def traffic_facts(*series: dict) -> Facts:
    deployments = [
        {"kind": "Deployment", "metadata": {"name": n, "namespace": "shop"}} for n in ("catalog", "cart")
    ]
    return Facts(
        now=NOW, objects={"Pod": [], "Deployment": deployments}, metrics={"http_request_rate": list(series)}
    )


def test_a_request_rate_jump_before_the_onset_is_a_change_cited_by_the_request_rate_check():
    promotion = rate_series("catalog", 30, 75, minutes_ago=30)  # 09:00
    steady = rate_series("payments", 2.5, 2.5, minutes_ago=30)
    known = traffic_facts(promotion, steady)
    onset = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    [jump] = changes_before(known, onset, ["shop"])
    assert jump.kind == "traffic"
    assert jump.at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # the start of the ramp, not its middle
    assert "requests to Service shop/catalog rose from 30 to " in jump.what and "(75/s now)" in jump.what
    # the check that shows it reads the catalog workload's series, whatever finding cites it
    finding = Candidate(
        title="t", category=Category.ServiceNoEndpoints, resource=CART, confidence=0.9, explanation=""
    )
    assert jump.cite is not None and jump.cite.needle == 'service="catalog"'
    assert tool_call_for(jump.cite.ref, finding) == (
        "prom_check",
        {"check": "http_request_rate", "namespace": "shop", "workload": "catalog"},
    )
    # outside the window, or in a namespace not involved, it is not a change before this onset
    assert changes_before(known, onset + timedelta(minutes=45), ["shop"]) == []
    assert changes_before(known, onset, ["data"]) == []


def test_a_request_rate_that_collapses_is_a_change_and_small_moves_are_not():
    cut_off = rate_series("cart", 15, 0, minutes_ago=18)  # 09:12: callers cannot reach it
    wobble = rate_series("catalog", 10, 12, minutes_ago=18)  # +20%: ordinary variation
    quiet = rate_series("payments", 0.2, 0.6, minutes_ago=18)  # x3, but under one request a second
    found = changes_before(
        traffic_facts(cut_off, wobble, quiet), datetime(2026, 11, 20, 9, 14, tzinfo=UTC), ["shop"]
    )
    assert [m.what.split(" from ")[0] for m in found] == ["requests to Service shop/cart fell"]
    assert found[0].at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)


def test_a_crash_loop_whose_events_expired_is_dated_by_when_its_pod_stopped_being_ready():
    """A capture read hours later has no BackOff events left; the pod's Ready condition still says since
    when it is not ready, and that is the onset, however long ago."""
    from app.diagnose.measure import onset

    crashing = pod("cart-abc12-x1y2z", restarts=17)
    crashing["status"]["containerStatuses"][0]["ready"] = False
    since = NOW - timedelta(hours=5)
    crashing["status"]["conditions"] = [
        {"type": "Ready", "status": "False", "lastTransitionTime": since.strftime("%Y-%m-%dT%H:%M:%SZ")}
    ]
    known = facts(crashing)
    known.objects["Deployment"] = [
        {"kind": "Deployment", "metadata": {"name": "cart", "namespace": "shop"}, "spec": {}}
    ]
    crash = Candidate(
        title="cart keeps crashing",
        category=Category.AppCrash,
        resource=CART,
        confidence=0.9,
        explanation="",
        affected=[ResourceRef(kind="Pod", namespace="shop", name="cart-abc12-x1y2z")],
    )
    started = onset(known, [crash], subject_of(CART, known))
    assert started is not None and started.at == since and "not ready" in started.what


def test_a_pod_named_like_the_subject_but_owned_by_another_workload_is_not_counted():
    from app.diagnose.measure import status_checks
    from tests.diagnose.analyzers.factories import deployment, facts, pod

    rs = "keycloak-7d9f8c6b5"
    own = pod(f"{rs}-a1b2c", labels={"app": "keycloak"}, owner_rs=rs, ready=False)
    database = pod("keycloak-db-0", labels={"app": "keycloak-db"})
    database["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "keycloak-db", "controller": True}
    ]
    known = facts(deployment("keycloak", replicas=1, available=0), own, database)
    subject = subject_of(ResourceRef(kind="Deployment", namespace="shop", name="keycloak"), known)
    assert status_checks(known, subject).startswith("0/1 pods ready")
