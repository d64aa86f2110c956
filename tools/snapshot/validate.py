"""Validation of a whole snapshot (`snapshot check`): its objects, its metrics (OpenMetrics) and its flows
(Hubble JSON lines) files.

These catch the backfill pitfalls that otherwise fail silently: millisecond timestamps, samples out of
order within a series, a missing `# EOF`.
"""

from __future__ import annotations

import json
import re

from tools.snapshot.loader import Problem, Snapshot

_SAMPLE = re.compile(r"^(?P<series>[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?)\s+(?P<value>\S+)(\s+(?P<ts>\S+))?\s*$")
_MAX_SECONDS = 10_000_000_000  # year 2286: anything larger is a millisecond timestamp
MAX_PROBLEMS_PER_FILE = 20


def validate_snapshot(snapshot: Snapshot) -> list[Problem]:
    """Read every file of a snapshot and return every problem found (used by `snapshot check`)."""
    for _ in snapshot.iter_objects():
        pass
    check_metrics(snapshot)
    check_flows(snapshot)
    return list(snapshot.problems)


def check_metrics(snapshot: Snapshot) -> None:
    for path in snapshot.metrics_files:
        rel = snapshot.rel(path)
        found = 0
        last_ts: dict[str, float] = {}
        saw_eof = False
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\n")
                if saw_eof and line.strip():
                    found += _add(snapshot, found, Problem(rel, number, "content after '# EOF'"))
                    continue
                if line == "# EOF":
                    saw_eof = True
                    continue
                if not line.strip() or line.startswith("#"):
                    continue
                match = _SAMPLE.match(line)
                if match is None:
                    found += _add(snapshot, found, Problem(rel, number, "not an OpenMetrics sample line"))
                    continue
                try:
                    float(match["value"])
                except ValueError:
                    found += _add(
                        snapshot, found, Problem(rel, number, f"value {match['value']!r} is not a number")
                    )
                    continue
                if match["ts"] is None:
                    found += _add(
                        snapshot, found, Problem(rel, number, "sample has no timestamp (seconds required)")
                    )
                    continue
                try:
                    ts = float(match["ts"])
                except ValueError:
                    found += _add(
                        snapshot, found, Problem(rel, number, f"timestamp {match['ts']!r} is not a number")
                    )
                    continue
                if ts > _MAX_SECONDS:
                    found += _add(
                        snapshot,
                        found,
                        Problem(rel, number, "timestamp looks like milliseconds; use seconds"),
                    )
                    continue
                series = match["series"]
                if series in last_ts and ts <= last_ts[series]:
                    found += _add(
                        snapshot, found, Problem(rel, number, f"sample out of time order in series {series}")
                    )
                last_ts[series] = ts
        if not saw_eof:
            _add(snapshot, found, Problem(rel, None, "missing the final '# EOF' line"))


def check_flows(snapshot: Snapshot) -> None:
    for path in snapshot.flow_files:
        rel = snapshot.rel(path)
        found = 0
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    doc = json.loads(raw)
                except json.JSONDecodeError as exc:
                    found += _add(snapshot, found, Problem(rel, number, f"invalid JSON: {exc.msg}"))
                    continue
                if not isinstance(doc, dict):
                    found += _add(snapshot, found, Problem(rel, number, "a flow line must be a JSON object"))
                    continue
                if "node_status" in doc or "lost_events" in doc:
                    continue
                flow = doc.get("flow", doc)
                if not isinstance(flow, dict) or "time" not in flow or "verdict" not in flow:
                    found += _add(
                        snapshot,
                        found,
                        Problem(rel, number, "flow record needs at least 'time' and 'verdict'"),
                    )


def _add(snapshot: Snapshot, found: int, problem: Problem) -> int:
    """Record a problem, capping each file at MAX_PROBLEMS_PER_FILE so a broken file stays readable."""
    if found < MAX_PROBLEMS_PER_FILE:
        snapshot.problems.append(problem)
    elif found == MAX_PROBLEMS_PER_FILE:
        snapshot.problems.append(Problem(problem.file, None, "more problems in this file not shown"))
    return 1
