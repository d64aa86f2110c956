"""Small snapshots with one hostile file each, written by the tests (never committed): a link out of the
snapshot, a YAML alias bomb, deep nesting, a huge log line, an archive bomb. Used by the tests in this
folder and by bench/bench_security_inputs.py."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

SNAPSHOT_YAML = (
    'apiVersion: kubewhy/v1\nkind: ClusterSnapshot\nname: hostile\ncapturedAt: "2026-11-20T09:30:00Z"\n'
)
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "app", "image": "web:1"}]},
    "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}]},
}
LOG_LINE = "2026-11-20T09:29:00Z web started"


def base_snapshot(root: Path, log: str = LOG_LINE + "\n") -> Path:
    """A valid snapshot: one Namespace, one Pod `shop/web` with container `app` and its log."""
    (root / "resources").mkdir(parents=True, exist_ok=True)
    (root / "snapshot.yaml").write_text(SNAPSHOT_YAML, encoding="utf-8")
    (root / "resources" / "namespace.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n", encoding="utf-8"
    )
    (root / "resources" / "pods.json").write_text(json.dumps(POD), encoding="utf-8")
    logs = root / "logs" / "shop" / "web"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "app.log").write_text(log, encoding="utf-8")
    return root


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs in YAML: ~500 bytes that expand to width**levels strings (9**9 = 387 million)."""
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: bomb, namespace: shop}",
        "a0: &a0 [" + ", ".join(['"lol"'] * width) + "]",
    ]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    lines.append(f"data: {{x: *a{levels - 1}}}")
    return "\n".join(lines) + "\n"


def deep_json(depth: int = 100_000) -> str:
    """A ConfigMap whose `data` is `depth` nested JSON arrays."""
    head = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep", "namespace": "shop"}, '
    return head + '"data": {"x": ' + "[" * depth + "]" * depth + "}}"


def deep_yaml(depth: int = 100_000) -> str:
    """The same in YAML flow style (libyaml's composer recurses once per level)."""
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep-yaml, namespace: shop}\ndata:\n  x: " + (
        "[" * depth + "]" * depth + "\n"
    )


def write_huge_line(path: Path, size: int, chunk: int = 1 << 20) -> None:
    """A log file that is one line of `size` bytes (written in chunks, never held in memory)."""
    with path.open("wb") as out:
        out.write(b"2026-11-20T09:29:00Z ")
        left = size
        while left > 0:
            out.write(b"x" * min(chunk, left))
            left -= chunk
        out.write(b"\n" + LOG_LINE.encode() + b"\n")


def gzip_bomb_tar(path: Path, inner_size: int) -> Path:
    """A .tar.gz of a valid snapshot plus a log of `inner_size` zero bytes (gzip: ~1000x smaller)."""

    class _Zeros(io.RawIOBase):
        def __init__(self, size: int) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            count = min(len(buffer), self.left)
            buffer[:count] = b"\0" * count
            self.left -= count
            return count

    with gzip.open(path, "wb", compresslevel=9) as raw, tarfile.open(fileobj=raw, mode="w") as archive:
        for name, text in (
            ("snapshot.yaml", SNAPSHOT_YAML),
            ("resources/pods.json", json.dumps(POD)),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("logs/shop/web/app.log")
        info.size = inner_size
        archive.addfile(info, io.BufferedReader(_Zeros(inner_size)))
    return path


def write_repeated(path: Path, line: str, size: int) -> None:
    """A log file of `line` repeated to about `size` bytes, then LOG_LINE (written in 1 MiB pieces)."""
    block = line.encode() * max(1, (1 << 20) // len(line))
    with path.open("wb") as out:
        for _ in range(max(1, size // len(block))):
            out.write(block)
        out.write(LOG_LINE.encode() + b"\n")


_PEAK = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
    "print(json.dumps({'code': done.returncode, 'out': done.stdout, 'err': done.stderr, 'peak_mb': peak}))\n"
)


def run_with_peak(repo: Path, *command: str, timeout: float = 300) -> dict:
    """Run `command` as the only child of a fresh, small Python, so its ru_maxrss is the command's own
    peak (a child forked from a big test process would start with that process's pages counted).
    The command runs with a 3 GB address-space cap: a regression fails instead of eating the machine."""
    capped = ["prlimit", f"--as={3 << 30}", *command]
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *capped],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=repo,
        env={"PYTHONPATH": str(repo), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_SERVE_ALL = """
import json, sys
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from app.toolset import call_tool
from tools.snapshot.server import start_snapshot_server
with start_snapshot_server(sys.argv[1]) as server:
    kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
    ctx = ToolContext(settings=Settings(llm="none"), kube=kube, fixed_now=server.snapshot.meta.captured_at)
    served = {kind: len(kube.list_objects(kind)) for kind in ("Pod", "ConfigMap", "Namespace")}
    log = call_tool(ctx, "k8s_logs", {"namespace": "shop", "pod": "web"})
    print(json.dumps({"served": served, "log_error": log.error, "problems": len(server.snapshot.problems)}))
"""


def hostile_shapes(root: Path) -> dict[str, tuple[Path, int]]:
    """Write one snapshot per hostile shape under `root`; name -> (snapshot, bytes of hostile input)."""
    shapes: dict[str, tuple[Path, int]] = {}

    def snapshot(name: str) -> Path:
        return base_snapshot(root / name)

    bomb = snapshot("alias-bomb")
    (bomb / "resources" / "bomb.yaml").write_text(alias_bomb(), encoding="utf-8")
    shapes["alias bomb (YAML)"] = (bomb, len(alias_bomb()))
    deep = snapshot("deep-json")
    (deep / "resources" / "deep.json").write_text(deep_json(), encoding="utf-8")
    shapes["100,000-deep JSON"] = (deep, len(deep_json()))
    deep = snapshot("deep-yaml")
    (deep / "resources" / "deep.yaml").write_text(deep_yaml(), encoding="utf-8")
    shapes["100,000-deep YAML"] = (deep, len(deep_yaml()))
    huge = snapshot("huge-line")
    write_huge_line(huge / "logs" / "shop" / "web" / "app.log", 512 << 20)
    shapes["512 MB log line"] = (huge, 512 << 20)
    many = snapshot("many-files")
    for number in range(10_000):
        folder = many / "resources" / f"d{number // 1000}"
        folder.mkdir(exist_ok=True)
        (folder / f"cm-{number}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{number}, namespace: shop}}\n"
            f"data: {{k: v{number}}}\n",
            encoding="utf-8",
        )
    shapes["10,000 small files"] = (many, sum(f.stat().st_size for f in (many / "resources").rglob("cm-*")))
    return shapes


def serve_all(repo: Path, snapshot: Path) -> dict:
    """Serve `snapshot`, list its objects and read the Pod's log, in a measured child (see run_with_peak)."""
    return run_with_peak(repo, sys.executable, "-c", _SERVE_ALL, str(snapshot))


def check(repo: Path, snapshot: Path) -> dict:
    """`kubewhy snapshot check` in a measured child."""
    return run_with_peak(
        repo, sys.executable, "-m", "app.cli", "snapshot", "check", str(snapshot), "-o", "json"
    )
