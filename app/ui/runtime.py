"""What the page shares across browser sessions: the settings, and one engine session per cluster.

A session owns a snapshot API server and a local Prometheus; starting them per browser tab would be slow
and wasteful, so ``shared_session`` takes each from the engine's session pool (:mod:`app.sessions`), which
opens it once per process; every one is closed when the process exits. The target comes from the
settings (``KUBEWHY_SNAPSHOT``, ``KUBEWHY_CONTEXT``, ``KUBEWHY_KUBECONFIG``), which
`kubewhy demo` / `kubewhy ui` set for the Streamlit process.
"""

from __future__ import annotations

import atexit
import logging
import threading

import streamlit as st

from app.diagnose.engine import diagnose
from app.engine import Session
from app.sessions import SessionPool, Target
from app.ui.starters import HEALTH_QUESTION, starter_questions
from tools.contracts.settings import Settings

log = logging.getLogger(__name__)

_pools: list[SessionPool] = []  # the current settings' pool last; earlier ones are closed at exit
_pools_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The process's settings, read once from the environment and the optional kubewhy.yaml."""
    return Settings.load()


def default_target() -> Target:
    return Target.of(settings())


def pool() -> SessionPool:
    """The process's session pool (the engine's), for the current settings."""
    config = settings()
    with _pools_lock:
        if not _pools or _pools[-1].settings is not config:
            _pools.append(SessionPool(config))
        return _pools[-1]


def shared_session(target: Target) -> Session:
    """One engine session per cluster for the whole process (closed at exit). Raises SnapshotError or
    ToolError when the cluster cannot be opened; nothing is remembered then, so a retry tries again."""
    with st.spinner("Connecting: serving the snapshot, starting Prometheus over its metrics…"):
        return pool().session(target)


def close_all_sessions() -> None:
    """Stop every server the page started (process exit; tests)."""
    with _pools_lock:
        pools, _pools[:] = list(_pools), []
    for shared in pools:
        shared.close()


atexit.register(close_all_sessions)


@st.cache_data(ttl=120, show_spinner=False, max_entries=16)
def namespaces(target_key: str, _session: Session) -> list[str]:
    """Namespace names for the scope selector (empty when they cannot be listed)."""
    try:
        items = _session.ctx.kube.list_objects("Namespace", limit=500)
    except Exception as exc:
        log.warning("cannot list namespaces: %s", exc)
        return []
    return sorted(item["metadata"]["name"] for item in items)


@st.cache_data(ttl=600, show_spinner="Reviewing the cluster's health…", max_entries=16)
def starters(target_key: str, _session: Session) -> list[str]:
    """Suggested questions from one health review by the built-in diagnostician (cached per cluster)."""
    try:
        review = diagnose(_session.ctx, HEALTH_QUESTION)
    except Exception as exc:
        log.warning("health review failed: %s", exc)
        return [HEALTH_QUESTION]
    return [HEALTH_QUESTION, *starter_questions(review)]


def kube_contexts(kubeconfig: str | None) -> tuple[list[str], str | None]:
    """The kubeconfig's context names and the current one ([] when there is no readable kubeconfig)."""
    from kubernetes.config import list_kube_config_contexts

    try:
        contexts, current = list_kube_config_contexts(config_file=kubeconfig)
    except Exception:
        return [], None
    return sorted(c["name"] for c in contexts), (current or {}).get("name")
