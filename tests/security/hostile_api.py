"""A tiny Kubernetes API server that answers with hostile names: a resource plural, namespaces, pods and
containers named like ``../../../../ESCAPED/pwned``, and a log for any container asked about. It serves
only what `kubewhy snapshot capture` reads (discovery, lists, logs, version); every request is recorded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TRAVERSAL = "../../../../../../ESCAPED/pwned"
HOSTILE_NAMES = (TRAVERSAL, "..", ".", "a/b", "x\x1b[31mred", "UPPER", "")
LOG_LINE = "2026-03-01T10:00:00Z fatal: hostile log line"


def _pod(namespace: str, name: str, containers: list[str]) -> dict[str, Any]:
    statuses = [
        {"name": c, "restartCount": 3, "ready": False, "lastState": {"terminated": {"exitCode": 1}}}
        for c in containers
    ]
    return {
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{len(name)}"},
        "spec": {"containers": [{"name": c, "image": "x"} for c in containers]},
        "status": {"phase": "Running", "containerStatuses": statuses},
    }


def pods(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """An unhealthy pod with a good container and one per hostile name; pods and namespaces so named."""
    return [
        _pod("shop", "web-1", ["app", *names]),
        *(_pod(name, "web-2", ["app"]) for name in names if name),
        *(_pod("shop", name, ["app"]) for name in names if name),
    ]


CORE_RESOURCES = [
    {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["get", "list"]},
    {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ["get", "list"]},
    {"name": "../../../../ESCAPED/plural", "kind": "Evil", "namespaced": False, "verbs": ["list"]},
    {"name": "..", "kind": "Dots", "namespaced": False, "verbs": ["list"]},
]


class HostileAPI:
    """Serve on 127.0.0.1 (any free port). A context manager; ``requests`` lists the paths asked for.
    ``absolute`` adds an absolute path as one more hostile name (give one inside a test's folder)."""

    def __init__(self, absolute: str | None = None) -> None:
        self.names = HOSTILE_NAMES + ((absolute,) if absolute else ())
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(self) -> str:
        return (
            "apiVersion: v1\nkind: Config\ncurrent-context: hostile\n"
            f"clusters: [{{name: hostile, cluster: {{server: '{self.url}'}}}}]\n"
            "contexts: [{name: hostile, context: {cluster: hostile, user: u}}]\n"
            "users: [{name: u, user: {}}]\n"
        )

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        if path == "/version":
            return _json({"gitVersion": "v1.31.0"})
        if path == "/api":
            return _json({"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            return _json({"kind": "APIGroupList", "groups": []})
        if path == "/api/v1":
            return _json({"kind": "APIResourceList", "groupVersion": "v1", "resources": CORE_RESOURCES})
        if path == "/api/v1/pods":
            return _json({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": pods(self.names)})
        if path == "/api/v1/namespaces":
            names = ["shop", *(n for n in self.names if n)]
            items = [{"metadata": {"name": n}} for n in names]
            return _json({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": items})
        if path.startswith("/api/v1/namespaces/") and path.endswith("/log"):
            container = (query.get("container") or ["?"])[0]
            return 200, "text/plain", f"{LOG_LINE} from {container}\n".encode()
        return _json({"kind": "Status", "status": "Failure", "code": 404, "message": "not found"}, 404)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with owner._lock:
                    owner.requests.append(self.path)
                status, content_type, body = owner.answer(unquote(parts.path), parse_qs(parts.query))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _json(doc: dict[str, Any], status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(doc).encode()
