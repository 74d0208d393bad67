"""Items on patches (cards, tiles, paper scraps): the crop is the item, the patch's margin trimmed."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.options import Plain, SplitOptions
from importer.split.pixels import channel_max, commonest_colour, ink_mask, p90, sample_step


def trim_patches(rgb: np.ndarray, mask: np.ndarray, sheet: Plain | None, items: np.ndarray,
                 options: SplitOptions) -> np.ndarray:
    """Trim each item that lies on a patch (a card, a tile, a scrap of paper) to its content.

    The patch's colour is the box's commonest colour, which must differ from the sheet's by
    more than the sheet's noise, or from the sheet just round the box by more than its noise
    there (else the box is framed by the sheet: a boxed icon's outline is its own), and
    show round the content, on at least two sides of the box's frame. Its content is what
    differs from both the patch and the sheet by the sheet's ink tolerance, specks of noise
    left out. A patch is told from an item's own outline by the plain margin between them:
    what touches the box's frame (the patch's rounded edge, its shadow, its outline; or
    comes within a pixel of it, no deeper than an eighth of the box, where scaling blended
    its outermost line into the sheet) lies nearer the frame than any of the content does
    (where it is faint and lines the sides it lies by, nearer each of those sides: a shadow
    along two sides leaves the content free to lie near the other two); an item's outline
    reaches as deep as what it holds. And the
    patch differs from the sheet by less than ``patch_contrast`` × its content differs from
    it, and so does the ink on its frame from the patch: a light card round an icon, its
    shadow or outline lighter than the icon, not a coloured tile or a framed square that is
    the icon's own; or it is coloured as three or more such cards of the sheet are (see
    ``_cards``). The content's box is the item, the patch's plain margin trimmed as a single
    picture's is.

    A patch too faint to be ink may still show by its shadow or outline: thin bands of ink
    lining the item's box (``mask``), see ``_inside_bands``; the item is what lies inside them."""
    if sheet is None or not len(items):
        return items
    background, tol = sheet.colour, sheet.tol
    items = items.copy()
    sized = np.flatnonzero(np.minimum(items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]) >= 3 * options.min_size)
    boxes = {i: tuple(items[i, :4]) for i in sized}
    on_patch = {i: _patch_content(rgb, box, sheet, options) for i, box in boxes.items()}
    cards = _cards({i: found for i, found in on_patch.items() if found is not None}, tol)
    for i, (x0, y0, x1, y1) in boxes.items():
        content = on_patch[i][0] if i in cards else _inside_bands(mask[y0:y1, x0:x1], rgb[y0:y1, x0:x1],
                                                                    background, options)
        if content is not None:
            items[i, :4] = x0 + content[0], y0 + content[1], x0 + content[2], y0 + content[3]
    return items


def _cards(on_patch: dict, tol: float) -> set:
    """The items of ``on_patch`` (see ``trim_patches``) that lie on cards: those whose patch is
    faint beside its content, and those whose patch has the colour (within ``tol``) of three
    or more patches of the sheet that are (two may be chance): a sheet's cards are of one
    kind, so a light icon on one (its patch as strong as it) is on a card too."""
    if not on_patch:
        return set()
    keys = list(on_patch)
    colours = np.array([on_patch[i][1] for i in keys])
    faint = np.array([on_patch[i][2] for i in keys])
    alike = channel_max(np.abs(colours[:, None] - colours[None])) <= tol
    return {i for i, card in zip(keys, faint | ((alike & faint).sum(axis=1) >= 3)) if card}


