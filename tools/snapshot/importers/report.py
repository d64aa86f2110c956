"""What an import read, what it skipped and why, and the capture time it settled on."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tools.contracts.kube.time import rfc3339
from tools.contracts.wording import plural


class ImportFailed(Exception):
    """The input cannot be imported at all; the message is the one line a person reads."""


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str


@dataclass
class ImportReport:
    format: str  # troubleshoot | cluster-info-dump | kubectl | must-gather | sonobuoy
    label: str  # "a troubleshoot.sh support bundle", for messages
    out: Path
    name: str
    captured_at: datetime
    captured_at_inferred: bool
    captured_at_source: str  # where the time came from, in words
    kinds: Counter[str] = field(default_factory=Counter)
    logs: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    kubernetes_version: str | None = None

    @property
    def objects(self) -> int:
        return sum(self.kinds.values())

    def to_json(self) -> dict[str, Any]:
        """The `kubewhy snapshot import --output json` document (contracts section 4)."""
        return {
            "format": self.format,
            "objects": self.objects,
            "logs": self.logs,
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "captured_at": rfc3339(self.captured_at),
            "captured_at_inferred": self.captured_at_inferred,
            "kinds": dict(sorted(self.kinds.items())),
            "kubernetes_version": self.kubernetes_version,
            "out": str(self.out),
        }

    def detected_line(self, source: Path | str) -> str:
        """One line for stderr: what the input was, and where "now" came from."""
        version = f", Kubernetes {self.kubernetes_version}" if self.kubernetes_version else ""
        what = f"detected {self.label} ({source}{version}): {self.objects} objects, {self.logs} logs"
        if self.captured_at_inferred:
            return f"{what}; capture time inferred from the newest timestamp: {rfc3339(self.captured_at)}" + (
                f" ({self.captured_at_source})" if self.captured_at_source else ""
            )
        return f"{what}; captured at {rfc3339(self.captured_at)} ({self.captured_at_source})"

    def skipped_line(self) -> str | None:
        """The skipped files grouped by reason, for stderr; None when nothing was skipped."""
        if not self.skipped:
            return None
        reasons = Counter(s.reason for s in self.skipped)
        parts = [f"{count} × {reason}" for reason, count in reasons.most_common(3)]
        more = f"; {plural(len(reasons) - 3, 'other reason')}" if len(reasons) > 3 else ""
        return f"skipped {plural(len(self.skipped), 'file')}: " + "; ".join(parts) + more
