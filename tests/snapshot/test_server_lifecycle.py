"""Starting and stopping the server: archives, kubeconfig files, CRD names, bad ports."""

from __future__ import annotations

import socket
import tarfile
from pathlib import Path

import httpx
import pytest
import yaml

from tests.snapshot.fixtures import write_json, write_log, write_meta
from tools.snapshot.loader import SnapshotError
from tools.snapshot.server import start_snapshot_server


def _small_snapshot(root: Path) -> Path:
    write_meta(root, name="edge cluster/1")
    write_json(
        root / "resources" / "pod.json",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        },
    )
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgetsets.acme.io"},
        "spec": {
            "group": "acme.io",
            "scope": "Namespaced",
            "names": {
                "kind": "WidgetSet",
                "plural": "widgetsets",
                "singular": "widgetset",
                "shortNames": ["ws"],
            },
            "versions": [{"name": "v1beta1", "served": True, "storage": True}],
        },
    }
    unused_crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.acme.io"},
        "spec": {
            "group": "acme.io",
            "scope": "Cluster",
            "names": {"kind": "Gadget", "plural": "gadgets"},
            "versions": [{"name": "v1beta1", "served": True, "storage": True}],
        },
    }
    widget = {"apiVersion": "acme.io/v1beta1", "kind": "WidgetSet", "metadata": {"name": "w"}}
    write_json(root / "resources" / "crds.json", {"kind": "List", "items": [crd, unused_crd, widget]})
    write_log(root, "ns", "p", "c", ["from the archive"])
    return root


def test_serves_a_tar_gz_and_cleans_up(tmp_path: Path) -> None:
    tree = _small_snapshot(tmp_path / "tree")
    archive = tmp_path / "snap.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="snap")
    kubeconfig = tmp_path / "out" / "kc.yaml"
    server = start_snapshot_server(archive, kubeconfig_path=kubeconfig)
    extracted = server.snapshot.root
    try:
        log = httpx.get(f"{server.url}/api/v1/namespaces/ns/pods/p/log")
        assert log.text == "from the archive\n"
        document = yaml.safe_load(kubeconfig.read_text())
        assert document["current-context"] == "edge-cluster-1"
        assert document["clusters"][0]["cluster"]["server"] == server.url
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    finally:
        server.stop()
    assert not extracted.exists()  # the archive's temporary tree is gone
    assert kubeconfig.exists()  # a kubeconfig the caller asked for stays
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/version", timeout=2)


def test_crd_names_and_default_kubeconfig_removed(tmp_path: Path) -> None:
    with start_snapshot_server(_small_snapshot(tmp_path / "s")) as server:
        kubeconfig = server.kubeconfig_path
        resources = httpx.get(f"{server.url}/apis/acme.io/v1beta1").json()["resources"]
        names = {r["name"]: (r["namespaced"], r.get("shortNames")) for r in resources}
        assert names == {"widgetsets": (True, ["ws"]), "gadgets": (False, None)}
        widget = httpx.get(f"{server.url}/apis/acme.io/v1beta1/namespaces/default/widgetsets/w").json()
        assert widget["metadata"]["namespace"] == "default"  # namespaced by its CRD
        assert httpx.get(f"{server.url}/apis/acme.io/v1beta1/gadgets").json()["items"] == []
    assert not kubeconfig.exists()


def test_errors_when_starting(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError):
        start_snapshot_server(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(OSError):
            start_snapshot_server(_small_snapshot(tmp_path / "s"), port=taken.getsockname()[1])
    finally:
        taken.close()
