"""The read-only boundary for Prometheus: a requests Session that refuses every non-query endpoint.

Read-only is a property of the transport. Every request the Prometheus client makes, including
redirects, goes through ``Session.send``; this session checks the method, host and path there and
raises before a byte leaves the process. Admin endpoints (``/api/v1/admin/...``), lifecycle endpoints
(``/-/quit``, ``/-/reload``) and remote write can never be reached through it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter

ALLOWED_METHODS = frozenset({"GET", "POST"})
ALLOWED_PATHS = frozenset(
    {
        "/api/v1/query",
        "/api/v1/query_range",
        "/api/v1/series",
        "/api/v1/labels",
        "/api/v1/metadata",
        "/api/v1/alerts",
        "/api/v1/rules",
        "/api/v1/targets",
        "/api/v1/status/buildinfo",
        "/-/ready",
    }
)
_LABEL_VALUES = re.compile(r"^/api/v1/label/[A-Za-z_][A-Za-z0-9_]*/values$")


class ReadOnlyViolation(PermissionError):
    """A request outside the read-only Prometheus endpoints was attempted; it was not sent."""


def allowed_path(path: str) -> bool:
    """True for the query and metadata endpoints; everything else (admin, lifecycle, writes) is refused."""
    return path in ALLOWED_PATHS or bool(_LABEL_VALUES.match(path))


class ReadOnlySession(requests.Session):
    """A Session bound to one Prometheus base URL that only sends GET/POST to the allowed endpoints."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        base = urlsplit(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"Prometheus URL must be http(s)://host[:port][/prefix], got {base_url!r}")
        self._scheme = base.scheme
        self._netloc = base.netloc.lower()
        self._prefix = base.path.rstrip("/")
        self.max_redirects = 3
        for prefix, adapter in list(self.adapters.items()):
            self.mount(prefix, adapter)

    def check(self, method: str, url: str) -> None:
        """Raise ReadOnlyViolation unless (method, url) is a read-only call to this Prometheus."""
        method = method.upper()
        if method not in ALLOWED_METHODS:
            raise ReadOnlyViolation(f"refused {method} {url}: only GET and POST queries are allowed")
        parts = urlsplit(url)
        if parts.scheme != self._scheme or parts.netloc.lower() != self._netloc:
            raise ReadOnlyViolation(f"refused {method} {url}: not the configured Prometheus")
        path = parts.path
        decoded = unquote(path)
        if decoded != path or "/." in path or "//" in path:
            raise ReadOnlyViolation(f"refused {method} {url}: encoded or dotted path segments")
        if not path.startswith(self._prefix + "/") or not allowed_path(path[len(self._prefix) :]):
            raise ReadOnlyViolation(
                f"refused {method} {path}: not a read-only Prometheus endpoint (query, series, labels, "
                "metadata, alerts, rules, targets, buildinfo, ready)"
            )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.check(request.method or "", request.url or "")
        return super().send(request, **kwargs)

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        """Every adapter mounted later (PrometheusConnect mounts its retrying one) is checked as well."""
        if not isinstance(adapter, _GuardedAdapter):
            adapter = _GuardedAdapter(adapter, self)
        super().mount(prefix, adapter)


class _GuardedAdapter(BaseAdapter):
    """Second line: an adapter taken from the session and used directly is still checked."""

    def __init__(self, inner: BaseAdapter, session: ReadOnlySession) -> None:
        super().__init__()
        self.inner = inner
        self._session = session

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._session.check(request.method or "", request.url or "")
        return self.inner.send(request, *args, **kwargs)

    def close(self) -> None:
        self.inner.close()
