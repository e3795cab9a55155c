"""Removing a watched folder while a job reads its photos: the watcher's job for a big copy into
it, and a model switch re-encoding the library. Both ran to their end first (the photos stayed
in the grid and searches meanwhile, the switch encoded them all for nothing, and the watcher's
summary counted the removed folder's photos as added). Real MainWindow (offscreen), real
SQLite, real photos, the tiny real ONNX models; only the encoding is slowed, as a big job."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from model_tab import choose
from photos import make_photo
from PySide6.QtCore import Qt
from tiny_model import make_tiny_model
from ui_helpers import indexed, wait_idle, wait_rows

from desktop_app.core import encoder as encoder_module
from desktop_app.core import library
from desktop_app.core.model_registry import import_model
from desktop_app.core.scan import is_under
from desktop_app.core.store import Store
from desktop_app.settings import Settings
from desktop_app.ui.workers import CHANGES_LABEL, IndexerWorker

NAMES = ("astronaut", "coffee", "rocket", "chelsea", "retina")


def photos_in(folder, count: int, first_size: int):
    for i in range(count):  # each of another size: no two share their content
        make_photo(folder / f"{i:02d}.jpg", NAMES[i % len(NAMES)], size=(first_size + i, 80))
    return folder


class SlowEncoding:
    """The worker's encoding takes `seconds` a photo (the real encoding still runs), for the
    model of `bits` bits only if given; `encoded` counts the photos it encoded."""

    def __init__(self, monkeypatch, seconds: float, bits: int | None = None) -> None:
        self.encoded = 0
        real = encoder_module.Encoder.encode_pixels

        def encode_pixels(encoder, pixels):
            ours = bits is None or encoder.bits == bits
            if ours and threading.current_thread() is not threading.main_thread():
                time.sleep(seconds * len(pixels))
                self.encoded += len(pixels)
            return real(encoder, pixels)

        monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)


def photos_encoded_by_switches(monkeypatch) -> list[int]:
    """The photos each round of a switch encodes (not a model's checks as it is loaded)."""
    rounds: list[int] = []
    real = library.PhotoLibrary._encode_for_activation

    def encode_for_activation(lib, encoder, rows, report, *args):
        before = report.updated
        try:
            return real(lib, encoder, rows, report, *args)
        finally:
            rounds.append(report.updated - before)

    monkeypatch.setattr(library.PhotoLibrary, "_encode_for_activation", encode_for_activation)
    return rounds


def library_paths() -> list[str]:
    with Store(readonly=True) as store:
        return [p for (p,) in store.query("SELECT path FROM photos WHERE status = 'ok'")]


def test_removing_a_folder_stops_the_watchers_job_for_a_copy_into_it(
        qtbot, make_window, library_photos, tmp_path, monkeypatch, watch_returns_started):
    """A camera import into a watched folder is one watcher change ("Indexing 1 change"):
    removed meanwhile, the folder's photos went on being read and encoded (the grid grew after
    the folder had left the list) and the status bar said "Indexed 1 change: 30 added" over an
    empty grid. The job's paths in another watched folder are still indexed."""
    other = photos_in(tmp_path / "other", 2, 150)
    window = indexed(qtbot, make_window, library_photos, 6)
    window.add_folder(str(other))
    wait_rows(qtbot, window, 8)
    wait_idle(qtbot, window)
    into_removed = photos_in(tmp_path / "staging-a", 16, 90)
    into_kept = photos_in(tmp_path / "staging-b", 4, 120)
    activities, summaries, removal_told = [], [], []
    direct = Qt.ConnectionType.DirectConnection  # on the worker's thread, as it happens
    worker = window.worker
    worker.activity.connect(activities.append, direct)
    worker.finished_job.connect(lambda label, report: summaries.append((label, report)), direct)
    slow = SlowEncoding(monkeypatch, 0.3)
    worker.photos_changed.connect(
        lambda _changed, removed: removal_told.append(slow.encoded) if removed else None, direct)

    # Both land at once: one watcher batch, one job for the two folders' changes.
    os.rename(into_removed, library_photos / "import")
    os.rename(into_kept, other / "import")
    imported = str(library_photos / "import")
    qtbot.waitUntil(lambda: sum(is_under(window.photos_model.photo_at(r).path, imported)
                                for r in range(window.photos_model.rowCount())) >= 2,
                    timeout=30000)
    window.remove_folder(str(library_photos))

    kept = sorted(str(p) for p in (*other.glob("*.jpg"), *(other / "import").glob("*.jpg")))
    qtbot.waitUntil(lambda: sorted(library_paths()) == kept, timeout=60000)
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    assert "Indexing 2 changes" in activities  # the two folders' changes were one job
    # Its photos left the grid as soon as it was removed, not once all 20 were encoded.
    assert removal_told and removal_told[0] < 20
    assert sorted(window.photos_model.photo_at(r).path for r in range(6)) == kept
    assert sorted(window.snapshot.paths.values()) == kept  # and the searches
    changes = [report for label, report in summaries if CHANGES_LABEL.fullmatch(label)]
    # Never said added: the removed folder's photos; the other folder's 4 were indexed.
    assert changes and all(report.added <= 4 for report in changes)


def test_removing_a_folder_during_a_model_switch_removes_it_at_once_and_the_switch_goes_on(
        qtbot, make_window, library_photos, tmp_path, tiny_model_dir, monkeypatch):
    """Its photos stayed in the grid and the searches until the whole library was re-encoded
    with the new model (its own photos too, for nothing: hours for a big library)."""
    first = import_model(tiny_model_dir)
    other = import_model(make_tiny_model(tmp_path / "in-32", bits=32, seed=3, name="tiny-32"))
    big = photos_in(tmp_path / "big", 24, 90)
    window = make_window(model_dir=str(first))
    window.add_folder(str(library_photos))  # first: its photos are re-encoded first
    window.add_folder(str(big))
    wait_rows(qtbot, window, 30)
    wait_idle(qtbot, window)
    SlowEncoding(monkeypatch, 0.3, bits=32)
    rounds = photos_encoded_by_switches(monkeypatch)
    events: list[tuple] = []
    direct = Qt.ConnectionType.DirectConnection
    worker = window.worker

    def removed(_changed, gone) -> None:
        if gone:  # the removal's publish: how many of the library's photos kept a new code
            with Store(readonly=True) as store:
                coded = store.query("SELECT COUNT(*) FROM codes c JOIN models m ON "
                                    "m.id = c.model_id WHERE m.name = 'tiny-32'")[0][0]
            events.append(("removed", sum(rounds), coded))

    worker.photos_changed.connect(removed, direct)
    worker.model_switched.connect(lambda _dir, card: events.append(("switched", card.name)),
                                  direct)
    read = [0]  # photos the switch has read (and encoded: one at a time on a CPU)
    worker.progress.connect(lambda done, *_: read.append(done), direct)
    choose(qtbot, window, other)
    qtbot.waitUntil(lambda: "Re-encoding" in window.folders_panel.activity.text()
                    and max(read) >= 2, timeout=30000)
    window.remove_folder(str(big))

    qtbot.waitUntil(lambda: ("switched", "tiny-32") in events, timeout=60000)
    wait_idle(qtbot, window)
    kinds = [e[0] for e in events]
    assert kinds == ["removed", "switched"]  # removed first, then the switch went on
    _removed, encoded_then, kept_codes = events[0]
    assert encoded_then < 30 and kept_codes > 0  # not after the whole library was encoded
    # The switch went on from the codes made so far: none of them was made again.
    assert sum(rounds) == encoded_then + (6 - kept_codes)
    assert window.card.name == "tiny-32" and window.photos_model.rowCount() == 6
    assert sorted(window.snapshot.paths.values()) == sorted(
        str(p) for p in library_photos.iterdir())
    with Store(readonly=True) as store:
        assert store.model(store.active_model_id())["name"] == "tiny-32"
        assert {m["name"]: m["codes"] for m in store.models()} == {"tiny-48": 6, "tiny-32": 6}
    saved = Settings.load()
    assert saved.model_dir == str(other) and not saved.switching_to_model
    assert saved.watched_folders == [str(library_photos)]


@pytest.mark.skipif(sys.platform == "win32", reason="folder links need rights")
def test_removing_a_linked_folder_stops_the_watchers_job_for_it_reported_whole(
        qtbot, tiny_model_dir, tmp_path, monkeypatch):
    """A watched folder that is a link (~/Pictures/camera -> /mnt/card) is reported changed
    whole by its name (its watch started late, the folder back, events lost): its real path,
    the one a removal stops jobs for, was not matched, and the job read and encoded the whole
    removed folder, then said "Indexed 1 change: 12 added". Real IndexerWorker (its jobs run on
    the test thread; Remove is pressed from within the encoding, as the window's thread would),
    real SQLite, real photos, the tiny real model."""
    real = photos_in(tmp_path / "card", 2, 150)
    link = tmp_path / "camera"
    os.symlink(real, link)
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    summaries: list[tuple[str, int]] = []
    worker.finished_job.connect(lambda label, report: summaries.append((label, report.added)))
    worker.open()
    try:
        worker.add_folder(str(link))
        photos_in(real / "import", 12, 90)
        encoded = [0]
        encode = encoder_module.Encoder.encode_pixels

        def encode_pixels(encoder, pixels):
            encoded[0] += len(pixels)
            if encoded[0] == 2:  # Remove pressed
                worker.abandon_folder(str(link))
            return encode(encoder, pixels)

        monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)
        summaries.clear()
        worker.index_paths([str(link)])
        worker.remove_folder(str(link), ())
        assert encoded[0] < 12  # it stopped: the photos left were not read
        assert summaries == []  # nor told as added
        assert worker._library.folders() == [] and worker._library.photos() == []
        assert not worker._queue
    finally:
        worker.close()


