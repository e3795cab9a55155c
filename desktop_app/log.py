"""Logging setup shared by the command line and the app: messages to stderr, and optionally a
rotating log file in the platform's log folder (paths.log_dir())."""

from __future__ import annotations

import errno
import logging
import logging.handlers
import sys

from . import paths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file. A write that fails (a full disk) is said once on stderr, in one
    line; logging's default prints '--- Logging error ---' and a traceback for every record.
    A path that is not UTF-8 (its bytes kept as surrogates) is written as \\udcXX: strict
    UTF-8 would drop the whole record, and print that traceback."""

    _said = False

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("errors", "backslashreplace")
        super().__init__(*args, **kwargs)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if not self._said and logging.raiseExceptions:
            self._said = True
            full = exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
            print(f"lookalike: cannot write the log file {self.baseFilename} "
                  f"({exc.strerror or exc}); log messages only go to stderr until it can be "
                  "written again. " + ("Free some disk space." if full else
                                       "Check that you may write to its folder."),
                  file=sys.stderr)


def setup_logging(verbosity: int = 0, log_file: bool = False) -> None:
    """verbosity 0: warnings, 1: info, 2+: debug. Safe to call more than once."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_lookalike", False):
            root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.setLevel(level)
    console._lookalike = True  # type: ignore[attr-defined]
    root.addHandler(console)
    root.setLevel(min(level, logging.INFO) if log_file else level)
    if log_file:
        try:
            paths.log_dir().mkdir(parents=True, exist_ok=True)
            file_handler = LogFile(
                paths.log_dir() / "lookalike.log", maxBytes=2_000_000, backupCount=3,
                encoding="utf-8")
        except OSError:  # a read-only home must not stop the app
            return
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler.setLevel(logging.INFO)
        file_handler._lookalike = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
