"""Logging setup shared by the command line and the app: messages to stderr, and optionally a
rotating log file in the platform's log folder (paths.log_dir()); the crash reports kept there."""

from __future__ import annotations

import contextlib
import errno
import logging
import logging.handlers
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

from . import paths
from .core.errors import printable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Crash reports kept in the log folder, newest first: a command that fails at every run (a
# script in a loop, a cron job) would otherwise fill the folder with copies of one traceback.
KEEP_CRASH_REPORTS = 20
_CRASH_REPORT = re.compile(r"crash-\d{8}-\d{6}-\d+\.txt")  # save_crash_report's names only


# Characters printable() leaves that a terminal would not show as themselves (a control such as
# ESC, a zero-width character): escaped by `shown`, in the log and in the command line's output.
_UNSHOWN = re.compile(r"[^\x20-\x7e]")


def shown(text: str | os.PathLike) -> str:
    """A path (or a message naming one) as it can be printed on one line, whatever its name
    holds: a byte that is not UTF-8 as \\xNN, a bidirectional control as \\uXXXX (printable's
    doing), and so any other character a terminal would not show as itself: a line break or
    another control as \\xNN, a zero-width or other format character as \\uXXXX."""
    text = printable(os.fspath(text))
    if text.isascii() and text.isprintable():
        return text
    return _UNSHOWN.sub(_escaped, text)


def unshown(char: str) -> bool:
    """Not shown as itself on a terminal: a control, a format character (zero-width, a
    bidirectional override), a line separator, a lone surrogate. A no-break space is shown."""
    return not char.isprintable() and unicodedata.category(char) != "Zs"


class Shown:
    """A path (or a message naming one) for a log record's arguments, made printable on one
    line (`shown`) only when the record is written: `log.debug("added %s", Shown(path))`. A name
    holding a line break, ESC or bytes that are not UTF-8 cannot break the log line or the
    terminal."""

    __slots__ = ("text",)

    def __init__(self, text: str | os.PathLike) -> None:
        self.text = text

    def __str__(self) -> str:
        return shown(self.text)


def _escaped(match: re.Match) -> str:
    char = match[0]
    if not unshown(char):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code <= 0xFFFF else \
        f"\\U{code:08x}"


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file, opened again when it was deleted or moved away while the app
    runs. A write that fails (a full disk) is said once on stderr, in one line; logging's
    default prints '--- Logging error ---' and a traceback for every record. A path that is
    not UTF-8 (its bytes kept as surrogates) is written as \\udcXX: strict UTF-8 would drop
    the whole record, and print that traceback."""

    _said = False

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("errors", "backslashreplace")
        super().__init__(*args, **kwargs)

    def emit(self, record: logging.LogRecord) -> None:
        self._reopen_if_gone()
        super().emit(record)

    def _reopen_if_gone(self) -> None:
        """The file this handler writes was deleted or moved (a disk cleaner emptying ~/.cache
        or the logs folder, the user): on POSIX the open descriptor would take every record
        after that into a deleted file, for as long as the app runs. Reopened at its name (its
        folder made again), as logging's WatchedFileHandler does; one stat per record."""
        if self.stream is None:
            return
        try:
            now = os.stat(self.baseFilename)
            still = os.fstat(self.stream.fileno())
            if (now.st_dev, now.st_ino) == (still.st_dev, still.st_ino):
                return
        except (FileNotFoundError, NotADirectoryError):  # gone, or a file where its folder was
            pass
        except (OSError, ValueError):  # not known (a share gone; a closed stream): as it was
            return
        with contextlib.suppress(OSError):  # its last buffered bytes cannot reach it anyway
            self.stream.close()
        self.stream = None  # the next write opens it again (a failure is said once)

    def _open(self):
        """Its folder made again first: at every try while it cannot be written, so the log
        comes back once the cause is gone (a file put where the folder was, moved aside)."""
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
        return super()._open()

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
            handler.close()  # the log file's descriptor (a stderr handler leaves stderr open)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.setLevel(level)
    console._lookalike = True  # type: ignore[attr-defined]
    root.addHandler(console)
    # -vv says what Lookalike does with each photo; Pillow's debug log, a line per PNG chunk
    # (STREAM b'IDAT'), would bury that.
    logging.getLogger("PIL").setLevel(logging.INFO)
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


def save_crash_report(text: str, folder: Path | None = None,
                      keep: int = KEEP_CRASH_REPORTS) -> Path | None:
    """`text` (a traceback) as crash-<date>-<time>-<pid>.txt in the log folder, for a bug report,
    the older ones beyond the newest `keep` removed. None when it cannot be saved (a full disk:
    no empty or cut-short file is left behind)."""
    folder = paths.log_dir() if folder is None else folder
    target = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        # backslashreplace: a path that is not UTF-8 in the traceback (a file name, the venv's
        # folder) made the write raise, out of the handler that was saving the report.
        target.write_text(text, encoding="utf-8", errors="backslashreplace")
    except OSError:
        if target is not None:
            with contextlib.suppress(OSError):
                target.unlink()
        return None
    prune_crash_reports(folder, keep, just_saved=target.name)
    return target


def prune_crash_reports(folder: Path, keep: int = KEEP_CRASH_REPORTS,
                        just_saved: str = "") -> int:
    """Remove all but the newest `keep` crash reports in `folder` (by the time in their names;
    `just_saved` is one of those kept, also after the clock was set back); returns how many
    went. Only files named as save_crash_report names them go: the log, a copy the user made
    (crash-...-copy.txt) and symbolic links stay. Never raises OSError."""
    try:
        with os.scandir(folder) as entries:
            older = [e for e in entries if _CRASH_REPORT.fullmatch(e.name)
                     and e.name != just_saved and e.is_file(follow_symlinks=False)]
    except OSError:
        return 0
    older.sort(key=lambda e: e.name, reverse=True)  # crash-YYYYmmdd-HHMMSS-...: newest first
    removed = 0
    for entry in older[max(0, keep - bool(just_saved)):]:
        try:
            os.remove(entry.path)
            removed += 1
        except OSError:  # gone meanwhile, or not ours to remove: left
            continue
    return removed