@pytest.mark.parametrize("paused", [False, True])
def test_removing_a_folder_merged_into_the_one_around_it_keeps_indexing_its_photos(
        qtbot, tiny_model_dir, tmp_path, monkeypatch, paused):
    """~/Pictures/camera watched, then ~/Pictures added around it: the library merged it, so
    removing camera from the list forgets none of its photos. The watcher's job for photos
    copied into it stopped for that removal (paused: was cut to the photos it had read) and
    left the others out of the library, in a folder still watched, until the next start's
    check. Real IndexerWorker (jobs on the test thread), real SQLite, real photos, the tiny
    real model."""
    around = photos_in(tmp_path / "Pictures", 2, 150)
    inner = photos_in(around / "camera", 2, 170)
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    worker.open()
    try:
        worker.add_folder(str(inner))
        worker.add_folder(str(around))
        assert [f.path for f in worker._library.folders()] == [str(around)]
        photos_in(inner / "import", 8, 90)
        encoded = [0]
        encode = encoder_module.Encoder.encode_pixels

        def encode_pixels(encoder, pixels):
            encoded[0] += len(pixels)
            if encoded[0] == 2:  # Pause, or Remove, pressed
                (worker.pause if paused else lambda: worker.abandon_folder(str(inner)))()
            return encode(encoder, pixels)

        monkeypatch.setattr(encoder_module.Encoder, "encode_pixels", encode_pixels)
        worker.index_paths([str(inner / "import")])
        if paused:
            worker.abandon_folder(str(inner))
        worker.remove_folder(str(inner), ())
        if paused:
            worker.resume()
        assert len(worker._library.photos()) == 12  # the 8 copied in too
        assert encoded[0] == 8  # each read once
        assert not worker._queue
    finally:
        worker.close()
