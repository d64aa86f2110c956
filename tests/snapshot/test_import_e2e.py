"""A customer's support bundle, straight into `kubewhy ask` and the real kubectl: the bundle is imported
on the fly, served by the snapshot API server, and read through the official client and kubectl."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.snapshot.server import start_snapshot_server

from . import import_fixtures as fx
from .conftest import KUBECTL

KUBEWHY = [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundle")
    return fx.tar_gz(fx.support_bundle(root / "in"), root / "support-bundle-2026-11-20T09_30_12.tar.gz")


def _kubewhy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBEWHY_LLM": "none"}
    return subprocess.run(
        [*KUBEWHY, *args], capture_output=True, text=True, timeout=180, env=env, check=False
    )


def test_ask_names_the_pending_pods_unschedulable_cause(bundle: Path) -> None:
    result = _kubewhy("ask", "why is gpu-trainer pending?", "--snapshot", str(bundle), "--output", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # nothing but the document on stdout
    assert doc["answered_at"] == fx.NEWEST  # the inferred capture time is "now"
    top = doc["findings"][0]
    assert top["category"] == "InsufficientResources"
    assert top["resource"] == {"kind": "Deployment", "namespace": "shop", "name": "gpu-trainer"}
    assert "nvidia.com/gpu" in top["title"]
    assert "detected a troubleshoot.sh support bundle" in result.stderr
    assert f"capture time inferred from the newest timestamp: {fx.NEWEST}" in result.stderr


def test_text_answer_header_says_the_capture_time_is_inferred(bundle: Path) -> None:
    result = _kubewhy("ask", "why is gpu-trainer pending?", "--snapshot", str(bundle))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "(Snapshot support-bundle-2026-11-20T09_30_12: capture time inferred (2026-11-20 09:29:41"
    )


def test_kubectl_reads_the_imported_bundle(bundle: Path, tmp_path: Path) -> None:
    with start_snapshot_server(bundle) as server:
        base = [KUBECTL, "--kubeconfig", str(server.kubeconfig_path), "--cache-dir", str(tmp_path / "cache")]
        pods = subprocess.run(
            [*base, "get", "pods", "-A"], capture_output=True, text=True, timeout=60, check=False
        )
        previous = subprocess.run(
            [*base, "logs", "-n", "shop", "worker-7d4b9c-x2x9q", "--previous"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        certs = subprocess.run(
            [*base, "get", "certificates.cert-manager.io", "-n", "shop", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert pods.returncode == 0, pods.stderr
    rows = [re.split(r"\s{2,}", line.strip()) for line in pods.stdout.strip().splitlines()]
    status = {row[1]: row[3] for row in rows[1:]}
    assert status == {
        "gpu-trainer-6c9f7-qwert": "Pending",
        "web-5f6d8-abcde": "Running",
        "worker-7d4b9c-x2x9q": "CrashLoopBackOff",
    }
    assert previous.returncode == 0 and previous.stdout == "panic: DATABASE_URL is not set\n", previous.stderr
    assert certs.returncode == 0 and certs.stdout.split() == ["certificate.cert-manager.io/web-tls"], (
        certs.stderr
    )
