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
from tools.contracts.diagnosis import Category, Diagnosis, Evidence, Finding, NextStep, ResourceRef, Stats
from tools.contracts.evidence import Ledger

BAD_EXCERPT_FACTOR = 0.6  # a finding whose quote the tools never returned is less certain
UNSUPPORTED_CONFIDENCE_CAP = 0.3  # a finding left with no evidence at all
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


class AnswerError(Exception):
    """The final answer is not usable; the message is what the model is told when it may retry."""


class ProposedEvidence(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(description="e.g. e3")
    excerpt: str = Field("", description="decisive lines, verbatim")


class ProposedFinding(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str
    category: Category
    resource: ResourceRef = Field(description="the object to fix")
    confidence: float = Field(ge=0.0, le=1.0)
    explanation: str
    evidence: list[str] = Field(default_factory=list, description="evidence ids")


class FinalAnswer(BaseModel):
    """The final answer: a diagnosis that cites evidence ids from the tool results."""

    model_config = ConfigDict(extra="ignore")
    summary: str = Field(description="plain words, a few sentences")
    findings: list[ProposedFinding] = Field(default_factory=list, description="root cause first")
    evidence: list[ProposedEvidence] = Field(default_factory=list)
    next_steps: list[ProposedNextStep] = Field(default_factory=list)


def final_answer_tool() -> dict[str, Any]:
    """The ``final_answer`` function a model calls to finish (OpenAI tool format)."""
    schema = FinalAnswer.model_json_schema()
    schema.pop("description", None)  # the function's description already says it
    schema.get("$defs", {}).get("Category", {}).pop("description", None)  # a note for developers
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
    findings = []
    for finding in raw.get("findings") or []:
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
    raw["findings"] = findings
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

    findings: list[Finding] = []
    cited_order: list[str] = []
    for proposed in answer.findings:
        ids = list(dict.fromkeys(proposed.evidence))
        known = [i for i in ids if ledger.get(i) is not None]
        for unknown in set(ids) - set(known):
            corrections.append(f"finding {proposed.title!r}: dropped unknown evidence id {unknown!r}")
        confidence = proposed.confidence
        if any(i in bad_excerpts for i in known):
            confidence *= BAD_EXCERPT_FACTOR
            corrections.append(f"finding {proposed.title!r}: confidence lowered, an excerpt was not verbatim")
        if not known:
            confidence = min(confidence, UNSUPPORTED_CONFIDENCE_CAP)
        findings.append(
            proposed.model_copy(update={"evidence": known, "confidence": round(confidence, 3)}).model_dump()
        )
        cited_order.extend(known)
        for evidence_id in known:
            if evidence_id not in excerpts:
                excerpts[evidence_id] = ledger.cite(evidence_id, _needles(proposed))

    listed = [item.id for item in answer.evidence if ledger.get(item.id) is not None]
    evidence = []
    for evidence_id in dict.fromkeys(cited_order + listed):
        excerpt = excerpts.get(evidence_id) or ledger.cite(evidence_id, [])
        evidence.append(ledger.evidence(evidence_id, excerpt))
    return CheckedAnswer(
        findings=[Finding.model_validate(f) for f in findings],
        evidence=evidence,
        next_steps=check_next_steps(answer.next_steps),
        summary=answer.summary.strip(),
        corrections=corrections,
    )


def excerpt_is_verbatim(ledger: Ledger, evidence_id: str, excerpt: str) -> bool:
    """Every line of the excerpt occurs in the tool's text; "..." may join pieces taken from it."""
    pieces = [piece for line in excerpt.splitlines() for piece in _ELLIPSIS.split(line) if piece.strip()]
    return bool(pieces) and all(ledger.verify_excerpt(evidence_id, piece) for piece in pieces)


def _needles(finding: ProposedFinding) -> list[str]:
    return [finding.resource.name]


def build_diagnosis(
    checked: CheckedAnswer, *, question: str, cluster: str, answered_at: str, engine: str, stats: Stats
) -> Diagnosis:
    return Diagnosis(
        question=question,
        cluster=cluster,
        answered_at=answered_at,
        engine=engine,
        summary=checked.summary,
        findings=checked.findings,
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
