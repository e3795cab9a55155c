"""The thumbnail cache after the system clock was set back (it ran a year ahead, then NTP or the
user corrected it): thumbnails made meanwhile are dated in the future. A real cache hit through
make_thumbnail, real files, housekeeping's clock set by replacing its module's time.time."""

from __future__ import annotations

import os
import time
import types

from photos import make_photo

from desktop_app.ui import thumbnail_housekeeping as housekeeping
from desktop_app.ui.thumbnail_housekeeping import DAY_S, tidy
from desktop_app.ui.thumbnails import disk_key, make_thumbnail


def test_after_the_clock_is_set_back_the_thumbnails_used_since_are_kept_first(
        qtbot, tmp_path, monkeypatch):
    root = tmp_path / "thumbnails"
    ahead = time.time() + 365 * DAY_S  # the clock a year ahead while these were made
    cached, photos = {}, {}
    for name in ("chelsea", "coffee"):
        photo = photos[name] = make_photo(tmp_path / f"{name}.jpg", name, size=(400, 300))
        make_thumbnail(str(photo), 64, root)
        key = disk_key(str(photo), os.stat(photo), 64)
        cached[name] = root / key[:2] / f"{key}.jpg"
        os.utime(cached[name], (ahead, ahead))
    # The clock is right again (a monkeypatched clock, an hour later than the real one, so the
    # touch below is seen as a touch): chelsea is looked at, coffee not.
    now = time.time() + 3600
    monkeypatch.setattr(housekeeping, "time", types.SimpleNamespace(time=lambda: now))
    assert not make_thumbnail(str(photos["chelsea"]), 64, root).isNull()  # a cache hit
    assert os.stat(cached["chelsea"]).st_mtime <= now  # marked used: no longer in the future
    # Room for one of them: the one used since the clock came back stays.
    budget = max(os.lstat(p).st_blocks * 512 for p in cached.values())
    report = tidy(root, now=now, budget_bytes=budget)
    assert report.lru_files == 1
    assert cached["chelsea"].exists() and not cached["coffee"].exists()