def _patch_content(rgb: np.ndarray, box: tuple, sheet: Plain, options: SplitOptions
                   ) -> tuple[tuple[int, int, int, int], np.ndarray, bool] | None:
    """The box (x0, y0, x1, y1) of the content on the patch that the item at ``box`` of
    ``rgb`` lies on, the patch's colour and whether the patch, and the ink on its frame, are
    faint beside its content (``patch_contrast``); or None when it is no patch (see
    ``trim_patches``)."""
    background, tol, noise = sheet
    x0, y0, x1, y1 = box
    crop = rgb[y0:y1, x0:x1]
    step = sample_step(*crop.shape[:2])
    patch = commonest_colour(crop[::step, ::step])
    sheet_contrast = np.abs(patch - background).max()
    if sheet_contrast <= max(noise, 1) and (sheet_contrast <= 1 or not _off_sheet(rgb, box, patch, tol)):
        return None  # the sheet's own colour
    if not _shows_round(crop, patch, background, tol):
        return None  # a colour inside an item (its white face), not round it
    found = _content(crop, patch, ink_mask(crop, background, tol) & ink_mask(crop, patch, tol), options)
    if found is None:
        return None
    xs, ys, contrast, strong = found
    box = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    return box, patch, bool(sheet_contrast < options.patch_contrast * contrast and not strong)


def _content(crop: np.ndarray, patch: np.ndarray, mask: np.ndarray, options: SplitOptions
             ) -> tuple[np.ndarray, np.ndarray, float, bool] | None:
    """The content on a patch of colour ``patch`` (see ``trim_patches``; ``mask``: what
    differs from both it and the sheet): its pixels' xs and ys, its contrast with the patch
    and whether the ink on the frame is as strong (the item's own frame); or None when no
    content lies deeper than the ink on the frame (the item's own outline)."""
    n, labels = _components(mask, mask, options.min_area)
    ys, xs = np.nonzero(labels)
    own, sides = labels[ys, xs], _sides(xs, ys, *mask.shape[::-1])
    depth = sides.min(axis=0)
    deepest, shallowest = np.zeros(n, np.int64), np.full(n, np.iinfo(np.int64).max)
    np.maximum.at(deepest, own, depth)
    np.minimum.at(shallowest, own, depth)
    deep = _frame_depth(*mask.shape)  # as deep as a band lining the frame reaches (see _inside_bands)
    edge = ((shallowest == 0) | ((shallowest <= 1) & (deepest <= deep)))[own]  # on the frame, or a blended pixel in
    reach = depth[edge].max(initial=-1)  # how deep the ink on the frame reaches
    inner = (deepest > reach) & (shallowest <= deepest)  # specks left out have no pixels; slivers
    inner[0] = False  # within that reach (a shadow round a corner) are edge too
    content = inner[own]
    if content.sum() < options.min_area:
        return None
    ink = channel_max(np.abs(crop[ys, xs].astype(np.float32) - patch))
    contrast = p90(ink[content])
    strong = bool(edge.any() and np.median(ink[edge]) >= options.patch_contrast * contrast)
    faint = edge.any() and not strong
    band = _side_bands(xs[edge], ys[edge], sides[:, edge], reach) if faint else np.full(4, reach)
    if (sides[:, content].min(axis=1) <= band).any():
        return None
    return xs[content], ys[content], contrast, strong


