"""near_pairs (pigeonhole, or every pair at large distances) against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.duplicates import near_pairs
from desktop_app.core.hashing import pack_bits


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
