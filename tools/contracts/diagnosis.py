"""The diagnosis document (contracts section 2): what every engine and surface produces and prints."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class Category(StrEnum):
    """Finding categories (contracts section 3). Extend only by adding names."""

    AppCrash = "AppCrash"
    OOMKilled = "OOMKilled"
    ImagePull = "ImagePull"
    MissingConfig = "MissingConfig"
    ProbeFailure = "ProbeFailure"
    InsufficientResources = "InsufficientResources"
    SchedulingConstraint = "SchedulingConstraint"
    StorageProvisioning = "StorageProvisioning"
    VolumeAttach = "VolumeAttach"
    VolumeFull = "VolumeFull"
    QuotaExceeded = "QuotaExceeded"
    ServiceNoEndpoints = "ServiceNoEndpoints"
    ServicePortMismatch = "ServicePortMismatch"
    NetworkPolicyBlocked = "NetworkPolicyBlocked"
    DNSFailure = "DNSFailure"
    IngressMisconfig = "IngressMisconfig"
    CPUThrottling = "CPUThrottling"
    AutoscalingLimit = "AutoscalingLimit"
    DisruptionBudget = "DisruptionBudget"
    NodeNotReady = "NodeNotReady"
    NodePressure = "NodePressure"
    NetworkCapacity = "NetworkCapacity"
    CertificateExpired = "CertificateExpired"
    RBACForbidden = "RBACForbidden"
    PerformanceRegression = "PerformanceRegression"
    Other = "Other"


EvidenceSource = Literal["kubernetes", "prometheus", "flows", "logs"]


class ResourceRef(BaseModel):
    kind: str
    namespace: str | None = None
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


class Finding(BaseModel):
    title: str
    category: Category
    resource: ResourceRef
    confidence: float = Field(ge=0.0, le=1.0)
    explanation: str
    evidence: list[str] = []


class Evidence(BaseModel):
    id: str
    source: EvidenceSource
    tool: str
    args: dict[str, Any] = {}
    excerpt: str


UNCHECKED = "suggested by the model, not checked"  # how every surface labels an unchecked command


class NextStep(BaseModel):
    """A suggestion for a person; kubewhy never runs it. ``checked`` is true only when kubewhy wrote the
    command itself or parsed it as a known command (``app.agent.next_steps``): a model's other commands are
    shown as text under :data:`UNCHECKED`, never as a block to copy. False unless someone checked."""

    description: str
    command: str | None = None
    checked: bool = False


class Change(BaseModel):
    """Something that changed in the half hour before the onset (added for issue 17): a rollout, a policy,
    config or Service edit, autoscaling or a node event, a Service's traffic stepping. ``kind`` groups them
    on a timeline; ``evidence`` holds the ids of the evidence that shows it, where a finding cites it."""

    at: str  # RFC 3339
    what: str
    kind: str = "object"  # rollout, config, policy, service, storage, scaling, node, traffic, object
    evidence: list[str] = []


Intent = Literal["diagnose", "status", "occurrence", "onset", "remediation", "ranking", "review"]
Verdict = Literal["yes", "no", "unknown"]


class Answer(BaseModel):
    """The direct answer (contracts section 2, added 2026-12-02): what a person reads first, in the
    question's own terms, and what kind of question it was about which object."""

    text: str = ""
    intent: Intent = "review"
    subject: ResourceRef | None = None
    subject_healthy: bool | None = None
    verdict: Verdict | None = None
    since: str | None = None  # RFC 3339 onset of the trouble asked about, where it is known
    changes: list[Change] = []  # what changed before ``since``, oldest first (empty without an onset)


class Stats(BaseModel):
    tool_calls: int = 0
    duration_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0  # of input_tokens, read from the provider's prompt cache
    cost_usd: float | None = None  # under the price table; None when the model has no price

    def plus(self, other: Stats) -> Stats:
        """Running totals of a conversation: counts add up; the cost is known if either is."""
        costs = [cost for cost in (self.cost_usd, other.cost_usd) if cost is not None]
        return Stats(
            tool_calls=self.tool_calls + other.tool_calls,
            duration_s=round(self.duration_s + other.duration_s, 3),
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cost_usd=round(sum(costs), 6) if costs else None,
        )


class Diagnosis(BaseModel):
    question: str
    cluster: str
    answered_at: str
    engine: str
    summary: str
    answer: Answer = Answer()
    findings: list[Finding] = []
    elsewhere: list[Finding] = []  # problems the question did not ask about, ranked; never "the cause"
    evidence: list[Evidence] = []
    next_steps: list[NextStep] = []
    stats: Stats = Stats()

    def contract_problems(self) -> list[str]:
        """Violations of the contract's cross-references (every cited id must exist)."""
        ids = {item.id for item in self.evidence}
        problems = []
        for finding in [*self.findings, *self.elsewhere]:
            for ref in finding.evidence:
                if ref not in ids:
                    problems.append(f"finding {finding.title!r} cites unknown evidence {ref!r}")
        return problems


class SourceFailed(Exception):
    """A data source failed so badly that no diagnosis can be made (contracts section 2: exit status 3)."""
