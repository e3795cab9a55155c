"""The thumbnail cache folder deleted while Lookalike runs (BleachBit, `rm -rf ~/.cache/*`, macOS
storage optimisation): thumbnails are made again and written into the folder made anew, not
failing (and logging) at every one from then on; housekeeping takes the missing folder calmly."""

from __future__ import annotations

import shutil
import time

from photos import make_photo

from desktop_app.ui import thumbnail_housekeeping
from desktop_app.ui.thumbnails import ThumbnailCache


def _cached(root) -> list:
    return sorted(root.rglob("*.jpg")) if root.exists() else []


def test_thumbnails_are_cached_again_after_the_cache_folder_went(qtbot, tmp_path):
    photos = [make_photo(tmp_path / f"{name}.jpg", name, size=(200, 150))
              for name in ("chelsea", "coffee")]
    cache = ThumbnailCache(edge=64, threads=1, scale=1.0)
    root = cache.cache_root
    with qtbot.waitSignal(cache.ready, timeout=20000):
        assert cache.pixmap(str(photos[0])) is None
    assert len(_cached(root)) == 1
    shutil.rmtree(root.parent)  # the whole cache folder
    with qtbot.waitSignal(cache.ready, timeout=20000):  # scrolled to another photo
        cache.pixmap(str(photos[1]))
    cache.forget(str(photos[0]))  # and one shown before, asked again (a new size, a change)
    with qtbot.waitSignal(cache.ready, timeout=20000):
        cache.pixmap(str(photos[0]))
    assert cache.pixmap(str(photos[0])) is not None and cache.pixmap(str(photos[1])) is not None
    assert len(_cached(root)) == 2
    cache.shutdown()
    # The housekeeping of that folder later runs, and finds it as a fresh one.
    report = thumbnail_housekeeping.tidy(root, now=time.time() + 2 * thumbnail_housekeeping.DAY_S)
    assert report.ran and report.kept_files == 2


def test_housekeeping_of_a_cache_folder_deleted_is_quiet(tmp_path, caplog):
    root = tmp_path / "cache" / "thumbnails"  # never made, or deleted by a cleaner
    report = thumbnail_housekeeping.tidy(root)
    assert not report.removed_files and not root.exists()
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
