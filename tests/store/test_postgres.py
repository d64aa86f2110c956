"""The same store on a real PostgreSQL server (started here on 127.0.0.1, stopped at the end): a shared
deployment sets KUBEWHY_DATABASE_URL=postgresql+psycopg://... and everything works unchanged."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store import open_store
from tests.store.helpers import record
from tools.contracts.settings import Settings

pytest.importorskip(
    "psycopg", reason="the PostgreSQL driver is not installed (pip install 'kubewhy[postgres]')"
)
if not shutil.which("initdb") or not shutil.which("pg_ctl"):
    pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed", allow_module_level=True)


def _as_postgres_user(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; run it as an unprivileged user then.
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    # A private folder outside pytest's basetemp (which concurrent pytest runs may prune), readable by the
    # unprivileged user the server runs as.
    root = Path(tempfile.mkdtemp(prefix="kubewhy-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "nobody")
        data = root / "data"
        init = subprocess.run(
            _as_postgres_user(["initdb", "-D", str(data), "-A", "trust", "-U", "kubewhy", "--no-sync"]),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert init.returncode == 0, f"initdb failed: {init.stderr}"
        port = _start(root, data)
        try:
            yield f"postgresql+psycopg://kubewhy@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_postgres_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path, data: Path) -> int:
    """Start the server on a free port (again on another one if that port was taken meanwhile)."""
    log = root / "log"
    for _attempt in range(3):
        port = _free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(
            _as_postgres_user(
                ["pg_ctl", "-D", str(data), "-o", options, "-w", "-t", "60", "-l", str(log), "start"]
            ),
            capture_output=True,
            text=True,
        )
        if started.returncode == 0:
            return port
    tail = log.read_text()[-2000:] if log.exists() else ""
    raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{tail}")


def test_history_on_postgresql(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, llm="none")
    first = record(settings, user="alice", question="why is checkout failing?")
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(
            pool.map(
                lambda n: record(settings, user=f"bot-{n}", surface="slack", question=f"q{n}"), range(24)
            )
        )
    assert sorted(ids) == list(range(first + 1, first + 25))
    store = open_store(settings)
    assert store.count_runs() == 25
    run = store.get_run(first)
    assert run.diagnosis.findings[0].resource.name == "checkout" and len(run.calls) == 2
    assert run.calls[0].args == {"kind": "Pod", "namespace": "shop"}
    assert [r.id for r in store.list_runs(text="CHECKOUT")] == [first]
    assert len(store.audit(user="alice")) == 2


def test_an_agent_thread_continues_from_postgresql_checkpoints(pg_url: str) -> None:
    """The agent's conversation checkpoints live on the same PostgreSQL server (PostgresSaver)."""
    from app.agent.loop import run_agent
    from devkit.scripted_model import Reply, ScriptedModel
    from tests.agent.conftest import context_for, settings_for

    def answer(body: dict) -> Reply:
        question = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
        return Reply(tool_calls=[("final_answer", {"summary": f"Answered: {question[-30:]}"})])

    with ScriptedModel(answer) as server:
        settings = settings_for(server, database_url=pg_url)
        run_agent(context_for(settings), "why is checkout failing?", thread="pg-thread")
        first_requests = len(server.requests)
        run_agent(context_for(settings), "and since when?", thread="pg-thread")

    sent = [
        (m["role"], m["content"]) for m in server.requests[first_requests].messages if m["role"] != "system"
    ]
    assert sent[0] == ("user", "why is checkout failing?")
    assert sent[1][0] == "assistant" and sent[1][1].startswith("Summary: Answered:")
    assert "and since when?" in sent[2][1]
