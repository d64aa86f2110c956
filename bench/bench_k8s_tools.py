"""Benchmark the Kubernetes tools on a large synthetic snapshot.

    python bench/bench_k8s_tools.py                       # 100,000 pods
    python bench/bench_k8s_tools.py --pods 10000 --repeat 3

Generates the snapshot with devkit/big_cluster.py (kept under --workdir and reused), serves it with
`kubewhy snapshot serve` in its own process (so the client's memory is measured alone), and calls every
k8s_* tool through the registry as the agent would: a namespaced question (one namespace of ~1,000 pods,
one deployment, pod, service, node) and the cluster-wide overview. Prints, per call: median and max
latency, output tokens against the budget, and whether the output was summarized; then the client's
peak memory (this process's max RSS) after the overview.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.toolset import call_tool  # noqa: E402
from tools.budget import count_tokens  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402
from tools.contracts.tool import ToolContext  # noqa: E402
from tools.kubernetes.access import KubeAccess  # noqa: E402
from tools.snapshot.loader import load_snapshot  # noqa: E402


def ensure_snapshot(pods: int, workdir: Path) -> Path:
    target = workdir / f"synthetic-{pods}"
    if not (target / "snapshot.yaml").is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "devkit.big_cluster",
                "--pods",
                str(pods),
                "--out",
                str(target.resolve()),
            ],
            check=True,
            cwd=ROOT,
        )
    return target


def serve(snapshot: Path, kubeconfig: Path) -> subprocess.Popen[bytes]:
    """`kubewhy snapshot serve` in its own process; returns once it answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "snapshot",
            "serve",
            str(snapshot),
            "--kubeconfig",
            str(kubeconfig),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the snapshot server exited")
        if kubeconfig.is_file():
            server = next(
                line.split()[-1] for line in kubeconfig.read_text().splitlines() if "server:" in line
            )
            try:
                if httpx.get(f"{server}/version", timeout=2).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the snapshot server did not start within 10 minutes")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed(ctx: ToolContext, name: str, args: dict, repeat: int) -> tuple[list[float], int, bool, str | None]:
    call_tool(ctx, name, args)  # warm the connection and the discovery cache
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call_tool(ctx, name, args)
        samples.append(time.perf_counter() - started)
    assert result is not None
    return samples, count_tokens(result.text), result.truncated, result.error


def pick_targets(ctx: ToolContext, namespace: str) -> dict[str, str]:
    """A deployment, a crash-looping pod, its service and node in the chosen namespace."""
    deployments = call_tool(ctx, "k8s_list", {"kind": "deployments", "namespace": namespace, "limit": 1}).data
    pods = call_tool(ctx, "k8s_list", {"kind": "pods", "namespace": namespace}).data["items"]
    crashing = next(p for p in pods if p["state"] == "CrashLoopBackOff")
    running = next(p for p in pods if p["state"] == "Running")
    return {
        "deployment": deployments["items"][0]["name"],
        "pod": crashing["name"],
        "service": deployments["items"][0]["name"],
        "node": running["node"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--namespace", default="ns-042")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    snapshot = ensure_snapshot(args.pods, args.workdir)
    captured_at = load_snapshot(snapshot).meta.captured_at
    with tempfile.TemporaryDirectory(prefix="kubewhy-bench-") as tmp:
        server = serve(snapshot, Path(tmp) / "kubeconfig")
        try:
            kube = KubeAccess.from_kubeconfig(str(Path(tmp) / "kubeconfig"))
            ctx = ToolContext(
                settings=Settings(), kube=kube, fixed_now=captured_at, cluster_name=snapshot.name
            )
            baseline = max_rss_mb()
            started = time.perf_counter()
            overview = call_tool(ctx, "k8s_overview", {})
            overview_s = time.perf_counter() - started
            overview_rss = max_rss_mb()
            if overview.error:
                raise SystemExit(f"k8s_overview failed: {overview.error}")
            t = pick_targets(ctx, args.namespace)
            ns = args.namespace
            calls = [
                ("k8s_list", {"kind": "pods", "namespace": ns}),
                ("k8s_list", {"kind": "pods", "namespace": ns, "field_selector": "status.phase!=Running"}),
                ("k8s_get", {"kind": "deployment", "name": t["deployment"], "namespace": ns}),
                ("k8s_describe", {"kind": "pod", "name": t["pod"], "namespace": ns}),
                ("k8s_describe", {"kind": "deployment", "name": t["deployment"], "namespace": ns}),
                ("k8s_events", {"namespace": ns}),
                ("k8s_events", {"namespace": ns, "kind": "Pod", "name": t["pod"]}),
                ("k8s_logs", {"namespace": ns, "pod": t["pod"]}),
                ("k8s_workload", {"name": t["deployment"], "namespace": ns}),
                ("k8s_service", {"name": t["service"], "namespace": ns}),
                ("k8s_node", {"name": t["node"]}),
                ("k8s_netpol", {"namespace": ns, "pod": t["pod"]}),
                ("k8s_overview", {"namespace": ns}),
            ]
            budget = ctx.token_budget
            print(f"snapshot: {snapshot} ({args.pods:,} pods)")
            print(f"namespaced calls in {ns}, {args.repeat} runs each after one warm-up")
            print(f"budget: {budget} tokens per tool output\n")
            print("| call | median ms | max ms | output tokens | summarized | ok |")
            print("| --- | ---: | ---: | ---: | --- | --- |")
            worst = 0.0
            for name, call_args in calls:
                samples, tokens, truncated, error = timed(ctx, name, call_args, args.repeat)
                worst = max(worst, statistics.median(samples))
                shown = ", ".join(f"{k}={v}" for k, v in call_args.items())
                print(
                    f"| {name} {shown} | {statistics.median(samples) * 1000:.0f} | {max(samples) * 1000:.0f} "
                    f"| {tokens} | {'yes' if truncated else 'no'} | {'error: ' + error if error else 'yes'} |"
                )
            overview_tokens = count_tokens(overview.text)
            overview_ms = f"{overview_s * 1000:.0f}"
            print(
                f"| k8s_overview (cluster, {args.pods:,} pods, first call) | {overview_ms} | {overview_ms} "
                f"| {overview_tokens} | {'yes' if overview.truncated else 'no'} | yes |"
            )
            print(
                f"\nclient peak RSS: {baseline:.0f} MB before the overview, {overview_rss:.0f} MB after it, "
                f"{max_rss_mb():.0f} MB at the end"
            )
            print(
                f"targets: outputs <= {budget} tokens; namespaced median < 200 ms "
                f"(worst {worst * 1000:.0f} ms); overview < 10 s ({overview_s:.1f} s) "
                f"with client < 500 MB ({overview_rss:.0f} MB)"
            )
            kube.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
