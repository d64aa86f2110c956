"""An on-disk copy of a snapshot's built store, so the next question on the same snapshot skips parsing.

Building the store means scanning every file and indexing every object (~3 s for 100,000 pods). The cache
keeps the result: one JSON index of the small records (namespace, name, labels, selector fields, and
where the object's bytes are: a byte range of its resource file, or of the cache's blob of the objects
that had to be normalised). The blob is mapped and a resource file read only when one of its objects is
served, so the server's memory follows what it serves.

Where: `.kubewhy-cache/` inside the snapshot folder, else (read-only snapshot) a folder under the user's
cache directory, else no cache at all. Valid while every resource file and snapshot.yaml keep their
mtime and size and the code that builds the store is unchanged; otherwise it is rebuilt. A cache shipped
inside a hostile snapshot gains nothing: Secrets are redacted again when it is read.
"""

from __future__ import annotations

import gc
import hashlib
import mmap
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from tools.contracts.kube import kinds as contract_kinds
from tools.contracts.kube.kinds import KindInfo
from tools.snapshot import kinds as snapshot_kinds
from tools.snapshot import loader, scan, store
from tools.snapshot.loader import Problem, Snapshot
from tools.snapshot.scan import SourceFile
from tools.snapshot.store import (
    CachedRecords,
    ResourceIndex,
    SnapshotStore,
    StoredObject,
    field_names,
    gc_paused,
    redact_secret,
    to_json,
)

CACHE_FOLDER = ".kubewhy-cache"
INDEX_NAME = "store.json"
_FORMAT = 2


def open_store(snapshot: Snapshot, *, cache: bool = True) -> SnapshotStore:
    """The snapshot's store: restored from a valid cache, or built (and cached for the next time)."""
    if not cache or snapshot._tempdir is not None:  # an archive or an import: a new folder every time
        return SnapshotStore(snapshot)
    fingerprint = snapshot_fingerprint(snapshot)
    with gc_paused():
        for folder in cache_folders(snapshot.root):
            restored = _restore(snapshot, folder, fingerprint)
            if restored is not None:
                # restoring makes no garbage and the index never changes: keep it out of the
                # collections that re-enabling the collector would start at once
                gc.freeze()
                return restored
    listed = len(snapshot.problems)
    built = SnapshotStore(snapshot)
    for folder in cache_folders(snapshot.root):
        if _save(built, folder, fingerprint, snapshot.problems[listed:]):
            break
    return built


def cache_folders(root: Path) -> list[Path]:
    """Beside the snapshot first, then under the user's cache directory."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:24]
    return [root / CACHE_FOLDER, base / "kubewhy" / "snapshots" / digest]


def snapshot_fingerprint(snapshot: Snapshot) -> dict[str, Any]:
    """What the store is built from: every resource file's (mtime, size) and the building code."""
    files: dict[str, list[int]] = {}
    for path in [snapshot.root / "snapshot.yaml", *snapshot.resource_files]:
        try:
            stat = path.stat()
        except OSError:
            continue
        files[snapshot.rel(path)] = [stat.st_mtime_ns, stat.st_size]
    return {"format": _FORMAT, "code": _code_digest(), "root": str(snapshot.root), "files": files}


