"""Decode photos ahead of the encoder: a bounded, ordered look-ahead pool of threads.

Pillow releases the GIL while it decodes and resizes, so two decoder threads overlap with the
onnxruntime session (which releases it too). The window bounds memory: at most `window` decoded
photos wait at once, and results come back in input order so the writes stay deterministic.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from . import images
from .errors import PhotoReadError, printable
from .model_card import InputSpec
from .preprocess import draft_target, preprocess
from .scan import FileEntry

T = TypeVar("T")
R = TypeVar("R")


def default_decode_threads() -> int:
    return max(1, min(8, os.cpu_count() or 2))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], threads: int,
                window: int) -> Iterator[R]:
    """`map(fn, items)` on a thread pool, at most `window` items in flight, results in order.

    Closing the generator early (a stop request) cancels what has not started yet.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="decode")
    pending: deque[Future] = deque()
    source = iter(items)
    try:
        for item in source:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            for item in source:
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Prepared:
    """One file after reading: a tensor for the encoder, or a reason it cannot be used."""

    entry: FileEntry
    fingerprint: str | None = None
    size: int = 0
    pixels: np.ndarray | None = None  # float32 [3, H, W]
    width: int | None = None
    height: int | None = None
    error: str | None = None
    gone: bool = False  # the file vanished between the scan and the read
    known: bool = False  # its content already has codes: no need to decode it
    # When its bytes began to be read (wall clock): the record's indexed_at. A rewrite after
    # it in the same step of a whole-second mtime keeps size and mtime (library.RACY_S).
    read_at: float = 0.0


def prepare(entry: FileEntry, spec: InputSpec,
            known_fingerprints: Collection[str] = ()) -> Prepared:
    """Read, fingerprint and (unless its content is already encoded) decode one file."""
    out = Prepared(entry, read_at=time.time())
    if entry.error:
        out.error = printable(f"{entry.path}: {entry.error}.")
        return out
    try:
        data = images.read_bytes(entry.path)
        out.size = len(data)
        out.fingerprint = images.fingerprint_bytes(data)
        if out.fingerprint in known_fingerprints:
            out.known = True
            return out
        image, out.width, out.height = images.decode(data, entry.path,
                                                     min_size=draft_target(spec))
        out.pixels = preprocess(image, spec)
    except PhotoReadError as exc:
        out.error = str(exc)
        # A big file refused from its start is known by it (images.head_fingerprint): moved,
        # it keeps one record.
        out.fingerprint = out.fingerprint or exc.fingerprint
        out.gone = isinstance(exc.__cause__, FileNotFoundError)
    except Exception as exc:  # noqa: BLE001 - one odd file must never end the whole run
        out.error = str(PhotoReadError(entry.path, f"unexpected error while reading it "
                                       f"({type(exc).__name__}: {exc})",
                                       "Please report this file to the Lookalike developers"))
    return out
