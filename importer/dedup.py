"""Dedup: keep each crop once, dropping exact and near duplicates.

Exact duplicates share a pixel hash. Near duplicates (rescaled or recompressed copies)
have perceptual hashes (``imagehash.phash``'s 64 bits) within ``max_distance`` bits and
nearly the same aspect ratio, so a rescaled copy matches while a different item of
similar texture but other proportions does not. The kept hashes are searched through an
exact index (``importer.hash_index``), so a check costs the same at a million kept crops.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy.fft import dct

from importer.hash_index import HammingIndex

DEFAULT_DISTANCE = 4  # bits of 64: rescaled and recompressed copies differ by fewer
# The low 8 rows of scipy's unnormalised DCT-II of 32 samples: 2 cos(pi k (2n + 1) / 64)
_LOW_DCT = 2 * np.cos(np.pi * np.arange(8)[:, None] * (2 * np.arange(32) + 1) / 64)
_ROUNDING = 1e-6  # coefficients reach 4 × 255 × 32²; both ways of computing them err by < 1e-8


def perceptual_hash(rgb: np.ndarray) -> int:
    """The 64-bit DCT perceptual hash of an RGB crop, as an int: ``imagehash.phash``'s bits,
    computed by its very steps (Pillow's grey and Lanczos 32×32, the DCT, the low 8×8 above
    their median) without its wrapping, which cost as much again. The low 8×8 of the DCT are
    two small matrix products; only when one of them lies within rounding of their median (a
    symmetric crop's zeros) does scipy's DCT, as imagehash's, decide: the bits are its bits."""
    small = Image.fromarray(rgb).convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.frombuffer(small.tobytes(), np.uint8).reshape(32, 32).astype(np.float64)
    bits = _above_median(_LOW_DCT @ pixels @ _LOW_DCT.T, _ROUNDING)
    if bits is None:
        bits = _above_median(dct(dct(pixels, axis=0), axis=1)[:8, :8], 0.0)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def _above_median(low: np.ndarray, margin: float) -> np.ndarray | None:
    """Which coefficients lie above their median (``np.median``'s, of an even count); None
    when one lies within ``margin`` of it, where the DCT's rounding may put it either side."""
    middle = np.sort(low, axis=None)[31:33]
    median = (middle[0] + middle[1]) / 2
    if margin and np.abs(low - median).min() <= margin:
        return None
    return low > median


class Deduper:
    """Remembers kept crops; ``check`` names the kept crop a new one duplicates, if any."""

    def __init__(self, max_distance: int = DEFAULT_DISTANCE, max_aspect_change: float = 0.1):
        if not 0 <= max_distance <= 64:
            raise ValueError(f"max_distance must be within 0..64 bits, got {max_distance}")
        self.max_distance = max_distance
        self.max_aspect_change = max_aspect_change
        self._exact: dict[str, str] = {}
        self._index = HammingIndex(max_distance)  # perceptual hash and log aspect of each kept crop
        self._owners: list[str] = []

    def check(self, sha256: str, rgb: np.ndarray) -> str | None:
        """Return the sha256 of the kept crop that ``rgb`` duplicates, else keep it and return None."""
        return self.check_hashed(sha256, self.phash(rgb), rgb.shape[1], rgb.shape[0])

    def phash(self, rgb: np.ndarray) -> int:
        """The perceptual hash ``check_hashed`` wants (0 when near duplicates are not looked for)."""
        return perceptual_hash(rgb) if self.max_distance > 0 else 0

    def check_hashed(self, sha256: str, phash: int, width: int, height: int) -> str | None:
        """``check`` for a crop hashed elsewhere (in a worker process): its pixel hash,
        ``phash`` from ``Deduper.phash`` and its size."""
        if sha256 in self._exact:
            return self._exact[sha256]
        aspect = math.log(width / height)
        if self.max_distance > 0 and self._owners:
            numbers, aspects = self._index.near(phash)
            close = numbers[np.abs(aspects - aspect) <= math.log1p(self.max_aspect_change)]
            if len(close):
                return self._owners[int(close[0])]  # the first kept of those close enough
        self._exact[sha256] = sha256
        self._index.add(phash, aspect)
        self._owners.append(sha256)
        return None
