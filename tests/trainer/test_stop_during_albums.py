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

LOAD_PHOTO = albums_mod.load_photo  # the real reader (record_reads patches it)


def record_reads(monkeypatch, stop_at: int | None = None) -> list[str]:
    """The photos read from now on, in order; Ctrl-C as the `stop_at`-th is read."""
    read: list[str] = []

    def load(path, **kwargs):
        read.append(os.fspath(path))
        if len(read) == stop_at:
            os.kill(os.getpid(), signal.SIGINT)
        return LOAD_PHOTO(path, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", load)
    return read


def manifest_of(run_dir) -> dict:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest.pop("created")
    return manifest


def test_a_prepare_stopped_while_reading_the_albums_reads_only_the_rest(
        albums, tmp_path, capsys, monkeypatch):
    read = record_reads(monkeypatch, stop_at=5)
    run_dir = tmp_path / "run"
    argv = ["prepare", str(albums), "--out", str(run_dir), "--progress", "json", *FAST]
    assert main(argv) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["event"] == "error" and last["problem"] == "stopped"
    assert last["message"] == (
        f"stopped while reading the albums; the photos read so far (5 of 15 files) are kept in "
        f"{run_dir / READS}: run the same command again to read only the other 10")
    assert not (run_dir / "manifest.json").exists()
    first = read

    # A photo read before the stop is replaced by another picture: it is read again.
    changed = first[1]
    make_photo(changed, "rocket", size=(120, 96))
    read = record_reads(monkeypatch)
    assert main(argv) == 0
    run = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert read == [changed] + first_unread(albums, first)
    steps = [e["step"] for e in run if e.get("phase") == "prepare"]
    assert steps[0] == 4 and steps[-1] == 15  # the bar goes on from the photos kept
    assert not (run_dir / READS).exists()

    # The same as a reading that was never stopped.
    monkeypatch.setattr(albums_mod, "load_photo", LOAD_PHOTO)
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
    record_reads(monkeypatch, stop_at=3)
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 130
    assert (run_dir / READS).is_file()
    other = tmp_path / "other"
    shutil.copytree(albums, other)  # the same names, sizes and times in another folder
    read = record_reads(monkeypatch)
    assert main(["prepare", str(other), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    assert len(read) == 15
    capsys.readouterr()


def test_a_stop_while_the_albums_are_listed_ends_before_any_photo_is_read(
        albums, tmp_path, capsys, monkeypatch):
    """Listing tens of thousands of files on a NAS takes a while: the stop flag was first
    looked at once a photo had been read."""
    from trainer import album_files

    original_is_photo, original_load = album_files.is_photo, albums_mod.load_photo
    read = []

    def list_then_stop(name):  # Ctrl-C as the first file is listed
        if not read:
            os.kill(os.getpid(), signal.SIGINT)
            read.append("listed")
        return original_is_photo(name)

    monkeypatch.setattr(album_files, "is_photo", list_then_stop)
    monkeypatch.setattr(albums_mod, "load_photo", lambda path, **kw: (
        read.append(os.fspath(path)), original_load(path, **kw))[1])
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--bits", "12",
                 "--progress", "json", *FAST]) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["message"] == ("stopped while listing the albums, before any photo was read; "
                               "run the same command again to start")
    assert read == ["listed"]


def test_without_a_record_of_a_stopped_reading_each_file_is_looked_at_once_before_reading(
        albums, tmp_path, monkeypatch):
    """Its size and time were taken for every file before the first photo was read, after the
    listing had taken them all too: twice the work on a NAS before anything showed."""
    original_stat, original_load = Path.stat, albums_mod.load_photo
    stats: list[str] = []
    reading = []

    def counted_stat(self, *args, **kwargs):
        if not reading and self.suffix == ".jpg":
            stats.append(str(self))
        return original_stat(self, *args, **kwargs)

    def load(path, **kwargs):
        reading.append(path)
        return original_load(path, **kwargs)

    monkeypatch.setattr(Path, "stat", counted_stat)
    monkeypatch.setattr(albums_mod, "load_photo", load)
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"), "--progress", "none",
                 *FAST]) == 0
    assert len(stats) <= len(set(stats)) + 1  # the listing's, and the first photo's own
