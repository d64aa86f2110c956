"""`kubewhy history list` keeps to the current cluster by default and names each run's cluster;
`kubewhy history diff A B` compares any two stored answers and says when they did not ask the same thing
(or were about different clusters) instead of calling a problem resolved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.demo import SHOP_SNAPSHOT
from app.store import record_answer
from tests.store.helpers import diagnosis
from tools.contracts.settings import Settings

runner = CliRunner()
POLICY = ("NetworkPolicyBlocked", "NetworkPolicy", "postgres-allow-catalog")
KUBECONFIG = """apiVersion: v1
kind: Config
current-context: staging
contexts:
- name: staging
  context: {cluster: staging, user: me}
- name: eu-prod
  context: {cluster: eu, user: me}
clusters:
- name: staging
  cluster: {server: "https://127.0.0.1:1"}
- name: eu
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: me
  user: {token: not-a-secret}
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "KUBEWHY_DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}",
        "KUBEWHY_LLM": "none",
        "KUBECONFIG": str(tmp_path / "no-such-kubeconfig"),
    }


def kubewhy(env: dict[str, str], *args: str, code: int = 0):
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def store(env: dict[str, str], cluster: str, question: str, *findings: tuple[str, str, str]) -> int:
    settings = Settings(database_url=env["KUBEWHY_DATABASE_URL"])
    answer = diagnosis(question, *findings).model_copy(update={"cluster": cluster})
    return record_answer(
        settings,
        user="ann",
        surface="cli",
        cluster=cluster,
        question=question,
        diagnosis=answer,
        ledger=None,
        started_at=datetime.now(UTC),
    )


@pytest.fixture
def three_clusters(env, tmp_path: Path) -> dict[str, str]:
    store(env, "shop-prod", "why is checkout failing?", POLICY)
    store(env, "staging", "why is checkout failing?")
    store(env, "eu-prod", "why is checkout failing?", POLICY)
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    return {**env, "KUBECONFIG": str(tmp_path / "kubeconfig")}


def clusters_listed(env: dict[str, str], *args: str) -> list[str]:
    doc = json.loads(kubewhy(env, "history", "list", *args, "-o", "json").stdout)
    return [run["cluster"] for run in doc]


def test_list_keeps_to_the_current_cluster(three_clusters) -> None:
    env = three_clusters
    assert clusters_listed(env) == ["staging"]  # the kubeconfig's current context
    assert clusters_listed(env, "--context", "eu-prod") == ["eu-prod"]
    assert clusters_listed(env, "--snapshot", str(SHOP_SNAPSHOT)) == ["shop-prod"]  # the demo's name
    assert clusters_listed(env, "--all-clusters") == ["eu-prod", "staging", "shop-prod"]
    assert clusters_listed(env, "-A", "--search", "checkout") == ["eu-prod", "staging", "shop-prod"]
    assert clusters_listed(env, "--cluster", "shop-prod") == ["shop-prod"]
    listed = kubewhy(env, "history", "list")
    assert "runs on staging (--all-clusters for every cluster)" in listed.stderr
    [line] = listed.stdout.splitlines()
    assert "ann@cli  staging  why is checkout failing?" in line
    assert "staging" in kubewhy(env, "history").stdout  # no subcommand: the same list


def test_no_kubeconfig_lists_every_cluster_and_says_why(three_clusters) -> None:
    env = {**three_clusters, "KUBECONFIG": three_clusters["KUBECONFIG"] + ".missing"}
    listed = kubewhy(env, "history", "list")
    assert "no current cluster" in listed.stderr and "every cluster" in listed.stderr
    assert [line.split()[4] for line in listed.stdout.splitlines()] == ["eu-prod", "staging", "shop-prod"]


def test_list_refuses_two_cluster_choices(three_clusters) -> None:
    result = kubewhy(three_clusters, "history", "list", "--cluster", "x", "--all-clusters", code=2)
    assert "not both" in result.stderr and result.stdout == ""


def test_diff_of_two_stored_answers(env) -> None:
    first = store(
        env, "shop-prod", "why is checkout failing?", POLICY, ("AppCrash", "Deployment", "payments")
    )
    second = store(env, "shop-prod", "why is checkout failing?", POLICY)
    doc = json.loads(kubewhy(env, "history", "diff", str(first), str(second), "-o", "json").stdout)
    assert doc["comparable"] is True and doc["differences"] == []
    assert [f["resource"]["name"] for f in doc["resolved"]] == ["payments"]
    assert (doc["before"], doc["after"], doc["clusters"]) == (first, second, ["shop-prod", "shop-prod"])
    # --against (the older spelling) is the same; the same id twice too; two different ones are refused
    assert (
        json.loads(kubewhy(env, "history", "diff", str(first), "--against", str(second), "-o", "json").stdout)
        == doc
    )
    kubewhy(env, "history", "diff", str(first), str(second), "--against", str(second))
    refused = kubewhy(env, "history", "diff", str(first), str(second), "--against", str(first), code=2)
    assert "not both" in refused.stderr
    assert "no answer with id 99" in kubewhy(env, "history", "diff", str(first), "99", code=2).stderr
    text = kubewhy(env, "history", "diff", str(first), str(second)).stdout
    assert text.splitlines()[0].startswith(f"#{first} ") and "on shop-prod" in text
    assert "resolved: 1" in text and "- [AppCrash] Deployment shop/payments" in text


def test_diff_across_clusters_says_so(env) -> None:
    here = store(env, "shop-prod", "why is checkout failing?", POLICY)
    there = store(env, "eu-prod", "why is checkout failing?")
    text = kubewhy(env, "history", "diff", str(here), str(there)).stdout
    assert "they are about different clusters: shop-prod and eu-prod" in text
    assert "  resolved: " not in text and f"only in #{here}: 1" in text


def test_diff_of_two_real_answers_to_different_questions(env) -> None:
    """On the demo: the checkout question finds the NetworkPolicy, the payments question finds the crash.
    Compared finding by finding the policy would look "resolved"; it is not, and the payments answer even
    saw it (elsewhere)."""
    for question in ("why are orders failing at checkout?", "why is payments down?"):
        kubewhy(env, "ask", question, "--snapshot", str(SHOP_SNAPSHOT), "-o", "json")
    doc = json.loads(kubewhy(env, "history", "diff", "1", "2", "-o", "json").stdout)
    assert doc["comparable"] is False and doc["resolved"] == [] and doc["added"] == []
    assert any("different questions" in why for why in doc["differences"])
    both = {f["resource"]["name"] for f in doc["in_both"]}
    assert "postgres-allow-catalog" in both and "payments" in both
    text = kubewhy(env, "history", "diff", "1", "2").stdout
    assert "cannot be compared finding by finding" in text and "a run only finds what it looks for" in text
