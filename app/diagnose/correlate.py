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


def explains(cause: Candidate, symptom: Candidate, cause_affects: set[Key], symptom_needs: set[Key]) -> bool:
    """The cause's trouble shows up as the symptom's culprit (``cause_affects``: the keys of what the cause
    affects), or the symptom's evidence names the cause's culprit as a dependency it cannot use
    (``symptom_needs``: the keys of what the symptom depends on) and the cause is more than a warning."""
    if _key(symptom.resource) in cause_affects:
        return True
    return cause.severity >= 2 and _key(cause.resource) in symptom_needs


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

    Causes are taken in order and each folds what it explains until it explains nothing more. That is
    the same as rescanning every pair after each fold: a fold changes only its cause (what it affects,
    its severity), so only that cause's pairs can newly fold. Culprit keys are kept in sets, not rebuilt
    for every pair (a whole-cluster review has hundreds of candidates).
    """
    remaining = list(candidates)
    affected = {id(c): {_key(ref) for ref in c.affected} for c in remaining}
    depends = {id(c): {_key(ref) for ref in c.depends_on} for c in remaining}

    position = 0
    while position < len(remaining):
        cause = remaining[position]
        folded = True
        while folded:
            folded = False
            for symptom in remaining:
                if symptom is cause:
                    continue
                if not explains(cause, symptom, affected[id(cause)], depends[id(symptom)]):
                    continue
                if _key(cause.resource) in affected[id(symptom)]:
                    continue  # a cycle: keep both, let ranking decide
                if symptom.severity > cause.severity + 1:
                    continue
                cause.caused.append(symptom)
                for ref in (symptom.resource, *symptom.affected):
                    if ref not in cause.affected:
                        cause.affected.append(ref)
                    affected[id(cause)].add(_key(ref))
                cause.cites.extend(c for c in symptom.cites if c not in cause.cites)
                cause.severity = max(cause.severity, symptom.severity)
                remaining = [c for c in remaining if c is not symptom]
                folded = True
                break
        position = next(i for i, c in enumerate(remaining) if c is cause) + 1
    return remaining


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
