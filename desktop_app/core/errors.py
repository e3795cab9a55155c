"""Errors the core raises. Each carries what a person needs: which file, why, and what to do."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Lone surrogates that no file name's byte gave (those are U+DC80..U+DCFF), e.g. a JSON "\ud83d"
# (half an emoji, in a model card's name): os.fsencode cannot encode them on Linux and macOS.
_NOT_A_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
# Bidirectional controls (marks, embeddings, overrides, isolates): in a name they reorder
# what is shown after them, so "photo\u202egpj.exe" would read as a .jpg.
# Line and paragraph breaks (as the CLI escapes them): a name holding one showed on two
# lines in the grid, and only its first line in the one-line status bar.
# Also U+FEFF and U+FFFE: Qt (PySide) reads either at the start of a text as a byte order
# mark, dropping the first and byte-swapping the rest after the second (a grid label in CJK).
_SHOWN_AS_CODE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                            "\n\x0b\x0c\r\x85\u2028\u2029\ufeff\ufffe]")


def printable(text: str) -> str:
    """Text that can be printed and stored in SQLite whatever bytes a file name held: the bytes
    of a non-UTF-8 name (surrogate escapes in Python) become \\xNN instead of raising later,
    any other lone surrogate \\uXXXX, and so does a bidirectional control, which would show
    the rest of the name in another order (Copy path quotes it too, as bytes for a shell), a
    line break, \\xNN below U+0080 as the CLI writes it (\\x0a, \\u2028), and a byte order
    mark (U+FEFF, U+FFFE)."""
    if text.isascii() and text.isprintable():  # most names and messages (grid labels ask often)
        return text
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:
        raw = os.fsencode(_NOT_A_BYTE.sub(_escaped, text))
    return _SHOWN_AS_CODE.sub(_escaped, raw.decode("utf-8", "backslashreplace"))


def _escaped(match: re.Match) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


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

    # What a big file refused from its start is known by (images.head_fingerprint), if so.
    fingerprint: str | None = None


class ModelError(LookalikeError):
    """A model folder is missing, damaged, of an unknown version, or fails its self-test."""


class StoreError(LookalikeError):
    """The library database cannot be opened or written (newer version, disk full, locked...)."""
