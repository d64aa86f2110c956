"""The built-in diagnostician: question -> scope -> facts -> analyzers -> cause chains -> cited diagnosis.

Deterministic and model-free: the same question on the same snapshot gives the same answer.
"""

from __future__ import annotations

import time
from datetime import UTC

from app.diagnose.analyzers import run_analyzers_with_errors
from app.diagnose.candidate import Candidate
from app.diagnose.cite import cite_candidate, evidence_id_of
from app.diagnose.compose import Composed, compose
from app.diagnose.correlate import correlate
from app.diagnose.gather import gather, mark_uncaptured
from app.diagnose.k8s_facts import WORKLOAD_KINDS
from app.diagnose.question import NamedObject, PreviousTurn, Question, Scope
from app.diagnose.router import route_question
from tools.contracts.diagnosis import Change, Diagnosis, Finding, NextStep, Stats
from tools.contracts.evidence import Ledger
from tools.contracts.notes import Note, NoteKind, ran_out_of_time
from tools.contracts.tool import ToolContext
from tools.contracts.wording import plural
from tools.kubernetes.access import paused_gc

ENGINE = "offline"
MAX_FINDINGS = 5
MAX_CHANGES = 20  # the latest changes before an onset that an answer lists


def diagnose(
    ctx: ToolContext,
    question: str,
    namespace: str | None = None,
    ledger: Ledger | None = None,
    previous: PreviousTurn | Diagnosis | None = None,
    subject: NamedObject | None = None,
) -> Diagnosis:
    """Answer ``question`` about the cluster behind ``ctx`` with the analyzers; cite tool output.
    ``previous`` is the turn before it in a conversation (follow-ups are about its subject and culprit).
    ``subject`` is the object the question is about when the caller knows it (a runbook's target): the
    answer keeps to it whatever the question's words name.

    The cyclic collector is paused for the question: reading and analysing a big cluster allocates
    millions of short-lived, acyclic objects beside millions of live facts, and each full collection it
    triggered traversed all the facts again (a third of a cached whole-cluster review on 100,000 pods).
    Reference counting still frees them; what a cycle holds is collected once the question is over."""
    with paused_gc():
        return _diagnose(ctx, question, namespace, ledger, previous, subject)


