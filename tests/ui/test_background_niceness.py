"""Pool threads are made nicer than the process once, whatever number of jobs they run: a
thread-local 'done' is lost between PySide pool jobs (each gets a fresh Python thread state),
so the thumbnail threads went 5 steps nicer per thumbnail made, to nice 19."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool

from desktop_app.ui.background import lower_this_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_pool_thread_is_as_nice_after_many_jobs_as_after_one(qtbot):
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    seen = []

    def job():
        lower_this_thread(5)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # one thread runs every job
    for _ in range(4):
        pool.start(job)
    assert pool.waitForDone(10000)
    assert seen == [min(19, base + 5)] * 4


def test_a_niceness_setting_that_is_not_a_number_is_said_and_the_default_used(monkeypatch,
                                                                              caplog):
    from desktop_app.ui import background

    monkeypatch.setenv("LOOKALIKE_BACKGROUND_NICENESS", "five")
    assert background._niceness_from_env() == 5
    assert "LOOKALIKE_BACKGROUND_NICENESS='five' is not a whole number; using 5" in caplog.text
    monkeypatch.setenv("LOOKALIKE_BACKGROUND_NICENESS", " 3 ")
    assert background._niceness_from_env() == 3
