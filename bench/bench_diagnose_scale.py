"""The built-in diagnostician on a very large cluster: one namespace question and a whole-cluster review.

    python bench/bench_diagnose_scale.py [--pods 100000] [--workdir DIR] [--cli [--source-compile]]

Generates (once, kept in --workdir) a synthetic snapshot with devkit/big_cluster.py (2,000 nodes, 100
namespaces, ~3% of pods crash-looping, ~1% Pending, ~1% of nodes NotReady), opens a session on it exactly as
`kubewhy ask --snapshot` does (the snapshot API server runs in this process), and times:
  - a question about one namespace (target < 5 s),
  - a whole-cluster health review (target < 60 s),
and the process's peak memory (VmHWM; the in-process snapshot server included; target < 2 GB).

With --cli it times whole `kubewhy ask --snapshot DIR -o json` processes under `/usr/bin/time -v` instead:
the first answer with no store cache (scan, index and write the cache), then a second answer served from
the cache beside the snapshot (targets <= 10 s and <= 2 s, <= 1.5 GB peak RSS), for a namespaced question
and a whole-cluster review; then the requests and bytes the snapshot server sends for each (its request
log), and how many of them list a namespaced kind across all namespaces. The load average is printed with
each figure. kubewhy's bytecode is compiled once before timing, as an installed kubewhy has it;
--source-compile times every process compiling every module from source instead (PYTHONDONTWRITEBYTECODE=1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devkit.scenarios.judge import ask_with_ledger, open_snapshot  # noqa: E402

NAMESPACE_QUESTIONS = [
    "why are pods crashing in ns-042?",
    "what's wrong in the ns-007 namespace?",
    "svc-13 in ns-042 keeps restarting, why?",
]
CLUSTER_QUESTION = "health check of the whole cluster please"


def peak_memory_mb() -> float:
    """VmHWM of this process (peak resident set), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_snapshot(pods: int, workdir: Path) -> Path:
    target = workdir / f"synthetic-{pods}"
    if not (target / "snapshot.yaml").exists():
        print(f"generating {target} ...", flush=True)
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


def ask_timed(session, question: str) -> tuple[float, object]:
    started = time.perf_counter()
    answer = ask_with_ledger(session, question)
    return time.perf_counter() - started, answer.diagnosis


def report(label: str, seconds: float, diagnosis, target: float) -> None:
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(
        f"{label}: {seconds:.2f} s (target < {target:.0f} s: {verdict}); "
        f"{len(diagnosis.findings)} finding(s), {diagnosis.stats.tool_calls} tool call(s)"
    )
    for finding in diagnosis.findings[:3]:
        print(f"    {finding.category.value:<22} {finding.resource}  {finding.title[:90]}")


CLI_QUESTIONS = [
    # The question, about a namespace the generator writes (it has no "young-grove": asked about a
    # namespace that does not exist, kubewhy says so and names the closest, without a review).
    "Something in the ns-042 namespace keeps failing - what is wrong?",
    CLUSTER_QUESTION,
]


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0]


def cli_env(source_compile: bool) -> dict[str, str]:
    """The environment of the timed processes. Bytecode is cached as in an installed kubewhy (pip compiles
    it at install), unless --source-compile asks to time compiling every module from source in every
    process, as an environment with PYTHONDONTWRITEBYTECODE=1 does (~0.5-1 s of each process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not source_compile:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bytecode() -> None:
    """Write the bytecode of kubewhy's own modules once, before anything is timed."""
    command = [sys.executable, "-m", "compileall", "-q", "app", "tools"]
    subprocess.run(command, cwd=ROOT, env=cli_env(False), check=True, stdout=subprocess.DEVNULL)


