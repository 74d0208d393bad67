"""Pixel statistics: ink against a colour, ink joined across rows, a box's commonest colour, sampled
percentiles."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.options import INK_SAMPLE


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


def commonest_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour of the commonest colour bin (5 bits a channel) of ``rgb``'s pixels
    (``np.median``'s: the mean of the middle two of an even count, by one partial sort)."""
    flat = rgb.reshape(-1, 3)
    keys = (flat[:, 0] >> 3).astype(np.int32) << 10 | (flat[:, 1] >> 3).astype(np.int32) << 5 | flat[:, 2] >> 3
    commonest = flat[keys == np.bincount(keys).argmax()]
    middle = (len(commonest) - 1) // 2, len(commonest) // 2
    part = np.partition(commonest, middle, axis=0)
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
