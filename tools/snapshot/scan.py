"""Read a JSON list file's objects without building them: the fast path of loading a big snapshot.

A 100,000-pod snapshot is ~280 MB of JSON; building every object as Python dicts takes several seconds
before the first question can be asked. Here msgspec decodes only what the store indexes (kind,
apiVersion, metadata, the selector fields) and hands back each item's own bytes, which the server then
serves as they are. An item is "clean" when normalising it would change nothing (it already has its
apiVersion, namespace, uid, creationTimestamp and a numeric resourceVersion, and is not a Secret, an
Event or a CRD); every other item is parsed and normalised as before. A file that does not decode here
(bad JSON, not a List, too deep) goes through the ordinary loader, which words its problems.

A clean object is known by its file and byte range, so a store restored from its cache reads a file only
when one of its objects is served, and checks first that the file is still the one it indexed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson

from tools.contracts.kube.kinds import KindInfo
from tools.snapshot.bounded import MAX_DEPTH
from tools.snapshot.kinds import builtin_for, split_api_version
from tools.snapshot.loader import Problem, json_list_item

_UNSET: Any = msgspec.UNSET
_PARSED_KINDS = ("Event", "Secret", "CustomResourceDefinition")  # always normalised from their dicts


class _Meta(msgspec.Struct):
    name: str
    namespace: str | msgspec.UnsetType | None = _UNSET
    uid: Any = None
    resourceVersion: Any = None
    creationTimestamp: Any = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class _Spec(msgspec.Struct):
    nodeName: Any = None
    restartPolicy: Any = None
    schedulerName: Any = None
    serviceAccountName: Any = None
    hostNetwork: Any = None
    unschedulable: Any = None


class _Status(msgspec.Struct):
    phase: Any = None
    podIP: Any = None
    nominatedNodeName: Any = None
    replicas: Any = None
    successful: Any = None


class Item(msgspec.Struct):
    """The parts of an object the store indexes; the rest is skipped unread."""

    kind: str | None = None
    apiVersion: str | None = None
    metadata: _Meta | None = None
    spec: _Spec | None = None
    status: _Status | None = None


class _ListDocument(msgspec.Struct):
    kind: Any = None
    apiVersion: Any = None
    items: list[msgspec.Raw] | msgspec.UnsetType = _UNSET


_LIST = msgspec.json.Decoder(_ListDocument)
_ITEM = msgspec.json.Decoder(Item)


class SnapshotChanged(Exception):
    """A resource file changed on disk after the store indexed it: its objects can no longer be served."""


class SourceFile:
    """A resource file whose clean objects are served as they are in it. A few objects are read one by one
    (pods on a node come from many files); a file many objects are served from is read whole, once."""

    def __init__(self, path: Path, rel: str, stamp: tuple[int, int], data: bytes | None = None) -> None:
        self.path = path
        self.rel = rel
        self.stamp = stamp  # (mtime_ns, size) when indexed
        self._view = memoryview(data) if data is not None else None
        self._reads = 0
        self._lock = threading.Lock()

    def read(self, start: int, length: int) -> bytes | memoryview:
        view = self._view
        if view is None:
            self._reads += 1
            if self._reads <= _READS_ONE_BY_ONE:
                return self._read(start, length)
            view = self._whole()
        return view[start : start + length]

    def forget(self) -> None:
        """Drop the bytes read while indexing: what is served later is read again."""
        self._view = None

    def _whole(self) -> memoryview:
        with self._lock:
            if self._view is None:
                self._view = memoryview(self._read(0, self.stamp[1]))
            return self._view

    def _read(self, start: int, length: int) -> bytes:
        try:
            with open(self.path, "rb") as handle:
                now = os.fstat(handle.fileno())
                data = os.pread(handle.fileno(), length, start)
        except OSError as exc:
            raise SnapshotChanged(
                f"{self.rel}: cannot be read any more ({exc}); open the snapshot again"
            ) from None
        if (now.st_mtime_ns, now.st_size) != self.stamp or len(data) != length:
            raise SnapshotChanged(f"{self.rel} changed on disk after it was loaded; open the snapshot again")
        return data


_READS_ONE_BY_ONE = 64


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclass
class ScannedObject:
    """A clean object: what to index, and where its bytes are in its file."""

    info: KindInfo
    item: Item
    source: SourceFile
    start: int
    length: int


def scan_json_file(path: Path, rel: str, problems: list[Problem]) -> Iterator[Any] | None:
    """The objects of a JSON `*List` file (ScannedObject or, for an item that needs normalising,
    SourcedObject), or None when the file is not one this path reads (the loader then reads it)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            stat = os.fstat(handle.fileno())
        if not data.isascii():
            data.decode("utf-8")  # the loader reports a file that is not UTF-8
        document = _LIST.decode(data)
    except (OSError, UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return None
    kind = document.kind
    if not isinstance(kind, str) or not kind.endswith("List") or document.items is _UNSET:
        return None
    source = SourceFile(path, rel, (stat.st_mtime_ns, stat.st_size), data)
    return _items(data, source, document, problems)


def _items(
    data: bytes, source: SourceFile, document: _ListDocument, problems: list[Problem]
) -> Iterator[Any]:
    item_kind = None if document.kind == "List" else document.kind[: -len("List")]
    end = 0
    for index, raw in enumerate(document.items):
        text = bytes(raw)
        # Items follow one another, separated by commas and blanks: an object starts at the next "{".
        start = data.find(b"{", end) if end else -1
        if start < 0 or not data.startswith(text, start):
            start = data.find(text, end)
        end = start + len(text)
        scanned = _clean(text, source, start)
        if scanned is not None:
            yield scanned
            continue
        try:
            item = orjson.loads(text)
        except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits, which orjson refuses
            item = msgspec.json.decode(text)
        yield from json_list_item(document.apiVersion, item_kind, index, item, source.rel, problems)


def _clean(text: bytes, source: SourceFile, start: int) -> ScannedObject | None:
    """The object as it can be served unchanged, or None when it must be parsed and normalised."""
    if len(text) > MAX_DEPTH and text.count(b"{") + text.count(b"[") > MAX_DEPTH:
        return None  # may be nested too deeply: the loader decides
    try:
        item = _ITEM.decode(text)
    except msgspec.DecodeError:
        return None
    meta = item.metadata
    if item.kind is None or not item.apiVersion or meta is None or not meta.name:
        return None
    info = builtin_for(item.apiVersion, item.kind)
    if info is None or info.kind in _PARSED_KINDS or split_api_version(item.apiVersion)[0] != info.group:
        return None
    if info.namespaced:
        if not isinstance(meta.namespace, str) or not meta.namespace:
            return None
    elif meta.namespace is not _UNSET:
        return None
    uid, created, version = meta.uid, meta.creationTimestamp, meta.resourceVersion
    if not (uid and isinstance(uid, str) and created and isinstance(created, str)):
        return None
    if not isinstance(version, str) or not version.isdigit():
        return None
    return ScannedObject(info, item, source, start, len(text))
