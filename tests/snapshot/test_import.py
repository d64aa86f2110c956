"""`kubewhy snapshot import` and `--snapshot PATH` on other people's bundles (contracts sections 1 and 4).

The inputs are built by import_fixtures in the layouts troubleshoot.sh, `kubectl cluster-info dump`,
`oc adm must-gather` and `kubectl get` write; each import is loaded back by the snapshot loader.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app
from tools.snapshot.importers import ImportFailed, Limits, import_input
from tools.snapshot.importers.documents import GO_STRUCTS, TABLE
from tools.snapshot.loader import LogKey, SnapshotError, load_snapshot
from tools.snapshot.validate import validate_snapshot

from . import import_fixtures as fx

runner = CliRunner()
WORKER = "worker-7d4b9c-x2x9q"


def _kinds(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sourced in load_snapshot(out).iter_objects():
        counts[sourced.obj["kind"]] = counts.get(sourced.obj["kind"], 0) + 1
    return counts


def _reasons(report: object) -> dict[str, str]:
    return {s.file: s.reason for s in report.skipped}  # type: ignore[attr-defined]


# --- troubleshoot.sh -------------------------------------------------------------------------------


def test_support_bundle_folder(tmp_path: Path) -> None:
    bundle = fx.support_bundle(tmp_path / "in")
    report = import_input(bundle, tmp_path / "out")
    assert report.format == "troubleshoot"
    assert report.kubernetes_version == "v1.29.3"
    expected = {
        "Node": 2,
        "Namespace": 2,
        "Pod": 3,
        "Deployment": 3,
        "ReplicaSet": 3,  # an older collector's bare array: the folder gave the kind
        "Event": 2,
        "Service": 1,
        "CustomResourceDefinition": 1,  # {metadata, items} with no kind
        "Certificate": 1,  # custom-resources/<plural.group>/<ns>.yaml, a bare YAML array
        "PersistentVolume": 1,  # cluster-resources/pvs, no suffix, a bare array
    }
    assert dict(report.kinds) == expected
    assert _kinds(tmp_path / "out") == expected
    assert report.logs == 3
    snapshot = load_snapshot(tmp_path / "out")
    assert validate_snapshot(snapshot) == []
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == "starting worker\n"
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", True)) == "panic: DATABASE_URL is not set\n"
    # a logs collector files by pod name only: the pod's namespace and only container place it
    assert snapshot.read_log(LogKey("shop", "web-5f6d8-abcde", "web", False)) == "GET / 200\n"
    collector_errors = "errors recorded by a troubleshoot collector, not cluster state"
    assert _reasons(report) == {
        "all-logs/shop/worker-7d4b9c-x2x9q/worker.log": "symbolic link: not followed",
        "analysis.json": "troubleshoot analyzer results, not cluster state",
        "cluster-resources/auth-cani-list/shop.json": "RBAC rules of the collecting user, not objects",
        "cluster-resources/groups.json": "API discovery (group list), not objects",
        "cluster-resources/pods-errors.json": collector_errors,
        "cluster-resources/resources.json": "API discovery (resource lists), not objects",
    }


def test_the_same_container_log_in_two_files_keeps_the_longer(tmp_path: Path) -> None:
    """A logs collector's copy of a log never overwrites silently: the longer copy is kept, the other listed,
    and the count is what was written."""
    report = import_input(fx.bundle_with_collector_copies(tmp_path / "in"), tmp_path / "out")
    assert report.logs == 3
    assert len(list((tmp_path / "out" / "logs").rglob("*.log"))) == 3
    snapshot = load_snapshot(tmp_path / "out")
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == "starting worker\nconnecting to db\n"
    assert snapshot.read_log(LogKey("shop", "web-5f6d8-abcde", "web", False)) == "GET / 200\n"
    reasons = _reasons(report)
    assert reasons[f"cluster-resources/pods/logs/shop/{WORKER}/worker.log"] == (
        f"the same log of shop/{WORKER}/worker is in worker-logs/{WORKER}/worker.log, which is longer: "
        "kept that one"
    )
    assert reasons["web-tail/web-5f6d8-abcde.log"] == (
        "the same log of shop/web-5f6d8-abcde/web is in web-logs/web-5f6d8-abcde.log, which is as long or "
        "longer: kept that one"
    )


def test_support_bundle_capture_time_is_inferred_and_recorded(tmp_path: Path) -> None:
    report = import_input(fx.support_bundle(tmp_path / "in"), tmp_path / "out")
    assert report.captured_at_inferred is True
    assert report.to_json()["captured_at"] == fx.NEWEST
    assert report.captured_at_source == "Node worker-1 lastHeartbeatTime"
    meta = yaml.safe_load((tmp_path / "out" / "snapshot.yaml").read_text())
    assert meta["capturedAt"] == fx.NEWEST and meta["capturedAtInferred"] is True
    assert meta["kubernetesVersion"] == "v1.29.3"
    loaded = load_snapshot(tmp_path / "out").meta
    assert loaded.captured_at_inferred is True
    assert loaded.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ") == fx.NEWEST


def test_support_bundle_tar_gz_gives_the_same_snapshot(tmp_path: Path) -> None:
    archive = fx.tar_gz(fx.support_bundle(tmp_path / "in"), tmp_path / "support-bundle.tar.gz")
    report = import_input(archive, tmp_path / "out")
    assert report.format == "troubleshoot" and report.objects == 19 and report.logs == 3
    top = "support-bundle-2026-11-20T09_30_12/"
    assert (
        _reasons(report)[top + "all-logs/shop/worker-7d4b9c-x2x9q/worker.log"]
        == "symbolic link: not followed"
    )
    assert report.name == "support-bundle"


def test_future_timestamps_do_not_move_now(tmp_path: Path) -> None:
    bundle = fx.support_bundle(tmp_path / "in")
    path = bundle / "cluster-resources" / "services" / "shop.json"
    doc = json.loads(path.read_text())
    doc["items"][0]["metadata"]["creationTimestamp"] = "2999-01-01T00:00:00Z"
    path.write_text(json.dumps(doc))
    # times inside a string (a ConfigMap holding JSON) were not written by the cluster
    held = {"lastTimestamp": "2026-11-20T09:59:00Z"}
    config = {"metadata": {"name": "app", "namespace": "shop"}, "data": {"app.json": json.dumps(held)}}
    fx.write_json(
        bundle / "cluster-resources" / "configmaps" / "shop.json", fx.typed("v1", "ConfigMap", [config])
    )
    report = import_input(bundle, tmp_path / "out")
    assert report.kinds["ConfigMap"] == 1
    assert report.to_json()["captured_at"] == fx.NEWEST


def test_secret_values_never_enter_the_snapshot(tmp_path: Path) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}}
    fx.write_json(tmp_path / "in" / "secrets.json", {**secret, "data": {"password": "aHVudGVyMg=="}})
    fx.kubectl_pods_json(tmp_path / "in" / "pods.json")
    import_input(tmp_path / "in", tmp_path / "out")
    text = "".join(p.read_text() for p in (tmp_path / "out" / "resources").rglob("*.json"))
    assert "aHVudGVyMg==" not in text and '"password"' in text


# --- kubectl cluster-info dump ---------------------------------------------------------------------


def test_cluster_info_dump_directory(tmp_path: Path) -> None:
    report = import_input(fx.cluster_info_dump(tmp_path / "dump"), tmp_path / "out")
    assert report.format == "cluster-info-dump"
    assert dict(report.kinds) == {"Node": 2, "Pod": 3, "Event": 2, "Deployment": 3, "ReplicaSet": 3}
    snapshot = load_snapshot(tmp_path / "out")
    # the END marker followed the last line without a newline
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == "starting worker\nconnecting to db\n"
    assert report.logs == 1
    reason = _reasons(report)["shop/gpu-trainer-6c9f7-qwert/logs.txt"]
    assert reason.startswith("container trainer of pod shop/gpu-trainer-6c9f7-qwert: kubectl could not fetch")
    assert "Request log error:" in reason
    assert report.captured_at_inferred and report.to_json()["captured_at"] == fx.NEWEST


@pytest.mark.parametrize("as_yaml", [False, True], ids=["json", "yaml"])
def test_cluster_info_dump_stdout_form(tmp_path: Path, as_yaml: bool) -> None:
    report = import_input(fx.cluster_info_stdout(tmp_path / "cluster-info.txt", as_yaml), tmp_path / "out")
    assert report.format == "cluster-info-dump"
    assert dict(report.kinds) == {"Node": 2, "Pod": 3, "Event": 2, "Deployment": 3}
    assert load_snapshot(tmp_path / "out").read_log(LogKey("shop", WORKER, "worker", False)) == (
        "starting worker\nconnecting to db\n"
    )
    assert [s.file for s in report.skipped] == ["cluster-info.txt"]  # the failed log fetch


def test_cluster_info_dump_stdout_with_crlf_lines(tmp_path: Path) -> None:
    """`kubectl cluster-info dump > dump.txt` saved on Windows: the log markers end in CR LF."""
    path = fx.with_crlf(fx.cluster_info_stdout(tmp_path / "cluster-info.txt"))
    report = import_input(path, tmp_path / "out")
    assert report.format == "cluster-info-dump"
    assert dict(report.kinds) == {"Node": 2, "Pod": 3, "Event": 2, "Deployment": 3}
    assert load_snapshot(tmp_path / "out").read_log(LogKey("shop", WORKER, "worker", False)) == (
        "starting worker\nconnecting to db\n"
    )


def test_cluster_info_dump_directory_with_crlf_logs(tmp_path: Path) -> None:
    """A dump folder unzipped on Windows: every logs.txt in CRLF still gives its logs; a logs.txt with no
    markers at all is listed with that reason, never dropped silently."""
    root = fx.cluster_info_dump(tmp_path / "dump")
    for logs in root.rglob("logs.txt"):
        fx.with_crlf(logs)
    (root / "shop" / "web-5f6d8-abcde").mkdir()
    (root / "shop" / "web-5f6d8-abcde" / "logs.txt").write_text("GET / 200\r\n", encoding="utf-8")
    report = import_input(root, tmp_path / "out")
    assert report.logs == 1
    snapshot = load_snapshot(tmp_path / "out")
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == "starting worker\nconnecting to db\n"
    reasons = _reasons(report)
    assert "kubectl could not fetch" in reasons["shop/gpu-trainer-6c9f7-qwert/logs.txt"]
    assert reasons["shop/web-5f6d8-abcde/logs.txt"].startswith("no `==== START logs for container")


def test_a_tar_of_kubectl_files_is_not_a_cluster_info_dump(tmp_path: Path) -> None:
    """Its top folder holds pods.json and deployments.json, but it is not a dump's namespace folder."""
    report = import_input(fx.kubectl_folder_tar(tmp_path / "in", tmp_path / "state.tar.gz"), tmp_path / "out")
    assert report.format == "kubectl"
    assert dict(report.kinds) == {"Pod": 3, "Deployment": 3, "Node": 1, "Event": 2}


