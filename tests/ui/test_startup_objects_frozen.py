"""The real app, started as a user starts it, takes the objects of its start out of the garbage
collector's walks (app.freeze_startup_objects): a full collection walked them all, 65 ms at a
time holding the GIL, the longest stalls of the GUI in bench/gui_stall.py."""

from __future__ import annotations

import os
import subprocess
import sys

FROZEN_AT_EXEC = r"""
import gc, os, sys
from PySide6.QtWidgets import QApplication
from desktop_app import app

def exec_(self):  # the event loop would run: say what was frozen before it, and end there
    print("frozen", gc.get_freeze_count(), flush=True)
    os._exit(0)  # (the window's shutdown is not this test's: its threads are left running)

QApplication.exec = exec_
sys.exit(app.main(sys.argv[1]))
"""


def test_the_app_freezes_the_objects_of_its_start_before_its_event_loop(tmp_path,
                                                                       lookalike_home):
    (tmp_path / "album").mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", FROZEN_AT_EXEC, str(tmp_path / "album")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    frozen = [line for line in done.stdout.splitlines() if line.startswith("frozen ")]
    assert frozen and int(frozen[0].split()[1]) > 10_000, done.stdout  # modules, Qt, numpy...
