"""Benchmark the snapshot API server on large synthetic snapshots.

    python bench/bench_server.py                    # 10,000 and 100,000 pods
    python bench/bench_server.py --sizes 10000      # one size

For each size it generates a snapshot with devkit/big_cluster.py (kept under --workdir and reused),
starts `kubewhy snapshot serve` in its own process, and reports: snapshot load time, the server's peak
memory (VmHWM), p50/p95 latency of a namespaced label-selected pod list (raw HTTP and through the
official Python client), a cluster-wide label-selected list, the time to page through all pods with
limit=500 (JSON, and as the Tables `kubectl get pods -A` asks for), and real `kubectl get pods -A`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
PODS_PER_DEPLOYMENT = 10


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ensure_snapshot(pods: int, workdir: Path) -> Path:
    target = workdir / f"synthetic-{pods}"
    if (target / "snapshot.yaml").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "devkit.big_cluster", "--pods", str(pods), "--out", str(target.resolve())],
        check=True,
        cwd=ROOT,
    )
    return target


class ServedSnapshot:
    """`kubewhy snapshot serve` in a child process, so its memory is measured alone."""

    def __init__(self, snapshot: Path, kubeconfig: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "snapshot",
            "serve",
            str(snapshot),
            "--kubeconfig",
            str(kubeconfig),
        ]
        started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        self.ready_seconds = time.perf_counter() - started
        match = re.search(r"loaded in ([\d.]+)s\) at (http://\S+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"server did not start: {line}")
        self.load_seconds = float(match.group(1))
        self.url = match.group(2)
        self.kubeconfig = kubeconfig

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def timed_requests(http: httpx.Client, paths: list[str]) -> tuple[list[float], int]:
    samples, items = [], 0
    for path in paths:
        started = time.perf_counter()
        response = http.get(path)
        body = orjson.loads(response.content)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:200]
        items += len(body["items"])
    return samples, items


def paged_traversal(http: httpx.Client, accept: str | None) -> tuple[float, int, int]:
    headers = {"Accept": accept} if accept else {}
    started, token, count, pages = time.perf_counter(), None, 0, 0
    while True:
        params = {"limit": "500", **({"continue": token} if token else {})}
        body = orjson.loads(http.get("/api/v1/pods", params=params, headers=headers).content)
        count += len(body.get("items") or body.get("rows") or [])
        pages += 1
        token = body["metadata"].get("continue")
        if not token:
            return time.perf_counter() - started, count, pages


def python_client_latency(kubeconfig: Path, targets: list[tuple[str, str]]) -> list[float]:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    samples = []
    for namespace, app in targets:
        started = time.perf_counter()
        api.list_namespaced_pod(namespace, label_selector=f"app={app}")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def kubectl_get_all(kubeconfig: Path) -> tuple[float, int]:
    cache = tempfile.mkdtemp(prefix="kubewhy-bench-kubectl-")
    base = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", cache]
    subprocess.run([*base, "api-resources"], capture_output=True, check=True)  # warm discovery cache
    started = time.perf_counter()
    result = subprocess.run(
        [*base, "get", "pods", "-A", "--no-headers"], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    return elapsed, len(result.stdout.splitlines())


def bench(pods: int, workdir: Path, requests: int, with_kubectl: bool) -> dict[str, str]:
    snapshot = ensure_snapshot(pods, workdir)
    rng = random.Random(7)
    namespaces = 100
    apps = max(1, pods // namespaces // PODS_PER_DEPLOYMENT)
    targets = [(f"ns-{rng.randrange(namespaces):03d}", f"svc-{rng.randrange(apps)}") for _ in range(requests)]
    paths = [f"/api/v1/namespaces/{ns}/pods?labelSelector=app%3D{app}" for ns, app in targets]
    kubeconfig = workdir / f"synthetic-{pods}.kubeconfig"
    server = ServedSnapshot(snapshot, kubeconfig)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            timed_requests(http, paths[:20])  # warm-up
            samples, items = timed_requests(http, paths)
            wide, wide_items = timed_requests(http, ["/api/v1/pods?labelSelector=app%3Dsvc-3"] * 20)
            json_seconds, json_count, pages = paged_traversal(http, None)
            table_seconds, table_count, _ = paged_traversal(http, TABLE)
        client_samples = python_client_latency(kubeconfig, targets[:100])
        kubectl_seconds, kubectl_rows = kubectl_get_all(kubeconfig) if with_kubectl else (float("nan"), 0)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    assert json_count == pods and table_count == pods, (json_count, table_count)
    return {
        "pods": f"{pods:,}",
        "load (s)": f"{server.load_seconds:.1f}",
        "ready (s)": f"{server.ready_seconds:.1f}",
        "peak RSS (MB)": f"{peak:.0f}",
        "ns label list p50/p95 (ms)": f"{percentile(samples, 0.5):.1f} / {percentile(samples, 0.95):.1f}"
        f" ({items / len(paths):.0f} pods)",
        "same, Python client p50/p95 (ms)": f"{percentile(client_samples, 0.5):.1f} / "
        f"{percentile(client_samples, 0.95):.1f}",
        "cluster-wide label list p50 (ms)": f"{statistics.median(wide):.0f} ({wide_items // len(wide)} pods)",
        "paged JSON traversal (s)": f"{json_seconds:.1f} ({pages} pages)",
        "paged Table traversal (s)": f"{table_seconds:.1f}",
        "kubectl get pods -A (s)": f"{kubectl_seconds:.1f} ({kubectl_rows} rows)" if with_kubectl else "-",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated pod counts")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--requests", type=int, default=300, help="timed namespaced list requests")
    parser.add_argument("--no-kubectl", action="store_true", help="skip the real kubectl traversal")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    rows = [
        bench(int(size), args.workdir, args.requests, not args.no_kubectl) for size in args.sizes.split(",")
    ]
    print(f"load average after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row[h] for h in headers) + " |")


if __name__ == "__main__":
    main()
