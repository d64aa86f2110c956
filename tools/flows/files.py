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

from tools.contracts.wording import plural
from tools.flows.filters import FlowFilter, LinePrefilter, line_prefilter, selects
from tools.flows.model import flow_epoch, unwrap
from tools.flows.source import FlowSourceError

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    from json import loads as _loads

SUFFIXES = (".jsonl", ".jsonl.gz")
MAX_PROBLEMS_KEPT = 5
BLOCK_SIZE = 1 << 20


@dataclass
class ScanStats:
    """What one scan read and skipped; tools report unreadable lines instead of hiding them."""

    bytes: int = 0  # read (lines are not counted: that would cost as much as the search itself)
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
        self.description = f"flow files ({plural(len(files), 'file')})"
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
        prefilter = line_prefilter(whitelist)
        low = since.timestamp() if since is not None else None
        high = until.timestamp() if until is not None else None
        timed = low is not None or high is not None
        filtered = bool(whitelist or blacklist)
        for path in self.paths:
            with _open(path) as handle:
                for offset, line in _candidate_lines(handle, prefilter, stats):
                    try:
                        record = _loads(line)
                    except ValueError as exc:
                        stats.bad(_where(path, offset), f"not valid JSON ({exc})")
                        continue
                    if not isinstance(record, dict):
                        stats.bad(_where(path, offset), "not a JSON object")
                        continue
                    stats.parsed += 1
                    flow = unwrap(record)
                    if flow is None:
                        stats.non_flow += 1
                        continue
                    if timed:
                        epoch = flow_epoch(flow)
                        if epoch is None:
                            stats.bad(_where(path, offset), "flow has no readable time")
                            continue
                        if (low is not None and epoch < low) or (high is not None and epoch > high):
                            continue
                    if filtered and not selects(flow, whitelist, blacklist):
                        continue
                    yield flow


def _candidate_lines(
    handle: IO[bytes], prefilter: LinePrefilter | None, stats: ScanStats
) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line) of the non-blank lines that may match, read in blocks.

    With a prefilter the block is searched for its ``seek`` tokens and only the lines around the hits
    are cut out, so lines that cannot match never become Python objects; that is most of the speed.
    """
    carry = b""
    base = 0  # file offset of data[0]
    while True:
        block = handle.read(BLOCK_SIZE)
        data = carry + block if carry else block
        if not block:
            stats.bytes += len(data)
            if data and not data.isspace() and (prefilter is None or prefilter.test(data)):
                yield base, data
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        stats.bytes += cut + 1
        if prefilter is None:
            start = 0
            for line in data[:cut].split(b"\n"):
                if line and not line.isspace():
                    yield base + start, line
                start += len(line) + 1
        else:
            yield from _hits(data, cut, base, prefilter)
        carry = data[cut + 1 :]
        base += cut + 1


def _hits(data: bytes, cut: int, base: int, prefilter: LinePrefilter) -> Iterator[tuple[int, bytes]]:
    """Lines of ``data[:cut]`` holding a seek token and passing the full test, in file order."""
    starts: set[int] = set()
    spaced = data.find(b'": ', 0, cut) >= 0  # no '": ' in the block: skip tokens that hold one
    for token in prefilter.seek:
        if not spaced and b'": ' in token:
            continue
        position = data.find(token, 0, cut)
        while position >= 0:
            start = data.rfind(b"\n", 0, position) + 1
            end = data.find(b"\n", position, cut + 1)
            starts.add(start)
            position = data.find(token, end, cut)
    test = prefilter.test
    for start in sorted(starts):
        line = data[start : data.find(b"\n", start, cut + 1)]
        if test(line):
            yield base + start, line


def _where(path: Path, offset: int) -> str:
    """``file:line`` for a message; counts lines only on this (rare) error path."""
    with _open(path) as handle:
        line = handle.read(offset).count(b"\n") + 1
    return f"{path.name}:{line}"


def _open(path: Path) -> IO[bytes]:
    try:
        if path.name.endswith(".gz"):
            return gzip.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise FlowSourceError(f"cannot read flow file {path}: {exc.strerror or exc}") from exc
