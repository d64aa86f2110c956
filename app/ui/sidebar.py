"""The sidebar: which cluster, which namespaces, which data sources answer (and why not), which engine,
the budgets, and the new-conversation button."""

from __future__ import annotations

from datetime import UTC

import streamlit as st

from app.engine import Session
from app.render import snapshot_note
from app.sessions import Target
from app.ui import runtime, state
from app.ui.safe import md, md_line
from tools.contracts.settings import Settings

SOURCE_TITLES = {"kubernetes": "Kubernetes", "prometheus": "Prometheus", "flows": "Network flows (Hubble)"}


def choose_target(config: Settings) -> Target:
    """The loaded snapshot, or a kubeconfig context picked from the list (live clusters)."""
    target = runtime.default_target()
    with st.sidebar:
        st.markdown("##### Cluster")
        if target.snapshot:
            return target
        contexts, current = runtime.kube_contexts(config.kubeconfig)
        if not contexts:
            st.caption("No kubeconfig contexts found; using the in-cluster service account if there is one.")
            return target
        default = target.context or current
        index = contexts.index(default) if default in contexts else 0
        chosen = st.selectbox(
            "kubeconfig context",
            contexts,
            index=index,
            key=state.CONTEXT,
            on_change=state.new_conversation,  # answers about another cluster would only confuse
        )
        return Target(context=chosen, kubeconfig=config.kubeconfig)


def render_cluster(session: Session | None, target: Target, failure: str | None) -> None:
    with st.sidebar:
        if session is not None:
            kind = "snapshot" if target.snapshot else "live cluster"
            st.markdown(f"**{md(session.cluster)}** · {kind}")
            if target.snapshot:
                captured = session.ctx.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                where = f"loaded from {target.snapshot}; answers are as of its capture, {captured}"
                st.caption(md_line(where, 400))
                note = snapshot_note(session.snapshot_meta)
                if note:
                    st.caption(md_line(note, 300))
        if failure:
            st.error(md_line(failure, 500))


def render_scope(session: Session, target: Target) -> None:
    names = runtime.namespaces(target.key, session)
    with st.sidebar:
        st.selectbox(
            "Namespace scope",
            [state.ALL_NAMESPACES, *names],
            key=state.NAMESPACE,
            help="Questions are answered for this namespace; 'All namespaces' lets kubewhy find the scope.",
        )


def render_sources(session: Session) -> None:
    with st.sidebar:
        st.markdown("##### Data sources")
        for source in session.sources:
            title = SOURCE_TITLES.get(source.name, source.name)
            if source.ok:
                st.markdown(f":green[●] **{md(title)}** — connected")
                st.caption(md_line(source.detail, 300))
            else:
                st.markdown(f":red[●] **{md(title)}** — unavailable")
                st.caption(md_line(source.detail or "not configured", 300))


def render_engine(session: Session, config: Settings) -> None:
    with st.sidebar:
        st.markdown("##### Engine")
        if config.model_configured:
            st.markdown(f"LLM agent: **{md(config.model)}**")
            st.caption("Falls back to the built-in diagnostician when the model fails.")
        else:
            st.markdown("built-in diagnostician — no model configured")
            st.caption("Set OPENAI_API_KEY (or an OpenAI-compatible endpoint) for the LLM agent.")
        st.markdown("##### Budgets per question")
        st.caption(
            md_line(
                f"{config.max_tool_calls} tool calls · {config.max_input_tokens:,} input tokens · "
                f"{config.tool_output_tokens:,} tokens per tool output · {config.question_timeout_s:.0f} s",
                300,
            )
        )


def render_new_conversation() -> None:
    with st.sidebar:
        st.button(
            "New conversation",
            icon=":material/add_comment:",
            on_click=state.new_conversation,
            width="stretch",
            key="new-conversation",
        )
