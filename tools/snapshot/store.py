"""In-memory index of a snapshot's objects, built for 100,000-pod snapshots.

An object that is already complete, as captured from an API server, is served as the bytes it has in
its file (JSON List files are indexed by `scan.py` without building their objects). The others are
normalised once at load time (apiVersion, uid, resourceVersion, creationTimestamp filled in; Secret
values redacted; `events.k8s.io` events turned into core events) and kept ONCE as compact JSON bytes. A
small record per object holds what selectors need (namespace, name, labels, a few field values). Records
of a resource are sorted by (namespace, name): a namespace is a contiguous slice, a `continue` token is
just the last key, and wide lists select through inverted indexes of labels and fields, built on first
use.
"""

from __future__ import annotations

import base64
import gc
import json
import sys
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

import orjson

from tools.contracts.kube import objects
from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.selectors import FieldSelector, LabelSelector, SelectorError
from tools.snapshot.kinds import (
    BUILTIN_BY_GROUP_KIND,
    BUILTIN_KINDS,
    builtin_for,
    crd_names,
    custom_kind,
    split_api_version,
)
from tools.snapshot.loader import Problem, Snapshot, SourcedObject, objects_in_file
from tools.snapshot.scan import Item, ScannedObject, SourceFile, scan_json_file

REDACTED = "REDACTED"
REDACTED_B64 = base64.b64encode(REDACTED.encode()).decode()
_UID_NAMESPACE = uuid.UUID("6b1d5b8e-3f0c-4f57-9a55-2f4c8c1f7a11")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
# Field selectors the real API server supports per kind (beyond metadata.name/namespace).
FIELD_PATHS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("", "Pod"): {
        "spec.nodeName": ("spec", "nodeName"),
        "spec.restartPolicy": ("spec", "restartPolicy"),
        "spec.schedulerName": ("spec", "schedulerName"),
        "spec.serviceAccountName": ("spec", "serviceAccountName"),
        "spec.hostNetwork": ("spec", "hostNetwork"),
        "status.phase": ("status", "phase"),
        "status.podIP": ("status", "podIP"),
        "status.nominatedNodeName": ("status", "nominatedNodeName"),
    },
    ("", "Event"): {
        "involvedObject.kind": ("involvedObject", "kind"),
        "involvedObject.namespace": ("involvedObject", "namespace"),
        "involvedObject.name": ("involvedObject", "name"),
        "involvedObject.uid": ("involvedObject", "uid"),
        "involvedObject.apiVersion": ("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": ("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": ("involvedObject", "fieldPath"),
        "reason": ("reason",),
        "reportingComponent": ("reportingComponent",),
        "source": ("source", "component"),
        "type": ("type",),
    },
    ("", "Node"): {"spec.unschedulable": ("spec", "unschedulable")},
    ("", "Secret"): {"type": ("type",)},
    ("", "Namespace"): {"status.phase": ("status", "phase")},
    ("", "ReplicationController"): {"status.replicas": ("status", "replicas")},
    ("apps", "ReplicaSet"): {"status.replicas": ("status", "replicas")},
    ("batch", "Job"): {"status.successful": ("status", "successful")},
}
FIELD_NAMES = {kind: tuple(paths) for kind, paths in FIELD_PATHS.items()}
# events.k8s.io/v1 field names, mapped onto the core event fields they are stored under.
EVENTS_V1_FIELD_ALIASES = {
    **{f"regarding.{n}": f"involvedObject.{n}" for n in ("kind", "namespace", "name", "uid", "apiVersion")},
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "reason": "reason",
    "type": "type",
}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Build with the cyclic GC paused: ~250,000 new containers would trigger full collections that
    rescan everything built so far (a third of the build time on 100,000 pods)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class StoredObject:
    """One object: its serialized JSON (or where it is in its file) and the values selectors look at."""

    __slots__ = (
        "_raw",
        "field_names",
        "field_values",
        "labels",
        "length",
        "name",
        "namespace",
        "source",
        "start",
    )

    def __init__(
        self,
        namespace: str,
        name: str,
        labels: dict[str, str],
        field_values: tuple[str | None, ...] | None,  # in the order of field_names (FIELD_PATHS of its kind)
        raw: bytes | memoryview | None,  # a view into the mapped cache blob when restored from the cache
        source: SourceFile | None = None,  # or the file holding the object's bytes as they are served
        start: int = 0,
        length: int = 0,
        field_names: tuple[str, ...] | None = None,
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.field_names = field_names
        self.field_values = field_values
        self._raw = raw
        self.source = source
        self.start = start
        self.length = length

    @property
    def fields(self) -> dict[str, str] | None:
        """The selector fields it has a value for."""
        if self.field_names is None or self.field_values is None:
            return None
        return {n: v for n, v in zip(self.field_names, self.field_values, strict=True) if v is not None}

    @property
    def raw(self) -> bytes | memoryview:
        raw = self._raw
        if raw is None:
            assert self.source is not None  # an object without bytes always has its file
            raw = self.source.read(self.start, self.length)
        return raw

    def field(self, name: str) -> str:
        if name == "metadata.name":
            return self.name
        if name == "metadata.namespace":
            return self.namespace
        names, values = self.field_names, self.field_values
        if names is None or values is None or name not in names:
            return ""
        return values[names.index(name)] or ""

    def parsed(self) -> dict[str, Any]:
        return orjson.loads(self.raw)


@dataclass
class ListPage:
    items: list[StoredObject]
    continue_key: tuple[str, str] | None  # key of the last returned item when more remain
    remaining: int | None  # exact count of items after this page, when cheap to know


_SCAN_AT_MOST = 5000  # records a selector checks one by one before an inverted index pays


class CachedRecords(Sequence[StoredObject]):
    """A kind's records as the store cache keeps them (rows: namespace, name, label set, field values,
    source, start, length), each built the first time it is read: a question about one namespace reads a
    few thousand of a cluster's records, and building all of them was most of a cached start. The
    indexes read labels and field values from the rows without building records."""

    def __init__(
        self,
        rows: list[list[Any]],
        names: tuple[str, ...] | None,
        label_sets: list[dict[str, str]],
        sources: list[SourceFile],
        view: memoryview,
    ) -> None:
        self._rows = rows
        self._built: list[StoredObject | None] = [None] * len(rows)
        self._names = names
        self._label_sets = label_sets
        self._sources = sources
        self._view = view

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, position: int) -> StoredObject: ...

    @overload
    def __getitem__(self, position: slice) -> list[StoredObject]: ...

    def __getitem__(self, position: int | slice) -> StoredObject | list[StoredObject]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self._rows)))]
        record = self._built[position]
        if record is None:
            record = self._built[position] = self._build(self._rows[position])
        return record

    def __iter__(self) -> Iterator[StoredObject]:
        return (self[i] for i in range(len(self._rows)))

    def labels(self) -> Iterator[dict[str, str]]:
        return (self._label_sets[row[2]] for row in self._rows)

    def field_values(self) -> Iterator[tuple[str | None, ...] | None]:
        return (self._values(row[3]) for row in self._rows)

    def _values(self, values: list[str | None] | None) -> tuple[str | None, ...] | None:
        return tuple(values) if values is not None and self._names is not None else None

    def _build(self, row: list[Any]) -> StoredObject:
        namespace, name, labels, values, number, start, length = row
        return StoredObject(
            sys.intern(namespace),
            name,
            self._label_sets[labels],
            self._values(values),
            self._view[start : start + length] if number < 0 else None,
            None if number < 0 else self._sources[number],
            start,
            length,
            self._names,
        )


