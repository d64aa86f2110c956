"""An alert that names an event is answered about that event first: when it last happened and whether it
goes on, then what is wrong with its subject now. On the demo, with the built-in diagnostician."""

from collections.abc import Iterator

import pytest

from app.demo import SHOP_SNAPSHOT
from app.engine import Session, ask, open_session
from tools.contracts.settings import Settings


@pytest.fixture(scope="module")
def demo() -> Iterator[Session]:
    with open_session(Settings.load(llm="none"), snapshot=SHOP_SNAPSHOT) as session:
        yield session


def test_an_oom_alert_says_when_the_kill_was_before_the_problem_now(demo):
    answer = ask(demo, "[FIRING:1] KubeContainerOOMKilled shop cart").diagnosis.answer
    assert answer.text.startswith("KubeContainerOOMKilled: cart-vwkph4t29-8lfpd was OOM-killed at 08:00")
    assert "nothing since. What is wrong with cart now: Service cart selects no pods" in answer.text


def test_an_alert_about_the_top_finding_reads_as_before(demo):
    answer = ask(demo, "KubePodCrashLooping payments").diagnosis.answer
    assert answer.text.startswith("payments is failing: payments keeps crashing")


def test_a_why_question_about_an_event_says_when_it_happened_first(demo):
    answer = ask(demo, "why did cart restart twice").diagnosis.answer
    assert answer.text.startswith("cart-vwkph4t29-8lfpd was OOM-killed at 08:00; nothing since.")
    assert "What is wrong with cart now: Service cart selects no pods" in answer.text
