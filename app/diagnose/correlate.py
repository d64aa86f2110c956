"""Link candidates into cause chains and rank them for the question asked.

A candidate whose culprit shows up as another candidate's *affected* object is that other candidate's
cause (checkout times out -> drops at postgres -> policy X): the symptom is folded into the cause, and the
cause inherits the symptom's relevance to the question. Ranking then puts first what the question is
about, by severity and by causal depth.
"""

from __future__ import annotations

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.question import Scope
from tools.contracts.diagnosis import Category, ResourceRef

Key = tuple[str, str | None, str]  # (kind, namespace, name) of a resource


def _key(ref: ResourceRef) -> Key:
    return (ref.kind, ref.namespace, ref.name)


def merge_duplicates(candidates: list[Candidate]) -> list[Candidate]:
    """Same category and culprit from two analyzers (or two sources) is one finding with both proofs."""
    merged: dict[tuple[str, Key], Candidate] = {}
    for candidate in candidates:
        key = (candidate.category.value, _key(candidate.resource))
        existing = merged.get(key)
        if existing is None:
            merged[key] = candidate
            continue
        # A second independent source raises confidence, as a senior SRE's second look would.
        existing.confidence = min(0.99, max(existing.confidence, candidate.confidence) + 0.05)
        existing.severity = max(existing.severity, candidate.severity)
        existing.cites.extend(c for c in candidate.cites if c not in existing.cites)
        existing.affected.extend(a for a in candidate.affected if a not in existing.affected)
        existing.next_steps.extend(s for s in candidate.next_steps if s not in existing.next_steps)
        if len(candidate.explanation) > len(existing.explanation):
            existing.explanation = candidate.explanation
    return list(merged.values())


def fold_same_culprit(candidates: list[Candidate]) -> list[Candidate]:
    """A latency or error rise on a workload that also has a concrete problem (it is throttled, crashing,
    OOM-killed) is that problem's symptom, not a second finding about the same object."""
    kept = []
    for candidate in candidates:
        if candidate.category is Category.PerformanceRegression:
            cause = next(
                (
                    other
                    for other in candidates
                    if other is not candidate
                    and other.category is not Category.PerformanceRegression
                    and other.severity >= 2
                    and _key(other.resource) == _key(candidate.resource)
                ),
                None,
            )
            if cause is not None:
                cause.caused.append(candidate)
                cause.cites.extend(c for c in candidate.cites if c not in cause.cites)
                cause.severity = max(cause.severity, candidate.severity)
                continue
        kept.append(candidate)
    return kept


def fold_repeats(candidates: list[Candidate]) -> list[Candidate]:
    """A finding that repeats another one: the same culprit under a second category, proved by nothing the
    other does not cite already (one cause seen by two analyzers). It folds into the stronger one."""
    kept: dict[Key, list[tuple[Candidate, set[Cite]]]] = {}  # culprit -> kept
    kept_ids: set[int] = set()
    for candidate in sorted(candidates, key=lambda c: (-c.severity, -c.confidence, -len(c.cites))):
        proof = set(candidate.cites)
        same = next(
            (
                other
                for other, other_proof in kept.get(_key(candidate.resource), ())
                if other.category is not candidate.category and proof and proof <= other_proof
            ),
            None,
        )
        if same is None:
            kept.setdefault(_key(candidate.resource), []).append((candidate, proof))
            kept_ids.add(id(candidate))
            continue
        same.caused.append(candidate)
        same.affected.extend(a for a in candidate.affected if a not in same.affected)
        same.next_steps.extend(s for s in candidate.next_steps if s not in same.next_steps)
    return [c for c in candidates if id(c) in kept_ids]


