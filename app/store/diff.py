"""What changed between two diagnoses of the same thing: findings added, resolved and unchanged, keyed by
category and culprit resource (titles and numbers may differ from run to run; the problem is the same)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.contracts.diagnosis import Diagnosis, Finding

Key = tuple[str, str, str, str]


def finding_key(finding: Finding) -> Key:
    ref = finding.resource
    return (finding.category.value, ref.kind, ref.namespace or "", ref.name)


@dataclass
class FindingsDiff:
    added: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.resolved)

    def as_dict(self) -> dict[str, Any]:
        def brief(f: Finding) -> dict[str, Any]:
            return {
                "category": f.category.value,
                "resource": f.resource.model_dump(),
                "title": f.title,
                "confidence": f.confidence,
            }

        return {
            "added": [brief(f) for f in self.added],
            "resolved": [brief(f) for f in self.resolved],
            "unchanged": [brief(f) for f in self.unchanged],
        }


def diff_findings(before: Diagnosis, after: Diagnosis) -> FindingsDiff:
    """Findings of ``after`` that are new, findings of ``before`` that are gone, and those in both."""
    old = {finding_key(f): f for f in before.findings}
    new = {finding_key(f): f for f in after.findings}
    return FindingsDiff(
        added=[f for key, f in new.items() if key not in old],
        resolved=[f for key, f in old.items() if key not in new],
        unchanged=[f for key, f in new.items() if key in old],
    )
