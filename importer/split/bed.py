"""A page laid askew on a scanner's bed: the bed shows in a wedge at each corner."""
from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from imaging.border import frame
from importer.split.borders import SOFT_EDGE
from importer.split.options import SplitOptions
from importer.split.pixels import channel_max, commonest_colour, ink_mask
from importer.split.skew import MAX_SKEW, STEP


class Askew(NamedTuple):
    """A page askew on a bed: the ``angle`` it is turned by (degrees, anticlockwise), its
    ``colour`` and the ends of each wedge's edge (``edges``: one 2 × 2 array of x, y a wedge)."""

    angle: float
    colour: np.ndarray
    edges: list[np.ndarray]


def page_askew(rgb: np.ndarray, options: SplitOptions) -> Askew | None:
    """The page that ``rgb`` shows askew on a scanner's bed, or None.

    A page turned on the bed leaves the bed showing in a wedge at each of the picture's
    four corners, in one colour other than the page's (its commonest where it meets the
    picture's frame, the colour the turn fills the picture's outside with): what joins
    a corner in that colour is its wedge, and the wedge's edge off the picture's frame is
    a straight stretch of the page's edge. The longer wedges (half the longest's legs or
    more: a short one's few pixels read no angle) lie at one angle (within ``STEP``),
    ``STEP`` to ``MAX_SKEW`` degrees off level or upright. A page lying straight is framed
    by bands (see ``borders``), not wedges."""
    h, w = rgb.shape[:2]
    corners = [(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)]
    colours = np.array([rgb[y, x] for x, y in corners], np.float32)
    bed = np.median(colours, axis=0)
    if channel_max(np.abs(colours - bed)).max() > options.tolerance:
        return None
    ring = frame(rgb).reshape(-1, 3)
    on_bed = channel_max(np.abs(ring - bed)) <= options.tolerance
    if on_bed.all() or len(set(_runs(on_bed)[[0, w - 1, w + h - 2, 2 * w + h - 3]])) < 4:
        return None  # along the frame, the bed joins corners: a plain sheet, or a page inside the bed
    colour = commonest_colour(ring[~on_bed])  # where the page meets the frame
    _, labels = cv2.connectedComponents(cv2.bitwise_not(ink_mask(rgb, bed, options.tolerance)), connectivity=4)
    if len({labels[y, x] for x, y in corners}) < 4:
        return None  # the bed joins corners inside the picture
    wedges = [_wedge(labels, x, y) for x, y in corners]
    longest = max(length for _, length, _ in wedges)
    read = np.array([angle for angle, length, _ in wedges if length >= 0.5 * longest and angle is not None])
    if not len(read) or np.ptp(read) > STEP:
        return None
    angle = float(np.median(read))
    return Askew(angle, colour, [ends for _, _, ends in wedges]) if STEP <= abs(angle) <= MAX_SKEW else None


def _runs(flags: np.ndarray) -> np.ndarray:
    """Per place of ``flags`` read as a circle (some False), the number of the run of True
    it lies in or follows."""
    shift = int(np.argmin(flags))  # a False: unroll the circle there
    starts = np.cumsum(np.diff(np.r_[0, np.roll(flags, -shift).astype(np.int8)]) == 1)
    return np.roll(starts, shift)


def _wedge(labels: np.ndarray, x: int, y: int) -> tuple[float | None, int, np.ndarray]:
    """The wedge of bed at the picture's corner (``x``, ``y``), of ``labels``' component
    there: the angle (degrees, anticlockwise) its edge off the picture's frame shows (a
    line fitted to it; None where it holds under two pixels), the length of its longer leg
    along the frame and its edge's ends (2 × 2: x, y), where its legs end."""
    h, w = labels.shape
    wedge = (labels == labels[y, x]).astype(np.uint8)
    row, column = wedge[y, ::1 if x == 0 else -1], wedge[::1 if y == 0 else -1, x]
    across, down = (w if row.all() else int(np.argmin(row))), (h if column.all() else int(np.argmin(column)))
    ends = np.array([[x + (across if x == 0 else -across), y], [x, y + (down if y == 0 else -down)]], np.float64)
    contours, _ = cv2.findContours(wedge, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    points = max(contours, key=len)[:, 0]
    points = points[(points.min(axis=1) > 0) & (points[:, 0] < w - 1) & (points[:, 1] < h - 1)]  # off the frame
    if len(points) < 2:
        return None, max(across, down), ends
    dx, dy = cv2.fitLine(points.astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01)[:2, 0]
    level = (np.degrees(np.arctan2(dy, dx)) + 45) % 90 - 45  # upright edges read as level ones
    return -float(level), max(across, down), ends  # rows run down: an edge rising to the right is anticlockwise


def page_window(askew: Askew, forward: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The window (x0, y0, x1, y1) the page lies in once turned straight by the affine
    ``forward`` onto a picture of ``size`` (w, h): each wedge's edge, so turned, runs level
    (a top or bottom edge) or upright (a left or right one); inside them by the lines the
    turn and the scan blend with the bed (``SOFT_EDGE``), within the picture."""
    w, h = size
    sides = {"x0": [0.0], "y0": [0.0], "x1": [float(w)], "y1": [float(h)]}
    turned = [np.c_[edge, np.ones(len(edge))] @ forward.T for edge in askew.edges]
    middle = np.mean([points.mean(axis=0) for points in turned], axis=0)  # between the four wedges
    for points in turned:
        spread = np.ptp(points, axis=0)
        axis = 1 if spread[1] < spread[0] else 0  # level: its y is the side's; upright: its x
        at = float(np.median(points[:, axis]))
        sides[("x", "y")[axis] + ("0" if at < middle[axis] else "1")].append(at)
    return (int(np.ceil(max(sides["x0"]))) + SOFT_EDGE, int(np.ceil(max(sides["y0"]))) + SOFT_EDGE,
            int(np.floor(min(sides["x1"]))) - SOFT_EDGE, int(np.floor(min(sides["y1"]))) - SOFT_EDGE)
