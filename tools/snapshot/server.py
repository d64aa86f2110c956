"""Serve a snapshot as a read-only Kubernetes API on 127.0.0.1, in a background thread.

kubewhy's Kubernetes tools, kubectl and the official Python client all talk to it exactly as they would
to a real API server (plain HTTP, keep-alive), through the kubeconfig it writes. Every request is
recorded in `requests` so tests can prove what was (and was not) asked.

    with start_snapshot_server("demo/shop") as server:
        subprocess.run(["kubectl", "--kubeconfig", server.kubeconfig_path, "get", "pods", "-A"])
"""

from __future__ import annotations

import gc
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tools.snapshot.api import Response, SnapshotAPI, status_response
from tools.snapshot.kubeconfig import context_name, write_kubeconfig
from tools.snapshot.loader import Snapshot, load_snapshot
from tools.snapshot.store import SnapshotStore
from tools.snapshot.store_cache import open_store

_WRITE_BATCH = 1 << 20  # join list items into ~1 MiB writes


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    bytes: int = 0  # body bytes sent: what a question costs to fetch


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    api: SnapshotAPI
    owner: SnapshotServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "kubewhy-snapshot"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # headers and body go out in one write; no Nagle delay on small keep-alive answers
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_TRACE = do_CONNECT = do_GET

    def _serve(self) -> None:
        self._discard_body()
        path, _, query = self.path.partition("?")
        try:
            response = self.server.api.handle(self.command, path, query, self.headers.get("Accept"))
        except Exception:  # a bug must answer 500, never kill the connection silently
            traceback.print_exc(file=sys.stderr)
            response = status_response(500, "internal error in the kubewhy snapshot server")
        # Record before answering, so a client that has its answer can trust the log to contain it.
        self.server.owner.record(RequestRecord(self.command, path, query, response.status, response.length))
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _discard_body(self) -> None:
        """Read a refused request's body so the keep-alive connection stays in step."""
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            remaining = int(length)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        elif self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.length))
        self.send_header("Cache-Control", "no-cache, private")
        self._headers_buffer.append(b"\r\n")  # end of headers, sent with the first body bytes
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        if self.command == "HEAD":
            self.wfile.write(head)
            return
        batch: list[bytes] = [head]
        size = len(head)
        for chunk in response.chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= _WRITE_BATCH:
                self.wfile.write(b"".join(batch))
                batch, size = [], 0
        if batch:
            self.wfile.write(b"".join(batch))

    def log_message(self, format: str, *args: Any) -> None:  # requests are recorded, not printed
        return


class SnapshotServer:
    """A running snapshot API server. Use as a context manager, or call stop()."""

    def __init__(
        self,
        snapshot: Snapshot,
        store: SnapshotStore,
        httpd: _HTTPServer,
        kubeconfig_path: Path,
        owned_dir: Path | None,
        load_seconds: float,
    ) -> None:
        self.snapshot = snapshot
        self.store = store
        self.port: int = httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.kubeconfig_path = kubeconfig_path
        self.context = context_name(snapshot.meta.name)
        self.load_seconds = load_seconds
        self.requests: list[RequestRecord] = []
        self.record_requests = True
        self._lock = threading.Lock()
        self._httpd = httpd
        self._owned_dir = owned_dir
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits for the next poll: a CLI answer exits sooner
            name="kubewhy-snapshot-api",
            daemon=True,
        )
        self._stopped = False

    def record(self, entry: RequestRecord) -> None:
        if not self.record_requests:
            return
        with self._lock:
            self.requests.append(entry)

    def start(self) -> SnapshotServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket, and remove the temporary files this server created."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
        tempdir = self.snapshot._tempdir
        if tempdir is not None:
            tempdir.cleanup()

    def wait(self) -> None:
        """Block until stop() (used by `kubewhy snapshot serve`)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> SnapshotServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_snapshot_server(
    source: str | Path | Snapshot,
    port: int = 0,
    kubeconfig_path: Path | None = None,
    *,
    record_requests: bool = True,
    cache: bool = True,
) -> SnapshotServer:
    """Load a snapshot, serve it on 127.0.0.1:`port` (0 = any free port), write its kubeconfig.

    Raises SnapshotError when `source` is not a snapshot, OSError when the port cannot be bound.
    Without `kubeconfig_path` the kubeconfig goes to a temporary directory removed by stop().
    `record_requests=False` keeps `requests` empty (long-running servers: it would grow forever).
    `cache=False` builds the store without reading or writing the on-disk cache (store_cache.py).
    """
    started = time.perf_counter()
    snapshot = source if isinstance(source, Snapshot) else load_snapshot(source)
    store = open_store(snapshot, cache=cache)
    # The index never changes: move it out of the collector's sight, or every full collection
    # (triggered by parsing responses in this process) rescans ~10 objects per snapshot object.
    gc.collect()
    gc.freeze()
    load_seconds = time.perf_counter() - started
    httpd = _HTTPServer(("127.0.0.1", port), _Handler)
    owned_dir = None
    try:
        actual_port = httpd.server_address[1]
        httpd.api = SnapshotAPI(store, f"127.0.0.1:{actual_port}")
        if kubeconfig_path is None:
            owned_dir = Path(tempfile.mkdtemp(prefix="kubewhy-snapshot-"))
            kubeconfig_path = owned_dir / "kubeconfig"
        path = write_kubeconfig(Path(kubeconfig_path), f"http://127.0.0.1:{actual_port}", snapshot.meta.name)
        server = SnapshotServer(snapshot, store, httpd, path, owned_dir, load_seconds)
        server.record_requests = record_requests
        httpd.owner = server
    except BaseException:
        httpd.server_close()
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)
        raise
    return server.start()