def _diagnose(
    ctx: ToolContext,
    question: str,
    namespace: str | None,
    ledger: Ledger | None,
    previous: PreviousTurn | Diagnosis | None,
    subject: NamedObject | None,
) -> Diagnosis:
    started = time.perf_counter()
    ledger = ledger if ledger is not None else Ledger()
    now = ctx.now()
    if isinstance(previous, Diagnosis):
        previous = PreviousTurn.from_diagnosis(previous)
    asked: list[Question] = []

    def scope_of(inventory: list) -> Scope:
        typed = route_question(question, inventory, now, previous, ctx.cluster_name)
        scope = typed.scope
        if subject is not None:
            _pin_subject(typed, _in_inventory(subject, inventory))
        if namespace and namespace not in scope.namespaces:
            scope.namespaces.insert(0, namespace)
            scope.whole_cluster = False
        asked.append(typed)
        return scope

    gathered, scope = gather(ctx, scope_of, namespace)
    typed = asked[-1]
    facts = gathered.facts
    facts.derived.clear()  # an index built while reading may predate the namespaces read after it
    mark_uncaptured(facts)
    run = run_analyzers_with_errors(facts)
    ranked = correlate(run.candidates, scope)
    if not scope.targets and not scope.hinted:  # a health review: show each kind of trouble
        ranked = _review_mix(ranked)
    out_of_time = ran_out_of_time(gathered.notes)
    if out_of_time:
        typed.missing = []  # names were not all read: "no such name" would be a guess
        typed.scope.unknown = []
    composed = compose(typed, ranked, facts, ctx)
    if out_of_time and not composed.findings:
        answer = composed.answer
        answer.text = (
            f"No problem found in what could be read of {facts.cluster} before the time budget ran out."
        )
        answer.subject_healthy = None
        answer.verdict = "unknown" if answer.verdict else None

    ctx.progress("confirming the findings with the tools")
    evidence, steps = [], []
    seen_evidence: set[str] = set()

    def cited(candidates: list[Candidate]) -> list[Finding]:
        out = []
        for candidate in candidates[:MAX_FINDINGS]:
            ids = []
            for evidence_id, excerpt in cite_candidate(ctx, ledger, candidate):
                ids.append(evidence_id)
                if evidence_id not in seen_evidence:
                    seen_evidence.add(evidence_id)
                    evidence.append(ledger.evidence(evidence_id, excerpt))
            confidence = candidate.confidence if ids else min(candidate.confidence, 0.5)
            out.append(
                Finding(
                    title=candidate.title,
                    category=candidate.category,
                    resource=candidate.resource,
                    confidence=round(confidence, 2),
                    explanation=_explanation(candidate),
                    evidence=ids,
                )
            )
        return out

    findings = cited(composed.findings)
    composed.answer.changes = _changes(composed, ledger, findings[0].evidence if findings else [])
    for candidate in composed.findings[:MAX_FINDINGS]:
        for step in candidate.next_steps:
            if step not in steps:
                steps.append(step)
    elsewhere = cited(composed.elsewhere)
    notes = list(gathered.notes)
    if gathered.log_failures:
        first = gathered.log_failures[0]
        containers = plural(len(gathered.log_failures), "container")
        notes.append(Note.failed(f"could not read the logs of {containers} (first: {first})"))
    if out_of_time and composed.answer.subject_healthy:
        composed.answer.subject_healthy = None  # not everything was read: "healthy" would be a guess
    details = summarize(
        question,
        facts.cluster,
        scope,
        composed.findings[:MAX_FINDINGS],
        facts.unavailable,
        notes,
        run.errors,
        answered=bool(composed.answer.text),
    )
    summary = " ".join(part for part in (composed.answer.text, *composed.details, details) if part)
    return Diagnosis(
        question=question,
        cluster=facts.cluster,
        answered_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        engine=ENGINE,
        summary=summary,
        answer=composed.answer,
        findings=findings,
        elsewhere=elsewhere,
        evidence=evidence,
        next_steps=[step.model_copy(update={"checked": True}) for step in steps[:8]],  # written by kubewhy
        stats=Stats(tool_calls=len(ledger), duration_s=round(time.perf_counter() - started, 3)),
    )


def _changes(composed: Composed, ledger: Ledger, cited_ids: list[str]) -> list[Change]:
    """The changes before the onset for every surface to show (a timeline, a list), the latest
    :data:`MAX_CHANGES` of them, each with the id of the evidence of the top finding that shows it."""
    top = composed.findings[0] if composed.findings else None
    listed = []
    for moment in composed.changes[-MAX_CHANGES:]:
        found = evidence_id_of(ledger, moment.cite, top) if top and moment.cite in top.cites else None
        listed.append(
            Change(
                at=moment.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                what=moment.what,
                kind=moment.kind or "object",
                evidence=[found] if found in cited_ids else [],
            )
        )
    return listed


def _in_inventory(subject: NamedObject, inventory: list[NamedObject]) -> NamedObject:
    """The cluster's object for ``subject``: the same kind, else a workload of another kind with its name
    (a ``workload`` parameter does not say Deployment or StatefulSet). Unknown: as given (the composer then
    says there is no such object)."""
    same = [o for o in inventory if (o.namespace, o.name) == (subject.namespace, subject.name)]
    for obj in same:
        if obj.kind == subject.kind:
            return obj
    if subject.kind in WORKLOAD_KINDS:
        for obj in same:
            if obj.kind in WORKLOAD_KINDS:
                return obj
    return subject


def _pin_subject(typed: Question, subject: NamedObject) -> None:
    typed.subject = subject
    scope = typed.scope
    if subject not in scope.targets:
        scope.targets.insert(0, subject)
    scope.whole_cluster = False
    if typed.intent in ("review", "ranking"):
        typed.intent = "diagnose"  # a question about one object, whatever its words


def _review_mix(ranked: list[Candidate], per_category: int = 2) -> list[Candidate]:
    """A health review (no object named) should show the different kinds of trouble, not five NotReady
    nodes: at most ``per_category`` findings of one category come before every other category had its
    turn; rank order is kept otherwise."""
    first: list[Candidate] = []
    later: list[Candidate] = []
    seen: dict[str, int] = {}
    for candidate in ranked:
        count = seen.get(candidate.category.value, 0)
        (first if count < per_category else later).append(candidate)
        seen[candidate.category.value] = count + 1
    return first + later


