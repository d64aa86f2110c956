"""Workload handles returned by the builder: Deployment (with its ReplicaSets), StatefulSet, DaemonSet."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devkit.synth.clock import Ago
from devkit.synth.pods import Pod
from devkit.synth.quantity import parse_quantity


class _Workload:
    b: Any
    kind: str
    namespace: str
    name: str
    uid: str

    @property
    def pods(self) -> list[Pod]:
        raise NotImplementedError

    @property
    def ref(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    def usage(
        self,
        cpu: float | None = None,
        memory: str | float | None = None,
        *,
        cpu_steps: list[tuple[Ago, float]] | None = None,
        memory_steps: list[tuple[Ago, str | float]] | None = None,
        container: str | None = None,
    ):
        """Baseline CPU (cores) and working set for every pod; `*_steps` change it at a time (ago)."""
        for pod in self.pods:
            c = pod.container(container)
            if cpu is not None:
                c.usage.cpu = cpu
            if memory is not None:
                c.usage.memory = parse_quantity(memory)
            for at, cores in cpu_steps or []:
                c.usage.cpu_steps.append((self.b.at(at), cores))
            for at, size in memory_steps or []:
                c.usage.memory_steps.append((self.b.at(at), parse_quantity(size)))
        return self


@dataclass(eq=False)
class ReplicaSet:
    deployment: Deployment
    name: str
    uid: str
    hash: str
    revision: int
    created: datetime
    template: dict[str, Any]
    replicas: int
    pods: list[Pod] = field(default_factory=list)
    failure: tuple[str, datetime] | None = None  # the controller cannot create pods: (error, since)

    @property
    def live_pods(self) -> list[Pod]:
        return [p for p in self.pods if p.deleted is None]


@dataclass(eq=False)
class Deployment(_Workload):
    b: Any
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    selector: dict[str, str]
    replicas: int
    created: datetime
    template: dict[str, Any]
    replica_sets: list[ReplicaSet] = field(default_factory=list)
    generation: int = 1
    annotations: dict[str, str] = field(default_factory=dict)
    rollout_started: datetime | None = None
    kind: str = "Deployment"

    @property
    def current(self) -> ReplicaSet:
        return self.replica_sets[-1]

    @property
    def pods(self) -> list[Pod]:
        return [p for rs in self.replica_sets for p in rs.live_pods]

    def rollout(
        self,
        at: Ago,
        *,
        image: str | None = None,
        env: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        container: str | None = None,
        complete: bool = True,
        new_pods: int | None = None,
    ) -> ReplicaSet:
        """Change the pod template at `at`: a new ReplicaSet. With `complete`, the old pods are gone
        (deleted at `at` + a few seconds); otherwise the rollout is in progress with `new_pods` new pods
        (default 1, the maxSurge of a small Deployment) next to all the old ones."""
        from devkit.synth.specs import _env

        moment = self.b.at(at)
        template = copy.deepcopy(self.template)  # edits made to the Deployment's template roll out too
        target = template["spec"]["containers"][0]
        if container is not None:
            target = next(c for c in template["spec"]["containers"] if c["name"] == container)
        if image is not None:
            target["image"] = image
        if env is not None:
            target["env"] = _env(env)
        if labels is not None:
            template["metadata"]["labels"].update(labels)
        self.template = template
        self.generation += 1
        self.rollout_started = moment
        count = self.replicas if complete else (new_pods or 1)
        rs = self.b._replica_set(self, template, moment, count)
        old = self.replica_sets[:-1]
        if complete:
            for index, previous in enumerate(old):
                for pod_index, pod in enumerate(previous.live_pods):
                    if pod.deleted is None:
                        pod.deleted = moment + timedelta(seconds=20 + 15 * pod_index + index)
                previous.replicas = 0
            self.b.event(
                self,
                "ScalingReplicaSet",
                f"Scaled up replica set {rs.name} from 0 to {count}",
                "Normal",
                1,
                moment,
                moment,
                component="deployment-controller",
            )
            for previous in old[-1:]:
                self.b.event(
                    self,
                    "ScalingReplicaSet",
                    f"Scaled down replica set {previous.name} from {self.replicas} to 0",
                    "Normal",
                    1,
                    moment + timedelta(seconds=20),
                    moment + timedelta(seconds=20),
                    component="deployment-controller",
                )
        else:
            self.b.event(
                self,
                "ScalingReplicaSet",
                f"Scaled up replica set {rs.name} from 0 to {count}",
                "Normal",
                1,
                moment,
                moment,
                component="deployment-controller",
            )
        return rs


@dataclass(eq=False)
class StatefulSet(_Workload):
    b: Any
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    selector: dict[str, str]
    replicas: int
    created: datetime
    template: dict[str, Any]
    service_name: str
    claims: list[tuple[str, str, str]]  # (name, size, storageClass)
    revision: str = ""
    pod_list: list[Pod] = field(default_factory=list)
    kind: str = "StatefulSet"

    @property
    def pods(self) -> list[Pod]:
        return [p for p in self.pod_list if p.deleted is None]


@dataclass(eq=False)
class DaemonSet(_Workload):
    b: Any
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    selector: dict[str, str]
    created: datetime
    template: dict[str, Any]
    revision: str = ""
    pod_list: list[Pod] = field(default_factory=list)
    kind: str = "DaemonSet"

    @property
    def pods(self) -> list[Pod]:
        return [p for p in self.pod_list if p.deleted is None]
