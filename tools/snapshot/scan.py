"""Read a JSON list file's objects without building them: the fast path of loading a big snapshot.

A 100,000-pod snapshot is ~280 MB of JSON; building every object as Python dicts takes several seconds
before the first question can be asked. Here msgspec decodes only what the store indexes (kind,
apiVersion, metadata, the selector fields) and hands back each item's own bytes, which the server then
serves as they are. An item is "clean" when normalising it would change nothing (it already has its
apiVersion, namespace, uid, creationTimestamp and a numeric resourceVersion, and is not a Secret, an
Event or a CRD); every other item is parsed and normalised as before. A file that does not decode here
(bad JSON, not a List, too deep) goes through the ordinary loader, which words its problems.
"""

from __future__ import annotations

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


@dataclass
class ScannedObject:
    """A clean object: what to index, and its bytes as they are in the file."""

    info: KindInfo
    item: Item
    raw: memoryview
    file: str


def scan_json_file(path: Path, rel: str, problems: list[Problem]) -> Iterator[Any] | None:
    """The objects of a JSON `*List` file (ScannedObject or, for an item that needs normalising,
    SourcedObject), or None when the file is not one this path reads (the loader then reads it)."""
    try:
        data = path.read_bytes()
        if not data.isascii():
            data.decode("utf-8")  # the loader reports a file that is not UTF-8
        document = _LIST.decode(data)
    except (OSError, UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return None
    kind = document.kind
    if not isinstance(kind, str) or not kind.endswith("List") or document.items is _UNSET:
        return None
    return _items(document, rel, problems)


def _items(document: _ListDocument, rel: str, problems: list[Problem]) -> Iterator[Any]:
    item_kind = None if document.kind == "List" else document.kind[: -len("List")]
    for index, raw in enumerate(document.items):
        scanned = _clean(raw, rel)
        if scanned is not None:
            yield scanned
            continue
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits, which orjson refuses
            item = msgspec.json.decode(raw)
        yield from json_list_item(document.apiVersion, item_kind, index, item, rel, problems)


def _clean(raw: msgspec.Raw, rel: str) -> ScannedObject | None:
    """The object as it can be served unchanged, or None when it must be parsed and normalised."""
    view = memoryview(raw)  # the file's own bytes (msgspec does not copy them)
    if view.nbytes > MAX_DEPTH:
        text = bytes(view)
        if text.count(b"{") + text.count(b"[") > MAX_DEPTH:  # maybe too deep: the loader decides
            return None
    try:
        item = _ITEM.decode(raw)
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
    return ScannedObject(info, item, view, rel)