def cli_timed(snapshot: Path, question: str, env: dict[str, str]) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (user + system: what a quiet machine's wall time would be, near enough),
    peak RSS (MiB) and the diagnosis's own seconds of one `kubewhy ask` process."""
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "app.cli", "ask", question]
    command += ["--snapshot", str(snapshot), "-o", "json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    figures = dict(line.strip().rsplit(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    wall = figures["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    seconds = float(wall[-1]) + 60 * float(wall[-2]) + (3600 * float(wall[0]) if len(wall) == 3 else 0)
    diagnosis = json.loads(done.stdout)["stats"]["duration_s"] if done.returncode == 0 else float("nan")
    cpu = float(figures["User time (seconds)"]) + float(figures["System time (seconds)"])
    return seconds, cpu, int(figures["Maximum resident set size (kbytes)"]) / 1024, diagnosis


def requests_per_question(snapshot: Path, question: str) -> list:
    """What the snapshot server is asked, and sends, while one question is answered (its request log)."""
    from app.engine import open_session
    from tools.contracts.settings import Settings
    from tools.snapshot.server import start_snapshot_server

    with start_snapshot_server(snapshot) as server:
        session = open_session(Settings.load(llm="none"), kubeconfig=str(server.kubeconfig_path))
        try:
            server.requests.clear()
            ask_with_ledger(session, question)
            return list(server.requests)
        finally:
            session.close()


def _across_namespaces(requests: list) -> list:
    """Lists of a namespaced kind across all namespaces with no selector (a one-item size probe aside)."""
    from tools.snapshot.kinds import BUILTIN_KINDS

    plurals = {info.plural for info in BUILTIN_KINDS if info.namespaced}
    found = []
    for request in requests:
        parts = [p for p in request.path.split("/") if p]
        rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
        query = parse_qs(request.query)
        scoped = "labelSelector" in query or "fieldSelector" in query or query.get("limit") == ["1"]
        if len(rest) == 1 and rest[0] in plurals and not scoped:
            found.append(request)
    return found


def cli_main(snapshot: Path, source_compile: bool) -> int:
    from tools.snapshot.store_cache import cache_folders

    if not source_compile:
        compile_bytecode()
    print(f"bytecode: {'compiled from source in every process' if source_compile else 'cached'}")
    env = cli_env(source_compile)

    for question in CLI_QUESTIONS:
        for folder in cache_folders(snapshot.resolve()):
            shutil.rmtree(folder, ignore_errors=True)
        for label, target in (("first answer, no cache", 10), ("second answer, cached", 2)):
            seconds, cpu, peak, diagnosis = cli_timed(snapshot, question, env)
            verdict = "ok" if seconds <= target and peak <= 1536 else "OVER TARGET"
            print(
                f"{label}: {seconds:.1f} s wall, {cpu:.1f} s CPU (diagnosis {diagnosis:.1f} s), "
                f"peak RSS {peak:.0f} MiB "
                f"(targets <= {target} s, <= 1536 MiB: {verdict}); load average {load_average()}; "
                f"{question!r}",
                flush=True,
            )
    for question in CLI_QUESTIONS:
        requests = requests_per_question(snapshot, question)
        wide = _across_namespaces(requests)
        print(
            f"served for {question!r}: {len(requests)} requests, {sum(r.bytes for r in requests):,} bytes; "
            f"{len(wide)} across all namespaces without a selector ({sum(r.bytes for r in wide):,} bytes)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kubewhy-bench"))
    parser.add_argument("--cli", action="store_true", help="time whole CLI processes (see above)")
    parser.add_argument(
        "--source-compile", action="store_true", help="with --cli: no bytecode cache (see cli_env)"
    )
    args = parser.parse_args(argv)
    snapshot = ensure_snapshot(args.pods, args.workdir)
    if args.cli:
        return cli_main(snapshot, args.source_compile)

    started = time.perf_counter()
    session = open_snapshot(snapshot)
    opened = time.perf_counter() - started
    print(
        f"snapshot {snapshot.name}: session open (load + serve) {opened:.1f} s, "
        f"peak memory {peak_memory_mb():.0f} MiB"
    )
    try:
        timings = []
        for question in NAMESPACE_QUESTIONS:
            seconds, diagnosis = ask_timed(session, question)
            timings.append(seconds)
            report(f"namespace question {question!r}", seconds, diagnosis, 5)
        print(f"namespace questions: median {statistics.median(timings):.2f} s, max {max(timings):.2f} s")
        seconds, diagnosis = ask_timed(session, CLUSTER_QUESTION)
        report(f"whole-cluster review {CLUSTER_QUESTION!r}", seconds, diagnosis, 60)
    finally:
        session.close()
    peak = peak_memory_mb()
    print(f"peak memory of the process (snapshot server included): {peak:.0f} MiB (target < 2048: "
          f"{'ok' if peak < 2048 else 'OVER TARGET'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
