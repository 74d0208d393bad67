"""Split a picture into the boxes of the items it holds.

Steps: foreground mask (alpha when the background is transparent, else distance to the
border's dominant colour with a noise-adapted tolerance) → ruled lines removed, with what
is left of them at crossings → connected components → components grouped into items with
a gap scale read off the image itself → small parts (dots, accents) joined to their items
→ parts sharing a grid cell united → captions dropped → single picture or collection
decided.

Assumptions, each a documented heuristic rather than a tuned constant:
- the sheet's background is plain and shows on most of its border (else the whole image is
  one picture, e.g. a photo filling the frame);
- parts of one item lie closer together than neighbouring items do, so the merge gap is
  half the typical distance between an item and its nearest neighbour (and at most half
  the typical item height), read once between components and once more between the
  groups they form; a join on that second reading keeps the item about a typical size;
- a part far smaller than the rest of its item lies within half its own size of it (a
  dot by its stem); a small item farther off is a neighbour;
- on a regular grid (rows and columns of items at a steady pitch, each narrower than the
  pitch) a cell holds one item;
- a caption is a line of text (its words: several pieces in a wide box) just below an
  item, lower than the item, and closer to it than to whatever lies below the caption;
- and, wherever it lies, a row of writing is no item: words or letters side by side in one
  ink, spaced as writing is, with nothing but writing in their rows (a caption set far
  above its item, a caption of several lines); a picture that is all writing is one picture.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, NamedTuple

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from imaging.border import frame
from imaging.decode import Picture
from settings.fields import setting

Box = tuple[int, int, int, int]
NOISE_SHARE = 0.95  # a frame's noise: the level this share of its plain pixels stays within
INK_SAMPLE = 65536  # a colour's statistics are read off at most about this many pixels (every k-th row and column)


class Plain(NamedTuple):
    """A plain sheet: its colour, the ink tolerance its noise calls for, and that noise."""

    colour: np.ndarray
    tol: float
    noise: float


@dataclass(frozen=True)
class SplitOptions:
    """Knobs of ``split``; the defaults hold for any sheet, nothing is tuned to one heap."""

    min_size: int = setting(4, env="SPLIT_MIN_SIZE", help="smallest crop side in pixels; smaller crops are dropped")
    min_area: int = 8             # a crop's foreground pixels: fewer are dropped (specks)
    tolerance: int = 24           # least colour distance (max over channels) from background that counts as ink
    noise_factor: float = 3.0     # tolerance is at least this × the border's noise (JPEG)
    alpha_threshold: int = 16     # alpha above this is ink when the background is transparent
    plain_border: float = 0.6     # share of border pixels in the background colour for a plain background
    rule_length: float = 0.5      # a ruled line spans at least this share of the image side
    rule_thickness: float = 0.01  # ... and is at most this share of the shorter side thick (≥ 2 px)
    merge_fraction: float = 0.5   # merge gap = this × the typical item-to-nearest-neighbour gap
    part_fraction: float = 0.5    # ... and at most this × the typical item height, the reach of small parts
    small_fraction: float = 0.25  # a group with a box below this × the typical item box is a part (dot, accent)
    part_gap: float = 0.5         # a part below small_fraction × the other's box lies within this × its longer side
    join_size: float = 1.5        # a second-pass join keeps the united box within this × the typical item box
    pitch_tolerance: float = 0.1  # rows/columns keep one pitch when each step is within this share of it
    drop_captions: bool = True
    caption_height: float = 0.6   # a caption is at most this × its item's height
    single_cover: float = 0.6     # one group covering this share of the content box: a single picture
    frame_cut: float = 0.25       # ink along this share of the frame in one stretch: cut by the frame, one picture
    text_lines: int = 3           # a picture of at most this many lines of text is one picture
    patch_contrast: float = 0.5   # a patch differs from the sheet by less than this × its content from it
    max_pieces: int = 4096        # more ink pieces than this: noise or texture, one picture (gaps between
    #                               pieces are read pairwise: 4,096² take 134 MB a table; sheets hold ~2,000)


def split(picture: Picture, options: SplitOptions = SplitOptions()) -> list[Box]:
    """Boxes ``(x, y, w, h)`` of the items in ``picture``, in reading order."""
    h, w = picture.rgb.shape[:2]
    fg = foreground(picture, options)
    if fg is None:
        return [(0, 0, w, h)]
    mask, sheet = fg
    rule_rows, rule_cols = remove_rules(mask, options)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats = stats[1:]
    debris = _all_in(rule_rows, stats[:, 1], stats[:, 3]) | _all_in(rule_cols, stats[:, 0], stats[:, 2])
    stats = stats[(stats[:, 4] >= 3) & ~debris]  # 1–2 px specks are noise, debris what is left of rules
    if not len(stats):
        return []
    if len(stats) > options.max_pieces:
        return [(0, 0, w, h)]
    boxes = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2],
                             stats[:, 1] + stats[:, 3]]).astype(np.int64)
    areas = stats[:, 4].astype(np.int64)
    typical_height = _weighted_median(boxes[:, 3] - boxes[:, 1], areas)
    items = merge_overlaps(group_components(boxes, areas, options.part_fraction * typical_height, options))
    if is_text(items, boxes, options):
        return _boxes(_as_one(items))
    ink = partial(one_ink, picture.rgb, mask, sheet=sheet, options=options, known={})  # both passes share answers
    if options.drop_captions:  # before small parts move (a caption is not a part) and after
        items = without_captions(items, ink, boxes, options)
    items = join_cells(absorb_small(items, options.part_fraction * typical_height, options), options)
    if options.drop_captions:
        items = without_captions(items, ink, boxes, options)
    items = single_or_collection(join_ruled_cells(items, rule_rows, rule_cols), options)
    keep = ((np.minimum(items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]) >= options.min_size)
            & (items[:, 4] >= options.min_area))
    items = trim_patches(picture.rgb, sheet, items[keep], options)
    order = np.lexsort((items[:, 0], items[:, 1]))
    return _boxes(items[order])


def _boxes(items) -> list[Box]:
    return [(int(x0), int(y0), int(x1 - x0), int(y1 - y0)) for x0, y0, x1, y1, *_ in items]


def _as_one(items: np.ndarray) -> np.ndarray:
    """``items`` as one item: their content box, ink and pieces summed."""
    return np.array([[*_content(items), items[:, 4].sum(), items[:, 5].sum()]])


def _content(items: np.ndarray) -> np.ndarray:
    """The box holding all ``items``."""
    return np.array([items[:, 0].min(), items[:, 1].min(), items[:, 2].max(), items[:, 3].max()])


def foreground(picture: Picture, options: SplitOptions) -> tuple[np.ndarray, Plain | None] | None:
    """uint8 mask (255 = ink) and the plain background (see ``Plain``), None when it is
    transparent; or None when the background is not plain: a full-frame picture, or one cut by its frame (ink
    running along more than ``frame_cut`` of the frame in one stretch, as a photo bleeding
    off a plain panel)."""
    alpha = picture.alpha
    if alpha is not None and (frame(alpha) <= options.alpha_threshold).mean() >= options.plain_border:
        return cv2.threshold(alpha, options.alpha_threshold, 255, cv2.THRESH_BINARY)[1], None
    plain = plain_colour(picture.rgb, options)
    if plain is None:
        return None
    return ink_mask(picture.rgb, plain.colour, plain.tol), plain


def plain_colour(rgb: np.ndarray, options: SplitOptions) -> Plain | None:
    """The plain frame around ``rgb`` (its colour, the ink tolerance its noise calls for and
    that noise), or None when the frame is not plain (see ``foreground``).

    The noise is read off the frame's pixels near its colour (their 95th percentile). When
    it raises the tolerance, it must be the whole frame's noise: then at most the tail it
    leaves out, one pixel in twenty, lies farther off. A frame whose colour varies more
    widely than that (a dark photo, a texture) is no noisy sheet but a picture."""
    ring = frame(rgb).reshape(-1, 3)
    background = _commonest_colour(ring)
    ring_dist = np.abs(ring - background).max(axis=1)
    near = ring_dist <= options.tolerance
    if near.mean() < options.plain_border or _longest_circular_run(~near) > options.frame_cut * len(near):
        return None
    noise = np.percentile(ring_dist[near], NOISE_SHARE * 100)
    if options.noise_factor * noise > options.tolerance and near.mean() < NOISE_SHARE:
        return None
    return Plain(background, max(options.tolerance, options.noise_factor * noise), float(noise))


def ink_mask(rgb: np.ndarray, background: np.ndarray, tol: float) -> np.ndarray:
    """uint8 mask of the pixels farther than ``tol`` from ``background`` in some channel."""
    colour, reach = background.round(), np.floor(tol)
    return cv2.bitwise_not(cv2.inRange(rgb, colour - reach, colour + reach))


def _longest_circular_run(flags: np.ndarray) -> int:
    """Length of the longest run of True in ``flags`` read as a circle."""
    if flags.all():
        return len(flags)
    start = int(np.argmin(flags))  # a False: unroll the circle there
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, np.roll(flags, -start).astype(np.int8), 0])))[::2]
    return int(runs.max()) if len(runs) else 0


def remove_rules(mask: np.ndarray, options: SplitOptions) -> tuple[np.ndarray, np.ndarray]:
    """Erase, in place, thin straight lines spanning much of the image (ruled grids).
    Returns, per row and per column, whether it lies within a line's thickness of an erased
    line: ink wholly inside such rows or columns is what is left of the lines (crossings)."""
    thickness = max(2, round(options.rule_thickness * min(mask.shape)))
    return (_erase_row_rules(mask, thickness, options.rule_length),
            _erase_row_rules(mask.T, thickness, options.rule_length))


def _erase_row_rules(mask: np.ndarray, thickness: int, share: float) -> np.ndarray:
    """Erase bands of ≤ ``thickness`` rows that hold a run of ink ≥ ``share`` × width, and
    flag the rows within ``thickness`` of them.

    Only columns where the band has background just above and below are erased, so ink
    that crosses a line survives.
    """
    near = np.zeros(mask.shape[0], bool)
    length = int(share * mask.shape[1])
    rows = np.flatnonzero(mask.sum(axis=1, dtype=np.int64) >= 255 * length)  # mask is 0/255
    if not len(rows):
        return near
    rows = rows[_hold_runs(mask[rows], length)]  # rows holding one unbroken run of ``length`` pixels
    for band in _consecutive(rows):
        top, bottom = band[0], band[-1] + 1
        if bottom - top > thickness:
            continue
        above = mask[top - 1] if top > 0 else np.zeros_like(mask[0])
        below = mask[bottom] if bottom < mask.shape[0] else np.zeros_like(mask[0])
        mask[top:bottom, (above == 0) & (below == 0)] = 0
        near[max(0, top - thickness):bottom + thickness] = True
    return near


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


def _all_in(flags: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether every index of each run ``[start, start + size)`` is flagged."""
    counts = np.concatenate([[0], np.cumsum(flags)])
    return counts[start + size] - counts[start] == size


