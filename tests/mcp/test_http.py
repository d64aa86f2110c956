"""`kubewhy mcp --transport http`, driven by the mcp SDK's streamable HTTP client: the demo scenario with a
bearer token, requests refused without it or from a foreign Origin/Host, bounded sessions, and a live
cluster reached through a recording proxy that sees only GETs."""

from __future__ import annotations

import subprocess
import sys

import anyio
import httpx
import pytest

from app.store import open_store
from tests.mcp.mcp_scenario import ARGS, CHECKOUT, exercise, text_of
from tests.mcp.mcp_support import CLIENT, DEMO, ROOT, TOKEN, http_session, server_env, start_http
from tests.security.fault_proxy import Fault, FaultProxy
from tools.contracts.settings import Settings
from tools.snapshot.kubeconfig import write_kubeconfig
from tools.snapshot.server import start_snapshot_server

pytestmark = pytest.mark.prometheus

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": CLIENT.model_dump(),
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def post(url: str, **headers: str) -> httpx.Response:
    """A raw initialize request; a session it opened is ended again, so it holds no slot."""
    response = httpx.post(url, json=INITIALIZE, headers={**ACCEPT, **headers}, timeout=10)
    session_id = response.headers.get("mcp-session-id")
    if session_id:
        httpx.delete(url, headers={**headers, "mcp-session-id": session_id}, timeout=10)
    return response


def open_raw(url: str) -> str:
    """Open a session with a raw initialize and return its id (left open)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(url, json=INITIALIZE, headers={**ACCEPT, **auth}, timeout=10)
    assert response.status_code == 200, response.text
    return response.headers["mcp-session-id"]


def test_the_demo_over_http(demo_http):
    seen: dict = {}

    async def run() -> None:
        async with http_session(demo_http.url) as session:
            seen.update(await exercise(session))

    anyio.run(run)
    store = open_store(Settings(database_url=f"sqlite:///{demo_http.home / 'history.db'}"))
    entries = store.audit(limit=5000)
    assert {e.surface for e in entries} == {"mcp"} and {e.user for e in entries} == {"kubewhy-tests"}
    assert set(seen["texts"]) <= {e.tool for e in entries}


def test_requests_without_the_token_are_refused(demo_http):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = post(demo_http.url, **headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "KUBEWHY_MCP_TOKEN" in response.json()["error"]
        assert TOKEN not in response.text

    async def wrong_token() -> None:
        async with http_session(demo_http.url, token="wrong"):
            raise AssertionError("a session opened with a wrong token")

    with pytest.raises(BaseException) as caught:  # the SDK client surfaces the 401 in an exception group
        anyio.run(wrong_token)
    assert "401" in repr(caught.value.exceptions if hasattr(caught.value, "exceptions") else caught.value)
    assert post(demo_http.url, Authorization=f"Bearer {TOKEN}").status_code == 200


def test_a_foreign_origin_or_host_is_refused(demo_http):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert post(demo_http.url, Origin="http://evil.example", **auth).status_code == 403
    assert post(demo_http.url, Origin="http://127.0.0.1.evil.example", **auth).status_code == 403
    assert post(demo_http.url, Host="evil.example", **auth).status_code == 421  # DNS rebinding
    port = demo_http.url.split(":")[2].split("/")[0]
    assert post(demo_http.url, Origin=f"http://127.0.0.1:{port}", **auth).status_code == 200
    assert post(demo_http.url, Origin=f"http://localhost:{port}", **auth).status_code == 200


def test_sessions_are_bounded(demo_http):
    """KUBEWHY_MCP_MAX_SESSIONS=3 on this server: a fourth concurrent session is refused with 503."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ids = [open_raw(demo_http.url) for _ in range(3)]
    try:
        refused = httpx.post(demo_http.url, json=INITIALIZE, headers={**ACCEPT, **auth}, timeout=10)
        assert refused.status_code == 503
    finally:
        for session_id in ids:
            httpx.delete(demo_http.url, headers={**auth, "mcp-session-id": session_id}, timeout=10)
    assert post(demo_http.url, **auth).status_code == 200  # room again once they ended


