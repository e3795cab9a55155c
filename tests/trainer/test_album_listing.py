"""`run` and `prepare` list the albums folder once: the check whether the albums changed since a
trained run folder was made, the start report's count, the listing's fingerprint and the
reading each walked it anew (four walks of tens of thousands of files on a NAS)."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter

from fast_settings import FAST
from photos import make_photo

from trainer import album_files
from trainer import albums as albums_mod
from trainer.cli import main


def count_listings(monkeypatch) -> Counter:
    """How many times each file name is listed from now on."""
    listed: Counter = Counter()
    original = album_files.is_photo

    def is_photo(name):
        listed[os.path.basename(os.fspath(name))] += 1
        return original(name)

    monkeypatch.setattr(album_files, "is_photo", is_photo)
    return listed


def stop_at_first_read(monkeypatch) -> None:
    """Ctrl-C as the first photo is read: what comes before is what is measured."""
    original = albums_mod.load_photo

    def load(path, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return original(path, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", load)


def test_a_run_on_changed_albums_lists_each_file_once(albums, tmp_path, capsys, monkeypatch):
    out = tmp_path / "m"
    # A trained-looking run folder (its manifest, settings and a checkpoint), then a new photo:
    # the run checks the albums for changes, finds one, announces and reads them.
    assert main(["prepare", str(albums), "--out", str(out / "training"), "--progress", "none",
                 *FAST]) == 0
    (out / "training" / "checkpoint.pt").write_bytes(b"")
    make_photo(albums / "cats" / "new.jpg", "coffee", size=(96, 80))
    listed = count_listings(monkeypatch)
    stop_at_first_read(monkeypatch)
    capsys.readouterr()
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json",
                 *FAST]) == 130
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "start" and events[0]["photos"] == 16
    assert len(listed) == 16 and set(listed.values()) == {1}


def test_prepare_lists_each_file_once_and_writes_the_same_manifest(albums, tmp_path,
                                                                    monkeypatch):
    (albums / "space" / "notes.txt").write_text("not a photo")
    (albums / "loose.jpg").write_bytes((albums / "cats" / "chelsea-0.jpg").read_bytes())
    make_photo(albums / "space" / "2019" / "deep.jpg", "hubble_deep_field", size=(96, 80))
    listed = count_listings(monkeypatch)
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"), "--progress", "none",
                 *FAST]) == 0
    assert set(listed.values()) == {1} and "deep.jpg" in listed
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert len(manifest["photos"]) == 16 and manifest["listing"] == albums_mod.listing_digest(
        albums)
