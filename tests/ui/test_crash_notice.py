"""A photo that crashed the app's thumbnailer (its decoder, native code) is said at the next start
in the status bar, listed under Unreadable photos and left out of the grid, so that its
thumbnail is not made again: the app does not crash at every start. A real SIGSEGV in a child
process (the thumbnailer's call, its decoder made to crash), real photos, the real window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from ui_helpers import wait_idle, wait_rows

from desktop_app import app, paths
from desktop_app.core import crash_journal
from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow

# The thumbnailer's decode of the photo named, its decoder reading address 0 (a real SIGSEGV).
CRASHING_THUMBNAIL = r"""
import ctypes, sys
from desktop_app import paths
from desktop_app.core import crash_journal, images

images._load = lambda *args, **kwargs: ctypes.string_at(0)
crash_journal.install(paths.data_dir())
images.load_picture(sys.argv[1], min_size=(160, 160), display_edge=160)
"""


def test_a_photo_that_crashed_the_thumbnailer_is_said_and_left_out(qtbot, library_photos,
                                                                    tiny_model_dir):
    with Store() as store:
        PhotoLibrary(store, load_encoder(tiny_model_dir)).index_folder(library_photos)
    chelsea = str(library_photos / "chelsea.jpg")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    done = subprocess.run([sys.executable, "-c", CRASHING_THUMBNAIL, chelsea], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGSEGV, done.stderr

    settings = Settings(model_dir=str(tiny_model_dir), first_run_done=True,
                        watched_folders=[str(library_photos)])
    try:
        window = MainWindow(settings, left_by_crashes=app.take_in_crashes())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window._opened, timeout=60000)
        try:
            message = window.statusBar().currentMessage()
            assert message.startswith(f"{chelsea}: Lookalike stopped while reading this photo")
            assert message.endswith("It is listed under Unreadable photos.")
            wait_idle(qtbot, window)
            wait_rows(qtbot, window, 5)
            shown = {window.photos_model.photo_at(r).path for r in range(5)}
            assert chelsea not in shown
            assert [p.path for p in window.failed_model.photos()] == [chelsea]
        finally:
            window.shutdown()
    finally:
        crash_journal.uninstall()
    assert not [n for n in os.listdir(paths.data_dir()) if n.startswith("decoding-")]


def test_several_photos_and_one_searched_with_are_named_in_one_notice():
    from desktop_app.ui.main_window import crash_notice

    recorded = [(p, f"{p}: Lookalike stopped while reading this photo ...")
                for p in ("/photos/a.nef", "/photos/b.heic")]
    dropped = crash_journal.Crash("/downloads/query.jpg", 1_700_000_000.0)

    notice = crash_notice(recorded, [dropped])

    assert notice.startswith("Lookalike stopped while reading 2 photos (a decoder crashed): "
                             "/photos/a.nef, /photos/b.heic. They are left out")
    assert "listed under Unreadable photos" in notice
    assert notice.endswith(dropped.notice())
    assert dropped.notice().startswith("/downloads/query.jpg: Lookalike stopped while reading "
                                       "this photo on 2023-11-1")
    assert crash_notice([], []) == ""




@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signals", [("SIGINT", "SIGINT"), ("SIGHUP",)],
                         ids=["second Ctrl-C", "terminal closed"])
def test_the_app_ended_on_purpose_while_decoding_blames_no_photo(
        tmp_path, photo_factory, tiny_model_dir, lookalike_home, signals, slow_decoder_script):
    """A second Ctrl-C ends the app at once (SIG_DFL), its indexer still finishing its batch,
    and closing the terminal it was started from (SIGHUP) ends it too: the photos being decoded
    were blamed, said at the next start and left out as crashing their decoder."""
    photo_factory("album/slow.jpg", "chelsea")
    photo_factory("album/other.jpg", "coffee")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([sys.executable, "-m", "desktop_app", "models", "import",
                           str(tiny_model_dir), "--activate"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    script = slow_decoder_script("from desktop_app import app; sys.exit(app.main(sys.argv[1]))")
    window = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "album")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert window.stdout.readline() == "decoding\n"
        for name in signals:
            window.send_signal(getattr(signal, name))
            time.sleep(1)
        stderr = window.communicate(timeout=60)[1]
    finally:
        window.kill()
    assert window.returncode == -getattr(signal, signals[-1]), stderr[-3000:]

    assert crash_journal.left_by_crashes(paths.data_dir()) == []