def test_dump_without_end_marker_keeps_the_log_and_says_so(tmp_path: Path) -> None:
    root = fx.cluster_info_dump(tmp_path / "dump")
    cut = fx.dump_log_text(WORKER).split("==== END")[0]
    (root / "shop" / WORKER / "logs.txt").write_text(cut, encoding="utf-8")
    report = import_input(root, tmp_path / "out")
    assert report.logs == 1
    assert "has no END marker" in _reasons(report)[f"shop/{WORKER}/logs.txt"]


def test_old_go_struct_dump_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as caught:
        import_input(fx.go_struct_dump(tmp_path / "old"), tmp_path / "out")
    assert GO_STRUCTS in str(caught.value) and '"Items"' in str(caught.value)
    assert not (tmp_path / "out").exists()  # nothing half-written is left behind


# --- sonobuoy --------------------------------------------------------------------------------------


def test_sonobuoy_results_tarball(tmp_path: Path) -> None:
    """podlogs/ are the logs of the input's pods, serverversion.json is the version, and sonobuoy's own
    files are listed with what they are."""
    archive = fx.tar_gz(fx.sonobuoy_results(tmp_path / "202611200930_sonobuoy_1a2b"), tmp_path / "r.tar.gz")
    report = import_input(archive, tmp_path / "out")
    assert report.format == "sonobuoy" and report.kubernetes_version == "v1.29.2"
    assert dict(report.kinds) == {"Node": 1, "Pod": 3, "ReplicaSet": 3}  # ReplicaSets.json: the name's kind
    assert report.logs == 2
    snapshot = load_snapshot(tmp_path / "out")
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == fx.WORKER_CURRENT
    assert snapshot.read_log(LogKey("shop", "web-5f6d8-abcde", "web", False)) == "GET / 200\n"
    top = "202611200930_sonobuoy_1a2b/"
    reasons = {file.removeprefix(top): reason for file, reason in _reasons(report).items()}
    assert reasons == {
        "servergroups.json": "API discovery (group list), not objects",
        "meta/query-time.json": "sonobuoy's record of its own run, not cluster state",
        "meta/run.log": "sonobuoy's record of its own run, not cluster state",
        "plugins/e2e/sonobuoy_results.yaml": "sonobuoy plugin results (test reports), not cluster state",
        "hosts/worker-1/configz.json": (
            "node configuration and health checks gathered by sonobuoy, not objects"
        ),
    }


