"""Near-duplicate groups over a Hamming index: candidate pairs found by the generalised
pigeonhole principle and checked, then joined into groups (connected components). Used by the
library, the command line and the app alike.

Pairs come in batches and are folded into the groups as they come, so a large distance (every
photo near many others) costs time, not memory; a caller can stop a long search between two
batches (`should_stop`)."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterator

import numpy as np

from .hashing import HammingIndex, Hit, to_words
from .wording import count_of

log = logging.getLogger(__name__)

# Cost estimate, in seconds, measured on a 2-core Xeon (bench/duplicates_scale.py): sorting the
# codes on one key, checking one candidate pair, comparing one pair word by word in the blocks.
_SORT_COST = 50e-9
_CANDIDATE_COST = 12e-9
_BLOCK_PAIR_COST = 12e-9
_MOST_KEYS = 5000  # sets of chunks to sort on; more is never the cheaper plan in practice
_SAMPLE = 8192  # codes a plan is costed on
_SAMPLED_KEYS = 64  # sets of chunks a plan is costed on
_BATCH_PAIRS = 1 << 20  # pairs handed on at once by the chunks (~16 MB)
_BLOCK_CELLS = 1 << 22  # pairs compared at once when every pair is (an XOR table of 32 MB)


class SearchStopped(Exception):
    """The duplicates search was stopped by its caller's should_stop."""


def near_pairs(codes: np.ndarray, bits: int, max_distance: int) -> np.ndarray:
    """All pairs (i < j) of packed codes within max_distance, as int64 [P, 2], sorted."""
    return _sorted(list(near_pair_batches(codes, bits, max_distance)))


def near_pair_batches(codes: np.ndarray, bits: int, max_distance: int,
                      should_stop: Callable[[], bool] | None = None) -> Iterator[np.ndarray]:
    """The pairs (i < j) of packed codes within max_distance, each once, in int64 [P, 2] batches.

    Generalised pigeonhole: split the bits into m = max_distance + k chunks. Two codes within
    the distance differ in at most max_distance chunks, so they agree exactly on k or more. For
    each set of k chunks the codes are sorted on those chunks and only codes with an equal key
    are compared; a pair counts for the first k chunks it agrees on, so it is found once. The
    plain pigeonhole (k = 1) made buckets of ~1,500 random codes at 200,000 photos and compared
    them all; k is chosen by a cost estimate (_plan), comparing every pair when that is cheaper.
    Raises SearchStopped once should_stop() is true.
    """
    max_distance = max(0, min(int(max_distance), bits))
    agree = _plan(codes, bits, max_distance)
    if agree is None:
        return _all_pairs_within(to_words(codes), max_distance, should_stop or _never)
    return pair_batches_by_chunks(codes, bits, max_distance, agree, should_stop)


def pairs_by_chunks(codes: np.ndarray, bits: int, max_distance: int, agree: int) -> np.ndarray:
    """near_pairs with the bits split into max_distance + agree chunks (see there)."""
    return _sorted(list(pair_batches_by_chunks(codes, bits, max_distance, agree)))