def _consecutive(values) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def box_gaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Empty rows/columns between every box of ``a`` and of ``b`` (Chebyshev; ≤ 0 overlaps)."""
    dx = np.maximum(b[None, :, 0] - a[:, None, 2], a[:, None, 0] - b[None, :, 2])
    dy = np.maximum(b[None, :, 1] - a[:, None, 3], a[:, None, 1] - b[None, :, 3])
    return np.maximum(dx, dy)


def nearest_gaps(boxes: np.ndarray) -> np.ndarray:
    """Each box's gap to its nearest other box (inf for a lone box)."""
    gaps = box_gaps(boxes, boxes).astype(float)
    np.fill_diagonal(gaps, np.inf)
    return gaps.min(axis=1)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def group_components(boxes: np.ndarray, areas: np.ndarray, reach: float, options: SplitOptions) -> np.ndarray:
    """Items (rows as ``group_items`` makes them): components chain up when nearer than the merge gap.

    The merge gap is ``merge_fraction`` × the typical gap between neighbours (never beyond
    ``reach``), read first between components, then once more between the groups they form,
    as items made of several parts would otherwise set it to their own inner gaps.
    """
    limit = min(options.merge_fraction * _weighted_median(nearest_gaps(boxes), areas), reach)
    groups = group_items(boxes, areas, np.ones_like(areas), group_parts(boxes, limit))
    if len(groups) > 1:
        wider = min(options.merge_fraction * _weighted_median(nearest_gaps(groups[:, :4]), groups[:, 4]),
                    reach)
        if wider > limit:
            groups = group_items(groups[:, :4], groups[:, 4], groups[:, 5],
                                 join_groups(groups, wider, options))
    return groups


