"""Not paying twice for what the model has already read in this question.

A tool's output often repeats lines an earlier result showed (``k8s_describe`` prints an object's events;
``k8s_events`` then lists them again). The model gets each such run of lines once: later, the run is
replaced by a one-line reference to the evidence id that showed it. The ledger keeps every result whole,
so a quote checked against the later id still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.contracts.wording import plural

MIN_LINE_CHARS = 40  # short lines (headers, "Events:") are cheap and ambiguous: always kept
# Tools whose output quotes other tools' output (the diagnostician's "seen in ..." lines): a quote is
# second-hand, so the tool it came from still shows the line in its own context, and is not folded.
QUOTING_TOOLS = frozenset({"health_checks"})


@dataclass
class SeenLines:
    """The long lines already handed to the model, each with the evidence id that first showed it."""

    first_shown: dict[str, str] = field(default_factory=dict)

    def fold(self, tool: str, text: str, evidence_id: str) -> str:
        """``text`` with runs of already-shown lines replaced by a reference; remembers the new lines."""
        if tool in QUOTING_TOOLS:
            return text
        out: list[str] = []
        run: list[str] = []  # evidence ids of the current run of repeated lines

        def close_run() -> None:
            if run:
                ids = ", ".join(dict.fromkeys(run))
                out.append(f"  ({plural(len(run), 'line')} as already shown in {ids})")
                run.clear()

        for line in text.splitlines():
            key = line.strip()
            earlier = self.first_shown.get(key) if len(key) >= MIN_LINE_CHARS else None
            if earlier is not None and earlier != evidence_id:
                run.append(earlier)
                continue
            close_run()
            out.append(line)
            if len(key) >= MIN_LINE_CHARS:
                self.first_shown.setdefault(key, evidence_id)
        close_run()
        return "\n".join(out)
