"""`kubewhy mcp --snapshot app/demo/shop` over stdio, driven by the mcp SDK's stdio client: everything
the server offers, the audit log it writes, and nothing left running once the client is gone."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import anyio
import pytest

from app.store import open_store
from tests.mcp.mcp_scenario import exercise
from tests.mcp.mcp_support import DEMO, stdio_params, stdio_session
from tools.contracts.settings import Settings

pytestmark = pytest.mark.prometheus


def test_the_demo_over_stdio(home):
    params = stdio_params(home, "--snapshot", str(DEMO))
    seen: dict = {}

    async def run() -> None:
        async with stdio_session(params) as session:
            seen.update(await exercise(session))
            status = await session.read_resource("kubewhy://shop-prod/sources/prometheus")
            seen["prometheus"] = json.loads(status.contents[0].text)["detail"].split(" at ")[1]

    anyio.run(run)

    # every call is in the audit log under the client's name, surface mcp
    store = open_store(Settings(database_url=f"sqlite:///{home / 'history.db'}"))
    runs = store.list_runs(limit=500)
    assert (
        runs and {run.surface for run in runs} == {"mcp"} and {run.user for run in runs} == {"kubewhy-tests"}
    )
    audited = {entry.tool for entry in store.audit(limit=5000)}
    assert set(seen["texts"]) <= audited and "no_such_tool" in audited
    assert any(run.question.startswith("Why are customers' orders failing") for run in runs)
    assert any(run.runbook == "pod-restarting" for run in runs)

    # the client closed stdin: the server stopped the Prometheus it had started over the snapshot
    prometheus = urlsplit(seen["prometheus"])
    with pytest.raises(OSError), socket.create_connection((prometheus.hostname, prometheus.port), timeout=2):
        pass


def test_a_bad_snapshot_is_one_line_and_exit_2(home, tmp_path):
    import subprocess

    params = stdio_params(home, "--snapshot", str(tmp_path / "missing"))
    done = subprocess.run(
        [params.command, *params.args],
        env=params.env,
        cwd=params.cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].startswith("kubewhy: --snapshot ")
