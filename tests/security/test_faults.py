"""Faults: each data source failing in its own way — the Kubernetes API hanging, refusing some kinds (403)
or throttling (429), Prometheus down, Hubble Relay unreachable, the model timing out — gives a partial
diagnosis that names what is missing, within bounded time. Faults come from real local servers: a fault
proxy in front of the snapshot API server, closed ports, a scripted model that answers too late."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.agent.loop import run_agent
from app.diagnose.engine import diagnose
from tests.agent.scripted_server import Slow
from tests.security.fault_proxy import Fault, FaultProxy, Rule, throttle
from tests.security.sec_support import model_settings, start_model
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.flows.connect import open_flow_source
from tools.kubernetes.access import KubeAccess
from tools.prometheus.client import PrometheusAccess
from tools.snapshot.kubeconfig import write_kubeconfig

QUESTION = "why is checkout failing?"
FORBIDDEN = (
    b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,'
    b'"message":"secrets is forbidden: User \\"system:serviceaccount:kubewhy:kubewhy\\" cannot list"}'
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resources(*plurals: str) -> re.Pattern[str]:
    """A list or get of these resource types (not a discovery document that merely shares the word)."""
    return re.compile(r"/(" + "|".join(plurals) + r")(/[^/?]+)?(\?|$)")


def forbid(*plurals: str) -> Rule:
    pattern = resources(*plurals)
    return lambda method, path, count: (
        Fault(403, {"Content-Type": "application/json"}, FORBIDDEN) if pattern.search(path) else None
    )


def hang(*plurals: str, seconds: float = 30.0) -> Rule:
    pattern = resources(*plurals)
    return lambda method, path, count: Fault(hang_s=seconds) if pattern.search(path) else None


@contextmanager
def faulty_cluster(
    evil, tmp_path: Path, rule: Rule | None, **sources
) -> Iterator[tuple[ToolContext, FaultProxy]]:
    with FaultProxy(evil.server.url, rule) as proxy:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", proxy.url, "evil-prod")
        kube = KubeAccess.from_kubeconfig(str(kubeconfig))
        kube.timeout = (1.0, 1.5)  # a hung API server costs 1.5 s per read here (30 s by default)
        ctx = ToolContext(
            settings=sources.pop("settings", None) or Settings(llm="none"),
            kube=kube,
            prometheus=sources.get("prometheus", evil.prometheus),
            flows=sources.get("flows", evil.flows),
            cluster_name="evil-prod",
            fixed_now=evil.server.snapshot.meta.captured_at,
        )
        try:
            yield ctx, proxy
        finally:
            kube.close()


def timed(run) -> tuple[Diagnosis, float]:
    started = time.monotonic()
    diagnosis = run()
    return diagnosis, time.monotonic() - started


def still_finds_the_crash(diagnosis: Diagnosis) -> None:
    assert diagnosis.contract_problems() == []
    top = diagnosis.findings[0]  # what the remaining sources show still points at the culprit
    assert (top.resource.kind, top.resource.namespace, top.resource.name) == (
        "Deployment",
        "shop",
        "checkout",
    )


def test_403_on_some_kinds_is_named_in_the_answer(evil, tmp_path):
    with faulty_cluster(evil, tmp_path, forbid("secrets", "events", "networkpolicies")) as (ctx, proxy):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    for kind in ("Secret", "Event", "NetworkPolicy"):
        assert f"could not read {kind}" in diagnosis.summary, diagnosis.summary
    assert "forbidden" in diagnosis.summary and "deploy/rbac.yaml" in diagnosis.summary
    assert sum(1 for seen in proxy.seen if seen.status == 403) >= 3
    assert seconds < 20


def test_a_hanging_api_server_is_named_and_bounded(evil, tmp_path):
    with faulty_cluster(evil, tmp_path, hang("events")) as (ctx, proxy):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "could not read Event" in diagnosis.summary and "timed out" in diagnosis.summary
    assert any(seen.status == 0 for seen in proxy.seen)  # the proxy really held a request
    assert seconds < 20


def test_throttling_is_retried_after_the_servers_delay(evil, tmp_path):
    rule = throttle("/pods?", times=2, retry_after="1")  # the pod lists, not each log
    with faulty_cluster(evil, tmp_path, rule) as (ctx, proxy):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "could not read Pod" not in diagnosis.summary and "rate limit" not in diagnosis.summary
    by_path: dict[str, list] = {}
    for seen in proxy.seen:
        by_path.setdefault(seen.path, []).append(seen)
    retried = [calls for calls in by_path.values() if [c.status for c in calls[:3]] == [429, 429, 200]]
    assert retried, {p: [c.status for c in calls] for p, calls in by_path.items() if "/pods" in p}
    for calls in retried:
        assert calls[1].at - calls[0].at >= 0.9 and calls[2].at - calls[1].at >= 0.9  # Retry-After: 1
    assert seconds < 30


def test_throttling_that_never_ends_gives_up_in_bounded_time(evil, tmp_path):
    rule = throttle("/events?", times=10_000, retry_after="3600")  # the server asks for an hour
    with faulty_cluster(evil, tmp_path, rule) as (ctx, _proxy):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "could not read Event" in diagnosis.summary and "rate limiting" in diagnosis.summary
    assert seconds < 30  # two retries, each waiting at most 2 s, per events read


def test_prometheus_down_is_named(evil, tmp_path):
    down = PrometheusAccess(f"http://127.0.0.1:{closed_port()}")
    with faulty_cluster(evil, tmp_path, None, prometheus=down) as (ctx, _):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "prometheus" in diagnosis.summary.lower() and "not reachable" in diagnosis.summary
    assert seconds < 20


def test_hubble_relay_unreachable_is_named(evil, tmp_path):
    relay = open_flow_source(Settings(hubble_address=f"127.0.0.1:{closed_port()}"))
    with faulty_cluster(evil, tmp_path, None, flows=relay) as (ctx, _):
        diagnosis, seconds = timed(lambda: diagnose(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "Hubble Relay" in diagnosis.summary and "unreachable" in diagnosis.summary
    assert seconds < 20


def test_a_model_that_times_out_gives_the_diagnosticians_answer_in_time(evil, tmp_path, models):
    model = start_model(models, [Slow(seconds=60)] * 3)
    settings = model_settings(model, request_timeout_s=1.0, question_timeout_s=4.0)
    with faulty_cluster(evil, tmp_path, None, settings=settings) as (ctx, _):
        diagnosis, seconds = timed(lambda: run_agent(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert (
        diagnosis.summary.startswith("[Fallback:") and "built-in diagnostician answered" in diagnosis.summary
    )
    assert re.search(r"tim(ed|e) ?out|time budget|timeout", diagnosis.summary, re.IGNORECASE), (
        diagnosis.summary
    )
    assert seconds < 15


def test_a_model_and_an_api_server_failing_together_still_answer(evil, tmp_path, models):
    model = start_model(models, [Slow(seconds=60)] * 3)
    settings = model_settings(model, request_timeout_s=1.0, question_timeout_s=4.0)
    down = PrometheusAccess(f"http://127.0.0.1:{closed_port()}")
    with faulty_cluster(evil, tmp_path, forbid("secrets", "events"), settings=settings, prometheus=down) as (
        ctx,
        _,
    ):
        diagnosis, seconds = timed(lambda: run_agent(ctx, QUESTION))
    still_finds_the_crash(diagnosis)
    assert "could not read Event" in diagnosis.summary and "not reachable" in diagnosis.summary
    assert seconds < 20
