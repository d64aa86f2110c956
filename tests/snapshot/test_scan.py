"""The fast load path (tools/snapshot/scan.py): JSON List files indexed without building their objects.

What it serves must be what the parsing path serves: the same objects, labels, selector fields and
problems; objects that need normalising (no uid, a Secret, an events.k8s.io Event...) still are; a file
edited under a running server is named, never served stale.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from tests.snapshot.fixtures import write_meta
from tools.snapshot.bounded import MAX_DEPTH
from tools.snapshot.loader import load_snapshot
from tools.snapshot.server import start_snapshot_server
from tools.snapshot.store import SnapshotStore
from tools.snapshot.store_cache import CACHE_FOLDER, INDEX_NAME, open_store

CREATED = "2026-11-01T00:00:00Z"


def _pod(name: str, namespace: str, node: str, phase: str = "Running", **meta: Any) -> dict[str, Any]:
    metadata = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "resourceVersion": "41",
        "creationTimestamp": "2026-11-20T08:00:00Z",
        "labels": {"app": name.split("-")[0], "tier": "web"},
        **meta,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {"phase": phase, "podIP": "10.0.0.7"},
    }


def _objects() -> list[dict[str, Any]]:
    """Clean objects, and ones the loader must complete: no uid, no resourceVersion, a Secret, a v1 Event."""
    bare = _pod("bare-1", "shop", "node-2")
    del bare["metadata"]["uid"], bare["metadata"]["resourceVersion"]
    return [
        _pod("web-1", "shop", "node-1"),
        _pod("web-2", "shop", "node-2", phase="Pending"),
        _pod("api-1", "data", "node-1", annotations={"note": "kept as written"}),
        bare,
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "node-1", "uid": "n1", "resourceVersion": "7", "creationTimestamp": CREATED},
            "spec": {"unschedulable": True},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop", "uid": "s1", "resourceVersion": "9"}
            | {"creationTimestamp": CREATED},
            "type": "Opaque",
            "data": {"password": "aHVudGVyMg=="},
        },
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "web-2.1", "namespace": "shop", "resourceVersion": "12"},
            "regarding": {"kind": "Pod", "namespace": "shop", "name": "web-2", "apiVersion": "v1"},
            "reason": "FailedScheduling",
            "note": "0/2 nodes are available",
            "type": "Warning",
            "eventTime": "2026-11-20T09:00:00.000000Z",
        },
    ]  # fmt: skip


def _snapshot(root: Path, as_yaml: bool, pretty: bool = False) -> Path:
    write_meta(root)
    folder = root / "resources"
    folder.mkdir(parents=True)
    document = {"apiVersion": "v1", "kind": "List", "items": _objects()}
    if as_yaml:
        (folder / "all.yaml").write_text(yaml.safe_dump_all(_objects()), encoding="utf-8")
    else:
        (folder / "all.json").write_text(json.dumps(document, indent=2 if pretty else None), encoding="utf-8")
    return root


def _served(store: SnapshotStore) -> dict[Any, Any]:
    """Per resource: every object as a client decodes it, with the labels and fields selectors see."""
    return {
        key: [(r.namespace, r.name, r.labels, r.fields, r.parsed()) for r in index.records]
        for key, index in store.resources.items()
        if index.records
    } | {"resource_version": store.resource_version}


@pytest.mark.parametrize("pretty", [False, True])
def test_a_json_list_serves_what_the_parsed_yaml_serves(tmp_path: Path, pretty: bool) -> None:
    from_yaml = SnapshotStore(load_snapshot(_snapshot(tmp_path / "yaml", as_yaml=True)))
    from_json = SnapshotStore(load_snapshot(_snapshot(tmp_path / "json", as_yaml=False, pretty=pretty)))
    assert _served(from_json) == _served(from_yaml)
    pods = from_json.resources[("", "Pod")]
    web = pods.get("shop", "web-1")
    assert web is not None and web.source is not None, "a clean object is served from its file's bytes"
    bare = pods.get("shop", "bare-1")
    assert bare is not None and bare.source is None, "an object without uid is completed, then served"
    assert bare.parsed()["metadata"]["uid"] and bare.parsed()["metadata"]["resourceVersion"]
    secret = from_json.resources[("", "Secret")].get("shop", "db")
    assert secret is not None and "aHVudGVyMg==" not in bytes(secret.raw).decode()
    event = from_json.events().get("shop", "web-2.1")
    assert event is not None
    assert event.parsed()["involvedObject"]["uid"] == "uid-shop-web-2"  # filled in from the pod it is about


def test_selectors_see_the_fast_path_objects(tmp_path: Path) -> None:
    root = _snapshot(tmp_path / "json", as_yaml=False)
    with start_snapshot_server(root, cache=False) as server:
        api = k8s.CoreV1Api(k8s_config.new_client_from_config(str(server.kubeconfig_path)))
        try:
            on_node = api.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-1")
            pending = api.list_namespaced_pod("shop", field_selector="status.phase=Pending")
            web = api.list_pod_for_all_namespaces(label_selector="app=web")
            nodes = api.list_node(field_selector="spec.unschedulable=true")
        finally:
            api.api_client.close()
    assert sorted(p.metadata.name for p in on_node.items) == ["api-1", "web-1"]
    assert [p.metadata.name for p in pending.items] == ["web-2"]
    assert sorted(p.metadata.name for p in web.items) == ["web-1", "web-2"]
    assert [n.metadata.name for n in nodes.items] == ["node-1"]


def test_duplicates_and_bad_items_are_named_as_the_loader_names_them(tmp_path: Path) -> None:
    root = tmp_path / "snap"
    write_meta(root)
    items: list[Any] = [_pod("web-1", "shop", "node-1"), "not an object", {"kind": "Pod", "metadata": {}}]
    for folder, objects in (("a", items), ("b", [_pod("web-1", "shop", "node-9")])):
        (root / "resources" / folder).mkdir(parents=True)
        document = {"apiVersion": "v1", "kind": "List", "items": objects}
        (root / "resources" / folder / "pods.json").write_text(json.dumps(document))
    snapshot = load_snapshot(root)
    store = SnapshotStore(snapshot)
    record = store.resources[("", "Pod")].get("shop", "web-1")
    assert record is not None and record.fields is not None
    assert record.fields["spec.nodeName"] == "node-9"  # the last one read wins
    assert [str(p) for p in snapshot.problems] == [
        "resources/a/pods.json:1: items[1] is not an object",
        "resources/a/pods.json:1: items[2]: object without metadata.name",
        "resources/b/pods.json: duplicate Pod shop/web-1: the last one read wins",
    ]


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_the_depth_limit_holds_for_list_items(tmp_path: Path) -> None:
    root = tmp_path / "snap"
    write_meta(root)
    (root / "resources").mkdir(parents=True)

    def config_map(name: str, depth: int) -> dict[str, Any]:
        meta = {"name": name, "namespace": "shop", "uid": name, "resourceVersion": "3"}
        meta["creationTimestamp"] = "2026-11-20T08:00:00Z"
        # the ConfigMap, its data and the "x" key take 2 levels above the arrays
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"x": _nested(depth - 2)}}

    items = [config_map("fits", MAX_DEPTH), config_map("over", MAX_DEPTH + 1)]
    (root / "resources" / "cms.json").write_text(
        json.dumps({"kind": "List", "apiVersion": "v1", "items": items})
    )
    snapshot = load_snapshot(root)
    store = SnapshotStore(snapshot)
    assert [r.name for r in store.resources[("", "ConfigMap")].records] == ["fits"]
    assert [p.file for p in snapshot.problems] == ["resources/cms.json"]
    assert "nested deeper" in snapshot.problems[0].message


def test_a_file_changed_under_a_running_server_is_named_not_served_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = _snapshot(tmp_path / "json", as_yaml=False)
    open_store(load_snapshot(root))  # builds the cache: the next open reads files only when served
    with start_snapshot_server(root) as server:
        path = root / "resources" / "all.json"
        text = path.read_text().replace('"web-1"', '"web-X"')
        path.write_text(text)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        api = k8s.CoreV1Api(k8s_config.new_client_from_config(str(server.kubeconfig_path)))
        try:
            with pytest.raises(k8s.ApiException) as failure:
                api.read_namespaced_pod("web-1", "shop")
        finally:
            api.api_client.close()
    assert failure.value.status == 500
    assert "resources/all.json changed on disk" in json.loads(failure.value.body)["message"]
    # and the next open sees the edit
    store = open_store(load_snapshot(root))
    assert store.resources[("", "Pod")].get("shop", "web-X") is not None


def test_a_cache_naming_a_file_outside_the_snapshot_is_not_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Objects are read from the snapshot's own files only: a forged index pointing elsewhere is rebuilt."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = _snapshot(tmp_path / "json", as_yaml=False)
    outside = tmp_path / "outside.json"
    outside.write_text('{"kind": "Pod", "metadata": {"name": "stolen"}}' * 1000)
    fresh = _served(SnapshotStore(load_snapshot(root)))
    open_store(load_snapshot(root))
    index = root / CACHE_FOLDER / INDEX_NAME
    document = json.loads(index.read_text())
    assert document["files"] == ["resources/all.json"]  # the clean objects are served from their file
    document["files"] = [os.path.relpath(outside, root)]
    index.write_text(json.dumps(document))
    assert _served(open_store(load_snapshot(root))) == fresh
    assert json.loads(index.read_text())["files"] == ["resources/all.json"]  # rebuilt
