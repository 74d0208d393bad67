"""Uneven lighting and mottled paper taken off a sheet. A scanned or photographed sheet's
background varies slowly across it (light falling off, paper texture) while its items stand
out sharply: read the background off blocks of the sheet that join the frame in small steps,
and shift every pixel by how far the background there lies from its typical colour."""
from __future__ import annotations

import cv2
import numpy as np

from imaging.border import frame
from importer.split.mask import longest_circular_run
from importer.split.options import SplitOptions
from importer.split.pixels import channel_max


def flatten(rgb: np.ndarray, options: SplitOptions) -> np.ndarray | None:
    """``rgb`` with its background's slow variation taken off, or None when the background
    varies in hue, not only in brightness (a photo, a gradient fill between two colours), or
    the picture is too small to read its lighting from."""
    h, w = rgb.shape[:2]
    k = max(2, round(min(h, w) / options.shade_blocks))
    if min(h, w) // k < 8:
        return None
    blocks = _block_medians(rgb, k)
    back = _background(blocks, options.tolerance)
    if _hue_varies(blocks[back], options.tolerance / 4):
        return None
    surface = cv2.inpaint(np.clip(blocks, 0, 255).astype(np.uint8), (~back).astype(np.uint8), 2, cv2.INPAINT_TELEA)
    surface = cv2.GaussianBlur(surface.astype(np.float32), (0, 0), 1)  # the blocks' own noise smoothed
    shift = cv2.resize(np.median(surface[back], axis=0) - surface, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.add(rgb, shift, dtype=cv2.CV_8U)  # saturating


def _block_medians(rgb: np.ndarray, k: int) -> np.ndarray:
    """Per ``k`` × ``k`` block (float32, the ragged right and bottom edges left out), the
    median of the mean colours of its 8 × 8 sub-blocks (of its pixels when smaller): the
    grain averages out within a sub-block, a thin stroke or a speck moves few of them, an
    item covering most of the block moves the median."""
    m = min(8, k)
    hb, wb = rgb.shape[0] // k, rgb.shape[1] // k
    sub = cv2.resize(rgb[:hb * k, :wb * k], (wb * m, hb * m), interpolation=cv2.INTER_AREA)
    tiles = sub.reshape(hb, m, wb, m, 3).transpose(0, 2, 1, 3, 4).reshape(hb, wb, m * m, 3)
    return np.median(tiles, axis=2).astype(np.float32)


def _background(blocks: np.ndarray, tolerance: float) -> np.ndarray:
    """Boolean per block: the sheet's background, the blocks joined to the frame in steps no
    larger than the frame's own (three times its median step from block to block, at least
    a quarter of the ink ``tolerance``), grown from the middle of the frame's longest smooth
    stretch (an item touching the frame starts no background)."""
    ring = frame(blocks)
    steps = channel_max(np.abs(ring - np.roll(ring, -1, axis=0)))
    delta = max(tolerance / 4, 3 * float(np.median(steps)))
    start, length = longest_circular_run(steps <= delta)
    y, x = frame(np.dstack(np.mgrid[0:blocks.shape[0], 0:blocks.shape[1]]))[(start + length // 2) % len(ring)]
    fill = np.zeros((blocks.shape[0] + 2, blocks.shape[1] + 2), np.uint8)
    cv2.floodFill(blocks, fill, (int(x), int(y)), 0, (delta,) * 3, (delta,) * 3,
                  8 | cv2.FLOODFILL_MASK_ONLY | 255 << 8)  # each block compared with its neighbour
    return fill[1:-1, 1:-1] > 0


def _hue_varies(colours: np.ndarray, spread: float) -> bool:
    """Whether ``colours`` (n × 3) vary in more than brightness, by more than ``spread``
    (root mean square): light falling off darkens a sheet's colour (along the colour
    itself), uneven paper or exposure shifts it along grey; a picture's background, or a
    gradient fill between two colours, changes its hue."""
    mean = colours.mean(axis=0)
    centred = colours - mean
    off = min(float(np.mean(np.sum((centred - np.outer(centred @ d, d)) ** 2, axis=1)))
              for d in (np.full(3, 3 ** -0.5), mean / max(float(np.linalg.norm(mean)), 1.0)))
    return off > spread ** 2
