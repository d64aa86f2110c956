"""The read-only Kubernetes API over a SnapshotStore: one request in, one Response out.

HTTP plumbing lives in `server.py`; this module only decides what a request means (discovery, get,
list, pod logs, or a refusal) and builds the body the real API server would send.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.selectors import SelectorError, parse_field_selector, parse_label_selector
from tools.contracts.kube.time import parse_time
from tools.snapshot.discovery import (
    api_group_document,
    api_group_list_document,
    api_versions_document,
    groups,
    resource_list_document,
    version_document,
)
from tools.snapshot.loader import LogKey
from tools.snapshot.log_file import log_lines
from tools.snapshot.pod_logs import LogOptions, render_log
from tools.snapshot.scan import SnapshotChanged
from tools.snapshot.store import (
    EVENTS_V1_FIELD_ALIASES,
    ResourceIndex,
    SnapshotStore,
    StoredObject,
    core_event_to_v1,
    to_json,
)
from tools.snapshot.tables import build_table

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
_REASONS = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    410: "Expired",
    500: "InternalError",
}
READ_ONLY_NOTE = "kubewhy serves a read-only snapshot"


@dataclass
class Response:
    status: int
    content_type: str
    chunks: list[bytes] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)

    def body(self) -> bytes:
        return b"".join(self.chunks)


def json_response(document: Any, status: int = 200) -> Response:
    return Response(status, JSON, [to_json(document)])


def status_response(code: int, message: str, details: dict[str, Any] | None = None) -> Response:
    """A `Status` failure object, as the real API server sends for every error."""
    document = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": _REASONS.get(code, "Unknown"),
        "details": details or {},
        "code": code,
    }
    return json_response(document, code)


def not_found_path() -> Response:
    return status_response(404, "the server could not find the requested resource")


@dataclass(frozen=True)
class Accept:
    """What representation the client asked for."""

    as_kind: str | None  # "Table", "PartialObjectMetadata", "PartialObjectMetadataList" or None
    version: str = "v1"


def parse_accept(header: str | None) -> Accept:
    for media in (header or JSON).split(","):
        parts = [p.strip() for p in media.split(";")]
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if params.get("as") in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList"):
            if params.get("g", "meta.k8s.io") == "meta.k8s.io":
                return Accept(params["as"], params.get("v", "v1"))
            continue
        if parts[0] in (JSON, "*/*", "application/*", "application/yaml"):
            return Accept(None)
    return Accept(None)


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


_INT64_MAX = 2**63 - 1  # the API server parses these parameters as int64


def _int_param(query: dict[str, str], name: str, minimum: int = 0) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    digits = raw[1:] if raw.startswith("-") else raw
    if len(raw) > 40 or not digits.isascii() or not digits.isdigit():
        raise SelectorError(f"{name}: invalid value {raw[:40]!r}: must be an integer")
    value = int(raw)
    if value < minimum:
        raise SelectorError(f"{name}: invalid value {value}: must be at least {minimum}")
    if value > _INT64_MAX:
        raise SelectorError(f"{name}: invalid value {value}: must be at most {_INT64_MAX}")
    return value


def encode_continue(key: tuple[str, str], resource_version: str) -> str:
    payload = json.dumps({"v": "kubewhy/1", "rv": resource_version, "start": list(key)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, str]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        namespace, name = payload["start"]
        if payload.get("v") != "kubewhy/1" or not isinstance(namespace, str) or not isinstance(name, str):
            raise ValueError(token)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise SelectorError("continue key is not valid: it must come from a previous list response") from None
    return namespace, name


class SnapshotAPI:
    """Answers GET requests from the store; refuses everything else."""

    def __init__(self, store: SnapshotStore, server_address: str) -> None:
        self.store = store
        self.snapshot = store.snapshot
        self.server_address = server_address

    # --- entry point --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query_string: str, accept_header: str | None) -> Response:
        query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        parts = [p for p in path.split("/") if p]
        if method != "GET":
            return status_response(
                405,
                f"the server does not allow this method on the requested resource ({READ_ONLY_NOTE}: "
                f"{method} is refused)",
                self._details_for(parts),
            )
        try:
            return self._route(parts, query, parse_accept(accept_header))
        except SelectorError as exc:
            return status_response(400, str(exc))
        except (
            SnapshotChanged
        ) as exc:  # a file edited under a running server: say which, serve no stale bytes
            return status_response(500, str(exc))

    def _details_for(self, parts: list[str]) -> dict[str, Any]:
        rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
        if rest[:1] == ["namespaces"] and len(rest) >= 4:
            return {"name": rest[3], "kind": rest[2]}
        if len(rest) >= 2:
            return {"name": rest[1], "kind": rest[0]}
        return {}

    def _route(self, parts: list[str], query: dict[str, str], accept: Accept) -> Response:
        if not parts:
            return json_response({"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz"]})
        head = parts[0]
        if head in ("healthz", "livez", "readyz") and len(parts) == 1:
            return Response(200, TEXT, [b"ok"])
        if parts == ["version"]:
            return json_response(version_document(self.snapshot.meta))
        if head == "api":
            if len(parts) == 1:
                return json_response(api_versions_document(self.server_address))
            if parts[1] != "v1":
                return not_found_path()
            if len(parts) == 2:
                core = [k for k in self.store.kinds() if k.group == ""]
                return json_response(resource_list_document("v1", core))
            return self._resource_request("", "v1", parts[2:], query, accept)
        if head == "apis":
            served = groups(self.store.kinds())
            if len(parts) == 1:
                return json_response(api_group_list_document(self.store.kinds()))
            group = parts[1]
            if group not in served:
                return not_found_path()
            if len(parts) == 2:
                return json_response(api_group_document(group, served[group]))
            version = parts[2]
            if version not in served[group]:
                return not_found_path()
            if len(parts) == 3:
                kinds = [k for k in self.store.kinds() if k.group == group and k.version == version]
                return json_response(resource_list_document(f"{group}/{version}", kinds))
            return self._resource_request(group, version, parts[3:], query, accept)
        return not_found_path()

    # --- resources ----------------------------------------------------------------------------------

    def _resource_request(
        self, group: str, version: str, rest: list[str], query: dict[str, str], accept: Accept
    ) -> Response:
        if rest[0] == "watch" or _flag(query, "watch"):
            return status_response(
                405, f"watch is not supported: {READ_ONLY_NOTE} that never changes; list it instead"
            )
        namespace: str | None = None
        if (
            rest[0] == "namespaces"
            and len(rest) >= 3
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        if len(rest) > 3:
            return not_found_path()
        index = self.store.resource(group, version, plural)
        if index is None:
            return not_found_path()
        info = index.info
        if namespace is not None and not info.namespaced:
            return not_found_path()
        if name is None:
            return self._list(index, namespace, query, accept)
        if info.namespaced and namespace is None:
            return not_found_path()
        if sub is not None:
            if sub == "log" and info.group == "" and info.kind == "Pod":
                return self._pod_log(index, namespace or "", name, query)
            if sub not in info.subresources or sub == "scale":
                return not_found_path()
        return self._get(index, namespace or "", name, accept, query)

    def _source(self, index: ResourceIndex) -> ResourceIndex:
        """events.k8s.io/v1 events are served from the core events they are stored as."""
        return self.store.events() if self._is_events_v1(index.info) else index

    @staticmethod
    def _is_events_v1(info: KindInfo) -> bool:
        return info.group == "events.k8s.io" and info.kind == "Event"

    def _object_bytes(self, info: KindInfo, record: StoredObject) -> bytes:
        if self._is_events_v1(info):
            return to_json(core_event_to_v1(record.parsed()))
        return record.raw

    def _object_dict(self, info: KindInfo, record: StoredObject) -> dict[str, Any]:
        parsed = record.parsed()
        return core_event_to_v1(parsed) if self._is_events_v1(info) else parsed

    def _get(
        self, index: ResourceIndex, namespace: str, name: str, accept: Accept, query: dict[str, str]
    ) -> Response:
        info = index.info
        record = self._source(index).get(namespace, name)
        if record is None:
            resource = f"{info.plural}.{info.group}" if info.group else info.plural
            return status_response(
                404,
                f'{resource} "{name}" not found',
                {"name": name, "group": info.group, "kind": info.plural},
            )
        if accept.as_kind == "Table":
            obj = self._object_dict(info, record)
            metadata = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return json_response(self._table(info, [obj], metadata, accept, query))
        if accept.as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return json_response(_partial(self._object_dict(info, record)))
        return Response(200, JSON, [self._object_bytes(info, record)])

    def _table(
        self,
        info: KindInfo,
        objects: list[dict[str, Any]],
        metadata: dict[str, Any],
        accept: Accept,
        query: dict[str, str],
    ) -> dict[str, Any]:
        include = query.get("includeObject") or "Metadata"
        if include not in ("None", "Metadata", "Object"):
            raise SelectorError(f"includeObject: unsupported value {include!r} (None, Metadata or Object)")
        api_version = f"meta.k8s.io/{accept.version}"
        return build_table(info, objects, self.store.now, metadata, include, api_version)

    def _list(
        self, index: ResourceIndex, namespace: str | None, query: dict[str, str], accept: Accept
    ) -> Response:
        info = index.info
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"))
        self.store.check_fields(info, fields)
        if self._is_events_v1(info):
            fields = type(fields)(
                tuple(
                    type(r)(EVENTS_V1_FIELD_ALIASES.get(r.field, r.field), r.value, r.negated)
                    for r in fields.requirements
                )
            )
        limit = _int_param(query, "limit")
        after = decode_continue(query["continue"]) if query.get("continue") else None
        page = self._source(index).list(namespace, labels, fields, limit or None, after)
        metadata: dict[str, Any] = {"resourceVersion": self.store.resource_version}
        if page.continue_key is not None:
            metadata["continue"] = encode_continue(page.continue_key, self.store.resource_version)
            if page.remaining is not None:
                metadata["remainingItemCount"] = page.remaining
        if accept.as_kind == "Table":
            objects = [self._object_dict(info, record) for record in page.items]
            return json_response(self._table(info, objects, metadata, accept, query))
        if accept.as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return json_response(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": metadata,
                    "items": [_partial(self._object_dict(info, record)) for record in page.items],
                }
            )
        head = to_json({"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": metadata})
        chunks = [head[:-1], b',"items":[']
        chunks.extend(_joined(self._object_bytes(info, record) for record in page.items))
        chunks.append(b"]}")
        return Response(200, JSON, chunks)

    # --- pod logs -----------------------------------------------------------------------------------

    def _pod_log(self, index: ResourceIndex, namespace: str, name: str, query: dict[str, str]) -> Response:
        record = index.get(namespace, name)
        if record is None:
            return status_response(404, f'pods "{name}" not found', {"name": name, "kind": "pods"})
        spec = record.parsed().get("spec") or {}
        containers = [c.get("name") for c in spec.get("containers") or []]
        init = [c.get("name") for c in spec.get("initContainers") or []]
        ephemeral = [c.get("name") for c in spec.get("ephemeralContainers") or []]
        container = query.get("container") or None
        if container is None:
            if len(containers) != 1:
                choices = " ".join(containers)
                message = f"a container name must be specified for pod {name}, choose one of: [{choices}]"
                if init:
                    message += f" or one of the init containers: [{' '.join(init)}]"
                return status_response(400, message)
            container = containers[0]
        elif container not in (*containers, *init, *ephemeral):
            return status_response(400, f"container {container} is not valid for pod {name}")
        previous = _flag(query, "previous")
        path = self.snapshot.logs.get(LogKey(namespace, name, container, previous))
        if path is None and previous:
            message = f'previous terminated container "{container}" in pod "{name}" not found'
            return status_response(400, message)
        since_time = None
        if query.get("sinceTime"):
            since_time = parse_time(query["sinceTime"])
            if since_time is None:
                raise SelectorError(f"sinceTime: invalid RFC 3339 time {query['sinceTime']!r}")
        options = LogOptions(
            tail_lines=_int_param(query, "tailLines"),
            since_seconds=_int_param(query, "sinceSeconds", minimum=1),
            since_time=since_time,
            timestamps=_flag(query, "timestamps"),
            limit_bytes=_int_param(query, "limitBytes", minimum=1),
        )
        lines = log_lines(path) if path is not None else iter(())
        return Response(200, TEXT, [render_log(lines, options, self.store.now)])


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def _joined(items: Iterator[bytes]) -> Iterator[bytes]:
    first = True
    for item in items:
        if not first:
            yield b","
        first = False
        yield item
