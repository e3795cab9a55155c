"""A full disk under LOOKALIKE_HOME: the commands that only read still work, those that must
write say, in one line, that the disk is full and what to do, and the app shows the library
read-only (also on a read-only mount). The CLI runs in a subprocess on a
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
from unwritable import unwritable_prefix

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


# The app's indexer on the full disk (or a read-only mount), in a subprocess: what it shows and
# says, as JSON.
WORKER_ON_FULL_DISK = r"""
import json, os, sys
from PySide6.QtCore import QCoreApplication
from desktop_app.ui.workers import IndexerWorker

app = QCoreApplication([])
album, new_folder = sys.argv[1:3]
worker = IndexerWorker(None)
seen = {"read_only": [], "problem": [], "error": [], "opened": [], "snapshot": None}
worker.library_read_only.connect(seen["read_only"].append)
worker.library_problem.connect(seen["problem"].append)
worker.error.connect(seen["error"].append)
worker.opened.connect(lambda card, _dir: seen["opened"].append(card is not None))
worker.snapshot_ready.connect(lambda snap: seen.__setitem__("snapshot", snap))
worker.open()
errors_at_open = len(seen["error"])
worker.add_folder(album)  # the window asks for its folders at start: nothing to say
worker.index_paths([os.path.join(album, "chelsea.jpg")])  # the watcher: dropped quietly
quiet = len(seen["error"]) == errors_at_open
worker.add_folder(new_folder)  # asked for by the user: refused, saying why
snap = seen["snapshot"]
by_name = {os.path.basename(p): i for i, p in snap.paths.items()}
nearest = snap.similar(by_name["chelsea.jpg"], k=1)
print(json.dumps({**{k: v for k, v in seen.items() if k != "snapshot"}, "quiet": quiet,
                  "photos": len(snap), "nearest": os.path.basename(nearest[0].path)}))
worker.close()
"""


@pytest.mark.parametrize("how", ["full disk", "read-only mount"])
def test_the_app_shows_and_searches_a_library_it_cannot_write(closed_library, tmp_path, how):
    """No room for the -shm file the app's read-write open needs, or a read-only mount: the app
    used to show its banner and no photos at all. It opens the library read-only instead, says
    why, searches it, and refuses only what would change it."""
    album, env = closed_library
    home = env["LOOKALIKE_HOME"]
    prefix = (full_disk_prefix(home) if how == "full disk"
              else unwritable_prefix("read-only mount", home))
    cause = ("the disk is full" if how == "full disk"
             else "the library database cannot be written: it is on a read-only file system")
    remedy = ("Free some disk space" if how == "full disk" else
              "Make it writable, or set LOOKALIKE_HOME to a folder you may write to")
    database = paths.database_path()
    before = database.read_bytes()
    new_folder = tmp_path / "more-photos"
    new_folder.mkdir()
    done = subprocess.run([*prefix, sys.executable, "-c",
                           WORKER_ON_FULL_DISK, str(album), str(new_folder)],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**env, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["opened"] == [True] and seen["problem"] == []
    (reason,) = seen["read_only"]
    assert reason.startswith(f"{database}: {cause}"), reason
    assert remedy in reason and reason.endswith(", then restart Lookalike."), reason
    assert (seen["photos"], seen["nearest"]) == (3, "chelsea-copy.jpg")
    assert seen["quiet"], seen["error"]
    (refused,) = seen["error"]
    assert refused.startswith(f"Read-only library: {new_folder} was not added. {database}: "
                              f"{cause}"), refused
    assert database.read_bytes() == before
