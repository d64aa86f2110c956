"""What changed between two answers: findings added, resolved and unchanged (keyed by category and culprit,
as ``kubewhy history diff`` does). When the two asked different questions or are about different
clusters, it says so and shows their findings side by side: nothing is called resolved that the other run
did not look for."""

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
SIDE_BY_SIDE = (
    ("only_before", "Only in run #{before}", "blue"),
    ("only_after", "Only in run #{after}", "violet"),
    ("in_both", "In both", "gray"),
)


def render_diff(diff: FindingsDiff, before: StoredRun, key: str, after: StoredRun | None = None) -> None:
    """The diff of ``before`` and a later answer (``after``, when it is a stored run)."""
    when = before.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
    with st.container(border=True, key=f"diff-{key}"):
        if after is None:
            st.markdown(f"**What changed since run \\#{before.id}** ({md(when)})")
        else:
            st.markdown(
                f"**Run \\#{before.id} ({md(before.cluster)}) → run \\#{after.id} ({md(after.cluster)})**"
            )
        if not diff.comparable:
            _side_by_side(diff, before, after)
            return
        st.markdown(counts(diff))
        if not diff.changed:
            st.success("Nothing changed: the same findings as last time.")
        for field, title, color, note in GROUPS:
            findings: list[Finding] = getattr(diff, field)
            if findings:
                st.markdown(f":{color}[**{title}**] — {note}")
                for finding in findings:
                    st.markdown(_line(finding))


def _side_by_side(diff: FindingsDiff, before: StoredRun, after: StoredRun | None) -> None:
    reasons = "; ".join(diff.differences)
    st.warning(
        md(
            f"These runs cannot be compared finding by finding: {reasons}. So nothing is called added or "
            "resolved: a run only finds what it looks for."
        ),
        icon=":material/compare_arrows:",
    )
    later = str(after.id) if after is not None else "new"
    for field, title, color in SIDE_BY_SIDE:
        findings: list[Finding] = getattr(diff, field)
        heading = title.format(before=before.id, after=later).replace("#", "\\#")
        st.markdown(f":{color}[**{heading}**] — {len(findings)}")
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