def fold_chains(candidates: list[Candidate]) -> list[Candidate]:
    """Fold symptom candidates into the candidate that causes them, until none explains another.

    A cause explains a symptom when the symptom's culprit is among what the cause affects, or when the
    symptom's evidence names the cause's culprit, or something the cause affects, as a dependency it
    cannot use and the cause is more than a warning. A cycle (each affects the other's culprit) keeps
    both, and so does a symptom more than one severity step above its cause.

    Causes are taken in order; each folds the first symptom it explains, in order, until it explains no
    more. That is the same as rescanning every pair after each fold: a fold changes only its cause (what
    it affects, its severity), so only that cause's pairs can newly fold. The symptoms a cause may explain
    are looked up by culprit, not found by trying every pair (a whole-cluster review has hundreds).
    """
    order = {id(c): position for position, c in enumerate(candidates)}
    alive = set(order)
    culprit = {id(c): _key(c.resource) for c in candidates}
    affects = {id(c): {_key(ref) for ref in c.affected} for c in candidates}
    by_culprit: dict[Key, list[Candidate]] = {}
    needing: dict[Key, list[Candidate]] = {}  # the candidates whose evidence depends on that object
    for candidate in candidates:
        by_culprit.setdefault(culprit[id(candidate)], []).append(candidate)
        for needed in {_key(ref) for ref in candidate.depends_on}:
            needing.setdefault(needed, []).append(candidate)

    def first_explained(cause: Candidate) -> Candidate | None:
        found = [s for key in affects[id(cause)] for s in by_culprit.get(key, ())]
        if cause.severity >= 2:
            found.extend(needing.get(culprit[id(cause)], ()))
            # what the symptom needs is what the cause breaks: a Service whose pods a Pending claim keeps
            # from starting has no endpoints because of the claim
            found.extend(s for key in affects[id(cause)] for s in needing.get(key, ()))
        foldable = [
            symptom
            for symptom in found
            if symptom is not cause
            and id(symptom) in alive
            and culprit[id(cause)] not in affects[id(symptom)]  # a cycle: keep both, let ranking decide
            and symptom.severity <= cause.severity + 1
        ]
        return min(foldable, key=lambda symptom: order[id(symptom)], default=None)

    for cause in candidates:
        while id(cause) in alive and (symptom := first_explained(cause)) is not None:
            cause.caused.append(symptom)
            for ref in (symptom.resource, *symptom.affected):
                if ref not in cause.affected:
                    cause.affected.append(ref)
                affects[id(cause)].add(_key(ref))
            cause.cites.extend(c for c in symptom.cites if c not in cause.cites)
            cause.severity = max(cause.severity, symptom.severity)
            alive.discard(id(symptom))
    return [c for c in candidates if id(c) in alive]


def relevance(candidate: Candidate, scope: Scope) -> float:
    """How much a candidate is about what was asked: 0 (unrelated) .. 3 (names the asked-about object)."""
    targets = {(t.name, t.namespace) for t in scope.targets}
    target_names = {t.name for t in scope.targets}
    refs = [candidate.resource, *candidate.affected]
    score = 0.0
    for ref in refs:
        if (ref.name, ref.namespace) in targets or ref.name in target_names:
            score = max(score, 3.0)
        elif any(ref.name.startswith(f"{name}-") for name in target_names):
            score = max(score, 2.5)  # a pod or ReplicaSet of the asked-about workload
        elif ref.namespace and ref.namespace in scope.namespaces:
            score = max(score, 1.5)
    if candidate.category in scope.hinted:
        # The kind of trouble described ("crashing", "pending") weighs as much as a severity step and
        # a confidence gap together: a NotReady node hosting one pod of the namespace does not answer
        # "why are pods crashing in it?" better than the crash loops do.
        score += 1.0
    return score


def rank(candidates: list[Candidate], scope: Scope) -> list[Candidate]:
    """Most likely root cause of what the question asks about first; deterministic order for ties."""

    def score(candidate: Candidate) -> tuple[float, str]:
        value = relevance(candidate, scope) * 2.0
        value += candidate.severity * 1.0
        value += candidate.confidence * 2.0
        value += min(len(candidate.caused), 3) * 0.5  # a cause that explains symptoms outranks them
        if candidate.severity == 0:
            value -= 10.0
        return (-value, f"{candidate.category.value}/{_key(candidate.resource)}")

    return sorted(candidates, key=score)


def correlate(candidates: list[Candidate], scope: Scope) -> list[Candidate]:
    return rank(fold_chains(fold_repeats(fold_same_culprit(merge_duplicates(candidates)))), scope)
