"""split(): recall and precision at IoU ≥ 0.8 on small synthetic sheets, one per layout.

Items are real glyphs of DejaVu Sans (shipped with matplotlib), several of them in more
than one piece (i, j, :, ;, %, =, ä, ?, !), so merging parts is exercised too.
"""
import io
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from benchmarks.boxes import iou
from imaging.decode import Picture
from importer.split import SplitOptions, split
from importer.split.captions import one_ink
from importer.split.grids import join_cells
from importer.split.grouping import join_groups
from importer.split.mask import grain, longest_circular_run
from importer.split.options import Plain
from importer.split.patches import _cards
from importer.split.pixels import Inks, ink_mask
from importer.split.skew import box_back, skew, turn

FONT = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"
GLYPHS = "AiB%jKä=Q:?R&W!@gMx;#Z8ÿ"


def _glyph(ch: str, size: int) -> np.ndarray:
    """The glyph's coverage (uint8) cropped to its ink."""
    font = ImageFont.truetype(str(FONT), size)
    im = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(im).text((size // 2, size // 4), ch, fill=255, font=font)
    a = np.asarray(im)
    ys, xs = np.nonzero(a)
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


class Sheet:
    """A canvas of coverage; items are pasted as ink and their boxes remembered."""

    def __init__(self, w: int, h: int):
        self.ink = np.zeros((h, w), np.uint8)
        self.boxes: list[tuple[int, int, int, int]] = []

    def paste(self, cov: np.ndarray, x: int, y: int, item: bool = True):
        h, w = cov.shape
        np.maximum(self.ink[y:y + h, x:x + w], cov, out=self.ink[y:y + h, x:x + w])
        if item:
            self.boxes.append((x, y, w, h))

    def picture(self, paper=(255, 255, 255), ink=(20, 20, 20)) -> Picture:
        a = self.ink[..., None].astype(np.float32) / 255
        rgb = np.asarray(paper, np.float32) * (1 - a) + np.asarray(ink, np.float32) * a
        return Picture(rgb.round().astype(np.uint8), None)


def _grid(cell=56, cols=6, rows=4, size=36, margin=12) -> Sheet:
    sheet = Sheet(cols * cell + 2 * margin, rows * cell + 2 * margin)
    for k in range(cols * rows):
        g = _glyph(GLYPHS[k % len(GLYPHS)], size)
        r, c = divmod(k, cols)
        sheet.paste(g, margin + c * cell + (cell - g.shape[1]) // 2, margin + r * cell + (cell - g.shape[0]) // 2)
    return sheet


def layout_grid():
    return _grid().picture(), _grid().boxes


def _ruled(cell=56, margin=12) -> Sheet:
    """The default grid with 1 px lines between and around its cells."""
    sheet = _grid(cell=cell, margin=margin)
    h, w = sheet.ink.shape
    for k in range(7):
        sheet.ink[margin - 2:h - margin + 2, margin + k * cell - 1] = 255
    for k in range(5):
        sheet.ink[margin + k * cell - 1, margin - 2:w - margin + 2] = 255
    return sheet


def layout_ruled():
    sheet = _ruled()
    return sheet.picture(), sheet.boxes


def layout_captioned():
    sheet = Sheet(6 * 80 + 20, 3 * 90 + 20)
    small = ImageFont.truetype(str(FONT), 11)
    for k in range(18):
        r, c = divmod(k, 6)
        g = _glyph(GLYPHS[k % len(GLYPHS)], 40)
        x, y = 10 + c * 80 + (80 - g.shape[1]) // 2, 10 + r * 90 + (50 - g.shape[0])
        sheet.paste(g, x, y)
        cap = Image.new("L", (80, 16), 0)
        ImageDraw.Draw(cap).text((4, 0), f"item {k:02d}", fill=255, font=small)
        cap = np.asarray(cap)
        sheet.paste(cap, 10 + c * 80, 10 + r * 90 + 55, item=False)
    return sheet.picture(), sheet.boxes


def layout_scattered(seed=3):
    rng = np.random.default_rng(seed)
    sheet = Sheet(420, 300)
    taken = np.zeros((300, 420), bool)
    for k in range(40):
        g = _glyph(GLYPHS[k % len(GLYPHS)], int(rng.integers(24, 48)))
        h, w = g.shape
        for _ in range(50):
            x, y = int(rng.integers(5, 415 - w)), int(rng.integers(5, 295 - h))
            if not taken[max(0, y - 12):y + h + 12, max(0, x - 12):x + w + 12].any():
                taken[y:y + h, x:x + w] = True
                sheet.paste(g, x, y)
                break
    return sheet.picture(), sheet.boxes


def layout_dark():
    sheet = _grid(cell=60, size=40)
    return sheet.picture(paper=(25, 30, 45), ink=(230, 220, 120)), sheet.boxes


def layout_jpeg_noise():
    pic, boxes = layout_grid()
    buf = io.BytesIO()
    Image.fromarray(pic.rgb).save(buf, "JPEG", quality=35)
    return Picture(np.asarray(Image.open(buf).convert("RGB")), None), boxes


def _sprite(rng, size):
    """A pixel-art-like sprite: an opaque blob in one colour with a glyph in another."""
    h, w = int(rng.integers(size // 2, size)), int(rng.integers(size // 2, size))
    rgba = np.zeros((h, w, 4), np.uint8)
    body = np.zeros((h, w), np.uint8)
    cv2.ellipse(body, (w // 2, h // 2), (w // 2, h // 2), 0, 0, 360, 255, -1)
    rgba[body > 0] = (*rng.integers(0, 200, 3), 255)
    g = _glyph(GLYPHS[int(rng.integers(len(GLYPHS)))], h)[: h // 2, : w // 2]
    gy, gx = (h - g.shape[0]) // 2, (w - g.shape[1]) // 2
    rgba[gy:gy + g.shape[0], gx:gx + g.shape[1]][(g > 128) & (body[gy:, gx:][:g.shape[0], :g.shape[1]] > 0)] = (250, 250, 0, 255)
    return rgba


def layout_sprites(gap=2):
    """Opaque blob sprites on transparency, packed in shelves ``gap`` px apart."""
    rng = np.random.default_rng(7)
    h_img, w_img = 140, 260
    rgba = np.zeros((h_img, w_img, 4), np.uint8)
    boxes, y = [], 0
    while True:
        row = [_sprite(rng, int(rng.integers(16, 32))) for _ in range(20)]
        height = max(s.shape[0] for s in row)
        if y + height > h_img:
            break
        x = 0
        for s in row:
            h, w = s.shape[:2]
            if x + w > w_img:
                break
            rgba[y:y + h, x:x + w] = s
            boxes.append((x, y, w, h))
            x += w + gap
        y += height + gap
    alpha = rgba[..., 3]
    rgb = np.where(alpha[..., None] > 0, rgba[..., :3], 255).astype(np.uint8)
    return Picture(rgb, alpha), boxes


def layout_single_margin():
    sheet = Sheet(200, 160)
    g = _glyph("%", 90)
    sheet.paste(g, 40, 30)
    return sheet.picture(paper=(240, 240, 235)), sheet.boxes


def layout_single_photo():
    rng = np.random.default_rng(1)
    small = rng.integers(0, 255, (12, 16, 3), np.uint8)
    rgb = np.asarray(Image.fromarray(small).resize((320, 240), Image.BICUBIC))
    return Picture(rgb, None), [(0, 0, 320, 240)]


def recall_precision(truth, crops, threshold=0.8):
    found = sum(any(iou(t, c) >= threshold for c in crops) for t in truth)
    correct = sum(any(iou(t, c) >= threshold for t in truth) for c in crops)
    return found / len(truth), correct / max(len(crops), 1)


LAYOUTS = {name[len("layout_"):]: fn for name, fn in globals().items() if name.startswith("layout_")}


KNOWN_WEAK = {  # open weaknesses, kept visible: these must start passing, not be deleted
    "captioned": "captions split into word pieces are sometimes absorbed into short items",
    "jpeg_noise": "JPEG ringing widens boxes of thin glyphs (4-6 px) by a pixel each side",
}


@pytest.mark.parametrize("layout", [
    pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_WEAK[name], strict=True))
    if name in KNOWN_WEAK else name for name in sorted(LAYOUTS)])
def test_layout(layout):
    picture, truth = LAYOUTS[layout]()
    recall, precision = recall_precision(truth, split(picture))
    assert recall >= 0.9 and precision >= 0.9, (layout, recall, precision)


def test_boxes_are_int_tuples_inside_the_image():
    picture, _ = layout_scattered()
    h, w = picture.rgb.shape[:2]
    for box in split(picture):
        assert len(box) == 4 and all(type(v) is int for v in box)
        x, y, bw, bh = box
        assert 0 <= x and 0 <= y and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h


def test_blank_picture_has_no_items():
    assert split(Picture(np.full((50, 60, 3), 255, np.uint8), None)) == []


def test_caption_kept_when_asked():
    picture, truth = layout_captioned()
    assert len(split(picture, SplitOptions(drop_captions=False))) > len(truth)


def _parts_sheet() -> Sheet:
    """Three item kinds on uneven columns (no grid to lean on), per row: a square with a
    detail 1 px off it, two bars 10 px apart (twice), a plain square. Read off the
    components, the typical gap is the bars' inner gap; read off the groups they form
    first, it is the gap between items."""
    sheet, cell = Sheet(330, 4 * 80), 30
    for r in range(4):
        for x, kind in zip((10, 85, 185, 255), "CBBD"):
            y = 10 + r * 80
            ink = np.zeros((cell, cell + 10 if kind == "C" else cell), np.uint8)
            ink[:, :cell] = 255 if kind != "B" else 0
            if kind == "C":
                ink[11:19, cell + 1:cell + 9] = 255
            if kind == "B":
                ink[:10], ink[20:] = 255, 255
            sheet.paste(ink[:, :ink.any(axis=0).nonzero()[0][-1] + 1], x, y)
    return sheet


def test_parts_join_across_the_gap_read_off_groups():
    sheet = _parts_sheet()
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)
    recall, _ = recall_precision(sheet.boxes, split(sheet.picture(), SplitOptions(join_size=0)))
    assert recall < 0.9  # without the second pass the bars stay apart


def test_parts_of_one_cell_join_on_a_regular_grid():
    """Glyphs whose parts lie as far apart as the grid's items (=, :, ÷, %, ä…): on a
    regular grid every cell holds one item."""
    sheet = Sheet(6 * 64 + 24, 4 * 64 + 24)
    for k in range(24):
        g = _glyph("=:;÷äöü%"[k % 8], 36)
        r, c = divmod(k, 6)
        sheet.paste(g, 12 + c * 64 + (64 - g.shape[1]) // 2, 12 + r * 64 + (64 - g.shape[0]) // 2)
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)


def test_caption_nearer_the_next_row_stays_off_its_items():
    """Captions placed nearer the item below than their own: each stays a piece of text
    (kept or dropped), never part of the item under it."""
    sheet = Sheet(6 * 90 + 20, 3 * 100 + 20)
    small = ImageFont.truetype(str(FONT), 11)
    for k in range(18):
        r, c = divmod(k, 6)
        g = _glyph("ABKMRWZQ&#"[k % 10], 60)
        sheet.paste(g, 10 + c * 90 + (90 - g.shape[1]) // 2, 10 + r * 100)
        cap = Image.new("L", (90, 16), 0)
        ImageDraw.Draw(cap).text((25, 0), f"n{k:02d}", fill=255, font=small)
        sheet.paste(np.asarray(cap), 10 + c * 90, 10 + r * 100 + 80, item=False)
    recall, _ = recall_precision(sheet.boxes, split(sheet.picture()))
    assert recall == 1.0


def test_small_item_beside_a_large_one_stays_apart():
    """A small glyph some way off a large one is a neighbour, not a part: it stays its
    own item, while the dots of i, j and ?, close to their stems, still join them."""
    sheet = Sheet(600, 300)
    for k, ch in enumerate("@&WQ"):
        sheet.paste(_glyph(ch, 90), 20 + k * 135, 30)
        sheet.paste(_glyph("ij?B"[k], 28), 20 + k * 135 + 5, 190)
    q, small = _glyph("Q", 90), _glyph("#", 18)
    sheet.paste(small, 20 + 3 * 135 + q.shape[1] + 30, 30 + 60)  # 30 px right of the Q
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)


def test_groups_join_as_parts_only_when_close_for_their_size():
    """On the second reading, two bars of like size join across the gap; a small group as
    far from a large one (more than half its own size) stays apart."""
    groups = np.array([(0, 0, 60, 60, 2000, 3), (76, 40, 88, 52, 100, 1),      # large, small 16 px off
                       (200, 0, 240, 20, 800, 1), (200, 36, 240, 56, 800, 1)],  # two bars 16 px apart
                      np.int64)
    label = join_groups(groups, limit=20, options=SplitOptions())
    assert label[0] != label[1] and label[2] == label[3]


def test_a_body_holds_the_ink_of_a_part_drawn_in_its_colour():
    """``Inks.holds``: the dot of an i in the stem's ink (its edge blended into the paper)
    is held by the stem; the same dot in another ink is not, nor is the stem by it."""
    i = _glyph("i", 28)
    rgb = np.full((i.shape[0] + 20, 2 * i.shape[1] + 40, 3), 255, np.uint8)
    for x, ink in ((10, (30, 50, 120)), (i.shape[1] + 30, (230, 120, 20))):
        a = i[..., None].astype(np.float32) / 255
        region = rgb[10:10 + i.shape[0], x:x + i.shape[1]]
        region[:] = (region * (1 - a) + np.asarray(ink, np.float32) * a).round().astype(np.uint8)
    sheet = Plain(np.array([255.0, 255.0, 255.0]), 24.0, 1.0)
    mask = ink_mask(rgb, sheet.colour, sheet.tol)
    rows = np.flatnonzero(i.any(axis=1))
    gap = rows[np.flatnonzero(np.diff(rows) > 1)[0]] + 1  # the first empty row: under the dot
    w = i.shape[1]
    stem = np.array([10, 10 + gap, 10 + w, 10 + i.shape[0]])
    dot, other_dot = np.array([10, 10, 10 + w, 10 + gap]), np.array([w + 30, 10, 2 * w + 30, 10 + gap])
    inks = Inks(rgb, mask, sheet, 24)
    assert inks.holds(dot, stem) and not inks.holds(other_dot, stem) and not inks.holds(stem, other_dot)


def test_faint_ink_is_grain_only_on_a_noisy_sheet():
    """``grain``: a speck 30 levels off a sheet whose noise (8) set no more than the least
    tolerance (24) is grain, an icon's ink 150 off is not; on a clean sheet the same faint
    speck is a pale item."""
    rgb = np.full((40, 80, 3), 200, np.uint8)
    rgb[10:14, 10:14] = 170
    rgb[10:30, 40:60] = 50
    mask = ink_mask(rgb, np.array([200.0, 200.0, 200.0]), 24.0)
    boxes = np.array([[10, 10, 14, 14], [40, 10, 60, 30]])
    noisy, clean = Plain(np.array([200.0] * 3), 24.0, 8.0), Plain(np.array([200.0] * 3), 24.0, 0.0)
    assert grain(rgb, mask, noisy, boxes, SplitOptions()).tolist() == [True, False]
    assert grain(rgb, mask, clean, boxes, SplitOptions()).tolist() == [False, False]


def test_grid_is_found_past_a_word_across_its_columns():
    """A word-like group spanning two columns (a caption left over) does not hide the
    grid: the two parts of each cell (like "=") become one item, the word stays apart."""
    cells = [(10 + c * 60, 10 + r * 60) for r in range(3) for c in range(4)]
    tall = [(x, y, x + 16, y + 28, 300, 1) for x, y in cells[::4]]  # one whole item per row
    parts = [(x, y + dy, x + 16, y + dy + 12, 100, 1)  # the other cells: two parts each
             for i, (x, y) in enumerate(cells) if i % 4 for dy in (0, 16)]
    word = (20, 190, 100, 198, 300, 4)
    items = join_cells(np.array([*tall, *parts, word], np.int64), SplitOptions())
    assert sorted(map(tuple, items[:, :4].tolist())) == sorted(
        [(x, y, x + 16, y + 28) for x, y in cells] + [word[:4]])


def test_grid_is_found_when_a_row_holds_only_items_in_stacked_parts():
    """A row whose every item is parts stacked one above the other (a domino's dots) forms
    two thin bands, not one; they fit within one pitch, so they are one row of the grid and
    each cell's parts become one item."""
    cells = [(10 + c * 60, 10 + r * 60) for r in range(3) for c in range(4)]
    whole = [(x, y, x + 16, y + 28, 300, 1) for x, y in cells[:8]]
    parts = [(x, y + dy, x + 16, y + dy + 10, 100, 1) for x, y in cells[8:] for dy in (0, 18)]
    items = join_cells(np.array([*whole, *parts], np.int64), SplitOptions())
    assert sorted(map(tuple, items[:, :4].tolist())) == sorted((x, y, x + 16, y + 28) for x, y in cells)


def _large_over_small(large: str, small: str, dx: int, gap: int) -> Sheet:
    """Glyphs ``large`` (90 px) in a row at a 120 px pitch, each with the glyph of ``small``
    (40 px) ``dx`` to the right of its start and ``gap`` below it."""
    sheet = Sheet(len(large) * 120 + 20, 220)
    for k, (big_ch, small_ch) in enumerate(zip(large, small)):
        big = _glyph(big_ch, 90)
        sheet.paste(big, 10 + k * 120, 10)
        sheet.paste(_glyph(small_ch, 40), 10 + k * 120 + dx, 10 + big.shape[0] + gap)
    return sheet


def test_item_in_parts_under_a_larger_one_is_no_caption():
    """A short item made of several parts (i, !, ?) just under a larger one stays an
    item: a caption is text, so it starts from a word-like line."""
    sheet = _large_over_small("WMQB", "i!?j", dx=10, gap=8)
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)


def test_small_items_in_the_row_under_large_ones_are_no_labels():
    """A row of small items (o, c, e, s, x) under a row of large ones, one under each, as
    far below them as the large ones typically lie apart (60 px): a sprite sheet's next row,
    not labels (a label lies nearer its item than the items lie to each other)."""
    sheet = _large_over_small("WMQBH", "ocesx", dx=20, gap=60)
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)


def test_what_is_left_of_ruled_lines_is_no_item():
    """Blobs on the crossings of ruled lines (thicker ink, JPEG halos) are what is left of
    the lines once they are erased, not items."""
    cell, margin = 56, 12
    sheet = _ruled(cell, margin)
    for r in range(5):
        for c in range(7):
            y, x = margin + r * cell - 1, margin + c * cell - 1
            sheet.ink[y - 2:y + 3, x - 3:x + 4] = 255
    assert recall_precision(sheet.boxes, split(sheet.picture())) == (1.0, 1.0)


def test_one_ink_on_a_transparent_sheet_reads_the_ink_colours_themselves():
    """On a transparent sheet the blending is in the alpha: a word in one colour is written
    in one ink, a sprite in red and blue is not (it was taken for writing before)."""
    rgb = np.full((20, 60, 3), 255, np.uint8)
    rgb[4:16, 2:26] = (90, 20, 60)
    rgb[4:16, 32:44], rgb[4:16, 44:58] = (200, 30, 30), (30, 60, 200)
    mask = np.zeros((20, 60), np.uint8)
    mask[4:16, 2:26] = mask[4:16, 32:58] = 255
    items = np.array([[2, 4, 26, 16, 288, 2], [32, 4, 58, 16, 312, 2]])
    assert one_ink(rgb, mask, items, None, SplitOptions()).tolist() == [True, False]


def test_a_sheet_of_speckle_is_one_picture_in_bounded_memory():
    """Noise past the tolerance everywhere (a scan of a grainy patch) breaks the mask into
    tens of thousands of pieces; their pairwise gaps would need gigabytes (a worker of the
    importer was killed for it). Past ``max_pieces`` the picture is one picture."""
    rng = np.random.default_rng(0)
    rgb = np.full((800, 800, 3), 255, np.uint8)
    rgb[rng.random((800, 800)) < 0.25] = 0
    pieces = cv2.connectedComponentsWithStats(255 - rgb[..., 0], connectivity=8)[2][1:, 4]
    assert (pieces >= 3).sum() > SplitOptions().max_pieces
    assert split(Picture(rgb, None)) == [(0, 0, 800, 800)]


def test_a_strong_patch_is_a_card_only_beside_three_faint_cards_of_its_colour():
    """A patch as strong as its content is taken for a card when three patches of its colour
    on the sheet are faint beside theirs (cards of one kind), not on two (chance)."""
    tan, blue, box = np.array([180.0, 165, 130]), np.array([40.0, 90, 200]), (2, 2, 10, 10)
    two = {0: (box, tan, True), 1: (box, tan + 5, True), 2: (box, tan, False), 3: (box, blue, False)}
    assert _cards(two, tol=24) == {0, 1}
    three = {**two, 4: (box, tan - 5, True)}
    assert _cards(three, tol=24) == {0, 1, 2, 4}


def test_the_longest_run_round_a_frame_may_wrap_past_its_end():
    """A frame is read as a circle: a run may start near its end and go on at its start."""
    assert longest_circular_run(np.array([1, 1, 0, 1, 0, 1, 1, 1], bool)) == (5, 5)
    assert longest_circular_run(np.array([0, 1, 1, 1, 0, 1], bool)) == (1, 3)
    assert longest_circular_run(np.zeros(4, bool)) == (0, 0)
    assert longest_circular_run(np.ones(3, bool)) == (0, 3)


@pytest.mark.parametrize("degrees", [2.0, -0.8, 0.0])
def test_skew_reads_the_angle_of_long_straight_lines(degrees):
    """Two rules across a sheet, turned anticlockwise by ``degrees`` (rising to the right):
    skew reads the angle to within a few hundredths of a degree, and 0 for level ones."""
    mask = np.zeros((400, 600), np.uint8)
    rise = round(560 * np.tan(np.radians(degrees)) * 16)  # drawn with 4 bits of sub-pixel precision
    for y in (100, 300):
        cv2.line(mask, (20 * 16, y * 16), (580 * 16, y * 16 - rise), 255, 2, cv2.LINE_8, shift=4)
    assert skew(mask, SplitOptions()) == pytest.approx(degrees, abs=0.05)


def test_a_box_on_a_picture_turned_straight_maps_back_round_the_box():
    """A box on the picture ``turn`` makes maps back, through the map it returns, to the box
    round its corners on the picture it was turned from: a dark square turned by 3 degrees
    and back is found where it was, a pixel or two wider."""
    rgb = np.full((200, 300, 3), 255, np.uint8)
    rgb[60:100, 120:160] = 0
    turned, back = turn(rgb, 3.0, np.array([255.0, 255.0, 255.0]))
    ys, xs = np.nonzero(turned[..., 0] < 128)
    x, y, w, h = box_back((xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()), back, 300, 200)
    assert 117 <= x <= 120 and 57 <= y <= 60 and 160 <= x + w <= 163 and 100 <= y + h <= 103
