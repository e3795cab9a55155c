"""HammingIndex against a brute-force reference: top-k, max-distance, exclusion, tie order."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.hashing import HammingIndex, hamming_distances, pack_bits, unpack_bits


def reference(codes_bits, ids, query_bits, k, max_distance, exclude):
    dist = (codes_bits != query_bits).sum(axis=1)
    rows = [(int(d), int(i)) for d, i in zip(dist, ids) if i not in exclude and
            (max_distance is None or d <= max_distance)]
    rows.sort()
    return rows if k is None else rows[:k]


@pytest.mark.parametrize("bits", [12, 48, 64, 96])
def test_search_matches_brute_force(bits):
    rng = np.random.default_rng(bits)
    n = 3000
    # Few distinct codes, so ties are common and their order (by photo id) is tested.
    pool = rng.integers(0, 2, size=(40, bits)).astype(bool)
    codes_bits = pool[rng.integers(0, 40, size=n)]
    ids = rng.permutation(np.arange(10, 10 + 3 * n, 3))
    index = HammingIndex(ids, pack_bits(codes_bits), bits)
    for trial in range(30):
        query = pool[trial % 40] if trial % 2 else rng.integers(0, 2, size=bits).astype(bool)
        k = [1, 5, 100, None][trial % 4]
        max_distance = [None, 0, bits // 4, bits][trial % 3 if k is not None else 2]
        exclude = {int(ids[trial])} if trial % 5 == 0 else set()
        got = [(h.distance, h.photo_id) for h in index.search(pack_bits(query), k=k,
               max_distance=max_distance, exclude=exclude)]
        assert got == reference(codes_bits, ids, query, k, max_distance, exclude)


def test_small_and_empty_indexes():
    empty = HammingIndex([], np.zeros((0, 6), np.uint8), 48)
    assert len(empty) == 0 and empty.search(np.zeros(6, np.uint8), k=5) == []
    one = HammingIndex([7], np.zeros((1, 6), np.uint8), 48)
    assert one.search(np.zeros(6, np.uint8), k=5, exclude=[7]) == []
    assert [h.photo_id for h in one.search(np.zeros(6, np.uint8), k=5)] == [7]


def test_pack_unpack_and_distances():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(20, 48)).astype(bool)
    packed = pack_bits(bits)
    assert (unpack_bits(packed, 48) == bits).all()
    dist = hamming_distances(packed[0], packed)
    assert dist.tolist() == (bits != bits[0]).sum(axis=1).tolist()


@pytest.mark.parametrize("bits", [12, 96])
def test_replaced_is_the_index_built_from_scratch(bits):
    """A few changed photos patched into an index (as the app's indexer does once a second)
    give the same index as building it again; the old one is left as it was."""
    rng = np.random.default_rng(bits)
    width = (bits + 7) // 8
    codes = {i: rng.integers(0, 256, size=width, dtype=np.uint8) for i in range(1, 200)}
    old = HammingIndex(list(codes), np.stack(list(codes.values())), bits)
    changed = {5: rng.integers(0, 256, size=width, dtype=np.uint8),  # re-encoded
               500: rng.integers(0, 256, size=width, dtype=np.uint8)}  # new
    new = old.replaced([5, 7, 500, 9999], list(changed), np.stack(list(changed.values())))
    del codes[7]  # removed (9999 was never there)
    codes.update(changed)
    ids = sorted(codes)
    expected = HammingIndex(ids, np.stack([codes[i] for i in ids]), bits)
    assert np.array_equal(new.ids, expected.ids) and np.array_equal(new.codes, expected.codes)
    query = codes[5]
    assert new.search(query, k=5) == expected.search(query, k=5)
    assert len(old) == 199 and old.code_of(7) is not None
    assert len(old.replaced([], [], np.zeros((0, width), np.uint8))) == 199
