"""Fixtures of the MCP tests: an isolated home (history store, no user runbooks) and a shared HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp.mcp_support import DEMO, TOKEN, HttpServer, start_http


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "runbooks").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp")
    (path / "runbooks").mkdir()
    return path


@pytest.fixture(scope="module")
def demo_http(module_home: Path) -> Iterator[HttpServer]:
    """The demo snapshot over HTTP with a bearer token and at most 3 sessions, shared by a module's tests."""
    server = start_http(
        module_home, "--snapshot", str(DEMO), KUBEWHY_MCP_TOKEN=TOKEN, KUBEWHY_MCP_MAX_SESSIONS="3"
    )
    try:
        yield server
    finally:
        server.stop()
