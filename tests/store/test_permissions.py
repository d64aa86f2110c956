"""The history holds every question and answer: a new file is private (0600 in a 0700 folder)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.store.helpers import record, settings_at


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_history_file_and_folder_are_private_under_umask_022(tmp_path: Path, umask_022) -> None:
    path = tmp_path / "data" / "kubewhy" / "kubewhy.db"
    record(settings_at(path))
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    sidecars = [p for p in path.parent.iterdir() if p != path]
    assert sidecars, "WAL mode leaves -wal/-shm files while the engine is open"
    for sidecar in sidecars:
        assert mode(sidecar) == 0o600, sidecar
    # Parents the store had to create on the way are not its to lock down; only its own folder is.
    assert mode(path.parent.parent) == 0o755


def test_an_existing_folder_keeps_its_mode(tmp_path: Path, umask_022) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    path = shared / "kubewhy.db"
    record(settings_at(path))
    assert mode(shared) == 0o755
    assert mode(path) == 0o600
