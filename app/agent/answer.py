"""From the model's final structured output to the contracts-section-2 diagnosis, checked against the
ledger: only ids the tools produced may be cited, and only text the tools returned may be quoted."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.agent.next_steps import ProposedNextStep, check_next_steps
from app.agent.schemas import function_tool
from tools.contracts.diagnosis import (
    Answer,
    Category,
    Diagnosis,
    Evidence,
    Finding,
    Intent,
    NextStep,
    ResourceRef,
    Stats,
    Verdict,
)
from tools.contracts.evidence import Ledger

BAD_EXCERPT_FACTOR = 0.6  # a finding whose quote the tools never returned is less certain
UNSUPPORTED_CONFIDENCE_CAP = 0.3  # a finding left with no evidence at all
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


class AnswerError(Exception):
    """The final answer is not usable; the message is what the model is told when it may retry."""


class ProposedEvidence(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    excerpt: str = Field("", description="decisive lines, verbatim")


class ProposedFinding(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str
    category: Category
    resource: ResourceRef = Field(description="the object to fix")
    confidence: float = Field(ge=0.0, le=1.0)
    explanation: str
    evidence: list[str] = Field(default_factory=list, description="ids")


class ProposedAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str = Field(
        description="1-2 sentences in the question's terms: yes/no, since when, what changed before, "
        "the fix; a ranking as a table"
    )
    intent: Intent
    subject: ResourceRef | None = Field(None, description="the object asked about; null: review")
    subject_healthy: bool | None = None
    verdict: Verdict | None = Field(None, description="of a yes/no question")
    since: str | None = Field(None, description="RFC 3339 start")


class FinalAnswer(BaseModel):
    """The final answer, citing evidence ids."""

    model_config = ConfigDict(extra="ignore")
    summary: str = Field(description="plain sentences, the direct answer first")
    answer: ProposedAnswer | None = None
    findings: list[ProposedFinding] = Field(default_factory=list)  # what they hold: prompts/system.md
    elsewhere: list[ProposedFinding] = Field(default_factory=list)
    evidence: list[ProposedEvidence] = Field(default_factory=list)
    next_steps: list[ProposedNextStep] = Field(default_factory=list)


def final_answer_tool() -> dict[str, Any]:
    """The ``final_answer`` function a model calls to finish (OpenAI tool format)."""
    schema = FinalAnswer.model_json_schema()
    schema.pop("description", None)  # the function's description already says it
    for definition in schema.get("$defs", {}).values():
        definition.pop("description", None)  # docstrings are notes for developers
    return function_tool("final_answer", " ".join((FinalAnswer.__doc__ or "").split()), schema)


def parse_final_answer(raw: dict[str, Any] | str) -> FinalAnswer:
    """Validate the model's answer (a tool call's arguments, or a JSON reply); AnswerError says what is
    wrong in terms the model can fix."""
    if isinstance(raw, str):
        raw = _json_object(raw)
    if not isinstance(raw, dict):
        raise AnswerError("the final answer must be a JSON object")
    try:
        return FinalAnswer.model_validate(_lenient(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}" for err in exc.errors()
        )
        raise AnswerError(f"the final answer is not valid: {problems}") from None


def _json_object(text: str) -> Any:
    stripped = _FENCE.sub("", text.strip()).strip()
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0:
        raise AnswerError("the final answer is not JSON: no object found")
    try:
        return json.loads(stripped[start : end + 1] if end > start else stripped[start:])
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the final answer is not valid JSON: {exc}") from None


_CATEGORIES = {c.value.lower(): c.value for c in Category}


def _lenient(raw: dict[str, Any]) -> dict[str, Any]:
    """Forgive the harmless slips models make: category case, confidence out of range, ids as objects."""
    raw = dict(raw)
    for key in ("findings", "elsewhere"):
        findings = []
        for finding in raw.get(key) or []:
            if not isinstance(finding, dict):
                findings.append(finding)
                continue
            finding = dict(finding)
            category = finding.get("category")
            if isinstance(category, str) and category.lower() in _CATEGORIES:
                finding["category"] = _CATEGORIES[category.lower()]
            if isinstance(finding.get("confidence"), int | float):
                finding["confidence"] = min(1.0, max(0.0, float(finding["confidence"])))
            finding["evidence"] = [
                item.get("id") if isinstance(item, dict) else item for item in finding.get("evidence") or []
            ]
            findings.append(finding)
        raw[key] = findings
    answer = raw.get("answer")
    if isinstance(answer, dict):
        answer = dict(answer)
        for key in ("intent", "verdict"):
            if isinstance(answer.get(key), str):
                answer[key] = answer[key].strip().lower()
        raw["answer"] = answer
    elif answer is not None:  # not an object (the text alone): the summary's first sentence stands in
        raw["answer"] = None
    evidence = raw.get("evidence") or []
    if isinstance(evidence, dict):  # {"e3": "excerpt"}
        evidence = [{"id": key, "excerpt": value} for key, value in evidence.items()]
    raw["evidence"] = [{"id": item} if isinstance(item, str) else item for item in evidence]
    return raw


@dataclass
class CheckedAnswer:
    findings: list[Finding]
    evidence: list[Evidence]
    next_steps: list[NextStep]
    summary: str
    corrections: list[str] = field(default_factory=list)  # what was dropped or lowered, for the log
    answer: ProposedAnswer | None = None
    elsewhere: list[Finding] = field(default_factory=list)


def check_answer(answer: FinalAnswer, ledger: Ledger) -> CheckedAnswer:
    """Keep only what the ledger supports: unknown ids are dropped; an excerpt the tools never returned is
    replaced by the recorded lines and the findings citing it lose confidence."""
    corrections: list[str] = []
    excerpts: dict[str, str] = {}
    bad_excerpts: set[str] = set()
    for item in answer.evidence:
        if ledger.get(item.id) is None:
            corrections.append(f"dropped evidence {item.id!r}: no tool result has this id")
        elif item.excerpt.strip() and not excerpt_is_verbatim(ledger, item.id, item.excerpt):
            bad_excerpts.add(item.id)
            corrections.append(f"dropped the excerpt of {item.id}: the tool never returned that text")
        elif item.excerpt.strip() and item.id not in excerpts:
            excerpts[item.id] = item.excerpt.strip()

    cited_order: list[str] = []

    def checked(proposals: list[ProposedFinding]) -> list[Finding]:
        out = []
        for proposed in proposals:
            ids = list(dict.fromkeys(proposed.evidence))
            known = [i for i in ids if ledger.get(i) is not None]
            for unknown in set(ids) - set(known):
                corrections.append(f"finding {proposed.title!r}: dropped unknown evidence id {unknown!r}")
            confidence = proposed.confidence
            if any(i in bad_excerpts for i in known):
                confidence *= BAD_EXCERPT_FACTOR
                corrections.append(
                    f"finding {proposed.title!r}: confidence lowered, an excerpt was not verbatim"
                )
            if not known:
                confidence = min(confidence, UNSUPPORTED_CONFIDENCE_CAP)
            update = {"evidence": known, "confidence": round(confidence, 3)}
            out.append(Finding.model_validate(proposed.model_copy(update=update).model_dump()))
            cited_order.extend(known)
            for evidence_id in known:
                if evidence_id not in excerpts:
                    excerpts[evidence_id] = ledger.cite(
                        evidence_id, _needles(proposed), ledger.key_lines(evidence_id)
                    )
        return out

    findings = checked(answer.findings)
    elsewhere = checked(answer.elsewhere)

    listed = [item.id for item in answer.evidence if ledger.get(item.id) is not None]
    evidence = []
    for evidence_id in dict.fromkeys(cited_order + listed):
        excerpt = (  # an id listed without a quote: its proving lines, else its head
            excerpts.get(evidence_id)
            or ledger.cite(evidence_id, [], ledger.key_lines(evidence_id))
            or ledger.head(evidence_id)
        )
        evidence.append(ledger.evidence(evidence_id, excerpt))
    return CheckedAnswer(
        findings=findings,
        evidence=evidence,
        next_steps=check_next_steps(answer.next_steps),
        summary=answer.summary.strip(),
        corrections=corrections,
        answer=answer.answer,
        elsewhere=elsewhere,
    )


def excerpt_is_verbatim(ledger: Ledger, evidence_id: str, excerpt: str) -> bool:
    """Every line of the excerpt occurs in the tool's text; "..." may join pieces taken from it."""
    pieces = [piece for line in excerpt.splitlines() for piece in _ELLIPSIS.split(line) if piece.strip()]
    return bool(pieces) and all(ledger.verify_excerpt(evidence_id, piece) for piece in pieces)


