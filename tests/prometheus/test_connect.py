"""open_prometheus: a snapshot's metrics, a live URL, or the reason metrics are unavailable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devkit.om_fixture import CAPTURED_AT, write_openmetrics
from tools.contracts.settings import Settings
from tools.prometheus.connect import open_prometheus
from tools.snapshot.loader import load_snapshot

pytestmark = pytest.mark.prometheus


def _snapshot(root: Path, with_metrics: bool):
    root.mkdir()
    (root / "snapshot.yaml").write_text(
        "apiVersion: kubewhy/v1\nkind: ClusterSnapshot\nname: test\ncapturedAt: '2026-11-20T09:30:00Z'\n"
    )
    if with_metrics:
        (root / "metrics").mkdir()
        write_openmetrics(root / "metrics" / "cluster.om", only={"up"})
    return load_snapshot(root)


def test_a_snapshot_with_metrics_gets_a_local_prometheus_at_captured_at(tmp_path):
    snapshot = _snapshot(tmp_path / "snap", with_metrics=True)
    with open_prometheus(Settings(), snapshot) as (access, reason):
        assert reason is None
        assert float(access.query("time()")[0]["value"][1]) == CAPTURED_AT.timestamp()
        url = access.url
    with open_prometheus(Settings(prometheus_url=url), None) as (live, _):
        assert not live.ready()  # the local server was stopped on exit


def test_a_snapshot_without_metrics_or_binaries_is_unavailable_with_a_reason(tmp_path, monkeypatch):
    with open_prometheus(Settings(), _snapshot(tmp_path / "bare", with_metrics=False)) as (access, reason):
        assert access is None and reason == "the snapshot has no metrics/*.om files"
    snapshot = _snapshot(tmp_path / "snap", with_metrics=True)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with open_prometheus(Settings(), snapshot) as (access, reason):
        assert access is None
        assert reason.startswith("metrics unavailable: prometheus and promtool not found on PATH")
        assert "apt-get install prometheus" in reason


def test_live_mode_uses_the_configured_url_and_evaluates_now(local_prom):
    with open_prometheus(Settings(prometheus_url=None), None) as (access, reason):
        assert access is None and reason == "KUBEWHY_PROMETHEUS_URL is not set"
    with open_prometheus(Settings(prometheus_url=local_prom.url), None) as (access, reason):
        assert reason is None and access.fixed_time is None
        assert abs(float(access.query("time()")[0]["value"][1]) - time.time()) < 60


def test_a_malformed_url_is_a_reason_not_a_crash():
    with open_prometheus(Settings(prometheus_url="prometheus:9090"), None) as (access, reason):
        assert access is None
        assert reason == (
            "KUBEWHY_PROMETHEUS_URL: Prometheus URL must be http(s)://host[:port][/prefix], "
            "got 'prometheus:9090'"
        )
