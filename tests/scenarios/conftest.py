"""Scenario snapshots are generated into a session temporary directory (not committed), once each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit.scenarios.build_scenarios import build_one, load


class Built:
    """Build each scenario on first use; later uses get the same directory and ground truth."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = load()
        self._done: dict[str, tuple[Path, dict[str, Any]]] = {}

    def __call__(self, name: str) -> tuple[Path, dict[str, Any]]:
        if name not in self._done:
            self._done[name] = build_one(self.catalog[name], self.root)
        return self._done[name]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("scenarios"))
