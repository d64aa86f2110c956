"""Sizes from outside are bounded, each with a clear message: a `.tar.gz` that expands 1,000-fold, too many
files or bytes in an archive, a log that is one 512 MB line, a log far bigger than a kubelet would keep,
and numbers too large for the API (`since=99999999999d`, `sinceSeconds=10^20`, `tailLines=10^30`) that
used to answer HTTP 500. Heavy runs are child processes with a 3 GB address-space cap and a measured peak.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest

from app.toolset import call_tool
from devkit.hostile_files import (
    LOG_LINE,
    POD,
    SNAPSHOT_YAML,
    base_snapshot,
    gzip_bomb_tar,
    run_with_peak,
    write_huge_line,
    write_repeated,
)
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot import loader
from tools.snapshot.loader import SnapshotError, load_snapshot
from tools.snapshot.server import start_snapshot_server

REPO = Path(__file__).resolve().parents[2]
_MEASURED = """
import json, sys, time
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from app.toolset import call_tool
from tools.snapshot.server import start_snapshot_server
with start_snapshot_server(sys.argv[1]) as server:
    kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
    ctx = ToolContext(settings=Settings(llm="none"), kube=kube, fixed_now=server.snapshot.meta.captured_at)
    started = time.perf_counter()
    result = call_tool(ctx, "k8s_logs", json.loads(sys.argv[2]))
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "error": result.error, "text": result.text}))
"""


def _measured_logs(root: Path, args: dict) -> dict:
    run = run_with_peak(REPO, sys.executable, "-c", _MEASURED, str(root), json.dumps(args))
    assert run["code"] == 0, run["err"][-3000:]
    return {**json.loads(run["out"]), "peak_mb": run["peak_mb"]}


# --- archives -----------------------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_before_it_is_extracted(tmp_path):
    archive = gzip_bomb_tar(tmp_path / "bomb.tar.gz", 256 * 1024 * 1024)
    assert archive.stat().st_size < 1024 * 1024  # ~1,000x
    with pytest.raises(SnapshotError, match=r"refused: the archive expands to more than 200 times its size"):
        load_snapshot(archive)
    done = subprocess.run(
        ["kubewhy", "snapshot", "check", str(archive)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin:" + str(Path(sys.executable).parent)},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "archive bomb" in done.stderr


def _archive(path: Path, files: int, size: int) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (
            ("snapshot.yaml", SNAPSHOT_YAML.encode()),
            ("resources/p.json", json.dumps(POD).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for number in range(files):
            info = tarfile.TarInfo(f"logs/shop/web/c{number}.log")
            data = bytes(range(256)) * (size // 256)  # incompressible enough: the ratio is not what trips
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_with_too_many_files_or_bytes_is_refused(tmp_path, monkeypatch):
    many = _archive(tmp_path / "many.tar.gz", 60, 256)
    assert load_snapshot(many).meta.name == "hostile"  # within the default bounds
    monkeypatch.setattr(loader, "ARCHIVE_MAX_FILES", 50)
    with pytest.raises(SnapshotError, match=r"refused: the archive holds more than 50 files"):
        load_snapshot(many)
    monkeypatch.setattr(loader, "ARCHIVE_MAX_BYTES", 10_000)
    with pytest.raises(SnapshotError, match=r"refused: the archive expands to more than"):
        load_snapshot(_archive(tmp_path / "big.tar.gz", 3, 8192))


# --- logs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("megabytes", [8, 512])
def test_a_huge_log_line_is_cut_and_costs_bounded_memory(tmp_path, megabytes):
    root = base_snapshot(tmp_path / "snap")
    write_huge_line(root / "logs" / "shop" / "web" / "app.log", megabytes * 1024 * 1024)
    answer = _measured_logs(root, {"namespace": "shop", "pod": "web"})
    assert answer["error"] is None and LOG_LINE.split(" ", 1)[1] in answer["text"]
    if megabytes < 16:  # inside the last 16 MiB the server reads: cut, with the marker
        assert "[kubewhy: line cut here, " in answer["text"] and " more bytes]" in answer["text"]
    else:  # before them: not read, and said so
        assert "bytes of this" in answer["text"] and "log were not read" in answer["text"]
    assert answer["peak_mb"] < 300, answer["peak_mb"]
    print(f"{megabytes} MB line: k8s_logs {answer['seconds']:.1f} s, peak RSS {answer['peak_mb']} MB")


def test_a_log_bigger_than_a_kubelet_keeps_is_read_from_its_end(tmp_path):
    root = base_snapshot(tmp_path / "snap")
    write_repeated(root / "logs/shop/web/app.log", "2026-11-20T09:00:00Z GET /health 200\n", 200 << 20)
    answer = _measured_logs(root, {"namespace": "shop", "pod": "web", "tail": 3})
    assert answer["error"] is None and LOG_LINE.split(" ", 1)[1] in answer["text"]
    assert answer["peak_mb"] < 300, answer["peak_mb"]
    with start_snapshot_server(root) as server:
        path = "/api/v1/namespaces/shop/pods/web/log"
        with httpx.Client(base_url=server.url, timeout=60) as http:
            head = http.get(path, params={"limitBytes": "300"}).text
    assert head.startswith("[kubewhy: the first ") and "bytes of this" in head and "were not read" in head


# --- numbers ------------------------------------------------------------------------------------------


def test_numbers_too_big_for_the_api_are_a_clear_400(tmp_path):
    root = base_snapshot(tmp_path / "snap")
    with start_snapshot_server(root) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        path = "/api/v1/namespaces/shop/pods/web/log"
        for name, value, said in [
            ("sinceSeconds", "1" + "0" * 20, "must be at most 9223372036854775807"),
            ("tailLines", "1" + "0" * 30, "must be at most"),
            ("limitBytes", "9" * 5000, "must be an integer"),
            ("tailLines", "1_000", "must be an integer"),
            ("tailLines", "١٢", "must be an integer"),
            ("tailLines", "-1", "must be at least 0"),
        ]:
            response = http.get(path, params={name: value})
            body = response.json()
            assert response.status_code == 400 and body["reason"] == "BadRequest", (name, value, body)
            assert body["message"].startswith(f"{name}: invalid value") and said in body["message"]
        response = http.get("/api/v1/pods", params={"limit": "9" * 25})
        assert response.status_code == 400 and "limit: invalid value" in response.json()["message"]
        # what the tool used to send for since=99999999999d: the API server's answer is the whole log
        response = http.get(path, params={"sinceSeconds": str(99_999_999_999 * 86_400)})
        assert response.status_code == 200 and response.text == LOG_LINE.split(" ", 1)[1] + "\n"


@pytest.mark.parametrize(
    ("tool", "args", "said"),
    [
        ("k8s_logs", {"since": "99999999999d"}, "is longer than 365d"),
        ("k8s_logs", {"since": "1e400d"}, "is not a duration"),
        ("k8s_logs", {"since": "inf"}, "is not a duration"),
        ("k8s_logs", {"since": "9" * 5000}, "is not a duration"),
        ("k8s_logs", {"tail": 10**30}, "less than or equal to 100000"),
        ("k8s_events", {"since": "99999999999d"}, "is longer than 365d"),
        ("k8s_list", {"kind": "Pod", "limit": 10**30}, "less than or equal to 100000"),
    ],
)
def test_numbers_too_big_for_a_tool_are_a_clear_tool_error(tmp_path, tool, args, said):
    root = base_snapshot(tmp_path / "snap")
    with start_snapshot_server(root) as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        ctx = ToolContext(
            settings=Settings(llm="none"), kube=kube, fixed_now=server.snapshot.meta.captured_at
        )
        if tool == "k8s_logs":
            args = {"namespace": "shop", "pod": "web", **args}
        result = call_tool(ctx, tool, args)
        kube.close()
        assert all(record.status != 500 for record in server.requests)
    assert result.error is not None and said in result.error, result.error
    assert "internal error" not in result.error and len(result.error) < 400
