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

import pytest
from cli_run import run
from lock_holder import lock_held

from desktop_app import cli, paths
from desktop_app.core import file_system, store

WAITING = "lookalike: waiting for the library database "

def exclusive_lock_held():
    """The library locked by a second process against readers too (with a rollback journal, a
    commit's EXCLUSIVE lock keeps every reader out until it lets go: a long commit on a slow
    share): yields what lets go."""
    return lock_held(paths.database_path(), "EXCLUSIVE")


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


# `lookalike` with every folder taken for an NFS share (no share can be mounted here): a command
# that opens the library to write then keeps its rollback journal instead of switching to WAL.
ON_A_SHARE = ("import sys; from desktop_app.core import file_system; "
              "file_system._probe = lambda folder: 'NFS'; from desktop_app.cli import main; "
              "sys.exit(main())")


def lookalike(env, *argv, on_a_share: bool = False) -> subprocess.Popen:
    run_it = ["-c", ON_A_SHARE] if on_a_share else ["-m", "desktop_app"]
    return subprocess.Popen([sys.executable, *run_it, "--no-progress", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def ctrl_c_twice_while_it_waits(env, *argv, on_a_share: bool = False):
    """Runs a command while the library is locked, presses Ctrl-C twice once it says it waits:
    (exit code, seconds from the second Ctrl-C to its end, the rest of its stderr)."""
    with exclusive_lock_held() as release:
        guard = threading.Timer(20.0, release)  # without the fix: the command ends after this
        guard.start()
        process = lookalike(env, *argv, on_a_share=on_a_share)
        try:
            said = process.stderr.readline()
            assert said.startswith(WAITING), said
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            started = time.monotonic()
            code = process.wait(30)
            return code, time.monotonic() - started, process.stderr.read()
        finally:
            guard.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()


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
    code, stopped_in, rest = ctrl_c_twice_while_it_waits(journalled_library[0], "status")
    assert code == cli.EXIT_INTERRUPTED, rest
    assert stopped_in < 5, rest  # not when the lock is let go
    assert "`status` cannot stop halfway, so it goes on to the end" in rest
    assert "lookalike: interrupted." in rest


def test_a_command_that_writes_waits_so_too_as_it_opens_a_library_on_a_share(journalled_library):
    """Opening it to write, the store reads its journal mode (to leave WAL on a share): that read
    waited silently in SQLite's busy handler, deaf to Ctrl-C, and after 30 s warned that the
    library "stays in WAL mode" (it was not in WAL) and went on waiting."""
    env, photo = journalled_library
    album = photo.parent
    with exclusive_lock_held() as release:
        guard = threading.Timer(20.0, release)  # without the fix: the command ends after this
        guard.start()
        process = lookalike(env, "forget", str(album), on_a_share=True)
        try:
            said = process.stderr.readline()
            release()
            out, rest = process.communicate(timeout=60)
        finally:
            guard.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
    assert said.startswith(WAITING), said + rest
    assert str(paths.database_path()) in said
    assert WAITING not in rest, rest
    assert process.returncode == cli.EXIT_OK, rest
    assert out.startswith(f"Forgot {album} (1 photo;"), out


def test_a_commit_past_the_timeout_on_a_share_ends_with_exit_code_5_not_a_wal_warning(
        capsys, journalled_library, monkeypatch):
    """It waited the whole timeout twice, silently (the journal mode's switch, then the next
    statement, which reads the schema), and in between warned that the library "stays in WAL
    mode" because another Lookalike has it open."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 2.0)  # the default is 30 s
    monkeypatch.setattr(file_system, "_probe", lambda folder: "NFS")
    with exclusive_lock_held():
        started = time.monotonic()
        code, out, err = run(capsys, "--no-progress", "forget", journalled_library[1].parent)
        waited = time.monotonic() - started
    assert code == cli.EXIT_STORE, err
    assert 2.0 <= waited < 4, err  # not the whole timeout twice
    assert out == ""
    assert "stays in WAL mode" not in err, err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(WAITING) and "gives up after 2 s" in lines[0]
    assert "stayed locked by another Lookalike process for 2 s" in lines[1]
    assert "the library is on a network file system (NFS)" in lines[1]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a console event on Windows")
def test_ctrl_c_twice_stops_a_command_that_waits_as_it_opens_a_library_on_a_share(
        journalled_library):
    env, photo = journalled_library
    code, stopped_in, rest = ctrl_c_twice_while_it_waits(env, "forget", str(photo.parent),
                                                         on_a_share=True)
    assert code == cli.EXIT_INTERRUPTED, rest
    assert stopped_in < 5, rest  # not when the lock is let go
    assert "lookalike: interrupted." in rest
    conn = sqlite3.connect(paths.database_path())
    try:  # nothing was forgotten
        assert conn.execute("SELECT COUNT(*) FROM folders").fetchone()[0] == 1
    finally:
        conn.close()