def test_without_a_token_it_listens_on_loopback_only(home):
    command = [sys.executable, "-m", "app.cli", "mcp", "--transport", "http", "--host", "0.0.0.0"]
    done = subprocess.run(
        [*command, "--snapshot", str(DEMO)],
        cwd=ROOT,
        env=server_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "without KUBEWHY_MCP_TOKEN the MCP server listens on 127.0.0.1 only" in done.stderr
    assert "serving the snapshot" not in done.stderr  # refused before connecting to anything


def test_a_live_cluster_behind_a_recording_proxy_sees_only_gets(home):
    """No Prometheus or Hubble configured: their tools are not offered and the instructions say why.
    Every request that reached the API server passed the proxy: all GETs."""
    with (
        start_snapshot_server(DEMO) as api,
        FaultProxy(api.url) as proxy,
    ):
        kubeconfig = write_kubeconfig(home / "kubeconfig", proxy.url, "shop-prod")
        server = start_http(home, "--kubeconfig", str(kubeconfig), KUBEWHY_MCP_TOKEN=TOKEN)
        report: dict = {}

        async def run() -> None:
            async with http_session(server.url) as session:
                report["instructions"] = session.initialized.instructions
                tools = {t.name: t for t in (await session.list_tools()).tools}
                assert not [name for name in tools if name.startswith(("prom_", "flows_"))]
                assert all(t.annotations.openWorldHint is True for t in tools.values())  # a live cluster
                for name, args in ARGS.items():
                    if name in tools:
                        result = await session.call_tool(name, args)
                        assert not result.isError, f"{name}: {text_of(result)[:300]}"
                refused = await session.call_tool("prom_query", {"query": "up"})
                report["refused"] = text_of(refused)
                diagnosis = await session.call_tool("diagnose", {"question": CHECKOUT})
                assert not diagnosis.isError, text_of(diagnosis)
                runbook = await session.call_tool(
                    "run_runbook",
                    {"name": "service-unreachable", "params": {"namespace": "shop", "service": "cart"}},
                )
                assert not runbook.isError, text_of(runbook)
                secret = await session.read_resource("kubewhy://shop-prod/shop/Secret/payments-stripe")
                report["secret"] = secret.contents[0].text  # type: ignore[union-attr]

                proxy.rule = lambda method, path, count: Fault(
                    503, body=b"upstream down"
                )  # the API goes down
                for name, args in [
                    ("k8s_list", {"kind": "Pod", "namespace": "shop"}),
                    ("diagnose", {"question": CHECKOUT}),
                ]:
                    down = await session.call_tool(name, args)
                    report.setdefault("down", []).append((down.isError, text_of(down)))
                assert await session.send_ping() is not None  # still serving

        try:
            anyio.run(run)
        finally:
            server.stop()
    assert "- prometheus: not connected (KUBEWHY_PROMETHEUS_URL is not set)" in report["instructions"]
    assert (
        "Not offered because flows is not connected: KUBEWHY_HUBBLE_ADDRESS is not set: flows_dns"
        in (report["instructions"])
    )
    assert report["refused"].startswith(
        "error: tool 'prom_query' is not offered: prometheus is not connected"
    )
    assert "KUBEWHY_PROMETHEUS_URL is not set" in report["refused"]
    assert "c2tfbGl2ZV9kZW1v" not in report["secret"] and "sk_live" not in report["secret"]
    for is_error, text in report["down"]:
        assert is_error and text.startswith("error: ") and "\n" not in text, text[:300]
    assert report["down"][0][1] == "error: list pods in shop: HTTP 503: upstream down"
    assert "the Kubernetes API of shop-prod cannot be read" in report["down"][1][1]  # diagnose, down
    assert len(proxy.seen) > 20
    assert {seen.method for seen in proxy.seen} == {"GET"}
    assert {seen.method for seen in api.requests} == {"GET"}


def test_which_hosts_and_origins_are_accepted():
    from app.mcp.http import UnsafeBind, check_bind, security_settings

    with pytest.raises(UnsafeBind):
        check_bind(Settings(), "0.0.0.0")
    for host in ("127.0.0.1", "localhost", "::1"):
        check_bind(Settings(), host)
    check_bind(Settings(mcp_token="t"), "0.0.0.0")
    rules = security_settings(Settings(mcp_allowed_hosts=["mcp.internal:*"]), "10.1.2.3", 8808)
    assert rules.enable_dns_rebinding_protection
    assert {"127.0.0.1:8808", "localhost:8808", "[::1]:8808", "10.1.2.3:8808", "mcp.internal:*"} == set(
        rules.allowed_hosts
    )
    assert (
        "http://10.1.2.3:8808" in rules.allowed_origins and "https://mcp.internal:*" in rules.allowed_origins
    )
    assert "0.0.0.0:8808" not in security_settings(Settings(), "0.0.0.0", 8808).allowed_hosts
