"""The log file deleted (its folder too: a disk cleaner) or made unwritable while Lookalike
runs: later records still reach a log file the user can read, or are said once not to."""

from __future__ import annotations

import logging
import os
import shutil

import pytest

from desktop_app import paths
from desktop_app.log import setup_logging


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def _log_text() -> str:
    return (paths.log_dir() / "lookalike.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("remove", ["file", "folder"])
def test_records_after_the_log_was_deleted_reach_a_new_log(remove):
    setup_logging(0, log_file=True)
    logging.getLogger("desktop_app.test").warning("before the cleaner")
    _flush()
    if remove == "file":
        os.remove(paths.log_dir() / "lookalike.log")
    else:
        shutil.rmtree(paths.log_dir())
    logging.getLogger("desktop_app.test").warning("after the cleaner")
    _flush()
    assert "after the cleaner" in _log_text()


def test_a_log_moved_away_keeps_its_records_and_a_new_one_starts():
    setup_logging(0, log_file=True)
    logging.getLogger("desktop_app.test").warning("first")
    _flush()
    moved = paths.log_dir() / "kept.log"
    os.rename(paths.log_dir() / "lookalike.log", moved)  # logrotate, or the user keeping it
    logging.getLogger("desktop_app.test").warning("second")
    _flush()
    assert "first" in moved.read_text(encoding="utf-8")
    assert "second" not in moved.read_text(encoding="utf-8")
    assert "second" in _log_text()


def test_a_log_that_cannot_be_made_again_is_said_once(capfd):
    setup_logging(0, log_file=True)
    logging.getLogger("desktop_app.test").warning("first")
    _flush()
    shutil.rmtree(paths.log_dir())
    paths.log_dir().write_text("a file where the logs folder was")  # (root may write anywhere)
    for n in range(3):
        logging.getLogger("desktop_app.test").warning("record %d", n)
    _flush()
    err = capfd.readouterr().err
    assert err.count("cannot write the log file") == 1
    assert "Logging error" not in err


def test_the_log_comes_back_once_what_stood_in_its_way_is_moved_aside(capfd):
    setup_logging(0, log_file=True)
    logging.getLogger("desktop_app.test").warning("first")
    _flush()
    shutil.rmtree(paths.log_dir())
    paths.log_dir().write_text("a file where the logs folder was")
    logging.getLogger("desktop_app.test").warning("while it is in the way")
    os.remove(paths.log_dir())  # as stderr said: "until it can be written again"
    logging.getLogger("desktop_app.test").warning("after it was moved aside")
    _flush()
    assert "after it was moved aside" in _log_text()
    assert capfd.readouterr().err.count("cannot write the log file") == 1
