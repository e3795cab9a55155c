"""Errors the core raises. Each carries what a person needs: which file, why, and what to do."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Lone surrogates that no file name's byte gave (those are U+DC80..U+DCFF), e.g. a JSON "\ud83d"
# (half an emoji, in a model card's name): os.fsencode cannot encode them on Linux and macOS.
_NOT_A_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def printable(text: str) -> str:
    """Text that can be printed and stored in SQLite whatever bytes a file name held: the bytes
    of a non-UTF-8 name (surrogate escapes in Python) become \\xNN instead of raising later,
    any other lone surrogate \\uXXXX."""
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:
        raw = os.fsencode(_NOT_A_BYTE.sub(lambda m: f"\\u{ord(m[0]):04x}", text))
    return raw.decode("utf-8", "backslashreplace")


class LookalikeError(Exception):
    """Base class: `str(err)` is one clear sentence naming the file, the cause and the remedy."""

    def __init__(self, path: str | Path | None, reason: str, hint: str = "") -> None:
        self.path = str(path) if path is not None else None
        # Decoders' own texts may hold line breaks (libheif ends its with one): one line each.
        self.reason = " ".join(reason.split())
        self.hint = " ".join(hint.split())
        super().__init__(self.message())

    def message(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}: {self.reason}")
        else:
            parts.append(self.reason)
        if self.hint:
            parts.append(self.hint)
        return printable(". ".join(p.rstrip(".") for p in parts) + ".")


class PhotoReadError(LookalikeError):
    """A photo could not be read or decoded; the file is skipped and recorded, never fatal."""


class ModelError(LookalikeError):
    """A model folder is missing, damaged, of an unknown version, or fails its self-test."""


class StoreError(LookalikeError):
    """The library database cannot be opened or written (newer version, disk full, locked...)."""
