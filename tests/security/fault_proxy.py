"""A small HTTP server that stands in front of a real server (the snapshot API, a Prometheus) and injects
faults: hangs, error statuses, throttling. Every request it received is recorded, like the snapshot
server's `.requests`, so tests can prove what kubewhy did (retried, backed off, gave up)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Fault:
    """What to answer instead of forwarding: a status (with headers/body), or nothing for `hang_s`."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    at: float
    status: int


Rule = Callable[[str, str, int], Fault | None]  # (method, path with query, how many times seen) -> fault


class FaultProxy:
    """Forward to ``upstream`` unless ``rule`` returns a Fault. Use as a context manager."""

    def __init__(self, upstream: str | None, rule: Rule | None = None) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.rule = rule or (lambda method, path, count: None)
        self.seen: list[Seen] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
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
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with owner._lock:
                    count = owner._counts.get(self.path, 0) + 1
                    owner._counts[self.path] = count
                fault = owner.rule(self.command, self.path, count)
                started = time.monotonic()
                if fault is not None and fault.hang_s:
                    owner._stopping.wait(fault.hang_s)
                    self.close_connection = True
                    owner._record(self.command, self.path, started, 0)
                    return
                if fault is not None:
                    status, headers, data = fault.status, fault.headers, fault.body
                elif owner.upstream is None:
                    status, headers, data = 502, {}, b"no upstream"
                else:
                    status, headers, data = owner._forward(self.command, self.path, self.headers, body)
                owner._record(self.command, self.path, started, status)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        return Handler

    def _record(self, method: str, path: str, at: float, status: int) -> None:
        with self._lock:
            self.seen.append(Seen(method, path, at, status))

    def _forward(
        self, method: str, path: str, headers, body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        assert self.upstream is not None
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            keep = {k: v for k, v in headers.items() if k.lower() in ("accept", "content-type", "user-agent")}
            connection.request(method, path, body=body, headers=keep)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def throttle(path_part: str, times: int, retry_after: str | None) -> Rule:
    """429 for the first ``times`` requests whose path contains ``path_part``."""

    def rule(method: str, path: str, count: int) -> Fault | None:
        if path_part in path and count <= times:
            headers = {"Content-Type": "application/json"}
            if retry_after is not None:
                headers["Retry-After"] = retry_after
            body = b'{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests",'
            body += b'"reason":"TooManyRequests","code":429}'
            return Fault(429, headers, body)
        return None

    return rule
