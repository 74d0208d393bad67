"""split() on the failure classes seen on heaps nobody tuned to, each built from real material.

Material shipped with matplotlib (a declared dependency): its TrueType fonts (DejaVu, STIX,
Computer Modern), its toolbar icons, its logo and its sample photo. Every test but one
asserts the crop count and that each true box is matched at IoU ≥ 0.8; the grain test
asserts what its class is about, that no crop lies off the items.
"""
import io
from dataclasses import replace
from pathlib import Path
from random import Random

import cv2
import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from benchmarks.boxes import iou, overlap
from benchmarks.devheap.degrade import degrade
from benchmarks.devheap.sets import DEV, SHADED
from imaging.decode import Picture, decode
from importer.split import split
from importer.split.skew import mapped_box

MPL = Path(matplotlib.get_data_path())
TTF = MPL / "fonts" / "ttf"
ICONS = sorted((MPL / "images").glob("*_large.png"))
WHITE = (255, 255, 255)


def text_ink(line: str, font: str, size: int) -> np.ndarray:
    """Coverage (uint8) of one line of text in a real font, cropped to its ink."""
    f = ImageFont.truetype(str(TTF / font), size)
    _, _, right, bottom = f.getbbox(line)
    im = Image.new("L", (right + size, bottom + size), 0)
    ImageDraw.Draw(im).text((size // 2, size // 2), line, fill=255, font=f)
    a = np.asarray(im)
    ys, xs = np.nonzero(a)
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def icon(path: Path) -> np.ndarray:
    """A real RGBA icon cropped to its visible pixels."""
    a = np.asarray(Image.open(path).convert("RGBA"))
    ys, xs = np.nonzero(a[..., 3])
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def canvas(w: int, h: int, colour) -> np.ndarray:
    c = np.empty((h, w, 3), np.uint8)
    c[:] = colour
    return c


def paint(rgb: np.ndarray, cov: np.ndarray, x: int, y: int, ink) -> tuple[int, int, int, int]:
    """Paint coverage ``cov`` in colour ``ink`` at (x, y); return its box."""
    return paste(rgb, np.dstack([np.broadcast_to(np.asarray(ink, np.uint8), (*cov.shape, 3)), cov]), x, y)


def paste(rgb: np.ndarray, rgba: np.ndarray, x: int, y: int) -> tuple[int, int, int, int]:
    """Composite ``rgba`` onto ``rgb`` at (x, y); return its box."""
    h, w = rgba.shape[:2]
    a = rgba[..., 3:] / 255.0
    rgb[y:y + h, x:x + w] = (rgb[y:y + h, x:x + w] * (1 - a) + rgba[..., :3] * a).round()
    return x, y, w, h


def assert_items(picture: Picture, truth: list) -> None:
    """One crop per true item, each matched at IoU ≥ 0.8."""
    crops = split(picture)
    missed = [t for t in truth if not any(iou(t, c) >= 0.8 for c in crops)]
    assert len(crops) == len(truth) and not missed, (len(crops), len(truth), missed, crops[:8])


BANNERS = [  # (font, text, size, background, ink)
    ("DejaVuSerif.ttf", "Free shipping on all orders", 30, (52, 101, 164), WHITE),
    ("STIXGeneral.ttf", "Chapter Three: The Harbour", 40, WHITE, (0, 0, 0)),
    ("DejaVuSansMono.ttf", "git commit -m fix", 22, (250, 250, 240), (40, 40, 40)),
    ("DejaVuSans-Bold.ttf", "SALE", 60, (200, 30, 30), WHITE),
    ("cmr10.ttf", "Proceedings of the Society", 34, (245, 240, 225), (60, 40, 20)),
    ("DejaVuSans.ttf", "minimal jiggly illusion", 24, WHITE, (0, 0, 0)),  # the i's dots make a row of their own
]


@pytest.mark.parametrize("font,line,size,background,ink", BANNERS, ids=[b[0] for b in BANNERS])
def test_a_line_of_text_is_one_picture(font, line, size, background, ink):
    """A banner, button or heading holding one line of words is one picture, not its glyphs."""
    cov = text_ink(line, font, size)
    rgb = canvas(cov.shape[1] + 40, cov.shape[0] + 30, background)
    assert_items(Picture(rgb, None), [paint(rgb, cov, 20, 15, ink)])


@pytest.mark.parametrize("font,line,size", [("DejaVuSerif-Italic.ttf", "PROVISION SHALL BE REFORMED", 48),
                                            ("DejaVuSans-Bold.ttf", "Summer Collection", 40),
                                            ("STIXGeneralItalic.ttf", "Order now and save", 36)])
def test_a_banner_saved_as_a_jpeg_is_one_picture(font, line, size):
    """White words on a saturated blue banner saved as a JPEG: the specks of colour that
    the compression leaves round the letters are no letters, the line is one picture."""
    cov = text_ink(line, font, size)
    rgb = canvas(cov.shape[1] + 40, cov.shape[0] + 30, (43, 54, 222))
    box = paint(rgb, cov, 20, 15, WHITE)
    assert_items(Picture(jpeg(rgb, 75), None), [box])


def spaced_line(words: list[str], font: str, size: int, space: float) -> np.ndarray:
    """Coverage of ``words`` set on one line ``space`` × the font size apart (a banner's
    wide word spacing), cropped to its ink."""
    inks = [text_ink(w, font, size) for w in words]
    height, gap = max(i.shape[0] for i in inks), int(space * size)
    line = np.zeros((height, sum(i.shape[1] for i in inks) + gap * (len(inks) - 1)), np.uint8)
    x = 0
    for i in inks:
        line[height - i.shape[0]:, x:x + i.shape[1]] = i  # bottoms aligned: no descenders here
        x += i.shape[1] + gap
    return line


@pytest.mark.parametrize("font", ["DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "STIXGeneral.ttf"])
def test_a_line_of_widely_spaced_words_is_one_picture(font):
    """A heading whose words stand farther apart than its letters are tall (a word space of
    an em, as wide display type sets them): one picture, not its words."""
    cov = spaced_line(["BIG", "SALE", "NOW", "ON"], font, 40, 1.1)
    rgb = canvas(cov.shape[1] + 40, cov.shape[0] + 30, (250, 246, 236))
    assert_items(Picture(rgb, None), [paint(rgb, cov, 20, 15, (40, 40, 40))])


def tight(word: str, font: str, size: int) -> np.ndarray:
    """Coverage of ``word`` with its letters set so tight they touch (a logo, display type)."""
    inks = [text_ink(c, font, size) for c in word]
    height = max(i.shape[0] for i in inks)
    out = np.zeros((height, sum(i.shape[1] - 4 for i in inks) + 4), np.uint8)
    x = 0
    for i in inks:
        view = out[height - i.shape[0]:, x:x + i.shape[1]]
        np.maximum(view, i, out=view)
        x += i.shape[1] - 4
    return out


def test_a_heading_in_one_piece_over_a_line_of_text_is_one_picture():
    """A bold heading whose letters touch (one piece of ink) over a line of words: the two
    lines are one text picture."""
    head = tight("Of", "DejaVuSans-Bold.ttf", 80)
    line = text_ink("Copyright and licence terms", "DejaVuSansMono-Bold.ttf", 30)
    rgb = canvas(line.shape[1] + 40, head.shape[0] + line.shape[0] + 50, (48, 180, 200))
    top = paint(rgb, head, 20 + (line.shape[1] - head.shape[1]) // 2, 15, (0, 0, 0))
    low = paint(rgb, line, 20, 15 + head.shape[0] + 12, (0, 0, 0))
    x0, y0 = min(top[0], low[0]), top[1]
    box = (x0, y0, max(top[0] + top[2], low[0] + low[2]) - x0, low[1] + low[3] - y0)
    assert_items(Picture(rgb, None), [box])


def test_rows_of_circled_numbers_are_items_not_text():
    """Two rows of circled numbers (a ring round one or two digits, as Unicode's enclosed
    alphanumerics), set close and at uneven gaps: a ring's digits nest inside it, as
    letters never do, so the rows are items, not two lines of text."""
    rgb, truth = canvas(8 * 60 + 20, 2 * 56 + 20, WHITE), []
    for k in range(14):
        r, c = divmod(k, 7)
        digits = text_ink(str(k + 3), "DejaVuSans.ttf", 20)
        x, y = 10 + c * 60 + (0, 7, 2, 8, 3, 6, 1)[(c + 3 * r) % 7], 10 + r * 56
        ring = Image.new("L", (46, 46), 0)
        ImageDraw.Draw(ring).ellipse([0, 0, 45, 45], outline=255, width=3)
        truth.append(paint(rgb, np.asarray(ring), x, y, (0, 0, 0)))
        paint(rgb, digits, x + 23 - digits.shape[1] // 2, y + 23 - digits.shape[0] // 2, (0, 0, 0))
    assert_items(Picture(rgb, None), truth)


def test_the_logo_is_one_picture():
    """matplotlib's logo (a word with a polar plot in its line) fills its frame: one picture."""
    rgba = np.asarray(Image.open(MPL / "sample_data" / "logo2.png").convert("RGBA"))
    rgb = canvas(rgba.shape[1], rgba.shape[0], WHITE)
    paste(rgb, rgba, 0, 0)
    ys, xs = np.nonzero(rgba[..., 3] > 16)
    assert_items(Picture(rgb, None), [(xs.min(), ys.min(), np.ptp(xs) + 1, np.ptp(ys) + 1)])


LABELS = ["Fig. 12", "No. 3", "7", "Fig. 4", "12", "No. 18", "3", "Fig. 9", "21", "No. 5"]
LABELS_ALONE = ["1", "2", "3", "a)", "b)", "(c)", "7", "12", "8.", "10"]  # no word among them
NUMBERED = [f"{n}." for n in range(1, 11)]  # a full stop may stay a speck of its own
FIG = [f"fig {n}" for n in range(1, 11)]  # "fig" is no word-like group: narrower than 1.5x its height
LONE = [list("abcdefghij"), list("klmnopqrst")]  # from x-height ("a") to full height ("j"): 2x
LABEL_FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "STIXGeneral.ttf", "cmr10.ttf", "DejaVuSansMono.ttf"]


@pytest.mark.parametrize("labels", [LABELS, LABELS_ALONE, NUMBERED, FIG, *LONE],
                         ids=["words", "alone", "numbered", "fig", "lone a-j", "lone k-t"])
@pytest.mark.parametrize("pitch", [120, 76], ids=["loose", "tight"])
@pytest.mark.parametrize("where", ["below", "above"])
def test_short_figure_labels_are_no_items(where, pitch, labels):
    """Icons labelled "Fig. 12", "No. 3", a number or letter alone, a number with a full
    stop ("5.", whose stop may stay a speck apart: one label in ten that is no text size
    does not make the labels of several sizes) or a short word and a number ("fig 3", two
    labels side by side that are one) or lower-case letters alone (of one text size,
    though a "j" is nearly twice as tall as an "a"), under or over each icon, in several fonts,
    in loose rows or rows so tight that a label lies nearly as near the next row as its own
    icon: the labels are captions, only the icons are items. (The subplots icon, three bars
    apart, is left out: an item in stacked parts is another weakness.)"""
    rgb, truth = canvas(5 * 110 + 20, 2 * pitch + 20, WHITE), []
    for k, path in enumerate(p for p in ICONS if not p.name.startswith("subplots")):
        r, c = divmod(k, 5)
        im, label = icon(path), text_ink(labels[k], LABEL_FONTS[k % 5], 13)
        x0, y = 10 + c * 110, 10 + r * pitch + (28 if where == "above" else 8)
        truth.append(paste(rgb, im, x0 + (110 - im.shape[1]) // 2, y))
        label_y = y + im.shape[0] + 6 if where == "below" else y - 6 - label.shape[0]
        paint(rgb, label, x0 + (110 - label.shape[1]) // 2, label_y, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("where", ["below", "above"])
def test_small_labels_set_far_from_their_icons_are_no_items(where):
    """Numbers alone in small print, one to each icon, set farther from it than
    half its height (but nearer it than the icons lie to each other, and nearer it than the
    next row): the labels are captions, only the icons are items."""
    rgb, truth = canvas(5 * 110 + 20, 2 * 150 + 20, WHITE), []
    for k, path in enumerate(p for p in ICONS if not p.name.startswith("subplots")):
        r, c = divmod(k, 5)
        im, label = icon(path), text_ink(str(k + 1), LABEL_FONTS[k % 5], 10)
        x0, y = 10 + c * 110, 10 + r * 150 + (70 if where == "above" else 10)
        truth.append(paste(rgb, im, x0 + (110 - im.shape[1]) // 2, y))
        gap = round(0.8 * im.shape[0])
        label_y = y + im.shape[0] + gap if where == "below" else y - gap - label.shape[0]
        paint(rgb, label, x0 + (110 - label.shape[1]) // 2, label_y, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("font", ["DejaVuSerif.ttf", "DejaVuSans.ttf"])
def test_numbers_at_the_head_of_cells_over_tiny_icons_are_no_items(font):
    """Icons centred in their cells, every third one large and the others tiny (10 px, as
    tall as the numbers), each numbered at the head of its cell: a large icon's number lies
    near it, a tiny icon's far above it, farther than it is tall. A row's numbers are set
    on one text line, so each is a label, not only those its icon lies near."""
    rgb, truth = canvas(5 * 85 + 20, 2 * 90 + 20, WHITE), []
    for k, path in enumerate(p for p in ICONS if not p.name.startswith("subplots")):
        r, c = divmod(k, 5)
        x0, y0 = 10 + c * 85, 10 + r * 90
        side = 10 if k % 3 else 40
        im = np.asarray(Image.fromarray(icon(path)).resize((side, side), Image.LANCZOS))
        label = text_ink(str(k + 1), font, 10)
        paint(rgb, label, x0 + (85 - label.shape[1]) // 2, y0, (120, 20, 20))
        truth.append(paste(rgb, im, x0 + (85 - side) // 2, y0 + label.shape[0] + (70 - side) // 2))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("font,space,gap", [("DejaVuSans.ttf", 8, 4), ("DejaVuSans.ttf", 10, 6),
                                            ("DejaVuSerif.ttf", 6, 3), ("cmr10.ttf", 12, 4)])
def test_the_first_rows_numbers_set_above_its_icons_are_no_items(font, space, gap):
    """Icons numbered above, their rows set closer than a number to its icon, so each row's
    numbers lie nearer the row above and caption it, and the first row's numbers caption
    nothing: a line of nothing but labels on a labelled sheet is labels too."""
    icons = [p for p in ICONS if not p.name.startswith("subplots")]
    pitch = 10 + space + 24 + gap
    rgb, truth = canvas(6 * 50 + 20, 3 * pitch + 20, (255, 236, 240)), []
    for k in range(18):
        r, c = divmod(k, 6)
        x0, y0 = 10 + c * 50, 10 + r * pitch
        label = text_ink(str(k + 1), font, 12)
        paint(rgb, label, x0 + (50 - label.shape[1]) // 2, y0, (40, 110, 60))
        im = np.asarray(Image.fromarray(icon(icons[k % len(icons)])).resize((24, 24), Image.LANCZOS))
        truth.append(paste(rgb, im, x0 + 13, y0 + 10 + space))
    assert_items(Picture(rgb, None), truth)


def test_labels_at_the_foot_of_cells_under_short_items_are_no_items():
    """Icons of two sizes top-aligned in their cells, each labelled ("Fig. 3") at the cell's
    foot, so a small icon's label lies far below it but just under its row: the labels are
    captions."""
    rgb, truth = canvas(5 * 110 + 20, 2 * 100 + 20, WHITE), []
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        im = icon(path)
        if k % 2:
            im = np.asarray(Image.fromarray(im).resize((im.shape[1] // 2, im.shape[0] // 2), Image.LANCZOS))
        x0, y0 = 10 + c * 110, 10 + r * 100
        truth.append(paste(rgb, im, x0 + (110 - im.shape[1]) // 2, y0))
        label = text_ink(f"Fig. {k + 1}", LABEL_FONTS[k % 5], 13)
        paint(rgb, label, x0 + (110 - label.shape[1]) // 2, y0 + 48 + 8, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


def test_letters_alone_at_the_foot_of_cells_under_short_pictures_are_no_items():
    """Thumbnails of a photo and, half as tall, of matplotlib's icon, top-aligned in their
    cells, each lettered ("c)") alone at the cell's foot, far below a short thumbnail: a
    short picture owns its label as a tall one does, so every letter is a caption."""
    photo = np.asarray(Image.open(MPL / "sample_data" / "grace_hopper.jpg").convert("RGB"))
    logo = Image.open(MPL / "images" / "matplotlib_large.png").convert("RGB")
    rgb, truth = canvas(5 * 110 + 20, 2 * 100 + 20, WHITE), []
    for k in range(10):
        r, c = divmod(k, 5)
        side = 24 if k % 2 else 48
        tile = Image.fromarray(photo[40 * k:40 * k + 200, 30 * k:30 * k + 200]) if side == 48 else logo
        im = np.asarray(tile.resize((side, side), Image.LANCZOS))
        x0, y0 = 10 + c * 110, 10 + r * 100
        rgb[y0:y0 + side, x0 + (110 - side) // 2:x0 + (110 + side) // 2] = im
        truth.append((x0 + (110 - side) // 2, y0, side, side))
        ink = text_ink(f"{'abcdefghkm'[k]})", LABEL_FONTS[k % 5], 13)
        paint(rgb, ink, x0 + (110 - ink.shape[1]) // 2, y0 + 48 + 8, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


def test_letters_alone_under_small_icons_in_one_ink_are_no_items():
    """Thumbnails of a photo and, half as tall, black toolbar icons, top-aligned in their
    cells, each lettered ("c)") alone at the cell's foot. A small icon in one ink is short
    and printed as a label is, but it is taller than the labels, which are of one text size:
    it owns its letter, so every letter is a caption."""
    photo = np.asarray(Image.open(MPL / "sample_data" / "grace_hopper.jpg").convert("RGB"))
    rgb, truth = canvas(5 * 110 + 20, 2 * 100 + 20, WHITE), []
    for k in range(10):
        r, c = divmod(k, 5)
        x0, y0 = 10 + c * 110, 10 + r * 100
        if k % 2:
            rgba = icon(MPL / "images" / f"{['back', 'filesave', 'home', 'move', 'zoom_to_rect'][k // 2]}_large.png")
            rgba = np.asarray(Image.fromarray(rgba).resize((24 * rgba.shape[1] // rgba.shape[0], 24), Image.LANCZOS))
            truth.append(paste(rgb, rgba, x0 + (110 - rgba.shape[1]) // 2, y0))
        else:
            im = np.asarray(Image.fromarray(photo[40 * k:40 * k + 200, 30 * k:30 * k + 200]).resize((48, 48)))
            rgb[y0:y0 + 48, x0 + 31:x0 + 79] = im
            truth.append((x0 + 31, y0, 48, 48))
        ink = text_ink(f"{'abcdefghkm'[k]})", LABEL_FONTS[k % 5], 13)
        paint(rgb, ink, x0 + (110 - ink.shape[1]) // 2, y0 + 48 + 8, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("font", ["DejaVuSans.ttf", "DejaVuSerif-Bold.ttf", "STIXGeneral.ttf", "cmr10.ttf"])
@pytest.mark.parametrize("size", [14, 16])
def test_words_nearly_as_tall_as_the_tiny_thumbnails_they_label_are_no_items(font, size):
    """Map thumbnails 18 px tall (matplotlib's sample relief in its terrain colours), each
    named by a short word ("pl", "Sp", "u") under it, the words nearly as tall as the
    thumbnails: labels alone as tall as their items, one each, of one size, are labels."""
    relief = np.load(MPL / "sample_data" / "topobathy.npz")["topo"]
    colours = matplotlib.colormaps["terrain"]((relief - relief.min()) / np.ptp(relief))
    words = ["eg", "pl", "Sp", "u", "Ga", "sil", "D", "ba", "St", "Fr", "Bli", "tr"]
    rgb, truth = canvas(6 * 44 + 20, 2 * 50 + 20, (245, 236, 214)), []
    for k, word in enumerate(words):
        r, c = divmod(k, 6)
        x0, y0 = 10 + c * 44, 10 + r * 50
        tile = (colours[5 * k:5 * k + 40, 6 * k:6 * k + 40, :3] * 255).astype(np.uint8)
        rgb[y0:y0 + 18, x0 + 13:x0 + 31] = np.asarray(Image.fromarray(tile).resize((18, 18), Image.LANCZOS))
        truth.append((x0 + 13, y0, 18, 18))
        ink = text_ink(word, font, size)
        paint(rgb, ink, x0 + (44 - ink.shape[1]) // 2, y0 + 22, (130, 20, 20))
    assert_items(Picture(rgb, None), truth)


def test_a_solid_part_on_a_caption_line_is_no_label():
    """Icons 60 and 20 px tall and dominoes (two solid squares, one over the other),
    top-aligned and each captioned "No. 7" just under it, so a short icon's caption runs
    beside a domino's lower square: a label on a caption's line is text, and a solid square
    as tall as the text is none (a full stop is, but it is small). Each domino is one item."""
    rgb, truth = canvas(5 * 110 + 20, 2 * 130 + 20, WHITE), []
    for k in range(10):
        r, c = divmod(k, 5)
        x0, y0 = 10 + c * 110, 10 + r * 130
        if c in (1, 3):
            rgb[y0:y0 + 9, x0 + 50:x0 + 59] = rgb[y0 + 24:y0 + 33, x0 + 50:x0 + 59] = (20, 20, 20)
            truth.append((x0 + 50, y0, 9, 33))
        else:
            rgba, side = icon(ICONS[k]), 20 if c == 2 else 60
            rgba = np.asarray(Image.fromarray(rgba).resize((side * rgba.shape[1] // rgba.shape[0], side), Image.LANCZOS))
            truth.append(paste(rgb, rgba, x0 + (110 - rgba.shape[1]) // 2, y0))
        label = text_ink(f"No. {k + 1}", "DejaVuSans.ttf", 13)
        paint(rgb, label, x0 + (110 - label.shape[1]) // 2, truth[-1][1] + truth[-1][3] + 6, (30, 30, 30))
    assert_items(Picture(rgb, None), truth)


def test_a_photo_running_off_the_frame_is_one_picture():
    """A wallpaper-like picture: a photo bleeding off the right edge of a plain panel that
    covers most of the border. The picture is cut by its frame, so it is one picture."""
    photo = np.asarray(Image.open(MPL / "sample_data" / "grace_hopper.jpg").convert("RGB"))
    h, w = photo.shape[:2]
    rgb = canvas(3 * w, h, (38, 70, 110))
    rgb[:, 2 * w:] = photo
    assert_items(Picture(rgb, None), [(0, 0, 3 * w, h)])


DARK_PHOTOS = [  # (Label Studio's sample photo, inverted, gamma, window row, window column)
    ("kittens.jpg", False, 3.0, 2, 1), ("kittens.jpg", False, 4.0, 1, 0), ("kittens.jpg", False, 4.0, 1, 2),
    ("kittens.jpg", False, 4.0, 2, 1), ("kittens.jpg", True, 4.0, 0, 0),
    ("sample.jpg", False, 4.0, 2, 2), ("sample.jpg", True, 4.0, 2, 2),
]


@pytest.mark.parametrize("lossy", [False, True])
@pytest.mark.parametrize("name,inverted,gamma,row,column", DARK_PHOTOS)
def test_a_dark_photo_whose_frame_varies_as_a_scene_does_is_one_picture(name, inverted, gamma, row, column, lossy):
    """A night shot or an underexposed scan: most of its frame lies near one dark colour,
    the rest is scene, not noise. A half-size window of a real photo (shipped with Label
    Studio, the server this project runs), darkened; the splitter cut each into 4-21 pieces.
    Read as a JPEG (``lossy``), its scene is still no ringing of ink."""
    samples = Path(pytest.importorskip("label_studio").__file__).parent / "core" / "static_build" / "samples"
    photo = np.asarray(Image.open(samples / name).convert("RGB"))
    photo = 255 - photo if inverted else photo
    h, w = photo.shape[:2]
    dark = (255 * (photo / 255.0) ** gamma).astype(np.uint8)
    window = np.ascontiguousarray(dark[row * h // 4:row * h // 4 + h // 2, column * w // 4:column * w // 4 + w // 2])
    assert_items(Picture(window, None, lossy=lossy), [(0, 0, window.shape[1], window.shape[0])])


@pytest.mark.parametrize("grain", [4.0, 7.0])
def test_a_noisy_scan_of_a_sheet_still_splits(grain):
    """The guard for the rule above: scan grain raises the ink tolerance, and the frame,
    noise and all, lies near the paper's colour, so the sheet is still a sheet."""
    rgb = canvas(560, 300, (236, 232, 220))
    truth = [paste(rgb, icon(path), 40 + 120 * (i % 4), 40 + 130 * (i // 4)) for i, path in enumerate(ICONS[:8])]
    noisy = rgb + np.random.default_rng(0).normal(0, grain, rgb.shape)
    assert_items(Picture(np.clip(noisy, 0, 255).astype(np.uint8), None), truth)


def test_icons_on_a_small_page_of_mottled_paper_still_split():
    """Ten icons on a 590 × 280 page of paper mottled by ±25 levels (the dev heap's paper
    texture, ``degrade``) with fine grain: a sheet, one crop an icon."""
    rgb = canvas(5 * 110 + 40, 2 * 120 + 40, (236, 230, 214))
    truth = [paste(rgb, icon(path), 30 + 110 * (i % 5), 30 + 120 * (i // 5)) for i, path in enumerate(ICONS[:10])]
    style = replace(DEV.style, paper=(25.0, 25.0), noise=(3.0, 3.0))  # the dev heap's own paper texture
    paper = degrade(Image.fromarray(rgb).convert("RGBA"), Random(0), style).convert("RGB")
    assert_items(Picture(np.asarray(paper), None), truth)


@pytest.mark.parametrize("seed", range(6))
def test_icons_on_an_unevenly_lit_sheet_still_split(seed):
    """Ten icons on a sheet whose light falls off across it by 20-80 levels (a linear
    gradient or a vignette, the shaded heap's ``degrade``) over mottled paper: the frame
    varies far past the ink tolerance, yet the sheet is a sheet, one crop an icon."""
    rgb = canvas(5 * 120 + 60, 2 * 130 + 60, (244, 240, 232))
    truth = [paste(rgb, icon(path), 40 + 120 * (i % 5), 40 + 130 * (i // 5)) for i, path in enumerate(ICONS[:10])]
    sheet = degrade(Image.fromarray(rgb).convert("RGBA"), Random(seed), SHADED.style).convert("RGB")
    assert_items(Picture(np.asarray(sheet), None), truth)


def lit_unevenly(rgb: np.ndarray, depth: float) -> np.ndarray:
    """``rgb`` darkened from its left edge (full light) to its right by ``depth`` levels."""
    falloff = np.linspace(1, 1 - depth / 255, rgb.shape[1], dtype=np.float32)[None, :, None]
    return (rgb * falloff).round().astype(np.uint8)


def test_a_grey_gradient_wallpaper_with_one_logo_is_one_picture():
    """A wallpaper: the matplotlib logo on grey falling off by 70 levels. Taking the
    gradient off would leave one item on a plain sheet; a sheet lit unevenly shows two
    items or more, so this is one picture, the whole frame."""
    logo = np.asarray(Image.open(MPL / "images" / "matplotlib_large.png").convert("RGBA"))
    rgb = canvas(640, 360, (225, 225, 225))
    paste(rgb, logo, 300, 160)
    assert split(Picture(lit_unevenly(rgb, 70), None)) == [(0, 0, 640, 360)]


def test_a_texture_lit_unevenly_is_one_picture():
    """Dark specks strewn over the whole of a beige frame, lit unevenly: taking the light off
    leaves a plain sheet, but its specks cross the frame (a texture, a photo of a surface),
    so it is one picture, not a sheet of specks."""
    rgb = canvas(600, 400, (226, 214, 190))
    rng = np.random.default_rng(4)
    for y, x in zip(rng.integers(0, 396, 900), rng.integers(0, 594, 900)):
        rgb[y:y + rng.integers(2, 5), x:x + rng.integers(2, 7)] = (120, 100, 80)
    assert split(Picture(lit_unevenly(rgb, 60), None)) == [(0, 0, 600, 400)]


def test_icons_on_a_gradient_between_two_hues_are_one_picture():
    """A gradient fill from blue to purple is designed, not light falling off: its hue
    changes, so the picture is not read as a sheet lit unevenly (open: icons set on such a
    fill stay one picture)."""
    rgb = np.zeros((300, 640, 3), np.uint8)
    rgb[:] = np.linspace((40, 90, 200), (150, 40, 160), 640)[None].round().astype(np.uint8)
    for i, path in enumerate(ICONS[:4]):
        paste(rgb, icon(path), 60 + 150 * i, 120)
    assert split(Picture(rgb, None)) == [(0, 0, 640, 300)]


def framed(rgb: np.ndarray, sides: tuple[int, int, int, int], colour) -> np.ndarray:
    """``rgb`` inside bands of ``colour``, ``sides`` (left, top, right, bottom) px wide,
    grained as a scanned surface is."""
    left, top, right, bottom = sides
    out = canvas(rgb.shape[1] + left + right, rgb.shape[0] + top + bottom, colour).astype(np.float64)
    out += np.random.default_rng(1).normal(0, 3, out.shape)
    out[top:top + rgb.shape[0], left:left + rgb.shape[1]] = rgb
    return np.clip(out, 0, 255).astype(np.uint8)


FRAMES = {  # (sides, colour): a border line round a margin, a scanner's edge, the bed round a page
    "border line": ((2, 2, 2, 2), (40, 40, 40)),
    "scanner's edge on two sides": ((18, 24, 0, 0), (22, 22, 22)),
    "scanner's edge on a short side": ((0, 0, 0, 30), (22, 22, 22)),
    "bed round a page laid in its corner": ((0, 0, 36, 28), (150, 156, 160)),
}


@pytest.mark.parametrize("kind", FRAMES)
def test_icons_on_a_framed_sheet_still_split(kind):
    """Ten icons on a page inside a frame, as scans and saved pictures come: a border line
    drawn round the page's margin, a scanner's dark edge, the scanner's bed showing round
    the page. The frame is not the sheet: read inside it, one crop an icon."""
    page = canvas(5 * 120 + 60, 2 * 130 + 60, (246, 244, 238))
    truth = [paste(page, icon(path), 40 + 120 * (i % 5), 40 + 130 * (i // 5)) for i, path in enumerate(ICONS[:10])]
    sides, colour = FRAMES[kind]
    moved = [(x + sides[0], y + sides[1], w, h) for x, y, w, h in truth]
    assert_items(Picture(framed(page, sides, colour), None), moved)


def test_a_wallpaper_of_icons_on_a_margin_is_one_picture():
    """Icons set on a dark wallpaper, the wallpaper on a wide white margin: the margin is
    the sheet the wallpaper lies on, no frame round a sheet of icons, so it is one picture,
    the wallpaper's box (a band in the colour of the frame's sheet is not peeled)."""
    wall = canvas(600, 360, (52, 50, 64))
    for i, path in enumerate(ICONS[:8]):
        paste(wall, icon(path), 40 + 140 * (i % 4), 60 + 160 * (i // 4))
    rgb = canvas(760, 500, WHITE)
    rgb[60:420, 80:680] = wall
    assert split(Picture(rgb, None)) == [(80, 60, 600, 360)]


def test_a_photo_inside_a_scanners_edge_is_one_picture():
    """A photo scanned with the scanner's dark edge along two sides: its own edge is no
    plain margin, so no band is read and it stays one picture, frame and all."""
    photo = np.asarray(Image.open(MPL / "sample_data" / "grace_hopper.jpg").convert("RGB"))
    rgb = framed(photo, (20, 16, 0, 0), (22, 22, 22))
    assert split(Picture(rgb, None)) == [(0, 0, rgb.shape[1], rgb.shape[0])]


def test_an_icon_on_a_page_inside_a_border_line_is_the_icon():
    """One icon on a page whose margin a border line runs round: read inside the border,
    the page is a single picture on its margin, trimmed to the icon."""
    page = canvas(300, 240, (246, 244, 238))
    x, y, w, h = paste(page, icon(ICONS[3]), 110, 80)
    assert split(Picture(framed(page, (2, 2, 2, 2), (60, 60, 60)), None)) == [(x + 2, y + 2, w, h)]


def test_a_wallpaper_shaded_along_one_side_with_one_logo_is_one_picture():
    """A light wallpaper darkening towards its left side, a logo in its middle: each column
    of the shade is plain, but the shade has no edge (each column a small step from the
    next), so it is no band framing a sheet, and the wallpaper is one picture."""
    logo = np.asarray(Image.open(MPL / "images" / "matplotlib_large.png").convert("RGBA"))
    rgb = canvas(640, 360, (245, 245, 245))
    rgb[:, :240] = np.linspace(205, 245, 240).round().astype(np.uint8)[None, :, None]
    paste(rgb, logo, 300, 160)
    assert split(Picture(rgb, None)) == [(0, 0, 640, 360)]


def test_a_scan_full_of_dust_specks_still_splits():
    """Thousands of dust specks (2 × 2 px, too small to be any item's part) on a scanned
    sheet of icons: more pieces than a sheet holds, but the specks go and the icons are
    the items."""
    rgb = canvas(1200, 900, (240, 236, 226))
    truth = [paste(rgb, icon(path), 100 + 220 * (i % 5), 200 + 300 * (i // 5)) for i, path in enumerate(ICONS)]
    rng = np.random.default_rng(2)
    for row in range(4, 890, 13):  # one speck in each 13 px square, none touching another
        for column in range(4, 1190, 13):
            x, y = column + rng.integers(0, 8), row + rng.integers(0, 8)
            if not any(tx - 3 <= x <= tx + tw + 3 and ty - 3 <= y <= ty + th + 3 for tx, ty, tw, th in truth):
                rgb[y:y + 2, x:x + 2] = (90, 85, 80)
    assert_items(Picture(rgb, None), truth)


CARD_EDGES = [  # (card colour, corner radius, shadow, outline) on a white sheet
    ((228, 232, 240), 0, None, None), ((240, 235, 220), 0, None, None), ((210, 210, 210), 0, None, None),
    ((214, 214, 214), 18, None, None),  # rounded: the corners show the sheet
    ((225, 225, 225), 12, (200, 200, 200), None),  # a shadow along two sides
    ((238, 238, 238), 6, None, (190, 190, 190)),  # a faint card seen by its outline
    ((247, 247, 247), 6, None, (190, 190, 190)),  # 8 levels off the clean sheet: still not the sheet's colour
    ((251, 251, 251), 0, (215, 215, 215), None),  # too faint to be ink: only its shadow shows
    ((251, 251, 251), 4, None, (200, 200, 200)),  # too faint to be ink: only its outline shows
]


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """``rgb`` saved as a JPEG and read back."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


@pytest.mark.parametrize("quality", [30, 50, 75])
def test_icons_on_a_sheet_cut_to_them_and_saved_as_a_jpeg_still_split(quality):
    """Matplotlib's icons in three rows of five, 18 px apart, on a white sheet cut close
    round them (the outer icons touch its frame), saved as a JPEG: its ringing where the
    icons meet the frame read as the sheet's noise, too much for a plain sheet with ink on a
    fifth of its frame, and the sheet was one picture. Ringing within a JPEG block of the
    ink is the ink's: the sheet is plain and each icon a crop."""
    rgb, truth, icons = canvas(5 * 50 - 18, 3 * 50 - 18, WHITE), [], iter(ICONS * 2)
    for r in range(3):
        for c in range(5):
            im = np.asarray(Image.fromarray(icon(next(icons))).resize((32, 32), Image.LANCZOS))
            truth.append(paste(rgb, im, c * 50, r * 50))
    assert_items(Picture(jpeg(rgb, quality), None, format="JPEG", lossy=True), truth)


@pytest.mark.parametrize("quality", [None, 75])
@pytest.mark.parametrize("card,radius,shadow,outline", CARD_EDGES)
def test_items_on_cards_get_their_own_box(card, radius, shadow, outline, quality):
    """Icons each on a plain card a little darker than the sheet, square or rounded, with
    a shadow or an outline, as drawn and saved as a JPEG: the crop is the icon, the card's
    plain margin trimmed."""
    rgb, truth = on_cards(card, radius, shadow, outline)
    assert_items(Picture(jpeg(rgb, quality) if quality else rgb, None), truth)


@pytest.mark.parametrize("scale", [1.5, 2.0, 3.0])
def test_items_on_cards_with_a_shadow_scaled_up_get_their_own_box(scale):
    """The icons on rounded cards with a shadow along two sides, scaled up: the shadow's
    outermost line blends into the sheet, so the shadow lies a pixel inside the item's box
    rather than on its frame, was read as content and the crop was the card. Ink that comes
    within a pixel of the frame and lies no deeper than a band is the card's edge too."""
    rgb, truth = on_cards((225, 225, 225), 12, (200, 200, 200), None)
    big = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    assert_items(Picture(big, None), [tuple(round(scale * v) for v in box) for box in truth])


def on_cards(card, radius: int, shadow, outline) -> tuple[np.ndarray, list]:
    """Matplotlib's icons each on a card (its colour, corner radius, shadow and outline, see
    ``CARD_EDGES``) on a white sheet, and the icons' boxes."""
    sheet, truth, icons = Image.new("RGB", (5 * 100 + 20, 2 * 100 + 20), WHITE), [], []
    draw = ImageDraw.Draw(sheet)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        x0, y0 = 10 + c * 100 + 6, 10 + r * 100 + 6
        if shadow:
            draw.rounded_rectangle([x0 + 3, y0 + 3, x0 + 86, y0 + 86], radius, fill=shadow)
        draw.rounded_rectangle([x0, y0, x0 + 83, y0 + 83], radius, fill=card, outline=outline)
        icons.append((icon(path), x0, y0))
    rgb = np.asarray(sheet).copy()
    for im, x0, y0 in icons:
        truth.append(paste(rgb, im, x0 + (84 - im.shape[1]) // 2, y0 + (84 - im.shape[0]) // 2))
    return rgb, truth


@pytest.mark.parametrize("sheet,card,shadow,quality", [
    (WHITE, (250, 250, 250), (215, 215, 215), None), (WHITE, (250, 250, 250), (215, 215, 215), 75),
    ((236, 251, 232), (222, 238, 219), (200, 214, 196), None)])
def test_items_on_faint_cards_seen_by_their_shadow_get_their_own_box(sheet, card, shadow, quality):
    """Icons each on a card hugging it (3 px of margin), too faint to be ink, its shadow
    offset by 3 px showing along two sides: the crop is the icon, without the shadow.
    (On the green sheet saved as a JPEG, ringing joins specks to some icons that reach
    the shadow's band: open.)"""
    page, truth, icons = Image.new("RGB", (5 * 90 + 20, 2 * 90 + 20), sheet), [], []
    draw = ImageDraw.Draw(page)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        im = icon(path)
        x, y = 20 + c * 90, 20 + r * 90
        h, w = im.shape[:2]
        draw.rectangle([x, y, x + w + 5, y + h + 5], fill=shadow)
        draw.rectangle([x - 3, y - 3, x + w + 2, y + h + 2], fill=card)
        icons.append((im, x, y))
    rgb = np.asarray(page).copy()
    truth = [paste(rgb, im, x, y) for im, x, y in icons]
    assert_items(Picture(jpeg(rgb, quality) if quality else rgb, None), truth)


@pytest.mark.parametrize("margin", [3, 12])
def test_items_on_faint_cards_whose_shadow_grain_breaks_up_get_their_own_box(margin):
    """Icons each on a card too faint to be ink, on a grainy scan: the card's shadow lies
    about as far from the paper as the ink tolerance, so grain breaks it into specks along
    two sides. The specks still line the card: the crop is the icon, without them."""
    paper, card, shadow = np.array([250, 250, 245]), np.array([246, 246, 241]), np.array([208, 208, 203])
    rgb, truth = canvas(5 * 110 + 20, 2 * 110 + 20, paper), []
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        im = icon(path)
        h, w = im.shape[:2]
        x, y = 20 + c * 110, 20 + r * 110
        rgb[y - margin + 3:y + h + margin + 3, x - margin + 3:x + w + margin + 3] = shadow
        rgb[y - margin:y + h + margin, x - margin:x + w + margin] = card
        truth.append(paste(rgb, im, x, y))
    noisy = rgb + np.random.default_rng(1).normal(0, 6.0, rgb.shape)  # ink tolerance 45: the shadow is 42 off
    assert_items(Picture(np.clip(noisy, 0, 255).astype(np.uint8), None), truth)


def test_light_icons_on_a_sheets_cards_get_their_own_box():
    """Icons on tan rounded cards on a beige sheet, four of ten drawn in white: a white
    icon differs from its card hardly more than the card from the sheet (as an app icon's
    own tile would), but the card is coloured as the sheet's other cards, faint beside their
    dark icons: a card too, trimmed to the icon."""
    paper, card = (235, 225, 200), (180, 165, 130)
    sheet, placed = Image.new("RGB", (5 * 100 + 20, 2 * 100 + 20), paper), []
    draw = ImageDraw.Draw(sheet)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        x0, y0 = 10 + c * 100 + 6, 10 + r * 100 + 6
        draw.rounded_rectangle([x0, y0, x0 + 83, y0 + 83], 14, fill=card)
        placed.append((icon(path), x0, y0, (250, 250, 250) if k % 5 in (1, 3) else (0, 0, 0)))
    rgb = np.asarray(sheet).copy()
    truth = [paint(rgb, im[..., 3], x0 + (84 - im.shape[1]) // 2, y0 + (84 - im.shape[0]) // 2, ink)
             for im, x0, y0, ink in placed]
    assert_items(Picture(rgb, None), truth)


def test_a_single_picture_on_a_paper_patch_is_trimmed_to_it():
    """One icon on a patch of paper on a white page: the crop is the icon."""
    rgb = canvas(200, 180, WHITE)
    rgb[20:160, 25:175] = (235, 230, 215)
    im = icon(ICONS[4])
    assert_items(Picture(rgb, None), [paste(rgb, im, 100 - im.shape[1] // 2, 90 - im.shape[0] // 2)])


def test_a_wide_sprite_in_two_colours_under_an_item_is_no_caption():
    """Under each of five icons, a wide sprite of two pieces (a red frame round a blue bar),
    shaped and placed as a word caption would be: a caption is printed in one ink, so the
    sprite is an item, not dropped."""
    rgb, truth = canvas(5 * 110 + 20, 110, (240, 240, 240)), []
    for k, path in enumerate(ICONS[:5]):
        x0 = 10 + k * 110
        truth.append(paste(rgb, im := icon(path), x0 + 30, 10))
        x, y = x0 + 24, 10 + im.shape[0] + 8
        rgb[y:y + 16, x:x + 50] = (200, 30, 30)
        rgb[y + 3:y + 13, x + 3:x + 47] = (240, 240, 240)
        rgb[y + 6:y + 10, x + 8:x + 42] = (30, 60, 200)
        truth.append((x, y, 50, 16))
    assert_items(Picture(rgb, None), truth)


def sprite_cells(background, touching: set, cell=(40, 48), tall: frozenset = frozenset()) -> tuple[Picture, list]:
    """Letter sprites (DejaVu Sans Bold) bottom-aligned in equal cells, 8 a row, 4 rows, no
    gap between cells; the sprites of the cells in ``touching`` (row, column) fill their
    cell's width, so two such cells side by side hold sprites whose ink touches, and those
    in ``tall`` fill its height, touching the sprite set on the floor of the cell above."""
    (cw, ch), truth = cell, []
    rgb = canvas(8 * cw, 4 * ch, background)
    for k, letter in enumerate("HMNWUKXAVYTZEBDRPLFGOQSCJ234567"[:32]):
        r, c = divmod(k, 8)
        g = text_ink(letter, "DejaVuSans-Bold.ttf", 36)
        if (r, c) in touching:
            g = np.asarray(Image.fromarray(g).resize((cw, g.shape[0]), Image.BILINEAR))
        if (r, c) in tall:
            g = np.asarray(Image.fromarray(g).resize((g.shape[1], ch), Image.BILINEAR))
        x, y = c * cw + (cw - g.shape[1]) // 2, r * ch + ch - g.shape[0]
        truth.append(paint(rgb, g, x, y, (20, 90, 30)))
    return Picture(rgb, None), truth


@pytest.mark.parametrize("spacing", [1, 2, 3])
def test_sprites_in_two_parts_packed_in_shelves_are_one_crop_each(spacing):
    """Sprites packed in shelves as a texture packer leaves them: left to right, top-aligned,
    ``spacing`` px apart, the next shelf that far under the tallest. Each sprite is a letter
    in pixel art (DejaVu Sans Bold, of varied sizes, hard-edged) over a gem, a square 10 px
    under it: its parts lie farther apart than the sprites do, but within a shelf (rows that
    no empty row crosses) a run of columns that no empty column crosses is one sprite. Each
    shelf holds letters of all three sizes, so no empty row crosses it between letters and
    gems (a shelf that one crosses, as a row of frames alike may, is cut there)."""
    rgb, truth, (x, y, row) = canvas(200, 240, (255, 0, 255)), [], (0, 0, 0)
    for k, letter in enumerate("HMNWUKXAVYTZEBDRPLFGOQSC"):
        g = np.where(text_ink(letter, "DejaVuSans-Bold.ttf", (22, 30, 36)[k % 3]) > 127, 255, 0).astype(np.uint8)
        ys, xs = np.nonzero(g)
        g = g[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        w, h = g.shape[1], g.shape[0] + 10 + 7
        if x + w > rgb.shape[1]:
            x, y, row = 0, y + row + spacing, 0
        paint(rgb, g, x, y, (20, 90, 30))
        gem = x + (k * 5) % (w - 7)
        rgb[y + h - 7:y + h, gem:gem + 7] = (40, 40, 200)
        truth.append((x, y, w, h))
        x, row = x + w + spacing, max(row, h)
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("background", [(255, 0, 255), (255, 255, 255), (0, 128, 128)])
def test_touching_sprites_in_equal_cells_are_cut_at_the_cells_edges(background):
    """Here and there two sprites fill their cells and touch (one piece of ink): the grid,
    read off the other sprites, cuts them apart at the cells' edge."""
    assert_items(*sprite_cells(background, {(0, 0), (0, 1), (1, 4), (1, 5), (2, 2), (2, 3), (3, 5), (3, 6)}))


@pytest.mark.parametrize("background", [(255, 0, 255), (0, 128, 128)])
@pytest.mark.parametrize("upside_down", [False, True])
def test_a_sprite_filling_its_cell_is_cut_from_its_neighbour_at_the_cells_floor(background, upside_down):
    """Sprites stand on their cells' floor, so the rows' bottoms keep the grid's pitch and
    their tops do not. A "Y" and a "T" fill their cells' height and touch the "M" and "N"
    standing on the floor just above: the cut between them runs along that floor, not
    across the thin stem below it, where fewer ink pixels cross. Upside down, sprites hang
    from their cells' ceiling, and the cut runs along it."""
    picture, truth = sprite_cells(background, set(), tall=frozenset({(1, 1), (1, 2)}))
    if upside_down:
        h = picture.rgb.shape[0]
        picture, truth = Picture(picture.rgb[::-1].copy(), None), [(x, h - y - bh, w, bh) for x, y, w, bh in truth]
    assert_items(picture, truth)


def test_a_sprite_filling_its_cell_in_a_row_of_large_sprites_is_cut_at_the_cells_floor():
    """Letter sprites (DejaVu Sans Bold) stand on the floor of equal cells; the third row
    holds only large ones, so no band of ordinary sprites shows that row's floor and the
    bands keep no pitch. A "T" there fills its cell's height and touches the letter on the
    floor above. The sprites' bottoms do keep the pitch: the cut runs along that floor."""
    (cw, ch), truth = (48, 64), []
    rgb = canvas(8 * cw, 4 * ch, (0, 128, 128))
    for k, letter in enumerate("HMNWUKXAVYZEBDRPLFGOQTSCJ2345678"):
        r, c = divmod(k, 8)
        g = text_ink(letter, "DejaVuSans-Bold.ttf", 60 if r == 2 else 36)
        if letter == "T":
            g = np.asarray(Image.fromarray(g).resize((g.shape[1], ch), Image.BILINEAR))
        truth.append(paint(rgb, g, c * cw + (cw - g.shape[1]) // 2, r * ch + ch - g.shape[0], (20, 90, 30)))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("background", [(0, 128, 128), (255, 255, 255)])
def test_large_sprites_packed_under_a_shelf_of_equal_tiles_stay_whole(background):
    """A packed sheet (shelves 1 px apart): the first shelf holds twelve equal tiles (a
    character in DejaVu Sans Mono Bold on a red tile, 24 × 40 px), which keep a steady pitch
    and are most of the sheet's items; the two shelves under it hold three of matplotlib's
    icons each, stretched to 40 × 40 px: wider than that pitch, and their shelves as tall as
    the tiles'. Items of ordinary size in one row are a row, not a grid: no cell edge is read
    off them to cut the icons."""
    rgb, truth = canvas(300, 125, background), []
    for k, char in enumerate("0123456789AB"):
        tile = np.empty((40, 24, 4), np.uint8)
        tile[:] = (200, 30, 30, 255)
        g = text_ink(char, "DejaVuSansMono-Bold.ttf", 24)
        tile[6:6 + g.shape[0], (24 - g.shape[1]) // 2:(24 - g.shape[1]) // 2 + g.shape[1], :3][g > 127] = 255
        truth.append(paste(rgb, tile, 25 * k, 0))
    for k, path in enumerate(ICONS[:6]):
        im = np.asarray(Image.fromarray(icon(path)).resize((40, 40), Image.NEAREST))
        truth.append(paste(rgb, im, 41 * (k % 3), 41 * (1 + k // 3)))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.xfail(strict=True, reason="open: reading abutting frames lined up along a shelf as a packer's "
                   "neighbours, whatever their sizes, found 77 more stress sprites (17 more wrong crops) but "
                   "only 11 more validation sprites for 22 more wrong crops: not kept")
@pytest.mark.parametrize("background", [(255, 0, 255), (255, 255, 255), (0, 128, 128)])
def test_big_and_small_sprites_packed_with_no_spacing_are_one_crop_each(background):
    """A packer that leaves no spacing sets big sprites by small ones: four shelves of a
    circle, a diamond and a triangle (DejaVu Sans, hard-edged) at 60, 18, 18, 40, 18 and
    60 px in turn, each cropped to its ink and set against the one before it, hanging from
    the shelf's top, each shelf right under the tallest of the one above. Abutting boxes
    differ up to tenfold in size, so likeness says nothing there; the shelf lines them up
    (their tops shared), as a packer does and a picture's parts do not."""
    rgb, truth, y, x_end = canvas(300, 300, background), [], 4, 0
    shapes = iter("\u25cf\u25c6\u25b2\u25cf\u25c6\u25bc" * 4)
    for _ in range(4):
        x, row = 4, 0
        for size in (60, 18, 18, 40, 18, 60):
            g = np.where(text_ink(next(shapes), "DejaVuSans.ttf", size) > 127, 255, 0).astype(np.uint8)
            ys, xs = np.nonzero(g)
            g = g[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            truth.append(paint(rgb, g, x, y, ((20, 90, 30), (200, 40, 40), (30, 30, 160))[len(truth) % 3]))
            x, row = x + g.shape[1], max(row, g.shape[0])
        y, x_end = y + row, max(x_end, x)
    assert_items(Picture(rgb[:y + 4, :x_end + 4].copy(), None), truth)


@pytest.mark.xfail(strict=True, reason="open: cutting an item only where sprites meet (in one row of cells, a "
                   "block of whole cells, or an edge few ink pixels cross) left the validation heap unchanged "
                   "and cost the stress sprites and framed heaps 12 items (opaque sprites edge to edge in "
                   "blocks of no whole cells): not kept")
@pytest.mark.parametrize("background", [(255, 0, 255), (0, 128, 128)])
def test_big_sprites_beside_a_grid_of_small_ones_are_not_cut_at_its_cells(background):
    """Letter sprites in equal cells (``sprite_cells``) and under them three of matplotlib's
    icons at 100 px, 6 px apart: two and a half cells wide, two tall. The grid's edges
    run through the icons, but no sprites meet there: a line through an icon crosses its
    body, or leaves a sliver of its tip less than half a cell wide."""
    grid, truth = sprite_cells(background, set())
    rgb = np.concatenate([grid.rgb, canvas(grid.rgb.shape[1], 120, background)])
    for k, path in enumerate(ICONS[:3]):
        im = np.asarray(Image.fromarray(icon(path)).resize((100, 100), Image.NEAREST))
        truth.append(paste(rgb, im, 4 + 106 * k, grid.rgb.shape[0] + 10))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("background", [(255, 0, 255), (255, 255, 255), (0, 128, 128)])
def test_shapes_packed_with_no_spacing_are_one_crop_each(background):
    """A packer that leaves no spacing: four shelves, each an up and a down triangle twice
    (DejaVu Sans, 40 px) and a dot (16 px), every shape cropped to its ink and set against
    the one before it, each shelf right under the tallest of the one above. Every box abuts
    its neighbours', and the triangles touch the ones above and below tip to base: each
    column of them is one piece. Each shape is one crop: boxes that abut are no parts of one
    item there, and a piece is cut where a pixel or two cross on a shelf's top (where the
    dots, touching nothing, start)."""
    rgb, truth, y = canvas(160, 140, background), [], 5
    for _ in range(4):
        x, row = 5, 0
        for shape, size in (("\u25b2", 40), ("\u25bc", 40), ("\u25b2", 40), ("\u25bc", 40), ("\u25cf", 16)):
            g = text_ink(shape, "DejaVuSans.ttf", size)
            truth.append(paint(rgb, g, x, y, (20, 90, 30)))
            x, row = x + g.shape[1], max(row, g.shape[0])
        y += row
    assert_items(Picture(rgb[:y + 5, :x + 5].copy(), None), truth)


@pytest.mark.xfail(reason="open: whole columns of touching pairs leave the grid without items of ordinary "
                   "size there, so no pitch is read; reading one across empty columns cost the validation "
                   "heap's captioned sheets 4 points of precision", strict=True)
@pytest.mark.parametrize("background", [(255, 0, 255), (255, 255, 255)])
def test_touching_sprites_on_one_background_colour(background):
    """Letter sprites (DejaVu Sans Bold) in equal cells of a sheet flattened onto one
    colour; in every other pair of cells both sprites fill their cell's width, so the two
    touch. Each sprite is one crop, touching or not."""
    rgb, truth, (cw, ch) = canvas(8 * 40, 3 * 48, background), [], (40, 48)
    for k, letter in enumerate("HMNWUKXAVYTZEBDRPLFGOQSC"):
        r, c = divmod(k, 8)
        g = text_ink(letter, "DejaVuSans-Bold.ttf", 36)
        if c % 4 < 2:  # this pair touches
            g = np.asarray(Image.fromarray(g).resize((cw, g.shape[0]), Image.BILINEAR))
        x, y = c * cw + (cw - g.shape[1]) // 2, r * ch + (ch - g.shape[0]) // 2
        truth.append(paint(rgb, g, x, y, (20, 90, 30)))
    assert_items(Picture(rgb, None), truth)


CAPTION_LINES = [["Files: icons/", "Copyright: 2010"], ["License: GPL-3", "Author: Daniel"],
                 ["global3", "text Files: *"], ["Copyright: 2001-2010", "Files: fonts/STIX"],
                 ["end3 Daniel"], ["Upstream-Name:", "glyphs in use", "(c) 2012"]]


def captioned_sheet(font: str, size: int, leading: int) -> tuple[Picture, list]:
    """Small icons, each under a caption of one to three lines set far above it (farther
    than the icon is tall). (Subplots left out, see above.)"""
    rgb, truth = canvas(6 * 130 + 20, 2 * 150 + 20, (236, 238, 228)), []
    for k, path in enumerate(p for p in ICONS if not p.name.startswith("subplots")):
        r, c = divmod(k, 6)
        im = np.asarray(Image.fromarray(icon(path)).resize((24, 24), Image.LANCZOS))
        x0, y0 = 10 + c * 130, 10 + r * 150
        for n, line in enumerate(CAPTION_LINES[k % len(CAPTION_LINES)]):
            paint(rgb, text_ink(line, font, size), x0, y0 + n * leading, (90, 20, 60))
        truth.append(paste(rgb, im, x0 + 40, y0 + 95))
    return Picture(rgb, None), truth


@pytest.mark.parametrize("font,size", [("DejaVuSans.ttf", 10), ("DejaVuSerif.ttf", 9)])
def test_captions_of_several_lines_far_above_small_icons_are_no_items(font, size):
    """Captions in small type, whose letters run together into words: however far from
    their icons and however many lines, they are writing, not items."""
    assert_items(*captioned_sheet(font, size, 14))


@pytest.mark.xfail(strict=True, reason="at 12 px the letters stay apart, not joined into words; reading "
                   "lines of letters as writing cost the validation heap's ruled sheets 4 points of recall")
@pytest.mark.parametrize("font", LABEL_FONTS[:3])
def test_captions_in_letters_far_above_small_icons_are_no_items(font):
    """The same sheet with 12 px captions, the text as tall as the icon's half: its letters
    are pieces of their own."""
    assert_items(*captioned_sheet(font, 12, 17))


TWO_LINE_CAPTIONS = [["greek instrumental", "notation symbol-12"], ["byzantine musical", "symbol ypsili"],
                     ["musical symbol", "four-line staff"], ["byzantine musical", "symbol fthora diatonic"],
                     ["byzantine musical", "symbol diastoli"], ["musical symbol pedal", "mark"]]


@pytest.mark.parametrize("size,leading", [(9, 9), (9, 10), (10, 10)])
def test_captions_of_two_close_lines_far_below_tiny_icons_are_no_items(size, leading):
    """Tiny icons (12 px), each named in two lines of small grey type set close (each
    caption's lines one block) far below it: a block whose every line runs letters side by
    side is writing, as one line is."""
    icons = [p for p in ICONS if not p.name.startswith("subplots")]
    rgb, truth = canvas(3 * 130 + 20, 2 * 120 + 20, (240, 232, 210)), []
    for k, lines in enumerate(TWO_LINE_CAPTIONS):
        r, c = divmod(k, 3)
        x0, y0 = 10 + c * 130, 10 + r * 120
        im = np.asarray(Image.fromarray(icon(icons[k])).resize((12, 12), Image.LANCZOS))
        truth.append(paste(rgb, im, x0 + 59, y0 + 10))
        for n, line in enumerate(lines):
            ink = text_ink(line, "DejaVuSans.ttf", size)
            paint(rgb, ink, x0 + (130 - ink.shape[1]) // 2, y0 + 50 + n * leading, (120, 110, 100))
    assert_items(Picture(rgb, None), truth)


ICON_NAMES = ["back", "save", "forward", "help", "home", "logo", "move", "options", "zoom", "subplot"]


def test_captions_whose_letters_run_together_are_no_items():
    """Toolbar icons captioned with their names in DejaVu Serif, where blur ran the letters of
    most names together into one piece (so they are no word-like group of letters): they
    stand on the text line of the names that are still words, under their icons, and are
    captions too, however few the words."""
    rgb, truth = canvas(5 * 110 + 20, 2 * 110 + 20, (250, 246, 232)), []
    for k, path in enumerate(ICONS[:10]):
        r, c = divmod(k, 5)
        x0, y0 = 20 + c * 110, 14 + r * 110
        truth.append(paste(rgb, icon(path), x0, y0))
        ink = text_ink(ICON_NAMES[k], "DejaVuSerif.ttf", 13)
        if k not in (3, 5, 7):  # help, logo and options stay words
            ink = cv2.dilate(ink, np.ones((1, 3), np.uint8))
        paint(rgb, ink, x0, y0 + 56, (40, 40, 90))
    assert_items(Picture(rgb, None), truth)


def test_captions_beside_a_tall_item_that_took_in_its_own_caption_are_no_items():
    """A row of toolbar icons named below, and a tall integral sign whose foot comes so near
    its own name that the two join. That item reaches into the captions' line from the row
    above; it is not an item of the captions' row, so the other names are still captions."""
    rgb, truth = canvas(6 * 90 + 20, 190, (244, 244, 236)), []
    for k, path in enumerate(ICONS[:2] + ICONS[4:5] + ICONS[6:7] + ICONS[9:10]):
        im = icon(path)
        truth.append(paste(rgb, im, 14 + k * 90, 140 - im.shape[0]))
        paint(rgb, text_ink(ICON_NAMES[[0, 1, 4, 6, 8][k]], "DejaVuSans.ttf", 12), 14 + k * 90, 150, (60, 60, 60))
    tall = text_ink("∫", "DejaVuSans.ttf", 150)
    truth.append(paint(rgb, tall, 464, 147 - tall.shape[0], (20, 20, 20)))
    paint(rgb, text_ink("ankh", "DejaVuSans.ttf", 12), 464, 150, (60, 60, 60))
    assert_items(Picture(rgb, None), truth)


def test_names_at_the_foot_of_cells_beside_a_tall_item_are_no_items():
    """Glyphs of DejaVu Serif set at the top of their cells, each named at the cell's foot,
    far below the short ones; the tallest glyph reaches down to the names' line. The gap is
    read from the foot of the row, that glyph's foot included: the names are captions."""
    rgb, truth = canvas(7 * 80 + 20, 180, WHITE), []
    for k, (glyph, name) in enumerate(zip("A%&Q∫@#", ["ay", "pct", "amp", "queue", "int", "at", "hash"])):
        truth.append(paint(rgb, text_ink(glyph, "DejaVuSerif.ttf", 120 if glyph == "∫" else 44),
                           16 + k * 80, 20, (0, 0, 0)))
        paint(rgb, text_ink(name, "DejaVuSans.ttf", 12), 20 + k * 80, 122, (120, 20, 20))
    assert_items(Picture(rgb, None), truth)


def test_a_ruled_table_holds_one_item_a_cell():
    """DejaVu Sans' dot punctuation (⁘ ∴ ⋮ ∷ …), one glyph a cell of a ruled table: each is
    dots far apart for their size, yet one item, since each cell of a table holds one."""
    rgb, truth = canvas(5 * 120 + 21, 2 * 120 + 21, WHITE), []
    for k, glyph in enumerate("⁘⁙∴∵⋮⁖⋰⋱∶∷"):
        r, c = divmod(k, 5)
        ink = text_ink(glyph, "DejaVuSans.ttf", 100)
        truth.append(paint(rgb, ink, 70 + c * 120 - ink.shape[1] // 2, 120 + r * 120 - ink.shape[0], (20, 90, 40)))
    rgb[:, 10:611:120] = (20, 90, 40)
    rgb[10:251:120] = (20, 90, 40)
    assert_items(Picture(rgb, None), truth)


def turned(rgb: np.ndarray, truth: list, degrees: float, bed=WHITE) -> tuple[np.ndarray, list]:
    """``rgb`` turned anticlockwise by ``degrees`` about its middle, as a page laid askew on a
    scanner (corners the ``bed``'s colour), and each true box the box round its turned corners."""
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    out = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=bed)
    boxes = [(round(x0), round(y0), round(x1 - x0), round(y1 - y0))
             for x0, y0, x1, y1 in (mapped_box(box, m) for box in truth)]
    return out, boxes


def icon_table(rule=(60, 60, 60), side: int | None = None) -> tuple[np.ndarray, list]:
    """Matplotlib's icons (``side`` px square, if given) in a table of three rows of five
    cells ruled 2 px thick in the colour ``rule``, lines running across the page, and the
    icons' boxes."""
    rgb, truth = canvas(5 * 110 + 40, 3 * 110 + 40, WHITE), []
    for k, path in enumerate(ICONS[:15]):
        r, c = divmod(k, 5)
        im = icon(path) if side is None else np.asarray(Image.fromarray(icon(path)).resize((side, side), Image.LANCZOS))
        truth.append(paste(rgb, im, 45 + c * 110, 45 + r * 110))
    for k in range(6):
        rgb[:, 19 + 110 * k:21 + 110 * k] = rule
    for k in range(4):
        rgb[19 + 110 * k:21 + 110 * k, 19:571] = rule
    return rgb, truth


@pytest.mark.parametrize("degrees", [1.0, -1.5, 3.0])
def test_a_ruled_table_scanned_askew_holds_one_item_a_cell(degrees):
    """The icon table scanned a degree or three askew: no row holds a whole rule, so the
    rules were ink and the table one crop; its long straight lines show the angle, and
    turned straight it holds one item a cell."""
    askew, boxes = turned(*icon_table(), degrees)
    assert_items(Picture(askew, None), boxes)


@pytest.mark.parametrize("degrees", [3.0, -3.0, 4.0, -4.0])
def test_small_icons_in_a_table_scanned_askew_get_their_own_box(degrees):
    """The icon table with 20 px icons, scanned three or four degrees askew: read turned
    straight, each icon's box was the box round its corners turned back, grown by the turn
    and by the blur of turning twice, a third too large for so small an item; it is the box
    round its ink turned back."""
    askew, boxes = turned(*icon_table(side=20), degrees)
    assert_items(Picture(askew, None), boxes)


@pytest.mark.parametrize("degrees,bed", [(1.5, (30, 30, 30)), (-2.0, (128, 128, 128)), (3.0, (60, 50, 40))])
def test_icons_on_a_page_askew_on_a_scanners_bed_still_split(degrees, bed):
    """Matplotlib's icons in rows on a cream page, scanned a degree or three askew on a dark
    or grey bed: the bed shows in a wedge at each corner, along half of each side, so the
    frame was no plain sheet and the page one picture. The wedges' edges show the angle;
    turned straight, the page is read inside them."""
    rgb, truth, icons = canvas(10 * 60 + 20, 4 * 60 + 20, (250, 246, 232)), [], iter(ICONS * 4)
    for r in range(4):
        for c in range(10):
            truth.append(paste(rgb, icon(next(icons)), 10 + c * 60 + 12, 10 + r * 60 + 12))
    askew, boxes = turned(rgb, truth, degrees, bed)
    assert_items(Picture(askew, None), boxes)


@pytest.mark.parametrize("columns,pitch,degrees", [(12, 50, 2.0), (16, 50, -1.5), (24, 44, 1.0)])
def test_a_grid_of_icons_scanned_askew_holds_one_item_a_cell(columns, pitch, degrees):
    """Matplotlib's icons in four long rows at a steady pitch, no rules, scanned a degree or
    two askew: each row drifts down across the sheet by more than the space between rows,
    so no empty row parts them and the rows were read as one shelf of a packed sheet, its
    cells (the columns) one item each. Turned by the angle that parts the most rows, the
    icons stand in rows and columns at a steady pitch: one item a cell."""
    rgb, truth, icons = canvas(columns * pitch + 20, 4 * pitch + 20, (250, 246, 232)), [], iter(ICONS * 10)
    for r in range(4):
        for c in range(columns):
            im = np.asarray(Image.fromarray(icon(next(icons))).resize((32, 32), Image.LANCZOS))
            truth.append(paste(rgb, im, 10 + c * pitch + 9, 10 + r * pitch + 9))
    askew, boxes = turned(rgb, truth, degrees)
    assert_items(Picture(askew, None), boxes)


@pytest.mark.parametrize("seed", [2, 5, 36])
def test_icons_scattered_at_random_are_not_read_askew(seed):
    """The guard for the rule above: matplotlib's icons, 16-64 px, scattered at random on a
    wide sheet; turned by some angle, empty rows part them into several rows, but those rows
    keep no pitch, so the sheet is read as it lies (turned, each box grew by the turn)."""
    rng, rgb, truth = Random(seed), canvas(1000, 360, (232, 240, 250)), []
    while len(truth) < 40:
        side = rng.choice([16, 24, 32, 48, 64])
        x, y = rng.randrange(8, 1000 - side - 8), rng.randrange(8, 360 - side - 8)
        if not any(x < b[0] + b[2] + 12 and b[0] < x + side + 12 and y < b[1] + b[3] + 12 and b[1] < y + side + 12
                   for b in truth):
            im = np.asarray(Image.fromarray(icon(ICONS[len(truth) % len(ICONS)])).resize((side, side), Image.LANCZOS))
            truth.append(paste(rgb, im, x, y))
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("quality", [75, 50])
def test_a_ruled_table_saved_as_a_jpeg_and_scaled_up_holds_one_item_a_cell(quality):
    """The icon table ruled in mid grey, saved as a JPEG and scaled up twice: each rule is
    blended into the pixel beside it on either side, a fringe just past the ink tolerance in
    some places only (the JPEG's noise), so the rules were left standing wherever it showed,
    and joined the cells into crops of several icons. A fringe no thicker than a line may be
    is the line's."""
    rgb, truth = icon_table((155, 155, 155))
    big = cv2.resize(jpeg(rgb, quality), None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    assert_items(Picture(big, None, format="JPEG", lossy=True), [tuple(2 * v for v in box) for box in truth])


@pytest.mark.parametrize("frame", [True, False])
def test_a_small_table_ruled_three_pixels_thick_holds_one_item_a_cell(frame):
    """matplotlib's icons in a small table (two rows of six cells, 60 px square, 10 px in
    from the sheet's edge) ruled in 3 px lines, with or without a frame (then one line runs
    between the rows): the lines are erased as rules, though thicker than a hundredth of the
    table's height, and each icon is one crop, not the whole table."""
    rgb, truth, icons = canvas(6 * 60 + 23, 2 * 60 + 23, (250, 240, 245)), [], iter(ICONS * 2)
    for r in range(2):
        for c in range(6):
            im = np.asarray(Image.fromarray(icon(next(icons))).resize((36, 36), Image.LANCZOS))
            truth.append(paste(rgb, im, 10 + c * 60 + 15, 10 + r * 60 + 15))
    inner = slice(1, -1) if not frame else slice(None)
    for at in np.arange(10, 10 + 6 * 60 + 1, 60)[inner]:
        rgb[10:10 + 2 * 60 + 3, at:at + 3] = (120, 20, 30)
    for at in np.arange(10, 10 + 2 * 60 + 1, 60)[inner]:
        rgb[at:at + 3, 10:10 + 6 * 60 + 3] = (120, 20, 30)
    assert_items(Picture(rgb, None), truth)


def test_two_items_stacked_in_one_cell_of_a_grid_stay_two():
    """A grid of tall cells, each holding a small icon at its top and a larger one at its
    foot, and in each row a tall glyph (∫) filling its cell: the stacked icons lie farther
    from each other than from the next row's, so they are two items, not one item's parts."""
    rgb, truth, icons = canvas(4 * 110 + 20, 3 * 170 + 20, WHITE), [], iter(ICONS * 2)
    for r in range(3):
        for c in range(4):
            x0, y0 = 10 + c * 110, 10 + r * 170
            if c == r:  # the glyph joins the row's top and foot into one band
                truth.append(paint(rgb, text_ink("∫", "DejaVuSerif.ttf", 120), x0 + 30, y0 + 20, (0, 0, 0)))
                continue
            for size, y in ((36, y0), (48, y0 + 102)):
                im = np.asarray(Image.fromarray(icon(next(icons))).resize((size, size), Image.LANCZOS))
                truth.append(paste(rgb, im, x0 + (110 - size) // 2, y))
    assert_items(Picture(rgb, None), truth)


def test_neighbours_set_nearer_each_other_than_the_rest_stay_two():
    """A scattered sheet of icons where two pairs of large icons stand 8 px apart, far
    nearer each other than the other icons lie: each pair together is twice an item's
    size, so they are two neighbours, not the parts of one item."""
    rng, icons = np.random.default_rng(7), iter([p for p in ICONS if not p.name.startswith("subplots")] * 2)
    rgb, truth = canvas(5 * 130 + 40, 3 * 110 + 40, WHITE), []
    for k in range(15):
        r, c = divmod(k, 5)
        x, y = 20 + c * 130 + int(rng.integers(0, 25)), 20 + r * 110 + int(rng.integers(0, 25))
        if k in (3, 11):
            truth.append(paste(rgb, icon(MPL / "images" / "matplotlib_large.png"), x, y))
            truth.append(paste(rgb, icon(MPL / "images" / "move_large.png"), x + truth[-1][2] + 8, y + 2))
        else:
            truth.append(paste(rgb, icon(next(icons)), x, y))
    assert_items(Picture(rgb, None), truth)


def test_a_small_icon_under_one_of_like_size_is_no_part_of_it():
    """A scattered sheet of large icons, and three pairs of small ones (48 px and, 22 px
    under it, 36 px): each pair is of like size, far smaller than the sheet's icons, and
    farther apart than half the smaller one's size, so two neighbours, not a glyph's parts."""
    rng, icons = np.random.default_rng(3), iter([p for p in ICONS if not p.name.startswith("subplots")] * 4)
    rgb, truth, taken = canvas(760, 560, WHITE), [], np.zeros((560, 760), bool)
    for k in range(16):
        w, h = (96, 96) if k % 4 else (48, 48 + 22 + 36)
        for _ in range(200):
            x, y = int(rng.integers(10, 750 - w)), int(rng.integers(10, 550 - h))
            if not taken[max(0, y - 30):y + h + 30, max(0, x - 30):x + w + 30].any():
                taken[y:y + h, x:x + w] = True
                break
        else:
            continue
        for side, dx, dy in [(96, 0, 0)] if k % 4 else [(48, 0, 0), (36, 6, 48 + 22)]:
            im = np.asarray(Image.fromarray(icon(next(icons))).resize((side, side), Image.LANCZOS))
            truth.append(paste(rgb, im, x + dx, y + dy))
    assert_items(Picture(rgb, None), truth)


GLYPH_ROWS = ["%÷≡‰¼", "B=:;ij", "«»…¶§"]


def test_rows_of_glyphs_in_one_ink_are_items_not_writing():
    """A symbol sheet from a font: rows of glyphs in one ink on a grid, some in several
    side-by-side pieces, some wide. They are the sheet's items, not a row of writing."""
    rgb, truth = canvas(6 * 70 + 20, len(GLYPH_ROWS) * 70 + 20, WHITE), []
    for r, row in enumerate(GLYPH_ROWS):
        for c, glyph in enumerate(row):
            truth.append(paint(rgb, text_ink(glyph, "DejaVuSans.ttf", 36), 16 + c * 70, 16 + r * 70, (20, 20, 60)))
    assert_items(Picture(rgb, None), truth)




@pytest.mark.parametrize("font,size", [("DejaVuSans.ttf", 12), ("DejaVuSerif.ttf", 10), ("DejaVuSerif.ttf", 12)])
def test_small_print_in_a_row_of_items_makes_no_line_of_text(font, size):
    """Icons side by side with blocks of small print (a licence's opening lines), as
    scraped sheets hold. The row is no line of text: its letters are a sixth of its height.
    The splitter read the whole sheet as one picture of text."""
    rgb, truth, x = canvas(1100, 220, (245, 240, 225)), [], 30
    paragraph = ["This software is", "provided as-is,", "without any", "express or", "implied warranty"]
    for path in ICONS[:4]:
        big = icon(path)
        big = np.asarray(Image.fromarray(big).resize((2 * big.shape[1], 2 * big.shape[0])))
        truth.append(paste(rgb, big, x, 50))
        x += truth[-1][2] + 30
        lines, y = [text_ink(line, font, size) for line in paragraph], 45
        for cov in lines:
            paint(rgb, cov, x, y, (40, 40, 40))
            y += cov.shape[0] + 4
        truth.append((x, 45, max(c.shape[1] for c in lines), y - 4 - 45))
        x += truth[-1][2] + 30
    assert_items(Picture(rgb, None), truth)


@pytest.mark.parametrize("quality", [None, 80])
def test_items_near_a_cards_free_side_get_their_own_box(quality):
    """Icons on grey-green cards whose shadow (5 px) lines the right and bottom sides, each
    icon set 3 px from its card's left side, nearer the frame than the shadow is deep: the
    shadow lines only two sides, so the icon still lies inside the card's plain margin on
    the other two; the crop is the icon, the card and its shadow trimmed."""
    sheet, card, shadow = (236, 251, 232), (180, 194, 175), (150, 162, 146)
    page, icons = Image.new("RGB", (5 * 120 + 20, 2 * 120 + 20), sheet), []
    draw = ImageDraw.Draw(page)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        x0, y0 = 14 + c * 120, 14 + r * 120
        draw.rectangle([x0 + 5, y0 + 5, x0 + 104, y0 + 104], fill=shadow)
        draw.rectangle([x0, y0, x0 + 99, y0 + 99], fill=card)
        icons.append((icon(path), x0, y0))
    rgb = np.asarray(page).copy()
    truth = [paste(rgb, im, x0 + 3, y0 + (100 - im.shape[0]) // 2) for im, x0, y0 in icons]
    assert_items(Picture(jpeg(rgb, quality) if quality else rgb, None), truth)


def test_framed_icons_keep_their_own_frame():
    """Icons each drawn in a white square with a dark frame of its own, on a light green
    sheet: the white face differs from the sheet as a card would, but the frame round it is
    as strong as the icon inside, so it is the item's own: the crop is the framed square."""
    page, icons, truth = Image.new("RGB", (5 * 100 + 20, 2 * 100 + 20), (226, 240, 220)), [], []
    draw = ImageDraw.Draw(page)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        x0, y0 = 20 + c * 100, 20 + r * 100
        draw.rectangle([x0, y0, x0 + 69, y0 + 69], fill=WHITE, outline=(30, 30, 30), width=3)
        icons.append((icon(path), x0, y0))
        truth.append((x0, y0, 70, 70))
    rgb = np.asarray(page).copy()
    for im, x0, y0 in icons:
        paste(rgb, im, x0 + (70 - im.shape[1]) // 2, y0 + (70 - im.shape[0]) // 2)
    assert_items(Picture(rgb, None), truth)


def test_items_on_light_cards_on_a_clouded_sheet_get_their_own_box():
    """Icons on light rounded cards with a shadow, on white paper shaded by broad grey
    clouds, saved as a JPEG: the clouds' slow changes make the sheet's noise as a whole
    exceed the cards' contrast, but each card still stands out from the paper just round it
    (by more than that paper's typical noise there): trimmed to the icon."""
    page, icons = Image.new("RGB", (5 * 110 + 20, 2 * 110 + 20), WHITE), []
    draw = ImageDraw.Draw(page)
    for k, path in enumerate(ICONS):
        r, c = divmod(k, 5)
        x0, y0 = 14 + c * 110, 14 + r * 110
        draw.rounded_rectangle([x0 + 3, y0 + 3, x0 + 92, y0 + 92], 10, fill=(215, 215, 215))
        draw.rounded_rectangle([x0, y0, x0 + 89, y0 + 89], 10, fill=(244, 244, 244))
        icons.append((icon(path), x0, y0))
    rows, cols = np.mgrid[0:page.height, 0:page.width]
    clouds = 14 * np.clip(np.sin(cols / 37.0) * np.cos(rows / 29.0), 0, 1)  # noise 14: the cards are 11 off
    rgb = np.clip(np.asarray(page) - clouds[..., None], 0, 255).astype(np.uint8)
    truth = [paste(rgb, im, x0 + (90 - im.shape[1]) // 2, y0 + (90 - im.shape[0]) // 2) for im, x0, y0 in icons]
    assert_items(Picture(jpeg(rgb, 75), None), truth)


@pytest.mark.parametrize("delta,grain", [(20, 4.0), (22, 5.0), (24, 5.0), (26, 6.0)])
@pytest.mark.parametrize("seed", range(4))
def test_the_grain_of_cards_near_the_ink_tolerance_makes_no_crops(delta, grain, seed):
    """Icons on rounded cards 20-26 levels darker than the paper, scanned with grain: the
    cards lie just within the ink tolerance the grain sets, so the grain's tail on them
    crosses it in specks, up to dozens a sheet, each a crop on no item. An item's ink
    stands well clear of the sheet; specks no farther off than the tolerance and one and a
    half times the noise are the sheet's grain: every crop holds an icon."""
    paper = np.array([236, 230, 214])
    page = Image.new("RGB", (5 * 110 + 20, 2 * 110 + 20), tuple(paper))
    draw = ImageDraw.Draw(page)
    for k in range(10):
        x0, y0 = 14 + (k % 5) * 110, 14 + (k // 5) * 110
        draw.rounded_rectangle([x0, y0, x0 + 95, y0 + 95], 10, fill=tuple(paper - delta))
    rgb = np.array(page)
    truth = [paste(rgb, icon(path), 24 + (k % 5) * 110, 24 + (k // 5) * 110) for k, path in enumerate(ICONS[:10])]
    noisy = rgb + np.random.default_rng(seed).normal(0, grain, (*rgb.shape[:2], 1))
    crops = split(Picture(np.clip(noisy, 0, 255).astype(np.uint8), None))
    off = [c for c in crops if not any(overlap(t, c) for t in truth)]
    assert not off, (len(off), off[:8])


def test_small_symbols_in_a_jpeg_get_their_own_box_without_its_fringes():
    """Light symbols 10-18 px tall on a dark sheet saved as a JPEG (quality 70): the
    compression rings round their sharp edges, specks just past the ink tolerance a pixel or
    two out that widened each small box by a fifth; the crop is the symbol, its fringes
    trimmed. (In full contrast, white on black or black on white, a symbol 8-10 px wide may
    lose an antialiased column fainter than a quarter of its ink, and fail the 0.8 match.)"""
    sheet, ink = (34, 38, 47), (235, 235, 225)
    rgb, placed = canvas(8 * 40 + 20, 3 * 40 + 20, sheet), []
    for k, ch in enumerate("§¶Ω∑≈∞±√¢£¥µ®©ß€†‡•◊αβγδ"):
        coverage = text_ink(ch, "DejaVuSans.ttf", 12 + k % 4)
        placed.append(paint(rgb, coverage, 20 + 40 * (k % 8), 20 + 40 * (k // 8), ink))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=70)
    buf.seek(0)
    assert_items(decode(buf), placed)


def test_a_small_icon_in_another_ink_beside_a_large_one_is_no_part_of_it():
    """Symbolic icons in one ink, some with a small icon in another ink 12 px beside them,
    nearer than half the small one's size, as a dot lies by its stem: a dot is drawn in its
    item's ink, so each small icon stays its own item."""
    navy, orange = (30, 50, 120), (230, 120, 20)
    coverage = [icon(p)[..., 3] for p in ICONS if not p.name.startswith(("subplots", "matplotlib"))]
    rgb, truth = canvas(760, 160, WHITE), []
    for k in range(5):
        large = cv2.resize(coverage[k], (96, 96), interpolation=cv2.INTER_AREA)
        truth.append(paint(rgb, large, 20 + k * 145, 30, navy))
        if k % 2 == 0:
            small = cv2.resize(coverage[-1 - k], (30, 30), interpolation=cv2.INTER_AREA)
            truth.append(paint(rgb, small, 20 + k * 145 + 96 + 12, 30 + 33, orange))
    assert_items(Picture(rgb, None), truth)


def test_two_rows_of_round_patches_are_no_lines_of_text():
    """Icons on round grey patches of one size (within a few pixels), two rows of them
    5-10 px apart with no steady pitch: the patches are as near each other as letters and
    as tall as their row, but of one width and height, as letters are not; so each icon is
    its own item, not the sheet one line of text."""
    rng, coverage = np.random.default_rng(5), [icon(p)[..., 3] for p in ICONS]
    rgb, truth, x = canvas(20 + 9 * 56, 20 + 2 * 56, (232, 232, 232)), [], 10
    for k in range(16):
        x, y = (10, 66) if k == 9 else (x, 10 + (k // 9) * 56 + int(rng.integers(0, 4)))
        side = int(rng.integers(44, 49))
        disc = np.zeros((side, side), np.uint8)
        cv2.circle(disc, (side // 2, side // 2), side // 2 - 1, 255, -1, cv2.LINE_AA)
        paint(rgb, disc, x, y, (180, 180, 180))
        small = cv2.resize(coverage[k % len(coverage)], (22, 22), interpolation=cv2.INTER_AREA)
        truth.append(paint(rgb, small, x + (side - 22) // 2, y + (side - 22) // 2, (20, 90, 40)))
        x += side + int(rng.integers(5, 11))
    assert_items(Picture(rgb, None), truth)
