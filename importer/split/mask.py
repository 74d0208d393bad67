"""The foreground mask: ink against a plain (or transparent) sheet, ruled lines erased; the
sheet's grain told from items."""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import maximum_filter1d

from imaging.border import frame
from imaging.decode import Picture
from importer.split.geometry import consecutive
from importer.split.options import JPEG_BLOCK, NOISE_SHARE, Plain, SplitOptions
from importer.split.pixels import channel_max, commonest_colour, ink_mask


def foreground(picture: Picture, options: SplitOptions) -> tuple[np.ndarray, Plain | None] | None:
    """uint8 mask (255 = ink) and the plain background (see ``Plain``), None when it is
    transparent; or None when the background is not plain: a full-frame picture, or one cut by its frame (ink
    running along more than ``frame_cut`` of the frame in one stretch, as a photo bleeding
    off a plain panel)."""
    alpha = picture.alpha
    if alpha is not None and (frame(alpha) <= options.alpha_threshold).mean() >= options.plain_border:
        return cv2.threshold(alpha, options.alpha_threshold, 255, cv2.THRESH_BINARY)[1], None
    plain = plain_colour(picture.rgb, options, picture.lossy)
    if plain is None:
        return None
    return ink_mask(picture.rgb, plain.colour, plain.tol), plain


def plain_colour(rgb: np.ndarray, options: SplitOptions, lossy: bool = False) -> Plain | None:
    """The plain frame around ``rgb`` (its colour, the ink tolerance its noise calls for and
    that noise), or None when the frame is not plain (see ``foreground``).

    The noise is read off the frame's pixels near its colour (their 95th percentile). When
    the frame's own noise (``_own_noise``: a lossy picture's ringing where ink meets the frame
    left out) raises the tolerance, it must be the whole frame's noise: then at most the
    tail it leaves out, one pixel in twenty, lies farther off. A frame whose colour varies
    more widely than that (a dark photo, a texture) is no noisy sheet but a picture."""
    ring = frame(rgb).reshape(-1, 3)
    background = commonest_colour(ring)
    ring_dist = channel_max(np.abs(ring - background))
    near = ring_dist <= options.tolerance
    if near.mean() < options.plain_border or longest_circular_run(~near)[1] > options.frame_cut * len(near):
        return None
    noise = np.percentile(ring_dist[near], NOISE_SHARE * 100)
    if options.noise_factor * _own_noise(ring_dist, near, lossy) > options.tolerance and near.mean() < NOISE_SHARE:
        return None
    return Plain(background, max(options.tolerance, options.noise_factor * noise), float(noise))


def _own_noise(ring_dist: np.ndarray, near: np.ndarray, lossy: bool) -> float:
    """The noise of a frame's own pixels (``near`` its colour; ``ring_dist`` their distance
    from it): on a ``lossy`` picture, of those farther than a JPEG block from where ink
    meets the frame, whose ringing there is the ink's."""
    alone = near & ~maximum_filter1d(~near, 2 * JPEG_BLOCK + 1, mode="wrap") if lossy else near
    return float(np.percentile(ring_dist[alone if alone.any() else near], NOISE_SHARE * 100))


def grain(rgb: np.ndarray, mask: np.ndarray, sheet: Plain | None, boxes: np.ndarray,
          options: SplitOptions) -> np.ndarray:
    """Per box (x0, y0, x1, y1): whether its ink is the sheet's own grain. A sheet's noise
    (paper texture, scan grain, a card's grain near the ink tolerance) reaches a little past
    the tolerance in specks, while an item's ink stands well clear of the sheet: ink no
    farther from the sheet than the tolerance and ``grain`` × its noise is grain. On a clean
    sheet (no noise) nothing is: faint ink there is a pale item."""
    if sheet is None or not sheet.noise or not len(boxes):
        return np.zeros(len(boxes), bool)
    total = cv2.integral(clear_ink(rgb, mask, sheet, options))  # per box, in four reads: ink clear of the grain
    x0, y0, x1, y1 = boxes.T
    return total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0] == 0


def clear_ink(rgb: np.ndarray, mask: np.ndarray, sheet: Plain, options: SplitOptions) -> np.ndarray:
    """The ink of ``mask`` that stands clear of the sheet's grain (see ``grain``)."""
    return cv2.bitwise_and(ink_mask(rgb, sheet.colour, sheet.tol + options.grain * sheet.noise), mask)


