"""The banded Hamming index finds exactly the hashes a full scan finds, at every reach."""
import numpy as np
import pytest

from importer.hash_index import HammingIndex, popcount


@pytest.mark.parametrize("max_distance", [0, 1, 4, 9, 15, 20, 64])
def test_index_finds_what_a_full_scan_finds(max_distance):
    rng = np.random.default_rng(max_distance)
    base = rng.integers(0, 2**63, 40, dtype=np.uint64)
    # hashes near a few bases (flips of 0..max_distance+2 bits) and random ones
    held = [int(b) ^ sum(1 << int(bit) for bit in rng.choice(64, min(64, rng.integers(0, max_distance + 3)), replace=False))
            for b in rng.choice(base, 600)] + [int(v) for v in rng.integers(0, 2**63, 600, dtype=np.uint64)]
    index = HammingIndex(max_distance)
    for i, h in enumerate(held):
        index.add(h, float(i))
    hashes = np.array(held, np.uint64)
    for probe in [int(b) for b in base[:20]] + held[:20]:
        numbers, values = index.near(probe)
        expected = np.flatnonzero(popcount(hashes ^ np.uint64(probe)) <= max_distance)
        assert numbers.tolist() == expected.tolist()
        assert values.tolist() == [float(i) for i in expected]


def test_empty_index_finds_nothing():
    numbers, values = HammingIndex(4).near(12345)
    assert len(numbers) == len(values) == 0