def join_groups(groups: np.ndarray, limit: float, options: SplitOptions) -> np.ndarray:
    """New label per group: groups nearer than ``limit`` join when they may be parts of one
    item (``may_be_parts``) and their united box stays within ``join_size`` × the typical
    group box (parts of one item, not two neighbouring items)."""
    x0, y0, x1, y1 = groups[:, :4].T
    typical = _weighted_median(_areas(groups), groups[:, 4])
    united = ((np.maximum(x1[:, None], x1[None, :]) - np.minimum(x0[:, None], x0[None, :]))
              * (np.maximum(y1[:, None], y1[None, :]) - np.minimum(y0[:, None], y0[None, :])))
    gaps = box_gaps(groups[:, :4], groups[:, :4])
    near = ((gaps < limit) & (united <= options.join_size * typical)
            & may_be_parts(groups[:, :4], groups[:, :4], gaps, options))
    return connected_components(csr_matrix(near), directed=False)[1]


def may_be_parts(a: np.ndarray, b: np.ndarray, gaps: np.ndarray, options: SplitOptions) -> np.ndarray:
    """Whether boxes ``a[i]`` and ``b[j]``, ``gaps[i, j]`` apart, may be parts of one item: a
    box far smaller than the other (below ``small_fraction`` of its area) lies within
    ``part_gap`` × its own longer side of it (a dot by its stem; a small icon further off
    is a neighbour); boxes of comparable size may lie at any gap."""
    area_a, area_b = _areas(a)[:, None], _areas(b)[None, :]
    long_a = np.maximum(a[:, 2] - a[:, 0], a[:, 3] - a[:, 1])[:, None]
    long_b = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])[None, :]
    smaller_long = np.where(area_a <= area_b, long_a, long_b)
    comparable = np.minimum(area_a, area_b) >= options.small_fraction * np.maximum(area_a, area_b)
    return comparable | (gaps <= options.part_gap * smaller_long)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def group_parts(boxes: np.ndarray, limit: float) -> np.ndarray:
    """Group label per component: components whose box gaps are below ``limit`` chain up."""
    return connected_components(csr_matrix(box_gaps(boxes, boxes) < max(limit, 0.5)),
                                directed=False)[1]


def group_items(boxes: np.ndarray, areas: np.ndarray, parts: np.ndarray,
                group: np.ndarray) -> np.ndarray:
    """One row (x0, y0, x1, y1, area, parts) per group label, boxes united."""
    n = group.max() + 1
    lo = np.full((n, 2), np.iinfo(np.int64).max)
    hi = np.full((n, 2), np.iinfo(np.int64).min)
    np.minimum.at(lo, group, boxes[:, :2])
    np.maximum.at(hi, group, boxes[:, 2:4])
    return np.column_stack([lo, hi, np.bincount(group, areas, n), np.bincount(group, parts, n)]).astype(np.int64)


def merge_overlaps(items: np.ndarray) -> np.ndarray:
    """Merge items whose boxes overlap until none do."""
    while len(items) > 1:
        overlap = box_gaps(items, items) < 0
        if overlap.sum() == len(items):  # each box overlaps only itself
            return items
        group = connected_components(csr_matrix(overlap), directed=False)[1]
        items = group_items(items[:, :4], items[:, 4], items[:, 5], group)
    return items