def longest_circular_run(flags: np.ndarray) -> tuple[int, int]:
    """Start and length of the longest run of True in ``flags`` read as a circle (a run
    may wrap past the end; (0, 0) when there is none)."""
    if flags.all():
        return 0, len(flags)
    shift = int(np.argmin(flags))  # a False: unroll the circle there
    edges = np.diff(np.r_[0, np.roll(flags, -shift).astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return 0, 0
    best = int(np.argmax(ends - starts))
    return (int(starts[best]) + shift) % len(flags), int(ends[best] - starts[best])


def remove_rules(mask: np.ndarray, options: SplitOptions) -> tuple[np.ndarray, np.ndarray]:
    """Erase, in place, thin straight lines spanning much of the image (ruled grids).
    Returns, per row and per column, whether it lies within a line's thickness of an erased
    line: ink wholly inside such rows or columns is what is left of the lines (crossings).

    A line is at most ``rule_thickness`` × the shorter side thick (2 px at least); in a
    table, ruled both ways and at least three times one way, a pixel more (a 2 px rule
    drawn off the pixel grid, a 3 px one): a stroke that thick with no lines across it may
    be an item's (the bars of letters set close, in a line of text)."""
    thin = rule_thickness(mask.shape, options)
    rows, cols = (_rule_bands(m, thin + 1, options.rule_length) for m in (mask, mask.T))
    counts = sorted(len(bands) for bands in (rows, cols))
    thickness = thin + 1 if counts[0] >= 1 and counts[1] >= 3 else thin
    return _erase(mask, rows, thickness), _erase(mask.T, cols, thickness)


def rule_thickness(shape: tuple[int, ...], options: SplitOptions) -> int:
    """The most pixels a ruled line on a picture of ``shape`` may be thick outside a table:
    ``rule_thickness`` × its shorter side, 2 at least."""
    return max(2, round(options.rule_thickness * min(shape[:2])))


def _rule_bands(mask: np.ndarray, thickness: int, share: float) -> list[tuple[int, int]]:
    """The bands (top, bottom) of at most ``thickness`` rows whose every row holds a run of
    ink at least ``share`` × the width long."""
    length = int(share * mask.shape[1])
    rows = np.flatnonzero(mask.sum(axis=1, dtype=np.int64) >= 255 * length)  # mask is 0/255
    if not len(rows):
        return []
    rows = rows[_hold_runs(mask[rows], length)]  # rows holding one unbroken run of ``length`` pixels
    return [(band[0], band[-1] + 1) for band in consecutive(rows) if len(band) <= thickness]


def _erase(mask: np.ndarray, bands: list[tuple[int, int]], thickness: int) -> np.ndarray:
    """Erase the ``bands`` (see ``_rule_bands``) at most ``thickness`` rows thick, and flag
    the rows within ``thickness`` of them. In each column the band is erased with the ink
    running on from it above and below (a blurred or lossy line's fringe) when that run is
    no thicker than a line may be; a longer run is ink crossing the line and survives."""
    near = np.zeros(mask.shape[0], bool)
    for top, bottom in bands:
        slack = thickness - (bottom - top)
        if slack < 0:
            continue
        up, down = _run_on(mask[top - 1::-1] if top else mask[:0], slack), _run_on(mask[bottom:], slack)
        line = up + down <= slack
        mask[top:bottom, line] = 0
        for k in range(1, slack + 1):  # the fringe, row by row: up >= k only where row top - k exists
            mask[top - k, line & (up >= k)] = 0
            if bottom - 1 + k < len(mask):
                mask[bottom - 1 + k, line & (down >= k)] = 0
        near[max(0, top - thickness):bottom + thickness] = True
    return near


def _run_on(rows: np.ndarray, most: int) -> np.ndarray:
    """Per column, how many of ``rows``' first rows hold ink without a break, counted up to
    ``most`` + 1."""
    ink = rows[:most + 1] != 0
    if not len(ink):
        return np.zeros(rows.shape[1], np.int64)
    return np.where(ink.all(axis=0), len(ink), ink.argmin(axis=0))


def _hold_runs(rows: np.ndarray, length: int) -> np.ndarray:
    """Per row, whether an erosion by a 1×``length`` kernel (OpenCV's: centred, the image's
    edge counting as ink) leaves ink: a run of ``length`` ink pixels, or one cut by the left
    edge of ``length - length // 2``, or by the right edge of ``length // 2 + 1``; found
    from the runs' ends in time linear in the row, not in row × ``length``."""
    width = rows.shape[1]
    edges = np.diff(np.pad(rows != 0, ((0, 0), (1, 1))).view(np.int8), axis=1)
    row, start = np.nonzero(edges == 1)
    end = np.nonzero(edges == -1)[1]
    size, anchor = end - start, length // 2
    fits = (size >= length) | ((start == 0) & (size >= length - anchor)) | ((end == width) & (size > anchor))
    return np.isin(np.arange(len(rows)), row[fits])
