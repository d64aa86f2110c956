"""KubeAccess: the one Kubernetes API client kubewhy uses, read-only by construction.

It is built on :class:`tools.kubernetes.transport.GuardedApiClient`, so every request, whether made here
or by a generated API class (``kube.core_v1``), passes the read-only guard. Objects come back as plain
dicts (JSON as the API server sent it): fast for big lists, and what tools render and hand on as data.
Kinds are resolved through API discovery (kind name, plural, singular or short name), cached.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import orjson
import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.config import ConfigException, load_incluster_config, load_kube_config

from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.objects import meta
from tools.contracts.tool import ToolError
from tools.kubernetes.kubeconfig import explain_unusable, kubeconfig_location
from tools.kubernetes.transport import GuardedApiClient, ReadOnlyViolation, ThrottleRetry

DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
_BIG_BODY = 256 * 1024
# Where built-in kinds usually live, so resolving them costs one discovery request, not thirty.
_GROUP_HINTS = {
    **dict.fromkeys(("deployment", "deployments", "deploy", "replicaset", "replicasets", "rs"), "apps"),
    **dict.fromkeys(("statefulset", "statefulsets", "sts", "daemonset", "daemonsets", "ds"), "apps"),
    **dict.fromkeys(("controllerrevision", "controllerrevisions"), "apps"),
    **dict.fromkeys(("job", "jobs", "cronjob", "cronjobs", "cj"), "batch"),
    **dict.fromkeys(
        ("networkpolicy", "networkpolicies", "netpol", "ingress", "ingresses", "ing"), "networking.k8s.io"
    ),
    **dict.fromkeys(("endpointslice", "endpointslices"), "discovery.k8s.io"),
    **dict.fromkeys(("horizontalpodautoscaler", "horizontalpodautoscalers", "hpa"), "autoscaling"),
    **dict.fromkeys(("poddisruptionbudget", "poddisruptionbudgets", "pdb"), "policy"),
    **dict.fromkeys(("storageclass", "storageclasses", "sc"), "storage.k8s.io"),
}


class KubeError(ToolError):
    """The Kubernetes API did not answer as asked: forbidden, not found, unreachable, timed out."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeAccess:
    """Read-only access to one cluster. Construct with :meth:`from_kubeconfig` or :meth:`in_cluster`.

    ``namespaces`` (``KUBEWHY_NAMESPACES``) limits every read of a namespaced kind to those namespaces: a
    list without a namespace becomes one list per permitted namespace, never a cluster-wide one, and a read
    in any other namespace is refused before it is sent. Empty means the whole cluster.
    """

    def __init__(
        self, configuration: k8s.Configuration, name: str = "cluster", namespaces: Iterable[str] = ()
    ) -> None:
        self.namespaces: tuple[str, ...] = tuple(namespaces)
        configuration.retries = ThrottleRetry.for_reads()  # bounded backoff on 429, no read retries
        self.api_client = GuardedApiClient(configuration)
        self.name = name
        self.host = configuration.host
        self.timeout = DEFAULT_TIMEOUT
        self._groups: list[tuple[str, str]] | None = None
        self._kinds: dict[tuple[str, str], list[KindInfo]] = {}
        self._resolved: dict[str, KindInfo] = {}
        self._lock = threading.Lock()

    # --- construction --------------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, namespaces: Iterable[str] = ()
    ) -> KubeAccess:
        """Read a kubeconfig (default: $KUBECONFIG or ~/.kube/config) and one of its contexts."""
        configuration = k8s.Configuration()
        try:
            load_kube_config(
                config_file=kubeconfig_location(path),
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
        except (ConfigException, OSError, TypeError, ValueError, yaml.YAMLError) as exc:
            raise KubeError(explain_unusable(path, context, exc)) from None
        return cls(configuration, name=context or _current_context(path) or "cluster", namespaces=namespaces)

    @classmethod
    def in_cluster(cls, namespaces: Iterable[str] = ()) -> KubeAccess:
        """Use the pod's ServiceAccount (when kubewhy runs inside the cluster)."""
        configuration = k8s.Configuration()
        try:
            load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise KubeError(f"not running in a cluster: {exc}") from None
        return cls(configuration, name="in-cluster", namespaces=namespaces)

    def close(self) -> None:
        self.api_client.close()

    # --- generated API classes, all on the guarded client --------------------------------------

    @property
    def core_v1(self) -> k8s.CoreV1Api:
        return k8s.CoreV1Api(self.api_client)

    @property
    def apps_v1(self) -> k8s.AppsV1Api:
        return k8s.AppsV1Api(self.api_client)

    # --- raw requests ---------------------------------------------------------------------------

    def get_json(self, path: str, query: list[tuple[str, Any]] | None = None, what: str = "") -> Any:
        """GET a path and decode the JSON body; API errors become KubeError with a clear message."""
        body = self._get(path, query, what, accept="application/json")
        try:
            return decode_json(body)
        except ValueError:
            raise KubeError(f"{what or path}: the API server returned something that is not JSON") from None

    def get_text(self, path: str, query: list[tuple[str, Any]] | None = None, what: str = "") -> str:
        return self._get(path, query, what, accept="*/*").decode("utf-8", errors="replace")

    def _get(self, path: str, query: list[tuple[str, Any]] | None, what: str, accept: str) -> bytes:
        query = [(k, v) for k, v in (query or []) if v is not None]
        method, url, headers, _body, _post = self.api_client.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query,
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        try:
            response = self.api_client.call_api(method, url, headers, _request_timeout=self.timeout)
            data = response.read()
        except ReadOnlyViolation as exc:
            raise KubeError(str(exc)) from None
        except ApiException as exc:  # raised for SSL errors by the REST layer
            raise KubeError(f"{what or path}: {exc.reason}", exc.status) from None
        except urllib3.exceptions.MaxRetryError as exc:
            raise KubeError(
                f"cannot reach the Kubernetes API at {self.host}: {_reason(exc.reason)}"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeError(f"cannot read {what or path} from {self.host}: {_reason(exc)}") from None
        if not 200 <= response.status <= 299:
            raise KubeError(_status_message(response.status, data, what or path), response.status)
        return data

    # --- discovery ------------------------------------------------------------------------------

    def discover_kinds(self) -> list[KindInfo]:
        """Every resource type the server offers, in the preferred version of each group (cached)."""
        kinds: list[KindInfo] = []
        for group, version in self._group_versions():
            kinds += self._kinds_of(group, version)
        return kinds

    def _group_versions(self) -> list[tuple[str, str]]:
        with self._lock:
            if self._groups is None:
                groups = self.get_json("/apis", what="read API discovery").get("groups") or []
                found = [("", "v1")]
                for group in groups:
                    preferred = (group.get("preferredVersion") or {}).get("version")
                    versions = [v.get("version") for v in group.get("versions") or [] if v.get("version")]
                    version = preferred or (versions[0] if versions else None)
                    if group.get("name") and version:
                        found.append((group["name"], version))
                self._groups = found
            return self._groups

    def _kinds_of(self, group: str, version: str) -> list[KindInfo]:
        with self._lock:
            cached = self._kinds.get((group, version))
        if cached is not None:
            return cached
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            kinds = _kinds_from(self.get_json(path, what="read API discovery"), group, version)
        except KubeError as exc:
            if not group or exc.status in (401, 403):
                raise
            kinds = []  # an aggregated API that is down must not hide the rest
        with self._lock:
            self._kinds[(group, version)] = kinds
        return kinds

    def resolve_kind(self, kind: str) -> KindInfo:
        """Kind name, plural, singular or short name, any case; `deployments.apps` or `Deployment.apps`."""
        wanted = kind.strip().lower()
        group = None
        if "." in wanted:
            wanted, group = wanted.split(".", 1)
        if not wanted or "/" in wanted:
            raise KubeError(f"unknown kind {kind!r}: give a kind name such as Deployment, deploy or pods")
        with self._lock:
            hit = self._resolved.get(kind)
        if hit is not None:
            return hit
        candidates = [("", "v1")] if group in (None, "", "core") else []
        for group_version in self._search_order(_GROUP_HINTS.get(wanted), candidates):
            if group not in (None, "", "core") and group not in (
                group_version[0],
                group_version[0].split(".")[0],
            ):
                continue
            for info in self._kinds_of(*group_version):
                if wanted in (info.kind.lower(), info.plural, info.singular, *info.short_names):
                    with self._lock:
                        self._resolved[kind] = info
                    return info
        raise KubeError(f"unknown kind {kind!r}: the API server offers no such resource type")

    def _search_order(self, hinted: str | None, first: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        """Core first, then the group a built-in name usually lives in, then every other group."""
        seen: set[tuple[str, str]] = set()
        for group_version in first:
            seen.add(group_version)
            yield group_version
        ordered = self._group_versions()
        if hinted is not None:
            ordered = sorted(ordered, key=lambda gv: gv[0] != hinted)
        for group_version in ordered:
            if group_version not in seen:
                seen.add(group_version)
                yield group_version

    # --- permitted namespaces -------------------------------------------------------------------

    def permits(self, namespace: str) -> bool:
        """True when kubewhy may read ``namespace`` (always, unless KUBEWHY_NAMESPACES is set)."""
        return not self.namespaces or namespace in self.namespaces

    def check_namespace(self, namespace: str) -> None:
        """Refuse, without sending anything, a read in a namespace outside KUBEWHY_NAMESPACES."""
        if not self.permits(namespace):
            raise KubeError(
                f"namespace {namespace} is outside kubewhy's permitted namespaces "
                f"({', '.join(self.namespaces)}; KUBEWHY_NAMESPACES)",
                403,
            )

    def list_scopes(self, info: KindInfo, namespace: str | None) -> list[str | None]:
        """Where a list of ``info`` is read: its namespace, every permitted one, or the whole cluster."""
        if not info.namespaced:
            return [None]
        if namespace:
            self.check_namespace(namespace)
            return [namespace]
        return list(self.namespaces) or [None]

    # --- objects --------------------------------------------------------------------------------

    def get_object(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        info = self.resolve_kind(kind)
        if not name:  # an empty name would read the whole list instead of one object
            raise KubeError(f"give the name of the {info.kind} to read")
        if info.namespaced and not namespace:
            raise KubeError(f"{info.kind} is namespaced: give a namespace for {name!r}")
        if info.namespaced:
            self.check_namespace(namespace or "")
        where = f" in {namespace}" if info.namespaced else ""
        obj = self.get_json(info.path(namespace, name), what=f"get {info.kind} {name}{where}")
        return _with_kind(obj, info)

    def find_object(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """Like get_object, but None when it does not exist."""
        try:
            return self.get_object(kind, name, namespace)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def iter_pages(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of objects, fetched with limit/continue so no caller holds a whole big list. With
        permitted namespaces, a list without a namespace is one list per permitted namespace."""
        info = self.resolve_kind(kind)
        if not info.listable:
            raise KubeError(f"{info.kind} cannot be listed")
        for scope in self.list_scopes(info, namespace):
            what = f"{info.plural}" + (f" in {scope}" if scope else "")
            token: str | None = None
            while True:
                query = [
                    ("labelSelector", label_selector or None),
                    ("fieldSelector", field_selector or None),
                    ("limit", page_size),
                    ("continue", token),
                ]
                doc = self.get_json(info.path(scope), query, what=f"list {what}")
                yield [_with_kind(item, info) for item in doc.get("items") or []]
                token = meta(doc).get("continue") or None
                if not token:
                    break

    def has_at_least(self, kind: str, count: int) -> bool:
        """Whether the cluster holds at least ``count`` objects of ``kind``, asked with a one-item page whose
        ``remainingItemCount`` tells the rest (a page of ``count`` only when the server does not say)."""
        info = self.resolve_kind(kind)
        doc = self.get_json(info.path(None), [("limit", 1)], what=f"count {info.plural}")
        seen = len(doc.get("items") or [])
        metadata = meta(doc)
        if not metadata.get("continue"):
            return seen >= count
        remaining = metadata.get("remainingItemCount")
        if isinstance(remaining, int) and not isinstance(remaining, bool):
            return seen + remaining >= count
        pages = self.iter_pages(kind, page_size=count)
        first = next(pages, [])
        pages.close()
        return len(first) >= count

    def iter_objects(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        for page in self.iter_pages(kind, namespace, label_selector, field_selector, page_size):
            yield from page

    def list_objects(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """All matching objects (at most ``limit``), paginated underneath."""
        page_size = min(limit, DEFAULT_PAGE_SIZE) if limit else DEFAULT_PAGE_SIZE
        result: list[dict[str, Any]] = []
        for obj in self.iter_objects(kind, namespace, label_selector, field_selector, page_size):
            result.append(obj)
            if limit and len(result) >= limit:
                break
        return result

    def read_log(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        previous: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        limit_bytes: int | None = None,
        timestamps: bool = False,
    ) -> str:
        """A container's log (``previous`` = the instance before the last restart)."""
        self.check_namespace(namespace)
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"
        query = [
            ("container", container),
            ("previous", "true" if previous else None),
            ("tailLines", tail_lines),
            ("sinceSeconds", since_seconds),
            ("limitBytes", limit_bytes),
            ("timestamps", "true" if timestamps else None),
        ]
        which = "previous log" if previous else "log"
        return self.get_text(path, query, what=f"read the {which} of pod {pod} in {namespace}")

    def server_version(self) -> dict[str, Any]:
        return self.get_json("/version", what="read the server version")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding and scanning big lists.

    Decoding a page of 1,000 pods allocates ~100,000 objects, which triggers full collections that
    traverse everything alive again and again: on 100,000 pods that is most of the time spent. JSON has
    no reference cycles, so nothing is lost by collecting afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def decode_json(body: bytes) -> Any:
    if len(body) < _BIG_BODY:
        return orjson.loads(body)
    with paused_gc():
        return orjson.loads(body)


def _kinds_from(doc: dict[str, Any], group: str, version: str) -> list[KindInfo]:
    kinds = []
    for resource in doc.get("resources") or []:
        name = resource.get("name", "")
        if not name or "/" in name:  # subresources like pods/log
            continue
        kinds.append(
            KindInfo(
                kind=resource.get("kind", ""),
                plural=name,
                singular=resource.get("singularName") or resource.get("kind", "").lower(),
                group=group,
                version=version,
                namespaced=bool(resource.get("namespaced")),
                verbs=tuple(resource.get("verbs") or ()),
                short_names=tuple(resource.get("shortNames") or ()),
            )
        )
    return kinds


def _with_kind(obj: dict[str, Any], info: KindInfo) -> dict[str, Any]:
    """List items come without apiVersion/kind; put them back so every object says what it is."""
    if "kind" not in obj:
        obj["kind"] = info.kind
    if "apiVersion" not in obj:
        obj["apiVersion"] = info.api_version
    return obj


def _status_message(status: int, body: bytes, what: str) -> str:
    message = ""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict):
            message = str(doc.get("message") or "")
    except ValueError:
        message = body[:200].decode("utf-8", errors="replace").strip()
    if status == 403:
        return (
            f"forbidden: cannot {what} — check the kubewhy ClusterRole (deploy/rbac.yaml). {message}".strip()
        )
    if status == 401:
        return f"unauthorized: the API server rejected kubewhy's credentials while reading {what}"
    if status == 404:
        thing = what.split(" ", 1)[1] if what.split(" ", 1)[0] in ("get", "list", "read") else what
        return f"not found: {thing}" + (f" ({message})" if message else "")
    if status == 410:
        return f"{what}: the list changed while paging (continue token expired); try again"
    if status == 429:
        return f"{what}: the API server is rate limiting kubewhy; try again shortly"
    return f"{what}: HTTP {status}" + (f": {message}" if message else "")


def _reason(exc: BaseException | None) -> str:
    text = str(exc or "unknown error")
    for known in (
        "Connection refused",
        "timed out",
        "Name or service not known",
        "certificate verify failed",
    ):
        if known.lower() in text.lower():
            return known.lower()
    return text[:200]


def _current_context(path: str | None) -> str | None:
    from kubernetes.config import list_kube_config_contexts

    try:
        _, current = list_kube_config_contexts(config_file=kubeconfig_location(path))
    except (ConfigException, OSError, TypeError, ValueError, yaml.YAMLError):
        return None
    return (current or {}).get("name")