def pair_batches_by_chunks(codes: np.ndarray, bits: int, max_distance: int, agree: int,
                           should_stop: Callable[[], bool] | None = None) -> Iterator[np.ndarray]:
    words = to_words(codes)
    parts = max_distance + agree
    if -(-bits // parts) > 64:
        raise ValueError(f"{bits} bits in {parts} chunks: a chunk must fit 64 bits")
    values, widths = _chunk_values(np.unpackbits(codes, axis=1, count=bits), parts)
    for chosen in itertools.combinations(range(parts), agree):
        yield from _pairs_agreeing_on(chosen, values, widths, words, max_distance,
                                      should_stop or _never)


def _never() -> bool:
    return False


def _sorted(batches: list[np.ndarray]) -> np.ndarray:
    pairs = np.concatenate([np.zeros((0, 2), dtype=np.int64), *batches])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _plan(codes: np.ndarray, bits: int, max_distance: int) -> int | None:
    """How many chunks pairs must agree on (k), or None to compare every pair: the cheapest by
    a cost estimate. Random codes spread evenly over the keys, which gives a lower bound; real
    codes may not (bits that hardly vary, a library of one subject), so a plan that could win is
    costed on the candidates it makes in a sample of the codes. Trusting the random estimate
    chose plans 4-20x slower than comparing every pair on such codes."""
    count, nwords = len(codes), -(-bits // 64)
    best, best_cost = None, _BLOCK_PAIR_COST * nwords * count * count / 2
    if count < 2:
        return best
    rng = np.random.default_rng(0)  # the same plan for the same codes
    sample = codes if count <= _SAMPLE else codes[rng.choice(count, _SAMPLE, replace=False)]
    unpacked = np.unpackbits(sample, axis=1, count=bits)
    scale = count * (count - 1) / max(1, len(sample) * (len(sample) - 1))
    for agree in range(1, bits - max_distance + 1):
        parts = max_distance + agree
        keys = math.comb(parts, agree)
        if keys > _MOST_KEYS:
            break
        if -(-bits // parts) > 64:
            continue  # a chunk must fit one 64-bit value
        key_bits = min(64.0, agree * bits / parts)
        sorting = keys * _SORT_COST * count
        if sorting + keys * _CANDIDATE_COST * count * count / 2 / 2 ** key_bits >= best_cost:
            continue  # even evenly spread codes would cost more
        candidates = _sampled_candidates(unpacked, parts, agree) * scale
        cost = sorting + keys * _CANDIDATE_COST * candidates
        if cost < best_cost:
            best, best_cost = agree, cost
    return best


def _sampled_candidates(unpacked: np.ndarray, parts: int, agree: int) -> float:
    """Mean candidate pairs per set of `agree` of `parts` chunks, in the sample `unpacked`
    (up to _SAMPLED_KEYS sets, spread over all of them)."""
    values, widths = _chunk_values(unpacked, parts)
    every = list(itertools.combinations(range(parts), agree))
    picked = [every[i] for i in np.linspace(0, len(every) - 1, min(len(every), _SAMPLED_KEYS),
                                            dtype=int)]
    total = 0.0
    for chosen in picked:
        _, sizes = np.unique(_key(chosen, values, widths), return_counts=True)
        total += float((sizes * (sizes - 1)).sum()) / 2
    return total / len(picked)


def _key(chosen: tuple[int, ...], values: np.ndarray, widths: list[int]) -> np.ndarray:
    """Each code's key for the chunks `chosen`: their bits joined, or mixed past 64 bits (equal
    chunks still give equal keys; a collision only adds a candidate that the checks drop)."""
    key = values[chosen[0]].copy()
    joined = sum(widths[c] for c in chosen) <= 64
    for column in chosen[1:]:
        if joined:
            key = (key << np.uint64(widths[column])) | values[column]
        else:
            key = key * np.uint64(0x9E3779B97F4A7C15) ^ values[column]
    return key


def _chunk_values(unpacked: np.ndarray, parts: int) -> tuple[np.ndarray, list[int]]:
    """The bits [N, bits] split into `parts` chunks of (nearly) equal width: uint64
    [parts, N], each code's bits in each chunk as a number (a row per chunk, so that building a
    key reads contiguous memory), and the chunks' widths."""
    chunks = np.array_split(np.arange(unpacked.shape[1]), parts)
    values = np.zeros((len(chunks), len(unpacked)), dtype=np.uint64)
    for row, chunk in enumerate(chunks):
        for bit in chunk:
            values[row] = (values[row] << np.uint64(1)) | unpacked[:, bit]
    return values, [len(chunk) for chunk in chunks]


def _pairs_agreeing_on(chosen: tuple[int, ...], values: np.ndarray, widths: list[int],
                       words: np.ndarray, max_distance: int,
                       should_stop: Callable[[], bool]) -> Iterator[np.ndarray]:
    """Pairs within max_distance whose first `len(chosen)` agreeing chunks are `chosen`."""
    key = _key(chosen, values, widths)
    key_bits = sum(widths[c] for c in chosen)
    # The narrowest type sorts fastest (a radix sort up to 16 bits); order within a run of
    # equal keys does not matter.
    if key_bits <= 16:
        order = np.argsort(key.astype(np.uint16), kind="stable")
    else:
        order = np.argsort(key.astype(np.uint32) if key_bits <= 32 else key)
    key = key[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    sizes = np.diff(np.append(starts, len(key)))
    later = np.repeat(starts + sizes, sizes) - np.arange(len(key)) - 1  # run-mates after it
    # Compare each code with the one `step` places on in its run, for step = 1, 2, ...: no
    # candidate list is built, and the codes still in a run shrink fast (runs are short).
    # The first 64 bits filter (for longer codes, the rest is checked on what passes).
    ordered = words[order, 0]
    active = np.flatnonzero(later)
    first, second, held = [], [], 0
    step = 1
    while len(active):
        if should_stop():
            raise SearchStopped
        partner = active + step
        near = np.bitwise_count(ordered[active] ^ ordered[partner]) <= max_distance
        if near.any():
            first.append(order[active[near]])
            second.append(order[partner[near]])
            held += len(first[-1])
        step += 1
        active = active[later[active] >= step]
        if held >= _BATCH_PAIRS or (held and not len(active)):
            yield _owned(np.concatenate(first), np.concatenate(second), chosen, values, words,
                         max_distance)
            first, second, held = [], [], 0


def _owned(a: np.ndarray, b: np.ndarray, chosen: tuple[int, ...], values: np.ndarray,
           words: np.ndarray, max_distance: int) -> np.ndarray:
    """Of the candidate pairs (a, b) that passed the first 64 bits, those within max_distance
    that belong to `chosen`: the first len(chosen) chunks they agree on (so each pair is given
    once, and a mixed key's collision not at all)."""
    if words.shape[1] > 1:
        near = np.bitwise_count(words[a] ^ words[b]).sum(axis=1) <= max_distance
        a, b = a[near], b[near]
    # Chunk by chunk (a table of every chunk for every pair took ~0.5 GB for a batch).
    agreeing = np.zeros(len(a), dtype=np.int32)
    owned = np.ones(len(a), dtype=bool)
    for row in range(chosen[-1] + 1):
        same = values[row, a] == values[row, b]
        agreeing += same
        if row in chosen:
            owned &= same
    owned &= agreeing == len(chosen)
    a, b = a[owned], b[owned]
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1).astype(np.int64)


def _all_pairs_within(words: np.ndarray, max_distance: int,
                      should_stop: Callable[[], bool]) -> Iterator[np.ndarray]:
    """Every pair (i < j) within max_distance, comparing rows block by block against the rest,
    a batch per block."""
    block = max(1, _BLOCK_CELLS // max(1, words.shape[0] * words.shape[1]))
    for start in range(0, len(words), block):
        if should_stop():
            raise SearchStopped
        rows = words[start:start + block]
        dist = np.bitwise_count(rows[:, None, :] ^ words[None, start:, :]).sum(axis=2)
        a, b = np.nonzero(np.triu(dist <= max_distance, k=1))
        if len(a):
            yield np.stack([a + start, b + start], axis=1).astype(np.int64)


def default_duplicate_distance(bits: int) -> int:
    """Default grouping distance: one bit in eight. Measured on the shipped 96-bit model, an
    edited copy (crop, pad, re-save...) lies a median 10 bits from its original while 95% of
    copies have no other photo within 15 bits (docs/default-model.md); 2 bits found almost none."""
    return max(2, bits // 8)


def duplicate_groups(index: HammingIndex, max_distance: int | None = None,
                     should_stop: Callable[[], bool] | None = None) -> list[list[Hit]]:
    """Groups of photos each within max_distance of another member. In a group the first hit is
    the lowest photo id and distances are to it; groups come largest first, then by first id.
    Raises SearchStopped once should_stop() is true (checked between short steps)."""
    if len(index) < 2:
        return []
    if max_distance is None:
        max_distance = default_duplicate_distance(index.bits)
    words = index.words
    # Photos with the same code (copies, a backup folder) are searched as one code: their pairs
    # would grow with the square of the copies.
    if words.shape[1] == 1:
        _, first, code_of = np.unique(words[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, code_of = np.unique(words, axis=0, return_index=True, return_inverse=True)
    label = np.arange(len(first))
    found = 0
    for pairs in near_pair_batches(index.codes[first], index.bits, max_distance, should_stop):
        label = connected_components(len(first), pairs, label)
        found += len(pairs)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("duplicates: %s of %s, %s of them within %d bits",
                  count_of(len(first), "distinct code"), count_of(len(index), "photo"),
                  count_of(found, "pair"), max_distance)
    group_of = label[code_of.reshape(-1)]
    grouped = np.flatnonzero(np.bincount(group_of, minlength=len(first))[group_of] > 1)
    if not len(grouped):
        return []
    # By group, then by position (positions are in photo-id order, so each group's first
    # member is its lowest id); distances to that first member.
    grouped = grouped[np.argsort(group_of[grouped], kind="stable")]
    starts = np.flatnonzero(np.diff(group_of[grouped], prepend=-1))
    sizes = np.diff(np.append(starts, len(grouped)))
    leaders = np.repeat(grouped[starts], sizes)
    dist = np.bitwise_count(words[grouped] ^ words[leaders]).sum(axis=1)
    ids = index.ids[grouped]
    groups = [[Hit(int(p), int(i), int(d)) for p, i, d in zip(grouped[s:s + n], ids[s:s + n],
                                                               dist[s:s + n])]
              for s, n in zip(starts, sizes)]
    groups.sort(key=lambda g: (-len(g), g[0].photo_id))
    return groups


def connected_components(count: int, pairs: np.ndarray,
                         label: np.ndarray | None = None) -> np.ndarray:
    """For each of `count` nodes, the lowest node of its component, with `pairs` [P, 2] as the
    edges: roots hooked to the lower root, then pointer jumping, until no edge joins two roots
    (a few vectorised rounds where a Python union-find took a second per million pairs).
    `label`, a result of this function, adds the pairs to the components found before."""
    label = np.arange(count) if label is None else label
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        apart = label[a] != label[b]  # every label is a root here
        if not apart.any():
            return label
        a, b = a[apart], b[apart]
        low = np.minimum(label[a], label[b])
        np.minimum.at(label, label[a], low)
        np.minimum.at(label, label[b], low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