def _labels_of(records: Sequence[StoredObject]) -> Iterator[dict[str, str]]:
    return records.labels() if isinstance(records, CachedRecords) else (r.labels for r in records)


def _field_values_of(records: Sequence[StoredObject]) -> Iterator[tuple[str | None, ...] | None]:
    if isinstance(records, CachedRecords):
        return records.field_values()
    return (r.field_values for r in records)


@dataclass
class ResourceIndex:
    """All objects of one resource, sorted by (namespace, name)."""

    info: KindInfo
    keys: list[tuple[str, str]] = field(default_factory=list)
    records: Sequence[StoredObject] = field(default_factory=list)  # a cache's are built when read
    _postings: dict[tuple[str, str], array] | None = None  # see postings
    _pending: dict[tuple[str, str], StoredObject] = field(default_factory=dict)
    _fields: dict[str, dict[Any, array]] = field(default_factory=dict)  # see _field_postings

    def add(self, record: StoredObject) -> bool:
        """Stage a record; returns False when it replaced an object with the same key."""
        key = (record.namespace, record.name)
        replaced = key in self._pending
        self._pending[key] = record
        return not replaced

    def finalize(self) -> None:
        keys = sorted(self._pending)
        self.restore(keys, [self._pending[key] for key in keys])
        self._pending = {}

    def restore(self, keys: list[tuple[str, str]], records: Sequence[StoredObject]) -> None:
        """Take records already sorted by (namespace, name) and index their labels."""
        self.keys = keys
        self.records = records
        self._fields = {}
        self._postings = None

    @property
    def postings(self) -> dict[tuple[str, str], array]:
        """Positions by `key=value` label, built the first time a wide list selects by label."""
        if self._postings is None:
            found: dict[tuple[str, str], list[int]] = {}
            for position, labels in enumerate(_labels_of(self.records)):
                for pair in labels.items():
                    found.setdefault(pair, []).append(position)
            self._postings = {pair: array("l", positions) for pair, positions in found.items()}
        return self._postings

    def __len__(self) -> int:
        return len(self.records)

    def _field_postings(self, name: str) -> dict[Any, array]:
        """Positions by value of one selector field, built the first time it is asked for (pods on a node:
        `spec.nodeName=...` is asked once per node a question looks at)."""
        postings = self._fields.get(name)
        if postings is None:
            found: dict[str, list[int]] = {}
            names = field_names(self.info) or ()
            slot = names.index(name) if name in names else None
            for position, values in enumerate(_field_values_of(self.records)):
                value = (values[slot] or "") if slot is not None and values is not None else ""
                found.setdefault(value, []).append(position)
            postings = self._fields[name] = {value: array("l", items) for value, items in found.items()}
        return postings

    def _other_values(self, name: str, value: str, low: int, high: int) -> list[int]:
        """Positions in [low, high) whose field `name` is not `value`, in order: the pods not Running
        (`status.phase!=Running`) are a few thousand of 100,000, found without checking each."""
        found: list[int] = []
        for other, posting in self._field_postings(name).items():
            if other != value:
                found.extend(posting[bisect_left(posting, low) : bisect_left(posting, high)])
        found.sort()
        return found

    def get(self, namespace: str, name: str) -> StoredObject | None:
        key = (namespace, name)
        position = bisect_left(self.keys, key)
        if position < len(self.keys) and self.keys[position] == key:
            return self.records[position]
        return None

    def _bounds(self, namespace: str | None) -> tuple[int, int]:
        if namespace is None:
            return 0, len(self.keys)
        return bisect_left(self.keys, (namespace, "")), bisect_left(self.keys, (namespace + "\x00", ""))

    def list(
        self,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        limit: int | None = None,
        after: tuple[str, str] | None = None,
    ) -> ListPage:
        """Matching records in (namespace, name) order, starting after `after`, at most `limit`."""
        low, high = self._bounds(namespace)
        if after is not None:
            low = max(low, bisect_right(self.keys, after))
        filtered = not (labels.empty and fields.empty)
        candidates: Any = range(low, high)
        terms: list[tuple[dict[Any, array], Any]] = []
        if high - low > _SCAN_AT_MOST:  # a namespace is scanned; a wide list uses the inverted indexes
            terms += [(self.postings, pair) for pair in labels.equality_terms()]
            terms += [
                (self._field_postings(r.field), r.value)
                for r in fields.requirements
                if not r.negated and r.field not in _COMMON_FIELDS
            ]
        for postings, term in terms:
            posting = postings.get(term)
            if posting is None:
                return ListPage([], None, 0)
            start, stop = bisect_left(posting, low), bisect_left(posting, high)
            if stop - start < len(candidates):
                candidates = posting[start:stop]
        if high - low > _SCAN_AT_MOST:
            for r in fields.requirements:
                if r.negated and r.field not in _COMMON_FIELDS:
                    others = self._other_values(r.field, r.value, low, high)
                    if len(others) < len(candidates):
                        candidates = others
        items: list[StoredObject] = []
        records = self.records
        for position in candidates:
            record = records[position]
            if filtered and not (labels.matches(record.labels) and fields.matches(record.field)):
                continue
            if limit and len(items) == limit:
                last = items[-1]
                remaining = None if filtered else high - position
                return ListPage(items, (last.namespace, last.name), remaining)
            items.append(record)
        return ListPage(items, None, None)


