"""A folder reached inside a watched folder through a folder link whose name the walk does not
leave out (Pictures/thumbs -> Pictures/.thumbnails) is walked by that name, its photos indexed:
adding it was refused with "the library leaves out .thumbnails (a hidden folder): its photos
are not indexed", in the warning look, judged by its real path alone. In the real window
offscreen, with real photo files, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import os
import sys

import pytest
from photos import make_photo
from ui_helpers import indexed, wait_idle, wait_rows

from desktop_app.ui.models import PathRole

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="folder links need rights")


def test_a_folder_reached_by_a_link_the_walk_follows_is_said_indexed(qtbot, make_window,
                                                                     tmp_path):
    pictures = tmp_path / "Pictures"
    make_photo(pictures / "trip" / "rocket.jpg", "rocket", size=(200, 150))
    make_photo(pictures / ".thumbnails" / "large" / "chelsea.png", "chelsea", size=(96, 72))
    os.symlink(pictures / ".thumbnails", pictures / "thumbs")
    window = indexed(qtbot, make_window, pictures, 2)  # chelsea.png by the link's name
    model = window.photos_model
    assert str(pictures / "thumbs" / "large" / "chelsea.png") in {
        model.index(row, 0).data(PathRole) for row in range(model.rowCount())}
    bar = window.statusBar()
    folder = pictures / "thumbs" / "large"
    window.add_folder(str(folder))
    assert bar.currentMessage() == (
        f"{folder} is inside {pictures}, which is already in the library: its photos are "
        "indexed and watched with it; nothing was added.")
    assert not bar.is_problem()

    # By its own hidden name the walk skips it: a library folder of its own, walked by that
    # name (its photos then in the library under both names, as with any folder linked into
    # a watched one and watched itself).
    hidden = pictures / ".thumbnails" / "large"
    bar.clearMessage()
    window.add_folder(str(hidden))
    assert "nothing was added" not in bar.currentMessage()
    assert not bar.is_problem()
    assert window.settings.watched_folders == [str(pictures), str(hidden)]
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    assert str(hidden / "chelsea.png") in {
        model.index(row, 0).data(PathRole) for row in range(model.rowCount())}
