"""An onset question that names nothing ("did anything change before the crashes started?") still lists
what changed before the trouble, as one that names its subject does; each change cites its evidence."""

from __future__ import annotations

from app.engine import ask, open_session
from tools.contracts.settings import Settings


def test_the_changes_before_an_unnamed_onset_are_listed_and_cited(qa_built):
    snapshot = qa_built("typo-thumbnailer-crash")[0]
    with open_session(Settings.load(llm="none"), snapshot=snapshot) as session:
        diagnosis = ask(session, "did anything change before the crashes started?").diagnosis
    answer = diagnosis.answer
    assert answer.intent == "onset" and answer.subject is None and answer.since is not None
    assert "Changes in the 30 minutes before it:" in answer.text and "thumbnailer:2.1.0" in answer.text
    [change] = [c for c in answer.changes if c.kind == "rollout"]
    assert change.evidence and {e.id for e in diagnosis.evidence} >= set(change.evidence)
