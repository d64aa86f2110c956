"""The one home of a pod's STATUS, READY and RESTARTS, by the rules kubectl's pod printer follows.

Every reader (the tools, the snapshot server's Tables, capture, the analyzers) asks here, so a pod reads
the same everywhere. The rules, in order:

- start from ``status.reason`` (Evicted, NodeLost, ...) or else the phase; a ``PodScheduled`` condition
  with reason ``SchedulingGated`` reads ``SchedulingGated``;
- init containers in order: one that exited 0 is done; a native sidecar (``restartPolicy: Always``) that
  has started is done (and counts towards READY); the first other one decides ``Init:<reason>``,
  ``Init:ExitCode:N``, ``Init:Signal:N``, ``Init:<waiting reason>`` or ``Init:i/n``;
- once initialised (or ``Initialized=True``), the regular containers, last to first, so the first
  container's waiting or terminated reason wins; ``Completed`` with a container still running and ready
  reads ``Running`` when the pod is Ready, else ``NotReady``;
- a pod being deleted reads ``Unknown`` when its node was lost, else ``Terminating`` unless it already
  finished (Succeeded or Failed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tools.contracts.kube.objects import meta
from tools.contracts.kube.time import parse_time

NODE_LOST = "NodeLost"  # status.reason the node lifecycle controller sets on pods of an unreachable node
FINISHED_PHASES = ("Succeeded", "Failed")


def _exit_text(terminated: dict[str, Any], prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def is_sidecar(container: dict[str, Any] | None) -> bool:
    """A native sidecar: an init container with ``restartPolicy: Always`` (stable since 1.29)."""
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _true(conditions: list[dict[str, Any]] | None, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions or [])


class PodReading:
    """One pass over a pod's statuses: STATUS, ready containers, restarts and the last restart."""

    def __init__(self, pod: dict[str, Any]) -> None:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        conditions = status.get("conditions") or []
        init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
        self.total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if is_sidecar(c))
        self.ready = 0
        self.restarts = 0
        self.last_restart: datetime | None = None
        sidecar_restarts, sidecar_last = 0, None
        phase = status.get("phase") or ""
        reason = status.get("reason") or phase or "Unknown"
        if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
            reason = "SchedulingGated"
        initializing = False
        init_statuses = status.get("initContainerStatuses") or []
        for position, container in enumerate(init_statuses):
            restarts, finished = _restart_of(container)
            self._count(restarts, finished)
            sidecar = is_sidecar(init_specs.get(container.get("name")))
            if sidecar:
                sidecar_restarts += restarts
                sidecar_last = _later(sidecar_last, finished)
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting") or {}
            if terminated and terminated.get("exitCode") == 0:
                continue
            if sidecar and container.get("started"):
                self.ready += 1 if container.get("ready") else 0
                continue
            if terminated:
                reason = _exit_text(terminated, "Init:")
            elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
                reason = "Init:" + waiting["reason"]
            else:
                reason = f"Init:{position}/{len(init_specs) or len(init_statuses)}"
            initializing = True
            break
        if not initializing or _true(conditions, "Initialized"):
            self.restarts, self.last_restart = sidecar_restarts, sidecar_last
            running = False
            for container in reversed(status.get("containerStatuses") or []):
                restarts, finished = _restart_of(container)
                self._count(restarts, finished)
                state = container.get("state") or {}
                terminated = state.get("terminated")
                if (state.get("waiting") or {}).get("reason"):
                    reason = state["waiting"]["reason"]
                elif terminated is not None:
                    reason = _exit_text(terminated)
                elif container.get("ready") and state.get("running") is not None:
                    running = True
                    self.ready += 1
            if reason == "Completed" and running:
                reason = "Running" if _true(conditions, "Ready") else "NotReady"
        if meta(pod).get("deletionTimestamp"):
            if status.get("reason") == NODE_LOST:
                reason = "Unknown"
            elif phase not in FINISHED_PHASES:
                reason = "Terminating"
        self.status = reason

    def _count(self, restarts: int, finished: datetime | None) -> None:
        self.restarts += restarts
        self.last_restart = _later(self.last_restart, finished)


def _restart_of(container: dict[str, Any]) -> tuple[int, datetime | None]:
    finished = ((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    return int(container.get("restartCount") or 0), parse_time(finished)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or (b is not None and b > a):
        return b
    return a


def read_pod(pod: dict[str, Any]) -> PodReading:
    """Every column at once (the snapshot server's Tables need them all for each row)."""
    return PodReading(pod)


def pod_status(pod: dict[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods``: Running, Init:0/2, CrashLoopBackOff, Terminating..."""
    return read_pod(pod).status


def pod_ready(pod: dict[str, Any]) -> str:
    """The READY column: ready containers (native sidecars included) over all of them, e.g. ``2/2``."""
    reading = read_pod(pod)
    return f"{reading.ready}/{reading.total}"


def pod_restarts(pod: dict[str, Any]) -> int:
    """The RESTARTS count kubectl shows (once initialised, finished init containers no longer count)."""
    return read_pod(pod).restarts


def last_restart(pod: dict[str, Any]) -> datetime | None:
    """When the latest counted restart happened (lastState.terminated.finishedAt), for "(5m ago)"."""
    return read_pod(pod).last_restart


def pod_is_healthy(pod: dict[str, Any], status: str | None = None) -> bool:
    """Running with every container ready (native sidecars included), or finished successfully."""
    reading = read_pod(pod)
    status = status or reading.status
    if status in ("Completed", "Succeeded"):
        return True
    return status == "Running" and reading.ready == reading.total
