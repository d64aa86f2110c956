"""Benchmark the Alertmanager receiver on the demo cluster: how fast a notification gets its Slack thread
and its diagnosis, and how many notifications a second an alert storm is taken at.

    python bench/bench_alerts.py [--snapshot app/demo/shop] [--groups 20] [--storm 500]

The receiver runs as ``kubewhy alerts`` does (its WSGI app on a threaded server on 127.0.0.1, the
built-in diagnostician, the history in a SQLite file) and posts to a local recording Slack Web API
(``devkit/mock_slack.py``). Notifications are shaped as Alertmanager 0.25 sends them for the
kube-prometheus rules (``devkit/alert_payloads.py``) and sent over HTTP with the bearer token.

Reported:
- latency, one group at a time (each a new groupKey, crash-looping demo pods; no per-minute budget so
  every group is investigated): the HTTP answer to
  Alertmanager, the first thread message (the root), and the diagnosis posted in the thread (median, p95);
  the cluster's first opening (snapshot server + Prometheus) separately;
- storm: ``--storm`` groups sent as fast as 8 senders can, with the default budget of
  KUBEWHY_ALERTS_PER_MINUTE investigations: notifications a second, how many became threads, and the time
  until every group is in Slack (investigated or listed in the storm thread); then one notification
  carrying ``--storm`` alerts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.alerts.service import alerts_server, create_handler  # noqa: E402
from devkit.alert_payloads import alert, notification, send  # noqa: E402
from devkit.mock_slack import MockSlack  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402

CHANNEL, TOKEN = "C0BENCH", "bench-token"
PODS = ["payments-lm2kvkchd7-d9zdb", "recommendations-5hpk6nsgx8-5525q", "cart-vwkph4t29-8lfpd"]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def receiver(settings: Settings):
    handler = create_handler(settings)
    server = alerts_server(handler, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return handler, server, f"http://127.0.0.1:{server.server_address[1]}/alertmanager"


def roots(slack: MockSlack) -> list:
    return [c for c in slack.of("chat.postMessage", CHANNEL) if not c.params.get("thread_ts")]


def latency(settings: Settings, slack: MockSlack, groups: int) -> None:
    handler, server, url = receiver(settings)
    try:
        started = time.monotonic()
        handler.pool.session(handler.pool.default)
        print(f"cluster opened (snapshot server + Prometheus): {ms(time.monotonic() - started)}")
        answered, first, diagnosed = [], [], []
        for n in range(groups):
            pod = PODS[n % len(PODS)]
            group = notification([alert("KubePodCrashLooping", namespace="shop", pod=pod, run=str(n))],
                                 group_by=("alertname", "namespace", "run"))  # fmt: skip
            before = len(roots(slack))
            sent = time.monotonic()
            response = send(url, group, TOKEN)
            answered.append(time.monotonic() - sent)
            assert response.json()["status"] == "investigating", response.text
            assert handler.executor.wait_idle(120)
            root = roots(slack)[before]
            thread = slack.thread(CHANNEL, root.answer["ts"])
            answer = next(c for c in thread if "Most likely cause" in c.params.get("text", ""))
            first.append(root.at - sent)
            diagnosed.append(answer.at - sent)
        print(f"\n{groups} alert groups, one at a time (median / p95):")
        for name, values in (
            ("HTTP answer to Alertmanager", answered),
            ("first thread message (root)", first),
            ("diagnosis posted in the thread", diagnosed),
        ):
            print(f"  {name:34} {ms(statistics.median(values)):>8} / {ms(p95(values))}")
    finally:
        server.shutdown()
        handler.close()


def storm(settings: Settings, slack: MockSlack, groups: int) -> None:
    handler, server, url = receiver(settings)
    try:
        handler.pool.session(handler.pool.default)
        one = notification(
            [alert("KubePodNotReady", namespace="shop", pod=f"web-{n}") for n in range(groups)]
        )
        sent = time.monotonic()
        answer = send(url, one, TOKEN)
        assert handler.executor.wait_idle(300)
        print(f"one notification with {groups} alerts ({len(answer.request.content) / 1e6:.2f} MB), "
              f"{answer.json()['status']}:")  # fmt: skip
        print(f"  HTTP answer                      {ms(answer.elapsed.total_seconds()):>8}")
        print(
            f"  investigated and posted after    {ms(time.monotonic() - sent):>8}, "
            f"threads: {len(roots(slack))}\n"
        )
        slack.clear()
        by_pod = ("alertname", "pod")
        bodies = [notification([alert("KubePodNotReady", namespace="shop", pod=f"web-{n}")], group_by=by_pod)
                  for n in range(groups)]  # fmt: skip
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda body: send(url, body, TOKEN).json()["status"], bodies))
        taken = time.monotonic() - started
        handler.storm.flush()
        assert handler.executor.wait_idle(600)
        done = time.monotonic() - started
        listed = sum(c.params.get("text", "").count("KubePodNotReady") for c in slack.of("chat.postMessage")
                     if c.params.get("thread_ts") and "·" in c.params.get("text", ""))  # fmt: skip
        print(
            f"\nstorm: {groups} alert groups from 8 senders, "
            f"KUBEWHY_ALERTS_PER_MINUTE={settings.alerts_per_minute}"
        )
        print(f"  notifications taken              {groups / taken:8.0f} /s ({ms(taken)} for all)")
        print(f"  investigated (own thread)        {statuses.count('investigating'):8d}")
        print(f"  listed in the storm thread       {statuses.count('storm'):8d} ({listed} lines posted)")
        print(f"  threads opened in the channel    {len(roots(slack)):8d}")
        print(f"  every group in Slack after       {ms(done):>8}")
    finally:
        server.shutdown()
        handler.close()


def bench_settings(snapshot: str, database: Path, slack: MockSlack, per_minute: int = 10) -> Settings:
    return Settings(
        llm="none",
        snapshot=snapshot,
        database_url=f"sqlite:///{database}",
        slack_bot_token="xoxb-bench",
        slack_api_url=slack.url,
        alerts_channel=CHANNEL,
        alerts_token=TOKEN,
        alerts_per_minute=per_minute,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", default=str(ROOT / "app" / "demo" / "shop"))
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--storm", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubewhy-bench-alerts-") as work:
        with MockSlack() as slack:
            latency(bench_settings(args.snapshot, Path(work) / "latency.db", slack, 0), slack, args.groups)
        with MockSlack() as slack:
            storm(bench_settings(args.snapshot, Path(work) / "storm.db", slack), slack, args.storm)


if __name__ == "__main__":
    main()