# --- must-gather and kubectl output ----------------------------------------------------------------


def test_must_gather(tmp_path: Path) -> None:
    report = import_input(fx.must_gather(tmp_path / "mg"), tmp_path / "out")
    assert report.format == "must-gather"
    assert dict(report.kinds) == {"Node": 2, "Namespace": 1, "Pod": 3, "Event": 2, "Deployment": 3}
    assert report.captured_at_inferred is False
    assert report.to_json()["captured_at"] == "2026-11-20T09:31:12Z"  # the end of gathering
    snapshot = load_snapshot(tmp_path / "out")
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", False)) == fx.WORKER_CURRENT
    assert snapshot.read_log(LogKey("shop", WORKER, "worker", True)) == fx.WORKER_PREVIOUS
    duplicates = [s for s in report.skipped if s.reason.startswith("holds only objects already read")]
    assert len(duplicates) == 3  # pods/<pod>/<pod>.yaml repeat core/pods.yaml


def test_must_gather_timestamp_above_the_image_folder(tmp_path: Path) -> None:
    """`oc adm must-gather` writes its timestamp file beside the image folders, not in them."""
    root = fx.must_gather(tmp_path / "mg")
    [image] = [child for child in root.iterdir() if child.is_dir()]
    (image / "timestamp").rename(root / "timestamp")
    report = import_input(root, tmp_path / "out")
    assert report.captured_at_inferred is False
    assert report.to_json()["captured_at"] == "2026-11-20T09:31:12Z"


