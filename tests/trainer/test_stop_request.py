"""`--progress json` (and `inspect --json`) also stops on a line "stop" on stdin: the desktop
app's stop request, which reaches a console program on Windows, where QProcess.terminate()
posts a WM_CLOSE it never sees (tests/ui/test_retrain_stop_request.py stops a real run that
way)."""

from __future__ import annotations

import os
import sys

import pytest

from trainer.progress import StopFlag


class Pipe:
    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()

    def fileno(self) -> int:
        return self.read_fd

    def send(self, data: bytes) -> None:
        os.write(self.write_fd, data)

    def close(self) -> None:
        os.close(self.write_fd)


def test_a_stop_line_on_stdin_sets_the_stop_flag():
    pipe, flag = Pipe(), StopFlag()
    flag.watch_stdin(pipe)
    pipe.send(b"progress please\nst")  # other lines are no request; a line may come in parts
    pipe.send(b"op\r\n")  # Windows line ends too
    flag.reader.join(10)
    assert flag()
    pipe.close()
    os.close(pipe.read_fd)


def test_the_end_of_stdin_is_no_stop_request():
    """`--progress json < /dev/null`, or a closed pipe, must not stop a run at once."""
    pipe, flag = Pipe(), StopFlag()
    flag.watch_stdin(pipe)
    pipe.send(b"stopping soon\n")
    pipe.close()
    flag.reader.join(10)
    assert not flag()
    os.close(pipe.read_fd)


def test_no_stdin_is_no_error():
    class Closed:
        def fileno(self) -> int:
            raise ValueError("I/O operation on closed file")

    flag = StopFlag().watch_stdin(Closed())
    assert flag.reader is None and not flag()


def test_a_terminal_is_not_watched():
    """`--progress json` typed at a terminal: reading it took what the person typed for the
    shell, and a run put in the background (`&`) was stopped by SIGTTIN at once ("Stopped (tty
    input)"), its training frozen until brought back. Ctrl-C stops it there."""
    pty = pytest.importorskip("pty")  # POSIX terminals

    controller, terminal = pty.openpty()
    try:
        class Terminal:
            def fileno(self) -> int:
                return terminal

        flag = StopFlag().watch_stdin(Terminal())
        assert flag.reader is None
    finally:
        os.close(controller)  # (a reader blocked on it gets EIO and ends)
        os.close(terminal)


def send_stop(pipe: Pipe) -> None:
    """The app's Cancel, once the reader has seen it (it ends then)."""
    import threading

    pipe.send(b"stop\n")
    for reader in threading.enumerate():
        if reader.name == "stop-request":
            reader.join(10)


@pytest.mark.parametrize("when", ["listing", "reading"])
def test_a_stop_line_stops_the_apps_look_inside(albums, capsys, monkeypatch, when):
    """`inspect ALBUMS --json` (the app's "Look inside") read no stop line: on Windows the app's
    Cancel waited the whole grace time, then killed it. It stops while the albums are listed,
    and while their photos are read."""
    import json

    from trainer import album_files
    from trainer import albums as albums_mod
    from trainer.cli import main

    pipe, done = Pipe(), []
    monkeypatch.setattr(sys, "stdin", pipe)
    original_is_photo, original_load = album_files.is_photo, albums_mod.load_photo

    def list_then_cancel(name):  # as the first file is listed
        if not done and when == "listing":
            send_stop(pipe)
        done.append("listed")
        return original_is_photo(name)

    def read_then_cancel(path, **kwargs):  # as the first photo is read
        if not any(d != "listed" for d in done) and when == "reading":
            send_stop(pipe)
        done.append(os.fspath(path))
        return original_load(path, **kwargs)

    monkeypatch.setattr(album_files, "is_photo", list_then_cancel)
    monkeypatch.setattr(albums_mod, "load_photo", read_then_cancel)
    capsys.readouterr()
    assert main(["inspect", str(albums), "--json"]) == 130
    out = capsys.readouterr().out
    assert json.loads(out) == {"error": f"stopped while looking inside the albums in {albums}; "
                                        "run the same command again to look inside them"}
    read = [d for d in done if d != "listed"]
    assert len(read) == (0 if when == "listing" else 1)
    pipe.close()
    os.close(pipe.read_fd)
