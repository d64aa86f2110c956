"""Run a question through the real pipeline and judge the diagnosis against a scenario's ground truth.

Shared by the scenario tests and ``bench/accuracy.py`` so both judge exactly the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.diagnose.engine import diagnose
from app.engine import Session, check_question, open_session
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings


@dataclass
class Answer:
    diagnosis: Diagnosis
    ledger: Ledger
    seconds: float


@dataclass
class Verdict:
    top1: bool
    top3: bool
    contract: list[str] = field(default_factory=list)  # contract problems; empty when the document is sound
    distractor_blamed: list[str] = field(default_factory=list)
    got: str = ""

    @property
    def passed(self) -> bool:
        return self.top1 and not self.contract and not self.distractor_blamed


def open_snapshot(snapshot: str | Path) -> Session:
    """A session on a snapshot with the built-in diagnostician (no model), as `kubewhy ask --llm none`."""
    return open_session(Settings.load(llm="none"), snapshot=snapshot)


def ask_with_ledger(session: Session, question: str, namespace: str | None = None) -> Answer:
    """What ``app.engine.ask`` does with no model, keeping the evidence ledger so excerpts can be checked
    against the tool results they came from."""
    text = check_question(question, session.settings)
    ledger = Ledger()
    started = time.perf_counter()
    diagnosis = diagnose(session.ctx, text, namespace=namespace, ledger=ledger)
    return Answer(diagnosis, ledger, time.perf_counter() - started)


def contract_problems(answer: Answer) -> list[str]:
    """Contract section 2: ids resolve, every excerpt is non-empty text its tool really returned."""
    diagnosis, ledger = answer.diagnosis, answer.ledger
    problems = list(diagnosis.contract_problems())
    for item in diagnosis.evidence:
        result = ledger.get(item.id)
        if result is None:
            problems.append(f"evidence {item.id} is not a recorded tool result")
            continue
        if item.tool != result.tool or item.args != result.args:
            problems.append(f"evidence {item.id} names {item.tool} {item.args}, the ledger has {result.tool}")
        if not item.excerpt.strip():
            problems.append(f"evidence {item.id} has an empty excerpt")
        elif not ledger.verify_excerpt(item.id, item.excerpt):
            problems.append(f"evidence {item.id} excerpt is not verbatim output of {item.tool}")
    for finding in diagnosis.findings:
        if not finding.evidence:
            problems.append(f"finding {finding.title!r} cites no evidence")
    return problems


def _ref_key(ref: Any) -> tuple[str, str | None, str]:
    if isinstance(ref, dict):
        return (ref["kind"], ref.get("namespace"), ref["name"])
    return (ref.kind, ref.namespace, ref.name)


def is_match(finding: Any, culprit: dict[str, Any], category: str) -> bool:
    return _ref_key(finding.resource) == _ref_key(culprit) and finding.category.value == category


def judge(answer: Answer, truth: dict[str, Any]) -> Verdict:
    """Top-1/top-3 (culprit and category both right; healthy: no finding at all), contract, distractors."""
    findings = answer.diagnosis.findings
    got = "; ".join(f"{f.category.value} {f.resource}" for f in findings[:3]) or "no findings"
    if truth.get("healthy"):
        ok = not findings
        verdict = Verdict(top1=ok, top3=ok, got=got)
    else:
        culprit, category = truth["culprit"], truth["category"]
        verdict = Verdict(
            top1=bool(findings) and is_match(findings[0], culprit, category),
            top3=any(is_match(f, culprit, category) for f in findings[:3]),
            got=got,
        )
    verdict.contract = contract_problems(answer)
    if findings:
        top = findings[0]
        for item in truth.get("distractors", []):
            # A distractor with a category is blamed when the top finding names it under that category (its
            # object may also be a symptom of the real cause); one without, whenever it is the top culprit.
            same = _ref_key(top.resource) == _ref_key(item) and (
                not item.get("category") or top.category.value == item["category"]
            )
            if same and (truth.get("healthy") or not is_match(top, truth["culprit"], truth["category"])):
                verdict.distractor_blamed.append(f"{top.category.value} {top.resource}: {item['why']}")
    return verdict
