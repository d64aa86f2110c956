"""Recorded-style notifications straight to the receiver (fast): the thread a group gets, what a repeat,
a change and a resolution do to it, the storm guard, the routing table, and the record in the history."""

from __future__ import annotations

import json
import time

from app.store import open_store
from devkit.alert_payloads import alert, notification, resolved, send
from devkit.mock_slack import Call, MockSlack
from tools.contracts.settings import AlertRoute

from .conftest import CHANNEL, TOKEN, ReceiverFactory

PAYMENTS_POD = "payments-lm2kvkchd7-d9zdb"


def crash(pod: str = PAYMENTS_POD) -> dict:
    return alert(
        "KubePodCrashLooping",
        namespace="shop",
        pod=pod,
        container="payments",
        summary="Pod is crash looping.",
    )


def roots(slack: MockSlack, channel: str = CHANNEL) -> list[Call]:
    posted = slack.of("chat.postMessage", channel)
    return [c for c in posted if not c.params.get("thread_ts") and c.answer.get("ok")]


def root_edits(slack: MockSlack, ts: str) -> list[Call]:
    return [c for c in slack.of("chat.update") if c.params.get("ts") == ts]


def blocks_text(call: Call) -> str:
    blocks = call.params.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    return "\n".join(
        (b.get("text") or {}).get("text", "") + "".join(e.get("text", "") for e in b.get("elements", []))
        for b in blocks
    )


def test_a_firing_group_gets_one_thread_with_the_culprit(
    make_receiver: ReceiverFactory, slack: MockSlack
) -> None:
    receiver = make_receiver()
    answer = send(receiver.url, notification([crash()]), TOKEN)
    assert answer.status_code == 200
    assert answer.json()["status"] == "investigating"
    assert answer.elapsed.total_seconds() < 3  # answered before the investigation
    receiver.idle()
    assert slack.errors() == []
    [root] = roots(slack)
    ts = root.answer["ts"]
    first = blocks_text(root)
    assert "FIRING" in first and "KubePodCrashLooping" in first and "Investigating" in first
    assert "prometheus.monitoring:9090/graph" in first  # the link back to generatorURL
    assert "kube-state-metrics" not in first  # scrape labels are not the alert's subject
    thread = slack.thread(CHANNEL, ts)
    answers = [c for c in thread if " · fix *" in str(c.params.get("blocks", ""))]
    assert answers, [c.params.get("text", "")[:80] for c in thread]
    found = blocks_text(answers[0])
    assert "fix *Deployment shop/payments*" in found  # the culprit: the pod's workload, from its owners
    assert "STRIPE_API_KEY" in found  # with the evidence that shows it
    final = root_edits(slack, ts)[-1]
    text = blocks_text(final)
    assert "deployment shop/payments" in text  # what the group is about, placed on the workload
    assert "payments keeps crashing" in text  # the direct answer on the root
    [run] = open_store(receiver.settings).list_runs(surface="alerts")
    assert run.question.startswith("why is deployment payments in namespace shop crash looping?")
    assert run.user == "alertmanager:kubewhy" and run.top_category == "AppCrash"
    assert open_store(receiver.settings).audit(run_id=run.id)  # the tool calls are in the audit log


def test_repeat_change_and_resolution_stay_in_the_thread(
    make_receiver: ReceiverFactory, slack: MockSlack
) -> None:
    receiver = make_receiver()
    group = notification([crash()])
    send(receiver.url, group, TOKEN)
    receiver.idle()
    [root] = roots(slack)
    ts = root.answer["ts"]
    thread_before = len(slack.thread(CHANNEL, ts))

    assert send(receiver.url, group, TOKEN).json()["status"] == "repeat"  # Alertmanager's repeat_interval
    receiver.idle()
    assert len(slack.thread(CHANNEL, ts)) == thread_before  # nothing new is posted
    assert "notification 2" in blocks_text(root_edits(slack, ts)[-1])

    grown = notification([crash(), crash("payments-vs97gp7gv-ljh24")])
    assert send(receiver.url, grown, TOKEN).json()["status"] == "reinvestigating"
    receiver.idle()
    notes = [
        c
        for c in slack.thread(CHANNEL, ts)
        if "What changed since the last investigation" in c.params["text"]
    ]
    assert len(notes) == 1
    assert "New alerts in the group: KubePodCrashLooping payments-vs97gp7gv-ljh24" in notes[0].params["text"]
    assert "The findings are the same as before" in notes[0].params["text"]

    assert send(receiver.url, resolved(grown), TOKEN).json()["status"] == "resolved"
    receiver.idle()
    last = slack.thread(CHANNEL, ts)[-1].params["text"]
    assert last.startswith(":white_check_mark: *Resolved* at 2026-11-20 10:05:00 UTC")
    assert "Not investigated again" in last
    assert "RESOLVED" in blocks_text(root_edits(slack, ts)[-1])
    assert len(roots(slack)) == 1  # one thread for the whole life of the group
    assert (
        open_store(receiver.settings).count_runs() == 2
    )  # the first and the changed group; not the resolution


