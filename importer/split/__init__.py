"""Split a picture into the boxes of the items it holds.

Steps: a page askew on a scanner's bed turned straight and read inside its edges → bands
framing the sheet peeled off (a border line, a scanner's edge, the bed round a page: the
rest is read inside them) → foreground mask (alpha when the background is
transparent, else distance to the border's dominant colour with a noise-adapted tolerance)
→ a table or grid askew turned straight → ruled lines removed, with what is left of them at
crossings → connected components (on a sheet packed with no spacing, cut where two frames
touch) → components grouped into items with a gap scale read off the image itself → small
parts (dots, accents) joined to their items → parts sharing a grid cell, or a cell of a
packed sheet's shelves, united, items spanning several grid cells cut at their edges →
captions dropped → single picture or collection decided → items on patches trimmed → a
lossy format's fringes trimmed.

Assumptions, each a documented heuristic rather than a tuned constant:
- the sheet's background is plain and shows on most of its border (else the whole image is
  one picture, e.g. a photo filling the frame);
- or it is plain but lit unevenly (a scan's or a photograph's falloff, mottled paper): it
  varies slowly, in brightness only, and joins the frame in small steps; taken off
  (``shading.flatten``), it must leave a plain frame that no ink clear of its grain
  crosses (a texture's does) and at least two items (a wallpaper with a logo is one
  picture);
- a page scanned askew shows the scanner's bed in a wedge at each corner (``bed``), in one
  colour other than the page's; the longer wedges' edges lie at one angle, a few degrees
  off level: turned straight by it, the page is read inside them when it holds two items
  or more, each box the box round it turned back;
- a sheet may lie inside bands along its sides that are no part of it (``borders``):
  lines of one colour end to end, then, at an edge, its margin in another colour; a band
  is peeled off where it is neither the colour of the paper (the picture's commonest
  colour) nor of the plain frame, or where it is a border drawn all round (thin as a rule,
  on all four sides, round a margin of the paper); a margin round a single picture is the
  sheet it lies on, not a band;
- a table is ruled both ways; where a piece of ink is as long as a rule but the sheet is
  not ruled both ways, it may be a table scanned askew (``skew``): turned by the angle its
  long straight lines show, it is read straight when it is then ruled both ways and holds
  two items or more, each box the box round its ink turned back;
- so may a regular grid be (``row_skew``): where turning it parts its pieces into over
  twice as many rows as it shows level, and so turned they stand in rows and columns at a
  steady pitch, it is read turned (a scattered sheet parts into rows at some angle too, but
  they keep no pitch);
- parts of one item lie closer together than neighbouring items do, so the merge gap is
  half the typical distance between an item and its nearest neighbour (and at most half
  the typical item height), read once between components and once more between the
  groups they form; a join on either reading keeps the item about a typical size (two
  neighbours a little nearer each other than the rest are twice that), unless the pieces'
  boxes touch;
- a part far smaller than the rest of its item lies within half its own size of it (a
  dot by its stem); a small item farther off is a neighbour, and so are two small items of
  like size unless both together are still small (a colon's dots);
- a small part (a dot, an accent, a bar) is drawn in an ink of its item, and so are parts
  lying farther apart than half the smaller one's width; only a multicolour icon's detached
  parts, lying nearer, differ in colour (a small icon in another colour by a larger one is
  a neighbour);
- on a regular grid (rows and columns of items at a steady pitch, each narrower than the
  pitch) a cell holds one item, and an item wider than the pitch fills several cells;
- on a packed sheet (shelves of items, most of them one spacing apart, as a texture packer
  sets sprites) the cells of a shelf (runs of columns no empty column crosses) hold one
  item each, however far apart its parts; packed with no spacing, frames' boxes abut (their
  pieces are not joined for touching), and two frames whose ink touches are cut apart along
  a row or column that few ink pixels cross, where the frames start on a shelf's top;
- a caption is a line of text (its words: several pieces in a wide box) just below an
  item, lower than the item, and closer to it than to whatever lies below the caption;
- a noisy sheet's grain (paper texture, scan noise, a card's grain just within the ink
  tolerance) reaches a little past the tolerance in specks, an item's ink well past it: a
  crop whose ink lies within the tolerance and ``grain`` (one and a half) × the sheet's
  noise is grain, no item; on a clean sheet faint ink is a pale item;
- a lossy format (JPEG, lossy WebP) rings round sharp ink: specks fainter than ``fringe`` (a quarter)
  × the ink's own contrast, a pixel or two out, are no part of the item;
- and, wherever it lies, a row of writing is no item: words or letters side by side in one
  ink, spaced as writing is, with nothing but writing in their rows (a caption set far
  above its item, a caption of several lines); a picture that is all writing is one picture.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import cv2
import numpy as np

from imaging.border import frame
from imaging.decode import Picture
from importer.split.bed import Askew, page_askew, page_window
from importer.split.borders import inner_sheet
from importer.split.captions import one_ink, without_captions
from importer.split.fringes import without_fringes
from importer.split.geometry import all_in, as_one, merge_overlaps, to_boxes, weighted_median
from importer.split.grids import cut_cells, join_cells, join_ruled_cells
from importer.split.grouping import absorb_small, group_components, single_or_collection
from importer.split.mask import clear_ink, foreground, grain, remove_rules
from importer.split.options import Box, Plain, SplitOptions
from importer.split.packing import join_shelves, unpack
from importer.split.patches import trim_patches
from importer.split.pixels import Inks
from importer.split.shading import flatten
from importer.split.skew import ink_box_back, row_skew, skew, turn
from importer.split.text import is_text

__all__ = ["Box", "Plain", "SplitOptions", "split"]


def split(picture: Picture, options: SplitOptions = SplitOptions(), straight: bool = False) -> list[Box]:
    """Boxes ``(x, y, w, h)`` of the items in ``picture``, in reading order (``straight``:
    the picture was turned straight already, its skew is not read again)."""
    h, w = picture.rgb.shape[:2]
    askew = None if straight or picture.alpha is not None else page_askew(picture.rgb, options)
    on_bed = _on_bed(picture, askew, options) if askew else []
    if on_bed:
        return on_bed
    fg = foreground(picture, options)
    if fg is None:  # no plain frame: a sheet lit unevenly, a framed sheet, or one picture
        return _unevenly_lit(picture, options) or _framed(picture, None, options) or [(0, 0, w, h)]
    mask, sheet = fg
    if sheet is None:  # a transparent sheet
        return _items(picture, mask, sheet, options)
    return _framed(picture, sheet.colour, options) or _items(picture, mask, sheet, options, straight)


def _framed(picture: Picture, sheet: np.ndarray | None, options: SplitOptions) -> list[Box]:
    """The items of a sheet framed by bands (a border line, a scanner's edge, the bed round a
    scanned page: ``inner_sheet``; ``sheet``: the plain frame's colour, if any), read inside
    them (a framed photo is the photo); [] when no band frames ``picture``."""
    window = inner_sheet(picture.rgb, sheet, options)
    if window is None:
        return []
    x0, y0, x1, y1 = window
    inner = replace(picture, rgb=picture.rgb[y0:y1, x0:x1],
                    alpha=None if picture.alpha is None else picture.alpha[y0:y1, x0:x1])
    return [(x + x0, y + y0, w, h) for x, y, w, h in split(inner, options)]


def _on_bed(picture: Picture, askew: Askew, options: SplitOptions) -> list[Box]:
    """The items of a page lying ``askew`` on a scanner's bed (see ``page_askew``), read
    turned straight (past the picture, the page's colour) inside its edges (see
    ``_read_straight``)."""
    rgb, back = turn(picture.rgb, askew.angle, askew.colour)
    window = page_window(askew, cv2.invertAffineTransform(back), rgb.shape[1::-1])
    if min(window[2] - window[0], window[3] - window[1]) < options.min_size:
        return []
    return _read_straight(picture, rgb, back, options, window)


def _turned(picture: Picture, sheet: Plain, options: SplitOptions, angle: float, ruled: bool) -> list[Box]:
    """The items of a sheet scanned askew by ``angle`` (see ``skew``, ``row_skew``), read
    turned straight (its corners filled with the sheet, see ``_read_straight``); where
    ``ruled`` (a table's lines showed the angle), only if it is then ruled both ways (a
    picture with a frame drawn askew stays as it is)."""
    if not angle:
        return []
    rgb, back = turn(picture.rgb, angle, sheet.colour)
    return _read_straight(picture, rgb, back, options, (0, 0, rgb.shape[1], rgb.shape[0]), ruled)


def _read_straight(picture: Picture, rgb: np.ndarray, back: np.ndarray, options: SplitOptions,
                   window: tuple[int, int, int, int], ruled: bool = False) -> list[Box]:
    """The items of ``picture`` turned straight (``rgb``; ``back`` maps it back), read in
    its ``window`` (x0, y0, x1, y1), each box the box round its ink turned back; [] unless
    the window holds a plain sheet with two items or more, ruled both ways where ``ruled``."""
    x0, y0, x1, y1 = window
    upright = replace(picture, rgb=np.ascontiguousarray(rgb[y0:y1, x0:x1]), alpha=None)
    fg = foreground(upright, options)
    if fg is None:
        return []
    rules = remove_rules(fg[0], options)  # the ink left is the items'
    if ruled and not all(flags.any() for flags in rules):
        return []
    items = split(upright, options, straight=True)
    shifted = np.column_stack([back[:, :2], back[:, 2] + back[:, :2] @ (x0, y0)])  # from the window's corner
    h, w = picture.rgb.shape[:2]
    return [ink_box_back(box, fg[0], shifted, w, h) for box in items] if len(items) >= 2 else []


def _unevenly_lit(picture: Picture, options: SplitOptions) -> list[Box]:
    """The items of a sheet lit unevenly or on mottled paper, read once its background's
    slow variation is taken off (``flatten``); [] when ``picture`` is no such sheet: no
    background reaches its frame smoothly, ink clear of the sheet's grain touches the frame
    (a texture, a photo), or fewer than two items show (a wallpaper with a logo)."""
    flat = flatten(picture.rgb, options)
    if flat is None:
        return []
    picture = replace(picture, rgb=flat)
    fg = foreground(picture, options)
    if fg is None or clear_ink(frame(flat)[None], frame(fg[0])[None], fg[1], options).any():  # the frame alone
        return []
    items = _items(picture, *fg, options)
    return items if len(items) >= 2 else []


def _items(picture: Picture, mask: np.ndarray, sheet: Plain | None, options: SplitOptions,
           straight: bool = True) -> list[Box]:
    """The items' boxes on ``picture``'s sheet, read off its foreground ``mask``; a table
    askew, or a grid (see ``_turned``; not looked for where ``straight``), is read turned
    straight."""
    h, w = picture.rgb.shape[:2]
    rule_rows, rule_cols = remove_rules(mask, options)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    ids, stats = np.arange(1, n), stats[1:]
    if not straight and not (rule_rows.any() and rule_cols.any()) and (
            (stats[:, 2] >= options.rule_length * w) | (stats[:, 3] >= options.rule_length * h)).any():
        turned = _turned(picture, sheet, options, skew(mask, options), ruled=True)  # a rule's length, no table
        if turned:
            return turned
    debris = all_in(rule_rows, stats[:, 1], stats[:, 3]) | all_in(rule_cols, stats[:, 0], stats[:, 2])
    keep = (stats[:, 4] >= 3) & ~debris  # 1–2 px specks are noise, debris what is left of rules
    ids, stats = ids[keep], stats[keep]
    if not len(stats):
        return []
    if len(stats) > options.max_pieces:  # grain: specks too small to be parts of items go first
        keep = stats[:, 4] >= options.min_area
        ids, stats = ids[keep], stats[keep]
    if len(stats) > options.max_pieces:
        return [(0, 0, w, h)]
    boxes = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2],
                             stats[:, 1] + stats[:, 3]]).astype(np.int64)
    if not straight and sheet is not None:  # a grid parted into rows only once turned: askew?
        angle = row_skew(boxes[stats[:, 4] >= options.min_area], w, h, options)
        turned = _turned(picture, sheet, options, angle, ruled=False)
        if turned:
            return turned
    boxes, areas, packed = unpack(labels, ids, boxes, stats[:, 4].astype(np.int64))
    typical_height = weighted_median(boxes[:, 3] - boxes[:, 1], areas)
    inks = Inks(picture.rgb, mask, sheet, options.tolerance)
    items = merge_overlaps(group_components(boxes, areas, options.part_fraction * typical_height, options,
                                            packed, inks.holds))
    if is_text(items, boxes[areas >= options.min_area], options):  # specks of noise are no letters
        return to_boxes(as_one(items))
    ink = partial(one_ink, picture.rgb, mask, sheet=sheet, options=options, known={})  # both passes share answers
    if options.drop_captions:  # before small parts move (a caption is not a part) and after
        items = without_captions(items, ink, boxes, options)
    items = join_cells(absorb_small(items, options.part_fraction * typical_height, options, inks.holds), options)
    items = cut_cells(join_shelves(items, options), mask, options)
    if options.drop_captions:
        items = without_captions(items, ink, boxes, options)
    items = single_or_collection(join_ruled_cells(items, rule_rows, rule_cols), options)
    keep = ((np.minimum(items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]) >= options.min_size)
            & (items[:, 4] >= options.min_area) & ~grain(picture.rgb, mask, sheet, items[:, :4], options))
    items = trim_patches(picture.rgb, mask, sheet, items[keep], options)
    if picture.lossy:
        items = without_fringes(picture.rgb, sheet, items, options)
    order = np.lexsort((items[:, 0], items[:, 1]))
    return to_boxes(items[order])
