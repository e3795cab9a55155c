"""A library that cannot be written (a read-only mount, or a file the user may not write): the
commands that only read work and say nothing alarming; those that must write say why, in one
line. The CLI runs in a subprocess so the mount or the dropped rights stay with it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from unwritable import unwritable_prefix

from desktop_app import paths


@pytest.mark.parametrize("how", ["read-only mount", "no write permission"])
def test_read_commands_work_on_a_library_that_cannot_be_written(indexed_library, how):
    album, env = indexed_library
    database = paths.database_path()
    folder = database.parent
    modes = {p: p.stat().st_mode for p in (folder, *folder.iterdir())}
    if how == "no write permission":
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        prefix = unwritable_prefix(how, folder)

        def lookalike(*argv):
            return subprocess.run([*prefix, sys.executable, "-m", "desktop_app", "--no-progress",
                                   *map(str, argv)], capture_output=True, text=True, env=env,
                                  timeout=120, check=False)

        for argv in (("status",), ("similar", album / "chelsea.jpg", "-k", "1"),
                     ("duplicates",), ("models", "list")):
            done = lookalike(*argv)
            assert (done.returncode, done.stderr) == (0, ""), argv
        done = lookalike("status", "--json")
        assert json.loads(done.stdout)["photos"] == 3
        assert "chelsea-copy.jpg" in lookalike("similar", album / "chelsea.jpg", "-k", "1").stdout

        done = lookalike("index", album)
        assert done.returncode == 5
        (line,) = done.stderr.strip().splitlines()
        assert str(database) in line
        cause = ("read-only file system" if how == "read-only mount"
                 else "your user may not write")
        assert cause in line and "LOOKALIKE_HOME" in line, line
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