def absorb_small(items: np.ndarray, reach: float, options: SplitOptions) -> np.ndarray:
    """Merge small groups (dots, accents, bars) into the nearest group in line with them.

    "In line": overlapping at least half the small group's width (above/below) or height
    (beside), nearer than ``reach`` and than the typical gap between items, and close
    enough for its size (``may_be_parts``). Word-like groups take in no parts and only move
    down onto a body no farther than their own height (accents like ä's dots), so captions,
    which sit below their items, stay apart.
    """
    items = items.copy()
    words = _wordlike(items)
    if (~words).sum() > 1:
        reach = min(reach, _weighted_median(nearest_gaps(items[~words, :4]), items[~words, 4]))
    alive = np.ones(len(items), bool)
    sizes = _areas(items)
    small = options.small_fraction * _weighted_median(sizes, items[:, 4])
    for s in np.argsort(sizes):
        x0, y0, x1, y1 = items[s, :4]
        if (x1 - x0) * (y1 - y0) >= small:
            continue
        alive[s] = False
        others = np.flatnonzero(alive)
        o = items[others]
        gaps = box_gaps(items[s:s + 1, :4], o[:, :4])[0]
        over_x = np.minimum(x1, o[:, 2]) - np.maximum(x0, o[:, 0]) >= 0.5 * (x1 - x0)
        over_y = np.minimum(y1, o[:, 3]) - np.maximum(y0, o[:, 1]) >= 0.5 * (y1 - y0)
        in_line = (over_x & (o[:, 1] >= y1) & (gaps <= y1 - y0)) if words[s] else (over_x | over_y)
        parts = may_be_parts(items[s:s + 1, :4], o[:, :4], gaps[None, :], options)[0]
        fit = np.flatnonzero((gaps < reach) & parts & in_line & ~words[others])
        if not len(fit):
            alive[s] = True
            continue
        t = others[fit[np.argmin(gaps[fit])]]
        items[t] = (min(x0, items[t, 0]), min(y0, items[t, 1]), max(x1, items[t, 2]),
                    max(y1, items[t, 3]), items[t, 4] + items[s, 4], items[t, 5] + items[s, 5])
    return items[alive]


def _wordlike(items: np.ndarray) -> np.ndarray:
    """Groups that look like written text: several pieces in a wide box."""
    w, h = items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]
    return (items[:, 5] >= 2) & (w >= 1.5 * h)


def one_ink(rgb: np.ndarray, mask: np.ndarray, items: np.ndarray, sheet: Plain | None,
            options: SplitOptions, known: dict | None = None, among: np.ndarray | None = None) -> np.ndarray:
    """Per item, whether its ink is one colour blended into the sheet's, as printed text is
    (nine ink pixels in ten near the line from the sheet's colour to the ink's own, the mean
    of its farthest tenth, within the sheet's ink tolerance or a quarter of the ink's
    contrast); a sprite or an icon in several colours is not. On a transparent sheet the
    blending is in the alpha: nine ink pixels in ten are within ``tolerance`` of the ink's
    median colour. ``known`` holds the answers by box, read and filled; only the items
    ``among`` are looked at (the others are False)."""
    known = {} if known is None else known
    flags = np.ones(len(items), bool) if among is None else among.copy()
    for i, box in enumerate(map(tuple, items[:, :4])):
        if not flags[i]:
            continue
        if box not in known:
            known[box] = _one_ink(rgb, mask, box, sheet, options)
        flags[i] = known[box]
    return flags


def _one_ink(rgb: np.ndarray, mask: np.ndarray, box: tuple, sheet: Plain | None, options: SplitOptions) -> bool:
    """``one_ink`` for one box."""
    x0, y0, x1, y1 = box
    step = _sample_step(y1 - y0, x1 - x0)  # a photo's ink, sampled
    region = (slice(y0, y1, step), slice(x0, x1, step))
    ink = rgb[region][mask[region] > 0].astype(np.float32)
    if len(ink) < 2:
        return True
    if sheet is None:
        return bool(_p90(np.abs(ink - np.median(ink, axis=0)).max(axis=1)) <= options.tolerance)
    background, tol = sheet.colour, sheet.tol
    ink -= background
    reach = np.einsum("ij,ij->i", ink, ink)
    far = ink[reach >= _p90(reach)].mean(axis=0)  # the ink's own colour
    along = np.clip(ink @ (far / (far @ far)), 0, 1)
    off = _p90(np.abs(ink - along[:, None] * far).max(axis=1))
    return bool(off <= max(tol, 0.25 * np.abs(far).max()))  # JPEG's colour fringes grow with contrast


def _p90(values: np.ndarray) -> float:
    """``np.percentile(values, 90)`` by one partial sort (numpy's runs two and checks more)."""
    k = 0.9 * (len(values) - 1)
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (k - lo) * (part[hi] - part[lo]))


def without_captions(items: np.ndarray, ink: Callable[..., np.ndarray], parts: np.ndarray,
                     options: SplitOptions) -> np.ndarray:
    """``items`` less their captions (see ``caption_flags``; ``ink`` is ``one_ink`` bound to
    the picture); a picture that is all writing is a text picture, one item."""
    flags = caption_flags(items, ink(items, among=_ink_read(items, options)), parts, options)
    if len(items) and flags.all():
        return _as_one(items)
    return items[~flags]


def caption_flags(items: np.ndarray, written: np.ndarray, parts: np.ndarray,
                  options: SplitOptions) -> np.ndarray:
    """True for captions: pieces of text just below (or above) an item, and for pieces in
    line with one.

    A caption is a word-like item no taller than ``caption_height`` × the item it labels,
    nearer it than half that item's height and than half the space on its other side.
    A sheet whose items (those taller than its word captions) carry word captions on one
    side at least half the time labels them there throughout, in one size, so labels on
    that side that are no word (a number alone, "3") but no taller than the word captions
    are captions too; so are such labels on the text line of a word caption (a row's
    captions are set on one line), however few the words (blur runs letters together into
    one piece, which is no word-like group). Without word captions, labels alone (no taller
    than ``caption_height`` × the typical item) caption a sheet when at least half its items
    carry one, one each, all of one size. Captions are ``written``: in one ink (see ``one_ink``). Rows of
    writing (see ``writing_rows``; ``parts`` are the components) are captions wherever they lie."""
    flags = np.zeros(len(items), bool)
    words = _wordlike(items) & written
    for flip in (False, True):  # below the items, then above them (the sheet upside down)
        boxes = items.copy()
        if flip:
            boxes[:, 1], boxes[:, 3] = -items[:, 3], -items[:, 1]
        placed = _captions_below(boxes, words, options) >= 0
        flags |= placed
        height = boxes[:, 3] - boxes[:, 1]
        if placed.any():
            short = height <= height[placed].max()
            owner = _captions_below(boxes, short & written, options)
            flags |= (owner >= 0) & _in_line_with(boxes, placed)
            throughout = placed.sum() >= 0.5 * (~short).sum()
        else:  # no word caption: labels alone ("7", "a)") may still label the items throughout
            short = height <= options.caption_height * _weighted_median(height, items[:, 4])
            owner = _captions_below(boxes, short & _one_line(items) & written, options, owners=~short)
            throughout = (owner >= 0).sum() >= 0.5 * (~short).sum() and _one_each(boxes, short, owner)
        if throughout:  # the short labels too
            flags |= owner >= 0
    return _spread_along_lines(items, flags | writing_rows(items, words, parts, written))


