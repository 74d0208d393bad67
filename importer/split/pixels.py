"""Pixel statistics: ink against a colour, ink joined across rows, a box's commonest colour, sampled
percentiles, the inks of boxes compared."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.options import INK_SAMPLE, Plain


def ink_mask(rgb: np.ndarray, background: np.ndarray, tol: float) -> np.ndarray:
    """uint8 mask of the pixels farther than ``tol`` from ``background`` in some channel."""
    colour, reach = background.round(), np.floor(tol)
    return cv2.bitwise_not(cv2.inRange(rgb, colour - reach, colour + reach))


def crossings(ink: np.ndarray) -> np.ndarray:
    """Per boundary between rows ``r`` and ``r + 1`` of the boolean ``ink``, how many ink
    pixels of row ``r`` join ink in row ``r + 1`` (below or diagonally below: 8-connected)."""
    below = ink[1:].copy()
    below[:, 1:] |= ink[1:, :-1]
    below[:, :-1] |= ink[1:, 1:]
    return (ink[:-1] & below).sum(axis=1)


def sample_step(h: int, w: int) -> int:
    """Every how many rows and columns a colour statistic of an ``h`` × ``w`` box reads
    (at most about ``INK_SAMPLE`` pixels)."""
    return max(1, int(np.sqrt(h * w / INK_SAMPLE)))


def sampled_ink(rgb: np.ndarray, mask: np.ndarray, box) -> tuple[np.ndarray, int]:
    """The ink pixels (float32, under ``mask``) of ``box`` (x0, y0, x1, y1), read every
    ``sample_step`` rows and columns, and that step."""
    x0, y0, x1, y1 = box
    step = sample_step(y1 - y0, x1 - x0)
    region = (slice(y0, y1, step), slice(x0, x1, step))
    return rgb[region][mask[region] > 0].astype(np.float32), step


def commonest_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour (``median_colour``) of the commonest colour bin (5 bits a channel)
    of ``rgb``'s pixels."""
    flat = rgb.reshape(-1, 3)
    keys = (flat[:, 0] >> 3).astype(np.int32) << 10 | (flat[:, 1] >> 3).astype(np.int32) << 5 | flat[:, 2] >> 3
    return median_colour(flat[keys == np.bincount(keys).argmax()])


def median_colour(pixels: np.ndarray) -> np.ndarray:
    """The per-channel median of ``pixels`` (n × 3), as ``np.median`` gives it (the mean of
    the middle two of an even count), by one partial sort."""
    middle = (len(pixels) - 1) // 2, len(pixels) // 2
    part = np.partition(pixels, middle, axis=0)
    return (part[middle[0]] + part[middle[1]].astype(np.float64)) / 2


def channel_max(values: np.ndarray) -> np.ndarray:
    """``values.max(axis=-1)`` over three channels, as two element-wise maxima: numpy reduces
    so short a last axis some 20 times slower."""
    return np.maximum(np.maximum(values[..., 0], values[..., 1]), values[..., 2])


def p90(values: np.ndarray) -> float:
    """``np.percentile(values, 90)`` by one partial sort (numpy's runs two and checks more)."""
    k = 0.9 * (len(values) - 1)
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (k - lo) * (part[hi] - part[lo]))


class Inks:
    """The ink of boxes of one picture (its pixels under ``mask``, sampled as ``sample_step``
    says), read once a box, and compared between boxes within the ``sheet``'s ink tolerance
    in every channel (``tolerance`` on a transparent sheet)."""

    def __init__(self, rgb: np.ndarray, mask: np.ndarray, sheet: Plain | None, tolerance: float):
        self.rgb, self.mask = rgb, mask
        self.sheet, self.tol = (sheet.colour, sheet.tol) if sheet else (None, tolerance)
        self._read: dict[tuple, tuple[np.ndarray, int, np.ndarray | None]] = {}

    def holds(self, part: np.ndarray, body: np.ndarray) -> bool:
        """Whether the ink in box ``body`` holds the colour of the ink in box ``part`` (see
        ``_colour``) on at least a tenth as many pixels as ``part`` has ink."""
        ink, weight, colour = self._ink(part)
        if colour is None:
            return True
        other, other_weight, _ = self._ink(body)
        near = channel_max(np.abs(other - colour)) <= self.tol
        return bool(np.count_nonzero(near) * other_weight >= 0.1 * len(ink) * weight)

    def _colour(self, ink: np.ndarray) -> np.ndarray:
        """The median colour of the ink's pixels at least half as far from the sheet as the
        farthest: a glyph's core, its edges blended into the sheet left out."""
        if self.sheet is not None:
            contrast = channel_max(np.abs(ink - self.sheet))
            ink = ink[contrast >= 0.5 * contrast.max()]
        return median_colour(ink)

    def _ink(self, box: np.ndarray) -> tuple[np.ndarray, int, np.ndarray | None]:
        """The box's sampled ink pixels, how many pixels each stands for, and their colour."""
        key = tuple(box[:4].tolist())
        if key not in self._read:
            ink, step = sampled_ink(self.rgb, self.mask, key)
            self._read[key] = ink, step * step, self._colour(ink) if len(ink) else None
        return self._read[key]
