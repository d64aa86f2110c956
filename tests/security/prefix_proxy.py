"""A tiny reverse proxy that serves an upstream API server under a path prefix, as a gateway does
(``https://gateway.example/k8s/api/v1/...`` -> ``/api/v1/...``). Requests outside the prefix get 404.

The snapshot API server masks Secret values itself; a real API server does not. So the proxy can stand in
for a real one: ``secrets`` maps (namespace, name) to the Secret's real ``data``, put back into every JSON
object with that name it forwards, and ``secret_kind`` disguises the Secrets' ``kind`` (or drops it, with
None), as a hostile server might.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class PrefixProxy:
    """Strip ``prefix`` (settable between requests) and forward GETs to ``upstream``. A context manager."""

    def __init__(
        self, upstream: str, prefix: str = "", secrets: dict[tuple[str, str], dict[str, str]] | None = None
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.prefix = prefix
        self.secrets = secrets or {}
        self.secret_kind: str | None = "Secret"
        self.forwarded: list[str] = []  # upstream paths, for tests that prove requests went through
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> PrefixProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                prefix = owner.prefix.rstrip("/")
                path, _, query = self.path.partition("?")
                if prefix and path != prefix and not path.startswith(prefix + "/"):
                    self._answer(404, {"Content-Type": "text/plain"}, b"outside the gateway prefix")
                    return
                upstream = (path[len(prefix) :] or "/") + (f"?{query}" if query else "")
                with owner._lock:
                    owner.forwarded.append(upstream)
                self._answer(*owner._forward(upstream, self.headers.get("Accept")))

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        return Handler

    def _forward(self, path: str, accept: str | None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Accept": accept or "*/*"})
            response = connection.getresponse()
            headers, body = dict(response.getheaders()), response.read()
        finally:
            connection.close()
        if self.secrets and headers.get("Content-Type", "").startswith("application/json"):
            doc = json.loads(body)
            if self._restore(doc):
                body = json.dumps(doc).encode()
        return response.status, headers, body

    def _restore(self, value: Any) -> bool:
        """Put real Secret values back wherever the upstream masked them; True when anything changed."""
        changed = False
        if isinstance(value, list):
            for item in value:
                changed = self._restore(item) or changed
        elif isinstance(value, dict):
            meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            real = self.secrets.get((meta.get("namespace", ""), meta.get("name", "")))
            if real is not None and isinstance(value.get("data"), dict):
                value["data"] = dict(real)
                value.pop("kind", None)
                if self.secret_kind is not None:
                    value["kind"] = self.secret_kind
                return True
            for item in value.values():
                changed = self._restore(item) or changed
        return changed
