"""The page behind the sign-in proxy: the user comes from exactly one value of the configured header, a
request without it is refused before anything renders, and that user is what the history records."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from app.ui.identity import MAX_USER_CHARS, user_from_header
from tools.contracts.settings import Settings


def test_the_user_is_one_clean_value_of_the_header():
    assert user_from_header(["alice@example.com"]) == "alice@example.com"
    assert user_from_header(["alice@example.com", "alice@example.com"]) == "alice@example.com"
    assert user_from_header([" alice@example.com\u202e\x00 "]) == "alice@example.com"
    for refused in (
        [],
        [""],
        ["  "],
        ["alice@example.com", "mallory@example.com"],
        ["a" * (MAX_USER_CHARS + 1)],
    ):
        assert user_from_header(refused) is None, refused


def _page(auth_header: str | None) -> None:
    import streamlit as st

    from app.ui.identity import require_sign_in
    from tools.contracts.settings import Settings

    require_sign_in(Settings(auth_header=auth_header))
    st.markdown("the cluster's answers")


def test_a_request_around_the_proxy_is_refused_before_anything_renders():
    from streamlit import config

    previous = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")  # as in the pod, behind the proxy sidecar
    try:
        app = AppTest.from_function(_page, args=("X-Forwarded-Email",)).run()
    finally:
        config.set_option("server.address", previous)
    assert [e.value for e in app.error] and "Sign-in required" in app.error[0].value
    assert not [m.value for m in app.markdown if "answers" in m.value]


def test_without_a_proxy_configured_the_page_is_open_locally():
    app = AppTest.from_function(_page, args=(None,)).run()
    assert not app.error and [m.value for m in app.markdown if "answers" in m.value]


def test_the_history_records_the_signed_in_user(tmp_path):
    from app.store import open_store, record_answer_safely
    from tools.contracts.diagnosis import Diagnosis

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'history.db'}")
    diagnosis = Diagnosis(
        question="q", cluster="c", answered_at="2026-11-20T09:30:00Z", engine="offline", summary="s"
    )
    user = user_from_header(["alice@example.com"])
    warnings: list[str] = []
    run_id = record_answer_safely(
        settings,
        warn=warnings.append,
        user=user,
        surface="page",
        cluster="c",
        question="q",
        diagnosis=diagnosis,
        ledger=None,
        started_at=datetime.now(UTC),
    )
    assert run_id is not None and warnings == []
    assert open_store(settings).get_run(run_id).user == "alice@example.com"
