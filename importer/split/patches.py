"""Items on patches (cards, tiles, paper scraps): the crop is the item, the patch's margin trimmed."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.options import Plain, SplitOptions
from importer.split.pixels import channel_max, commonest_colour, ink_mask, p90, sample_step


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
    step = sample_step(*crop.shape[:2])
    patch = commonest_colour(crop[::step, ::step])
    sheet_contrast = np.abs(patch - background).max()
    if sheet_contrast <= max(noise, 1) or not _shows_round(crop, patch, background, tol):
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
    contrast = p90(channel_max(np.abs(crop[ys, xs].astype(np.float32) - patch)))
    if sheet_contrast >= options.patch_contrast * contrast:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _shows_round(crop: np.ndarray, colour: np.ndarray, sheet: np.ndarray, tol: float, sides: int = 2) -> bool:
    """Whether on at least ``sides`` sides of ``crop`` the middle half of a strip along the
    frame (an eighth of the box deep) is mostly ``colour`` (within ``tol``, and nearer it than
    the ``sheet``'s colour): a card's colour shows round its content, past its rounded
    corners, its outline and on the sides its shadow leaves free. Strips are read only until
    the answer is settled."""
    h, w = crop.shape[:2]
    d = max(2, min(h, w) // 8)
    strips = (crop[:d, w // 4:w - w // 4], crop[-d:, w // 4:w - w // 4],
              crop[h // 4:h - h // 4, :d], crop[h // 4:h - h // 4, -d:])
    count = 0
    for read, strip in enumerate(strips, 1):
        near = channel_max(np.abs(strip - colour))
        count += ((near <= tol) & (near < channel_max(np.abs(strip - sheet)))).mean() >= 0.5
        if count >= sides or count + len(strips) - read < sides:
            break
    return count >= sides


def _depth(xs: np.ndarray, ys: np.ndarray, w: int, h: int) -> np.ndarray:
    """Each pixel's distance from the frame of a ``w`` × ``h`` box."""
    return np.minimum(np.minimum(xs, w - 1 - xs), np.minimum(ys, h - 1 - ys))