def _in_line_with(items: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Items on one text line with a flagged one: overlapping it by half the lower one's height."""
    y0, y1 = items[:, 1], items[:, 3]
    src = np.flatnonzero(flags)
    overlap = np.minimum(y1[:, None], y1[None, src]) - np.maximum(y0[:, None], y0[None, src])
    lower = np.minimum((y1 - y0)[:, None], (y1 - y0)[None, src])
    return (overlap >= 0.5 * lower).any(axis=1)


def _ink_read(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """The items whose ink ``caption_flags`` reads (no other's: reading an
    item's ink is costly): word-like ones, those no taller than 1.5× the tallest of
    them (rows of writing hold no taller written piece) and labels no taller than
    ``caption_height`` × the typical item."""
    h = items[:, 3] - items[:, 1]
    words = _wordlike(items)
    read = words | (h <= options.caption_height * _weighted_median(h, items[:, 4]))
    return read | (h <= 1.5 * h[words].max()) if words.any() else read


def writing_rows(items: np.ndarray, words: np.ndarray, parts: np.ndarray, written: np.ndarray) -> np.ndarray:
    """Pieces in rows of writing: a band across the sheet that holds two or more words
    (``words``, their letters side by side, see ``_lettered``) of one text size (within 1.5x)
    side by side, and nothing else but written pieces no taller than its words. Captions set
    above or below the items, however far and however many lines, sit in such rows; an
    item's own row holds the item. In a collection (text pictures are told apart before),
    writing is not an item. Letters not yet joined into words are not read as writing (a
    row of glyphs on a symbol sheet looks the same)."""
    y0, y1 = items[:, 1], items[:, 3]
    h = y1 - y0
    flags = np.zeros(len(items), bool)
    candidates = np.array([i for i in np.flatnonzero(words) if _lettered(items[i, :4], parts)], np.int64)
    if len(candidates) < 2:
        return flags
    c0, c1, ch = y0[candidates], y1[candidates], h[candidates]
    overlap = np.minimum(c1[:, None], c1[None]) - np.maximum(c0[:, None], c0[None])
    lo, hi = np.minimum(ch[:, None], ch[None]), np.maximum(ch[:, None], ch[None])
    _, band = connected_components(csr_matrix((overlap >= 0.5 * lo) & (hi <= 1.5 * lo)), directed=False)
    for b in np.unique(band):
        members = candidates[band == b]
        if len(members) < 2:
            continue
        top, bottom = y0[members].min(), y1[members].max()
        inside = (np.minimum(y1, bottom) - np.maximum(y0, top)) > 0
        if np.all(written[inside] & (h[inside] <= 1.5 * h[members].max())):
            flags |= inside
    return flags


def _lettered(box: np.ndarray, parts: np.ndarray) -> bool:
    """Whether the components (``parts``) in ``box`` stand side by side as letters do: in
    left-to-right order, at most a quarter of them reaching under or over the one before by
    more than a quarter of the box's height (an i's dot, an accent; less is kerning or
    blur), most gaps under a quarter of its height. An icon's pieces nest or cross (wheels
    under a bus, a tick under letters, a per mille sign)."""
    height = box[3] - box[1]
    gaps = _part_gaps(parts, box)
    return bool(len(gaps) and (gaps < -0.25 * height).sum() <= 0.25 * len(gaps)
                and np.median(gaps) <= 0.25 * height)


def _part_gaps(parts: np.ndarray, box) -> np.ndarray:
    """Gaps, left to right, between the components (``parts``) centred in ``box``: each one's
    left edge less the farthest right edge before it (negative where it reaches under or over)."""
    inside = _parts_in(parts, box)
    return inside[1:, 0] - np.maximum.accumulate(inside[:-1, 2])


def _parts_in(parts: np.ndarray, box) -> np.ndarray:
    """The components (``parts``) centred in ``box``, left to right."""
    x0, y0, x1, y1 = box
    cx, cy = (parts[:, 0] + parts[:, 2]) / 2, (parts[:, 1] + parts[:, 3]) / 2
    inside = parts[(cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)]
    return inside[np.argsort(inside[:, 0])]


def _one_line(items: np.ndarray) -> np.ndarray:
    """Groups whose pieces may lie side by side on one line, as a label's glyphs do: a
    single piece, or a box not much narrower than tall (pieces stacked, as an i's dot over
    its stem, make a narrow box)."""
    return (items[:, 5] == 1) | (items[:, 2] - items[:, 0] >= 0.75 * (items[:, 3] - items[:, 1]))


def _one_each(items: np.ndarray, short: np.ndarray, owner: np.ndarray) -> bool:
    """Whether labels alone (``owner``: the item each labels, see ``_captions_below``) label
    their items as captions do: of one text size (the tallest, a parenthesis, at most 1.5×
    the lowest, a lower-case letter), one per item, and nearer their items than half the
    typical gap between items (small sprites in the next row of a sprite sheet are no labels)."""
    labels = np.flatnonzero(owner >= 0)
    if len(labels) < 2 or (~short).sum() < 2:
        return False
    height = items[labels, 3] - items[labels, 1]
    gaps = items[labels, 1] - items[owner[labels], 3]
    return bool(height.max() <= 1.5 * height.min() and len(np.unique(owner[labels])) >= 0.8 * len(labels)
                and np.median(gaps) <= 0.5 * np.median(nearest_gaps(items[~short, :4])))


def _captions_below(items: np.ndarray, candidates: np.ndarray, options: SplitOptions,
                    owners: np.ndarray | None = None) -> np.ndarray:
    """Per item, the item just above it that it captions (see ``caption_flags``), else -1;
    only ``candidates`` may caption, and only ``owners`` (default: all) be captioned. The gap
    is read from the bottom of the item's row (items top-aligned in their cells, a label on
    the cell's foot; an item of the row reaching the label's line, as one that took in its own
    label, leaves no gap), the tallest of that row setting the scale; and a caption's own row
    holds no item (no piece taller than a caption beside it that starts below the item it
    labels: one reaching down from the row above has taken in its own caption)."""
    x0, y0, x1, y1 = items[:, :4].T
    h = y1 - y0
    tall = np.maximum(h, _weighted_median(h, items[:, 4]))
    overlap_x = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    same_row = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :]) > 0
    gap_down = y0[None, :] - y1[:, None]  # [above, below]: rows from an item down to another
    below = (overlap_x > 0) & (gap_down >= 0)
    may_own = below & (True if owners is None else owners[:, None])
    owner = np.full(len(items), -1)
    for c in np.flatnonzero(candidates):
        above = np.flatnonzero(may_own[:, c] & (h[c] <= options.caption_height * tall))
        if not len(above):
            continue
        a = above[np.argmin(gap_down[above, c])]
        row = np.flatnonzero(same_row[a] & (y0 < y0[c]))
        gap = y0[c] - np.minimum(y1[row], y0[c]).max()
        next_below = gap_down[c, below[c]]
        space_below = next_below.min() if len(next_below) else np.inf
        beside = (np.minimum(y1, y1[c]) - np.maximum(y0, y0[c]) >= 0.5 * h[c]) & (y0 >= y1[a])
        alone = h[beside].max() <= options.caption_height * tall[a]  # a caption's row holds no item
        if alone and gap <= 0.5 * max(tall[a], h[row].max()) and gap < space_below:
            owner[c] = a
    return owner


