"""Shared fixtures for the synthetic snapshot builder tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.build_shop import build
from devkit.synth.writer import write_snapshot


@pytest.fixture(scope="session")
def fresh_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo snapshot built from scratch into a temporary directory."""
    return write_snapshot(build(), tmp_path_factory.mktemp("shop"))