def _frame_depth(h: int, w: int) -> int:
    """How deep a strip along an ``h`` × ``w`` box's frame is read (a patch's margin, a
    shadow or outline lining it, the sheet just round it): an eighth of its shorter side,
    at least 2 px."""
    return max(2, min(h, w) // 8)


def _off_sheet(rgb: np.ndarray, box: tuple, patch: np.ndarray, tol: float) -> bool:
    """Whether ``patch`` differs from the sheet just round ``box`` (its commonest colour in
    a frame an eighth of the box's shorter side wide) by more than that sheet's typical
    noise there: on a clouded or shaded sheet, whose slow changes make its noise as a whole
    exceed a light card's contrast, the card still stands out from the sheet beside it."""
    x0, y0, x1, y1 = box
    d = _frame_depth(y1 - y0, x1 - x0)
    h, w = rgb.shape[:2]
    top, left = max(0, y0 - d), max(0, x0 - d)
    outer = rgb[top:min(h, y1 + d), left:min(w, x1 + d)]
    ring = np.ones(outer.shape[:2], bool)
    ring[y0 - top:y1 - top, x0 - left:x1 - left] = False
    pixels = outer[ring]
    if not len(pixels):
        return False
    local = commonest_colour(pixels[None])
    near = channel_max(np.abs(pixels.astype(np.float32) - local))
    near = near[near <= tol]  # the sheet there, not the ink beside the box
    return bool(len(near)) and bool(np.abs(patch - local).max() > max(np.median(near), 1))


def _shows_round(crop: np.ndarray, colour: np.ndarray, sheet: np.ndarray, tol: float, sides: int = 2) -> bool:
    """Whether on at least ``sides`` sides of ``crop`` the middle half of a strip along the
    frame (an eighth of the box deep) is mostly ``colour`` (within ``tol``, and nearer it than
    the ``sheet``'s colour): a card's colour shows round its content, past its rounded
    corners, its outline and on the sides its shadow leaves free. Strips are read only until
    the answer is settled."""
    h, w = crop.shape[:2]
    d = _frame_depth(h, w)
    strips = (crop[:d, w // 4:w - w // 4], crop[-d:, w // 4:w - w // 4],
              crop[h // 4:h - h // 4, :d], crop[h // 4:h - h // 4, -d:])
    count = 0
    for read, strip in enumerate(strips, 1):
        near = channel_max(np.abs(strip - colour))
        count += ((near <= tol) & (near < channel_max(np.abs(strip - sheet)))).mean() >= 0.5
        if count >= sides or count + len(strips) - read < sides:
            break
    return count >= sides


def _side_bands(xs: np.ndarray, ys: np.ndarray, sides: np.ndarray, reach: int) -> np.ndarray:
    """How deep the faint ink on a patch's frame (pixels at ``xs``, ``ys``, their distances
    from each side ``sides``) reaches from each side (-1: none there), when it lines the
    sides it lies along (at least half of each: a shadow, an outline), so that a shadow along
    two sides leaves the content free to lie near the other two; else ``reach`` from all."""
    near = sides.argmin(axis=0)
    along = np.where(near < 2, ys, xs)  # the pixel's place along the side it lies by
    height, width = sides[2, 0] + sides[3, 0] + 1, sides[0, 0] + sides[1, 0] + 1
    band = np.full(4, -1)
    for side in np.unique(near):
        if len(np.unique(along[near == side])) < 0.5 * (height if side < 2 else width):
            return np.full(4, reach)  # blobs on the frame (a picture's cut edge), no band
        band[side] = sides[side, near == side].max()
    return band


def _sides(xs: np.ndarray, ys: np.ndarray, w: int, h: int) -> np.ndarray:
    """Each pixel's distance from the left, right, top and bottom side of a ``w`` × ``h`` box
    (4 rows)."""
    return np.stack([xs, w - 1 - xs, ys, h - 1 - ys])


def _inside_bands(ink: np.ndarray, rgb: np.ndarray, background: np.ndarray,
                  options: SplitOptions) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of ``ink`` (an item's uint8 mask, ``rgb`` its pixels) less the
    thin bands of ink that line its frame (a faint patch's shadow or outline), or None when
    there are none. A band lies within an eighth of the box's shorter side of one or more
    sides, covering at least half of each, and the bands line two sides that meet (a shadow
    or an outline turns a corner; a bar along one side is the item's own); the rest of the
    item lies farther inside on each of those sides than the band is thick (the patch's
    plain margin between), and the bands are faint beside it: their median colour differs
    from the sheet's (``background``) by less than ``patch_contrast`` × the rest's ink does
    (90th percentile), as a patch's do; an item's own frame, a squared letter's, is as
    strong as its content. Specks are noise."""
    deep = _frame_depth(*ink.shape)
    if not _lined_corner(ink, deep):
        return None
    found = _edge_bands(ink, ink, deep, options.min_area)
    if found is None:  # grain may break a shadow near the ink tolerance into specks: ink a pixel apart as one
        found = _edge_bands(ink, cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), deep,
                            options.min_area)
    if found is None:
        return None
    ys, xs, band = found
    contrast = channel_max(np.abs(rgb[ys, xs].astype(np.float32) - background))
    if np.median(contrast[band]) >= options.patch_contrast * p90(contrast[~band]):
        return None  # as strong as the content: the item's own frame
    xs, ys = xs[~band], ys[~band]
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _lined_corner(ink: np.ndarray, deep: int) -> bool:
    """Whether two sides of ``ink`` that meet are each mostly ink in their outermost line and
    mostly thin there (the ink running in from them mostly no more than ``deep`` pixels):
    the cheap look that ``_edge_bands`` may find a shadow or an outline."""
    edges = (ink, ink[:, ::-1].T, ink[::-1], ink.T)  # each side as the top one
    full = [cv2.countNonZero(edge[0]) >= 0.5 * len(edge[0]) for edge in edges]
    thin = [full[k] and (full[k - 1] or full[k - 3]) and _thin_edge(edges[k][:deep + 1] > 0, deep)
            for k in range(4)]
    return any(thin[k] and thin[k - 1] for k in range(4))


def _edge_bands(ink: np.ndarray, joined: np.ndarray, deep: int,
                min_area: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The pixels (ys, xs) of ``ink``'s components of at least ``min_area`` pixels (as
    ``joined``, a mask holding ``ink``, connects them), and which lie in bands (see
    ``_inside_bands``): components within ``deep`` of the sides they line (half of each
    side's length or more), lining two sides that meet, the rest farther in on each of
    those sides than the bands are thick; None when there are no such bands."""
    h, w = ink.shape
    n, labels = _components(ink, joined, min_area)
    ys, xs = np.nonzero(labels)
    own = labels[ys, xs]
    depth = np.stack([ys, w - 1 - xs, h - 1 - ys, xs])  # from the top, right, bottom, left
    along = (xs, ys, xs, ys)  # where a pixel lies along each side
    near = depth <= deep
    lined = np.stack([_places(own[near[k]], along[k][near[k]], n) >= 0.5 * size
                      for k, size in enumerate((w, h, w, h))], axis=1)  # [component, side]
    astray = np.bincount(own, ~(near & lined[own].T).any(axis=0), n)  # pixels near no side it lines
    bands = np.flatnonzero(lined.any(axis=1) & (astray == 0))
    bands = bands[bands > 0]
    reach = np.full((n, 4), -1)
    for c in bands:
        mine = own == c
        reach[c, lined[c]] = [_thickness(along[k][mine & near[k]], depth[k][mine & near[k]])
                              for k in np.flatnonzero(lined[c])]
    band = np.isin(own, bands)
    sides = (reach >= 0).any(axis=0)
    if band.all() or not (sides & np.roll(sides, 1)).any():
        return None  # no bands, or none that turn a corner (a bar along one side is the item's own)
    if (depth[:, ~band].min(axis=1) <= reach.max(axis=0)).any():
        return None  # the rest comes as near a side as its band: the item's own frame
    return ys, xs, band


def _components(ink: np.ndarray, joined: np.ndarray, min_area: int) -> tuple[int, np.ndarray]:
    """Label count and labels (0: none) of ``ink``'s 8-connected components as ``joined`` (a
    mask holding ``ink``) connects them, specks of fewer than ``min_area`` ink pixels left out."""
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    if joined is not ink:
        labels[ink == 0] = 0
    labels[(np.bincount(labels.ravel(), minlength=n) < min_area)[labels]] = 0
    return n, labels


def _places(owner: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    """Per component (of ``n``), at how many distinct places (``where``) its pixels lie."""
    pairs = np.unique(owner.astype(np.int64) << 32 | where)
    return np.bincount(pairs >> 32, minlength=n)


def _thickness(where: np.ndarray, depth: np.ndarray) -> int:
    """How deep a band reaches from its side: the median, over the places along the side
    (``where``), of its deepest pixel there (the other side's band, crossing at a corner,
    reaches deeper at a few places only)."""
    deepest = np.zeros(where.max() + 1, np.int64) - 1
    np.maximum.at(deepest, where, depth)
    return int(np.median(deepest[deepest >= 0]))


def _thin_edge(top: np.ndarray, deep: int) -> bool:
    """Whether the ink that runs in from the edge of ``top`` (an item's ``deep`` + 1 rows
    next to a side that ink lines along at least half of it) mostly (the median run)
    reaches no more than ``deep`` pixels: a thin band may line that side."""
    runs = np.where(top.all(axis=0), deep + 1, np.argmin(top, axis=0))
    return bool(np.median(runs[runs > 0]) <= deep)
