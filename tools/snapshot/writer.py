"""Write a snapshot directory (contracts section 1). Capture, the synthetic builders, the demo and the
big-cluster generator all write through this one writer, so the layout and the file formats are said once:

    snapshot.yaml                                  what, when (capturedAt), which Kubernetes version
    resources/<folder>/<plural>.json|yaml          one `<Kind>List` per file
    logs/<namespace>/<pod>/<container>[.previous].log
    metrics/<name>.om                              OpenMetrics text, ending in `# EOF`
    flows/<name>.jsonl                             Hubble flows, one JSON object a line

Every path is built from names (groups, plurals, namespaces, pods, containers) that may come from a
hostile API server, so each must be a Kubernetes name and the path must resolve inside the snapshot
folder; a name that is not (``../../ESCAPED``, a slash, a control character) raises UnsafeName.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from tools.contracts.kube.time import rfc3339

try:  # the C emitter is ~10x faster on big snapshots, and writes the same text
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - depends on the libyaml build
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

SNAPSHOT_PARTS = ("snapshot.yaml", "resources", "logs", "metrics", "flows")

# A Kubernetes object name (RFC 1123 subdomain): what namespaces, pods, containers, groups and plurals are.
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class UnsafeName(ValueError):
    """A name that cannot be part of a path kubewhy writes."""


def safe_path(root: Path, *names: object, suffix: str = "") -> Path:
    """``root/<name>/.../<last name><suffix>``, or UnsafeName when a name is not a Kubernetes name or the
    result would resolve outside ``root`` (a symlink planted in it, say)."""
    for name in names:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise UnsafeName(f"{name!r} is not a Kubernetes name")
    path = root.joinpath(*names[:-1], f"{names[-1]}{suffix}") if names else root
    if not path.resolve().is_relative_to(root.resolve()):
        raise UnsafeName(f"{path} is outside {root}")
    return path


def dump_yaml(doc: Any) -> str:
    """A resource document as YAML: keys sorted, block style, so the same objects give the same bytes."""
    return yaml.dump(
        doc, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=120
    )


def list_doc(api_version: str, kind: str, items: list[Any]) -> dict[str, Any]:
    """A `<Kind>List` as `kubectl get -o json|yaml` prints one."""
    metadata = {"resourceVersion": ""}
    return {"apiVersion": api_version, "kind": f"{kind}List", "metadata": metadata, "items": items}


class ListFile:
    """One `resources/...json` file holding a `<Kind>List` (or `List`), written one item at a time, so memory
    stays flat however many items; a list that stays empty leaves no file behind."""

    def __init__(self, path: Path, api_version: str, kind: str) -> None:
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] = path.open("wb")
        self._handle.write(orjson.dumps({"apiVersion": api_version, "kind": kind})[:-1] + b', "items": [\n')

    def add(self, obj: dict[str, Any]) -> bytes:
        """Append one item; returns it as written. Raises orjson.JSONEncodeError for an object nested
        deeper than any API object (orjson stops at 255 levels)."""
        data = orjson.dumps(obj)
        self._handle.write(b",\n" + data if self.count else data)
        self.count += 1
        return data

    def close(self) -> int:
        """Finish the file. Returns the number of items."""
        if self._handle.closed:
            return self.count
        self._handle.write(b"\n]}\n")
        self._handle.close()
        if not self.count:
            self.path.unlink()
            if self.path.parent.name != "resources" and not any(self.path.parent.iterdir()):
                self.path.parent.rmdir()
        return self.count

    def __enter__(self) -> ListFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SnapshotWriter:
    """Writes the parts of one snapshot under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._taken: set[Path] = set()

    @classmethod
    def into_empty(cls, root: Path) -> SnapshotWriter:
        """A writer for a new snapshot: ``root`` must not exist or be empty (nothing is overwritten)."""
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ValueError(f"{root} already exists and is not an empty directory")
        (root / "resources").mkdir(parents=True, exist_ok=True)
        return cls(root)

    def clear(self) -> None:
        """Remove the snapshot parts a previous write left (anything else in ``root`` stays)."""
        for part in SNAPSHOT_PARTS:
            target = self.root / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def write_meta(
        self,
        name: str,
        captured_at: datetime,
        *,
        kubernetes_version: str | None = None,
        description: str | None = None,
        captured_at_inferred: bool = False,
    ) -> Path:
        doc: dict[str, Any] = {
            "apiVersion": "kubewhy/v1",
            "kind": "ClusterSnapshot",
            "name": name,
            "capturedAt": rfc3339(captured_at),
        }
        if captured_at_inferred:
            doc["capturedAtInferred"] = True
        if kubernetes_version:
            doc["kubernetesVersion"] = kubernetes_version
        if description:
            doc["description"] = description
        text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=100)
        return self._write(self.root / "snapshot.yaml", text)

    def resource_path(self, folder: str, plural: str, suffix: str) -> Path:
        return safe_path(self.root / "resources", folder, plural, suffix=suffix)

    def write_list_yaml(
        self, folder: str, plural: str, api_version: str, kind: str, items: list[Any]
    ) -> Path:
        doc = list_doc(api_version, kind, items)
        return self._write(self.resource_path(folder, plural, ".yaml"), dump_yaml(doc))

    def write_list_json(
        self, folder: str, plural: str, api_version: str, kind: str, items: list[Any]
    ) -> Path:
        text = json.dumps(list_doc(api_version, kind, items), separators=(",", ":"))
        return self._write(self.resource_path(folder, plural, ".json"), text)

    @contextmanager
    def list_json(self, folder: str, plural: str, api_version: str, kind: str) -> Iterator[ListFile]:
        """Stream a `<Kind>List` item by item into `resources/<folder>/<plural>.json`."""
        with ListFile(self.resource_path(folder, plural, ".json"), api_version, f"{kind}List") as listing:
            yield listing

    def list_file(self, name: str, api_version: str = "v1", kind: str = "List") -> ListFile:
        """A list file at `resources/<name>.json` for input whose file names are not Kubernetes names (an
        imported bundle's): `name` may hold folders, and is made a safe, unique path."""
        parts = [_UNSAFE_CHARS.sub("_", part).lstrip("._") or "_" for part in name.split("/") if part]
        base = (self.root / "resources").joinpath(*(parts or ["objects"]))
        path, number = base.with_name(base.name + ".json"), 2
        while path in self._taken:
            path, number = base.with_name(f"{base.name}-{number}.json"), number + 1
        self._taken.add(path)
        return ListFile(path, api_version, kind)

    def log_path(self, namespace: str, pod: str, container: str, previous: bool) -> Path:
        suffix = ".previous.log" if previous else ".log"
        return safe_path(self.root / "logs", namespace, pod, container, suffix=suffix)

    def write_log(self, namespace: str, pod: str, container: str, previous: bool, text: str) -> Path:
        return self._write(self.log_path(namespace, pod, container, previous), text)

    def write_metrics(self, name: str, text: str) -> Path:
        return self._write(self.root / "metrics" / f"{name}.om", text)

    def write_flows(self, name: str, text: str) -> Path:
        return self._write(self.root / "flows" / f"{name}.jsonl", text)

    @staticmethod
    def _write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
