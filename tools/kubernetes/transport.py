"""The read-only guard, enforced at the HTTP layer of the official `kubernetes` client.

Every request any generated API class (CoreV1Api, AppsV1Api, ...) makes with a :class:`GuardedApiClient`
passes :func:`check_request` before a byte leaves the process: only GET, only to an allow-list of read
paths (discovery, collections, objects, their `status` and pods' `log`), never exec/attach/portforward/
proxy/eviction/binding/token, never a path that could be reinterpreted (`..`, encoded slashes or dots).
Secret bodies are stripped in the same place, so no tool, page or model can ever see a Secret value.

The guard sits at three layers so that no one holding the client can get around it:
``ApiClient.call_api`` (what the generated classes call), ``RESTClientObject.request`` and the urllib3
pool manager underneath it. The client refuses having these replaced (``kubernetes.stream`` does that to
open websockets).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.rest import RESTClientObject, RESTResponse

from tools.contracts.kube.objects import meta

REDACTED = "<redacted>"

# One path segment after percent-decoding: DNS names, and the ':' of names like system:node.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+~-]*$")
# Encoded characters that could change how a server splits or normalises the path.
_DANGEROUS_ENCODINGS = re.compile(r"%(2f|2e|5c|25|00|3f|23)", re.IGNORECASE)
_READ_SUBRESOURCES = {"status", "log"}
_FORBIDDEN_WORDS = {
    "exec",
    "attach",
    "portforward",
    "proxy",
    "eviction",
    "binding",
    "bindings",
    "token",
    "ephemeralcontainers",
    "resize",
}
_STREAMING_QUERY = {"watch", "follow"}  # kubewhy never streams: a tool call must end


class ReadOnlyViolation(PermissionError):
    """A request that is not a plain read was refused before it was sent."""


@dataclass(frozen=True)
class ReadRequest:
    """A request that passed the guard, as the API server sees it: the path segments after the base path
    of the kubeconfig's server URL (an API server behind a gateway at ``https://gw.example/k8s``)."""

    segments: tuple[str, ...]

    @property
    def reads_secrets(self) -> bool:
        """True for Secrets and lists or tables of them, in any group, decided from the path alone: what
        the body says it is (its ``kind``) never matters, so a Secret cannot pass as something else."""
        rest = self.segments[2:] if self.segments[:1] == ("api",) else self.segments[3:]
        if len(rest) >= 2 and rest[0] == "namespaces":
            rest = rest[2:]
        return bool(rest) and rest[0] == "secrets"


def check_request(method: str, url: str, allowed_base: str | None = None) -> ReadRequest:
    """Refuse anything but a GET to an allow-listed read path. Raises ReadOnlyViolation.

    The path is judged after the base path of ``allowed_base``, and only there: a request outside the
    base path is refused, and the result says what was asked so callers never parse the URL again.
    """
    verb = (method or "").upper()
    if verb != "GET":
        raise ReadOnlyViolation(f"kubewhy is read-only: refused {verb} {_path_of(url)}")
    parts = urlsplit(url)
    if allowed_base is not None:
        base = urlsplit(allowed_base)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise ReadOnlyViolation(f"refused request to another host: {parts.scheme}://{parts.netloc}")
    prefix = base_path(allowed_base)
    path = parts.path
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            raise ReadOnlyViolation(f"refused path outside the API server's base path {prefix}: {path}")
        path = path[len(prefix) :]
    segments = _check_path(path)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _STREAMING_QUERY and value.lower() not in ("", "false", "0"):
            raise ReadOnlyViolation(f"refused streaming request ({key}={value}) to {path}")
    return ReadRequest(tuple(segments))


def base_path(base: str | None) -> str:
    return urlsplit(base).path.rstrip("/") if base else ""


def _path_of(url: str) -> str:
    return urlsplit(url).path or url


def _check_path(path: str) -> list[str]:
    if _DANGEROUS_ENCODINGS.search(path) or "\\" in path or "//" in path:
        raise ReadOnlyViolation(f"refused path with encoded or doubled separators: {path}")
    raw_segments = path.strip("/").split("/") if path.strip("/") else []
    segments = [unquote(s) for s in raw_segments]
    for segment in segments:
        if segment in (".", "..") or not _SEGMENT.match(segment):
            raise ReadOnlyViolation(f"refused path with segment {segment!r}: {path}")
        if segment.lower() in _FORBIDDEN_WORDS:
            raise ReadOnlyViolation(f"refused {segment!r} request (kubewhy is read-only): {path}")
    if not _allowed_segments(segments):
        raise ReadOnlyViolation(f"refused path outside the read-only allow-list: {path}")
    return segments


def _allowed_segments(segments: list[str]) -> bool:
    """Discovery, /version, and resource reads under /api/v1 or /apis/<group>/<version>."""
    if segments in ([], ["version"], ["api"], ["apis"]):
        return True
    if segments[0] == "api":
        if len(segments) == 2:  # /api/v1
            return True
        rest = segments[2:]
    elif segments[0] == "apis":
        if len(segments) <= 3:  # /apis/<group>, /apis/<group>/<version>
            return True
        rest = segments[3:]
    else:
        return False
    return _allowed_resource_path(rest)


def _allowed_resource_path(rest: list[str]) -> bool:
    """<plural>[/<name>[/<sub>]] or namespaces/<ns>/<plural>[/<name>[/<sub>]]."""
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    if not 1 <= len(rest) <= 3:
        return len(rest) == 2 and rest[0] == "namespaces"  # the namespace object itself
    if len(rest) == 3:
        sub = rest[2]
        if sub not in _READ_SUBRESOURCES:
            return False
        if sub == "log" and rest[0] != "pods":
            return False
    return True


