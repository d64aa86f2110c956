"""Flow records from files: a snapshot's ``flows/*.jsonl`` (contracts section 1), streamed line by line.

Lines are read as bytes and filtered on their raw text before parsing (see
:func:`tools.flows.filters.line_prefilter`); only candidates are parsed, with orjson when installed.
Memory does not grow with the number of lines: only ``limit`` flows are ever held.
"""

from __future__ import annotations

import gzip
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from tools.flows.filters import FlowFilter, line_prefilter, selects
from tools.flows.model import flow_epoch, unwrap
from tools.flows.source import FlowSourceError

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    from json import loads as _loads

SUFFIXES = (".jsonl", ".jsonl.gz")
MAX_PROBLEMS_KEPT = 5


@dataclass
class ScanStats:
    """What one scan read and skipped; tools report unreadable lines instead of hiding them."""

    lines: int = 0
    parsed: int = 0
    non_flow: int = 0
    bad_lines: int = 0
    problems: list[str] = field(default_factory=list)

    def bad(self, where: str, message: str) -> None:
        self.bad_lines += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"{where}: {message}")


class FileFlowSource:
    """Hubble flows from ``*.jsonl`` files (envelope or bare Flow lines; other response types skipped)."""

    def __init__(self, paths: Iterable[str | Path]) -> None:
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES)))
            elif path.is_file():
                files.append(path)
            else:
                raise FlowSourceError(f"flow file {path} does not exist")
        self.paths = files
        self.description = f"flow files ({len(files)} file(s))"
        self.last_stats = ScanStats()

    def iter_flows(
        self,
        filters: Sequence[FlowFilter] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        *,
        exclude: Sequence[FlowFilter] = (),
        first: bool = False,
    ) -> Iterator[dict[str, Any]]:
        stats = ScanStats()
        self.last_stats = stats
        flows = self._scan(list(filters or ()), list(exclude), since, until, stats)
        if limit is None or limit <= 0:
            yield from flows
        elif first:
            yield from islice(flows, limit)
        else:
            yield from deque(flows, maxlen=limit)

    def _scan(
        self,
        whitelist: list[FlowFilter],
        blacklist: list[FlowFilter],
        since: datetime | None,
        until: datetime | None,
        stats: ScanStats,
    ) -> Iterator[dict[str, Any]]:
        may_match = line_prefilter(whitelist)
        low = since.timestamp() if since is not None else None
        high = until.timestamp() if until is not None else None
        timed = low is not None or high is not None
        filtered = bool(whitelist or blacklist)
        for path in self.paths:
            with _open(path) as handle:
                for number, line in enumerate(handle, 1):
                    stats.lines += 1
                    if may_match is not None and not may_match(line):
                        continue
                    if line.isspace():
                        continue
                    try:
                        record = _loads(line)
                    except ValueError as exc:
                        stats.bad(f"{path.name}:{number}", f"not valid JSON ({exc})")
                        continue
                    if not isinstance(record, dict):
                        stats.bad(f"{path.name}:{number}", "not a JSON object")
                        continue
                    stats.parsed += 1
                    flow = unwrap(record)
                    if flow is None:
                        stats.non_flow += 1
                        continue
                    if timed:
                        epoch = flow_epoch(flow)
                        if epoch is None:
                            stats.bad(f"{path.name}:{number}", "flow has no readable time")
                            continue
                        if (low is not None and epoch < low) or (high is not None and epoch > high):
                            continue
                    if filtered and not selects(flow, whitelist, blacklist):
                        continue
                    yield flow


def _open(path: Path) -> IO[bytes]:
    try:
        if path.name.endswith(".gz"):
            return gzip.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise FlowSourceError(f"cannot read flow file {path}: {exc.strerror or exc}") from exc
