"""Figures for docs/security.md: time and peak memory of kubewhy facing bulk-broken input.

    python bench/bench_security_inputs.py

Each case runs as `kubewhy ...` in a child of a fresh Python, whose RUSAGE_CHILDREN peak is that command's
peak RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devkit.malformed import huge_runbook_text, write_malformed_snapshot

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


if __name__ == "__main__":
    main()
