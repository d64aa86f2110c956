"""The capture time of an input that does not record one: the newest timestamp it holds.

Node heartbeats, event times, condition transitions and container starts are all written by the
cluster shortly before the bundle was taken, so the newest of them is close to the capture time (node
heartbeats are renewed about every minute). Times from the future are ignored: a clock that is wrong or
a hostile value must not move "now".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tools.snapshot.loader import parse_time

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
_MAX_VALUES = 20_000  # per object: a bounded walk whatever the input holds
_MAX_DEPTH = 8  # status.containerStatuses[].lastState.terminated.finishedAt is 6 deep
# What people declare holds no time the cluster wrote; skipping it halves the walk on big pods.
_DECLARED = frozenset({"spec", "data", "binaryData", "stringData"})


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

    def observe_object(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        name = "/".join(str(part) for part in (meta.get("namespace"), meta.get("name")) if part)
        label = f"{obj.get('kind', 'object')} {name}"
        stack: list[tuple[Any, int]] = [(v, 1) for k, v in obj.items() if k not in _DECLARED]
        for key, value in obj.items():  # an Event's own times are at the top
            if key in TIME_FIELDS:
                self.observe(value, f"{label} {key}")
        budget = _MAX_VALUES
        while stack and budget > 0:
            value, depth = stack.pop()
            budget -= 1
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in TIME_FIELDS and isinstance(item, str):
                        self.observe(item, f"{label} {key}")
                    elif depth < _MAX_DEPTH and isinstance(item, dict | list):
                        stack.append((item, depth + 1))
            elif isinstance(value, list) and depth < _MAX_DEPTH:
                stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))

    def observe_log(self, text: str, where: str) -> None:
        """A log's last line, when it starts with an RFC 3339 timestamp (`kubectl logs --timestamps`)."""
        for line in reversed(text.rstrip("\n").splitlines()[-3:]):
            stamp = line.split(" ", 1)[0]
            if stamp[:4].isdigit() and "T" in stamp:
                self.observe(stamp, where)
                return
