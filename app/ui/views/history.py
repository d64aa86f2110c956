"""History: earlier questions and their diagnoses from the run store (filled in by the history work)."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    st.title("History")
    st.info(
        "Past questions and their diagnoses will be listed here once runs are stored. "
        "This browser tab's conversation is on the Chat page."
    )
