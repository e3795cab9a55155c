"""An unexpected error in a pool's job (PySide hands it to sys.excepthook on the pool's thread)
or in a Python thread (Python hands it to threading.excepthook): the app's error dialog opens on
the GUI thread, and answered, the app goes on and ends. The real hook in a process of its own:
opened on the pool's thread, the box crashed the process or, as the app ended, kept it from
ending; a Python thread's error was neither logged nor shown."""

from __future__ import annotations

import os
import subprocess
import sys

# What both scripts share: the app's hook, and the error dialog answered (OK) once it opens,
# its first line and the thread it opened on printed. Each script starts its failure, then
# calls answer_the_dialog().
DIALOG_ANSWERED = r"""
import sys, threading
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from desktop_app import app as lookalike

lookalike.install_excepthook()
qt = QApplication(sys.argv[:1])

def answer():  # the user's OK
    box = qt.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(50, answer)
        return
    where = "the GUI thread" if box.thread() is qt.thread() else "another thread"
    print(f"{box.text().splitlines()[0]} (on {where})", flush=True)
    box.done(0)
    qt.quit()

def answer_the_dialog():
    QTimer.singleShot(50, answer)
    QTimer.singleShot(5000, qt.quit)  # no dialog at all: stdout says nothing
    qt.exec()
"""

SCRIPT = DIALOG_ANSWERED + r"""
def fail():
    raise ValueError("a job's own bug")

pool = QThreadPool()
pool.start(fail)
answer_the_dialog()
print("pool done" if pool.waitForDone(3000) else "pool still busy", flush=True)
"""


def run(script: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=20, check=False)


def test_an_error_in_a_pool_job_is_shown_on_the_gui_thread(lookalike_home):
    done = run(SCRIPT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "Something went wrong: a job's own bug (on the GUI thread)", "pool done"]
    assert "different thread" not in done.stderr, done.stderr[-3000:]
    assert "ValueError: a job's own bug" in done.stderr  # the log says it all the same


# The same, from a Python thread (threading.Thread: the trash's move, the thumbnail housekeeping,
# the watcher's), whose errors Python hands to threading.excepthook, not sys.excepthook.
THREAD_SCRIPT = DIALOG_ANSWERED + r"""
def fail():
    raise ValueError("a thread's own bug")

threading.Thread(target=fail).start()
answer_the_dialog()
"""


def test_an_error_in_a_python_thread_is_logged_and_shown(lookalike_home):
    """It went to stderr alone: not in the log (a desktop app's stderr goes nowhere), and no
    dialog (a move to the trash ended by a bug said nothing)."""
    done = run(THREAD_SCRIPT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "Something went wrong: a thread's own bug (on the GUI thread)"]
    assert "unexpected error:" in done.stderr  # the log's record (no log file set up here)
    assert "ValueError: a thread's own bug" in done.stderr
