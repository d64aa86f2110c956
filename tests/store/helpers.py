"""Small builders for store tests: a diagnosis and a ledger that look like a real answer."""

from __future__ import annotations

from datetime import UTC, datetime

from tools.contracts.diagnosis import Diagnosis, Evidence, Finding, ResourceRef, Stats
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolResult
from tools.contracts.wording import plural


def diagnosis(question: str = "why is checkout failing?", *findings: tuple[str, str, str]) -> Diagnosis:
    """findings: (category, kind, name) in namespace shop."""
    return Diagnosis(
        question=question,
        cluster="shop-prod",
        answered_at="2026-11-20T09:30:00Z",
        engine="offline",
        summary=plural(len(findings), "finding"),
        findings=[
            Finding(
                title=f"{name} is broken",
                category=category,
                resource=ResourceRef(kind=kind, namespace="shop", name=name),
                confidence=0.9,
                explanation="because",
                evidence=["e1"],
            )
            for category, kind, name in findings
        ],
        evidence=[Evidence(id="e1", source="kubernetes", tool="k8s_list", args={"kind": "Pod"}, excerpt="x")]
        if findings
        else [],
        stats=Stats(tool_calls=2, duration_s=0.5, input_tokens=120, output_tokens=30),
    )


def ledger() -> Ledger:
    book = Ledger()
    book.record(
        ToolResult(
            tool="k8s_list",
            args={"kind": "Pod", "namespace": "shop"},
            source="kubernetes",
            text="pods in shop: 2\ncheckout-1  0/1  CrashLoopBackOff",
            duration_s=0.02,
        )
    )
    book.record(
        ToolResult(
            tool="prom_query",
            args={"query": "up"},
            source="prometheus",
            text="error: down",
            error="prometheus is unavailable: not configured",
        )
    )
    return book


def record(
    settings: Settings, user: str = "alice", surface: str = "cli", question: str = "q", **kwargs
) -> int:
    from app.store import record_answer

    return record_answer(
        settings,
        user=user,
        surface=surface,
        cluster="shop-prod",
        question=question,
        diagnosis=kwargs.pop("diagnosis", None)
        or diagnosis(question, ("AppCrash", "Deployment", "checkout")),
        ledger=kwargs.pop("ledger", None) or ledger(),
        started_at=datetime.now(UTC),
        **kwargs,
    )


def settings_at(path) -> Settings:
    return Settings(database_url=f"sqlite:///{path}", llm="none")