# --- Secret stripping ------------------------------------------------------------------------------


def strip_secret_values(doc: Any) -> Any:
    """Replace the values of a Secret, a SecretList or a Table of Secrets; keep names and key names."""
    if isinstance(doc, dict):
        _strip_one(doc)
        for item in doc.get("items") or []:
            if isinstance(item, dict):
                _strip_one(item)
        for row in doc.get("rows") or []:
            if isinstance(row, dict) and isinstance(row.get("object"), dict):
                _strip_one(row["object"])
    return doc


def _strip_one(obj: dict[str, Any]) -> None:
    for field in ("data", "stringData"):
        values = obj.get(field)
        if isinstance(values, dict):
            obj[field] = dict.fromkeys(values, REDACTED)
        elif values is not None:
            obj[field] = {}
    annotations = meta(obj).get("annotations")
    if isinstance(annotations, dict):
        # kubectl apply keeps the whole previous object, values included, in this annotation
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)


def _stripped_response(response: urllib3.BaseHTTPResponse) -> urllib3.HTTPResponse:
    """Read a Secret response in full and hand back one whose body holds no Secret value."""
    raw = response.data
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        body = json.dumps(strip_secret_values(doc)).encode()
        status = response.status
    else:  # not JSON (protobuf, stream...): nothing of it may pass
        status = 502
        body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "code": 502,
                "message": "kubewhy refused a Secret response that is not JSON",
            }
        ).encode()
    headers = urllib3.HTTPHeaderDict(response.headers)
    headers.discard("Content-Length")
    headers.discard("Content-Encoding")
    headers["Content-Type"] = "application/json"
    return urllib3.HTTPResponse(
        body=io.BytesIO(body), headers=headers, status=status, reason=response.reason, preload_content=False
    )


# --- throttling ------------------------------------------------------------------------------------


class ThrottleRetry(urllib3.Retry):
    """Back off when the API server throttles (429; 503 with Retry-After), within bounds.

    urllib3 alone retries a 429 only when it carries Retry-After, and then sleeps for as long as the
    server says (an hour, if it says so). This retries every 429 with exponential backoff, honours
    Retry-After up to ``MAX_RETRY_AFTER_S``, and hands back the last answer when the retries run out, so
    the caller reports "rate limited" well within the question's time budget.
    """

    MAX_RETRY_AFTER_S = 2.0
    DEFAULT_BACKOFF_MAX = 2.0

    @classmethod
    def for_reads(cls) -> ThrottleRetry:
        return cls(
            total=3,
            connect=2,
            read=0,
            redirect=0,
            status=2,
            status_forcelist=frozenset({429}),
            allowed_methods=frozenset({"GET"}),
            backoff_factor=0.2,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.MAX_RETRY_AFTER_S)


# --- the guarded layers ----------------------------------------------------------------------------


class GuardedPoolManager:
    """Wraps the urllib3 pool manager: checks every request and never follows redirects."""

    def __init__(self, inner: urllib3.PoolManager, allowed_base: str) -> None:
        self._inner = inner
        self._allowed_base = allowed_base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        read = check_request(method, url, self._allowed_base)
        kwargs["redirect"] = False
        kwargs.pop("body", None)
        kwargs.pop("fields", None)
        headers = dict(kwargs.pop("headers", None) or {})
        if read.reads_secrets:
            headers["Accept"] = "application/json"
        response = self._inner.request("GET", url, headers=headers, **kwargs)
        if read.reads_secrets:
            return _stripped_response(response)
        return response

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return self.request(method, url, **{k: v for k, v in kwargs.items() if k != "body"})

    def clear(self) -> None:
        self._inner.clear()

    def __getattr__(self, name: str) -> Any:
        if name in (
            "request_encode_body",
            "request_encode_url",
            "connection_from_url",
            "connection_from_host",
        ):
            raise ReadOnlyViolation(f"{name} is not available on kubewhy's read-only client")
        return getattr(self._inner, name)


class GuardedRESTClient(RESTClientObject):
    """The generated REST client with its pool manager wrapped; refuses non-GET before serialising."""

    def __init__(self, configuration: Configuration) -> None:
        super().__init__(configuration)
        self.pool_manager = GuardedPoolManager(self.pool_manager, configuration.host)  # type: ignore[assignment]

    def request(self, method: str, url: str, headers: Any = None, body: Any = None, **kwargs: Any) -> Any:
        check_request(method, url, self.configuration.host)
        if body is not None or kwargs.get("post_params"):
            raise ReadOnlyViolation(f"refused request with a body to {_path_of(url)}")
        return super().request(method, url, headers=headers, body=None, **kwargs)


_FROZEN = ("rest_client", "call_api", "configuration", "request")


class GuardedApiClient(ApiClient):
    """An ApiClient whose every request is guarded. Generated API classes built on it inherit the guard."""

    def __init__(self, configuration: Configuration) -> None:
        object.__setattr__(self, "_frozen", False)
        super().__init__(configuration)
        object.__setattr__(self, "rest_client", GuardedRESTClient(configuration))
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False) and name in _FROZEN:
            raise ReadOnlyViolation(f"kubewhy's read-only client does not allow replacing {name!r}")
        super().__setattr__(name, value)

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        check_request(method, url, self.configuration.host)
        if body is not None or post_params:
            raise ReadOnlyViolation(f"refused request with a body to {_path_of(url)}")
        return super().call_api(method, url, header_params, None, None, _request_timeout)
