"""Write a kubeconfig that points kubectl and the official client at a served snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import yaml


def context_name(snapshot_name: str) -> str:
    """A kubeconfig-safe name derived from the snapshot's cluster name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", snapshot_name).strip("-") or "snapshot"


def kubeconfig_document(server_url: str, snapshot_name: str, namespace: str = "default") -> dict:
    name = context_name(snapshot_name)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server_url}}],
        "users": [{"name": name, "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: Path, server_url: str, snapshot_name: str) -> Path:
    """Write (replace) the kubeconfig at `path`; only the owner may read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_document(server_url, snapshot_name), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path
