"""Fixtures for the page tests: the environment the page reads, and stopping every session it started."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.demo import SHOP_SNAPSHOT
from app.ui import runtime

MAIN = Path(__file__).resolve().parents[2] / "app" / "ui" / "main.py"
MODEL_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "KUBEWHY_MODEL",
    "KUBEWHY_CONTEXT",
    "KUBEWHY_KUBECONFIG",
    "KUBEWHY_CONFIG",
)


@pytest.fixture(scope="module", autouse=True)
def stop_sessions() -> Iterator[None]:
    """The page shares one session per cluster per process; stop them (API server, Prometheus) at the end."""
    yield
    runtime.close_all_sessions()
    runtime.settings.clear()


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``page(snapshot=DIR or None, **env)`` -> an AppTest of the page, its settings read from that
    environment (``snapshot=None``: a live cluster from the kubeconfig)."""

    def make(snapshot: Path | None = SHOP_SNAPSHOT, **env: str) -> AppTest:
        for name in MODEL_ENV:
            monkeypatch.delenv(name, raising=False)
        if snapshot is None:
            monkeypatch.delenv("KUBEWHY_SNAPSHOT", raising=False)
        else:
            monkeypatch.setenv("KUBEWHY_SNAPSHOT", str(snapshot))
        monkeypatch.setenv("KUBEWHY_LLM", "none")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        runtime.settings.clear()
        return AppTest.from_file(str(MAIN), default_timeout=60)

    return make


@pytest.fixture(scope="module")
def no_metrics_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cluster without its metrics/: Prometheus cannot be started for it."""
    target = tmp_path_factory.mktemp("snapshots") / "shop-no-metrics"
    shutil.copytree(SHOP_SNAPSHOT, target, ignore=shutil.ignore_patterns("metrics"))
    return target
