"""A small progress bar for the command line: on stderr, only when stderr is a terminal (or when
asked with --progress), redrawn at most 10 times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, enabled: bool, stream: TextIO | None = None,
                 unit: str = "photos") -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.unit = unit
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last_draw < 0.1:
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
        if self.is_tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:  # a log file or pipe: one line per update, and only every ~2 s
            if done < total and now - getattr(self, "_last_line", 0.0) < 2.0:
                return
            self._last_line = now
            self.stream.write(line + "\n")
        self.drawn = True
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.drawn and self.is_tty:
            self.stream.write("\n")
            self.stream.flush()
