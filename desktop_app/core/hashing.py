"""Binary codes and Hamming search, in numpy.

Codes are stored packed (numpy.packbits, big-endian bit order). For search, codes of up to 64
bits are widened into one uint64 per photo: XOR + popcount on a single word is 25-40x faster
than summing per-byte popcounts (measured on this machine class, see docs/architecture).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """bool/0-1 array [N, bits] -> uint8 [N, ceil(bits/8)] (big bit order, zero padded)."""
    return np.packbits(np.asarray(bits, dtype=bool), axis=-1)


def unpack_bits(codes: np.ndarray, bits: int) -> np.ndarray:
    return np.unpackbits(np.asarray(codes, dtype=np.uint8), axis=-1, count=bits).astype(bool)


def to_words(codes: np.ndarray) -> np.ndarray:
    """uint8 [N, B] packed codes -> uint64 words [N, ceil(B/8)], zero padded on the right."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    n, nbytes = codes.shape
    nwords = max(1, (nbytes + 7) // 8)
    padded = np.zeros((n, nwords * 8), dtype=np.uint8)
    padded[:, :nbytes] = codes
    return padded.view(">u8").astype(np.uint64)


def hamming_distances(query: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Distances from one packed query [B] to packed codes [N, B] -> int [N]."""
    q = to_words(np.asarray(query, dtype=np.uint8).reshape(1, -1))
    return _word_distances(q[0], to_words(codes))


def _word_distances(query_words: np.ndarray, words: np.ndarray) -> np.ndarray:
    if words.shape[1] == 1:
        # <= 64 bits: uint8 distances (one pass, no widening copy).
        return np.bitwise_count(words[:, 0] ^ query_words[0])
    return np.bitwise_count(words ^ query_words).sum(axis=1, dtype=np.uint16)


@dataclass(frozen=True)
class Hit:
    """One search result: position in the index, the photo id, and the Hamming distance."""

    position: int
    photo_id: int
    distance: int


class HammingIndex:
    """Immutable snapshot of (ids, codes). Build a new one to change it (copy-on-write), so a
    search running on another thread always sees a consistent set."""

    def __init__(self, ids: Iterable[int] | np.ndarray, codes: np.ndarray, bits: int) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.uint8)
        if codes.ndim != 2 or len(codes) != len(self.ids):
            # reshape(0, -1) is ambiguous, so an empty index gets its width from `bits`.
            width = (bits + 7) // 8 if len(self.ids) == 0 else -1
            codes = codes.reshape(len(self.ids), width)
        self.bits = bits
        self.codes = codes
        self.words = to_words(codes)
        # Ties are broken by photo id: sort once so that position order == id order.
        if len(self.ids) > 1 and not np.all(self.ids[1:] >= self.ids[:-1]):  # cheap check first
            order = np.argsort(self.ids, kind="stable")
            self.ids, self.codes, self.words = self.ids[order], self.codes[order], self.words[order]
        self.ids.flags.writeable = False
        self.words.flags.writeable = False
        self._position = None

    def __len__(self) -> int:
        return len(self.ids)

    def replaced(self, drop: Iterable[int], ids: Iterable[int] | np.ndarray,
                 codes: np.ndarray) -> HammingIndex:
        """A new index without the codes of the `drop` photo ids, plus (ids, codes): a few
        changed photos cost a few vectorised passes, not a reload of every code."""
        keep = ~np.isin(self.ids, np.fromiter(drop, dtype=np.int64))
        codes = np.asarray(codes, dtype=np.uint8).reshape(-1, self.codes.shape[1])
        return HammingIndex(np.concatenate([self.ids[keep], np.asarray(ids, dtype=np.int64)]),
                            np.concatenate([self.codes[keep], codes]), self.bits)

    def code_of(self, photo_id: int) -> np.ndarray | None:
        pos = self.position_of(photo_id)
        return None if pos is None else self.codes[pos]

    def position_of(self, photo_id: int) -> int | None:
        pos = int(np.searchsorted(self.ids, photo_id))
        if pos < len(self.ids) and self.ids[pos] == photo_id:
            return pos
        return None

    def distances(self, query: np.ndarray) -> np.ndarray:
        q = to_words(np.asarray(query, dtype=np.uint8).reshape(1, -1))[0]
        return _word_distances(q, self.words)

    def search(self, query: np.ndarray, k: int | None = 10, max_distance: int | None = None,
               exclude: Iterable[int] = ()) -> list[Hit]:
        """Nearest codes to `query` (packed bytes), ordered by (distance, photo id).

        k=None returns every code within max_distance. `exclude` drops photo ids (the query itself).
        """
        if len(self.ids) == 0:
            return []
        dist = self.distances(query)
        excluded = [p for p in (self.position_of(i) for i in exclude) if p is not None]
        if excluded:
            dist = dist.copy()
            dist[excluded] = np.iinfo(dist.dtype).max  # above any real distance
        limit = self.bits if max_distance is None else min(max_distance, self.bits)
        if k is not None:
            k = min(k, len(dist) - len(excluded))
            if k <= 0:
                return []
            # Distances are small integers: binary-search the cut-off distance t (the smallest
            # with k codes at or below it) with a few SIMD counting passes, then sort only the
            # candidates at or below it. Cheaper than a histogram (no widening copy).
            if np.count_nonzero(dist <= limit) > k:
                low, high = 0, limit
                while low < high:
                    mid = (low + high) // 2
                    if np.count_nonzero(dist <= mid) >= k:
                        high = mid
                    else:
                        low = mid + 1
                limit = low
        candidates = np.flatnonzero(dist <= limit)
        # Stable sort on distance keeps id order (positions are in id order) for ties.
        candidates = candidates[np.argsort(dist[candidates], kind="stable")]
        if k is not None:
            candidates = candidates[:k]
        return [Hit(int(p), int(self.ids[p]), int(dist[p])) for p in candidates]
