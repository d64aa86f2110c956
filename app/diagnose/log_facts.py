"""Log line readings for analyzers: strip ``kubectl logs --timestamps`` prefixes, keep recent lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import RECENT
from tools.contracts.kube.time import parse_time

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\s(.*)$")


@dataclass(frozen=True)
class LogLine:
    namespace: str
    pod: str
    container: str
    previous: bool
    text: str  # the line without its timestamp prefix (what is cited)
    time: datetime | None


def split_stamp(line: str) -> tuple[datetime | None, str]:
    match = _STAMP.match(line)
    if match:
        return parse_time(match.group(1)), match.group(2)
    return None, line


def log_lines(
    facts: Facts, contains: str | re.Pattern[str], window: timedelta = RECENT, namespace: str | None = None
) -> Iterator[LogLine]:
    """Lines containing ``contains`` (text or regex) from every gathered log, skipping stamped lines
    older than ``window`` before ``facts.now``. Unstamped lines of the current container count as recent."""
    for (ns, pod, container, previous), text in sorted(facts.logs.items()):
        if namespace is not None and ns != namespace:
            continue
        for raw in text.splitlines():
            if isinstance(contains, str):
                if contains not in raw:
                    continue
            elif not contains.search(raw):
                continue
            moment, line = split_stamp(raw)
            if moment is not None and facts.now - moment > window:
                continue
            if moment is None and previous:
                continue  # an unstamped line of a previous container instance: age unknown
            yield LogLine(ns, pod, container, previous, line.strip(), moment)