class SnapshotStore:
    """Every resource of a snapshot, plus the discovery view built from the kinds present."""

    def __init__(self, snapshot: Snapshot, *, load: bool = True) -> None:
        """Parse and index every object of `snapshot` (`load=False`: an empty store to restore into)."""
        self.snapshot = snapshot
        self.now = snapshot.meta.captured_at
        self.resources: dict[tuple[str, str], ResourceIndex] = {}  # (group, kind) -> index
        self.object_count = 0
        self.resource_version = "1"
        for info in BUILTIN_KINDS:
            self.resources[(info.group, info.kind)] = ResourceIndex(info)
        if load:
            with gc_paused():
                self._load()

    # --- lookups --------------------------------------------------------------------------------------

    def kinds(self) -> list[KindInfo]:
        return [index.info for index in self.resources.values()]

    def resource(self, group: str, version: str, plural: str) -> ResourceIndex | None:
        for index in self.resources.values():
            info = index.info
            if info.group == group and info.version == version and info.plural == plural:
                return index
        return None

    def events(self) -> ResourceIndex:
        return self.resources[("", "Event")]

    def supported_fields(self, info: KindInfo) -> set[str]:
        if info.group == "events.k8s.io" and info.kind == "Event":
            return set(_COMMON_FIELDS) | set(EVENTS_V1_FIELD_ALIASES)
        return set(_COMMON_FIELDS) | set(FIELD_PATHS.get((info.group, info.kind), {}))

    def check_fields(self, info: KindInfo, selector: FieldSelector) -> None:
        supported = self.supported_fields(info)
        for requirement in selector.requirements:
            if requirement.field not in supported:
                raise SelectorError(
                    f"field label not supported: {requirement.field} for {info.plural} "
                    f"(supported: {', '.join(sorted(supported))})"
                )

    # --- loading ----------------------------------------------------------------------------------

    def _load(self) -> None:
        loader = _Normaliser(self.now)
        custom: list[dict[str, Any]] = []
        deferred_events: list[dict[str, Any]] = []
        crds: list[dict[str, Any]] = []
        for sourced in self._entries():
            if isinstance(sourced, ScannedObject):
                self._add_scanned(sourced, loader)
                continue
            obj = sourced.obj
            info = builtin_for(obj.get("apiVersion"), obj["kind"])
            if info is None:
                if not isinstance(obj.get("apiVersion"), str) or not obj["apiVersion"]:
                    self._problem(
                        sourced.file, sourced.line, f"{obj['kind']} without apiVersion (not a built-in kind)"
                    )
                    continue
                custom.append(obj)
                continue
            if info.kind == "Event":
                info = BUILTIN_BY_GROUP_KIND[("", "Event")]
                deferred_events.append(loader.core_event(obj))
                continue
            if info.kind == "CustomResourceDefinition":
                crds.append(obj)
            loader.normalise(obj, info)
            self._add(info, obj, sourced.file)
        crd_index = crd_names(crds)
        namespaced_kinds = {
            (split_api_version(o["apiVersion"])[0], o["kind"])
            for o in custom
            if o["metadata"].get("namespace")
        }
        custom_infos: dict[tuple[str, str], KindInfo] = {}
        for obj in custom:
            key = (split_api_version(obj["apiVersion"])[0], obj["kind"])
            if key not in custom_infos:
                namespaced = key in namespaced_kinds
                custom_infos[key] = custom_kind(
                    obj["apiVersion"], obj["kind"], namespaced, crd_index.get(key)
                )
                self.resources[key] = ResourceIndex(custom_infos[key])
            loader.normalise(obj, custom_infos[key])
            self._add(custom_infos[key], obj, None)
        for (group, kind), crd in crd_index.items():  # kinds defined by a CRD but with no objects
            if (group, kind) not in self.resources:
                version = _crd_storage_version(crd)
                if version:
                    info = custom_kind(f"{group}/{version}", kind, True, crd)
                    self.resources[(group, kind)] = ResourceIndex(info)
        event_info = BUILTIN_BY_GROUP_KIND[("", "Event")]
        for event in deferred_events:
            loader.normalise(event, event_info)
            involved = event.get("involvedObject")
            if isinstance(involved, dict) and not involved.get("uid") and involved.get("kind"):
                uid = self._uid_of(involved)
                if uid:
                    involved["uid"] = uid
            self._add(event_info, event, None)
        self._add_missing_namespaces(loader)
        for index in self.resources.values():
            index.finalize()
        self.object_count = sum(len(index) for index in self.resources.values())
        self.resource_version = str(loader.max_resource_version)

    def _entries(self) -> Iterator[SourcedObject | ScannedObject]:
        """Every object in file order: JSON list files through the fast scan, the rest parsed."""
        problems = self.snapshot.problems
        for path in self.snapshot.resource_files:
            rel = self.snapshot.rel(path)
            scanned = scan_json_file(path, rel, problems) if rel.endswith(".json") else None
            yield from scanned if scanned is not None else objects_in_file(path, rel, problems)

    def _add_scanned(self, scanned: ScannedObject, loader: _Normaliser) -> None:
        info, item = scanned.info, scanned.item
        meta = item.metadata
        assert meta is not None  # a scanned object always has its metadata
        namespace = meta.namespace if info.namespaced else ""
        assert isinstance(namespace, str)
        loader.count(namespace, meta.creationTimestamp, meta.resourceVersion)
        labels = loader.label_set(meta.labels) if meta.labels else {}
        paths = FIELD_PATHS.get((info.group, info.kind))
        fields = _scanned_field_values(item, paths) if paths else None
        record = StoredObject(
            sys.intern(namespace),
            meta.name,
            labels,
            fields,
            None,
            scanned.source,
            scanned.start,
            scanned.length,
            field_names(info),
        )
        if not self.resources[(info.group, info.kind)].add(record):
            where = f"{namespace}/{meta.name}" if namespace else meta.name
            self._problem(scanned.source.rel, None, f"duplicate {info.kind} {where}: the last one read wins")

    def _uid_of(self, involved: dict[str, Any]) -> str | None:
        """The uid of the built-in object an event is about, when the snapshot holds it."""
        target = builtin_for(involved.get("apiVersion"), involved["kind"])
        if target is None:
            return None
        key = (involved.get("namespace", ""), involved.get("name", ""))
        record = self.resources[(target.group, target.kind)]._pending.get(key)  # type: ignore[arg-type]
        return None if record is None else str(record.parsed()["metadata"]["uid"])

    def _add_missing_namespaces(self, loader: _Normaliser) -> None:
        """Real clusters always have a Namespace object for every namespace in use."""
        info = BUILTIN_BY_GROUP_KIND[("", "Namespace")]
        existing = set(self.resources[("", "Namespace")]._pending)
        for name, created in sorted(loader.namespaces_seen.items()):
            if ("", name) in existing:
                continue
            obj = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "creationTimestamp": created,
                    "labels": {"kubernetes.io/metadata.name": name},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
            loader.normalise(obj, info)
            self._add(info, obj, None)

    def _add(self, info: KindInfo, obj: dict[str, Any], file: str | None) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace", "") if info.namespaced else ""
        labels = meta.get("labels")
        labels = {sys.intern(str(k)): sys.intern(str(v)) for k, v in labels.items()} if labels else {}
        paths = FIELD_PATHS.get((info.group, info.kind))
        fields = _field_values(obj, paths) if paths else None
        raw = bytes(memoryview(to_json(obj)))  # a tight copy: orjson's own buffer keeps ~3x slack
        record = StoredObject(
            sys.intern(namespace), meta["name"], labels, fields, raw, field_names=field_names(info)
        )
        if not self.resources[(info.group, info.kind)].add(record) and file:
            where = f"{namespace}/{meta['name']}" if namespace else meta["name"]
            self._problem(file, None, f"duplicate {info.kind} {where}: the last one read wins")

    def _problem(self, file: str, line: int | None, message: str) -> None:
        self.snapshot.problems.append(Problem(file, line, message))


