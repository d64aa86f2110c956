"""Discovery documents (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`).

kubectl and client-go find resources through these; listing every built-in kind even when the
snapshot holds none makes `kubectl get ingress` answer "No resources found" instead of failing.
"""

from __future__ import annotations

import re
from typing import Any

from tools.contracts.kube.kinds import KindInfo
from tools.snapshot.loader import SnapshotMeta
from tools.snapshot.store import format_time

DEFAULT_KUBERNETES_VERSION = "v1.31.0"


def version_document(meta: SnapshotMeta) -> dict[str, Any]:
    text = meta.kubernetes_version or DEFAULT_KUBERNETES_VERSION
    match = re.match(r"^v?(\d+)\.(\d+)", text)
    major, minor = (match.group(1), match.group(2)) if match else ("1", "31")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": text if text.startswith("v") else f"v{text}",
        "gitCommit": "kubewhy-snapshot",
        "gitTreeState": "clean",
        "buildDate": format_time(meta.captured_at),
        "goVersion": "go1.22",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions_document(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _api_resources(info: KindInfo) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": info.plural,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    resources = [main]
    for sub in info.subresources:
        resources.append(
            {
                "name": f"{info.plural}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": "Scale" if sub == "scale" else info.kind,
                "verbs": ["get"],
                **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {}),
            }
        )
    return resources


def resource_list_document(group_version: str, kinds: list[KindInfo]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for info in sorted(kinds, key=lambda k: k.plural):
        resources.extend(_api_resources(info))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def groups(kinds: list[KindInfo]) -> dict[str, list[str]]:
    """Group name -> served versions, in first-seen order (the first is preferred)."""
    result: dict[str, list[str]] = {}
    for info in kinds:
        if info.group:
            versions = result.setdefault(info.group, [])
            if info.version not in versions:
                versions.append(info.version)
    return result


def api_group_document(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list_document(kinds: list[KindInfo]) -> dict[str, Any]:
    documents = []
    for name, versions in groups(kinds).items():
        document = api_group_document(name, versions)
        del document["kind"], document["apiVersion"]
        documents.append(document)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": documents}
