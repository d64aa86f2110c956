"""The History page through Streamlit's AppTest on the bundled demo cluster: the list keeps to the
sidebar's cluster by default and names each run's cluster; any two runs can be compared, and runs that
asked different questions (or are about different clusters) are never said to have "resolved" anything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.store import record_answer
from tests.store.helpers import diagnosis
from tests.ui.helpers import plain
from tests.ui.test_pages import Places, go
from tools.contracts.settings import Settings

pytestmark = pytest.mark.prometheus

POLICY = ("NetworkPolicyBlocked", "NetworkPolicy", "postgres-allow-catalog")
CRASH = ("AppCrash", "Deployment", "payments")
HERE = "shop-prod"  # the demo snapshot's cluster


@pytest.fixture
def places(tmp_path) -> Places:
    return Places(f"sqlite:///{tmp_path}/history.db", tmp_path / "runbooks")


def store(places: Places, cluster: str, question: str, *findings: tuple[str, str, str]) -> int:
    answer = diagnosis(question, *findings).model_copy(update={"cluster": cluster})
    return record_answer(
        Settings(database_url=places.database_url),
        user="ann",
        surface="cli",
        cluster=cluster,
        question=question,
        diagnosis=answer,
        ledger=None,
        started_at=datetime.now(UTC),
    )


def listed(at) -> list[tuple[int, str]]:
    table = at.dataframe[0].value
    return list(zip(table["run"], table["cluster"], strict=True))


def compare(at, first: int, second: int):
    at.selectbox(key="history-compare-a").set_value(first).run()
    at.selectbox(key="history-compare-b").set_value(second).run()
    assert not at.exception, at.exception
    return [plain(m.value) for m in at.markdown], [plain(w.value) for w in at.warning]


def test_the_list_keeps_to_the_sidebars_cluster(page, places):
    mine = store(places, HERE, "why is checkout failing?", POLICY)
    theirs = store(places, "eu-prod", "why is checkout failing?", POLICY)
    at = go(page(**places.env), "history")
    cluster = at.selectbox(key="history-cluster")
    assert cluster.value == HERE and cluster.format_func(HERE) == f"{HERE} (this cluster)"
    assert listed(at) == [(mine, HERE)]
    assert any(f"Runs on {HERE}, the cluster in the sidebar." in plain(c.value) for c in at.caption)

    cluster.set_value("All").run()
    assert listed(at) == [(theirs, "eu-prod"), (mine, HERE)]
    labels = [at.selectbox(key="history-open").format_func(i) for i in (theirs, mine)]
    assert f"#{theirs} · " in labels[0] and " · eu-prod · cli · " in labels[0]
    assert " · shop-prod · cli · " in labels[1]
    at.selectbox(key="history-cluster").set_value("eu-prod").run()
    assert listed(at) == [(theirs, "eu-prod")]


def test_no_run_on_this_cluster_points_to_the_others(page, places):
    store(places, "eu-prod", "why is checkout failing?", POLICY)
    at = go(page(**places.env), "history")
    assert [plain(i.value) for i in at.info] == [
        f"No answers stored for {HERE} yet. All clusters shows the runs on the others."
    ]


def test_compare_two_answers_to_the_same_question(page, places):
    first = store(places, HERE, "why is checkout failing?", POLICY, CRASH)
    second = store(places, HERE, "Why is checkout failing", POLICY)
    at = go(page(**places.env), "history")
    shown, warnings = compare(at, first, second)
    assert warnings == []
    assert f"Run #{first} ({HERE}) → run #{second} ({HERE})" in [s.strip("*") for s in shown]
    assert ":gray-badge[0 added] :green-badge[1 resolved] :gray-badge[1 unchanged]" in shown
    resolved = shown.index(":green[**Resolved**] — gone since then")
    assert shown[resolved + 1].endswith("fix: Deployment shop/payments] payments is broken")


def test_different_questions_are_side_by_side_never_resolved(page, places):
    checkout = store(places, HERE, "why are orders failing at checkout?", POLICY)
    payments = store(places, HERE, "why is payments down?", CRASH)
    at = go(page(**places.env), "history")
    shown, [warning] = compare(at, checkout, payments)
    assert "cannot be compared finding by finding: they asked different questions" in warning
    assert "a run only finds what it looks for" in warning
    assert not any("Resolved" in s for s in shown) and not any("resolved]" in s for s in shown)
    only_first = shown.index(f":blue[**Only in run #{checkout}**] — 1")
    assert shown[only_first + 1].endswith("] postgres-allow-catalog is broken")
    assert f":violet[**Only in run #{payments}**] — 1" in shown


def test_different_clusters_are_said(page, places):
    here = store(places, HERE, "why is checkout failing?", POLICY)
    there = store(places, "eu-prod", "why is checkout failing?")
    at = go(page(**places.env), "history")
    at.selectbox(key="history-cluster").set_value("All").run()
    _, [warning] = compare(at, here, there)
    assert f"they are about different clusters: {HERE} and eu-prod" in warning
