"""Item models and run_task without widgets: rows, roles, updates, late answers dropped."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading

import pytest
from photos import make_photo, pad_to_same_size, rewrite_keeping_size_and_time
from PySide6.QtCore import Qt
from ui_helpers import use_own_trash

from desktop_app import paths
from desktop_app.core.records import Match, Photo
from desktop_app.ui import file_actions
from desktop_app.ui.models import (
    DistanceRole,
    FailedPhotosModel,
    PathRole,
    PhotoIdRole,
    PhotoListModel,
    ResultsModel,
    SimilarityRole,
)
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.thumbnails import ThumbnailCache, make_thumbnail


def photo(i: int, path: str | None = None, status: str = "ok", mtime: float = 1.0) -> Photo:
    return Photo(i, path or f"/p/{i}.jpg", 1, 100, mtime, 10, 10, status,
                 None if status == "ok" else "damaged")


def test_photo_list_upsert_inserts_updates_and_drops_failed(qtbot):
    model = PhotoListModel()
    model.set_photos([photo(1), photo(2), photo(3, status="failed")])
    assert model.rowCount() == 2
    inserted, changed = [], []
    model.rowsInserted.connect(lambda *a: inserted.append(a[1:]))
    model.dataChanged.connect(lambda a, b, roles=(): changed.append(a.row()))
    model.upsert([photo(1), photo(2, "/p/renamed.jpg"), photo(4), photo(5)])
    assert inserted == [(2, 3)]
    assert changed == [1]  # photo 1 came again unchanged (a full read): no repaint
    assert model.data(model.index(1), PathRole) == "/p/renamed.jpg"
    assert model.data(model.index(1), Qt.ItemDataRole.DisplayRole) == "renamed.jpg"
    assert [model.data(model.index(r), PhotoIdRole) for r in range(4)] == [1, 2, 4, 5]
    model.upsert([photo(4, status="failed")])
    assert model.ids() == [1, 2, 5]
    model.remove_ids([1, 5, 99])
    assert model.ids() == [2] and model.row_of(2) == 0


def test_results_model_shows_distance_and_similarity(qtbot):
    model = ResultsModel()
    model.set_results([Match(7, "/p/a.jpg", 0, 48), Match(3, "/p/b.jpg", 12, 48)])
    first, second = model.index(0), model.index(1)
    assert model.data(first, PhotoIdRole) == 7
    assert model.data(second, DistanceRole) == 12
    assert model.data(second, SimilarityRole) == 0.75
    assert "distance 12 · 75%" in model.data(second, Qt.ItemDataRole.DisplayRole)


def test_names_show_bidi_controls_and_odd_bytes_escaped(qtbot):
    """A right-to-left override in a name turned the rest of its label round: the grid showed
    "holiday\u202egnp.jpg" as "holidaygpj.png". The record keeps the exact path."""
    display, tip = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole
    odd = "/p/holiday\u202egnp.jpg"
    latin = "/p/caf" + os.fsdecode(b"\xe9") + ".jpg"
    grid = PhotoListModel()
    grid.set_photos([photo(1, odd), photo(2, latin)])
    assert grid.data(grid.index(0), display) == "holiday\\u202egnp.jpg"
    assert grid.data(grid.index(0), tip).startswith("/p/holiday\\u202egnp.jpg\n")
    assert grid.data(grid.index(1), display) == "caf\\xe9.jpg"
    assert grid.photo_at(0).path == odd
    results = ResultsModel()
    results.set_results([Match(1, odd, 3, 48)])
    assert results.data(results.index(0), display).startswith("holiday\\u202egnp.jpg\n")
    assert results.data(results.index(0), tip).startswith("/p/holiday\\u202egnp.jpg\n")
    failed = FailedPhotosModel()
    failed.set_photos([photo(3, odd, status="failed")])
    assert failed.data(failed.index(0, 0)) == "/p/holiday\\u202egnp.jpg"
    assert failed.photos()[0].path == odd


def test_failed_model_lists_file_and_reason(qtbot):
    model = FailedPhotosModel()
    model.set_photos([photo(2, "/p/z.jpg", status="failed"), photo(1, "/p/a.jpg", "failed")])
    assert model.rowCount() == 2 and model.columnCount() == 2
    assert model.data(model.index(0, 0)) == "/p/a.jpg"
    assert model.data(model.index(0, 1)) == "damaged"


def test_thumbnails_load_off_the_gui_thread_and_reach_the_model(qtbot, tmp_path):
    good = make_photo(tmp_path / "good.jpg", "chelsea", size=(400, 300))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    cache = ThumbnailCache(edge=64)
    model = PhotoListModel(cache)
    model.set_photos([photo(1, str(good)), photo(2, str(bad))])
    placeholder = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert placeholder is not None
    with qtbot.waitSignals([cache.ready, cache.ready], timeout=5000):
        model.data(model.index(1), Qt.ItemDataRole.DecorationRole)
    pix = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert (pix.width(), pix.height()) == (64, 64)  # centred on a square: uniform grid cells
    picture = pix.toImage()
    assert picture.pixelColor(32, 2).alpha() == 0 and picture.pixelColor(32, 32).alpha() == 255
    assert cache.is_broken(str(bad))
    # A second cache (a new run) finds the JPEG the first one wrote to the disk cache.
    assert len(list((paths.cache_dir() / "thumbnails").glob("*/*.jpg"))) == 1
    again = ThumbnailCache(edge=64)
    with qtbot.waitSignal(again.ready, timeout=5000):
        assert again.pixmap(str(good)) is None
    assert again.pixmap(str(good)).width() == 64
    cache.shutdown()
    again.shutdown()



def test_a_photo_rewritten_keeping_its_size_and_time_gets_a_new_thumbnail(qtbot, tmp_path):
    """The disk cache is keyed by the inode change time too: a photo rewritten in place with
    the same size and mtime (exiftool -P, cp -p) shows its new picture, as it is searched."""
    shown = make_photo(tmp_path / "shown.jpg", "chelsea", size=(400, 300))
    other = make_photo(tmp_path / "other.jpg", "rocket", size=(400, 300))
    pad_to_same_size(shown, other)
    cache_root = tmp_path / "thumbnails"
    old = make_thumbnail(str(shown), 64, cache_root)
    rewrite_keeping_size_and_time(shown, other.read_bytes())
    new = make_thumbnail(str(shown), 64, cache_root)
    assert new != old and new == make_thumbnail(str(other), 64, None)
    assert len(list(cache_root.glob("*/*.jpg"))) == 2


def test_the_grid_forgets_the_thumbnail_of_a_photo_rewritten_keeping_its_size_and_time(
        qtbot, tmp_path):
    """The record the indexer sends differs only in its change time: the picture shown must
    be the new one, not the one kept in memory."""
    path = make_photo(tmp_path / "shown.jpg", "chelsea", size=(400, 300))
    other = make_photo(tmp_path / "other.jpg", "rocket", size=(400, 300))
    pad_to_same_size(path, other)
    cache = ThumbnailCache(edge=64)
    model = PhotoListModel(cache)
    before = os.stat(path)
    record = Photo(1, str(path), 1, before.st_size, before.st_mtime, 400, 300, "ok", None,
                   before.st_ctime_ns)
    model.set_photos([record])
    with qtbot.waitSignal(cache.ready, timeout=5000):
        model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    old = model.data(model.index(0), Qt.ItemDataRole.DecorationRole).toImage()
    rewrite_keeping_size_and_time(path, other.read_bytes())
    after = os.stat(path)
    assert (after.st_size, after.st_mtime) == (before.st_size, before.st_mtime)
    with qtbot.waitSignal(cache.ready, timeout=5000):
        model.upsert([dataclasses.replace(record, ctime_ns=after.st_ctime_ns)])
        model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    new = model.data(model.index(0), Qt.ItemDataRole.DecorationRole).toImage()
    assert new != old
    cache.shutdown()


THUMBNAIL_ON_FULL_CACHE = """
import sys
from pathlib import Path
from desktop_app.ui.thumbnails import make_thumbnail
image = make_thumbnail(sys.argv[1], 256, Path(sys.argv[2]))
print(image.width(), image.height())
"""


def test_a_thumbnail_that_cannot_be_cached_is_shown_and_leaves_no_cut_off_file(tmp_path):
    """The cache disk fills up mid-write (here a 1 KiB file size limit, which fails the write
    the same way): the thumbnail is still made, and nothing is left in the cache. Pillow
    saving to the file took the short write for success, and the cut-off JPEG was cached as
    the photo's thumbnail for every later run."""
    import resource
    import subprocess
    import sys

    import numpy as np
    from PIL import Image

    big = tmp_path / "big.jpg"  # noise: its thumbnail cannot compress below the limit
    noise = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    Image.fromarray(noise).save(big, quality=90)
    cache_root = tmp_path / "thumbnails"

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))

    done = subprocess.run([sys.executable, "-c", THUMBNAIL_ON_FULL_CACHE, str(big),
                           str(cache_root)], capture_output=True, text=True, timeout=60,
                          check=False, preexec_fn=limit_file_size,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["256", "256"]
    assert [p.name for p in cache_root.rglob("*") if p.is_file()] == []


HIDPI_PROBE = """
import sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.thumbnails import ThumbnailCache
app = QApplication([])
cache = ThumbnailCache(edge=64)
cache.pixmap(sys.argv[1])
while cache.pending():
    QCoreApplication.processEvents()
pix = cache.pixmap(sys.argv[1])
panel = ResultsPanel(None, 64, 8)
panel.set_query_picture(pix)
query = panel.query_image.pixmap()
print(app.devicePixelRatio(), pix.width(), pix.devicePixelRatio(),
      query.width() / query.devicePixelRatio())
"""


def test_thumbnails_are_sharp_on_a_hidpi_screen(tmp_path):
    good = make_photo(tmp_path / "good.jpg", "chelsea", size=(400, 300))
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", HIDPI_PROBE, str(good)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    ratio, width, pixmap_ratio, query_width = map(float, result.stdout.split())
    assert ratio == 2.0
    # 128 screen pixels shown in a 64-pixel cell, not 64 pixels stretched to 128.
    assert (width, pixmap_ratio) == (128, 2.0)
    assert query_width == 72  # the searched photo's picture keeps its logical size



def test_hidpi_thumbnails_take_no_more_memory_than_ordinary_ones(qtbot, tmp_path):
    photos = [str(make_photo(tmp_path / f"{name}.jpg", name, size=(120, 90)))
              for name in ("chelsea", "coffee", "rocket")]
    cache = ThumbnailCache(edge=32, memory_items=4, disk_cache=False, scale=2.0)
    for path in photos:
        with qtbot.waitSignal(cache.ready, timeout=5000):
            cache.pixmap(path)
    # 4 thumbnails' worth of pixels: one of 64x64 screen pixels.
    assert cache.pixmap(photos[-1]).width() == 64
    assert cache.pixmap(photos[0]) is None and cache.pixmap(photos[1]) is None
    cache.shutdown()


def test_run_task_drops_late_answers_to_older_requests(qtbot):
    runner = TaskRunner(threads=2)
    release = threading.Event()
    answers = []
    runner.run_task(lambda: (release.wait(5), "old")[1], answers.append, key="search")
    runner.run_task(lambda: "new", answers.append, key="search")
    qtbot.waitUntil(lambda: answers == ["new"], timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: runner.dropped == 1, timeout=3000)
    assert answers == ["new"]
    errors = []
    runner.run_task(lambda: 1 / 0, answers.append, errors.append, key="other")
    qtbot.waitUntil(lambda: bool(errors), timeout=3000)
    assert isinstance(errors[0], ZeroDivisionError)
    runner.shutdown()


def test_a_long_job_holds_up_no_other_key_and_stops_when_superseded(qtbot):
    """The duplicates search (minutes at a large distance on a big library) runs on its own
    pool: a click's search answers meanwhile. A stoppable job sees should_stop() once a newer
    job for its key is asked, once forget(key) is called, and when the runner shuts down."""
    runner = TaskRunner(threads=1)
    started, answers, seen = threading.Event(), [], []

    def long_job(should_stop):
        started.set()
        while not should_stop():
            threading.Event().wait(0.005)
        seen.append("stopped")
        return "late"

    runner.run_task(long_job, answers.append, key="duplicates", stoppable=True)
    assert started.wait(5)
    runner.run_task(lambda: "search answer", answers.append, key="search")
    qtbot.waitUntil(lambda: answers == ["search answer"], timeout=3000)
    assert seen == []  # still running, not stopped by another key's job
    runner.run_task(lambda should_stop: "newer", answers.append, key="duplicates",
                    stoppable=True)
    qtbot.waitUntil(lambda: answers == ["search answer", "newer"], timeout=3000)
    assert seen == ["stopped"] and runner.dropped == 1
    for stops, stop in ((2, lambda: runner.forget("duplicates")), (3, runner.shutdown)):
        started.clear()
        runner.run_task(long_job, answers.append, key="duplicates", stoppable=True)
        assert started.wait(5)
        stop()
        qtbot.waitUntil(lambda: len(seen) == stops, timeout=3000)  # noqa: B023 - this turn's
    assert answers == ["search answer", "newer"]


def test_a_job_outliving_the_runner_ends_without_an_error(qtbot, capfd):
    """A job still running after shutdown's wait, its runner then deleted: its answer was
    emitted on a reply object Qt had already deleted ('Signal source has been deleted')."""
    from PySide6.QtCore import QObject

    parent = QObject()
    runner = TaskRunner(threads=1, parent=parent)
    release, finished = threading.Event(), threading.Event()
    runner.run_task(lambda: (release.wait(5), finished.set()), lambda _: None, key="slow")
    runner.shutdown(wait_ms=50)
    threading.Timer(0.3, release.set).start()  # the pools' deletion waits for the job
    parent.deleteLater()
    qtbot.wait(50)
    assert finished.wait(5)
    qtbot.wait(200)
    assert "has been deleted" not in capfd.readouterr().err


def test_model_card_view_shows_training_and_evaluation(qtbot, tiny_model_dir):
    from dataclasses import replace

    from desktop_app.core.model_card import read_card
    from desktop_app.ui.model_card_html import card_html

    card = replace(read_card(tiny_model_dir),
                   training={"backbone": "efficientnet_lite0", "mode": "frozen",
                             "labels": ["cats", "cups", "space"], "amp": True,
                             "stages": [{"bits": 64, "val_map": 0.71},
                                        {"bits": 48, "val_map": 0.69}]},
                   evaluation={"map_all": 0.6789, "bits": 48, "pr_curve": [1, 2]})
    shown = card_html(card, str(tiny_model_dir))  # until "Show technical details"
    assert "3 albums: cats, cups, space" in shown and "mAP 0.679" in shown
    assert "efficientnet_lite0" not in shown and "mAP 0.71" not in shown
    html = card_html(card, str(tiny_model_dir), details=True)
    assert "efficientnet_lite0" in html and "3: cats, cups, space" in html
    assert "64 bits: mAP 0.71; 48 bits: mAP 0.69" in html
    assert "0.679" in html and "pr_curve" not in html and "amp" not in html
    assert "No model installed" in card_html(None, "", "the folder is empty")


def test_photo_actions_copy_the_path(qtbot):
    from PySide6.QtGui import QGuiApplication

    from desktop_app.ui.photo_grid import photo_actions

    told = []
    actions = dict(photo_actions("/photos/a b.jpg", lambda: None, told.append))
    assert list(actions) == ["Find similar photos", "Open with default viewer",
                             "Show in file manager", "Copy path"]
    actions["Copy path"]()
    assert QGuiApplication.clipboard().text() == "/photos/a b.jpg"
    assert told == ["Copied /photos/a b.jpg"]


def test_a_path_with_a_line_break_is_copied_quoted(qtbot):
    """Copied as it was, pasted in a terminal it ran as two commands."""
    from PySide6.QtGui import QGuiApplication

    from desktop_app.ui.photo_grid import photo_actions

    told = []
    dict(photo_actions("/photos/it's\nme.jpg", lambda: None, told.append))["Copy path"]()
    assert QGuiApplication.clipboard().text() == "$'/photos/it\\'s\\x0ame.jpg'"
    assert told[0].startswith("Copied $'/photos/it\\'s\\x0ame.jpg' (quoted for a terminal")


def test_the_app_exits_cleanly_after_copying_a_path_that_is_not_utf8(tmp_path):
    """The path was also put on the clipboard as the file's URL, in a QMimeData: the process
    then died at exit (segmentation fault, exit code 139; PySide6 6.7.0 and 6.11.3)."""
    script = tmp_path / "copy_and_exit.py"
    script.write_text(
        "import os, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop_app.ui.file_actions import copy_path\n"
        "app = QApplication(sys.argv)\n"
        "print(copy_path(os.fsdecode(b'/photos/caf\\xe9.jpg')))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          check=False, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "$'/photos/caf\\xe9.jpg'"


def test_opening_a_photo_that_is_not_there_says_so(qtbot):
    from desktop_app.ui.photo_grid import photo_actions

    told = []
    actions = dict(photo_actions("/unplugged-drive/a.jpg", lambda: None, told.append))
    actions["Open with default viewer"]()
    actions["Show in file manager"]()
    assert len(told) == 2
    assert all(t.startswith("/unplugged-drive/a.jpg: the file is not there") for t in told)


def test_trashing_reads_only_the_trash_entries_named_like_the_file(tmp_path, monkeypatch):
    from pathlib import Path

    info = use_own_trash(monkeypatch, tmp_path / "xdg") / "info"
    info.mkdir(parents=True)
    for i in range(300):  # a trash never emptied
        (info / f"old{i}.jpg.trashinfo").write_text(f"[Trash Info]\nPath=/old/old{i}.jpg\n")
    photos = [make_photo(tmp_path / "dups" / "dup.copy.jpg", "chelsea", size=(60, 40))
              for _ in range(2)]
    read = []
    real_read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *a, **k: read.append(self.name) or real_read_text(
                            self, *a, **k))
    first = file_actions.move_to_trash(str(photos[0]))
    make_photo(photos[0], "coffee", size=(60, 40))  # the same name trashed again
    second = file_actions.move_to_trash(str(photos[0]))
    assert not any(name.startswith("old") for name in read)  # one photo, not the whole trash
    assert first.trashed_file != second.trashed_file
    file_actions.restore_from_trash(second)
    assert photos[0].exists()


def test_a_photo_trashed_from_inside_the_data_folder_can_be_put_back(tmp_path, monkeypatch):
    """The home trash records such a photo's path relative to XDG_DATA_HOME (Steam keeps its
    screenshots in ~/.local/share/Steam): it was read as relative to /, and Undo said the file
    was no longer in the trash."""
    data_home = tmp_path / "xdg"
    use_own_trash(monkeypatch, data_home)
    photo = make_photo(data_home / "Steam" / "screenshots" / "shot.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))
    assert "Path=Steam/screenshots/shot.jpg" in (data_home / "Trash" / "info" /
                                                 "shot.jpg.trashinfo").read_text()
    assert item.trashed_file == str(data_home / "Trash" / "files" / "shot.jpg")
    file_actions.restore_from_trash(item)
    assert photo.exists()


def test_a_photo_reached_through_a_folder_link_to_another_drive_can_be_put_back(
        tmp_path, monkeypatch):
    """The library follows folder links: ~/Pictures/usb -> /media/disk/photos. The drive's
    .Trash-UID records the photo relative to the drive's top folder as send2trash writes it,
    "../../Pictures/usb/x.jpg" (relative to the link's name, not the drive's folder): joined to
    the top folder without resolving the "..", Undo said the photo was no longer in the trash."""
    from send2trash import plat_other

    use_own_trash(monkeypatch, tmp_path / "xdg")
    drive = tmp_path / "media" / "disk"
    photo_in_drive = make_photo(drive / "photos" / "x.jpg", "rocket", size=(60, 40))
    (tmp_path / "home" / "Pictures").mkdir(parents=True)
    (tmp_path / "home" / "Pictures" / "usb").symlink_to(drive / "photos")
    photo = tmp_path / "home" / "Pictures" / "usb" / "x.jpg"
    real_ismount = os.path.ismount
    # The drive is mounted there, and is another device than the home folder.
    monkeypatch.setattr(os.path, "ismount",
                        lambda p: os.fsdecode(p) == str(drive) or real_ismount(p))
    monkeypatch.setattr(plat_other, "get_dev", lambda p: 2 if os.path.realpath(
        os.fsdecode(p)).startswith(str(drive)) else 1)
    item = file_actions.move_to_trash(str(photo))
    uid = os.getuid()
    info = drive / f".Trash-{uid}" / "info" / "x.jpg.trashinfo"
    assert "Path=../../home/Pictures/usb/x.jpg" in info.read_text()
    assert not photo_in_drive.exists()
    assert item.trashed_file == str(drive / f".Trash-{uid}" / "files" / "x.jpg")
    file_actions.restore_from_trash(item)
    assert photo_in_drive.exists() and not info.exists()


def test_undo_never_replaces_a_link_now_at_the_photos_name(tmp_path, monkeypatch):
    """The name was checked with os.path.exists, which is False for a link whose target is
    gone: os.replace then put the photo over the user's link."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))
    photo.symlink_to(tmp_path / "unplugged" / "a.jpg")
    with pytest.raises(OSError, match="another file now has this name"):
        file_actions.restore_from_trash(item)
    assert photo.is_symlink() and os.readlink(photo) == str(tmp_path / "unplugged" / "a.jpg")
    assert os.path.exists(item.trashed_file)


def test_undo_does_not_put_back_another_file_trashed_under_the_photos_trash_name(
        tmp_path, monkeypatch):
    """The photo was restored from the trash by hand (its entry went with it) and moved
    elsewhere; another "a.jpg" was trashed from another folder and took the free name in the
    trash. Undo put that other file at the photo's name."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))
    os.rename(item.trashed_file, tmp_path / "kept-elsewhere.jpg")  # restored by hand, moved
    os.unlink(item.info_file)
    other = make_photo(tmp_path / "downloads" / "a.jpg", "coffee", size=(60, 40))
    other_item = file_actions.move_to_trash(str(other))
    assert other_item.trashed_file == item.trashed_file  # the same name in the trash
    with pytest.raises(OSError, match="the trash no longer holds it"):
        file_actions.restore_from_trash(item)
    assert not photo.exists() and os.path.exists(other_item.trashed_file)
    assert "downloads" in (trash / "info" / "a.jpg.trashinfo").read_text()
    file_actions.restore_from_trash(other_item)  # its own entry still puts it back
    assert other.exists()


def saved_right_after_the_check(monkeypatch, photo) -> None:
    """A file is saved at `photo`'s name just after Undo checked that the name is free (a
    camera import, a sync), the race a check-then-move loses."""
    real_lexists = os.path.lexists

    def checked_then_saved(path):
        taken = real_lexists(path)
        if os.fsdecode(path) == str(photo) and not taken:
            photo.write_bytes(b"saved meanwhile")
        return taken

    monkeypatch.setattr(file_actions.os.path, "lexists", checked_then_saved)


def test_undo_never_replaces_a_file_made_at_the_photos_name_after_the_check(tmp_path,
                                                                           monkeypatch):
    """The name was checked, then the photo moved there with os.replace: a file saved at that
    name in between (a camera import, a sync) was replaced, and lost."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))
    saved_right_after_the_check(monkeypatch, photo)
    with pytest.raises(OSError, match="another file now has this name"):
        file_actions.restore_from_trash(item)
    assert photo.read_bytes() == b"saved meanwhile"
    assert os.path.lexists(item.trashed_file) and os.path.lexists(item.info_file)


def test_undo_that_cannot_empty_the_trash_entry_leaves_the_photo_under_one_name(
        tmp_path, monkeypatch):
    """The photo was hard-linked back to its name, then taking it out of the trash failed: it
    stayed under two names, its trash entry still there, and Undo said it was not put back
    (the window neither took it in again nor showed it in its group)."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))
    real_unlink = os.unlink

    def refused(path, *args, **kwargs):
        if os.fsdecode(path) == item.trashed_file:
            raise PermissionError(13, "Permission denied", path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(file_actions.os, "unlink", refused)
    with pytest.raises(OSError, match="could not be taken out of the trash"):
        file_actions.restore_from_trash(item)
    assert not os.path.lexists(photo)  # one name: the trash's, whose entry still says so
    assert os.path.exists(item.trashed_file) and os.path.exists(item.info_file)
    monkeypatch.setattr(file_actions.os, "unlink", real_unlink)
    file_actions.restore_from_trash(item)  # and it can still be put back
    assert photo.exists() and not os.path.lexists(item.trashed_file)


@pytest.mark.parametrize("link", [False, True])
def test_undo_puts_back_a_photo_from_a_trash_on_another_device(tmp_path, monkeypatch, link):
    """send2trash falls back to the home trash, copying, when the move into the drive's trash
    fails across devices (EXDEV): neither a hard link nor a rename works on the way back, and
    Undo failed with "Invalid cross-device link" where its fallback was said to be a plain
    move. The way back is an exclusive copy (never over a file saved meanwhile)."""
    import errno

    use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = tmp_path / "photos" / "a.jpg"
    if link:
        (tmp_path / "elsewhere").mkdir()
        target = make_photo(tmp_path / "elsewhere" / "b.jpg", "rocket", size=(60, 40))
        photo.parent.mkdir()
        os.symlink(target, photo)
    else:
        make_photo(photo, "rocket", size=(60, 40))
    data = photo.read_bytes()
    item = file_actions.move_to_trash(str(photo))

    def cross_device(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    for name in ("link", "rename", "replace"):
        monkeypatch.setattr(file_actions.os, name, cross_device)
    file_actions.restore_from_trash(item)
    assert photo.read_bytes() == data and os.path.islink(photo) == link
    assert not os.path.lexists(item.trashed_file) and not os.path.exists(item.info_file)


def test_undo_from_a_trash_on_another_device_never_copies_over_a_file_saved_meanwhile(
        tmp_path, monkeypatch):
    import errno

    use_own_trash(monkeypatch, tmp_path / "xdg")
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    item = file_actions.move_to_trash(str(photo))

    def cross_device(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    saved_right_after_the_check(monkeypatch, photo)
    for name in ("link", "rename", "replace"):
        monkeypatch.setattr(file_actions.os, name, cross_device)
    with pytest.raises(OSError, match="another file now has this name"):
        file_actions.restore_from_trash(item)
    assert photo.read_bytes() == b"saved meanwhile"
    assert os.path.lexists(item.trashed_file) and os.path.lexists(item.info_file)


def test_a_hard_link_to_a_kept_photo_may_go_but_a_symbolic_link_may_not(tmp_path):
    """Two hard links are two names of one file, each as real as the other: trashing one loses
    nothing (the kept name still holds the picture), yet it was refused as "the same file as"
    the kept one. A symbolic link and its target are still kept together."""
    kept = make_photo(tmp_path / "a.jpg", "rocket", size=(60, 40))
    os.link(kept, tmp_path / "b.jpg")
    (tmp_path / "c.jpg").symlink_to(kept.name)
    stamp = os.stat(kept)
    indexed = (stamp.st_size, stamp.st_mtime, stamp.st_ctime_ns)
    assert file_actions.reason_to_keep(str(tmp_path / "b.jpg"), indexed, [str(kept)]) is None
    assert "is the same file as" in file_actions.reason_to_keep(
        str(tmp_path / "c.jpg"), indexed, [str(kept)])
    assert "is the same file as" in file_actions.reason_to_keep(
        str(kept), indexed, [str(tmp_path / "c.jpg")])


def test_show_in_file_manager_without_a_desktop_session_says_so(qtbot, tmp_path, monkeypatch):
    """dbus-send was started without waiting for an answer: with no session bus (or no file
    manager on it) it failed where nobody saw, and the menu did nothing at all."""
    from desktop_app.ui.photo_grid import photo_actions

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    monkeypatch.delenv("DISPLAY", raising=False)
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    told = []
    actions = dict(photo_actions(str(photo), lambda: None, told.append))
    actions["Show in file manager"]()
    qtbot.waitUntil(lambda: bool(told), timeout=20000)
    assert told == [(f"{photo}: no file manager could be opened (is a desktop session "
                     f"running?). The photo is in {photo.parent}.")]


def test_show_in_file_manager_asks_for_a_name_with_a_comma_as_one_file(qtbot, tmp_path,
                                                                        monkeypatch):
    """dbus-send splits an array argument at commas: "a,b.jpg" was asked for as two files."""
    from desktop_app.ui.photo_grid import photo_actions

    bin_dir, asked = tmp_path / "bin", tmp_path / "asked"
    bin_dir.mkdir()
    fake = bin_dir / "dbus-send"  # a file manager that answers
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {asked}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    photo = make_photo(tmp_path / "photos" / "a,b.jpg", "rocket", size=(60, 40))
    told = []
    dict(photo_actions(str(photo), lambda: None, told.append))["Show in file manager"]()
    qtbot.waitUntil(asked.exists, timeout=20000)
    qtbot.wait(200)
    args = asked.read_text().splitlines()
    assert f"array:string:file://{photo.parent}/a%2Cb.jpg" in args
    assert "--print-reply" in args
    assert told == []  # it answered: nothing to say


def test_open_without_xdg_open_names_what_is_missing(qtbot, tmp_path, monkeypatch):
    from desktop_app.ui.photo_grid import photo_actions

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    photo = make_photo(tmp_path / "photos" / "a.jpg", "rocket", size=(60, 40))
    told = []
    dict(photo_actions(str(photo), lambda: None, told.append))["Open with default viewer"]()
    assert len(told) == 1 and told[0].startswith(f"{photo}: nothing here opens files")
    assert "xdg-utils" in told[0]


def test_many_duplicate_groups_are_added_in_one_go(qtbot):
    from desktop_app.ui.duplicates_panel import DuplicatesPanel

    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    groups = [[Match(2 * i, f"/a/IMG_{i}.jpg", 0, 48), Match(2 * i + 1, f"/b/IMG_{i}.jpg", 1, 48)]
              for i in range(2000)]
    inserts = []
    panel.tree.model().rowsInserted.connect(lambda parent, first, last: inserts.append(parent))
    panel.set_groups(groups)
    # One insertion for all the groups (per-group insertions made 5,000 groups take 14 s).
    assert len(inserts) == 1 and not inserts[0].isValid()
    assert panel.groups_shown() == [[m.path for m in g] for g in groups]
    top = panel.tree.topLevelItem(1999)
    assert top.isExpanded() and top.text(0) == "Group 2000: 2 photos"
    assert panel.checked_paths() == [g[1].path for g in groups]
