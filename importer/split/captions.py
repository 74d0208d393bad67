"""Captions and rows of writing: text that labels items is no item."""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.geometry import as_one, group_items, nearest_gaps, weighted_median
from importer.split.options import Plain, SplitOptions
from importer.split.pixels import channel_max, p90, sampled_ink
from importer.split.text import lettered, on_line, on_one_line, one_line, wordlike


def one_ink(rgb: np.ndarray, mask: np.ndarray, items: np.ndarray, sheet: Plain | None,
            options: SplitOptions, known: dict | None = None, among: np.ndarray | None = None) -> np.ndarray:
    """Per item, whether its ink is one colour blended into the sheet's, as printed text is
    (nine ink pixels in ten near the line from the sheet's colour to the ink's own, the mean
    of its farthest tenth, within the sheet's ink tolerance or ``fringe`` × the ink's
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
    ink, _ = sampled_ink(rgb, mask, box)  # a photo's ink, sampled
    if len(ink) < 2:
        return True
    if sheet is None:
        return bool(p90(channel_max(np.abs(ink - np.median(ink, axis=0)))) <= options.tolerance)
    background, tol = sheet.colour, sheet.tol
    ink -= background
    reach = np.einsum("ij,ij->i", ink, ink)
    far = ink[reach >= p90(reach)].mean(axis=0)  # the ink's own colour
    along = np.clip(ink @ (far / (far @ far)), 0, 1)
    off = p90(channel_max(np.abs(ink - along[:, None] * far)))
    return bool(off <= max(tol, options.fringe * np.abs(far).max()))  # JPEG's colour fringes grow with contrast


def without_captions(items: np.ndarray, ink: Callable[..., np.ndarray], parts: np.ndarray,
                     options: SplitOptions) -> np.ndarray:
    """``items`` less their captions (see ``caption_flags``; ``ink`` is ``one_ink`` bound to
    the picture); a picture that is all writing is a text picture, one item."""
    flags = caption_flags(items, ink(items, among=_ink_read(items, options)), parts, options)
    if len(items) and flags.all():
        return as_one(items)
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
    one piece, which is no word-like group). Such a label is text: a solid shape (ink over
    nine tenths of its box) more than half as tall as the captions is none (a domino's
    lower square beside a short icon's caption; a full stop is small). Without word
    captions, labels alone may caption a sheet throughout (see ``_labels_alone``); then
    written pieces no taller than they, on the text line of one, are labels too (a tiny
    icon's number at the head of its cell, farther above it than it is tall). On a sheet
    captioned throughout, either way, written pieces no taller than its captions, three or
    more on a line holding nothing else, are captions too (the first row's numbers set above
    their items, where every other row's lie nearer the row above and caption it).
    Captions are ``written``: in one ink (see ``one_ink``). Rows of writing (see
    ``writing_rows``; ``parts`` are the components) are captions wherever they lie."""
    flags = np.zeros(len(items), bool)
    words = wordlike(items) & written
    for flip in (False, True):  # below the items, then above them (the sheet upside down)
        boxes = items.copy()
        if flip:
            boxes[:, 1], boxes[:, 3] = -items[:, 3], -items[:, 1]
        placed = _captions_below(boxes, words, options) >= 0
        flags |= placed
        height = boxes[:, 3] - boxes[:, 1]
        throughout = False
        if placed.any():
            text = height[placed].max()
            solid = (items[:, 4] >= 0.9 * (items[:, 2] - items[:, 0]) * height) & (height > 0.5 * text)
            owner = _captions_below(boxes, (height <= text) & written & ~solid, options)
            flags |= (owner >= 0) & _in_line_with(boxes, placed)
            throughout = placed.sum() >= 0.5 * (height > text).sum()
        if not throughout:  # too few word captions: labels alone ("7", "a)") may label the items throughout
            owner, throughout = _labels_alone(boxes, written, options)
            text = height[owner >= 0].max(initial=0)
            if throughout:  # a row's labels are set on one line: those too far from their items as well
                flags |= written & (height <= text) & _in_line_with(boxes, owner >= 0)
        if throughout:  # the short labels too, and lines of nothing but labels
            flags |= (owner >= 0) | _lines_of(boxes, written & (height <= text))
    return _spread_along_lines(items, flags | writing_rows(items, words, parts, written))


