"""A small progress bar for the command line: on stderr, only when stderr is a terminal (or when
asked with --progress), redrawn at most 10 times a second. While a folder is walked, before any
photo is counted, it shows how many photos the walk has found so far. `say` writes a message
on a line of its own, not onto a bar's line."""

from __future__ import annotations

import sys
import time
from typing import TextIO

REDRAW_S = 0.1  # on a terminal
LINE_S = 2.0  # in a log file or pipe: one line per update, at most this often

# The terminal on which a bar's line is drawn and not ended yet: a message said meanwhile would
# be written onto the end of the bar's line.
_line_open_on: TextIO | None = None


def say(message: str, stream: TextIO | None = None) -> None:
    """`message` on a line of its own on `stream` (stderr), also while a bar is drawn there: the
    bar's line is ended first, and the bar goes on below the message at its next redraw."""
    global _line_open_on
    stream = stream or sys.stderr
    if stream is None:  # no stderr (started with it closed, `2>&-`): nowhere to say it
        return
    if _line_open_on is stream:
        stream.write("\n")
    _line_open_on = None
    stream.write(message + "\n")
    stream.flush()


def _line_drawn(stream: TextIO, left_open: bool) -> None:
    global _line_open_on
    _line_open_on = stream if left_open else None


class ProgressBar:
    def __init__(self, label: str, enabled: bool, stream: TextIO | None = None,
                 unit: str = "photos") -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.unit = unit
        self.started = time.monotonic()
        self.last_draw = 0.0
        self._last_line = 0.0
        self.drawn = False
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._found: int | None = None  # photos found by the walk under way, not said in full
        self._said: int | None = None  # the found count on the line now

    def looking(self, found: int) -> None:
        """A folder's walk has found `found` photos so far (scan_folder's `looking`: told again
        and again, also when it has not changed)."""
        if not self.enabled:
            return
        self._found = found
        if found == self._said:
            return  # on the line already
        now = time.monotonic()
        if found and now - self.last_draw < REDRAW_S:
            return
        self.last_draw = now
        count = f" {found:,} found" if found else ""
        if self._write(f"{self.label}: looking for photos...{count}", now, last=False):
            self._said = found

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._found is not None:  # the walk is over: its whole count, on a line of its own
            found, self._found, self._said = self._found, None, None
            self._write(f"{self.label}: {found:,} photos found", now, last=True)
            if self.is_tty:
                self.stream.write("\n")
                _line_drawn(self.stream, left_open=False)
            self.last_draw = 0.0
        if done == 0:  # a count starts (after the walk): the rate is of photos read, from now
            self.started = now
        if done < total and now - self.last_draw < REDRAW_S:
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        fraction = done / total if total else 1.0
        eta = (total - done) / rate if rate > 0 else 0.0
        width = 24
        filled = round(width * fraction)
        line = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                f"{fraction:4.0%} {rate:5.1f} {self.unit}/s "
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        self._write(line, now, last=done >= total)

    def _write(self, line: str, now: float, last: bool) -> bool:
        """False if not written (a log file or pipe written to too recently)."""
        if self.is_tty:
            self.stream.write("\r" + line + "\x1b[K")
            _line_drawn(self.stream, left_open=True)
        else:  # a log file or pipe: one line per update, and only every LINE_S
            if not last and now - self._last_line < LINE_S:
                return False
            self._last_line = now
            self.stream.write(line + "\n")
        self.drawn = True
        self.stream.flush()
        return True

    def close(self) -> None:
        if self.enabled and self.drawn and self.is_tty:
            self.stream.write("\n")
            self.stream.flush()
            _line_drawn(self.stream, left_open=False)