def _code_digest() -> str:
    digest = hashlib.sha256()
    for module in (store, scan, loader, snapshot_kinds, contract_kinds, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def _save(built: SnapshotStore, folder: Path, fingerprint: dict[str, Any], problems: list[Problem]) -> bool:
    """Write blob then index, each by rename: a reader sees the old cache or the new one, never half."""
    token = secrets.token_hex(8)
    blob_name = f"objects-{token}.bin"
    resources = []
    label_sets: dict[tuple[tuple[str, str], ...], int] = {}  # pods of a replica set share one label set
    files: dict[str, int] = {}
    in_blob: list[StoredObject] = []
    offset = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{blob_name}.partial", "wb") as blob:
            for (group, kind), index in built.resources.items():
                rows = []
                for record in index.records:
                    labels = label_sets.setdefault(tuple(record.labels.items()), len(label_sets))
                    row = [record.namespace, record.name, labels, record.field_values]
                    if record.source is not None:
                        number = files.setdefault(record.source.rel, len(files))
                        rows.append([*row, number, record.start, record.length])
                        continue
                    raw = record.raw
                    blob.write(raw)
                    in_blob.append(record)
                    rows.append([*row, -1, offset, len(raw)])
                    offset += len(raw)
                resources.append({"group": group, "kind": kind, "info": asdict(index.info), "records": rows})
        os.replace(folder / f"{blob_name}.partial", folder / blob_name)
        document = {
            "fingerprint": fingerprint,
            "blob": blob_name,
            "blob_size": offset,
            "files": list(files),
            "resource_version": built.resource_version,
            "problems": [[p.file, p.line, p.message] for p in problems],
            "label_sets": [dict(pairs) for pairs in label_sets],
            "resources": resources,
        }
        partial = folder / f"{INDEX_NAME}.{token}.partial"
        partial.write_bytes(orjson.dumps(document))
        os.replace(partial, folder / INDEX_NAME)
    except OSError:
        for leftover in folder.glob(f"*{token}*"):
            leftover.unlink(missing_ok=True)
        return False
    for old in folder.glob("objects-*.bin"):  # a reader still mapping one keeps it until it closes
        if old.name != blob_name:
            old.unlink(missing_ok=True)
    _serve_from_cache(built, in_blob, folder / blob_name, offset)
    return True


def _serve_from_cache(built: SnapshotStore, in_blob: list[StoredObject], blob_path: Path, size: int) -> None:
    """Serve as a restored store would: normalised objects from the mapped blob, the others from their
    files, read again when served; the bytes read to build the store can go."""
    view = _mapped(blob_path, size)
    if view is None:
        return
    offset = 0
    for record in in_blob:
        length = len(record.raw)
        record._raw = view[offset : offset + length]
        offset += length
    for index in built.resources.values():
        for record in index.records:
            if record.source is not None:
                record.source.forget()


def _mapped(blob_path: Path, size: int) -> memoryview | None:
    try:
        with open(blob_path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size != size:
                return None
            if not size:
                return memoryview(b"")
            return memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
    except (OSError, ValueError):
        return None


def _restore(snapshot: Snapshot, folder: Path, fingerprint: dict[str, Any]) -> SnapshotStore | None:
    """The cached store, or None when there is none or it no longer matches the snapshot."""
    try:
        document = orjson.loads((folder / INDEX_NAME).read_bytes())
        if document.get("fingerprint") != fingerprint or "/" in str(document["blob"]):
            return None
        view = _mapped(folder / str(document["blob"]), document["blob_size"])
        if view is None:
            return None
        known = fingerprint["files"]  # only the snapshot's own files, with the stamps just taken
        sources = [
            SourceFile(snapshot.root / rel, rel, (known[rel][0], known[rel][1])) for rel in document["files"]
        ]
        restored = SnapshotStore(snapshot, load=False)
        label_sets = [_interned(labels) for labels in document["label_sets"]]
        for entry in document["resources"]:
            info = KindInfo(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry["info"].items()})
            index = ResourceIndex(info)
            rows = entry["records"]
            _check_rows(rows, field_names(info), len(label_sets), len(sources))
            records: Sequence[StoredObject] = CachedRecords(
                rows, field_names(info), label_sets, sources, view
            )
            if (info.group, info.kind) == ("", "Secret"):
                records = [_redacted(record) for record in records]
            index.restore([(sys.intern(row[0]), row[1]) for row in rows], records)
            restored.resources[(entry["group"], entry["kind"])] = index
    except (OSError, ValueError, KeyError, IndexError, TypeError):  # unreadable, or not ours: rebuild
        return None
    restored.object_count = sum(len(index) for index in restored.resources.values())
    restored.resource_version = str(document["resource_version"])
    snapshot.problems.extend(Problem(file, line, message) for file, line, message in document["problems"])
    return restored


def _check_rows(rows: list[list[Any]], names: tuple[str, ...] | None, label_sets: int, sources: int) -> None:
    """Every cached row has the shape the records are built from later (a cache that does not match is
    not ours: ValueError, and the store is rebuilt)."""
    fields = len(names) if names is not None else None
    for row in rows:
        _namespace, _name, labels, values, number, _start, _length = row
        if not 0 <= labels < label_sets or number >= sources:
            raise ValueError("a cached record points past the cache's tables")
        if values is not None and fields is not None and len(values) != fields:
            raise ValueError("field values do not match the kind's fields")


def _interned(values: dict[str, str]) -> dict[str, str]:
    """Label keys and values repeat across label sets: one copy of each string, as the builder keeps."""
    return {sys.intern(k): sys.intern(v) for k, v in values.items()}


def _redacted(record: StoredObject) -> StoredObject:
    obj = record.parsed()
    redact_secret(obj)
    return StoredObject(
        record.namespace,
        record.name,
        record.labels,
        record.field_values,
        to_json(obj),
        field_names=record.field_names,
    )
