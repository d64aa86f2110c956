"""A partial answer names what it could not see: skipped snapshot files, an exhausted time budget."""

import shutil
from pathlib import Path

import pytest

from app.demo import SHOP_SNAPSHOT
from app.engine import ask, open_session
from app.toolset import call_tool
from tools.contracts.settings import Settings


@pytest.fixture(scope="module")
def shop_without_metrics(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("shop") / "shop"
    shutil.copytree(SHOP_SNAPSHOT, copy, ignore=shutil.ignore_patterns("metrics"))
    (copy / "resources" / "broken.yaml").write_text("kind: Pod\nmetadata: [unclosed\n")
    return copy


def test_skipped_snapshot_files_are_named_in_the_answer(shop_without_metrics):
    with open_session(Settings.load(llm="none"), snapshot=shop_without_metrics) as session:
        diagnosis = ask(session, "why does the payments pod keep restarting?").diagnosis
    assert diagnosis.findings[0].resource.name == "payments"  # the rest of the snapshot still answers
    assert "resources/broken.yaml" in diagnosis.summary
    assert "kubewhy snapshot check" in diagnosis.summary
    assert "prometheus: the snapshot has no metrics" in diagnosis.summary


def test_an_exhausted_time_budget_is_said_not_hidden(shop_without_metrics):
    settings = Settings.load(llm="none", question_timeout_s=0.0)
    with open_session(settings, snapshot=shop_without_metrics) as session:
        named = ask(session, "why does the payments pod keep restarting?").diagnosis
        review = ask(session, "anything wrong in the cluster?").diagnosis
    for diagnosis in (named, review):
        assert "time budget ran out" in diagnosis.summary
        assert diagnosis.findings == []  # nothing was read ...
        assert "look healthy" not in diagnosis.summary  # ... so nothing may be called healthy
    assert "There is no" not in named.summary  # and an unread name is not called missing


def test_terminal_control_characters_never_leave_a_tool(shop_without_metrics):
    log = shop_without_metrics / "logs" / "shop" / "catalog-z5wtmwrj8-5gcll" / "catalog.log"
    log.write_text("ok\x1b[2J\x1b[31mred\x07\tend\n")
    with open_session(Settings.load(llm="none"), snapshot=shop_without_metrics) as session:
        args = {"namespace": "shop", "pod": "catalog-z5wtmwrj8-5gcll"}
        result = call_tool(session.ctx, "k8s_logs", args)
    assert "okred\tend" in result.text
    assert "\x1b" not in result.text and "\x07" not in result.text
