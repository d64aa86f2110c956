"""Benchmark the snapshot Prometheus: start-up (backfill + ready) and p50 of every curated check.

    python bench/bench_prometheus.py [--snapshot DIR] [--runs 5] [--repeat 20]

Uses the bundled demo snapshot (app/demo/shop) by default. If it is not there (or has no metrics),
it falls back to the test fixture (devkit/om_fixture.py) and says so. Targets (issue 4):
ready in under 3 s, curated check p50 under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.toolset import call_tool  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402
from tools.contracts.tool import ToolContext  # noqa: E402
from tools.prometheus.local import start_local_prometheus  # noqa: E402
from tools.prometheus.queries import CHECKS  # noqa: E402

DEMO = ROOT / "app" / "demo" / "shop"


def metrics_source(snapshot: Path | None, scratch: Path) -> tuple[str, list[Path], datetime]:
    """(description, metrics files, capturedAt) of the snapshot, the demo, or the test fixture."""
    from tools.snapshot.loader import SnapshotError, load_snapshot

    candidate = snapshot or DEMO
    try:
        loaded = load_snapshot(candidate)
        if loaded.metrics_files:
            size = sum(f.stat().st_size for f in loaded.metrics_files)
            label = f"{candidate} ({len(loaded.metrics_files)} file(s), {size / 1e6:.1f} MB)"
            return label, loaded.metrics_files, loaded.meta.captured_at
    except SnapshotError as exc:
        if snapshot is not None:
            raise SystemExit(f"bench_prometheus: {exc}") from None
    from devkit.om_fixture import CAPTURED_AT, write_openmetrics

    path = write_openmetrics(scratch / "fixture.om")
    return f"test fixture (demo snapshot not found at {DEMO})", [path], CAPTURED_AT


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5, help="start-ups to time")
    parser.add_argument("--repeat", type=int, default=20, help="calls per curated check")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        label, files, captured_at = metrics_source(args.snapshot, Path(scratch))
        print(f"metrics: {label}")
        startups, backfills = [], []
        for _ in range(args.runs):
            with start_local_prometheus(files, captured_at) as server:
                startups.append(server.startup_s)
                backfills.append(server.backfill_s)
        print(
            f"start-up (backfill + ready) over {args.runs} runs: median {statistics.median(startups):.2f} s, "
            f"max {max(startups):.2f} s (backfill median {statistics.median(backfills):.2f} s)"
        )

        with start_local_prometheus(files, captured_at) as server:
            access = server.access()
            ctx = ToolContext(settings=Settings(), prometheus=access, fixed_now=captured_at)
            p50s = {}
            for name in CHECKS:
                call_tool(ctx, "prom_check", {"check": name})  # warm-up
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    result = call_tool(ctx, "prom_check", {"check": name})
                    timings.append(time.perf_counter() - started)
                p50s[name] = statistics.median(timings)
                status = result.error or (result.data or {}).get("status", "?")
                print(f"  prom_check {name:<30} p50 {p50s[name] * 1000:6.1f} ms  ({status})")
            worst = max(p50s, key=p50s.get)
            print(
                f"curated checks: median of p50s {statistics.median(p50s.values()) * 1000:.1f} ms, "
                f"slowest p50 {p50s[worst] * 1000:.1f} ms ({worst}), {args.repeat} calls each"
            )


if __name__ == "__main__":
    main()
