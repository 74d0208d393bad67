"""Bands framing a sheet: a border line drawn round the picture, a scanner's dark edge, the
bed showing round a scanned page."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from importer.split.options import NOISE_SHARE, SplitOptions
from importer.split.pixels import channel_max, commonest_colour, ink_mask, sample_step

CHUNK = 16  # lines read at once while a run of plain lines goes on
SOFT_EDGE = 2  # lines a lossy format or resampling blends an edge over


class Band(NamedTuple):
    """Lines along one side of a picture: ``depth`` of them in ``colour``, then a line
    plain in another colour, ``margin``."""

    depth: int
    colour: np.ndarray
    margin: np.ndarray


def inner_sheet(rgb: np.ndarray, sheet: np.ndarray | None, options: SplitOptions
                ) -> tuple[int, int, int, int] | None:
    """The window (x0, y0, x1, y1) of ``rgb`` inside the bands that frame it, or None when
    none do.

    A band runs along one side: lines of one colour end to end (all but one pixel in
    twenty within the tolerance of it), then, at an edge, a line plain (``plain_border``
    of it) in another colour, the sheet's margin: farther from the band's colour, by the
    tolerance, than the band's own lines stray (a gradient's next line is one small step
    on; the edge may be blended over ``SOFT_EDGE`` lines, which go with the band); it
    takes less than half the picture across. And it is no part of the sheet: neither in
    the colour of its paper (the picture's commonest colour) nor in that of its plain
    frame (``sheet``, None where the frame is not plain: a scanner's edge along one or two
    sides, the bed round a page); or else it is a border drawn all round, which the frame
    then shows: bands on all four sides, as thin as a ruled line, round a margin of the
    paper. A margin round a single picture (a photo, a button), or round a table's outer
    rule, is the sheet it lies on. One layer is read; a sheet framed twice is read again
    inside."""
    h, w = rgb.shape[:2]
    thin = max(2, options.rule_thickness * min(h, w))
    bands = [_band(_lines(rgb, side), sheet, thin, options) for side in range(4)]
    if not any(bands):
        return None
    step = sample_step(h, w)
    paper = commonest_colour(rgb[::step, ::step])
    peel = [bool(b) and not _alike(b.colour, paper, options)
            and (sheet is None or not _alike(b.colour, sheet, options)) for b in bands]
    if sheet is not None and all(bands) and not any(peel) and _drawn_border(bands, paper, thin, options):
        peel = [True] * 4
    if not any(peel):
        return None
    depth = [b.depth if p else 0 for b, p in zip(bands, peel)]
    return depth[0], depth[1], w - depth[2], h - depth[3]


def _drawn_border(bands: list[Band], paper: np.ndarray, thin: float, options: SplitOptions) -> bool:
    """Whether four ``bands`` in the frame's colour are a border drawn round the sheet: no
    deeper than ``thin`` (a ruled line's thickness), round a margin of ``paper``."""
    return all(b.depth <= thin and _alike(b.margin, paper, options) for b in bands)


def _lines(region: np.ndarray, side: int) -> np.ndarray:
    """``region``'s lines parallel to ``side`` (0 left, 1 top, 2 right, 3 bottom), from
    that side inwards: lines × pixels × channels."""
    lines = region.transpose(1, 0, 2) if side in (0, 2) else region
    return lines[::-1] if side >= 2 else lines


def _band(lines: np.ndarray, sheet: np.ndarray | None, thin: float, options: SplitOptions) -> Band | None:
    """The band ``lines`` (outermost first) start with (see ``inner_sheet``), or None. One
    in the plain frame's colour (``sheet``) can only be a border drawn round the sheet, so
    it is looked for no deeper than ``thin``: a sheet's own margin is not read through."""
    limit = (len(lines) - 1) // 2
    if limit < 1:
        return None
    colour = commonest_colour(lines[0])
    if sheet is not None and _alike(colour, sheet, options):
        limit = min(limit, int(thin) + 1)
    run = _run(lines[:limit], colour, NOISE_SHARE, options.tolerance)
    if not run:
        return None
    sampled = lines[np.unique(np.linspace(0, run - 1, CHUNK).astype(int))]
    spread = channel_max(np.abs(sampled.mean(axis=1) - colour)).max()  # how far its own lines stray
    for depth in range(run, min(run + SOFT_EDGE + 1, limit)):  # the edge's blended lines go with the band
        margin = commonest_colour(lines[depth])
        if (channel_max(np.abs(margin - colour)) > spread + options.tolerance
                and _run(lines[depth:depth + 1], margin, options.plain_border, options.tolerance)):
            return Band(depth, colour, margin)
    return None


def _alike(a: np.ndarray, b: np.ndarray, options: SplitOptions) -> bool:
    """Whether colours ``a`` and ``b`` lie within the ink tolerance of each other."""
    return bool(channel_max(np.abs(a - b)) <= options.tolerance)


def _run(lines: np.ndarray, colour: np.ndarray, share: float, tol: float) -> int:
    """How many of ``lines``, from the first on, hold ``share`` or more of their pixels
    within ``tol`` of ``colour`` in every channel."""
    run = 0
    while run < len(lines):
        chunk = np.ascontiguousarray(lines[run:run + CHUNK])
        plain = np.count_nonzero(ink_mask(chunk, colour, tol), axis=1) <= (1 - share) * chunk.shape[1]
        if not plain.all():
            return run + int(np.argmin(plain))
        run += len(chunk)
    return run