def _crd_storage_version(crd: dict[str, Any]) -> str | None:
    versions = [v for v in (crd.get("spec") or {}).get("versions") or [] if isinstance(v, dict)]
    for version in versions:
        if version.get("storage") and version.get("name"):
            return str(version["name"])
    return str(versions[0]["name"]) if versions and versions[0].get("name") else None


def field_names(info: KindInfo) -> tuple[str, ...] | None:
    """The selector fields (beyond metadata.name/namespace) a record of this kind carries, in order."""
    return FIELD_NAMES.get((info.group, info.kind))


def _scanned_field_values(item: Item, paths: dict[str, tuple[str, ...]]) -> tuple[str | None, ...]:
    """`_field_values` of a scanned object (its selector fields are attributes of the scan's structs)."""
    values: list[str | None] = []
    for path in paths.values():
        value: Any = item
        for step in path:
            value = getattr(value, step, None)
            if value is None:
                break
        values.append(_field_text(value))
    return tuple(values)


def _field_values(obj: dict[str, Any], paths: dict[str, tuple[str, ...]]) -> tuple[str | None, ...]:
    values: list[str | None] = []
    for path in paths.values():
        value: Any = obj
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        values.append(_field_text(value))
    return tuple(values)


def _field_text(value: Any) -> str | None:
    """What a field selector compares: booleans as the API writes them; nothing for empty values."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return sys.intern(value)
    return sys.intern(("true" if value else "false") if isinstance(value, bool) else str(value))


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def to_json(document: Any) -> bytes:
    """Compact JSON bytes; YAML-born values (datetimes, int keys) become what the API would send."""
    try:
        return orjson.dumps(document, option=_ORJSON_OPTIONS)
    except TypeError:  # e.g. an integer beyond 64 bits from YAML: slower but total
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Normaliser:
    """Fills in what the API server always sets, and strips what must never leave it."""

    def __init__(self, now: datetime) -> None:
        self.now_text = format_time(now)
        self.max_resource_version = 1
        self._next_rv = 1
        self.namespaces_seen: dict[str, str] = {}
        self._label_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def normalise(self, obj: dict[str, Any], info: KindInfo) -> None:
        if not obj.get("apiVersion") or split_api_version(obj["apiVersion"])[0] != info.group:
            obj["apiVersion"] = info.api_version
        metadata = obj["metadata"]
        if info.namespaced:
            namespace = metadata.get("namespace") or "default"
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
            namespace = ""
        if not metadata.get("uid"):
            seed = f"{info.group}/{info.kind}/{namespace}/{metadata['name']}"
            metadata["uid"] = str(uuid.uuid5(_UID_NAMESPACE, seed))
        created = metadata.get("creationTimestamp") or self.now_text
        for key in ("labels", "annotations"):  # YAML may have made numbers or booleans of them
            values = metadata.get(key)
            if isinstance(values, dict):
                metadata[key] = {str(k): _as_text(v) for k, v in values.items()}
        if isinstance(created, datetime):  # an unquoted YAML timestamp
            created = format_time(created if created.tzinfo else created.replace(tzinfo=UTC))
        metadata["creationTimestamp"] = created
        version = metadata.get("resourceVersion")
        if not (version and str(version).isdigit()):
            self._next_rv += 1
            version = self._next_rv
        metadata["resourceVersion"] = str(version)
        self.count(namespace, created, metadata["resourceVersion"])
        if info.group == "" and info.kind == "Secret":
            redact_secret(obj)

    def label_set(self, labels: dict[str, str]) -> dict[str, str]:
        """One shared dict per distinct label set (a replica set's pods all carry the same labels)."""
        key = tuple(labels.items())
        shared = self._label_sets.get(key)
        if shared is None:
            shared = self._label_sets[key] = {sys.intern(k): sys.intern(v) for k, v in labels.items()}
        return shared

    def count(self, namespace: str, created: str, version: str) -> None:
        """Note an object's namespace (a Namespace object may be missing) and resourceVersion."""
        if namespace:
            earliest = self.namespaces_seen.get(namespace)
            if earliest is None or created < earliest:
                self.namespaces_seen[namespace] = created
        self.max_resource_version = max(self.max_resource_version, int(version))

    def core_event(self, obj: dict[str, Any]) -> dict[str, Any]:
        """events.k8s.io/v1 events become core v1 events (what `kubectl describe` lists)."""
        if split_api_version(obj.get("apiVersion") or "v1")[0] != "events.k8s.io":
            return obj
        return events_v1_to_core(obj)


def redact_secret(obj: dict[str, Any]) -> None:
    """Keys stay visible; values never leave the server. `data` stays valid base64 for clients."""
    for key, placeholder in (("data", REDACTED_B64), ("stringData", REDACTED)):
        values = obj.get(key)
        if isinstance(values, dict):
            obj[key] = dict.fromkeys(values, placeholder)
        elif values is not None:
            obj[key] = {}
    annotations = objects.meta(obj).get("annotations")
    if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
        annotations[_LAST_APPLIED] = REDACTED


def events_v1_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    series = obj.get("series") or {}
    event: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": obj.get("metadata", {}),
        "involvedObject": obj.get("regarding") or {},
        "reason": obj.get("reason", ""),
        "message": obj.get("note", ""),
        "type": obj.get("type", ""),
        "source": {"component": obj.get("reportingController", "")},
        "reportingComponent": obj.get("reportingController", ""),
        "reportingInstance": obj.get("reportingInstance", ""),
        "action": obj.get("action", ""),
    }
    first = obj.get("deprecatedFirstTimestamp") or obj.get("eventTime")
    last = obj.get("deprecatedLastTimestamp") or series.get("lastObservedTime") or obj.get("eventTime")
    count = obj.get("deprecatedCount") or series.get("count") or 1
    if first:
        event["firstTimestamp"] = first
    if last:
        event["lastTimestamp"] = last
    event["count"] = count
    if obj.get("eventTime"):
        event["eventTime"] = obj["eventTime"]
    if obj.get("related"):
        event["related"] = obj["related"]
    return event


def core_event_to_v1(event: dict[str, Any]) -> dict[str, Any]:
    """The events.k8s.io/v1 view of a stored core event."""
    source = event.get("source") or {}
    metadata = objects.meta(event)
    result: dict[str, Any] = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": metadata,
        "eventTime": event.get("eventTime")
        or event.get("firstTimestamp")
        or metadata.get("creationTimestamp"),
        "regarding": event.get("involvedObject") or {},
        "reason": event.get("reason", ""),
        "note": event.get("message", ""),
        "type": event.get("type", ""),
        "reportingController": event.get("reportingComponent") or source.get("component", ""),
        "reportingInstance": event.get("reportingInstance") or source.get("host", ""),
        "action": event.get("action", ""),
    }
    for src, dst in (
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
    ):
        if event.get(src):
            result[dst] = event[src]
    if source:
        result["deprecatedSource"] = source
    return result


def iter_kind_records(store: SnapshotStore, group: str, kind: str) -> Iterator[StoredObject]:
    index = store.resources.get((group, kind))
    if index is not None:
        yield from index.records
