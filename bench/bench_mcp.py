"""Benchmark `kubewhy mcp` on the demo snapshot: what a client pays in tokens for the tool schemas when it
connects, and the median time per call over stdio and over streamable HTTP.

    python bench/bench_mcp.py [--snapshot app/demo/shop] [--repeat 20]

Both servers are real subprocesses (`python -m app.cli mcp ...`), driven by the mcp SDK's own clients.
Tokens are counted with kubewhy's offline counter (tools.budget.count_tokens) over the ``tools/list``
answer as sent, and over the function definitions a client hands its model (name, description,
parameters). Per call: each call below is made ``--repeat`` times after one warm-up; the same calls made
directly through the registry in this process give the tools' own time, so the difference is what the
protocol and transport add.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

from app.engine import open_session  # noqa: E402
from app.toolset import call_tool  # noqa: E402
from tools.budget import count_tokens  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("k8s_get", {"kind": "Service", "name": "cart", "namespace": "shop"}),
    ("k8s_list", {"kind": "Pod", "namespace": "shop"}),
    ("prom_query", {"query": "sum by (service) (rate(http_requests_total[5m]))"}),
    ("flows_drops", {"namespace": "shop"}),
]
CLIENT = types.Implementation(name="bench-mcp", version="1")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_MCP_")}
    env.update(
        PYTHONPATH=str(ROOT), KUBEWHY_DATABASE_URL=f"sqlite:///{home / 'history.db'}", KUBEWHY_LLM="none"
    )
    env["KUBEWHY_RUNBOOKS_DIR"] = str(home / "runbooks")
    return env


def schema_tokens(tools: list[types.Tool]) -> dict[str, int]:
    listed = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    functions = [{"name": t.name, "description": t.description, "parameters": t.inputSchema} for t in tools]
    return {"tools/list": count_tokens(json.dumps(listed)), "functions": count_tokens(json.dumps(functions))}


async def measure(session: ClientSession, repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    init = await session.initialize()
    connect_s = time.perf_counter() - started
    tools = (await session.list_tools()).tools
    timings: dict[str, list[float]] = {}
    for name, args in CALLS:
        await session.call_tool(name, args)  # warm-up
        for _ in range(repeat):
            started = time.perf_counter()
            result = await session.call_tool(name, args)
            timings.setdefault(name, []).append(time.perf_counter() - started)
            assert not result.isError, result.content
    return {
        "tools": len(tools),
        "tokens": schema_tokens(tools),
        "instructions": count_tokens(init.instructions or ""),
        "connect_s": connect_s,
        "timings": timings,
    }


async def over_stdio(home: Path, snapshot: Path, repeat: int) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "app.cli", "mcp", "--snapshot", str(snapshot)],
        env=environment(home),
        cwd=str(ROOT),
    )
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, client_info=CLIENT) as session,
    ):
        return await measure(session, repeat)


def start_http(home: Path, snapshot: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "app.cli", "mcp", "--transport", "http", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--snapshot", str(snapshot)],
        cwd=ROOT,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            if "listening on " in line:
                found.append(line.split("listening on ", 1)[1].strip())
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(120):
        process.kill()
        raise SystemExit("kubewhy mcp --transport http did not start")
    return process, found[0]


async def over_http(url: str, repeat: int) -> dict[str, Any]:
    async with (
        create_mcp_http_client() as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write, client_info=CLIENT) as session,
    ):
        return await measure(session, repeat)


def agent_tokens() -> int:
    """What kubewhy's own agent pays for the same tools (its compacted schemas), for comparison."""
    from app.agent.loop import tool_definitions
    from app.toolset import agent_tools

    return tool_definitions(tuple(agent_tools()))[1]


def direct(snapshot: Path, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    with open_session(Settings(), snapshot=snapshot) as session:
        for name, args in CALLS:
            call_tool(session.ctx, name, args)
            for _ in range(repeat):
                started = time.perf_counter()
                call_tool(session.ctx, name, args)
                timings.setdefault(name, []).append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=ROOT / "app" / "demo" / "shop")
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kubewhy-bench-mcp-"))
    (home / "runbooks").mkdir()

    stdio = anyio.run(over_stdio, home, options.snapshot, options.repeat)
    process, url = start_http(home, options.snapshot)
    try:
        http = anyio.run(over_http, url, options.repeat)
    finally:
        process.terminate()
        process.wait(timeout=30)
    own = direct(options.snapshot, options.repeat)

    tokens = stdio["tokens"]
    print(f"tools offered: {stdio['tools']} (all sources connected on {options.snapshot.name})")
    print(
        f"tool-schema tokens on connect: tools/list {tokens['tools/list']:,}; as function definitions "
        f"{tokens['functions']:,}; server instructions {stdio['instructions']:,}"
    )
    print(f"the agent's own compacted definitions of the registry tools: {agent_tokens():,}")
    print(
        f"start + initialize over stdio (session, snapshot server, Prometheus): {ms(stdio['connect_s'])}; "
        f"initialize over HTTP (server already up): {ms(http['connect_s'])}"
    )
    print(f"median per call over {options.repeat} calls (p90 in brackets):")
    print(f"  {'call':<12} {'stdio':>18} {'http':>18} {'registry direct':>18}")
    for name, _ in CALLS:

        def cell(values: list[float]) -> str:
            p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
            return f"{ms(statistics.median(values))} ({ms(p90)})"

        print(
            f"  {name:<12} {cell(stdio['timings'][name]):>18} {cell(http['timings'][name]):>18} "
            f"{cell(own[name]):>18}"
        )
    every = [t for values in stdio["timings"].values() for t in values]
    every_http = [t for values in http["timings"].values() for t in values]
    every_own = [t for values in own.values() for t in values]
    print(
        f"  {'all':<12} {ms(statistics.median(every)):>18} {ms(statistics.median(every_http)):>18} "
        f"{ms(statistics.median(every_own)):>18}"
    )


if __name__ == "__main__":
    main()
