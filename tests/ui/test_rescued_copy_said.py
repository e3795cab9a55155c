"""A copy of the library left beside it by a Lookalike that crashed while putting the library
back (core/rescued_copy.py) is said in the window's status bar at start, not only in the log."""

from __future__ import annotations

import shutil
import subprocess
import sys

from desktop_app import paths
from desktop_app.core import rescued_copy
from desktop_app.core.store import Store


def test_a_copy_left_beside_the_library_is_said_in_the_window(make_window, qtbot):
    database = paths.database_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    with Store(database) as store:
        store.insert_folder("/photos/indexed")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    copy = rescued_copy.copy_path(database, int(gone.stdout))  # its process ended
    shutil.copy(database, copy)

    window = make_window()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(f"{copy}: "),
                    timeout=10000)
    assert copy.exists() and database.exists()  # both left for the user to choose
