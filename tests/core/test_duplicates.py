"""The duplicates search against brute force: near_pairs (chunks, or every pair), each way of
splitting the bits, the components, and the groups."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop_app.core.duplicates import (
    _plan,
    connected_components,
    duplicate_groups,
    near_pairs,
    pairs_by_chunks,
)
from desktop_app.core.hashing import HammingIndex, pack_bits, to_words, unpack_bits


@pytest.mark.parametrize("bits", [12, 48, 96])
def test_near_pairs_match_brute_force_at_every_distance(bits):
    rng = np.random.default_rng(bits)
    centres = rng.integers(0, 2, size=(30, bits)).astype(bool)
    flips = rng.random((300, bits)) < 0.06  # near-duplicates around each centre...
    codes = centres[rng.integers(0, 30, size=300)] ^ flips
    codes[:5] = ~codes[5:10]  # ...and exact complements, at distance `bits`
    dist = (codes[:, None, :] != codes[None, :, :]).sum(axis=2)
    for max_distance in sorted({0, 1, 2, bits // 8, bits // 4, bits // 3, bits - 1, bits,
                                bits + 5}):
        i, j = np.nonzero(np.triu(dist <= max_distance, k=1))
        expected = {(int(a), int(b)) for a, b in zip(i, j)}
        got = near_pairs(pack_bits(codes), bits, max_distance)
        assert {(int(a), int(b)) for a, b in got} == expected, max_distance
        assert all(a < b for a, b in got) and len(got) == len(expected)


def _clustered(count: int, bits: int, seed: int) -> np.ndarray:
    """Codes around a few centres with a few bits flipped, plus exact copies: many pairs at
    every small distance, and runs of equal keys of every length."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2, size=(max(2, count // 20), bits)).astype(bool)
    codes = centres[rng.integers(0, len(centres), size=count)]
    codes ^= rng.random(codes.shape) < 2.5 / bits
    codes[: count // 10] = codes[count // 10: 2 * (count // 10)]
    return codes


def _brute_force(codes: np.ndarray, max_distance: int) -> set[tuple[int, int]]:
    words = to_words(pack_bits(codes))
    dist = np.bitwise_count(words[:, None, :] ^ words[None, :, :]).sum(axis=2)
    i, j = np.nonzero(np.triu(dist <= max_distance, k=1))
    return {(int(a), int(b)) for a, b in zip(i, j)}


@pytest.mark.parametrize("bits", [12, 48, 96, 128])
def test_every_split_of_the_bits_finds_each_pair_once(bits):
    """pairs_by_chunks with 1 to 4 agreeing chunks (keys of up to 128 bits are mixed, not
    joined) against brute force: nothing missed, nothing twice, sorted."""
    codes = _clustered(400, bits, seed=bits)
    for max_distance in sorted({0, 1, 2, 3, bits // 8}):
        expected = _brute_force(codes, max_distance)
        for agree in range(1, 5):
            if (-(-bits // (max_distance + agree)) > 64 or max_distance + agree > bits
                    or math.comb(max_distance + agree, agree) > 500):
                continue  # a chunk wider than 64 bits, chunks of no bit, or slow to test
            got = pairs_by_chunks(pack_bits(codes), bits, max_distance, agree)
            assert {(int(a), int(b)) for a, b in got} == expected, (max_distance, agree)
            assert len(got) == len(expected) and np.all(got[:, 0] < got[:, 1])
            assert np.array_equal(got, got[np.lexsort((got[:, 1], got[:, 0]))])


def test_a_large_index_is_searched_by_chunks_and_matches_brute_force():
    codes = _clustered(5000, 48, seed=1)
    assert _plan(pack_bits(codes), 48, 6) == 2  # chunks, two of them to agree on
    got = near_pairs(pack_bits(codes), 48, 6)
    assert {(int(a), int(b)) for a, b in got} == _brute_force(codes, 6)
    assert len(got) == len(_brute_force(codes, 6))


def test_connected_components_agree_with_a_graph_walk():
    rng = np.random.default_rng(3)
    for count, edges in [(1, 0), (10, 0), (50, 30), (300, 250), (300, 2000)]:
        pairs = rng.integers(0, count, size=(edges, 2))
        label = connected_components(count, pairs)
        neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
        for a, b in pairs:
            neighbours[int(a)].add(int(b))
            neighbours[int(b)].add(int(a))
        for node in range(count):
            seen, todo = {node}, [node]
            while todo:
                for other in neighbours[todo.pop()] - seen:
                    seen.add(other)
                    todo.append(other)
            assert label[node] == min(seen), (count, edges, node)


@pytest.mark.parametrize("bits", [12, 96])  # one 64-bit word per code, or two
def test_duplicate_groups_match_the_components_of_the_near_pairs_graph(bits):
    """Many photos share a code (copies are searched once; at 12 bits every code has many
    photos) and ids are not positions: every group is a component, first member its lowest id,
    distances to it."""
    rng = np.random.default_rng(5)
    count = 1500
    codes = rng.integers(0, 2, size=(count, bits)).astype(bool)
    codes[:200] = codes[200]  # one code on 201 photos
    codes[300:400] = codes[400:500]  # copies, one bit off for half of them
    codes[np.arange(300, 350), rng.integers(0, bits, size=50)] ^= True
    ids = rng.permutation(10 * count)[:count] + 1
    index = HammingIndex(ids, pack_bits(codes), bits)
    for max_distance in (0, 1, 2):
        groups = duplicate_groups(index, max_distance)
        as_bits = unpack_bits(index.codes, bits)
        pairs = np.array(sorted(_brute_force(as_bits, max_distance)), dtype=np.int64)
        label = connected_components(count, pairs.reshape(-1, 2))
        expected = {}
        for position, root in enumerate(label):
            expected.setdefault(int(root), []).append(position)
        expected = sorted((m for m in expected.values() if len(m) > 1),
                          key=lambda m: (-len(m), int(index.ids[m[0]])))
        assert [[hit.position for hit in group] for group in groups] == expected
        for group in groups:
            first = as_bits[group[0].position]
            assert group[0].photo_id == min(hit.photo_id for hit in group)
            for hit in group:
                assert hit.photo_id == index.ids[hit.position]
                assert hit.distance == int((as_bits[hit.position] != first).sum())


def test_pairs_come_in_batches_each_once(monkeypatch):
    """Pairs are handed on in bounded batches (a large distance costs time, not memory): with
    batches of 64 pairs, on both paths, they still make every pair exactly once."""
    from desktop_app.core import duplicates

    monkeypatch.setattr(duplicates, "_BATCH_PAIRS", 64)
    monkeypatch.setattr(duplicates, "_BLOCK_CELLS", 600 * 10)  # every pair: 10 rows at once
    codes = _clustered(600, 48, seed=7)
    for max_distance, agree in ((3, 1), (3, 2), (20, None)):
        if agree is None:
            assert duplicates._plan(pack_bits(codes), 48, max_distance) is None  # every pair
            batches = list(duplicates.near_pair_batches(pack_bits(codes), 48, max_distance))
        else:
            batches = list(duplicates.pair_batches_by_chunks(pack_bits(codes), 48,
                                                             max_distance, agree))
        assert len(batches) > 3 and all(len(b) < 64 + 10 * 600 for b in batches)
        got = [(int(a), int(b)) for batch in batches for a, b in batch]
        assert len(got) == len(set(got)) and set(got) == _brute_force(codes, max_distance)


def test_components_added_batch_by_batch_are_those_of_all_the_pairs():
    rng = np.random.default_rng(11)
    pairs = rng.integers(0, 500, size=(700, 2))
    label = np.arange(500)
    for batch in np.array_split(pairs, 9):
        label = connected_components(500, batch, label)
    assert np.array_equal(label, connected_components(500, pairs))


@pytest.mark.parametrize("max_distance", [6, 40])  # chunks / every pair compared
def test_a_duplicates_search_stops_when_asked(max_distance):
    from desktop_app.core.duplicates import SearchStopped

    rng = np.random.default_rng(2)
    index = HammingIndex(np.arange(4000), pack_bits(rng.integers(0, 2, size=(4000, 48))), 48)
    asked = []

    def stop_on_the_third_check() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(SearchStopped):
        duplicate_groups(index, max_distance, stop_on_the_third_check)
    assert len(asked) == 3
    assert duplicate_groups(index, 6, lambda: False) == duplicate_groups(index, 6)


def test_codes_that_hardly_vary_are_compared_pair_by_pair_not_by_chunks():
    """A third of the bits equal on every photo (bits a model hardly uses, a library of one
    subject): every key of chunks within them holds all the photos, so the chunks would compare
    every pair several times (5-9 s here against 2 s for every pair once, at 10,000 photos)."""
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 2, size=(10000, 96)).astype(bool)
    codes[:, :32] = codes[0, :32]
    assert _plan(pack_bits(codes), 96, 12) is None
    spread = rng.integers(0, 2, size=(10000, 96)).astype(bool)
    assert _plan(pack_bits(spread), 96, 12) is not None  # random codes: by chunks
