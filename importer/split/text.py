"""Written text: word-like groups, letters side by side, pictures that are only a few lines of text."""
from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.geometry import box_gaps, group_items, interval_runs
from importer.split.options import SplitOptions


def wordlike(items: np.ndarray) -> np.ndarray:
    """Groups that look like written text: several pieces in a wide box."""
    w, h = items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]
    return (items[:, 5] >= 2) & (w >= 1.5 * h)


def one_line(items: np.ndarray) -> np.ndarray:
    """Groups whose pieces may lie side by side on one line, as a label's glyphs do: a
    single piece, or a box not much narrower than tall (pieces stacked, as an i's dot over
    its stem, make a narrow box)."""
    return (items[:, 5] == 1) | (items[:, 2] - items[:, 0] >= 0.75 * (items[:, 3] - items[:, 1]))


def lettered(box: np.ndarray, parts: np.ndarray) -> bool:
    """Whether the components (``parts``) in ``box`` stand side by side as letters do, on
    one line or on each of two or more lines of like height (a caption set in two lines,
    each at least half as tall as the tallest): in left-to-right order, at most a quarter of
    them reaching under or over the one before by more than a quarter of the line's height
    (an i's dot, an accent; less is kerning or blur), most gaps under a quarter of its
    height. An icon's pieces nest or cross (wheels under a bus, a tick under letters, a per
    mille sign)."""
    inside = parts_in(parts, box)
    if _side_by_side(_gaps(inside), box[3] - box[1]):
        return True
    line, starts, ends = interval_runs(inside[:, 1], inside[:, 3])
    tall = ends - starts
    return bool(len(tall) >= 2 and tall.min() >= 0.5 * tall.max()
                and all(_side_by_side(_gaps(inside[line == k]), tall[k]) for k in range(len(tall))))


def _side_by_side(gaps: np.ndarray, height: int) -> bool:
    """Whether ``gaps`` between components (see ``_gaps``) are a line of letters' of
    ``height``: most under a quarter of it, at most a quarter of them reaching under or over
    the one before by more than a quarter of it (letters do not nest)."""
    return bool(len(gaps) and (gaps < -0.25 * height).sum() <= 0.25 * len(gaps)
                and np.median(gaps) <= 0.25 * height)


def _gaps(parts: np.ndarray) -> np.ndarray:
    """Gaps between components sorted left to right (see ``parts_in``): each one's left edge
    less the farthest right edge before it (negative where it reaches under or over)."""
    return parts[1:, 0] - np.maximum.accumulate(parts[:-1, 2])


def parts_in(parts: np.ndarray, box) -> np.ndarray:
    """The components (``parts``) centred in ``box``, left to right."""
    x0, y0, x1, y1 = box
    cx, cy = (parts[:, 0] + parts[:, 2]) / 2, (parts[:, 1] + parts[:, 3]) / 2
    inside = parts[(cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)]
    return inside[np.argsort(inside[:, 0])]


