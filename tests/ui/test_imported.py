"""The page on a support bundle given as the snapshot: imported on the fly, and the sidebar says that its
capture time was inferred (the ages in every answer are measured from that guess)."""

from __future__ import annotations

from pathlib import Path

from tests.snapshot import import_fixtures as fx
from tests.ui.helpers import plain


def test_sidebar_says_the_capture_time_is_inferred(page, tmp_path: Path) -> None:
    bundle = fx.tar_gz(fx.support_bundle(tmp_path / "in"), tmp_path / "support-bundle.tar.gz")
    at = page(snapshot=bundle)
    at.run()
    assert not at.exception, at.exception
    captions = [plain(c.value) for c in at.sidebar.caption]
    assert any(
        "capture time inferred (2026-11-20 09:29:41 UTC, the newest timestamp in the input)" in c
        for c in captions
    ), captions
    assert not at.sidebar.error
