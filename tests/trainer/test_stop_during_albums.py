"""Ctrl-C while the albums are read (minutes for tens of thousands of photos on a NAS): the
photos read so far are kept in the run folder, and the same command run again reads only the
rest, or a photo changed since, giving the manifest a reading without a stop gives."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

from fast_settings import FAST
from photos import make_photo

from trainer import albums as albums_mod
from trainer.album_reads import READS
from trainer.cli import main


def manifest_of(run_dir) -> dict:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest.pop("created")
    return manifest


def test_a_prepare_stopped_while_reading_the_albums_reads_only_the_rest(
        albums, tmp_path, capsys, monkeypatch):
    original = albums_mod.load_photo
    read = []

    def read_then_stop(path, **kwargs):  # Ctrl-C as the fifth photo is read
        read.append(os.fspath(path))
        if len(read) == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return original(path, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", read_then_stop)
    run_dir = tmp_path / "run"
    argv = ["prepare", str(albums), "--out", str(run_dir), "--progress", "json", *FAST]
    assert main(argv) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["event"] == "error" and last["problem"] == "stopped"
    assert last["message"] == (
        f"stopped while reading the albums; the photos read so far (5 of 15 files) are kept in "
        f"{run_dir / READS}: run the same command again to read only the other 10")
    assert not (run_dir / "manifest.json").exists()
    first = list(read)

    # A photo read before the stop is replaced by another picture: it is read again.
    changed = first[1]
    make_photo(changed, "rocket", size=(120, 96))
    read.clear()
    monkeypatch.setattr(albums_mod, "load_photo", lambda path, **kw: (
        read.append(os.fspath(path)), original(path, **kw))[1])
    assert main(argv) == 0
    run = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert read == [changed] + first_unread(albums, first)
    steps = [e["step"] for e in run if e.get("phase") == "prepare"]
    assert steps[0] == 4 and steps[-1] == 15  # the bar goes on from the photos kept
    assert not (run_dir / READS).exists()

    # The same as a reading that was never stopped.
    monkeypatch.setattr(albums_mod, "load_photo", original)
    whole = tmp_path / "whole"
    assert main(["prepare", str(albums), "--out", str(whole), "--progress", "none", *FAST]) == 0
    assert manifest_of(run_dir) == manifest_of(whole)
    assert str(Path(changed).resolve()) in [p["path"] for p in manifest_of(whole)["photos"]]


def first_unread(albums, first: list[str]) -> list[str]:
    """The photo files the stopped reading did not reach, in the order they are read."""
    every = sorted(str(p) for p in albums.rglob("*.jpg"))
    return [p for p in every if p not in first]


def test_a_stopped_reading_of_other_albums_is_not_taken(albums, tmp_path, capsys, monkeypatch):
    """The record belongs to one albums folder: a run folder given other albums reads them all."""
    original = albums_mod.load_photo
    read = []

    def read_then_stop(path, **kwargs):
        read.append(os.fspath(path))
        if len(read) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return original(path, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", read_then_stop)
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 130
    assert (run_dir / READS).is_file()
    other = tmp_path / "other"
    shutil.copytree(albums, other)  # the same names, sizes and times in another folder
    read.clear()
    monkeypatch.setattr(albums_mod, "load_photo", lambda path, **kw: (
        read.append(os.fspath(path)), original(path, **kw))[1])
    assert main(["prepare", str(other), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    assert len(read) == 15
    capsys.readouterr()
