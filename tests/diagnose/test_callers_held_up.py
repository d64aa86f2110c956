"""A healthy subject whose callers are dropped on their way to it (the demo's postgres, behind a policy that
admits only catalog) is still healthy, and the answer says what stops its callers."""

from __future__ import annotations

import pytest

from app.demo import SHOP_SNAPSHOT
from app.engine import ask, open_session
from tools.contracts.settings import Settings


@pytest.mark.parametrize(
    ("question", "opening"), [("is postgres ok?", "Yes."), ("whats wrong with the db", "Nothing")]
)
def test_a_healthy_server_says_which_callers_never_reach_it(question, opening):
    with open_session(Settings.load(llm="none"), snapshot=SHOP_SNAPSHOT) as session:
        diagnosis = ask(session, question).diagnosis
    answer = diagnosis.answer
    assert answer.subject is not None and answer.subject.name == "postgres"
    assert answer.subject_healthy is True and diagnosis.findings == []
    assert answer.text.startswith(opening)
    assert (
        "But some of its callers never reach it: shop/checkout cannot reach data/postgres:5432" in answer.text
    )
    assert any(f.resource.name == "postgres-allow-catalog" for f in diagnosis.elsewhere)


def test_a_healthy_subject_nobody_is_kept_from_says_nothing_more():
    with open_session(Settings.load(llm="none"), snapshot=SHOP_SNAPSHOT) as session:
        answer = ask(session, "is redis ok?").diagnosis.answer
    assert answer.subject_healthy is True and "callers" not in answer.text
