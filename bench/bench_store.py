"""History store throughput: answers recorded per second into a fresh SQLite file, from 1 and 8 threads,
each answer with 12 tool calls (a typical agent run). Prints the figures.

    python bench/bench_store.py [--runs 400]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from app.store import open_store, record_answer
from tools.contracts.diagnosis import Diagnosis, Stats
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolResult

TEXT = "\n".join(f"pod-{n}  1/1  Running  restarts=0  age=3d  node=worker-{n % 3}" for n in range(40))


def _ledger() -> Ledger:
    ledger = Ledger()
    for n in range(12):
        ledger.record(
            ToolResult(tool="k8s_list", args={"kind": "Pod", "n": n}, source="kubernetes", text=TEXT)
        )
    return ledger


def _record(settings: Settings, ledger: Ledger, n: int) -> None:
    diagnosis = Diagnosis(
        question=f"question {n}", cluster="bench", answered_at="2026-01-01T00:00:00Z", engine="offline",
        summary="nothing wrong", stats=Stats(tool_calls=12),
    )  # fmt: skip
    record_answer(settings, user="bench", surface="cli", cluster="bench", question=diagnosis.question,
                  diagnosis=diagnosis, ledger=ledger, started_at=datetime.now(UTC))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=400)
    runs = parser.parse_args().runs
    ledger = _ledger()
    for threads in (1, 8):
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(database_url=f"sqlite:///{Path(folder) / 'bench.db'}", llm="none")
            open_store(settings)  # migrate outside the timing
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(_record, [settings] * runs, [ledger] * runs, range(runs)))
            elapsed = time.perf_counter() - started
            assert open_store(settings).count_runs() == runs
            print(f"sqlite, {threads} thread(s): {runs / elapsed:,.0f} answers/s "
                  f"({elapsed / runs * 1000:.2f} ms per answer with 12 tool calls)")  # fmt: skip


if __name__ == "__main__":
    main()