def _in_line_with(items: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Items on one text line with a flagged one (see ``on_line``)."""
    return on_line(items, np.flatnonzero(flags)).any(axis=1)


def _lines_of(items: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Flagged items on a text line (see ``on_line``) of three or more that holds only
    flagged ones."""
    line = on_line(items, np.arange(len(items)))
    return flags & (line.sum(axis=1) >= 3) & ~(line & ~flags[None]).any(axis=1)


def _ink_read(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """The items whose ink ``caption_flags`` reads (no other's: reading an
    item's ink is costly): word-like ones, those no taller than 1.5× the tallest of
    them (rows of writing hold no taller written piece) and labels no taller than
    ``caption_height`` × the typical item."""
    h = items[:, 3] - items[:, 1]
    words = wordlike(items)
    read = words | (h <= options.caption_height * weighted_median(h, items[:, 4]))
    return read | (h <= 1.5 * h[words].max()) if words.any() else read


def writing_rows(items: np.ndarray, words: np.ndarray, parts: np.ndarray, written: np.ndarray) -> np.ndarray:
    """Pieces in rows of writing: a band across the sheet that holds two or more words
    (``words``, their letters side by side, see ``lettered``) of one text size (within 1.5x)
    side by side, and nothing else but written pieces no taller than its words. Captions set
    above or below the items, however far and however many lines, sit in such rows; an
    item's own row holds the item. In a collection (text pictures are told apart before),
    writing is not an item. Letters not yet joined into words are not read as writing (a
    row of glyphs on a symbol sheet looks the same)."""
    y0, y1 = items[:, 1], items[:, 3]
    h = y1 - y0
    flags = np.zeros(len(items), bool)
    candidates = np.array([i for i in np.flatnonzero(words) if lettered(items[i, :4], parts)], np.int64)
    if len(candidates) < 2:
        return flags
    ch = h[candidates]
    alike = np.maximum(ch[:, None], ch[None]) <= 1.5 * np.minimum(ch[:, None], ch[None])
    same_line = on_line(items[candidates], np.arange(len(candidates)))
    _, band = connected_components(csr_matrix(same_line & alike), directed=False)
    for b in np.unique(band):
        members = candidates[band == b]
        if len(members) < 2:
            continue
        top, bottom = y0[members].min(), y1[members].max()
        inside = (np.minimum(y1, bottom) - np.maximum(y0, top)) > 0
        if np.all(written[inside] & (h[inside] <= 1.5 * h[members].max())):
            flags |= inside
    return flags


def _labels_alone(items: np.ndarray, written: np.ndarray, options: SplitOptions) -> tuple[np.ndarray, bool]:
    """Labels alone (see ``_labels_within``) no taller than ``caption_height`` × the items;
    where those do not caption the sheet throughout, no taller than ``label_height`` × them
    (tiny icons whose labels are nearly as tall: words under 16 px icons)."""
    for limit in (options.caption_height, options.label_height):
        owner, throughout = _labels_within(items, written, options, limit)
        if throughout:
            break
    return owner, throughout


def _labels_within(items: np.ndarray, written: np.ndarray, options: SplitOptions,
                   limit: float) -> tuple[np.ndarray, bool]:
    """Labels alone ("7", "a)", "fig 3"): pieces in one ink (``written``) no taller than
    ``limit`` × the typical item and the item they label, each on one line, as far from
    their item as it is tall. Such pieces side by side on a line, a word space apart, are
    one label ("fig" and "3"), when each is at least half as tall as the tallest of them (an
    umlaut's two dots are no label of a word). Labels are of one text size: once some have
    found their items, a piece taller than 1.5× the tallest of those is an item, which may
    own one (a small icon in one ink, a short picture too). Returns, per piece, the item its
    label labels (see ``_captions_below``: an index once side-by-side labels are joined, -1
    for none), and whether labels caption the sheet throughout: at least half its items
    (pieces that are no label) carry one, one each, all of one size (see ``_one_each``)."""
    height = items[:, 3] - items[:, 1]
    short = written & (height <= limit * weighted_median(height, items[:, 4]))
    if short.sum() < 3:  # too few to caption anything throughout (see ``_one_each``)
        return np.full(len(items), -1), False
    word = on_one_line(items, taller=2, space=1, among=short & (height >= 0.5 * height[short].max(initial=0)))
    labels = np.bincount(word, short) > 0
    items = group_items(items[:, :4], items[:, 4], items[:, 5], word)
    height = items[:, 3] - items[:, 1]
    owner = _captions_below(items, labels & one_line(items), options, ~labels, 1.0, limit)
    if (owner >= 0).any():
        labels &= height <= 1.5 * height[owner >= 0].max()
        owner = _captions_below(items, labels & one_line(items), options, ~labels, 1.0, limit)
    throughout = (owner >= 0).sum() >= 0.5 * (~labels).sum() and _one_each(items, labels, owner)
    return owner[word], bool(throughout)


def _one_each(items: np.ndarray, labels: np.ndarray, owner: np.ndarray) -> bool:
    """Whether labels alone (``owner``: the item each labels, see ``_captions_below``) label
    their items (pieces that are no ``labels``) as captions do: three or more (two may be
    chance), of one text size (the tallest, a parenthesis, at most 1.5× the lowest, a
    lower-case letter; lone letters reach from x-height to full height, twice that, which
    five labels or more may span: fewer so unlike may be chance; one label in ten at either
    end left out, as a full stop that stayed a speck of its own), one per item, and nearer
    their items than the items typically lie to each other (small sprites in the next row
    of a sprite sheet, or of a grid, are no labels)."""
    found = np.flatnonzero(owner >= 0)
    if len(found) < 3 or (~labels).sum() < 2:
        return False
    height = np.sort(items[found, 3] - items[found, 1])[len(found) // 10:len(found) - len(found) // 10]
    one_size = height[-1] <= (2 if len(found) >= 5 else 1.5) * height[0]
    gaps = items[found, 1] - items[owner[found], 3]
    return bool(one_size and len(np.unique(owner[found])) >= 0.8 * len(found)
                and np.median(gaps) < np.median(nearest_gaps(items[~labels, :4])))


def _captions_below(items: np.ndarray, candidates: np.ndarray, options: SplitOptions,
                    owners: np.ndarray | None = None, reach: float = 0.5,
                    limit: float | None = None) -> np.ndarray:
    """Per item, the item just above it that it captions (see ``caption_flags``), else -1;
    only ``candidates`` may caption, and only ``owners`` (default: all) be captioned, within
    ``reach`` × the item's height, no taller than ``limit`` (default ``caption_height``) ×
    it. The gap is read from the bottom of the item's row (items top-aligned in their cells,
    a label on the cell's foot; an item of the row reaching the label's line, as one that
    took in its own label, leaves no gap), the tallest of that row setting the scale; and a
    caption's own row holds no item (no piece taller than a caption beside it that starts
    below the item it labels: one reaching down from the row above has taken in its own
    caption)."""
    limit = options.caption_height if limit is None else limit
    x0, y0, x1, y1 = items[:, :4].T
    h = y1 - y0
    tall = np.maximum(h, weighted_median(h, items[:, 4]))
    may_own = np.ones(len(items), bool) if owners is None else owners
    owner = np.full(len(items), -1)
    for c in np.flatnonzero(candidates):
        across = np.minimum(x1, x1[c]) - np.maximum(x0, x0[c]) > 0
        up, down = y0[c] - y1, y0 - y1[c]  # rows from each item down to c, from c down to each
        above = np.flatnonzero(across & (up >= 0) & may_own & (h[c] <= limit * tall))
        if not len(above):
            continue
        a = above[np.argmin(up[above])]
        row = np.flatnonzero((np.minimum(y1, y1[a]) - np.maximum(y0, y0[a]) > 0) & (y0 < y0[c]))
        gap = y0[c] - np.minimum(y1[row], y0[c]).max()
        next_below = down[across & (down >= 0)]
        space_below = next_below.min() if len(next_below) else np.inf
        beside = (np.minimum(y1, y1[c]) - np.maximum(y0, y0[c]) >= 0.5 * h[c]) & (y0 >= y1[a])
        alone = h[beside].max() <= limit * tall[a]  # a caption's row holds no item
        if alone and gap <= reach * max(tall[a], h[row].max()) and gap < space_below:
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
