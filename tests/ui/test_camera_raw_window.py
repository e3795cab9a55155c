"""Camera raw files in the real window (offscreen, real SQLite, the tiny real ONNX model): a
library folder of raws is indexed and shown upright, a raw dropped from outside is searched
with, the Retrain dialog counts raws as photos, and what the window says of the kinds it reads
names camera raw."""

from __future__ import annotations

import pytest
from photos import make_camera_raw, make_photo
from PySide6.QtCore import QMimeData, QUrl
from ui_helpers import drop_on, dropped_files, header, indexed, wait_idle, wait_rows

from desktop_app.ui.dropped import not_a_photo_message
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


def _opaque_rows(pix) -> list[int]:
    """The rows of a grid thumbnail (the picture centred on a transparent square) that hold
    picture in their middle column."""
    image = pix.toImage()
    middle = image.width() // 2
    return [y for y in range(image.height()) if image.pixelColor(middle, y).alpha() > 0]


def test_a_library_folder_of_raw_files_is_indexed_and_shown_upright(qtbot, make_window,
                                                                    tmp_path):
    folder = tmp_path / "card"
    # Shot with the camera turned: the sensor data and the embedded picture lie on their side.
    turned = make_camera_raw(folder / "DSC_0001.NEF", "chelsea", orientation=6)
    make_camera_raw(folder / "IMG_0002.dng", "coffee")
    make_camera_raw(folder / "IMG_0003.CR2", "rocket", preview_side=None)
    make_photo(folder / "astronaut.jpg", "astronaut", size=(256, 256))
    (folder / "DSC_0001.xmp").write_text("<x:xmpmeta/>")  # a raw editor's sidecar
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 4)
    wait_idle(qtbot, window)
    model = window.photos_model
    photos = {model.photo_at(r).path: model.photo_at(r) for r in range(model.rowCount())}
    assert sorted(photos) == sorted(str(folder / n) for n in (
        "DSC_0001.NEF", "IMG_0002.dng", "IMG_0003.CR2", "astronaut.jpg"))
    assert all(p.status == "ok" for p in photos.values())
    assert (photos[str(turned)].width, photos[str(turned)].height) == (450, 300)  # upright
    qtbot.waitUntil(lambda: len(window.snapshot) == 4, timeout=20000)
    # Its grid thumbnail is upright too: landscape, transparent above and below.
    thumbnails = window.thumbnails
    qtbot.waitUntil(lambda: thumbnails.pixmap(str(turned)) is not None, timeout=10000)
    pix = thumbnails.pixmap(str(turned))
    rows, side = _opaque_rows(pix), pix.toImage().height()
    assert rows and rows[0] > side // 8 and rows[-1] < side - side // 8
    assert len(rows) == pytest.approx(side * 300 / 450, abs=2)


def test_a_raw_file_dropped_on_the_window_searches_with_it(qtbot, make_window, library_photos,
                                                           tmp_path):
    window = indexed(qtbot, make_window, library_photos, 6)
    dropped = make_camera_raw(tmp_path / "card" / "_DSC0042.ARW", "coffee", orientation=8)
    with qtbot.waitSignal(window.results_shown, timeout=20000) as blocker:
        drop_on(window.grid.viewport(), dropped_files(dropped))
    assert blocker.args[0][0].path == str(library_photos / "coffee.jpg")
    assert "_DSC0042.ARW" in header(window) and "not in the library" in header(window)
    assert not window.statusBar().is_problem()
    assert window.photos_model.rowCount() == 6  # searched with, not added


def test_what_is_not_a_photo_says_camera_raw_is_one(qtbot, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0\0\0\x18ftypmp42")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    assert not_a_photo_message(mime) == ("clip.mp4 is not a photo Lookalike can search with: "
                                         "drop or paste a photo file (JPEG, PNG, HEIC, camera "
                                         "raw…).")
    assert "camera raw" in not_a_photo_message(QMimeData())
    # A raw that is not there is said to be missing, not "not a photo".
    gone = dropped_files(tmp_path / "DSC_0009.NEF")
    assert not_a_photo_message(gone).endswith("DSC_0009.NEF: there is no such file (moved, "
                                              "renamed or deleted?). Check the path, or drop "
                                              "the photo itself.")


def _looked_inside(qtbot, albums) -> RetrainDialog:
    """A Retrain dialog on `albums`, after the real trainer's look inside answered."""
    dialog = RetrainDialog(None, str(albums), readiness=Readiness(True, "", False))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    return dialog


def test_the_retrain_dialog_counts_raw_files_as_photos_and_names_them(qtbot, tmp_path):
    albums = tmp_path / "albums"
    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for k, suffix in enumerate((".NEF", ".CR2", ".dng")):
            make_camera_raw(albums / label / f"IMG_{k}{suffix}", name, model=f"Raw {k}")
    dialog = _looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert "<b>6</b> photos in <b>2</b> albums: cats (3), cups (3)." in text
    # Albums without a photo it reads: what to put in them names camera raw.
    videos = tmp_path / "videos"
    for label in ("trip", "party"):
        (videos / label).mkdir(parents=True)
        (videos / label / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    dialog = _looked_inside(qtbot, videos)
    text = dialog.found_label.text()
    assert "its sub-folders hold no photos. Put readable photos (JPEG, PNG, HEIC, WebP, " \
        "camera raw…) in one sub-folder per album" in text


def test_the_retrain_dialog_says_raw_jpeg_twins_count_once(qtbot, tmp_path):
    albums = tmp_path / "albums"
    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for k in range(2):
            make_camera_raw(albums / label / f"IMG_{k}.CR2", name, model=f"Raw {k}")
            make_photo(albums / label / f"IMG_{k}.JPG", name, quality=80 + k)
    dialog = _looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert "<b>4</b> photos in <b>2</b> albums: cats (2), cups (2)." in text
    assert "4 files are the RAW+JPEG twin of a photo in the same folder (a camera's raw and " \
        "JPEG of one shot): the same picture, counted once." in text


def test_the_retrain_dialog_counts_twins_as_files_not_as_raws_beside_a_jpeg(qtbot, tmp_path):
    """raw_twins counts the files left out: a second JPEG-like twin of a raw (an exported PNG)
    is one, and a raw beside its DNG copy has no JPEG. They were said to be "camera raw files"
    with "a JPEG twin"."""
    albums = tmp_path / "albums"
    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for k in range(2):
            make_photo(albums / label / f"P_{k}.JPG", name, quality=80 + k)
    make_camera_raw(albums / "cats" / "IMG_0.CR2", "chelsea", model="Raw 0")
    make_photo(albums / "cats" / "IMG_0.JPG", "chelsea", quality=70)
    make_photo(albums / "cats" / "IMG_0.png", "chelsea")
    make_camera_raw(albums / "cups" / "IMG_1.CR2", "coffee", model="Raw 1")
    make_camera_raw(albums / "cups" / "IMG_1.dng", "coffee", model="Raw 2")
    dialog = _looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert "<b>6</b> photos in <b>2</b> albums: cats (3), cups (3)." in text
    assert "3 files are the RAW+JPEG twin of a photo in the same folder" in text
    assert "camera raw file" not in text and "as the JPEG" not in text
