"""Near-neighbour search of 64-bit hashes by Hamming distance, in time that does not grow with
the number held: a heap of millions of crops is deduplicated against every kept crop.

Exact by the pigeonhole principle: split the 64 bits into ``max_distance + 1`` bands; two
hashes at most ``max_distance`` bits apart agree on at least one whole band, so looking up
each band of a hash finds every hash within reach (and some farther ones, which the exact
distance then drops). Wider reaches (more than 15 bits) scan everything.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

MAX_BANDS = 16  # bands of 4 bits or more; narrower ones would not narrow the search


def popcount(values: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64."""
    as_bytes = values.view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1)


class HammingIndex:
    """Hashes (uint64) with a float attribute each, numbered in the order added."""

    def __init__(self, max_distance: int):
        self.max_distance = max_distance
        bands = max_distance + 1
        self._bands = _band_masks(bands) if bands <= MAX_BANDS else []
        self._buckets = [defaultdict(list) for _ in self._bands]
        self._hashes = np.zeros(1024, np.uint64)
        self._values = np.zeros(1024, np.float64)
        self.size = 0

    def add(self, value: int, attribute: float) -> int:
        """Hold ``value``; return its number."""
        if self.size == len(self._hashes):  # doubling: adding n hashes costs O(n) copying
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
            self._values = np.concatenate([self._values, np.zeros_like(self._values)])
        self._hashes[self.size], self._values[self.size] = value, attribute
        for (shift, mask), bucket in zip(self._bands, self._buckets):
            bucket[(value >> shift) & mask].append(self.size)
        self.size += 1
        return self.size - 1

    def near(self, value: int) -> tuple[np.ndarray, np.ndarray]:
        """(numbers, attributes) of the held hashes within ``max_distance`` bits of ``value``,
        numbers ascending."""
        if self._bands:
            found = {i for (shift, mask), bucket in zip(self._bands, self._buckets)
                     for i in bucket.get((value >> shift) & mask, ())}
            candidates = np.fromiter(sorted(found), np.int64, len(found))
        else:
            candidates = np.arange(self.size)
        if not len(candidates):
            return candidates, np.zeros(0)
        close = popcount(self._hashes[candidates] ^ np.uint64(value)) <= self.max_distance
        return candidates[close], self._values[candidates[close]]


def _band_masks(bands: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``bands`` bands covering the 64 bits, as even as they divide."""
    widths = [64 // bands + (i < 64 % bands) for i in range(bands)]
    starts = np.cumsum([0, *widths[:-1]])
    return [(int(s), (1 << w) - 1) for s, w in zip(starts, widths)]
