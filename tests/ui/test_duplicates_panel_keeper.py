"""The Duplicates tab keeps the photo a photographer would (core/keeper.py), as the window's
search gives the groups (ui.search.keeper_first on a snapshot), and the kept row says why in its
tooltip: real photo files (an iPhone HEIC and its bigger JPEG conversion), real widgets."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pillow_heif
from photos import make_photo, sample_image
from PIL import Image
from PySide6.QtCore import Qt
from ui_helpers import as_group, duplicates_panel, use_own_trash

from desktop_app.core import keeper
from desktop_app.core.hashing import HammingIndex
from desktop_app.core.images import fingerprint
from desktop_app.core.scan import change_time
from desktop_app.ui.search import SearchSnapshot, keeper_first

pillow_heif.register_heif_opener()  # the HEIF writer


def snapshot_of(paths: list[str]) -> SearchSnapshot:
    """Every photo with the same 8-bit code: one group, as the search finds it."""
    ids = np.arange(1, len(paths) + 1)
    return SearchSnapshot(HammingIndex(ids, np.zeros((len(paths), 1), dtype=np.uint8), 8),
                          dict(zip(ids.tolist(), paths, strict=True)))


def rows(panel) -> list:
    top = panel.tree.topLevelItem(0)
    return [top.child(j) for j in range(top.childCount())]


def test_the_window_keeps_an_iphone_heic_over_its_bigger_jpeg_and_says_why(qtbot, tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 13"
    heic, jpeg = str(tmp_path / "IMG_0001.HEIC"), str(tmp_path / "IMG_0001.jpg")
    sample_image("astronaut").save(heic, exif=exif.tobytes(), quality=50)
    sample_image("astronaut").save(jpeg, exif=exif.tobytes(), quality=92)
    assert os.path.getsize(jpeg) > os.path.getsize(heic)
    snap = snapshot_of([jpeg, heic])
    (group,) = snap.duplicates(0)
    panel = duplicates_panel(qtbot, [keeper_first(group, snap)])
    assert panel.groups_shown() == [[heic, jpeg]]
    assert panel.checked_paths() == [jpeg]
    kept, copy = rows(panel)
    said = "Kept, not ticked: the camera's own format (HEIC)."
    assert kept.toolTip(0) == f"{heic}\n{said}" and kept.toolTip(1) == said
    assert kept.data(0, Qt.ItemDataRole.AccessibleDescriptionRole) == said
    assert copy.toolTip(0) == jpeg and not copy.toolTip(1)


def test_groups_without_a_reason_show_no_kept_tooltip(qtbot, tmp_path):
    paths = [str(make_photo(tmp_path / f"p{i}.jpg", size=(60, 40))) for i in range(2)]
    panel = duplicates_panel(qtbot, [as_group(paths, 0)])  # a plain list, as tests give it
    assert [row.toolTip(1) for row in rows(panel)] == ["", ""]


def test_the_kept_row_says_why_again_when_undo_puts_it_back(qtbot, tmp_path, monkeypatch):
    use_own_trash(monkeypatch, tmp_path / "xdg")
    original = make_photo(tmp_path / "Pictures" / "Holiday" / "IMG_1234.jpg", size=(60, 40))
    copies = [tmp_path / "IMG_1234 (1).jpg", tmp_path / "IMG_1234 (2).jpg"]
    for copy in copies:
        shutil.copy2(original, copy)
    snap = snapshot_of([str(p) for p in (*copies, original)])
    (group,) = snap.duplicates(0)
    panel = duplicates_panel(qtbot, [keeper_first(group, snap)])
    kept, first_copy, _ = rows(panel)
    assert kept.path == str(original) and kept.toolTip(1) == (
        "Kept, not ticked: name without a copy marker.")
    # The user trashes the one kept instead of a copy, then thinks better of it.
    kept.setCheckState(0, Qt.CheckState.Checked)
    first_copy.setCheckState(0, Qt.CheckState.Unchecked)
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    assert not original.exists()
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo_button.click()
    back = rows(panel)[0]
    assert back.path == str(original) and back.checkState(0) == Qt.CheckState.Unchecked
    assert back.toolTip(1) == "Kept, not ticked: name without a copy marker."


def test_copies_of_one_content_are_kept_without_reading_their_headers(qtbot, tmp_path,
                                                                      monkeypatch):
    """The snapshot says which photos are byte-identical copies (their fingerprints, as the
    library stores them): whole HEICs on a NAS are not read again to tell copies apart."""
    original = tmp_path / "Pictures" / "IMG_0001.HEIC"
    original.parent.mkdir()
    sample_image("astronaut").save(original)
    paths = [str(tmp_path / "IMG_0001 (1).HEIC"), str(tmp_path / "IMG_0001 copy.HEIC"),
             str(original)]
    for copy in paths[:2]:
        shutil.copy2(original, copy)
    plain = snapshot_of(paths)
    contents = {}
    for photo_id, path in plain.paths.items():
        st = os.stat(path)
        contents[photo_id] = (fingerprint(path), (st.st_size, st.st_mtime, change_time(st)))
    snap = SearchSnapshot(plain.index, plain.paths, contents=contents)
    read, real_read = [], keeper.read_header
    monkeypatch.setattr(keeper, "read_header", lambda path: read.append(path) or real_read(path))
    (group,) = snap.duplicates(0)
    kept = keeper_first(group, snap)
    assert read == []
    assert (kept[0].path, kept.why) == (str(original), "name without a copy marker")