def _needles(finding: ProposedFinding) -> list[str]:
    return [finding.resource.name]


def direct_answer(checked: CheckedAnswer, question: str) -> Answer:
    """The model's direct answer, with what the contract needs filled in when it left it out: the first
    sentence of its summary as the text, the kind of question as the router reads it, and no onset that
    is not an RFC 3339 time."""
    from app.diagnose.intent import read_intent
    from tools.contracts.kube.time import parse_time

    proposed = checked.answer
    first = _opening_sentence(checked.summary)
    if proposed is None:
        return Answer(text=first, intent=read_intent(question).intent)  # type: ignore[arg-type]
    since = proposed.since if proposed.since and parse_time(proposed.since) is not None else None
    healthy = proposed.subject_healthy
    if healthy and checked.findings:
        healthy = False  # a subject with findings is not healthy, whatever the model wrote
    return Answer(
        text=proposed.text.strip() or first,
        intent=proposed.intent,
        subject=proposed.subject,
        subject_healthy=healthy if proposed.subject is not None else None,
        verdict=proposed.verdict,
        since=since,
    )


def _opening_sentence(summary: str) -> str:
    """The summary's first sentence ("Yes." alone says too little: the next one comes with it)."""
    sentences = re.split(r"(?<=[.!?])\s+", summary.strip()) if summary.strip() else []
    text = ""
    for sentence in sentences:
        text = f"{text} {sentence}".strip()
        if len(text) >= 20:
            break
    return text


def build_diagnosis(
    checked: CheckedAnswer, *, question: str, cluster: str, answered_at: str, engine: str, stats: Stats
) -> Diagnosis:
    return Diagnosis(
        question=question,
        cluster=cluster,
        answered_at=answered_at,
        engine=engine,
        summary=checked.summary,
        answer=direct_answer(checked, question),
        findings=checked.findings,
        elsewhere=checked.elsewhere,
        evidence=checked.evidence,
        next_steps=checked.next_steps,
        stats=stats,
    )


def mark_fallback(diagnosis: Diagnosis, reason: str, model_text: str) -> Diagnosis:
    """Say plainly, in the summary, that the model's answer was not used and why."""
    summary = f"[Fallback: the model's answer could not be used ({reason}); "
    summary += f"the built-in diagnostician answered.] {diagnosis.summary}"
    model_text = " ".join(model_text.split())
    if model_text:
        summary += f' The model\'s own summary: "{model_text[:600]}"'
    return diagnosis.model_copy(update={"summary": summary})
