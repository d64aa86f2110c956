"""The capture time of an input that does not record one: the newest timestamp it holds.

Node heartbeats, event times, condition transitions and container starts are all written by the
cluster shortly before the bundle was taken, so the newest of them is close to the capture time (node
heartbeats are renewed about every minute). Times from the future are ignored: a clock that is wrong or
a hostile value must not move "now".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.contracts.kube.time import parse_time

# Fields the API server and controllers set to "now" when they write; deletionTimestamp is left out
# (it lies in the future during a grace period).
TIME_FIELDS = frozenset(
    {
        "creationTimestamp",
        "lastTimestamp",
        "firstTimestamp",
        "eventTime",
        "lastObservedTime",
        "deprecatedLastTimestamp",
        "lastTransitionTime",
        "lastHeartbeatTime",
        "lastProbeTime",
        "lastUpdateTime",
        "startedAt",
        "finishedAt",
        "startTime",
        "completionTime",
        "lastScheduleTime",
        "lastSuccessfulTime",
        "renewTime",
        "time",  # managedFields entries
    }
)

_TIMES = re.compile(rb'"(' + "|".join(sorted(TIME_FIELDS)).encode() + rb')":"(\d{4}-\d\d-\d\dT[^"]{8,40})"')


class Clock:
    """Keeps the newest plausible timestamp seen and where it was seen."""

    def __init__(self, wall_clock: datetime | None = None) -> None:
        self.latest_allowed = (wall_clock or datetime.now(UTC)) + timedelta(days=1)
        self.newest: datetime | None = None
        self.where = ""
        self._newest_second = ""  # "YYYY-MM-DDTHH:MM:SS" of newest, to pass over older UTC times unparsed

    def observe(self, value: Any, where: str) -> None:
        if not isinstance(value, str) or len(value) < 20:
            return
        if value.endswith("Z") and value[:19] < self._newest_second:
            return  # an older UTC time: RFC 3339 in UTC sorts as text
        moment = parse_time(value)
        if moment is None or moment > self.latest_allowed:
            return
        if self.newest is None or moment > self.newest:
            self.newest, self.where = moment, where
            self._newest_second = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def observe_json(self, data: bytes, label: str) -> None:
        """The time fields of one object as written (orjson bytes): a C-speed scan, not a walk in Python.
        Text inside strings (a ConfigMap holding JSON) has its quotes escaped, so it never matches."""
        for match in _TIMES.finditer(data):
            self.observe(match[2].decode("ascii", "replace"), f"{label} {match[1].decode()}")

    def observe_log(self, text: str, where: str) -> None:
        """A log's last line, when it starts with an RFC 3339 timestamp (`kubectl logs --timestamps`)."""
        for line in reversed(text.rstrip("\n").splitlines()[-3:]):
            stamp = line.split(" ", 1)[0]
            if stamp[:4].isdigit() and "T" in stamp:
                self.observe(stamp, where)
                return