def test_kubectl_get_json_file(tmp_path: Path) -> None:
    report = import_input(fx.kubectl_pods_json(tmp_path / "pods.json"), tmp_path / "out")
    assert report.format == "kubectl" and dict(report.kinds) == {"Pod": 3} and report.skipped == []
    assert report.captured_at_inferred
    assert report.to_json()["captured_at"] == "2026-11-20T09:22:00Z"  # the worker's last finishedAt


def test_a_capture_without_a_version_takes_the_newest_kubelets(tmp_path: Path) -> None:
    """`kubectl get nodes -o json` of a cluster mid-upgrade (one node still on 1.9-style old numbers)
    records no server version: the newest kubelet's stands for it, compared as numbers, not text."""
    nodes = [fx.node(name) for name in ("worker-1", "worker-2", "worker-3")]
    versions = ("v1.28.10", "v1.28.9", "v1.9.11")
    for item, version in zip(nodes, versions, strict=True):
        item["status"]["nodeInfo"]["kubeletVersion"] = version
    fx.write_json(tmp_path / "nodes.json", fx.typed("v1", "Node", nodes))
    report = import_input(tmp_path / "nodes.json", tmp_path / "out")
    assert report.kubernetes_version == "v1.28.10"
    assert load_snapshot(tmp_path / "out").meta.kubernetes_version == "v1.28.10"
    pods_only = import_input(fx.kubectl_pods_json(tmp_path / "pods.json"), tmp_path / "pods")
    assert pods_only.kubernetes_version is None  # no node, no guess


def test_items_null_and_a_bare_null_are_empty_lists(tmp_path: Path) -> None:
    """A Go nil slice (`items: null`, or a file holding `null`) is an empty list: 0 objects, no error."""
    report = import_input(fx.nil_lists(tmp_path / "in"), tmp_path / "out")
    assert dict(report.kinds) == {"Pod": 3} and report.skipped == []
    alone = tmp_path / "in" / "events-kube-system.json"
    with pytest.raises(ImportFailed) as caught:
        import_input(alone, tmp_path / "out2")
    message = str(caught.value)
    assert "events-kube-system.json: an empty list, 0 objects" in message
    assert "items[0]" not in message and "NoneType" not in message


