"""The on-disk store cache: same answers as a fresh build, rebuilt when a file changes, optional."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from tests.snapshot.fixtures import build_snapshot
from tools.snapshot.loader import load_snapshot
from tools.snapshot.server import start_snapshot_server
from tools.snapshot.store import CachedRecords, SnapshotStore
from tools.snapshot.store_cache import CACHE_FOLDER, INDEX_NAME, cache_folders, open_store


@pytest.fixture
def snapshot_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return build_snapshot(tmp_path / "shop")


def _contents(store: SnapshotStore) -> dict:
    """Everything a client can see: per resource, each object's key, labels, fields and bytes."""
    return {
        key: (
            index.info,
            [(r.namespace, r.name, r.labels, r.fields, bytes(r.raw)) for r in index.records],
            {pair: list(positions) for pair, positions in index.postings.items()},
        )
        for key, index in store.resources.items()
    } | {"resource_version": store.resource_version, "count": store.object_count}


def _fresh(root: Path) -> tuple[dict, list[str]]:
    snapshot = load_snapshot(root)
    return _contents(SnapshotStore(snapshot)), [str(p) for p in snapshot.problems]


def _cached(root: Path) -> tuple[dict, list[str]]:
    snapshot = load_snapshot(root)
    return _contents(open_store(snapshot)), [str(p) for p in snapshot.problems]


def test_cached_store_serves_what_a_fresh_build_serves(snapshot_dir: Path) -> None:
    (snapshot_dir / "resources" / "broken.yaml").write_text("kind: Pod\nmetadata: {}\n")  # a problem to keep
    fresh = _fresh(snapshot_dir)
    first = _cached(snapshot_dir)  # builds and writes the cache
    index = snapshot_dir / CACHE_FOLDER / INDEX_NAME
    assert index.is_file()
    written = index.stat().st_mtime_ns
    second = _cached(snapshot_dir)  # restored from it
    assert index.stat().st_mtime_ns == written, "a valid cache must be read, not rewritten"
    assert first == fresh
    assert second == fresh
    assert any("broken.yaml" in problem for problem in second[1])


def test_a_restored_store_builds_only_the_records_a_request_reads(snapshot_dir: Path) -> None:
    """A cached start reads one namespace: only its records are built; label and field indexes are made
    from the cached rows, and what they find is what a fresh build finds."""
    from tools.contracts.kube.selectors import parse_field_selector, parse_label_selector

    _cached(snapshot_dir)
    restored = open_store(load_snapshot(snapshot_dir))
    pods = restored.resources[("", "Pod")]
    assert isinstance(pods.records, CachedRecords)
    assert pods.records._built.count(None) == len(pods.records) > 0  # nothing built yet
    namespace = pods.keys[0][0]
    page = pods.list(namespace, parse_label_selector(""), parse_field_selector(""))
    built = sum(record is not None for record in pods.records._built)
    assert built == len(page.items) == sum(key[0] == namespace for key in pods.keys)
    assert pods.postings and sum(r is not None for r in pods.records._built) == built  # from the rows
    fresh = SnapshotStore(load_snapshot(snapshot_dir)).resources[("", "Pod")]
    assert {pair: list(p) for pair, p in pods.postings.items()} == {
        pair: list(p) for pair, p in fresh.postings.items()
    }


def test_cached_secrets_stay_redacted_even_if_the_cache_is_forged(snapshot_dir: Path) -> None:
    _cached(snapshot_dir)
    folder = snapshot_dir / CACHE_FOLDER
    blob = next(folder.glob("objects-*.bin"))
    document = json.loads((folder / INDEX_NAME).read_text())
    secrets = next(r for r in document["resources"] if r["kind"] == "Secret")
    data = blob.read_bytes()
    forged = bytearray(data)
    for _, _, _, _, number, start, length in secrets["records"]:
        assert number == -1, "a Secret is served normalised (redacted) from the blob, never from its file"
        obj = json.loads(data[start : start + length])
        obj["data"] = {key: "c2VjcmV0" for key in obj["data"]}  # "secret": what a hostile cache could hold
        text = json.dumps(obj, separators=(",", ":")).encode()
        assert len(text) <= length
        forged[start : start + length] = text.ljust(length)
    blob.write_bytes(bytes(forged))
    restored = open_store(load_snapshot(snapshot_dir))
    for record in restored.resources[("", "Secret")].records:
        values = set(record.parsed()["data"].values())
        assert values and "c2VjcmV0" not in values


def test_a_changed_file_invalidates_the_cache(snapshot_dir: Path) -> None:
    _cached(snapshot_dir)
    pods_file = next(p for p in (snapshot_dir / "resources").rglob("*.json") if "pods" in p.name)
    text = pods_file.read_text()
    document = json.loads(text)
    items = document.get("items", [document])
    name = items[0]["metadata"]["name"]
    items[0]["metadata"].setdefault("labels", {})["changed"] = "yes"
    pods_file.write_text(json.dumps(document))
    stat = pods_file.stat()
    os.utime(pods_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    contents, _ = _cached(snapshot_dir)
    pods = {(r[0], r[1]): r[2] for r in contents[("", "Pod")][1]}
    assert any(key[1] == name and labels.get("changed") == "yes" for key, labels in pods.items())
    assert contents == _fresh(snapshot_dir)[0]


def test_same_size_edit_with_a_new_mtime_invalidates_the_cache(snapshot_dir: Path) -> None:
    _cached(snapshot_dir)
    meta = snapshot_dir / "snapshot.yaml"
    stat = meta.stat()
    text = meta.read_text()
    assert "test-shop" in text
    meta.write_text(text.replace("test-shop", "test-shoq"))  # same size
    os.utime(meta, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    snapshot = load_snapshot(snapshot_dir)
    assert snapshot.meta.name == "test-shoq"
    store = open_store(snapshot)
    assert _contents(store) == _fresh(snapshot_dir)[0]


def test_unwritable_snapshot_folder_falls_back_to_the_user_cache(snapshot_dir: Path, tmp_path: Path) -> None:
    (snapshot_dir / CACHE_FOLDER).write_text("not a folder")  # the cache folder cannot be made here
    fresh = _fresh(snapshot_dir)
    assert _cached(snapshot_dir) == fresh
    user_folder = cache_folders(snapshot_dir.resolve())[1]
    assert user_folder.is_relative_to(tmp_path / "user-cache")
    assert (user_folder / INDEX_NAME).is_file()
    assert _cached(snapshot_dir) == fresh


def test_no_writable_cache_anywhere_still_serves(
    snapshot_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (snapshot_dir / CACHE_FOLDER).write_text("not a folder")
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
    assert _cached(snapshot_dir) == _fresh(snapshot_dir)


def test_official_client_sees_the_same_with_and_without_the_cache(snapshot_dir: Path) -> None:
    answers = []
    for cache in (False, True, True):  # no cache, building it, restored from it
        with start_snapshot_server(snapshot_dir, cache=cache) as server:
            api = k8s.CoreV1Api(k8s_config.new_client_from_config(str(server.kubeconfig_path)))
            try:
                pods = api.list_pod_for_all_namespaces(_preload_content=False).data
                events = api.list_event_for_all_namespaces(_preload_content=False).data
                secrets = api.list_secret_for_all_namespaces(_preload_content=False).data
            finally:
                api.api_client.close()
        answers.append((json.loads(pods), json.loads(events), json.loads(secrets)))
        assert (snapshot_dir / CACHE_FOLDER).exists() == cache, "cache=False must neither read nor write"
    assert answers[0][0]["items"] and answers[0][2]["items"]
    assert answers[0] == answers[1] == answers[2]
