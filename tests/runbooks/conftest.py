"""Fixtures for the runbook tests: settings with a private history database and runbook folder, and one
session per scenario snapshot (the demo shop, and the ops-lab cluster built by ``scenario.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine import Session, open_session
from tests.runbooks import scenario
from tools.contracts.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo" / "shop"


def offline_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "llm": "none",
        "database_url": f"sqlite:///{tmp / 'history.db'}",
        "runbooks_dir": str(tmp / "runbooks"),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return offline_settings(tmp_path)


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with open_session(offline_settings(tmp_path_factory.mktemp("demo")), snapshot=DEMO) as session:
        yield session


@pytest.fixture(scope="module")
def lab_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("lab")
    snapshot = scenario.write(root / "ops-lab")
    with open_session(offline_settings(root), snapshot=snapshot) as session:
        yield session