def test_kubectl_folder_of_yaml_files(tmp_path: Path) -> None:
    folder = tmp_path / "objects"
    folder.mkdir()
    docs = [{"apiVersion": "v1", "kind": "Pod", **pod} for pod in fx.pods()]
    (folder / "pods.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    (folder / "nodes.yml").write_text(
        yaml.safe_dump(fx.typed("v1", "Node", [fx.node("worker-1")])), encoding="utf-8"
    )
    (folder / "notes.txt").write_text("kubectl get pods -A -o yaml\n", encoding="utf-8")
    (folder / "broken.json").write_text('{"kind": "Pod",', encoding="utf-8")
    report = import_input(folder, tmp_path / "out")
    assert dict(report.kinds) == {"Pod": 3, "Node": 1}
    reasons = _reasons(report)
    assert reasons["broken.json"].startswith("invalid JSON at line 1")
    assert reasons["notes.txt"].startswith("not read:")


def test_windows_saved_files_are_read(tmp_path: Path) -> None:
    """PowerShell 5.1's `>` writes UTF-16 with a byte-order mark, Notepad UTF-8 with one, both with CRLF."""
    folder = tmp_path / "objects"
    folder.mkdir()
    docs = [{"apiVersion": "v1", "kind": "Pod", **pod} for pod in fx.pods()]
    text = yaml.safe_dump_all(docs).replace("\n", "\r\n")
    (folder / "pods.yaml").write_bytes(text.encode("utf-16"))  # the BOM comes first
    node = fx.typed("v1", "Node", [fx.node("worker-1")])
    (folder / "nodes.json").write_bytes(json.dumps(node).encode("utf-8-sig"))
    (folder / "odd.yaml").write_bytes(b"\xff\x00not text")
    report = import_input(folder, tmp_path / "out")
    assert dict(report.kinds) == {"Pod": 3, "Node": 1}
    assert _reasons(report)["odd.yaml"].startswith("not UTF-8 text")


def test_manifests_without_any_time_take_the_time_of_the_import(tmp_path: Path) -> None:
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {}}
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    before = datetime.now(UTC).replace(microsecond=0)
    report = import_input(tmp_path / "web.yaml", tmp_path / "out")
    assert report.captured_at_inferred and before <= report.captured_at <= datetime.now(UTC)
    assert report.captured_at_source == "no timestamp anywhere in the input: the time of the import"


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    fx.kubectl_pods_json(folder / "pods.json")
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(8)
    ]
    (folder / "bomb.yaml").write_text(
        "\n".join(lines) + "\nmetadata: {name: x}\nkind: Pod\n", encoding="utf-8"
    )
    report = import_input(folder, tmp_path / "out")
    assert "YAML aliases" in _reasons(report)["bomb.yaml"]
    assert dict(report.kinds) == {"Pod": 3}


def test_deep_nesting_is_skipped_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    fx.kubectl_pods_json(folder / "pods.json")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (folder / "flow.yaml").write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    (folder / "dashes.yaml").write_text("- " * 100_000 + "x\n", encoding="utf-8")
    deep = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"}, "data": {}}
    level = deep["data"]
    for _ in range(600):  # parses, but is deeper than any API object can be written
        level["a"] = {}
        level = level["a"]
    fx.write_json(folder / "configmap.json", deep)
    report = import_input(folder, tmp_path / "out")
    reasons = _reasons(report)
    assert reasons["deep.json"] == "JSON nested too deeply"
    assert reasons["flow.yaml"] == reasons["dashes.yaml"] == "YAML nested too deeply"
    assert reasons["configmap.json"].startswith("1 item left out: ConfigMap deep")
    assert dict(report.kinds) == {"Pod": 3}


# --- archives and links ----------------------------------------------------------------------------


