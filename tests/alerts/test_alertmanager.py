"""End to end with the real thing: Prometheus evaluates an alerting rule over the demo snapshot's samples,
Debian's Alertmanager groups the alert and posts its webhook with a bearer token to a real ``kubewhy
alerts`` process, and the (mock) Slack API receives the thread with the demo's culprit; Alertmanager's
repeat edits that thread, and the resolution is posted in it.

Prometheus evaluates rules at the wall clock, and the demo's samples end at the snapshot's capturedAt
(days ago). The rule is kube-prometheus' crash-loop rule over the backfilled series, shifted with
``offset`` by the snapshot's age: it fires on the pods that were in CrashLoopBackOff at capturedAt, with
their real labels (namespace, pod, container). Resolving it rewrites the rule to a threshold no sample
reaches and reloads Prometheus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from devkit.mock_slack import MockSlack

from .conftest import CHANNEL, DEMO, TOKEN
from .stack import ALERTMANAGER, alertmanager, free_port, kubewhy, prometheus_with_rules
from .test_threads import blocks_text

pytestmark = pytest.mark.skipif(
    ALERTMANAGER is None, reason="needs prometheus-alertmanager (apt-get install)"
)

RULE = """groups:
  - name: kubewhy-demo
    interval: 1s
    rules:
      - alert: KubePodCrashLooping
        expr: >-
          max_over_time(kube_pod_container_status_waiting_reason{{reason="CrashLoopBackOff"}}[30m]
          offset {offset}s) >= {threshold}
        labels: {{severity: warning}}
        annotations:
          summary: Pod is crash looping.
          description: >-
            Pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} ({{{{ $labels.container }}}})
            is in waiting state (reason: "CrashLoopBackOff").
"""


def truth(problem: str) -> dict:
    doc = yaml.safe_load((Path(DEMO).parent / "shop_truth.yaml").read_text())
    return next(p for p in doc["problems"] if p["id"] == problem)


def test_alertmanager_webhook_to_slack_thread(slack: MockSlack, tmp_path: Path) -> None:
    culprit = truth("payments-crashloop")["culprit"]
    captured = datetime.fromisoformat(yaml.safe_load((DEMO / "snapshot.yaml").read_text())["capturedAt"])
    offset = int(datetime.now(UTC).timestamp() - captured.timestamp())
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "KUBEWHY_SLACK_API_URL": slack.url,
        "KUBEWHY_LLM": "none",
        "KUBEWHY_DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}",
        "KUBEWHY_ALERTS_CHANNEL": CHANNEL,
        "KUBEWHY_ALERTS_TOKEN": TOKEN,
    }
    metrics = sorted((DEMO / "metrics").glob("*.om"))
    am_port = free_port()
    with (
        kubewhy(["alerts", "--port", "0", "--snapshot", str(DEMO)], env) as [webhook],
        alertmanager(am_port, webhook, TOKEN),
        prometheus_with_rules(metrics, RULE.format(offset=offset, threshold=1), am_port) as (prom, rules),
    ):
        calls = slack.wait_for(lambda cs: _answer(cs) is not None, timeout=120)
        roots = [c for c in calls if c.method == "chat.postMessage" and not c.params.get("thread_ts")]
        assert len(roots) == 1
        ts = roots[0].answer["ts"]
        answer = _answer(calls)
        assert answer.params["thread_ts"] == ts
        fix = f"fix *{culprit['kind']} {culprit['namespace']}/{culprit['name']}*"
        assert fix in blocks_text(answer)
        assert "FIRING" in blocks_text(roots[0]) and "KubePodCrashLooping" in blocks_text(roots[0])
        assert "/graph?g0.expr=" in blocks_text(roots[0])  # the link back to the rule in Prometheus

        # Alertmanager repeats the group every repeat_interval: the root is edited, nothing new is posted
        slack.wait_for(lambda cs: any("notification 2" in blocks_text(c) for c in _edits(cs, ts)), timeout=60)
        assert len([c for c in slack.of("chat.postMessage") if not c.params.get("thread_ts")]) == 1

        rules.write_text(RULE.format(offset=offset, threshold=1000))
        assert httpx.post(f"{prom}/-/reload", timeout=10, trust_env=False).status_code == 200
        resolved = slack.wait_for(
            lambda cs: any("*Resolved*" in c.params.get("text", "") for c in _in_thread(cs, ts)), timeout=90
        )
        note = next(c for c in _in_thread(resolved, ts) if "*Resolved*" in c.params.get("text", ""))
        assert "KubePodCrashLooping" in note.params["text"]
        slack.wait_for(lambda cs: any("RESOLVED" in blocks_text(c) for c in _edits(cs, ts)), timeout=30)
        assert len([c for c in slack.of("chat.postMessage") if not c.params.get("thread_ts")]) == 1
        assert slack.errors() == []


def _answer(calls):
    return next(
        (
            c
            for c in calls
            if c.method == "chat.postMessage" and " · fix *" in str(c.params.get("blocks", ""))
        ),
        None,
    )


def _edits(calls, ts: str):
    return [c for c in calls if c.method == "chat.update" and c.params.get("ts") == ts]


def _in_thread(calls, ts: str):
    return [c for c in calls if c.method == "chat.postMessage" and c.params.get("thread_ts") == ts]
