"""The Pod model with its state-changing helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devkit.synth.model import Container
from devkit.synth.states import PodStates


@dataclass(eq=False)
class Pod(PodStates):
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    created: datetime
    spec: dict[str, Any]  # pod spec from the template (containers included)
    containers: list[Container]
    b: Any = field(repr=False, default=None)
    owner: dict[str, Any] | None = None  # ownerReference to the controller
    workload: tuple[str, str] | None = None  # (kind, name) of the top-level controller
    node: str | None = None
    ip: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    unschedulable: str | None = None  # FailedScheduling message while Pending
    deleted: datetime | None = None  # gone before capture (still in the metrics history)
    generate_name: str | None = None

    def container(self, name: str | None = None) -> Container:
        if name is None:
            return self.containers[0]
        for c in self.containers:
            if c.name == name:
                return c
        raise KeyError(f"pod {self.namespace}/{self.name} has no container {name!r}")

    def exists_at(self, t: datetime) -> bool:
        return self.created <= t and (self.deleted is None or t < self.deleted)

    def ready_at(self, t: datetime) -> bool:
        return self.exists_at(t) and bool(self.containers) and all(c.ready_at(t) for c in self.containers)

    @property
    def ready(self) -> bool:
        return self.ready_at(self.b.now)

    def phase_at(self, t: datetime) -> str:
        if self.unschedulable is not None or self.node is None:
            return "Pending"
        if all(not c.runs or c.runs[0].started > t for c in self.containers):
            return "Pending"
        return "Running"

    def usage(
        self, cpu: float | None = None, memory: str | float | None = None, container: str | None = None
    ):
        """Set the baseline CPU (cores) and memory working set of a container."""
        from devkit.synth.quantity import parse_quantity

        c = self.container(container)
        if cpu is not None:
            c.usage.cpu = cpu
        if memory is not None:
            c.usage.memory = parse_quantity(memory)
        return self
