"""Measured answers over hand-built facts: when an event happened (occurrences), when trouble began
(onset signs: failing calls in the subject's own log lines, the working set at its limit)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.diagnose.facts import Facts
from app.diagnose.measure import _failed_calls, _memory_at_limit, occurrences
from app.diagnose.subject import subject_of
from tools.contracts.diagnosis import ResourceRef

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