def test_resolved_is_investigated_again_when_configured(
    make_receiver: ReceiverFactory, slack: MockSlack
) -> None:
    receiver = make_receiver(alerts_investigate_resolved=True)
    group = notification([crash()])
    send(receiver.url, group, TOKEN)
    receiver.idle()
    assert send(receiver.url, resolved(group), TOKEN).json() == {
        "status": "resolved",
        "detail": "investigating again",
    }
    receiver.idle()
    [root] = roots(slack)
    texts = [c.params["text"] for c in slack.thread(CHANNEL, root.answer["ts"])]
    assert any("Investigating again to compare" in t for t in texts)
    assert any("What changed since the last investigation" in t for t in texts)
    assert open_store(receiver.settings).count_runs() == 2


def test_a_group_of_500_alerts_is_one_thread(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver()
    storm = notification([crash(f"payments-lm2kvkchd7-{n:05d}") for n in range(500)])
    assert send(receiver.url, storm, TOKEN).json()["status"] == "investigating"
    receiver.idle()
    [root] = roots(slack)
    text = blocks_text(root_edits(slack, root.answer["ts"])[-1])
    assert "… and 490 more alerts in this group" in text
    [run] = open_store(receiver.settings).list_runs()
    assert run.question.startswith("why are 500 pods in namespace shop crash looping?")


def test_a_storm_of_groups_gets_one_summary_thread(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver(alerts_per_minute=2)
    if time.time() % 60 > 50:  # the budget is per minute: do not let the storm straddle two minutes
        time.sleep(61 - time.time() % 60)
    outcomes = []
    for n in range(30):
        group = notification([crash(f"pod-{n}")], group_by=("alertname", "pod"))
        outcomes.append(send(receiver.url, group, TOKEN).json()["status"])
    assert outcomes.count("investigating") == 2 and outcomes.count("storm") == 28
    receiver.handler.storm.flush()
    receiver.idle()
    threads = roots(slack)
    assert len(threads) == 3  # two investigated groups and one storm thread
    storm_root = next(c for c in threads if "Alert storm" in c.params["text"])
    listed = "\n".join(c.params["text"] for c in slack.thread(CHANNEL, storm_root.answer["ts"]))
    assert listed.count("KubePodCrashLooping") == 28
    assert "28 groups" in root_edits(slack, storm_root.answer["ts"])[-1].params["text"]


def test_a_group_changing_too_often_is_held_back_once_then_investigated(
    make_receiver: ReceiverFactory, slack: MockSlack
) -> None:
    receiver = make_receiver(alerts_group_interval_s=8.0)
    started = time.monotonic()
    send(receiver.url, notification([crash()]), TOKEN)
    receiver.idle()
    grown = notification([crash(), crash("payments-vs97gp7gv-ljh24")])
    assert send(receiver.url, grown, TOKEN).json()["status"] == "rate-limited"
    assert send(receiver.url, grown, TOKEN).json()["status"] == "rate-limited"  # not taken as done
    receiver.idle()
    [root] = roots(slack)
    held = [
        c
        for c in slack.thread(CHANNEL, root.answer["ts"])
        if "investigated less than 8 s ago" in c.params["text"]
    ]
    assert len(held) == 1  # said once, not once per notification
    assert open_store(receiver.settings).count_runs() == 1
    time.sleep(max(0.0, 8.5 - (time.monotonic() - started)))
    assert send(receiver.url, grown, TOKEN).json()["status"] == "reinvestigating"  # Alertmanager's next one
    receiver.idle()
    assert open_store(receiver.settings).count_runs() == 2


def test_a_thread_slack_refused_is_tried_again(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver()
    slack.failures["chat.postMessage"] = "not_in_channel"
    group = notification([crash()])
    assert send(receiver.url, group, TOKEN).json()["status"] == "investigating"
    receiver.idle()
    assert open_store(receiver.settings).count_runs() == 0
    del slack.failures["chat.postMessage"]
    assert (
        send(receiver.url, group, TOKEN).json()["status"] == "investigating"
    )  # not a repeat: nothing was done
    receiver.idle()
    assert len(roots(slack)) == 1 and open_store(receiver.settings).count_runs() == 1


def test_routing_table_and_unplaced_alerts(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    routes = [
        AlertRoute(channel="C0DATA", namespace="data"),
        AlertRoute(channel="#C0PAGER", match={"severity": "critical"}),
        AlertRoute(channel="C0OTHER", receiver="someone-else"),
    ]
    receiver = make_receiver(alerts_routes=routes)
    data = notification(
        [alert("KubeQuotaAlmostFull", namespace="data", resourcequota="compute", scrape=False)]
    )
    send(receiver.url, data, TOKEN)
    critical = notification(
        [alert("KubeAPIDown", severity="critical", scrape=False)], group_by=("alertname",)
    )
    send(receiver.url, critical, TOKEN)
    receiver.idle()
    [data_root] = roots(slack, "C0DATA")
    assert "About namespace data" in blocks_text(data_root)
    assert "health review" in blocks_text(data_root)
    [pager_root] = roots(slack, "C0PAGER")
    assert "About the whole cluster" in blocks_text(pager_root)
    assert roots(slack, CHANNEL) == [] and roots(slack, "C0OTHER") == []
    questions = sorted(run.question for run in open_store(receiver.settings).list_runs())
    assert questions[0].startswith("what is wrong in namespace data? (alert KubeQuotaAlmostFull")
    assert questions[1].startswith("what is wrong in the cluster? (alert KubeAPIDown")


def test_alert_text_is_inert_in_slack(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver()
    hostile = alert(
        "KubePodCrashLooping",
        namespace="shop",
        pod=PAYMENTS_POD,
        summary="<!channel> see <http://evil.example|here> & token=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    )
    send(receiver.url, notification([hostile]), TOKEN)
    receiver.idle()
    messages = "\n".join(c.text for c in slack.calls if c.method in ("chat.postMessage", "chat.update"))
    assert "&lt;!channel&gt;" in messages  # shown, as text
    assert "<!channel>" not in messages and "<http://evil.example|here>" not in messages
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in slack.everything()  # redacted everywhere


def test_a_mention_in_the_alert_thread_follows_up_on_the_investigation(
    make_receiver: ReceiverFactory, slack: MockSlack, demo_pool, tmp_path
) -> None:
    from app.slack.bot import create_bot
    from devkit.slack_requests import SECRET, bolt_request, mention

    from .conftest import alert_settings

    receiver = make_receiver(database=tmp_path / "shared.db")
    send(receiver.url, notification([crash()]), TOKEN)
    receiver.idle()
    [root] = roots(slack)
    ts = root.answer["ts"]
    bot = create_bot(
        alert_settings(tmp_path / "shared.db", slack.url, slack_signing_secret=SECRET), pool=demo_pool
    )  # another process, as far as it knows: it shares only the database
    try:
        body, _ = mention(CHANNEL, "U0ONCALL", "what does its log say?", thread_ts=ts)
        bot.app.dispatch(bolt_request(body))
        assert bot.executor.wait_idle(120)
    finally:
        bot.close()
    acks = [c.params["text"] for c in slack.thread(CHANNEL, ts) if "Looking into it" in c.params["text"]]
    assert len(acks) == 1 and "(follow-up)" in acks[0]
    [follow_up] = open_store(receiver.settings).list_runs(surface="slack")
    assert follow_up.question == "what does its log say?"
