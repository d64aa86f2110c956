"""Merge a runbook's step results into the diagnostician's findings as cited evidence.

A step backs a finding when its output mentions the finding's culprit, or a name the step was asked
about that the finding also talks about (the workload, pod, node, service, peer). The excerpt is the
lines of the step's own text that carry those names: verbatim tool output, like every excerpt.
"""

from __future__ import annotations

import re

from tools.contracts.diagnosis import Diagnosis, Finding
from tools.contracts.evidence import Ledger

NAME_ARGS = ("name", "workload", "pod", "node", "source", "destination", "query", "container")
MAX_STEP_CITES = 3
MIN_NEEDLE = 3
_QUOTED = re.compile(r"'([^']{8,200})'|\"([^\"]{8,200})\"")


def cite_steps(diagnosis: Diagnosis, ledger: Ledger, step_ids: list[str]) -> Diagnosis:
    """``diagnosis`` with the steps' evidence added to the findings it supports."""
    evidence = list(diagnosis.evidence)
    known = {item.id for item in evidence}
    findings: list[Finding] = []
    for finding in diagnosis.findings:
        cites = list(finding.evidence)
        added = 0
        for evidence_id in step_ids:
            if evidence_id in cites or added >= MAX_STEP_CITES:
                continue
            excerpt = _excerpt(finding, ledger, evidence_id)
            if not excerpt:
                continue
            cites.append(evidence_id)
            added += 1
            if evidence_id not in known:
                known.add(evidence_id)
                evidence.append(ledger.evidence(evidence_id, excerpt))
        findings.append(finding.model_copy(update={"evidence": cites}))
    return in_order(diagnosis.model_copy(update={"findings": findings, "evidence": evidence}))


def in_order(diagnosis: Diagnosis) -> Diagnosis:
    """Evidence listed as it was read (e1, e2, ...): the steps' results come before what the engine read
    after them, in each finding's citations as in the evidence list."""

    def ordered(findings: list[Finding]) -> list[Finding]:
        return [f.model_copy(update={"evidence": sorted(f.evidence, key=_number)}) for f in findings]

    return diagnosis.model_copy(
        update={
            "findings": ordered(diagnosis.findings),
            "elsewhere": ordered(diagnosis.elsewhere),
            "evidence": sorted(diagnosis.evidence, key=lambda item: _number(item.id)),
        }
    )


def _excerpt(finding: Finding, ledger: Ledger, evidence_id: str) -> str:
    result = ledger.get(evidence_id)
    if result is None or not result.ok or not result.text:
        return ""
    needles = _needles(finding, result.args)
    if not any(needle in line for line in result.text.splitlines() for needle in needles):
        return ""
    return ledger.cite(evidence_id, needles)


def _needles(finding: Finding, args: dict) -> list[str]:
    about = f"{finding.title} {finding.explanation}"
    needles = [finding.resource.name]
    needles += [a or b for a, b in _QUOTED.findall(about)]  # the log line or message the finding quotes
    for key in NAME_ARGS:
        value = args.get(key)
        if isinstance(value, str) and len(value) >= MIN_NEEDLE and value in about:
            needles.append(value.split("/")[-1])
    return [n for n in dict.fromkeys(needles) if len(n) >= MIN_NEEDLE]


def _number(evidence_id: str) -> int:
    digits = evidence_id.lstrip("e")
    return int(digits) if digits.isdigit() else 0
