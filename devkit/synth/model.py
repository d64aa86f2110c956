"""The builder's in-memory model: pods and containers with a timeline.

Objects, metrics, flows and events are all rendered from this one model at write time, which is what
keeps them consistent: a container that was OOMKilled 90 minutes ago has `lastState.terminated`, a
restart count, a KSM `last_terminated_reason` series and a working set that climbed to its limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devkit.synth.quantity import parse_quantity

READY_DELAY = timedelta(seconds=8)  # readiness probe's first success after start


@dataclass
class Run:
    """One instance of a container: from start to exit (or still running when `finished` is None)."""

    started: datetime
    finished: datetime | None = None
    reason: str | None = None  # OOMKilled, Error, Completed
    exit_code: int | None = None
    ready: bool = True  # False: the readiness probe never passed during this run

    def alive(self, t: datetime) -> bool:
        return self.started <= t and (self.finished is None or t < self.finished)


@dataclass
class Usage:
    """Resource usage of one container over time: a baseline plus step changes."""

    cpu: float = 0.02  # cores
    memory: float = 64 * 2**20  # working set bytes
    cpu_steps: list[tuple[datetime, float]] = field(default_factory=list)
    memory_steps: list[tuple[datetime, float]] = field(default_factory=list)

    def cpu_at(self, t: datetime) -> float:
        value = self.cpu
        for at, cores in sorted(self.cpu_steps):
            if at <= t:
                value = cores
        return value

    def memory_at(self, t: datetime) -> float:
        value = self.memory
        for at, size in sorted(self.memory_steps):
            if at <= t:
                value = size
        return value


@dataclass
class Container:
    name: str
    spec: dict[str, Any]
    runs: list[Run] = field(default_factory=list)
    restart_base: int = 0  # restarts that happened before the modelled runs
    waiting: tuple[str, str] | None = None  # (reason, message) when the container never started
    unready_since: datetime | None = None  # readiness probe failing since
    usage: Usage = field(default_factory=Usage)
    log: list[tuple[datetime, str]] | None = None
    previous_log: list[tuple[datetime, str]] | None = None

    @property
    def image(self) -> str:
        return self.spec["image"]

    def limit(self, resource: str) -> float | None:
        value = self.spec.get("resources", {}).get("limits", {}).get(resource)
        return parse_quantity(value) if value is not None else None

    def request(self, resource: str) -> float | None:
        value = self.spec.get("resources", {}).get("requests", {}).get(resource)
        return parse_quantity(value) if value is not None else None

    @property
    def current(self) -> Run | None:
        return self.runs[-1] if self.runs and self.runs[-1].finished is None else None

    @property
    def last_terminated(self) -> Run | None:
        finished = [r for r in self.runs if r.finished is not None]
        return finished[-1] if finished else None

    def restarts_at(self, t: datetime) -> int:
        started = sum(1 for r in self.runs if r.started <= t)
        return self.restart_base + max(started - 1, 0)

    @property
    def restart_count(self) -> int:
        return self.restart_base + max(len(self.runs) - 1, 0)

    def run_at(self, t: datetime) -> Run | None:
        for run in self.runs:
            if run.alive(t):
                return run
        return None

    def ready_at(self, t: datetime) -> bool:
        run = self.run_at(t)
        if run is None or not run.ready or t < run.started + READY_DELAY:
            return False
        return not (self.unready_since is not None and t >= self.unready_since)

    def terminated_before(self, t: datetime) -> Run | None:
        done = [r for r in self.runs if r.finished is not None and r.finished <= t]
        return done[-1] if done else None

    def waiting_reason_at(self, t: datetime) -> str | None:
        if self.run_at(t) is not None:
            return None
        if self.waiting is not None:
            return self.waiting[0]
        if self.terminated_before(t) is not None:
            return "CrashLoopBackOff"
        return "ContainerCreating"


def full_image(image: str) -> str:
    """What the runtime reports: docker.io/library/redis:7.2 for 'redis:7.2'."""
    first = image.split("/")[0]
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"
