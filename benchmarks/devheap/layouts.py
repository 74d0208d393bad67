"""Sheet layouts: where items go on a page, and the tight box of each one's visible ink."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from .items import Item, font, text_image

Make = Callable[[int], "Item | None"]  # longest side allowed -> an item (or None)
INK_DIFF = 24  # a pixel is visible ink when a channel differs this much from the background


@dataclass
class Sheet:
    size: tuple[int, int]
    background: tuple | None  # flat RGB, or None for a transparent sheet
    placed: list[tuple[int, int, Item]] = field(default_factory=list)
    decor: list[Callable[[Image.Image], None]] = field(default_factory=list)  # lines, captions
    under: list[Callable[[Image.Image], None]] = field(default_factory=list)  # patches, cards
    grounds: dict[tuple[int, int], tuple] = field(default_factory=dict)  # (x, y) -> patch colour

    def render(self) -> tuple[Image.Image, list[tuple[list[int], str]]]:
        """The sheet as RGBA, and each item's tight visible box ``[x, y, w, h]`` (against
        the patch it sits on, if any) and label. Items that do not show at all are left out."""
        bg = (*self.background, 255) if self.background else (0, 0, 0, 0)
        img = Image.new("RGBA", self.size, bg)
        for draw in self.under:
            draw(img)
        for x, y, item in self.placed:
            img.alpha_composite(item.image, (x, y))
        for draw in self.decor:
            draw(img)
        arr = np.asarray(img)
        boxes = [visible_box(arr, x, y, *item.image.size, self.grounds.get((x, y), self.background))
                 for x, y, item in self.placed]
        if None in boxes:
            self.placed = [p for p, box in zip(self.placed, boxes) if box]
            return self.render()
        return img, [(box, item.label) for box, (_, _, item) in zip(boxes, self.placed)]


def visible_box(arr: np.ndarray, x: int, y: int, w: int, h: int, bg) -> list[int] | None:
    """Tight box of the pixels in the region that differ from the background."""
    region = arr[y:y + h, x:x + w]
    if bg is None:
        mask = region[..., 3] >= 1
    else:
        mask = (np.abs(region[..., :3].astype(int) - bg).max(axis=2) > INK_DIFF)
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    return [int(x + xs.min()), int(y + ys.min()),
            int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def _align(mode: str, cell: int, size: int) -> int:
    return {"center": (cell - size) // 2, "start": 0, "end": cell - size}[mode]


@dataclass(frozen=True)
class Captions:
    """Captions of a grid: a font, a text per cell, how many lines, above or below items."""
    font: Path
    px: int
    text: Callable[[int, Item], str]  # cell index, item -> caption
    lines: int = 1
    above: bool = False


@dataclass(frozen=True)
class Patches:
    """Patches (tiles, cards) under a grid's items, a little off the sheet's background."""
    colour: tuple
    pad: int  # plain margin between the item (or its cell) and the patch's edge
    radius: int
    shadow: tuple | None = None  # colour of a shadow offset down-right
    border: tuple | None = None  # colour of a 1 px outline
    hug: bool = False  # each patch hugs its item, else it fills the item's cell


def grid(rng: Random, make: Make, background, ink, ruled=False, captions: Captions | None = None,
         patches: Patches | None = None) -> Sheet:
    """Items in a regular grid; optionally ruled lines between cells, captions above or under
    the items, or a patch under each item."""
    cell = int(rng.choice([rng.uniform(20, 64), rng.uniform(48, 120), rng.uniform(100, 200)]))
    line = rng.randint(1, 3) if ruled else 0
    pad = rng.randint(4, 14) if ruled else 0
    gap = 2 * pad + line if ruled else rng.randint(6, max(8, cell // 2))
    if patches:
        pad = patches.pad
        gap = 2 * pad + 3 + rng.randint(4, max(6, cell // 3))
    text_h = caption_height(captions) if captions else 0
    space = rng.randint(3, 10) if captions else 0
    band = text_h + space
    cols = rng.randint(3, max(3, min(14, 1800 // (cell + gap))))
    rows = rng.randint(2, max(2, min(10, 1800 // (cell + band + gap), 80 // cols)))
    margin = rng.randint(pad + line + 2, pad + line + 60)
    width = 2 * margin + cols * cell + (cols - 1) * gap
    height = 2 * margin + rows * (cell + band) + (rows - 1) * gap
    sheet = Sheet((width, height), background)
    halign, valign = rng.choice(["center"] * 3 + ["start"]), rng.choice(["center", "end", "start"])
    count = rng.randint(cols * (rows - 1) + 1, cols * rows)
    for i in range(count):
        item = make(cell)
        if item is None:
            continue
        cx = margin + (i % cols) * (cell + gap)
        row_y = margin + (i // cols) * (cell + band + gap)
        cy = row_y + (band if captions and captions.above else 0)
        w, h = item.image.size
        x, y = cx + _align(halign, cell, w), cy + _align(valign, cell, h)
        sheet.placed.append((x, y, item))
        if captions:
            top = row_y if captions.above else cy + cell + space
            sheet.decor.append(_caption(captions.text(i, item), (cx, top), cell, text_h, captions, ink))
        if patches:
            rect = (x, y, x + w, y + h) if patches.hug else (cx, cy, cx + cell, cy + cell)
            sheet.under.append(_patch(patches, rect))
            sheet.grounds[(x, y)] = patches.colour
    if ruled:
        sheet.decor.append(_rules(margin, cell, band, gap, line, cols, rows, ink, rng))
    return sheet


def caption_height(c: Captions) -> int:
    """Height of ``c.lines`` lines of caption text in its font."""
    sample = text_image("\n".join(["Ag"] * c.lines), font(c.font, c.px), (0, 0, 0))
    return sample.height + 2 if sample else c.px * c.lines


def _caption(text: str, at: tuple[int, int], width: int, height: int, c: Captions, ink) -> Callable:
    """Draw ``text`` centred in a box of ``width`` x ``height`` at ``at``, wrapped onto at
    most ``c.lines`` lines and shortened to fit."""
    f = font(c.font, c.px)

    def draw(img: Image.Image) -> None:
        lines, rest = [], text.split()
        while rest and len(lines) < c.lines:
            words = []
            while rest and f.getlength(" ".join(words + rest[:1])) <= width:
                words.append(rest.pop(0))
            if not words:  # one word longer than the cell: cut it
                word = rest.pop(0)
                while word and f.getlength(word) > width:
                    word = word[:-1]
                words = [word] if word else []
            lines.append(" ".join(words))
        label = text_image("\n".join(lines), f, ink) if "".join(lines).strip() else None
        if label is not None:
            label = label.crop((0, 0, min(label.width, width), min(label.height, height)))
            img.alpha_composite(label, (at[0] + (width - label.width) // 2, at[1]))
    return draw


def _patch(p: Patches, rect: tuple[int, int, int, int]) -> Callable:
    """Draw a patch ``p.pad`` beyond ``rect`` (x0, y0, x1, y1), its shadow and outline."""
    x0, y0, x1, y1 = rect[0] - p.pad, rect[1] - p.pad, rect[2] + p.pad - 1, rect[3] + p.pad - 1

    def draw(img: Image.Image) -> None:
        d = ImageDraw.Draw(img)
        if p.shadow:
            d.rounded_rectangle([x0 + 3, y0 + 3, x1 + 3, y1 + 3], p.radius, fill=p.shadow)
        d.rounded_rectangle([x0, y0, x1, y1], p.radius, fill=p.colour, outline=p.border,
                            width=1 if p.border else 0)
    return draw


def _rules(margin, cell, band, gap, line, cols, rows, ink, rng) -> Callable:
    """Draw lines through the middle of the gaps, and sometimes a frame around the grid."""
    colour = tuple(ink) if rng.random() < 0.5 else (150, 150, 150)
    frame = rng.random() < 0.6

    def draw(img: Image.Image) -> None:
        d = ImageDraw.Draw(img)
        x_end, y_end = img.width - margin, img.height - margin
        half = (gap - line) // 2
        xs = [margin + c * (cell + gap) - gap + half for c in range(1, cols)]
        ys = [margin + r * (cell + band + gap) - gap + half for r in range(1, rows)]
        if frame:
            xs, ys = [margin - half - line, *xs, x_end + half], [margin - half - line, *ys, y_end + half]
        for x in xs:
            d.rectangle([x, margin - half - line, x + line - 1, y_end + half + line - 1], fill=colour)
        for y in ys:
            d.rectangle([margin - half - line, y, x_end + half + line - 1, y + line - 1], fill=colour)
    return draw


def scattered(rng: Random, make: Make, background, min_gap: int = 8) -> Sheet:
    """Items of varied sizes at random places, never closer than ``min_gap``."""
    width, height = rng.randint(700, 2000), rng.randint(600, 1600)
    sheet = Sheet((width, height), background)
    rects: list[tuple[int, int, int, int]] = []
    target, misses = rng.randint(10, 50), 0
    margin = rng.randint(min_gap, 60)
    while len(rects) < target and misses < 40:
        item = make(int(np.exp(rng.uniform(np.log(16), np.log(200)))))
        if item is None:
            misses += 1
            continue
        w, h = item.image.size
        for _ in range(40):
            x = rng.randint(margin, max(margin, width - margin - w))
            y = rng.randint(margin, max(margin, height - margin - h))
            if x + w <= width and y + h <= height and not any(
                    x < rx + rw + min_gap and rx < x + w + min_gap and
                    y < ry + rh + min_gap and ry < y + h + min_gap for rx, ry, rw, rh in rects):
                rects.append((x, y, w, h))
                sheet.placed.append((x, y, item))
                break
        else:
            misses += 1
    return sheet


def sprites(rng: Random, items: list[Item], background) -> Sheet:
    """Sprites packed like a game's sheet: equal cells or tight shelves, 0-4 px apart
    (touching at 0)."""
    gap = rng.choice([0, 0, 1, 2, 3, 4])
    margin = rng.randint(0, 8)
    if rng.random() < 0.5:
        return _sprite_cells(rng, items, background, gap, margin)
    width = max(max(i.image.width for i in items) + 2 * margin,
                int(np.sqrt(sum((i.image.width + gap) * (i.image.height + gap) for i in items)) * 1.2))
    placed, x, y, row = [], margin, margin, 0
    for item in items:
        w, h = item.image.size
        if x + w > width - margin:
            x, y, row = margin, y + row + gap, 0
        placed.append((x, y, item))
        x, row = x + w + gap, max(row, h)
    height = y + row + margin
    return Sheet((width, height), background, placed)


def _sprite_cells(rng, items, background, gap, margin) -> Sheet:
    cw = max(i.image.width for i in items)
    ch = max(i.image.height for i in items)
    cols = max(1, min(len(items), int(np.sqrt(len(items) * ch / cw) + 0.5)))
    rows = -(-len(items) // cols)
    sheet = Sheet((2 * margin + cols * (cw + gap) - gap, 2 * margin + rows * (ch + gap) - gap),
                  background)
    for i, item in enumerate(items):
        x = margin + (i % cols) * (cw + gap) + (cw - item.image.width) // 2
        y = margin + (i // cols) * (ch + gap) + ch - item.image.height
        sheet.placed.append((x, y, item))
    return sheet


def single(rng: Random, item: Item, background, margin_range=(8, 120)) -> Sheet:
    """One item on a plain margin."""
    w, h = item.image.size
    left, top, right, bottom = (rng.randint(*margin_range) for _ in range(4))
    return Sheet((w + left + right, h + top + bottom), background, [(left, top, item)])
