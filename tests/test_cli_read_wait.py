"""A command that only reads (`status`, `similar`, `duplicates`, `models list`) on a library with
a rollback journal (on a network file system, where the store does not use WAL) must wait while
another process commits to it. It waited inside SQLite's busy handler, up to 30 s, silent and
deaf to Ctrl-C; it now waits as a write does: said once on stderr after a moment, and Ctrl-C
twice stops it. The real command line in its own process, a real SQLite library switched to
a rollback journal, and its lock held by a real second process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from cli_run import run

from desktop_app import cli, paths

WAITING = "lookalike: waiting for the library database "

# Another process committing to the library: with a rollback journal, its EXCLUSIVE lock keeps
# every reader out until it lets go (a long commit on a slow share).
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@contextmanager
def exclusive_lock_held():
    """The library locked by a second process against readers too: yields what lets go."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(paths.database_path())],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    lock = threading.Lock()

    def release() -> None:
        with lock:
            if holder.stdin.closed:
                return
            holder.stdin.write("\n")
            holder.stdin.close()
            holder.wait(10)

    try:
        yield release
    finally:
        release()


@pytest.fixture
def journalled_library(capsys, photo_factory, tiny_model_dir, lookalike_home):
    """An indexed library of one photo, switched to a rollback journal as on a network folder
    (a read-only open keeps the journal it finds): (the environment to run `lookalike` in, the
    photo)."""
    album = photo_factory("album/chelsea.jpg", "chelsea").parent
    assert run(capsys, "models", "import", tiny_model_dir, "--activate")[0] == cli.EXIT_OK
    assert run(capsys, "--no-progress", "index", album)[0] == cli.EXIT_OK
    conn = sqlite3.connect(paths.database_path())
    try:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    finally:
        conn.close()
    return {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}, album / "chelsea.jpg"


def lookalike(env, *argv) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "desktop_app", "--no-progress", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("command", [["similar", "PHOTO"], ["status"], ["models", "list"]],
                         ids=" ".join)
def test_a_read_that_waits_for_a_commit_says_so_once_and_goes_on(journalled_library, command):
    env, photo = journalled_library
    with exclusive_lock_held() as release:
        guard = threading.Timer(20.0, release)  # without the fix: the command ends after this
        guard.start()
        process = lookalike(env, *[str(photo) if a == "PHOTO" else a for a in command])
        try:
            said = process.stderr.readline()
            time.sleep(1.5)  # more tries, not more words
            release()
            out, rest = process.communicate(timeout=60)
        finally:
            guard.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
    assert said.startswith(WAITING), said + rest
    assert str(paths.database_path()) in said
    assert "another Lookalike (the app, or a `lookalike` command) is writing to it" in said
    assert WAITING not in rest, rest  # said once, not at every try
    assert process.returncode == cli.EXIT_OK, rest
    assert out  # and it did its work once the lock was let go


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a console event on Windows")
def test_ctrl_c_twice_stops_a_read_that_waits(journalled_library):
    with exclusive_lock_held() as release:
        guard = threading.Timer(20.0, release)  # without the fix: the command ends after this
        guard.start()
        process = lookalike(journalled_library[0], "status")
        try:
            said = process.stderr.readline()
            assert said.startswith(WAITING), said
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            started = time.monotonic()
            code = process.wait(30)
            stopped_in = time.monotonic() - started
            rest = process.stderr.read()
        finally:
            guard.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()
    assert code == cli.EXIT_INTERRUPTED, rest
    assert stopped_in < 5, rest  # not when the lock is let go
    assert "`status` cannot stop halfway, so it goes on to the end" in rest
    assert "lookalike: interrupted." in rest
