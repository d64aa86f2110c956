"""Capture from the snapshot API server, serve the capture, and get the same answers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.toolset import call_tool
from tests.kubernetes.k8s_builders import NOW
from tests.kubernetes.k8s_scenario import CRASH_POD, SECRET_VALUE
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.capture import CaptureLimits, capture_snapshot
from tools.snapshot.loader import load_snapshot
from tools.snapshot.server import SnapshotServer, start_snapshot_server
from tools.snapshot.validate import validate_snapshot

SAME_ANSWERS = [
    ("k8s_list", {"kind": "pods"}),
    ("k8s_list", {"kind": "deployments", "namespace": "shop"}),
    ("k8s_events", {}),
    ("k8s_logs", {"namespace": "shop", "pod": CRASH_POD}),
    ("k8s_logs", {"namespace": "shop", "pod": CRASH_POD, "previous": True}),
    ("k8s_logs", {"namespace": "shop", "pod": CRASH_POD, "previous": True, "since": "7m"}),
    ("k8s_describe", {"kind": "pod", "name": CRASH_POD, "namespace": "shop"}),
    ("k8s_workload", {"name": "checkout", "namespace": "shop"}),
    ("k8s_service", {"name": "api", "namespace": "shop"}),
    ("k8s_netpol", {"namespace": "data", "pod": "postgres-0"}),
    ("k8s_node", {"name": "worker-2"}),
    ("k8s_overview", {}),
]


@pytest.fixture(scope="module")
def captured(shop_server: SnapshotServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("capture") / "shop"
    kube = KubeAccess.from_kubeconfig(str(shop_server.kubeconfig_path))
    messages: list[str] = []
    try:
        # the served snapshot's "now" is NOW; capturing "at" NOW keeps log `since` windows comparable
        summary = capture_snapshot(
            kube, out, limits=CaptureLimits(log_lines=500), progress=messages.append, now=NOW
        )
    finally:
        kube.close()
    assert summary.objects["pods"] == 6 and summary.objects["events"] == 6
    assert summary.logs == 2  # crash pod: current + previous; the pending pod has no container to read
    assert any(m.startswith("wrote 35 objects") for m in messages)
    return out


@pytest.fixture(scope="module")
def captured_ctx(captured: Path) -> Iterator[ToolContext]:
    with start_snapshot_server(captured) as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        yield ToolContext(settings=Settings(), kube=kube, cluster_name="shop-prod", fixed_now=NOW)
        kube.close()


def test_capture_is_a_valid_snapshot(captured: Path) -> None:
    snapshot = load_snapshot(captured)
    assert validate_snapshot(snapshot) == []
    assert snapshot.meta.name == "shop-prod" and snapshot.meta.kubernetes_version == "v1.31.2"


def test_capture_never_writes_secret_values(captured: Path) -> None:
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for path in captured.rglob("*"):
        if path.is_file():
            content = path.read_text(encoding="utf-8")
            assert SECRET_VALUE not in content and encoded not in content, path
    assert '"password"' in (captured / "resources" / "core" / "secrets.json").read_text()


@pytest.mark.parametrize(("tool", "args"), SAME_ANSWERS)
def test_serving_the_capture_gives_the_same_answers(
    ctx: ToolContext, captured_ctx: ToolContext, tool: str, args: dict
) -> None:
    original = call_tool(ctx, tool, args)
    again = call_tool(captured_ctx, tool, args)
    assert original.ok, original.error
    assert again.text == original.text
    assert again.data == original.data


def test_capture_one_namespace_with_the_cli(shop_server: SnapshotServer, tmp_path: Path) -> None:
    out = tmp_path / "data-only"
    result = CliRunner().invoke(
        app,
        [
            "snapshot",
            "capture",
            "--kubeconfig",
            str(shop_server.kubeconfig_path),
            "--out",
            str(out),
            "-n",
            "data",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "… pods: 1" in result.stderr
    pods = (out / "resources" / "core" / "pods.json").read_text()
    assert "postgres-0" in pods and CRASH_POD not in pods
    assert (out / "resources" / "core" / "nodes.json").is_file()  # cluster-scoped kinds are kept


def test_capture_refuses_a_non_empty_directory(shop_server: SnapshotServer, tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    result = CliRunner().invoke(
        app, ["snapshot", "capture", "--kubeconfig", str(shop_server.kubeconfig_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "already exists and is not an empty directory" in result.stderr