def _explanation(candidate: Candidate) -> str:
    text = candidate.explanation
    if candidate.caused:
        symptoms = "; ".join(f"{c.title}" for c in candidate.caused[:3])
        text += f" This also explains: {symptoms}."
    return text


def summarize(
    question: str,
    cluster: str,
    scope: Scope,
    findings: list[Candidate],
    unavailable: dict[str, str],
    notes: list[Note],
    errors: list[tuple[str, str]],
    answered: bool = False,
) -> str:
    """The sentences after the direct answer (or the whole summary when there is none): names kubewhy may
    not read or cannot find, the cause and what else the subject's findings explain, what was not
    checked."""
    parts: list[str] = []
    permitted = ", ".join(scope.permitted)
    for ns in scope.outside:
        parts.append(
            f"Namespace {ns} is outside kubewhy's permitted namespaces ({permitted}): kubewhy may not read "
            "it, so nothing in it was checked."
        )
    where = f"kubewhy's permitted namespaces ({permitted})" if scope.permitted else cluster
    out_of_time = ran_out_of_time(notes)  # then names were not all read: "no such name" would be a guess
    for word, close in [] if out_of_time or answered else scope.unknown:
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        parts.append(f"There is no namespace, workload or service called '{word}' in {where}.{hint}")
    if findings and answered:
        if findings[0].caused:
            parts.append(f"It also explains {plural(len(findings[0].caused), 'related symptom')}.")
    elif findings:
        top = findings[0]
        parts.append(f"Most likely cause: {top.title} (fix {top.resource}).")
        if top.caused:
            parts.append(f"It also explains {plural(len(top.caused), 'related symptom')}.")
        if len(findings) > 1:
            others = "; ".join(f.title for f in findings[1:3])
            parts.append(f"Also found: {others}.")
    elif out_of_time and not answered:
        parts.append(f"No problem found in what could be read of {cluster} before the time budget ran out.")
    elif (
        not answered
        and not scope.unknown
        and not (scope.outside and not scope.namespaces and not scope.targets)
    ):
        what = _scope_words(scope)
        parts.append(
            f"Nothing wrong found with {what} in {cluster}: pods, workloads, services, events"
            + ("" if "prometheus" in unavailable else ", metrics")
            + ("" if "flows" in unavailable else " and network flows")
            + " look healthy."
        )
    if unavailable:
        missing = "; ".join(f"{source}: {reason}" for source, reason in sorted(unavailable.items()))
        parts.append(f"Not checked — {missing}.")
    if errors:
        parts.append(
            f"{plural(len(errors), 'check')} failed to run: {', '.join(name for name, _ in errors)}."
        )
    parts.extend(describe_notes(notes))
    return " ".join(parts)


def describe_notes(notes: list[Note]) -> list[str]:
    """Every read that failed is named (kinds that failed the same way are grouped), so a partial answer
    says exactly what it could not see."""
    by_reason: dict[str, list[str]] = {}
    others = []
    for note in dict.fromkeys(notes):
        if note.kind is NoteKind.UNREAD:
            by_reason.setdefault(note.reason, []).append(note.what)
        else:
            others.append(OUT_OF_TIME if note.kind is NoteKind.OUT_OF_TIME else note.what)
    out = [f"could not read {', '.join(whats)}: {_clip(reason)}." for reason, whats in by_reason.items()]
    out.extend(text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") for text in others)
    return out


OUT_OF_TIME = "stopped reading early: the question's time budget ran out (KUBEWHY_QUESTION_TIMEOUT_S)"


def _clip(text: str, limit: int = 240) -> str:
    text = text.rstrip(".")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scope_words(scope: Scope) -> str:
    if scope.targets:
        return ", ".join(sorted({t.name for t in scope.targets}))
    if scope.namespaces:
        return "namespace " + ", ".join(scope.namespaces)
    if scope.permitted:
        return "namespaces " + ", ".join(scope.permitted)
    return "the cluster"


__all__ = ["ENGINE", "NextStep", "describe_notes", "diagnose", "summarize"]
