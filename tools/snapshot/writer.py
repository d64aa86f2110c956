"""Write a snapshot directory (contracts section 1): snapshot.yaml, resources/ lists and logs/.

The one writer that shipped code uses: `kubewhy snapshot capture` streams a live cluster through it and
`kubewhy snapshot import` streams other people's bundles through it. Lists are written item by item so
memory stays flat however large the input; every path segment that comes from the input is checked, so
a hostile name cannot write outside the snapshot.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import yaml

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class UnsafeName(ValueError):
    """A namespace, pod or container name that cannot be a path segment (empty, '..', a slash)."""


def safe_segment(name: Any) -> str:
    """The name itself when it is a usable file name; raises UnsafeName otherwise."""
    if not isinstance(name, str) or not _SAFE_SEGMENT.match(name) or name in {".", ".."}:
        raise UnsafeName(f"{name!r} is not a valid namespace, pod or container name")
    return name


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ListFile:
    """One `resources/...json` file holding a `<Kind>List` (or `List`), written one item at a time."""

    def __init__(self, path: Path, api_version: str, kind: str) -> None:
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] = path.open("wb")
        head = orjson.dumps({"apiVersion": api_version, "kind": kind})[:-1]
        self._handle.write(head + b', "items": [\n')

    def add(self, obj: dict[str, Any]) -> bytes:
        """Append one item; returns it as written (JSON bytes)."""
        data = orjson.dumps(obj)
        if self.count:
            self._handle.write(b",\n")
        self._handle.write(data)
        self.count += 1
        return data

    def close(self) -> int:
        """Finish the file; an empty list leaves no file behind. Returns the number of items."""
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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SnapshotWriter:
    """Writes into `out`, which must not exist or be empty; snapshot.yaml comes last (when "now" is known)."""

    def __init__(self, out: Path) -> None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ValueError(f"{out} already exists and is not an empty directory")
        self.out = out
        self.resources = out / "resources"
        self.resources.mkdir(parents=True, exist_ok=True)
        self._taken: set[Path] = set()

    def list_file(self, name: str, api_version: str = "v1", kind: str = "List") -> ListFile:
        """A list file at `resources/<name>.json`; `name` may hold folders and is made safe and unique."""
        parts = [_UNSAFE_CHARS.sub("_", part).lstrip("._") or "_" for part in name.split("/") if part]
        base = self.resources.joinpath(*(parts or ["objects"]))
        path, number = base.with_name(base.name + ".json"), 2
        while path in self._taken:
            path, number = base.with_name(f"{base.name}-{number}.json"), number + 1
        self._taken.add(path)
        return ListFile(path, api_version, kind)

    def log_path(self, namespace: str, pod: str, container: str, previous: bool) -> Path:
        """Where a container log goes (raises UnsafeName for a name that is not a plain file name)."""
        suffix = ".previous.log" if previous else ".log"
        directory = self.out / "logs" / safe_segment(namespace) / safe_segment(pod)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{safe_segment(container)}{suffix}"

    def write_log(self, namespace: str, pod: str, container: str, previous: bool, text: str) -> Path:
        path = self.log_path(namespace, pod, container, previous)
        path.write_text(text, encoding="utf-8")
        return path

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
        path = self.out / "snapshot.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path