def _add(
    tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tar.addfile(info, io.BytesIO(data) if data else None)


def test_links_and_escaping_names_are_refused(tmp_path: Path) -> None:
    pods = fx.kubectl_pods_json(tmp_path / "pods.json").read_bytes()
    archive = tmp_path / "hostile.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "dump/pods.json", pods)
        _add(tar, "dump/passwd.json", kind=tarfile.SYMTYPE, link="/etc/passwd")
        _add(tar, "dump/hard.json", kind=tarfile.LNKTYPE, link="dump/pods.json")
        _add(tar, "../escaped.json", pods)
        _add(tar, "/abs.json", pods)
    report = import_input(archive, tmp_path / "out")
    reasons = _reasons(report)
    assert reasons["dump/passwd.json"] == "symbolic link: not followed"
    assert reasons["dump/hard.json"] == "hard link: not followed"
    assert reasons["../escaped.json"] == reasons["/abs.json"] == "path outside the archive: refused"
    assert not (tmp_path / "escaped.json").exists()
    assert dict(report.kinds) == {"Pod": 3}


def test_symlink_in_a_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    fx.kubectl_pods_json(outside)
    folder = tmp_path / "in"
    folder.mkdir()
    fx.write_json(folder / "nodes.json", fx.typed("v1", "Node", [fx.node("worker-1")]))
    os.symlink(outside, folder / "pods.json")
    os.symlink(tmp_path, folder / "up")
    report = import_input(folder, tmp_path / "out")
    assert dict(report.kinds) == {"Node": 1}
    assert _reasons(report) == {
        "pods.json": "symbolic link: not followed",
        "up": "symbolic link: not followed",
    }


def test_not_an_archive_and_truncated_archive(tmp_path: Path) -> None:
    bad = tmp_path / "bundle.tar.gz"
    bad.write_bytes(b"this is not gzip")
    with pytest.raises(ImportFailed, match="not a readable tar archive"):
        import_input(bad, tmp_path / "out")
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:  # pods first, then incompressible bytes, then nodes
        _add(tar, "dump/pods.json", fx.kubectl_pods_json(tmp_path / "pods.json").read_bytes())
        _add(tar, "dump/blob.bin", os.urandom(300_000))
        _add(tar, "dump/nodes.json", json.dumps(fx.typed("v1", "Node", [fx.node("worker-1")])).encode())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:150_000])  # ends inside blob.bin
    report = import_input(cut, tmp_path / "out2")  # what was read is kept; the loss is named
    reasons = _reasons(report)
    assert reasons["cut.tar.gz"].startswith("the archive is truncated or corrupt after 1 entry (")
    assert dict(report.kinds) == {"Pod": 3}


def test_archive_bounds(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "zeros.json", b"\0" * 2_000_000)
    with pytest.raises(ImportFailed, match="compression bomb"):
        import_input(archive, tmp_path / "out", limits=Limits(max_ratio=20, ratio_floor_bytes=0))
    many = tmp_path / "many.tar.gz"
    with tarfile.open(many, "w:gz") as tar:
        for number in range(30):
            _add(tar, f"f{number}.json", b"{}")
    with pytest.raises(ImportFailed, match="more than 20 entries"):
        import_input(many, tmp_path / "out", limits=Limits(max_files=20))
    pods = fx.kubectl_pods_json(tmp_path / "pods.json")
    with pytest.raises(ImportFailed, match="larger than 100 bytes"):
        import_input(pods, tmp_path / "out", limits=Limits(max_file_bytes=100))


def test_a_gzip_file_is_imported(tmp_path: Path) -> None:
    """`kubectl get -o json | gzip`: one compressed file reads as the file it holds, also with --snapshot."""
    packed = fx.gzip_file(fx.kubectl_pods_json(tmp_path / "pods.json"), tmp_path / "all.json.gz")
    report = import_input(packed, tmp_path / "out")
    assert report.format == "kubectl" and dict(report.kinds) == {"Pod": 3} and report.skipped == []
    assert report.name == "all"
    assert sum(1 for _ in load_snapshot(packed).iter_objects()) == 3
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * 2_000_000))
    with pytest.raises(ImportFailed, match="compression bomb"):
        import_input(bomb, tmp_path / "out2", limits=Limits(max_ratio=20, ratio_floor_bytes=0))
    with pytest.raises(ImportFailed, match="unpacks to more than 100 bytes"):
        import_input(packed, tmp_path / "out3", limits=Limits(max_file_bytes=100))


def test_a_zip_bundle_is_imported(tmp_path: Path) -> None:
    """A support bundle re-zipped on Windows or macOS reads as its .tar.gz does, links never followed."""
    archive = fx.zip_tree(fx.support_bundle(tmp_path / "in"), tmp_path / "bundle.zip")
    report = import_input(archive, tmp_path / "out")
    assert report.format == "troubleshoot" and report.objects == 19 and report.logs == 3
    top = "support-bundle-2026-11-20T09_30_12/"
    assert _reasons(report)[top + f"all-logs/shop/{WORKER}/worker.log"] == "symbolic link: not followed"
    assert report.name == "bundle"
    assert sum(1 for _ in load_snapshot(archive).iter_objects()) == 19


