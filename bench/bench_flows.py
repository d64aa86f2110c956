"""Benchmark flow aggregation over snapshot flow files: records per second and peak memory.

    python bench/bench_flows.py [--records 1000000] [--small 100000]

Writes ``--records`` realistic Hubble flow lines (exporter envelopes, ~1.1 KB each: mostly forwarded
TCP, ~8% policy drops, ~6% L7 DNS, ~6% L7 HTTP; see devkit/flow_synth.py) to a temporary jsonl,
and the first ``--small`` of them to another. Each file is then scanned in a fresh Python process
(so peak RSS belongs to that scan alone) by:

- the drops, DNS and pair aggregations with the filters their tools send (lines that cannot match
  are skipped on their raw text, the rest parsed);
- all three aggregations in one pass with no filter (every line parsed: the worst case);
- the ``flows_drops`` tool end to end (registry call, rendering included).

Rates are given per CPU second of the scanning process (what one core sustains; steady when the
machine is shared) and per wall-clock second. Target (issue 4): at least 200,000 records/s, with
memory that does not grow with the record count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SPAN_S = 3600.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, count: int) -> float:
    import orjson

    from devkit.flow_synth import traffic_mix

    started = time.perf_counter()
    with path.open("wb") as handle:
        for record in traffic_mix(count, START, seconds=SPAN_S):
            handle.write(orjson.dumps(record))
            handle.write(b"\n")
    return time.perf_counter() - started


def copy_head(source: Path, target: Path, count: int) -> None:
    with source.open("rb") as reader, target.open("wb") as writer:
        for index, line in enumerate(reader):
            if index >= count:
                break
            writer.write(line)


def worker(path: Path, records: int) -> dict[str, object]:
    """Run every pass over one file in this process; return timings and peak RSS."""
    from app.toolset import all_tools, call_tool
    from tools.contracts.settings import Settings
    from tools.contracts.tool import ToolContext
    from tools.flows.aggregate import DnsStats, DropStats, PairHistory, WorkloadRef
    from tools.flows.files import FileFlowSource
    from tools.flows.filters import FlowFilter

    baseline = peak_rss_mb()
    source = FileFlowSource([path])
    since, until = START - timedelta(minutes=1), START + timedelta(seconds=SPAN_S + 60)

    def pair() -> PairHistory:
        return PairHistory(WorkloadRef.parse("shop/checkout"), WorkloadRef.parse("data/postgres"))

    passes = [
        ("drops (flows_drops filter)", [FlowFilter(verdict=["DROPPED"])], [DropStats]),
        (
            "dns (flows_dns filter)",
            [
                FlowFilter(protocol=["dns"]),
                FlowFilter(destination_port=["53"]),
                FlowFilter(source_port=["53"]),
            ],
            [DnsStats],
        ),
        (
            "pair checkout->postgres (flows_pair filter)",
            [
                FlowFilter(source_pod=["shop/checkout"], destination_pod=["data/postgres"]),
                FlowFilter(source_pod=["data/postgres"], destination_pod=["shop/checkout"]),
            ],
            [pair],
        ),
        ("drops+dns+pair, no filter (every line parsed)", None, [DropStats, DnsStats, pair]),
    ]
    results = []
    for name, filters, factories in passes:
        aggregators = [factory() for factory in factories]
        started, cpu_started = time.perf_counter(), time.process_time()
        matched = 0
        for flow in source.iter_flows(filters, since, until):
            matched += 1
            for aggregator in aggregators:
                aggregator.add(flow)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        results.append({"pass": name, "lines": records, "matched": matched, "wall": wall, "cpu": cpu})
    ctx = ToolContext(settings=Settings(), flows=source, fixed_now=until)
    all_tools()  # import every tool module before timing
    started, cpu_started = time.perf_counter(), time.process_time()
    result = call_tool(ctx, "flows_drops", {"since_minutes": 180})
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if not result.ok:
        raise SystemExit(f"flows_drops failed: {result.error}")
    matched = result.data["total"]
    results.append(
        {"pass": "flows_drops tool", "lines": records, "matched": matched, "wall": wall, "cpu": cpu}
    )
    return {"baseline_rss_mb": baseline, "peak_rss_mb": peak_rss_mb(), "passes": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-records", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.worker_records)))
        return
    with tempfile.TemporaryDirectory(prefix="kubewhy-bench-flows-") as scratch:
        big = Path(scratch) / "big.jsonl"
        small = Path(scratch) / "small.jsonl"
        seconds = generate(big, args.records)
        copy_head(big, small, args.small)
        size = big.stat().st_size
        print(
            f"generated {args.records:,} records ({size / 1e6:.0f} MB, {size / args.records:.0f} B/record) "
            f"in {seconds:.1f}s; orjson parsing; python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)"
        )
        reports = {}
        for count, path in ((args.small, small), (args.records, big)):
            output = subprocess.run(
                [sys.executable, __file__, "--worker", str(path), "--worker-records", str(count)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            reports[count] = json.loads(output)
    print(f"\n{'pass':<48} {'records':>10} {'matched':>9} {'CPU s':>6} {'rec/s CPU':>10} {'rec/s wall':>11}")
    for count, report in reports.items():
        for row in report["passes"]:
            cpu_rate = row["lines"] / row["cpu"] if row["cpu"] else float("inf")
            wall_rate = row["lines"] / row["wall"] if row["wall"] else float("inf")
            counts = f"{row['lines']:>10,} {row['matched']:>9,}"
            print(f"{row['pass']:<48} {counts} {row['cpu']:>6.2f} {cpu_rate:>10,.0f} {wall_rate:>11,.0f}")
        print(
            f"{'':<48} peak RSS {report['peak_rss_mb']:.0f} MB "
            f"(after imports {report['baseline_rss_mb']:.0f} MB) for {count:,} records\n"
        )
    small_rss, big_rss = reports[args.small]["peak_rss_mb"], reports[args.records]["peak_rss_mb"]
    print(f"memory growth from {args.small:,} to {args.records:,} records: {big_rss - small_rss:+.1f} MB")


if __name__ == "__main__":
    main()
