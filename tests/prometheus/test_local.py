"""The snapshot Prometheus: backfill, start, evaluate at capturedAt, stop and clean up, missing binaries."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devkit.om_fixture import CAPTURED_AT, END, START, write_openmetrics
from tools.prometheus.local import (
    BackfillFailed,
    PrometheusUnavailable,
    find_binaries,
    start_local_prometheus,
)

pytestmark = pytest.mark.prometheus


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """This test's own temporary directory root, so parallel workers' servers do not show up."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _our_tempdirs() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("kubewhy-prometheus-")}


def test_backfilled_samples_are_served_at_captured_at_on_loopback(local_prom):
    assert local_prom.url.startswith("http://127.0.0.1:")
    access = local_prom.access()
    assert access.ready()
    [now] = access.query("time()")
    assert float(now["value"][1]) == END
    [oldest] = access.query("timestamp(container_memory_working_set_bytes{pod=~`web.*`} offset 2h)")
    assert float(oldest["value"][1]) == START
    [available] = access.query('kube_deployment_status_replicas_available{deployment="checkout"}')
    assert available["value"][1] == "1"


def test_one_promtool_call_per_file_all_files_are_queryable(tmp_path):
    first = write_openmetrics(tmp_path / "ksm.om", only={"kube_deployment_spec_replicas"})
    second = write_openmetrics(tmp_path / "cadvisor.om", only={"container_memory_working_set_bytes"})
    with start_local_prometheus([first, second], CAPTURED_AT) as server:
        names = server.access().metric_names(CAPTURED_AT.replace(hour=7), CAPTURED_AT)
    assert names == ["container_memory_working_set_bytes", "kube_deployment_spec_replicas"]


def test_stop_ends_the_server_and_removes_its_data(tmp_path, private_tmp):
    metrics = write_openmetrics(tmp_path / "m.om", only={"up"})
    server = start_local_prometheus([metrics], CAPTURED_AT)
    assert server.workdir.name in _our_tempdirs()
    assert _listening(server.url) and server.running
    server.stop()
    assert not server.running
    assert not server.workdir.exists()
    assert not _listening(server.url)
    server.stop()  # idempotent


def test_missing_binaries_raise_unavailable_with_the_install_hint(tmp_path, monkeypatch, private_tmp):
    metrics = write_openmetrics(tmp_path / "m.om", only={"up"})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrometheusUnavailable) as caught:
        start_local_prometheus([metrics], CAPTURED_AT)
    assert "prometheus and promtool not found on PATH" in str(caught.value)
    assert "apt-get install prometheus" in caught.value.hint
    assert _our_tempdirs() == set()


def test_a_missing_promtool_alone_is_named(tmp_path, monkeypatch):
    only_server = tmp_path / "bin"
    only_server.mkdir()
    (only_server / "prometheus").symlink_to(shutil.which("prometheus"))
    monkeypatch.setenv("PATH", str(only_server))
    with pytest.raises(PrometheusUnavailable, match=r"^promtool not found on PATH; install"):
        find_binaries()


def test_a_bad_metrics_file_is_named_and_nothing_is_left_behind(tmp_path, private_tmp):
    good = write_openmetrics(tmp_path / "good.om", only={"up"})
    bad = tmp_path / "broken.om"
    bad.write_text('up{job="x"} 1 1700000000\nthis is not openmetrics\n')
    with pytest.raises(BackfillFailed, match=r"^broken\.om: promtool could not import") as caught:
        start_local_prometheus([good, bad], CAPTURED_AT)
    assert "timestamps in seconds" in caught.value.hint
    assert _our_tempdirs() == set()


def test_no_metrics_files_is_unavailable_not_a_crash():
    with pytest.raises(PrometheusUnavailable, match="no metrics"):
        start_local_prometheus([], CAPTURED_AT)


def test_the_server_refuses_admin_and_lifecycle_even_without_kubewhy_guard(local_prom):
    """Defence in depth: the local server is started without --web.enable-admin-api/-lifecycle."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for path in ("/api/v1/admin/tsdb/snapshot", "/-/quit"):
        request = urllib.request.Request(local_prom.url + path, method="POST")
        with pytest.raises(urllib.error.HTTPError):
            opener.open(request, timeout=5)
    assert local_prom.running and local_prom.access().ready()


def test_the_fixture_follows_the_backfill_rules(tmp_path):
    # The fixture writes seconds-resolution timestamps and ends with # EOF (promtool requirements).
    text = write_openmetrics(Path(tmp_path / "x.om"), only={"up"}).read_text()
    assert text.endswith("# EOF\n")
    assert f" {END}\n" in text