def test_zip_bounds(tmp_path: Path) -> None:
    pods = fx.kubectl_pods_json(tmp_path / "pods.json").read_bytes()
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("dump/pods.json", pods)
        bundle.writestr("../escaped.json", pods)
        bundle.writestr("/abs.json", pods)
        link = zipfile.ZipInfo("dump/passwd.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")
    report = import_input(hostile, tmp_path / "out")
    reasons = _reasons(report)
    assert reasons["../escaped.json"] == reasons["/abs.json"] == "path outside the archive: refused"
    assert reasons["dump/passwd.json"] == "symbolic link: not followed"
    assert not (tmp_path / "escaped.json").exists() and dict(report.kinds) == {"Pod": 3}
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("zeros.json", b"\0" * 2_000_000)
    with pytest.raises(ImportFailed, match="compression bomb"):
        import_input(bomb, tmp_path / "out2", limits=Limits(max_ratio=20, ratio_floor_bytes=0))
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as bundle:
        for number in range(30):
            bundle.writestr(f"f{number}.json", b"{}")
    with pytest.raises(ImportFailed, match="more than 20 entries"):
        import_input(many, tmp_path / "out3", limits=Limits(max_files=20))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(hostile.read_bytes()[:200])  # the central directory is lost
    with pytest.raises(ImportFailed, match="not a readable zip archive"):
        import_input(cut, tmp_path / "out4")


def test_kubectl_table_output_says_to_run_again_with_o_yaml(tmp_path: Path) -> None:
    table = fx.pods_table(tmp_path / "pods-wide.txt")
    with pytest.raises(ImportFailed) as caught:
        import_input(table, tmp_path / "out")
    assert str(caught.value) == f"{table}: {TABLE}"
    assert "`-o yaml` or `-o json`" in TABLE
    folder = tmp_path / "in"
    fx.kubectl_pods_json(folder / "pods.json")
    fx.pods_table(folder / "pods.txt")
    assert _reasons(import_input(folder, tmp_path / "out2")) == {"pods.txt": TABLE}


# --- none of these ---------------------------------------------------------------------------------


def test_unknown_input_gets_one_line_naming_what_was_expected(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(ImportFailed) as caught:
        import_input(folder, tmp_path / "out")
    message = str(caught.value)
    assert "\n" not in message
    assert "troubleshoot.sh support bundle" in message and "kubectl cluster-info dump" in message
    assert "kubewhy snapshot capture" in message


# --- the command and --snapshot --------------------------------------------------------------------


def test_import_command_json(tmp_path: Path) -> None:
    archive = fx.tar_gz(fx.support_bundle(tmp_path / "in"), tmp_path / "bundle.tar.gz")
    result = runner.invoke(
        app, ["snapshot", "import", str(archive), "--out", str(tmp_path / "out"), "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"format", "objects", "logs", "skipped", "captured_at", "captured_at_inferred"} <= set(doc)
    assert (doc["format"], doc["objects"], doc["logs"], doc["captured_at_inferred"]) == (
        "troubleshoot",
        19,
        3,
        True,
    )
    assert all(set(item) == {"file", "reason"} for item in doc["skipped"])
    assert "detected a troubleshoot.sh support bundle" in result.stderr
    again = runner.invoke(app, ["snapshot", "import", str(archive), "--out", str(tmp_path / "out")])
    assert again.exit_code == 2 and "not an empty directory" in again.stderr


def test_import_command_bad_input_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["snapshot", "import", str(fx.go_struct_dump(tmp_path / "old")), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "Go internal structs" in result.stderr and result.stdout == ""


def test_snapshot_option_reads_a_bundle_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = fx.tar_gz(fx.support_bundle(tmp_path / "in"), tmp_path / "bundle.tar.gz")
    snapshot = load_snapshot(archive)
    assert snapshot.meta.captured_at_inferred and snapshot.meta.kubernetes_version == "v1.29.3"
    assert sum(1 for _ in snapshot.iter_objects()) == 19
    stderr = capsys.readouterr().err
    assert "detected a troubleshoot.sh support bundle" in stderr
    assert f"capture time inferred from the newest timestamp: {fx.NEWEST}" in stderr
    plain = load_snapshot(fx.kubectl_pods_json(tmp_path / "pods.json"))
    assert sum(1 for _ in plain.iter_objects()) == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(SnapshotError, match=r"missing snapshot\.yaml, and no Kubernetes objects found"):
        load_snapshot(tmp_path / "empty")
