"""The watcher drops what Photos writes in its library outside the originals (a thumbnail of each
new photo, an edit's render), as the walk skips those folders (see
tests/core/test_other_apps_libraries.py)."""

from __future__ import annotations

import pytest
from photos import make_photo

from desktop_app.watch import FolderWatcher

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200)
    yield w
    w.stop()


def test_a_photos_librarys_thumbnails_written_later_are_not_reported(qtbot, tmp_path, watcher):
    package = tmp_path / "Photos Library.photoslibrary"
    originals, derivatives = package / "originals" / "F", package / "resources" / "derivatives"
    originals.mkdir(parents=True)
    (derivatives / "F").mkdir(parents=True)
    assert watcher.watch(str(tmp_path))
    with qtbot.waitSignal(watcher.paths_changed, timeout=5000) as blocker:
        # One burst: a thumbnail that passed the filter would come in the same list.
        make_photo(derivatives / "F" / "F00D_1_105_c.jpeg", "rocket", size=(64, 48))
        make_photo(originals / "F00D.jpeg", "rocket")
        make_photo(derivatives / "F" / "F00D_1_102_o.jpeg", "rocket", size=(96, 64))
    assert blocker.args[0] == [str(originals / "F00D.jpeg")]
