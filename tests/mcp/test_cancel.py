"""A client that goes away mid-call leaves nothing running: the server cancels the call, the call stops at
its next checkpoint and its worker thread ends; the audit log says it was cancelled. The server runs
in-process here (uvicorn in a thread) so the test can watch the tool's own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
import uvicorn
from mcp import ClientSession
from mcp.shared.memory import create_client_server_memory_streams

from app.engine import Session, SourceStatus
from app.mcp.http import build_app, listen
from app.mcp.server import KubewhyServer
from app.store import open_store
from tests.mcp.mcp_support import CLIENT, http_session
from tools import registry
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolOutput, ToolParams

WAIT_TOOL = "mcptest_wait"


@dataclass
class Waiting:
    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    stopped_by: list[str] = field(default_factory=list)
    ticks: list[float] = field(default_factory=list)


class WaitParams(ToolParams):
    pass


@pytest.fixture
def waiting() -> Iterator[Waiting]:
    """A test-only tool that waits (passing checkpoints, as long engine steps do) until it is stopped."""
    state = Waiting()

    def mcptest_wait(ctx: ToolContext, params: WaitParams) -> ToolOutput:
        """Wait until cancelled (test tool)."""
        state.started.set()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ctx.progress("still waiting")
                state.ticks.append(time.monotonic())
                time.sleep(0.02)
            return ToolOutput(text="waited a minute")
        except BaseException as exc:
            state.stopped_by.append(type(exc).__name__)
            raise
        finally:
            state.ended.set()

    registry.tool(WAIT_TOOL, "kubernetes", WaitParams)(mcptest_wait)
    try:
        yield state
    finally:
        registry._TOOLS.pop(WAIT_TOOL, None)


def demo_less_session(tmp_path: Path) -> tuple[Session, Settings]:
    """A session without any cluster: the wait tool needs none."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'history.db'}", runbooks_dir=str(tmp_path))
    ctx = ToolContext(settings=settings, cluster_name="test-cluster")
    return Session(settings=settings, ctx=ctx, sources=[SourceStatus("kubernetes", True, "test")]), settings


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    session, settings = demo_less_session(tmp_path)
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = build_app(KubewhyServer(session), settings, "127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp", settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_a_client_that_disconnects_mid_call_leaves_nothing_running(waiting, served):
    url, settings = served

    async def run() -> None:
        async with anyio.create_task_group() as group, http_session(url, token=None) as session:
            group.start_soon(session.call_tool, WAIT_TOOL, {})
            await anyio.to_thread.run_sync(waiting.started.wait, 10)
            group.cancel_scope.cancel()  # the client goes away: its session is closed

    anyio.run(run)
    assert waiting.ended.wait(10), "the tool kept running after its client left"
    assert waiting.stopped_by == ["CallCancelled"]
    ticks = len(waiting.ticks)
    time.sleep(0.3)
    assert len(waiting.ticks) == ticks  # its loop is over (the pool's idle thread may live on)
    store, deadline = open_store(settings), time.monotonic() + 10
    while not store.audit(limit=10) and time.monotonic() < deadline:  # written as the call unwinds
        time.sleep(0.05)
    entries = store.audit(limit=10)
    assert [(e.tool, e.error, e.user) for e in entries] == [
        (WAIT_TOOL, "cancelled by the client", "kubewhy-tests")
    ]


def test_a_call_that_finishes_is_answered_while_another_client_waits(waiting, served):
    """Two clients at once: one blocked in a long call does not hold up the other."""
    url, _ = served

    async def run() -> None:
        async with anyio.create_task_group() as group, http_session(url, token=None) as first:
            group.start_soon(first.call_tool, WAIT_TOOL, {})
            await anyio.to_thread.run_sync(waiting.started.wait, 10)
            async with http_session(url, token=None) as second:
                with anyio.fail_after(10):
                    listed = await second.list_tools()
                    result = await second.call_tool("no_such_tool", {})
            assert WAIT_TOOL in {t.name for t in listed.tools} and result.isError
            group.cancel_scope.cancel()

    anyio.run(run)
    assert waiting.ended.wait(10)


def test_when_the_stdio_stream_ends_mid_call_the_call_stops(waiting, tmp_path):
    """As with stdio when the client exits: the server's input ends while a call runs."""
    session, _ = demo_less_session(tmp_path)
    kubewhy = KubewhyServer(session)

    async def run() -> None:
        async with (
            create_client_server_memory_streams() as (client_streams, server_streams),
            anyio.create_task_group() as server_group,
        ):
            options = kubewhy.server.create_initialization_options()
            server_group.start_soon(kubewhy.server.run, *server_streams, options)
            async with (
                anyio.create_task_group() as client_group,
                ClientSession(*client_streams, client_info=CLIENT) as client,
            ):
                await client.initialize()
                client_group.start_soon(client.call_tool, WAIT_TOOL, {})
                await anyio.to_thread.run_sync(waiting.started.wait, 10)
                client_group.cancel_scope.cancel()
            for stream in client_streams:
                await stream.aclose()  # the server's input ends
            with anyio.fail_after(10):
                await anyio.to_thread.run_sync(waiting.ended.wait, 10)
            server_group.cancel_scope.cancel()

    anyio.run(run)
    assert waiting.ended.is_set() and waiting.stopped_by == ["CallCancelled"]
