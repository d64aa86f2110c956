"""The scenario catalogue: each scenario is a function that builds a small cluster with one injected
problem (or none), registered with its question and ground truth by the ``scenario`` decorator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devkit.synth import ClusterBuilder

Ref = tuple[str, str | None, str]  # (kind, namespace, name)


@dataclass
class Distractor:
    """Something in the cluster that looks like trouble but is not the answer."""

    ref: Ref
    why: str
    category: str | None = None  # the category it could be wrongly blamed under

    def as_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": self.ref[0], "namespace": self.ref[1], "name": self.ref[2]}
        if self.category:
            item["category"] = self.category
        item["why"] = self.why
        return item


@dataclass
class Scenario:
    name: str
    question: str
    build: Callable[[], tuple[ClusterBuilder, list[Distractor]]]
    culprit: Ref | None = None
    category: str | None = None
    healthy: bool = False
    chain: list[str] = field(default_factory=list)
    metrics: tuple[str, ...] = ()  # metrics generator files kept (none: no Prometheus needed)
    description: str = ""

    def truth(self, distractors: list[Distractor]) -> dict[str, Any]:
        item: dict[str, Any] = {"name": self.name, "question": self.question}
        if self.healthy:
            item["healthy"] = True
        else:
            kind, namespace, name = self.culprit  # type: ignore[misc]
            item["culprit"] = {"kind": kind, "namespace": namespace, "name": name}
            item["category"] = self.category
        if self.chain:
            item["chain"] = list(self.chain)
        item["distractors"] = [d.as_dict() for d in distractors]
        item["metrics"] = bool(self.metrics)
        item["description"] = self.description
        return item


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str,
    question: str,
    *,
    culprit: Ref | None = None,
    category: str | None = None,
    healthy: bool = False,
    chain: list[str] | None = None,
    metrics: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[Callable[[], tuple[ClusterBuilder, list[Distractor]]]], Callable[..., Any]]:
    """Register a scenario builder: ``() -> (builder, distractors)``."""
    if healthy == (culprit is not None):
        raise ValueError(f"scenario {name}: give a culprit and category, or healthy=True")

    def register(build: Callable[[], tuple[ClusterBuilder, list[Distractor]]]) -> Callable[..., Any]:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name} is defined twice")
        SCENARIOS[name] = Scenario(
            name=name,
            question=question,
            build=build,
            culprit=culprit,
            category=category,
            healthy=healthy,
            chain=list(chain or []),
            metrics=metrics,
            description=description or (build.__doc__ or "").strip().splitlines()[0],
        )
        return build

    return register
