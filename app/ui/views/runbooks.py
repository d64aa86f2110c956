"""Runbooks: saved, named investigations to run on demand (filled in by the runbooks work)."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    st.title("Runbooks")
    st.info(
        "Saved diagnostic runbooks will be listed here, to run with a click on the cluster in the sidebar. "
        "Until then, run them from the command line: `kubewhy runbook list`, `kubewhy runbook run NAME`."
    )
