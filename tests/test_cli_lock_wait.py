"""A command run while another process holds the library's write lock (the app indexing, another
`lookalike index`) waited up to 30 s printing nothing, then exited 5: it seemed to hang. It now
says on stderr, once, after a moment, what it waits for; a brief lock is waited for silently.
The real command line, a real SQLite library, and the lock held by a real second process."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from cli_run import SHAPES, check_shape, run
from lock_holder import lock_held

from desktop_app import cli, paths
from desktop_app.cli_progress import ProgressBar, say
from desktop_app.core import store

WAITING = "lookalike: waiting for the library database "

def write_lock_held():
    """The library's write lock, held by a second process: yields the function that lets go."""
    return lock_held(paths.database_path())


def release_after(seconds: float, release) -> threading.Timer:
    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


@pytest.fixture
def library(capsys, photo_factory, tiny_model_dir):
    """A library with one folder of one photo, indexed: the album folder."""
    album = photo_factory("album/chelsea.jpg", "chelsea").parent
    code, _, err = run(capsys, "models", "import", tiny_model_dir, "--activate")
    assert code == cli.EXIT_OK, err
    code, _, err = run(capsys, "--no-progress", "index", album)
    assert code == cli.EXIT_OK, err
    return album


def test_a_wait_that_lasts_is_said_once_on_stderr_and_the_json_stays_pure(capsys, library):
    with write_lock_held() as release:
        timer = release_after(2.5, release)
        started = time.monotonic()
        code, out, err = run(capsys, "--no-progress", "index", library, "--json")
        waited = time.monotonic() - started
        timer.join()
    assert code == cli.EXIT_OK, err
    assert waited >= 2.4  # it did wait for the lock
    check_shape(json.loads(out), SHAPES["index"], "index")  # stdout: the JSON alone
    assert err.count(WAITING) == 1, err  # said once, not at every try
    line = next(line for line in err.splitlines() if line.startswith(WAITING))
    assert str(paths.database_path()) in line
    assert "another Lookalike (the app, or a `lookalike` command) is writing to it" in line
    assert "gives up after 30 s" in line and "Ctrl-C twice stops it now" in line


def test_a_brief_lock_is_waited_for_silently(capsys, library):
    with write_lock_held() as release:
        timer = release_after(0.6, release)
        started = time.monotonic()
        code, out, err = run(capsys, "--no-progress", "forget", library)
        waited = time.monotonic() - started
        timer.join()
    assert code == cli.EXIT_OK, err
    assert waited >= 0.5  # it reached the lock while it was held (forget alone takes ms)
    assert "Forgot" in out
    assert "waiting" not in err, err


def test_a_lock_held_past_the_timeout_still_ends_with_exit_code_5(capsys, library,
                                                                  monkeypatch):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 2.0)  # the default is 30 s
    with write_lock_held():
        started = time.monotonic()
        code, out, err = run(capsys, "--no-progress", "forget", library, "--json")
        waited = time.monotonic() - started
    assert code == cli.EXIT_STORE
    assert 2.0 <= waited < 10
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(WAITING) and "gives up after 2 s" in lines[0]
    assert "stayed locked by another Lookalike process for 2 s" in lines[1]
    assert "Close the other one and retry" in lines[1]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a console event on Windows")
def test_ctrl_c_twice_stops_the_wait(library, lookalike_home):
    """SQLite's busy handler held the whole wait in C, where Python does not serve Ctrl-C: the
    command went on waiting until the lock was freed or the 30 s were over."""
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    with write_lock_held():
        command = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "--no-progress", "forget", str(library)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            said = command.stderr.readline()
            assert said.startswith(WAITING), said
            command.send_signal(signal.SIGINT)
            time.sleep(0.5)
            command.send_signal(signal.SIGINT)
            started = time.monotonic()
            code = command.wait(20)
            stopped_in = time.monotonic() - started
            rest = command.stderr.read()
        finally:
            if command.poll() is None:
                command.kill()
                command.wait()
            command.stdout.close()
            command.stderr.close()
    assert code == cli.EXIT_INTERRUPTED, rest
    assert stopped_in < 5, rest  # not when the lock is let go, nor after the 30 s
    assert "lookalike: interrupted." in rest


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_message_is_not_written_onto_a_progress_bar():
    """A wait between two writes of `index`: its bar's line is drawn, not ended."""
    stream = Terminal()
    bar = ProgressBar("Indexing album", True, stream)
    bar(0, 4)
    say("lookalike: waiting for the library database ...", stream)
    bar(4, 4)
    bar.close()
    text = stream.getvalue()
    assert "ETA 0:00\x1b[K\nlookalike: waiting for the library database ...\n\rIndexing" in text
    quiet = Terminal()  # no bar drawn: no blank line before it
    say("lookalike: waiting", quiet)
    assert quiet.getvalue() == "lookalike: waiting\n"


@pytest.mark.skipif(sys.platform == "win32", reason="closing a child's stderr is POSIX here")
def test_with_stderr_closed_a_wait_that_lasts_is_waited_for_without_a_word(library,
                                                                           lookalike_home):
    """Started with stderr closed (`2>&-`: Python's sys.stderr is None), saying the wait
    raised AttributeError: taken for a bug, exit code 1, the command undone."""
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    with write_lock_held() as release:
        timer = release_after(3.0, release)  # a wait of over 1 s, after Python's start-up
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "--no-progress", "forget", str(library)],
            check=False, stdout=subprocess.PIPE, text=True, env=env, timeout=60,
            preexec_fn=lambda: os.close(2))
        timer.join()
    assert done.returncode == cli.EXIT_OK, done.stdout
    assert done.stdout.startswith(f"Forgot {library} (1 photo;"), done.stdout
    assert not list(paths.log_dir().glob("crash-*.txt"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a console event on Windows")
@pytest.mark.parametrize(("command", "says", "code", "then"), [
    (["forget", "ALBUM"], "`forget` cannot stop halfway, so it goes on to the end",
     cli.EXIT_OK, "Forgot "),
    # The one photo is the current batch: encoded, it is the last, so the models are switched.
    (["models", "activate", "SECOND"], ("stopping after the current photos, and switching "
                                        "models only if no photo is left to encode"),
     cli.EXIT_OK, "second-32 is now the active model"),
], ids=["forget", "models activate"])
def test_the_first_ctrl_c_during_a_wait_says_what_this_command_will_do(
        library, lookalike_home, tmp_path, command, says, code, then):
    """Every command said index's "stopping after the current photos": `forget` stops nowhere
    (it goes on once the lock is let go); `models activate` switches only once all is encoded."""
    from tiny_model import make_tiny_model

    second = make_tiny_model(tmp_path / "second", bits=32, seed=3, name="second-32")
    argv = [{"ALBUM": str(library), "SECOND": str(second)}.get(a, a) for a in command]
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    with write_lock_held() as release:
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "--no-progress", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            said = process.stderr.readline()
            assert said.startswith(WAITING), said
            process.send_signal(signal.SIGINT)
            assert process.stderr.readline() == "\n"  # off the line the terminal echoed ^C on
            told = process.stderr.readline()
            release()
            out, rest = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert told == f"lookalike: {says} (Ctrl-C again to quit now)...\n", told
    assert process.returncode == code, rest
    assert then in out, out + rest
