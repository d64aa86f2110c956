"""The same store on a real PostgreSQL server (started here on 127.0.0.1, stopped at the end): a shared
deployment sets KUBEWHY_DATABASE_URL=postgresql+psycopg://... and everything works unchanged."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import open_store

from .helpers import record

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
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pg")
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        os.chmod(root, 0o755)
        for parent in Path(root).parents:
            if parent == Path("/tmp") or parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o005)
    data, port = root / "data", _free_port()
    run = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run(
        _as_postgres_user(["initdb", "-D", str(data), "-A", "trust", "-U", "kubewhy", "--no-sync"]), **run
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user(["pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]),
        **run,
    )
    try:
        yield f"postgresql+psycopg://kubewhy@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )


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
