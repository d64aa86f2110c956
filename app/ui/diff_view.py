"""What changed between two answers to the same runbook or question: findings added, resolved and
unchanged (keyed by category and culprit, as ``kubewhy history diff`` does)."""

from __future__ import annotations

import streamlit as st

from app.store import FindingsDiff, StoredRun
from app.ui.card import badge, category_color
from app.ui.safe import md
from tools.contracts.diagnosis import Finding

GROUPS = (
    ("added", "Added", "red", "new since then"),
    ("resolved", "Resolved", "green", "gone since then"),
    ("unchanged", "Unchanged", "gray", "still there"),
)


def render_diff(diff: FindingsDiff, before: StoredRun, key: str) -> None:
    when = before.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
    with st.container(border=True, key=f"diff-{key}"):
        st.markdown(f"**What changed since run \\#{before.id}** ({md(when)})")
        st.markdown(counts(diff))
        if not diff.changed:
            st.success("Nothing changed: the same findings as last time.")
        for field, title, color, note in GROUPS:
            findings: list[Finding] = getattr(diff, field)
            if findings:
                st.markdown(f":{color}[**{title}**] — {note}")
                for finding in findings:
                    st.markdown(_line(finding))


def counts(diff: FindingsDiff) -> str:
    """One line of badges, e.g. ``1 added · 1 resolved · 4 unchanged`` (compact on a phone too)."""
    shown = []
    for field, _title, color, _note in GROUPS:
        count = len(getattr(diff, field))
        shown.append(f":{color if count else 'gray'}-badge[{count} {field}]")
    return " ".join(shown)


def _line(finding: Finding) -> str:
    ref = finding.resource
    return " ".join(
        [
            "-",
            badge(finding.category.value, category_color(finding.category)),
            badge(f"fix: {ref}", "gray"),
            md(finding.title),
        ]
    )
