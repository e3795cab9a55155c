"""The app's log names the library it opened and its journal mode, as `lookalike -v` does: a
bug report's log says which file (and whether WAL or a rollback journal) it is about."""

from __future__ import annotations

import logging

from desktop_app import paths
from desktop_app.ui.workers import IndexerWorker


def test_the_worker_logs_the_library_it_opened(qtbot, caplog, tiny_model_dir):
    caplog.set_level(logging.INFO)
    worker = IndexerWorker(str(tiny_model_dir), str(paths.database_path()))
    worker.open()
    worker.close()
    opened = [r.getMessage() for r in caplog.records if r.name == "desktop_app.core.store"
              and "opened" in r.getMessage()]
    assert opened == [f"library {paths.database_path()} opened, journal mode wal"]
