"""The QA suite's scenario snapshots are generated into a session temporary directory, once each."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import Built


@pytest.fixture(scope="session")
def qa_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("qa-scenarios"))
