"""The Runbooks and History pages (and "Save as runbook" on the chat page) driven through Streamlit's
AppTest on the bundled demo cluster: real snapshot API server, real Prometheus, a real SQLite history
database and a real runbook folder in a temporary directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.runbooks import load_file
from app.store import HistoryStore, current_user, diff_findings, finding_key, open_store, record_answer
from tests.ui.helpers import contains, plain
from tools.contracts.settings import Settings

pytestmark = pytest.mark.prometheus

PAYMENTS = "Why does the new payments pod keep restarting?"
RESTARTS = {"namespace": "shop", "workload": "payments"}


@dataclass
class Places:
    database_url: str
    runbooks_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return {"KUBEWHY_DATABASE_URL": self.database_url, "KUBEWHY_RUNBOOKS_DIR": str(self.runbooks_dir)}

    def store(self) -> HistoryStore:
        return open_store(Settings(database_url=self.database_url))


@pytest.fixture
def places(tmp_path: Path) -> Places:
    return Places(f"sqlite:///{tmp_path}/history.db", tmp_path / "runbooks")


def go(at: AppTest, url_path: str) -> AppTest:
    """Open a page of ``st.navigation``. The pages are functions, not files, so AppTest.switch_page (which
    takes a file) cannot name them: use the hash navigation registered for their url_path."""
    if not at._registered_pages:
        at.run()
    at._page_hash = next(
        page for page, info in at._registered_pages.items() if info.get("url_pathname") == url_path
    )
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(button for button in at.button if plain(button.label) == label).click().run()
    assert not at.exception, at.exception
    return at


def run_restarts(at: AppTest, **values: str) -> AppTest:
    """Pick the namespace, then the workload (its list follows the namespace), and run."""
    at.selectbox(key="rb-selected").set_value("pod-restarting").run()
    for name, value in values.items():
        at.selectbox(key=f"rb-param-pod-restarting-{name}").set_value(value).run()
    return click(at, "Run")


def errors(at: AppTest) -> list[str]:
    return [plain(item.value) for item in at.error]


def test_the_library_lists_bundled_and_user_runbooks_and_skips_a_broken_file(page, places):
    places.runbooks_dir.mkdir()
    bundled = Path("app/runbooks/builtin/pod-restarting.yaml").read_text()
    (places.runbooks_dir / "pod-restarting.yaml").write_text(bundled.replace("Pod keeps restarting", "Mine"))
    (places.runbooks_dir / "broken.yaml").write_text(
        "name: broken\ntitle: x\nsteps:\n  - tool: k8s_nothing\n"
    )
    at = go(page(**places.env), "runbooks")

    table = at.dataframe[0].value
    assert len(table) == 10 and {"pods-pending", "namespace-health"} <= set(table["name"])
    row = table[table["name"] == "pod-restarting"].iloc[0]
    assert (row["title"], row["from"]) == ("Mine", "user, overrides bundled")
    assert row["parameters"] == "namespace workload kind?"
    [problem] = errors(at)
    assert problem.startswith(f"{places.runbooks_dir / 'broken.yaml'}:4: unknown tool 'k8s_nothing'; known")
    options = at.selectbox(key="rb-selected").options
    assert "pod-restarting — Mine (user, overrides bundled)" in options


def test_a_bundled_runbook_runs_on_the_demo_and_is_stored(page, places):
    at = go(page(**places.env), "runbooks")
    assert at.selectbox(key="rb-selected").value == "dns-failing"  # the first, by name
    run_restarts(at, **RESTARTS)

    [status] = [s for s in at.status if s.label.startswith("Runbook pod-restarting")]
    assert status.state == "complete" and status.label.startswith("Runbook pod-restarting ran in")
    assert contains(status, "runbook step 3/6: k8s_logs")
    shown = [plain(m.value) for m in at.markdown]
    assert "Why do the pods of payments in namespace shop keep restarting?" in " ".join(shown)
    assert any(text.strip("*").startswith("payments is failing: payments keeps crashing") for text in shown)
    assert any(text.startswith("Runbook pod-restarting ran 6 of 6 steps.") for text in shown)
    assert any("badge[AppCrash]" in m.value for m in at.markdown)
    assert contains(at, "fix: Deployment shop/payments")
    labels = [plain(e.label) for e in at.expander]
    assert any(label.startswith("e1 · k8s_workload") for label in labels)
    assert any("panic: config: required environment variable STRIPE_API_KEY" in c.value for c in at.code)

    [run] = places.store().list_runs()
    assert (run.runbook, run.surface, run.user, run.cluster) == (
        "pod-restarting",
        "page",
        current_user(),
        "shop-prod",
    )
    assert run.runbook_params == {**RESTARTS, "kind": None}
    assert contains(at, f"Stored in the history as run #{run.id} (see the History page).")

    at.selectbox(key="rb-selected").set_value("dns-failing").run()  # the outcome stays with its runbook
    assert not any("Runbook pod-restarting ran" in plain(m.value) for m in at.markdown)
    at.selectbox(key="rb-selected").set_value("pod-restarting").run()
    assert any(
        text.startswith("Runbook pod-restarting ran 6 of 6") for text in (plain(m.value) for m in at.markdown)
    )


def test_a_missing_or_bad_parameter_is_an_error_and_nothing_runs(page, places):
    # a free-text copy of pod-restarting: its workload is typed, not picked (AppTest cannot type into a
    # picker), so a name the tools refuse can be sent
    places.runbooks_dir.mkdir()
    bundled = Path("app/runbooks/builtin/pod-restarting.yaml").read_text()
    typed = bundled.replace("name: pod-restarting", "name: typed-restarts", 1)
    typed = typed.replace("params.workload", "params.app").replace("- name: workload", "- name: app")
    (places.runbooks_dir / "typed-restarts.yaml").write_text(typed)
    at = go(page(**places.env), "runbooks")
    run_restarts(at, namespace="shop")
    assert any(
        e.startswith("**Bad parameter** — runbook pod-restarting needs workload=... (the Deployment")
        for e in errors(at)
    )
    at.selectbox(key="rb-selected").set_value("typed-restarts").run()
    at.selectbox(key="rb-param-typed-restarts-namespace").set_value("shop").run()
    at.text_input(key="rb-param-typed-restarts-app").set_value("Pay ments!")  # the tools refuse such a name
    click(at, "Run")
    shown = errors(at)
    assert "**Invalid runbook** — The runbook was refused before anything ran." in shown
    assert any(
        e.endswith(
            "typed-restarts.yaml: steps[3] (prom_check) with these parameters: workload: String should "
            "match pattern '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'"
        )
        for e in shown
    )
    assert not [s for s in at.status if s.label.startswith("Runbook")], "nothing may start"
    assert places.store().list_runs() == []


def test_validate_shows_the_file_and_line_of_each_problem_and_save_writes_a_valid_runbook(page, places):
    at = go(page(**places.env), "runbooks")
    at.selectbox(key="rb-selected").set_value("pod-restarting").run()
    editor = at.text_area(key="rb-yaml-pod-restarting")
    original = editor.value
    assert original.startswith("name: pod-restarting\n")

    broken = original.replace('{name: "{{ params.workload }}"', '{nmae: "{{ params.workload }}"').replace(
        "steps.rollout.ok and", "steps.rolout.ok and"
    )
    editor.set_value(broken)
    click(at, "Validate")
    problems = errors(at)
    numbered = broken.splitlines()
    typo = next(n for n, line in enumerate(numbered, 1) if "nmae" in line)
    condition = next(n for n, line in enumerate(numbered, 1) if "rolout" in line)
    assert problems == [
        "**3 problems** — nothing was saved",
        f"pod-restarting.yaml:{typo}: tool k8s_workload has no argument 'nmae' "
        "(arguments: name, namespace, kind)",
        f"pod-restarting.yaml:{typo}: tool k8s_workload needs the argument 'name'",
        f"pod-restarting.yaml:{condition}: steps.2.when: 'rolout' is not an earlier step's id "
        "(earlier steps: events, rollout)",
    ]
    click(at, "Save")
    assert not places.runbooks_dir.exists(), "an invalid runbook must not be saved"

    copy = original.replace("name: pod-restarting", "name: payments-restarts", 1) + "# my notes\n"
    at.text_area(key="rb-yaml-pod-restarting").set_value(copy)
    click(at, "Save")
    saved = places.runbooks_dir / "payments-restarts.yaml"
    assert saved.read_text() == copy  # as typed, comments kept
    assert load_file(saved).name == "payments-restarts"
    assert any("Saved " in plain(s.value) and "payments-restarts.yaml" in plain(s.value) for s in at.success)
    at.run()
    assert "payments-restarts — Pod keeps restarting (user)" in at.selectbox(key="rb-selected").options

    at.text_area(key="rb-yaml-pod-restarting").set_value(original.replace("Pod keeps", "Our pod keeps"))
    click(at, "Save")  # a bundled name: saved to the user's folder, where it overrides the bundled one
    assert any("It overrides the bundled runbook of that name." in plain(s.value) for s in at.success)
    assert load_file(places.runbooks_dir / "pod-restarting.yaml").title == "Our pod keeps restarting"
    at.run()
    assert (
        "pod-restarting — Our pod keeps restarting (user, overrides bundled)"
        in at.selectbox(key="rb-selected").options
    )


def test_suggestions_open_the_runbook_that_fits_the_question(page, places):
    at = go(page(**places.env), "runbooks")
    at.text_input(key="rb-question").set_value("why are orders failing at checkout?").run()
    suggested = [plain(b.label) for b in at.button if b.key and b.key.startswith("rb-suggest-")]
    # the words ("failing") fit several runbooks; a quick look at the cluster finds the policy that drops
    # checkout's traffic, so the runbook made for that comes first
    assert suggested[0] == "traffic-dropped — Traffic dropped between two workloads", suggested
    assert contains(
        at, "quick look at shop-prod: NetworkPolicyBlocked (NetworkPolicy data/postgres-allow-catalog)"
    )
    click(at, suggested[0])
    assert at.selectbox(key="rb-selected").value == "traffic-dropped"

    at.text_input(key="rb-question").set_value("why are the new checkout pods stuck pending?").run()
    suggested = [plain(b.label) for b in at.button if b.key and b.key.startswith("rb-suggest-")]
    # the words name pending pods; the cluster has none for checkout, whose traffic is dropped: both shown
    assert suggested[:2] == [
        "traffic-dropped — Traffic dropped between two workloads",
        "pods-pending — Pods stuck in Pending",
    ], suggested


def test_save_as_runbook_from_a_chat_answer_writes_a_runbook_that_runs(page, places):
    at = page(**places.env)
    at.run()
    at.chat_input[0].set_value(PAYMENTS).run()
    assert not at.exception
    [answer] = [m for m in at.chat_message if m.name == "assistant"]
    assert any(plain(e.label) == "Save as runbook" for e in answer.expander)
    [name_box] = [t for t in at.text_input if t.key == "save-name-t0"]
    name_box.set_value("Bad Name").run()
    assert any("runbook name 'Bad Name': use lower-case letters" in e for e in errors(at))
    at.text_input(key="save-name-t0").set_value("payments-crash").run()
    yaml_text = next(c.value for c in at.code if c.language == "yaml")
    assert yaml_text.startswith("name: payments-crash\n") and "{{ params.workload }}" in yaml_text
    click(at, "Save runbook")
    saved = places.runbooks_dir / "payments-crash.yaml"
    runbook = load_file(saved)
    assert [p.name for p in runbook.params] == ["workload"] and runbook.params[0].required
    assert runbook.question == "Why does the new {{ params.workload }} pod keep restarting?"
    assert any("kubewhy runbook run payments-crash workload=..." in plain(s.value) for s in at.success)

    [run] = places.store().list_runs()  # the chat answer went into the history too
    assert (run.surface, run.question, run.runbook) == ("page", PAYMENTS, None)

    go(at, "history")  # the same from the stored answer (its audit rows)
    at.text_input(key=f"save-name-h{run.id}").set_value("payments-crash-again").run()
    click(at, "Save runbook")
    again = load_file(places.runbooks_dir / "payments-crash-again.yaml")
    assert [step.tool for step in again.steps] == [step.tool for step in runbook.steps]
    assert again.description.startswith("Saved from the question on shop-prod:")

    go(at, "runbooks")
    at.selectbox(key="rb-selected").set_value("payments-crash").run()
    at.text_input(key="rb-param-payments-crash-workload").set_value("payments")
    click(at, "Run")
    assert contains(at, "fix: Deployment shop/payments")


def test_history_lists_filters_reopens_and_a_rerun_shows_what_changed(page, places):
    at = go(page(**places.env), "runbooks")
    run_restarts(at, **RESTARTS)
    store = places.store()
    [first] = store.list_runs()
    # an earlier answer of the same runbook that differed: a finding that is gone now, and one missing
    stored = first.diagnosis
    gone = stored.findings[0].model_copy(
        update={
            "title": "an old worry",
            "resource": stored.findings[0].resource.model_copy(update={"name": "legacy"}),
        }
    )
    new_since = stored.findings[0]  # the answer's own finding, missing from the earlier one
    earlier = stored.model_copy(
        update={"findings": [gone, *stored.findings[1:]], "summary": "An older answer."}
    )
    seeded = record_answer(
        Settings(database_url=places.database_url),
        user="alice",
        surface="cli",
        cluster=first.cluster,
        question=first.question,
        diagnosis=earlier,
        ledger=None,
        started_at=first.started_at,
        runbook="pod-restarting",
        runbook_params=first.runbook_params,
    )

    go(at, "history")
    table = at.dataframe[0].value
    assert list(table["run"]) == [seeded, first.id]
    assert list(table["user"]) == ["alice", current_user()]
    assert table["question"].iloc[0] == "runbook pod-restarting namespace=shop workload=payments"
    at.selectbox(key="history-surface").set_value("slack").run()
    assert [i.value for i in at.info] == ["No stored answer matches these filters."]
    at.selectbox(key="history-surface").set_value("All").run()
    at.selectbox(key="history-user").set_value("alice").run()
    assert list(at.dataframe[0].value["run"]) == [seeded]
    at.selectbox(key="history-user").set_value("All").run()
    at.text_input(key="history-text").set_value("STRIPE_API_KEY").run()  # searches the summaries
    assert list(at.dataframe[0].value["run"]) == [first.id]
    at.text_input(key="history-text").set_value("no such words anywhere").run()
    assert [i.value for i in at.info] == ["No stored answer matches these filters."]
    at.text_input(key="history-text").set_value("").run()

    # reopen the real run: its stored card and the tool calls from the audit log
    at.selectbox(key="history-open").set_value(first.id).run()
    assert contains(at, f"run #{first.id}") and contains(at, f"asked by {current_user()}")
    assert any("badge[AppCrash]" in m.value for m in at.markdown)
    calls = at.dataframe[1].value
    assert list(calls["tool"])[:3] == ["k8s_workload", "k8s_events", "k8s_logs"]

    # reopen the seeded one and run it again: the diff is against it (the last run with these parameters)
    at.selectbox(key="history-open").set_value(seeded).run()
    click(at, "Run this runbook again")
    [latest, *_] = store.list_runs()
    assert latest.id > seeded and latest.surface == "page"
    assert contains(at, f"The new answer is stored as run #{latest.id}.")
    assert contains(at, f"What changed since run #{seeded}")
    # what the page shows is the diff of the two stored answers: normally new_since is back, the old worry
    # gone, the rest unchanged (computed, not assumed, so a finding that comes and goes cannot fail this)
    expected = diff_findings(earlier, latest.diagnosis)
    assert gone in expected.resolved
    counts = (
        f":red-badge[{len(expected.added)} added] :green-badge[{len(expected.resolved)} resolved] "
        f":gray-badge[{len(expected.unchanged)} unchanged]"
    ).replace(":red-badge[0 ", ":gray-badge[0 ")
    assert counts in [m.value for m in at.markdown]
    shown = [plain(m.value) for m in at.markdown]
    resolved = shown.index(":green[**Resolved**] — gone since then")
    assert shown[resolved + 1].endswith("fix: Deployment shop/legacy] an old worry")
    back = [f for f in expected.added if finding_key(f) == finding_key(new_since)]
    if back:
        added = shown.index(":red[**Added**] — new since then")
        assert shown[added + 1].endswith(f"] {back[0].title}")
    at.run()  # the opened run, and what changed, stay on the page
    assert at.selectbox(key="history-open").value == seeded
    assert counts in [m.value for m in at.markdown]


def test_a_damaged_history_database_is_an_error_on_the_page(page, places, tmp_path):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 100)
    at = go(page(KUBEWHY_DATABASE_URL=f"sqlite:///{damaged}"), "history")
    assert any(
        "The history cannot be read:" in e and "damaged or not a SQLite database" in e for e in errors(at)
    )
