"""A sheet scanned a little askew: a table's ruled lines run straight once it is turned back,
and rows of items stand apart, empty rows between them."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.grids import pitch_bands
from importer.split.mask import rule_thickness
from importer.split.options import Box, SplitOptions

MAX_SKEW = 5.0  # degrees: a page laid on a scanner's glass by hand is straight to within a few
SAMPLE = 640  # px along the longer side the lines are looked for at
STEP = 0.125  # degrees between the angles lines are read at: less is no skew


def skew(mask: np.ndarray, options: SplitOptions) -> float:
    """The angle (degrees, anticlockwise) the sheet of ``mask`` is turned by, read off its long
    straight lines (its ink as thin as a rule, a filled area's rows left out): segments
    at least ``rule_length`` × the shorter side long, within ``MAX_SKEW`` of level or
    upright (their median, at ``STEP``), then refined to a fifth of that where the level
    lines gather into rows most sharply; 0 where none show, or where they lie within
    ``STEP`` of level."""
    h, w = mask.shape
    side = 2 * rule_thickness(mask.shape, options) + 1
    lines = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((side, side), np.uint8)))
    scale = min(1.0, SAMPLE / max(h, w))
    small = cv2.resize(lines, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    length = options.rule_length * min(small.shape)
    segments = cv2.HoughLinesP((small >= 64).astype(np.uint8), 1, np.radians(STEP), int(length),
                               minLineLength=length, maxLineGap=2)
    if segments is None:
        return 0.0
    x0, y0, x1, y1 = segments[:, 0].T.astype(np.float64)
    level = (np.degrees(np.arctan2(y1 - y0, x1 - x0)) + 45) % 90 - 45  # upright lines read as level ones
    level = level[np.abs(level) <= MAX_SKEW]
    if not len(level):
        return 0.0
    rough = -float(np.median(level))  # rows run down: a line rising to the right is turned anticlockwise
    ys, xs = np.nonzero(lines)
    angle = max(rough + np.linspace(-STEP, STEP, 11), key=lambda a: _sharpness(ys, xs - w / 2, a))
    return angle if abs(angle) >= STEP else 0.0


def row_skew(boxes: np.ndarray, width: int, height: int, options: SplitOptions) -> float:
    """The angle (degrees, anticlockwise) a regular grid of items is turned by, read off its
    pieces' ``boxes`` (x0, y0, x1, y1) on a ``width`` × ``height`` picture: the angle, at
    ``STEP``, that parts it into the most rows (empty rows across it between them; the middle
    of the angles that do), where that is over twice as many gaps as level shows and, so
    turned, the pieces stand in rows and columns at a steady pitch (``pitch_bands``); else 0."""
    angles = np.arange(-MAX_SKEW, MAX_SKEW + STEP / 2, STEP)
    rows = _corridors(*_turned_spans(boxes, width, np.tan(np.radians(angles))))
    if rows.max() < max(2, 2 * rows[len(angles) // 2] + 1):
        return 0.0
    best = round(float(np.median(angles[rows == rows.max()])) / STEP) * STEP  # the middle of the best
    tan = np.tan(np.radians([best]))
    spans = _turned_spans(boxes, width, tan), _turned_spans(boxes[:, [1, 0, 3, 2]], height, -tan)
    return best if all(pitch_bands(lo[0], hi[0], options.pitch_tolerance) for lo, hi in spans) else 0.0


def _turned_spans(boxes: np.ndarray, width: int, tan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per slope in ``tan`` (rows), the spans (top, bottom) the ``boxes`` (x0, y0, x1, y1, on
    a picture ``width`` wide) cover once each is shifted by that slope from the middle column
    (its span grown by the slope across its half width)."""
    x0, y0, x1, y1 = boxes.T.astype(np.float64)
    shift, spread = ((x0 + x1) / 2 - width / 2) * tan[:, None], np.abs(tan[:, None]) * (x1 - x0) / 2
    return y0 + shift - spread, y1 + shift + spread


def _corridors(tops: np.ndarray, bottoms: np.ndarray) -> np.ndarray:
    """Per row of ``tops`` and ``bottoms`` (intervals' ends), how many gaps part the intervals:
    tops lying past the bottom of every interval starting above them."""
    order = np.argsort(tops, axis=1)
    tops, bottoms = np.take_along_axis(tops, order, 1), np.take_along_axis(bottoms, order, 1)
    return (tops[:, 1:] > np.maximum.accumulate(bottoms, axis=1)[:, :-1]).sum(axis=1)


def _sharpness(ys: np.ndarray, xs: np.ndarray, angle: float) -> float:
    """How sharply the ink pixels (``ys``, ``xs`` from the middle column) gather into rows
    once each column is shifted as turning by ``angle`` degrees would: the sum of the
    squared row counts, greatest where level lines lie each in the fewest rows."""
    rows = np.round(ys + xs * np.tan(np.radians(angle))).astype(np.int64)
    counts = np.bincount(rows - rows.min())
    return float(np.dot(counts, counts))


def turn(rgb: np.ndarray, angle: float, fill: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` turned clockwise by ``angle`` degrees (so a sheet turned anticlockwise by it
    lies straight) on a canvas holding all of it, filled with ``fill``; and the affine map
    back from the turned picture's coordinates to ``rgb``'s."""
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    size = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m[:, 2] += ((size[0] - 1) / 2 - (w - 1) / 2, (size[1] - 1) / 2 - (h - 1) / 2)
    turned = cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                            borderValue=tuple(float(v) for v in fill))
    return turned, cv2.invertAffineTransform(m)


def ink_box_back(box: Box, mask: np.ndarray, back: np.ndarray, w: int, h: int) -> Box:
    """The box round the ink of ``mask`` (the picture turned straight) inside ``box``, each
    ink pixel mapped ``back`` (see ``turn``), within a ``w`` × ``h`` picture: the item's own
    box on the picture as it lies; ``box_back`` where ``box`` holds no ink."""
    x, y, bw, bh = box
    ys, xs = np.nonzero(mask[y:y + bh, x:x + bw])
    if not len(xs):
        return box_back(box, back, w, h)
    points = np.column_stack([xs + x, ys + y, np.ones(len(xs))]) @ back.T  # pixel centres, mapped
    left, top = np.clip(np.round(points.min(axis=0)), 0, (w, h)).astype(int)
    right, bottom = np.clip(np.round(points.max(axis=0)) + 1, 0, (w, h)).astype(int)
    return int(left), int(top), int(right - left), int(bottom - top)


def box_back(box: Box, back: np.ndarray, w: int, h: int) -> Box:
    """The box round ``box``'s corners mapped ``back`` (see ``mapped_box``), within a
    ``w`` × ``h`` picture."""
    left, top, right, bottom = mapped_box(box, back)
    left, top = np.clip(np.floor((left, top)), 0, (w, h)).astype(int)
    right, bottom = np.clip(np.ceil((right, bottom)), 0, (w, h)).astype(int)
    return int(left), int(top), int(right - left), int(bottom - top)


def mapped_box(box: Box, m: np.ndarray) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the box round the corners of ``box`` (x, y, w, h) mapped
    by the affine ``m`` (2 × 3), as OpenCV maps pixels: pixel centres lie at whole
    coordinates, so a box's edges lie half a pixel out."""
    x, y, bw, bh = box
    x0, y0, x1, y1 = x - 0.5, y - 0.5, x + bw - 0.5, y + bh - 0.5
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ m.T
    (left, top), (right, bottom) = corners.min(axis=0) + 0.5, corners.max(axis=0) + 0.5
    return float(left), float(top), float(right), float(bottom)
