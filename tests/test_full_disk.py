"""A full disk under LOOKALIKE_HOME: the commands that only read still work, and those that must
write say, in one line, that the disk is full and what to do. The CLI runs in a subprocess on a
real full disk (a full tmpfs in a private mount namespace, see full_disk.py), or with a file size
limit (ulimit -f), which fails SQLite's writes the same way and needs no mount."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from full_disk import full_disk_prefix

from desktop_app import paths

HOW = ["full disk", "file size limit"]


@pytest.fixture
def closed_library(indexed_library):
    # The last writer closed the library cleanly: SQLite removed its -wal and -shm files, so
    # the next command to open it must make a new -shm (32 KiB) first.
    assert [p.name for p in paths.database_path().parent.glob("*-shm")] == []
    return indexed_library


def lookalike_on(how: str, env: dict):
    prefix = full_disk_prefix(env["LOOKALIKE_HOME"]) if how == "full disk" else []

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))

    def lookalike(*argv):
        return subprocess.run([*prefix, sys.executable, "-m", "desktop_app", "--no-progress",
                               *map(str, argv)], capture_output=True, text=True, env=env,
                              timeout=120, check=False,
                              preexec_fn=limit_file_size if how == "file size limit" else None)

    return lookalike


@pytest.mark.parametrize("how", HOW)
def test_read_commands_work_when_the_disk_is_full(closed_library, how):
    album, env = closed_library
    lookalike = lookalike_on(how, env)
    for argv in (("status",), ("similar", album / "chelsea.jpg", "-k", "1"),
                 ("duplicates",), ("models", "list")):
        done = lookalike(*argv)
        assert (done.returncode, done.stderr) == (0, ""), argv
    assert json.loads(lookalike("status", "--json").stdout)["photos"] == 3
    assert "chelsea-copy.jpg" in lookalike("similar", album / "chelsea.jpg", "-k", "1").stdout


def test_index_on_a_full_disk_says_the_disk_is_full(closed_library):
    album, env = closed_library
    done = lookalike_on("full disk", env)("index", album)
    assert done.returncode == 5
    (line,) = done.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith(f"lookalike: {paths.database_path()}: the disk is full"), line
    assert "Free some disk space" in line


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_log_file_on_a_full_disk_is_said_once_not_as_a_traceback_per_line(lookalike_home):
    """The app logs to a file; every write there failed on a full disk, and logging printed
    '--- Logging error ---' and a traceback on stderr for each line logged. The log file is
    /dev/full here: each write fails with ENOSPC, as on a full disk."""
    log_file = lookalike_home / "logs" / "lookalike.log"
    log_file.parent.mkdir()
    log_file.symlink_to("/dev/full")
    code = ("import logging; from desktop_app import app; app.setup_logging(); "
            "[logging.getLogger('desktop_app').info('line %d', i) for i in range(3)]")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "LOOKALIKE_HOME": str(lookalike_home)},
                          timeout=60, check=False)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if str(log_file) in line]
    assert len(said) == 1 and "No space left on device" in said[0], done.stderr
    assert "line 2" in done.stderr  # still shown on stderr