def _spread_along_lines(items: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Also flag pieces of about the same height in line with a flagged one (one caption's words)."""
    x0, y0, x1, y1 = items[:, :4].T
    h = y1 - y0
    flags = flags.copy()
    while True:
        src = np.flatnonzero(flags)
        overlap_y = np.minimum(y1[src, None], y1[None, :]) - np.maximum(y0[src, None], y0[None, :])
        gap_x = np.maximum(x0[None, :] - x1[src, None], x0[src, None] - x1[None, :])
        near = ((overlap_y > 0.5 * h[src, None]) & (gap_x <= h[src, None])
                & (h[None, :] <= 1.5 * h[src, None]) & (h[None, :] >= 0.5 * h[src, None]))
        new = near.any(axis=0) & ~flags
        if not new.any():
            return flags
        flags |= new


def join_cells(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """On a regular grid (rows and columns of items at a steady pitch), unite the items
    that lie within one cell: the parts of one item whose inner gaps outgrew the merge gap.
    Leftover text (caption pieces) may break the grid's pitch, so the grid is looked for
    among all items, then among the items that are not word-like."""
    for on_grid in (np.ones(len(items), bool), ~_wordlike(items)):
        if on_grid.sum() < 4:
            continue
        cols = _bands(items[on_grid, 0], items[on_grid, 2], options.pitch_tolerance)
        rows = _bands(items[on_grid, 1], items[on_grid, 3], options.pitch_tolerance)
        if cols is None or rows is None:
            continue
        col, row = _band_of(items[:, 0], items[:, 2], *cols), _band_of(items[:, 1], items[:, 3], *rows)
        n_cols, n_cells = len(cols[0]), len(cols[0]) * len(rows[0])
        cell = np.where((col >= 0) & (row >= 0), row * n_cols + col, n_cells + np.arange(len(items)))
        return group_items(items[:, :4], items[:, 4], items[:, 5], np.unique(cell, return_inverse=True)[1])
    return items


def _bands(lo: np.ndarray, hi: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Starts and ends of the bands the intervals ``[lo, hi)`` form (overlapping intervals
    share a band, and so do neighbouring bands that fit in one pitch, see ``_within_pitch``),
    or None unless there are at least three bands, each narrower than the pitch that their
    starts, centres or ends keep (within ``tolerance`` × the pitch)."""
    band, count, reach = np.empty(len(lo), np.int64), -1, -np.inf
    for i in np.argsort(lo, kind="stable"):
        if lo[i] >= reach:
            count += 1
        band[i], reach = count, max(reach, hi[i])
    if count < 2:
        return None
    starts, ends = np.full(count + 1, np.inf), np.full(count + 1, -np.inf)
    np.minimum.at(starts, band, lo)
    np.maximum.at(ends, band, hi)
    starts, ends = _within_pitch(starts, ends)
    if len(starts) < 3:
        return None
    for edge in (starts, (starts + ends) / 2, ends):
        pitch = np.diff(edge)
        step = np.median(pitch)
        if np.abs(pitch - step).max() <= tolerance * step and (ends - starts).max() < step:
            return starts, ends
    return None


def _within_pitch(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unite consecutive bands that together fit within one pitch (the median step between
    band starts) and are no wider than the widest band: the parts of one item stacked along
    the band's axis, as in a row that holds only the dots of dominoes, form bands of their
    own that would break the grid. (An item and its caption below are wider together than
    a row of items alone, so they stay apart.)"""
    step, widest = np.median(np.diff(starts)), (ends - starts).max()
    keep_s, keep_e = [starts[0]], [ends[0]]
    for s, e in zip(starts[1:], ends[1:]):
        if e - keep_s[-1] < step and e - keep_s[-1] <= widest:
            keep_e[-1] = max(keep_e[-1], e)
        else:
            keep_s.append(s)
            keep_e.append(e)
    return np.array(keep_s), np.array(keep_e)


def join_ruled_cells(items: np.ndarray, rule_rows: np.ndarray, rule_cols: np.ndarray) -> np.ndarray:
    """On a ruled table (at least three erased lines each way, see ``remove_rules``), unite
    the items whose centres lie in one cell: a table holds one item a cell, however far
    apart its pieces lie (a domino's pips, a paragraph's words)."""
    rows, cols = _rule_centres(rule_rows), _rule_centres(rule_cols)
    if len(rows) < 3 or len(cols) < 3 or len(items) < 2:
        return items
    r = np.searchsorted(rows, (items[:, 1] + items[:, 3]) / 2)
    c = np.searchsorted(cols, (items[:, 0] + items[:, 2]) / 2)
    inside = (r > 0) & (r < len(rows)) & (c > 0) & (c < len(cols))
    cell = np.where(inside, r * (len(cols) + 1) + c, -1 - np.arange(len(items)))
    return group_items(items[:, :4], items[:, 4], items[:, 5], np.unique(cell, return_inverse=True)[1])


def _rule_centres(near: np.ndarray) -> np.ndarray:
    """The middle of each run of flagged rows (or columns): where the erased lines lay."""
    return np.array([(run[0] + run[-1]) / 2 for run in _consecutive(np.flatnonzero(near))])


def _band_of(lo: np.ndarray, hi: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the band holding each interval ``[lo, hi)`` whole, or -1."""
    inside = (starts[None, :] <= lo[:, None]) & (hi[:, None] <= ends[None, :])
    return np.where(inside.any(axis=1), inside.argmax(axis=1), -1)


def single_or_collection(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """Collapse to one content box when a single group dominates the content (one picture)."""
    if len(items) < 2:
        return items
    x0, y0, x1, y1 = _content(items)
    if _areas(items).max() < options.single_cover * (x1 - x0) * (y1 - y0):
        return items
    return _as_one(items)




def is_text(items: np.ndarray, parts: np.ndarray, options: SplitOptions) -> bool:
    """Whether the picture holds only a few lines of text (a banner, button, heading).

    Pieces (``items``) form a line when they are of comparable height (within 2.5×), share
    at least half the rows of the shorter and sit closer than 1.5× the taller one's height
    (a word space of a monospaced font beside a short letter). A line of text holds several
    pieces in a box wider than 1.5× its height, no gap between the components (``parts``) in
    it wider than its height and most of them (letters of a word) below a quarter of it, its
    letters mostly at least a quarter of its height (small print in a row of items is no
    line of its own), and its pieces keep no regular pitch (that is a row of items on a grid, as sprites in equal
    cells). The picture is text when at most ``text_lines`` such lines hold 90 % of the ink
    (what is left: dots and accents, a row of i's dots being no line), stacked closer than a
    line's height."""
    if len(items) < 2:
        return False
    x0, y0, x1, y1 = items[:, :4].T
    h = y1 - y0
    over_y = np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None])
    lo, hi = np.minimum(h[:, None], h[None]), np.maximum(h[:, None], h[None])
    gap_x = np.maximum(x0[None] - x1[:, None], x0[:, None] - x1[None])
    label = connected_components(csr_matrix((over_y >= 0.5 * lo) & (hi <= 2.5 * lo) & (gap_x <= 1.5 * hi)),
                                 directed=False)[1]
    lines = group_items(items[:, :4], items[:, 4], np.ones(len(items), np.int64), label)
    text = [t for t in np.flatnonzero((lines[:, 5] >= 2) & (lines[:, 2] - lines[:, 0] >= 1.5 * (lines[:, 3] - lines[:, 1])))
            if _text_line(lines[t], items[label == t], parts, options)]
    if not 0 < len(text) <= options.text_lines or lines[text, 4].sum() < 0.9 * items[:, 4].sum():
        return False
    stack = lines[text][np.argsort(lines[text, 1])]
    heights = stack[:, 3] - stack[:, 1]
    return bool(np.all(stack[1:, 1] - stack[:-1, 3] <= np.minimum(heights[1:], heights[:-1])))


def _text_line(line: np.ndarray, pieces: np.ndarray, parts: np.ndarray, options: SplitOptions) -> bool:
    """Whether a line of ``pieces`` spaces its components (``parts``) as letters and words
    do and keeps no regular pitch (see ``is_text``)."""
    lx0, ly0, lx1, ly1 = line[:4]
    height = ly1 - ly0
    letters = _parts_in(parts, (lx0 - height, ly0, lx1 + height, ly1))  # with its dots, dashes
    gaps = letters[1:, 0] - np.maximum.accumulate(letters[:-1, 2])
    return bool(len(gaps) and gaps.max() <= height and np.median(gaps) <= 0.25 * height
                and np.median(letters[:, 3] - letters[:, 1]) >= 0.25 * height
                and not _regular(pieces, options.pitch_tolerance))


def _regular(pieces: np.ndarray, tolerance: float) -> bool:
    """Whether three or more pieces in a row keep one pitch by their starts, centres or ends."""
    if len(pieces) < 3:
        return False
    for edge in (pieces[:, 0], (pieces[:, 0] + pieces[:, 2]) / 2, pieces[:, 2]):
        pitch = np.diff(edge)
        if np.abs(pitch - np.median(pitch)).max() <= tolerance * np.median(pitch):
            return True
    return False


def trim_patches(rgb: np.ndarray, sheet: Plain | None, items: np.ndarray,
                 options: SplitOptions) -> np.ndarray:
    """Trim each item that lies on a patch (a card, a tile, a scrap of paper) to its content.

    The patch's colour is the box's commonest colour, which must differ from the sheet's by
    more than the sheet's noise (else the box is framed by the sheet: a boxed icon's outline
    is its own) and show round the content, on at least two sides of the box's frame. Its
    content is what differs from both the patch and the sheet by the sheet's ink tolerance,
    specks of noise left out. A patch is told from an item's own outline by the plain
    margin between them: what touches the box's frame (the patch's rounded edge, its shadow, its outline) lies nearer the frame than any
    of the content does; an item's outline reaches as deep as what it holds. And the patch
    differs from the sheet by less than ``patch_contrast`` × its content differs from it: a
    light card round an icon, not a coloured tile that is the icon's own. The content's box
    is the item, the patch's plain margin trimmed as a single picture's is."""
    if sheet is None or not len(items):
        return items
    background, tol, noise = sheet
    items = items.copy()
    for i in np.flatnonzero(np.minimum(items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]) >= 3 * options.min_size):
        x0, y0, x1, y1 = items[i, :4]
        content = _patch_content(rgb[y0:y1, x0:x1], background, tol, noise, options)
        if content is not None:
            items[i, :4] = x0 + content[0], y0 + content[1], x0 + content[2], y0 + content[3]
    return items


def _patch_content(crop: np.ndarray, background: np.ndarray, tol: float, noise: float,
                   options: SplitOptions) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of the content on the patch that ``crop`` is, or None when
    it is no patch (see ``trim_patches``)."""
    step = _sample_step(*crop.shape[:2])
    patch = _commonest_colour(crop[::step, ::step])
    sheet_contrast = np.abs(patch - background).max()
    if sheet_contrast <= max(noise, 1) or _sides_in(crop, patch, background, tol) < 2:
        return None  # the sheet's own colour, or a colour inside an item (its white face), not round it
    mask = ink_mask(crop, background, tol) & ink_mask(crop, patch, tol)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    labels[(stats[:, 4] < options.min_area)[labels]] = 0  # specks of scan noise
    ys, xs = np.nonzero(labels)
    own, depth = labels[ys, xs], _depth(xs, ys, *mask.shape[::-1])
    deepest, shallowest = np.zeros(n, np.int64), np.full(n, np.iinfo(np.int64).max)
    np.maximum.at(deepest, own, depth)
    np.minimum.at(shallowest, own, depth)
    band = deepest[shallowest == 0].max(initial=-1)  # how deep the ink on the frame reaches
    inner = deepest > band  # slivers within that band (a shadow round a corner) are edge too
    inner[0] = False
    if not inner.any() or shallowest[inner].min() <= band:
        return None  # no content, or ink on the frame reaches as deep: the item's own outline
    ys, xs = ys[inner[own]], xs[inner[own]]
    if len(xs) < options.min_area:
        return None
    contrast = _p90(np.abs(crop[ys, xs].astype(np.float32) - patch).max(axis=1))
    if sheet_contrast >= options.patch_contrast * contrast:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _sides_in(crop: np.ndarray, colour: np.ndarray, sheet: np.ndarray, tol: float) -> int:
    """On how many sides of ``crop`` the middle half of a strip along the frame (an eighth
    of the box deep) is mostly ``colour`` (within ``tol``, and nearer it than the ``sheet``'s
    colour): a card's colour shows round its content, past its rounded corners, its outline
    and on the sides its shadow leaves free."""
    h, w = crop.shape[:2]
    d = max(2, min(h, w) // 8)
    strips = (crop[:d, w // 4:w - w // 4], crop[-d:, w // 4:w - w // 4],
              crop[h // 4:h - h // 4, :d], crop[h // 4:h - h // 4, -d:])
    count = 0
    for strip in strips:
        near = np.abs(strip - colour).max(axis=2)
        count += ((near <= tol) & (near < np.abs(strip - sheet).max(axis=2))).mean() >= 0.5
    return int(count)


def _sample_step(h: int, w: int) -> int:
    """Every how many rows and columns a colour statistic of an ``h`` × ``w`` box reads
    (at most about ``INK_SAMPLE`` pixels)."""
    return max(1, int(np.sqrt(h * w / INK_SAMPLE)))


def _commonest_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour of the commonest colour bin (5 bits a channel) of ``rgb``'s pixels."""
    flat = rgb.reshape(-1, 3)
    keys = (flat[:, 0] >> 3).astype(np.int32) << 10 | (flat[:, 1] >> 3).astype(np.int32) << 5 | flat[:, 2] >> 3
    return np.median(flat[keys == np.bincount(keys).argmax()], axis=0)


def _depth(xs: np.ndarray, ys: np.ndarray, w: int, h: int) -> np.ndarray:
    """Each pixel's distance from the frame of a ``w`` × ``h`` box."""
    return np.minimum(np.minimum(xs, w - 1 - xs), np.minimum(ys, h - 1 - ys))
