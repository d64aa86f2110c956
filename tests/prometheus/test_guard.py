"""The read-only guard: admin, lifecycle and write endpoints are refused before anything is sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from tools.contracts.tool import ToolError
from tools.prometheus.client import PrometheusAccess
from tools.prometheus.guard import ReadOnlySession, ReadOnlyViolation

pytestmark = pytest.mark.prometheus

BASE = "http://127.0.0.1:9090"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/query?query=up"),
        ("POST", "/api/v1/query"),
        ("GET", "/api/v1/query_range"),
        ("GET", "/api/v1/series"),
        ("GET", "/api/v1/labels"),
        ("GET", "/api/v1/label/__name__/values"),
        ("GET", "/api/v1/label/namespace/values"),
        ("GET", "/api/v1/metadata"),
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/rules"),
        ("GET", "/api/v1/targets?state=active"),
        ("GET", "/api/v1/status/buildinfo"),
        ("GET", "/-/ready"),
    ],
)
def test_query_and_metadata_endpoints_are_allowed(method, path):
    ReadOnlySession(BASE).check(method, BASE + path)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", BASE + "/api/v1/admin/tsdb/delete_series?match[]=up"),
        ("POST", BASE + "/api/v1/admin/tsdb/clean_tombstones"),
        ("POST", BASE + "/api/v1/admin/tsdb/snapshot"),
        ("POST", BASE + "/-/quit"),
        ("POST", BASE + "/-/reload"),
        ("POST", BASE + "/api/v1/write"),
        ("PUT", BASE + "/api/v1/query"),
        ("DELETE", BASE + "/api/v1/series"),
        ("GET", BASE + "/api/v1/targets/metadata"),
        ("GET", BASE + "/api/v1/status/config"),
        ("GET", BASE + "/"),
        ("GET", BASE + "/api/v1/query/../admin/tsdb/delete_series"),
        ("GET", BASE + "/api/v1/label/%2e%2e/values"),
        ("GET", BASE + "/api/v1/label/a/../../admin/tsdb/snapshot/values"),
        ("GET", BASE + "//api/v1/query"),
        ("GET", "http://evil.example:9090/api/v1/query"),
        ("GET", "https://127.0.0.1:9090/api/v1/query"),
    ],
)
def test_everything_else_is_refused(method, url):
    with pytest.raises(ReadOnlyViolation, match=r"^refused"):
        ReadOnlySession(BASE).check(method, url)


def test_a_route_prefix_is_respected():
    session = ReadOnlySession("https://mon.example/prometheus/")
    session.check("GET", "https://mon.example/prometheus/api/v1/query")
    with pytest.raises(ReadOnlyViolation):
        session.check("GET", "https://mon.example/api/v1/query")
    with pytest.raises(ReadOnlyViolation):
        session.check("POST", "https://mon.example/prometheus/api/v1/admin/tsdb/snapshot")


@pytest.fixture
def silent_listener() -> Iterator[tuple[str, socket.socket]]:
    """A bound, listening socket: any connection attempt would be queued and visible to accept()."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.3)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def _nothing_connected(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except TimeoutError:
        return True
    connection.close()
    return False


def test_refusal_happens_before_any_connection_through_every_session_path(silent_listener):
    url, sock = silent_listener
    access = PrometheusAccess(url, timeout_s=0.5)
    session = access._connect._session
    with pytest.raises(ReadOnlyViolation):
        session.post(f"{url}/api/v1/admin/tsdb/delete_series", params={"match[]": "up"})
    with pytest.raises(ReadOnlyViolation):
        session.request("POST", f"{url}/-/quit")
    prepared = requests.Request("POST", f"{url}/api/v1/admin/tsdb/snapshot").prepare()
    with pytest.raises(ReadOnlyViolation):
        session.get_adapter(prepared.url).send(prepared)  # the adapter alone is guarded too
    with pytest.raises(ReadOnlyViolation):
        access._connect.get_target_metadata({"job": "x"})  # a library method outside the allow-list
    with pytest.raises(ToolError, match="read-only guard: refused"):
        access._api("/api/v1/admin/tsdb/clean_tombstones")
    assert _nothing_connected(sock)


def test_an_allowed_call_does_reach_the_listener(silent_listener):
    """Control for the test above: the listener would have seen a connection."""
    url, sock = silent_listener
    access = PrometheusAccess(url, timeout_s=0.3)
    with pytest.raises(ToolError, match="did not answer"):
        access.query("up")
    assert not _nothing_connected(sock)


def test_a_refused_delete_leaves_the_series_in_the_real_prometheus(local_prom):
    access = local_prom.access()
    session = access._connect._session
    before = access.query("count(kube_deployment_spec_replicas)")
    with pytest.raises(ReadOnlyViolation):
        session.post(
            f"{local_prom.url}/api/v1/admin/tsdb/delete_series",
            params={"match[]": "kube_deployment_spec_replicas"},
        )
    assert access.query("count(kube_deployment_spec_replicas)") == before
    assert before[0]["value"][1] == "2"
    assert local_prom.running
