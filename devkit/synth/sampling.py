"""When synthetic traffic happens and who serves it: the moments of a sampled series and the pods ready
at a moment. Flows and metrics both draw from here, so the two agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devkit.synth.pods import Pod

if TYPE_CHECKING:
    from devkit.synth.builder import ClusterBuilder


def sample_times(
    b: ClusterBuilder, key: str, since: datetime, until: datetime, every: timedelta
) -> list[datetime]:
    """One moment per `every` between since and until, jittered deterministically inside its slot."""
    rng = b.ids.rng("times/" + key)
    out, t = [], max(since, b.window_start)
    while t < until:
        moment = t + timedelta(
            seconds=rng.uniform(0, every.total_seconds() * 0.8), microseconds=rng.randint(0, 999999)
        )
        if moment < until:
            out.append(moment)
        t += every
    return out


def ready_pods(workload: Any, t: datetime) -> list[Pod]:
    """The workload's pods that are ready at ``t`` (its ReplicaSets' pods, or its own pod list)."""
    pods = [p for rs in getattr(workload, "replica_sets", []) for p in rs.pods] or list(
        getattr(workload, "pod_list", [])
    )
    return [p for p in pods if p.ready_at(t)]
