"""Helpers: start `kubewhy mcp` as a real subprocess (stdio or HTTP) with an isolated history store,
and connect the mcp SDK's own clients to it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "app" / "demo" / "shop"
CLIENT = types.Implementation(name="kubewhy-tests", version="1.0")
TOKEN = "test-token-9f2c"


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a server under test: this worktree first, its own history store, no user
    runbooks, and no token unless the test sets one."""
    env = dict(os.environ)
    for name in ("KUBEWHY_MCP_TOKEN", "KUBEWHY_PROMETHEUS_URL", "KUBEWHY_HUBBLE_ADDRESS", "KUBEWHY_SNAPSHOT"):
        env.pop(name, None)
    env.update(
        PYTHONPATH=str(ROOT),
        KUBEWHY_DATABASE_URL=f"sqlite:///{home / 'history.db'}",
        KUBEWHY_RUNBOOKS_DIR=str(home / "runbooks"),
        KUBEWHY_LLM="none",
    )
    env.update(extra)
    return env


def stdio_params(home: Path, *args: str, **extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "app.cli", "mcp", *args],
        env=server_env(home, **extra),
        cwd=str(ROOT),
    )


@asynccontextmanager
async def stdio_session(params: StdioServerParameters) -> AsyncIterator[ClientSession]:
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, client_info=CLIENT) as session,
    ):
        session.initialized = await session.initialize()  # type: ignore[attr-defined]
        yield session


@asynccontextmanager
async def http_session(url: str, token: str | None = TOKEN) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write, client_info=CLIENT) as session,
    ):
        session.initialized = await session.initialize()  # type: ignore[attr-defined]
        yield session


@dataclass
class HttpServer:
    """`kubewhy mcp --transport http --port 0` in a subprocess; ``url`` is what it announced."""

    process: subprocess.Popen[str]
    url: str
    home: Path
    stderr: list[str]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def start_http(home: Path, *args: str, timeout_s: float = 90.0, **extra: str) -> HttpServer:
    command = [sys.executable, "-m", "app.cli", "mcp", "--transport", "http", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_env(home, **extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True).start()  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if "listening on " in line:
            return HttpServer(process, line.split("listening on ", 1)[1].strip(), home, stderr)
    process.kill()
    process.wait(timeout=5)
    raise AssertionError(f"kubewhy mcp did not start: {''.join(stderr)[-2000:]}")
