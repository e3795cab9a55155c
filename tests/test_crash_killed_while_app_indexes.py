"""`lookalike index` killed (SIGKILL, the out-of-memory killer) while decoding, the app open: the
app indexed those photos fine, then the next command read the killed one's journal and recorded
them as unreadable, dropping their codes (gone from the app's grid, listed as Unreadable). A
photo read and encoded since, as it is now, is no longer blamed. The real command line in
processes of their own, the app's indexing (PhotoLibrary) in this one, real photos, tiny real
model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from desktop_app import paths
from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def lookalike(*argv):
    return subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress",
                           *map(str, argv)], capture_output=True, text=True, timeout=300,
                          check=False)


def test_photos_the_app_indexed_after_a_command_was_killed_are_not_blamed(
        tmp_path, photo_factory, tiny_model_dir, slow_decoder_script):
    album = tmp_path / "album"
    photo_factory("album/slow.jpg", "chelsea")
    photo_factory("album/other.jpg", "coffee")
    assert lookalike("models", "import", tiny_model_dir, "--activate").returncode == 0
    script = slow_decoder_script("from desktop_app import cli; sys.exit(cli.main(sys.argv[1:]))")
    command = subprocess.Popen([sys.executable, "-c", script, "--no-progress", "index",
                                str(album)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert command.stdout.readline() == "decoding\n"
        command.send_signal(signal.SIGKILL)
        command.communicate(timeout=60)
    finally:
        command.kill()
    assert [n for n in os.listdir(paths.data_dir()) if n.startswith("decoding-")]

    with Store() as store:  # the app, open all along, indexes the folder
        report = PhotoLibrary(store, load_encoder(tiny_model_dir)).index_folder(album)
    assert report.failed == 0

    done = lookalike("similar", album / "other.jpg")

    assert done.returncode == 0 and "Lookalike stopped" not in done.stderr, done.stderr
    assert not [n for n in os.listdir(paths.data_dir()) if n.startswith("decoding-")]
    status = json.loads(lookalike("status", "--json").stdout)
    assert (status["photos"], status["indexed"], status["failed"]) == (2, 2, 0)
