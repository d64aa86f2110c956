"""A directory snapshot (unzipped, cloned) may hold symbolic links. A link that leaves the snapshot folder
is never followed: its file is reported as skipped, by the loader and by `kubewhy snapshot check`, and
what it points at never reaches a tool, the snapshot API server or a model."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from app.toolset import call_tool
from devkit.hostile_files import base_snapshot
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.loader import LogKey, load_snapshot
from tools.snapshot.server import start_snapshot_server
from tools.snapshot.validate import validate_snapshot

SECRET = "token: sk-outside-the-snapshot-0123456789"


def _linked_snapshot(tmp_path: Path) -> Path:
    outside = tmp_path / "home"
    (outside / "dir").mkdir(parents=True)
    secret_file = outside / "kubeconfig"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    (outside / "dir" / "app.log").write_text(SECRET + "\n", encoding="utf-8")
    (outside / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen, namespace: shop}\n"
        f"data: {{v: '{SECRET}'}}\n",
        encoding="utf-8",
    )
    root = base_snapshot(tmp_path / "snap")
    log = root / "logs" / "shop" / "web" / "app.log"
    log.unlink()
    log.symlink_to(secret_file)  # the attack: a log that is a kubeconfig
    (root / "logs" / "shop" / "web" / "app.previous.log").symlink_to("../../../../home/kubeconfig")
    (root / "logs" / "shop" / "other").symlink_to(outside / "dir", target_is_directory=True)
    (root / "resources" / "stolen.yaml").symlink_to(outside / "cm.yaml")
    (root / "metrics").mkdir()
    (root / "metrics" / "node.om").symlink_to(secret_file)
    (root / "flows").mkdir()
    (root / "flows" / "hubble.jsonl").symlink_to(secret_file)
    # a link that stays inside the snapshot is fine
    (root / "resources" / "again.json").symlink_to(root / "resources" / "pods.json")
    return root


LINKED = {
    "logs/shop/web/app.log",
    "logs/shop/web/app.previous.log",
    "logs/shop/other",
    "resources/stolen.yaml",
    "metrics/node.om",
    "flows/hubble.jsonl",
}


def test_links_out_of_a_snapshot_are_skipped_and_named(tmp_path):
    root = _linked_snapshot(tmp_path)
    snapshot = load_snapshot(root)
    problems = validate_snapshot(snapshot)
    skipped = {p.file for p in problems if "link" in p.message and "outside the snapshot" in p.message}
    assert skipped == LINKED, problems
    assert snapshot.read_log(LogKey("shop", "web", "app", False)) is None
    assert snapshot.metrics_files == [] and snapshot.flow_files == []
    assert [p.name for p in snapshot.resource_files] == ["again.json", "namespace.yaml", "pods.json"]
    assert not any(SECRET in str(p) for p in problems)


def test_snapshot_check_reports_the_links(tmp_path):
    root = _linked_snapshot(tmp_path)
    done = subprocess.run(
        ["kubewhy", "snapshot", "check", str(root), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert {p["file"] for p in report["problems"]} >= LINKED
    assert SECRET not in done.stdout + done.stderr


def test_a_linked_log_never_reaches_a_tool(tmp_path):
    root = _linked_snapshot(tmp_path)
    with start_snapshot_server(root) as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        now = server.snapshot.meta.captured_at
        ctx = ToolContext(settings=Settings(llm="none"), kube=kube, fixed_now=now)
        for previous in (False, True):
            result = call_tool(ctx, "k8s_logs", {"namespace": "shop", "pod": "web", "previous": previous})
            assert SECRET not in result.text and "sk-outside" not in json.dumps(result.data)
        kube.close()
