"""What changed between two diagnoses: findings added, resolved and unchanged, keyed by category and culprit
resource (titles and numbers may differ from run to run; the problem is the same).

"Resolved" is only said of two answers to the same question on the same cluster. A problem a run did not
ask about was not looked for, so it is not resolved: when the questions (or runbook parameters) or the
clusters differ, the diff says how, and lists the findings side by side (only in the first, only in the
second, in both) instead. A problem the later run still saw, though not as a finding about its subject
(it is among ``elsewhere``), is still there too.
"""

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
    differences: list[str] = field(default_factory=list)  # why the two are not the same check
    only_before: list[Finding] = field(default_factory=list)  # these three when they are not
    only_after: list[Finding] = field(default_factory=list)
    in_both: list[Finding] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        """Both answered the same question on the same cluster: added and resolved mean what they say."""
        return not self.differences

    @property
    def changed(self) -> bool:
        return bool(self.added or self.resolved or self.only_before or self.only_after)

    def as_dict(self) -> dict[str, Any]:
        def brief(f: Finding) -> dict[str, Any]:
            return {
                "category": f.category.value,
                "resource": f.resource.model_dump(),
                "title": f.title,
                "confidence": f.confidence,
            }

        return {
            "comparable": self.comparable,
            "differences": list(self.differences),
            "added": [brief(f) for f in self.added],
            "resolved": [brief(f) for f in self.resolved],
            "unchanged": [brief(f) for f in self.unchanged],
            "only_before": [brief(f) for f in self.only_before],
            "only_after": [brief(f) for f in self.only_after],
            "in_both": [brief(f) for f in self.in_both],
        }


def differences(before: Diagnosis, after: Diagnosis) -> list[str]:
    """How two answers differ in what they checked: the cluster, the question (a runbook's question is
    rendered from its parameters, so other parameters are another question)."""
    found = []
    if before.cluster != after.cluster:
        found.append(f"they are about different clusters: {before.cluster} and {after.cluster}")
    if _asked(before.question) != _asked(after.question):
        found.append(f"they asked different questions: {before.question!r} and {after.question!r}")
    return found


def _asked(question: str) -> str:
    return " ".join(question.lower().split()).rstrip("?.! ")


def diff_findings(before: Diagnosis, after: Diagnosis) -> FindingsDiff:
    """Findings of ``after`` that are new, findings of ``before`` that are gone, and those in both; or,
    when the two did not check the same thing, the findings of each side by side and why."""
    seen_before = {finding_key(f) for f in [*before.findings, *before.elsewhere]}
    seen_after = {finding_key(f) for f in [*after.findings, *after.elsewhere]}
    new = {finding_key(f): f for f in after.findings}
    old = {finding_key(f): f for f in before.findings}
    fresh = [f for key, f in new.items() if key not in seen_before]
    gone = [f for key, f in old.items() if key not in seen_after]
    kept = [f for key, f in new.items() if key in seen_before]
    kept += [f for key, f in old.items() if key not in new and key in seen_after]  # now seen elsewhere
    why = differences(before, after)
    if why:
        return FindingsDiff(differences=why, only_before=gone, only_after=fresh, in_both=kept)
    return FindingsDiff(added=fresh, resolved=gone, unchanged=kept)
