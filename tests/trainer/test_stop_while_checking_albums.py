"""A `run` into a folder with a checkpoint first lists the albums to see whether they changed
(then it resumes without reading a photo): a stop there said "run the same command again to
start", the words of a first run's listing, though the same command goes on from the
checkpoint."""

from __future__ import annotations

import json
import os
import signal

from fast_settings import FAST

from trainer import album_files
from trainer.cli import main


def test_a_stop_while_checking_the_albums_of_a_trained_run_says_it_goes_on(
        albums, tmp_path, capsys, monkeypatch):
    out = tmp_path / "m"
    argv = ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json", *FAST]
    assert main(argv) == 0
    original, listed = album_files.is_photo, []

    def list_then_stop(name):  # Ctrl-C as the first file is listed
        if not listed:
            listed.append(name)
            os.kill(os.getpid(), signal.SIGINT)
        return original(name)

    monkeypatch.setattr(album_files, "is_photo", list_then_stop)
    capsys.readouterr()
    assert main(argv) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["message"] == (
        f"stopped while checking whether the albums changed since {out / 'training'} was "
        "prepared, before any photo was read; what was trained there is kept: run the same "
        "command again to go on")
    monkeypatch.setattr(album_files, "is_photo", original)
    assert main(argv) == 0  # and it does: the albums are not read again
    assert "its photos are not read again" in capsys.readouterr().err