def on_line(items: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Per item and item of ``src``, whether the two lie on one text line: overlapping by
    half the lower one's height."""
    y0, y1 = items[:, 1], items[:, 3]
    overlap = np.minimum(y1[:, None], y1[None, src]) - np.maximum(y0[:, None], y0[None, src])
    return overlap >= 0.5 * np.minimum((y1 - y0)[:, None], (y1 - y0)[None, src])


def on_one_line(items: np.ndarray, taller: float, space: float, among: np.ndarray | None = None) -> np.ndarray:
    """Group label per item: items side by side on one line chain up, each pair on one text
    line (see ``on_line``), at most ``taller`` × as tall as the lower one and at most
    ``space`` × the taller one's height apart; only the items ``among`` (default: all) chain,
    each other item is a group of its own."""
    chain = np.arange(len(items)) if among is None else np.flatnonzero(among)
    x0, y0, x1, y1 = items[chain, :4].T
    h = y1 - y0
    lo, hi = np.minimum(h[:, None], h[None]), np.maximum(h[:, None], h[None])
    gap_x = np.maximum(x0[None] - x1[:, None], x0[:, None] - x1[None])
    same_line = on_line(items[chain], np.arange(len(chain)))
    i, j = np.nonzero(same_line & (hi <= taller * lo) & (gap_x <= space * hi))
    near = csr_matrix((np.ones(len(i), bool), (chain[i], chain[j])), shape=(len(items), len(items)))
    return connected_components(near, directed=False)[1]


def is_text(items: np.ndarray, parts: np.ndarray, options: SplitOptions) -> bool:
    """Whether the picture holds only a few lines of text (a banner, button, heading).

    Pieces (``items``) form a line when they are of comparable height (within 2.5×), share
    at least half the rows of the shorter and sit closer than 1.5× the taller one's height
    (a word space of a monospaced font beside a short letter). A line of text holds several
    pieces in a box wider than 1.5× its height; no gap between the components (``parts``) in
    it is wider than 1.5× its height (a wide word space, as the line's pieces may keep),
    most of them (letters of a word) are below a quarter of it, and at most a quarter reach
    under or over the one before by more than a quarter of its height (letters do not nest;
    a ring round a digit does); its letters are mostly at least a quarter of its height
    (small print in a row of items is no line of its own), its pieces keep no regular
    pitch (that is a row of items on a grid, as sprites in equal cells) and its letters are
    not nine in ten of one width and height (a row of like patches or tiles). Specks of noise are
    no letters: the caller passes the components that count. A word whose letters touch is
    one piece, a line of its own: over or under a line of text it is text too (see
    ``_words_in_one_piece``). The picture is text when at most ``text_lines`` such lines
    hold 90 % of the ink (what is left: dots and accents, a row of i's dots being no line),
    stacked closer than a line's height."""
    if len(items) < 2:
        return False
    label = on_one_line(items, taller=2.5, space=1.5)
    lines = group_items(items[:, :4], items[:, 4], np.ones(len(items), np.int64), label)
    wide = (lines[:, 5] >= 2) & (lines[:, 2] - lines[:, 0] >= 1.5 * (lines[:, 3] - lines[:, 1]))
    text = [t for t in np.flatnonzero(wide) if _text_line(lines[t], items[label == t], parts, options)]
    if not text:
        return False
    text += list(_words_in_one_piece(lines, text))
    if len(text) > options.text_lines or lines[text, 4].sum() < 0.9 * items[:, 4].sum():
        return False
    stack = lines[text][np.argsort(lines[text, 1])]
    heights = stack[:, 3] - stack[:, 1]
    return bool(np.all(stack[1:, 1] - stack[:-1, 3] <= np.minimum(heights[1:], heights[:-1])))


def _words_in_one_piece(lines: np.ndarray, text: list) -> np.ndarray:
    """Lines of one piece (a word whose letters touch: a bold italic heading, a logo) over
    or under the ``text`` lines: from half to 2.5× as tall as one of them (dots and accents
    are smaller), within its width and nearer it than the lower of the two is tall."""
    one = np.flatnonzero(lines[:, 5] == 1)
    a, b = lines[one], lines[text]
    ha, hb = (a[:, 3] - a[:, 1])[:, None], (b[:, 3] - b[:, 1])[None]
    gap = box_gaps(a[:, :4], b[:, :4])  # the rows between them, as one lies within the other's width
    within = (a[:, None, 0] >= b[None, :, 0]) & (a[:, None, 2] <= b[None, :, 2])
    return one[((ha <= 2.5 * hb) & (ha >= 0.5 * hb) & (gap <= np.minimum(ha, hb)) & within).any(axis=1)]


def _text_line(line: np.ndarray, pieces: np.ndarray, parts: np.ndarray, options: SplitOptions) -> bool:
    """Whether a line of ``pieces`` spaces its components (``parts``) as letters and words
    do and keeps no regular pitch (see ``is_text``)."""
    lx0, ly0, lx1, ly1 = line[:4]
    height = ly1 - ly0
    letters = parts_in(parts, (lx0 - height, ly0, lx1 + height, ly1))  # with its dots, dashes
    gaps = _gaps(letters)
    return bool(_side_by_side(gaps, height) and gaps.max() <= 1.5 * height
                and np.median(letters[:, 3] - letters[:, 1]) >= 0.25 * height
                and not _regular(pieces, options.pitch_tolerance) and not _alike(letters))


def _alike(letters: np.ndarray) -> bool:
    """Whether nine in ten ``letters`` are of one width and height (within a tenth of the
    median): a row of like patches or tiles, where letters differ in width."""
    size = letters[:, 2:4] - letters[:, :2]
    typical = np.median(size, axis=0)
    near = np.abs(size - typical) <= 0.1 * typical
    return bool(len(letters) >= 3 and near.all(axis=1).mean() >= 0.9)


def _regular(pieces: np.ndarray, tolerance: float) -> bool:
    """Whether three or more pieces in a row keep one pitch by their starts, centres or ends."""
    if len(pieces) < 3:
        return False
    for edge in (pieces[:, 0], (pieces[:, 0] + pieces[:, 2]) / 2, pieces[:, 2]):
        pitch = np.diff(edge)
        if np.abs(pitch - np.median(pitch)).max() <= tolerance * np.median(pitch):
            return True
    return False
