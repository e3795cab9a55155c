"""Near-duplicate groups over a Hamming index: pairs found by the pigeonhole principle, then
joined into groups (union-find). Used by the library, the command line and the app alike."""

from __future__ import annotations

import numpy as np

from .hashing import HammingIndex, Hit, to_words


def near_pairs(codes: np.ndarray, bits: int, max_distance: int) -> np.ndarray:
    """All pairs (i < j) of packed codes within max_distance, as int64 [P, 2].

    Pigeonhole: split the bits into max_distance + 1 chunks; two codes within the distance agree
    exactly on at least one chunk, so only codes sharing a chunk value are compared.
    """
    max_distance = max(0, min(int(max_distance), bits))
    words = to_words(codes)
    if 6 * (max_distance + 1) > bits:
        # Chunks of under 6 bits prune little (and max_distance >= bits allows no
        # chunk at all): comparing every pair once is then the faster and the correct way.
        return _all_pairs_within(words, max_distance)
    unpacked = np.unpackbits(codes, axis=1, count=bits)
    chunks = np.array_split(np.arange(bits), min(max_distance + 1, bits))
    found = []
    for chunk in chunks:
        keys = np.packbits(unpacked[:, chunk], axis=1)
        _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(inverse, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for g in np.flatnonzero(counts > 1):
            members = order[bounds[g]:bounds[g + 1]]
            w = words[members]
            dist = np.bitwise_count(w[:, None, :] ^ w[None, :, :]).sum(axis=2)
            a, b = np.nonzero(np.triu(dist <= max_distance, k=1))
            if len(a):
                found.append(np.stack([members[a], members[b]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


def _all_pairs_within(words: np.ndarray, max_distance: int) -> np.ndarray:
    """Every pair (i < j) within max_distance, comparing rows block by block against the rest
    (blocks sized to keep each XOR table near 32 MB)."""
    block = max(1, (1 << 22) // max(1, words.shape[0] * words.shape[1]))
    found = []
    for start in range(0, len(words), block):
        rows = words[start:start + block]
        dist = np.bitwise_count(rows[:, None, :] ^ words[None, start:, :]).sum(axis=2)
        a, b = np.nonzero(np.triu(dist <= max_distance, k=1))
        if len(a):
            found.append(np.stack([a + start, b + start], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64)


def default_duplicate_distance(bits: int) -> int:
    """Default grouping distance: one bit in eight. Measured on the shipped 96-bit model, an
    edited copy (crop, pad, re-save...) lies a median 10 bits from its original while 95% of
    copies have no other photo within 15 bits (docs/default-model.md); 2 bits found almost none."""
    return max(2, bits // 8)


def duplicate_groups(index: HammingIndex, max_distance: int | None = None) -> list[list[Hit]]:
    """Groups of photos each within max_distance of another member. In a group the first hit is
    the lowest photo id and distances are to it; groups come largest first, then by first id."""
    if len(index) < 2:
        return []
    if max_distance is None:
        max_distance = default_duplicate_distance(index.bits)
    pairs = near_pairs(index.codes, index.bits, max_distance)
    parent = np.arange(len(index))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members_of: dict[int, list[int]] = {}
    for i in np.unique(pairs):
        members_of.setdefault(root(int(i)), []).append(int(i))
    groups = []
    for members in members_of.values():
        members.sort()  # positions are in photo-id order
        dist = index.distances(index.codes[members[0]])
        groups.append([Hit(m, int(index.ids[m]), int(dist[m])) for m in members])
    groups.sort(key=lambda g: (-len(g), g[0].photo_id))
    return groups
