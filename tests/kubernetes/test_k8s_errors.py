"""API failures become clear tool errors: 403 Forbidden, 404, timeouts, connection refused."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from app.toolset import call_tool
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess, KubeError

CORE = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "secrets",
            "singularName": "secret",
            "namespaced": True,
            "kind": "Secret",
            "verbs": ["get", "list"],
        },
        {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get", "list"],
            "shortNames": ["po"],
        },
    ],
}
FORBIDDEN = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "message": 'secrets is forbidden: User "system:serviceaccount:kubewhy:kubewhy" cannot list resource '
    '"secrets" in API group "" in the namespace "shop"',
    "reason": "Forbidden",
    "code": 403,
}


class _Handler(BaseHTTPRequestHandler):
    """A tiny API server: discovery, a 403 for secrets in shop, a slow pod list, an empty one."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/api/v1":
            self._json(200, CORE)
        elif path == "/apis":
            self._json(200, {"kind": "APIGroupList", "groups": []})
        elif path == "/api/v1/namespaces/shop/secrets":
            self._json(403, FORBIDDEN)
        elif path == "/api/v1/namespaces/slow/pods":
            time.sleep(1.5)
            self._json(200, {"kind": "PodList", "items": []})
        else:
            self._json(
                404,
                {
                    "kind": "Status",
                    "code": 404,
                    "message": "the server could not find the requested resource",
                },
            )

    def _json(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (timeout test)
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _kubeconfig(path: Path, server: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "t", "cluster": {"server": server}}],
        "users": [{"name": "t", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}],
        "current-context": "t",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def forbidding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAccess]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    config = _kubeconfig(
        tmp_path_factory.mktemp("kc") / "config", f"http://127.0.0.1:{httpd.server_address[1]}"
    )
    access = KubeAccess.from_kubeconfig(str(config))
    yield access
    access.close()
    httpd.shutdown()
    httpd.server_close()


def _ctx(kube: KubeAccess) -> ToolContext:
    return ToolContext(settings=Settings(), kube=kube)


def test_forbidden_names_the_cluster_role(forbidding: KubeAccess) -> None:
    result = call_tool(_ctx(forbidding), "k8s_list", {"kind": "secrets", "namespace": "shop"})
    assert result.error is not None
    assert result.error.startswith(
        "forbidden: cannot list secrets in shop — check the kubewhy ClusterRole (deploy/rbac.yaml)."
    )
    assert 'cannot list resource "secrets"' in result.error
    assert result.text == f"error: {result.error}"


def test_not_found(forbidding: KubeAccess) -> None:
    result = call_tool(_ctx(forbidding), "k8s_get", {"kind": "pod", "name": "x", "namespace": "shop"})
    assert result.error is not None and result.error.startswith("not found: Pod x in shop")


def test_timeout_is_a_clear_error(forbidding: KubeAccess) -> None:
    forbidding.timeout = (1.0, 0.3)
    try:
        with pytest.raises(KubeError, match="timed out"):
            forbidding.list_objects("pods", "slow")
    finally:
        forbidding.timeout = (5.0, 30.0)


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    access = KubeAccess.from_kubeconfig(str(_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{port}")))
    result = call_tool(_ctx(access), "k8s_overview", {})
    assert result.error == f"cannot reach the Kubernetes API at http://127.0.0.1:{port}: connection refused"


def test_unreadable_kubeconfig(tmp_path: Path) -> None:
    bad = tmp_path / "config"
    bad.write_text("this: [is not a kubeconfig")
    with pytest.raises(KubeError, match="cannot use"):
        KubeAccess.from_kubeconfig(str(bad))
    with pytest.raises(KubeError, match="context 'nope'"):
        KubeAccess.from_kubeconfig(str(_kubeconfig(tmp_path / "ok", "http://127.0.0.1:1")), "nope")


def test_kubeconfig_env_is_read_when_connecting_not_when_the_client_was_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kubernetes.config.kube_config  # noqa: F401  (imported long before KUBECONFIG is set below)

    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "config", "http://127.0.0.1:1")))
    access = KubeAccess.from_kubeconfig()
    assert access.name == "t" and access.host == "http://127.0.0.1:1"
    access.close()
