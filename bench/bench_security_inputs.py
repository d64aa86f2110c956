"""Figures for docs/security.md: time and peak memory of kubewhy facing bulk-broken input.

    python bench/bench_security_inputs.py

Each case runs as `kubewhy ...` in a child of a fresh Python, whose RUSAGE_CHILDREN peak is that command's
peak RSS. Then the hostile file shapes of issue 13 (alias bomb, deep nesting, a 512 MB log line, 10,000
small files, a 2 GiB-in-2 MB archive) and backtracking grep patterns on a 10 MB log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devkit.hostile_files import check, gzip_bomb_tar, hostile_shapes, serve_all
from devkit.malformed import huge_runbook_text, write_malformed_snapshot

REPO = Path(__file__).resolve().parents[1]
# catastrophic-backtracking shapes (tests/security/test_patterns.py), and a line that sets them off
BACKTRACKING = ["^(?:.|..)*%%%", "(a+)+$", "(a|aa)+$", "(a|a?)+$", "^(\\w+\\s?)*$", "(x+x+)+y", "(.*a){25}"]
HOSTILE_LINE = "a" * 60 + "x" * 60 + " word" * 20 + "!"

_MEASURE = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(json.dumps({'code': done.returncode,"
    " 'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
)


def measured(*command: str) -> tuple[float, float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout)
    return time.perf_counter() - started, figures["peak_mb"], figures["code"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_malformed_snapshot(Path(tmp) / "broken", 10_000)
        seconds, peak, code = measured("kubewhy", "snapshot", "check", str(root), "--output", "json")
        print(f"snapshot check, 10,000 malformed files: {seconds:.2f} s, peak RSS {peak:.0f} MB, exit {code}")
        runbook = Path(tmp) / "huge.yaml"
        runbook.write_text(huge_runbook_text(10_000), encoding="utf-8")
        seconds, peak, code = measured("kubewhy", "runbook", "validate", str(runbook))
        print(f"runbook validate, 10,000 steps: {seconds:.2f} s, peak RSS {peak:.0f} MB, exit {code}")
        question = "why is checkout failing? " * 4096
        seconds, peak, code = measured(
            "kubewhy", "ask", question, "--snapshot", str(root), "--output", "json"
        )
        print(f"ask, 100 KB question: {seconds:.2f} s, peak RSS {peak:.0f} MB, exit {code}")
        hostile_files(Path(tmp))
    patterns()


def hostile_files(tmp: Path) -> None:
    """Peak RSS of `snapshot check` and of serving, per hostile file shape (issue 13)."""
    for shape, (root, size) in hostile_shapes(tmp / "hostile").items():
        started = time.perf_counter()
        checked = check(REPO, root)
        check_s = time.perf_counter() - started
        started = time.perf_counter()
        served = serve_all(REPO, root)
        serve_s = time.perf_counter() - started
        print(
            f"{shape} ({size:,} bytes): check {check_s:.2f} s, peak {checked['peak_mb']} MB, exit "
            f"{checked['code']}; serve + list + k8s_logs {serve_s:.2f} s, peak {served['peak_mb']} MB"
        )
    archive = gzip_bomb_tar(tmp / "bomb.tar.gz", 2 << 30)
    seconds, peak, code = measured("kubewhy", "snapshot", "check", str(archive))
    print(
        f"2 GiB-in-{archive.stat().st_size / 2**20:.0f} MB .tar.gz: refused in {seconds:.2f} s, "
        f"peak {peak:.0f} MB, exit {code}"
    )


def patterns() -> None:
    """Seconds per backtracking pattern through k8s_logs' grep on a 10 MB log (target: 1 s each)."""
    from tools.kubernetes.logs import grep_filter

    lines = [HOSTILE_LINE] * (10 * 2**20 // (len(HOSTILE_LINE) + 1))
    for pattern in BACKTRACKING:
        started, cpu = time.perf_counter(), time.process_time()
        grep_filter(lines, pattern)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"grep {pattern!r} over a 10 MB log ({len(lines):,} lines): {wall:.2f} s ({cpu:.2f} s CPU)")


if __name__ == "__main__":
    main()
