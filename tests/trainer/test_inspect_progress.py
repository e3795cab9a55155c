"""`inspect --progress json` speaks the protocol of the other commands: progress events while the
albums are listed and their photos read (thousands on a NAS take minutes, and the app's "Look
inside" showed nothing meanwhile), then `done` with the counts `inspect --json` prints, or
`error`."""

from __future__ import annotations

import json
import os
import sys
import threading

from trainer import albums as albums_mod
from trainer.cli import main


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_inspect_sends_progress_then_the_counts_in_its_done_event(albums, capsys):
    assert main(["inspect", str(albums), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert main(["inspect", str(albums), "--progress", "json"]) == 0
    sent = events(capsys.readouterr().out)
    progress, done = sent[:-1], sent[-1]
    assert progress and all(e["event"] == "progress" and e["phase"] == "inspect"
                            for e in progress)
    assert progress[0]["doing"] == "listing the albums"  # said before any photo is read
    assert (progress[-1]["step"], progress[-1]["steps"]) == (15, 15)  # the last always sent
    assert done == {"event": "done", **counts} and done["photos"] == 15


def test_bad_albums_are_an_error_event(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nowhere"), "--progress", "json"]) == 2
    error = events(capsys.readouterr().out)[-1]
    assert error["event"] == "error" and error["path"] == str(tmp_path / "nowhere")
    assert "this albums folder does not exist" in error["message"]


def test_a_stop_line_ends_it_with_a_stopped_error_event(albums, capsys, monkeypatch):
    read_fd, write_fd = os.pipe()

    class Stdin:
        def fileno(self) -> int:
            return read_fd

    monkeypatch.setattr(sys, "stdin", Stdin())
    original = albums_mod.load_photo

    def stop_on_first_read(path, **kwargs):  # the app's Cancel, once the reader has seen it
        os.write(write_fd, b"stop\n")
        for reader in threading.enumerate():
            if reader.name == "stop-request":
                reader.join(10)
        return original(path, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", stop_on_first_read)
    try:
        assert main(["inspect", str(albums), "--progress", "json"]) == 130
    finally:
        os.close(write_fd)
        os.close(read_fd)
    error = events(capsys.readouterr().out)[-1]
    assert error["event"] == "error" and error["problem"] == "stopped"
    assert error["message"].startswith(f"stopped while looking inside the albums in {albums}")
