"""Items placed on sheets: RGBA pictures trimmed to their visible ink, with a label."""
from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from random import Random

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .sources import FontSource, SpriteRef, photo

MIN_ALPHA = 16  # alpha below this is dropped, so an item's box is its visible ink
MIN_CLEAR = 0.03  # a sprite has at least this share of transparent pixels in its box


@dataclass
class Item:
    image: Image.Image  # RGBA; every border row and column holds some ink
    label: str  # "symbol" or "garbage"
    name: str  # what a caption under it would say


def trim(rgba: Image.Image) -> Image.Image | None:
    """Drop faint alpha and crop to the remaining ink; None when nothing is left."""
    a = np.array(rgba.convert("RGBA"))
    a[a[..., 3] < MIN_ALPHA, 3] = 0
    ys, xs = np.nonzero(a[..., 3])
    if not len(xs):
        return None
    return Image.fromarray(a[ys.min():ys.max() + 1, xs.min():xs.max() + 1])


def stands_out(item: Item, background) -> bool:
    """True when most of the item's solid pixels clearly differ from a flat background."""
    if background is None:
        return True
    a = np.asarray(item.image).astype(int)
    solid = a[..., 3] >= 128
    far = np.abs(a[..., :3] - background).max(axis=2) > 48
    return solid.any() and np.count_nonzero(far & solid) >= 0.5 * np.count_nonzero(solid)


def tinted(item: Item, ink) -> Item | None:
    """A one-colour item (a symbolic icon) redrawn in ``ink``; None for a colourful one."""
    a = np.array(item.image)
    solid = a[..., 3] >= 128
    if not solid.any() or a[solid][:, :3].std(axis=0).max() > 24:
        return None
    a[..., :3] = ink
    return Item(Image.fromarray(a), item.label, item.name)


def scale(img: Image.Image, side: int, nearest: bool = False) -> Image.Image | None:
    """Resize so the longer side is ``side`` (keeping the aspect), then re-trim."""
    f = side / max(img.size)
    size = (max(1, round(img.width * f)), max(1, round(img.height * f)))
    return trim(img.resize(size, Image.NEAREST if nearest else Image.LANCZOS))


@lru_cache(maxsize=128)
def font(path: Path, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), px)


def glyph(src: FontSource, cp: int, px: int, ink: tuple) -> Item | None:
    """One glyph rendered at ``px`` in colour ``ink``; None when it renders (nearly) empty."""
    f, ch = font(src.path, px), chr(cp)
    left, top, right, bottom = f.getbbox(ch)
    if right <= left or bottom <= top:
        return None
    mask = Image.new("L", (right - left + 4, bottom - top + 4))
    ImageDraw.Draw(mask).text((2 - left, 2 - top), ch, font=f, fill=255)
    rgba = Image.new("RGBA", mask.size, tuple(ink) + (0,))
    rgba.putalpha(mask)
    img = trim(rgba)
    if img is None or max(img.size) < 10 or np.count_nonzero(np.array(img)[..., 3]) < 30:
        return None
    name = unicodedata.name(ch, f"U+{cp:04X}").lower()
    return Item(img, "symbol", name)


@lru_cache(maxsize=256)
def _rgba(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGBA")


def _cut(path: Path, frame=None, key=None) -> Image.Image | None:
    """The picture at ``path`` (or one ``frame`` of it, its ``key`` colour transparent)
    trimmed to its ink."""
    try:
        img = _rgba(path)
    except (OSError, ValueError):
        return None
    if frame:
        x, y, w, h = frame
        img = img.crop((x, y, x + w, y + h))
    if key:
        a = np.array(img)
        a[(a[..., :3] == key).all(axis=2), 3] = 0
        img = Image.fromarray(a)
    img = trim(img)
    return img if img is not None and min(img.size) >= 3 else None


def _item(img: Image.Image | None, path: Path) -> Item | None:
    if img is None or max(img.size) < 10:
        return None
    return Item(img, "symbol", path.stem.replace("_", " "))


def picture(path: Path, side: int) -> Item | None:
    """An icon scaled so its longer side is ``side``."""
    img = _cut(path)
    return _item(scale(img, side) if img is not None else None, path)


def sprite(ref: SpriteRef, zoom: int = 1) -> Item | None:
    """A game sprite at its own pixel size times ``zoom``, at most 200 px."""
    img = _cut(ref.path, ref.frame, ref.key)
    if img is None or np.mean(np.asarray(img)[..., 3] < 255) < MIN_CLEAR:
        return None  # an opaque tile or texture, not a sprite
    side = max(img.size) * zoom
    if side > 200:
        img = scale(img, 200)
    elif zoom > 1:
        img = scale(img, side, nearest=True)
    return _item(img, ref.path)


def photo_crop(path: Path, rng: Random, w: int, h: int) -> Image.Image:
    """A random part of a photo with the aspect of ``w`` x ``h``, resized to it."""
    im = photo(path)
    f = rng.uniform(0.3, 1.0) * min(im.width / w, im.height / h)
    cw, ch = max(1, int(w * f)), max(1, int(h * f))
    x, y = rng.randint(0, im.width - cw), rng.randint(0, im.height - ch)
    return im.crop((x, y, x + cw, y + ch)).resize((w, h), Image.LANCZOS)


def thumbnail(path: Path, rng: Random, side: int) -> Item:
    """A garbage item: a small photo thumbnail."""
    aspect = rng.uniform(0.6, 1.7)
    w, h = (side, max(8, int(side / aspect))) if aspect > 1 else (max(8, int(side * aspect)), side)
    return Item(photo_crop(path, rng, w, h).convert("RGBA"), "garbage", path.stem)


def text_block(font_path: Path, text: str, rng: Random, side: int, ink: tuple) -> Item | None:
    """A garbage item: a few lines of real prose no wider than ``side``."""
    f = font(font_path, rng.randint(9, 15))
    chars = max(8, int(side / (f.size * 0.55)))
    lines = textwrap.wrap(text, chars)[: rng.randint(2, 7)]
    img = text_image("\n".join(lines), f, ink)
    if img is None:
        return None
    if max(img.size) > side:
        img = scale(img, side)
    return Item(img, "garbage", "text") if img else None


def text_image(text: str, f: ImageFont.FreeTypeFont, ink: tuple) -> Image.Image | None:
    """``text`` drawn in ``ink`` on transparency, trimmed."""
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).multiline_textbbox(
        (0, 0), text, font=f, spacing=3)
    mask = Image.new("L", (right - left + 4, bottom - top + 4))
    ImageDraw.Draw(mask).multiline_text((2 - left, 2 - top), text, font=f, fill=255, spacing=3)
    rgba = Image.new("RGBA", mask.size, tuple(ink) + (0,))
    rgba.putalpha(mask)
    return trim(rgba)


def text_lines(lines: list[tuple[str, ImageFont.FreeTypeFont]], ink: tuple) -> Image.Image | None:
    """Lines of text, each in its own font, stacked and centred, on transparency, trimmed."""
    parts = [p for p in (text_image(t, f, ink) for t, f in lines if t.strip()) if p is not None]
    if not parts:
        return None
    gap = max(2, parts[0].height // 4)
    out = Image.new("RGBA", (max(p.width for p in parts), sum(p.height for p in parts)
                             + gap * (len(parts) - 1)), tuple(ink) + (0,))
    y = 0
    for p in parts:
        out.alpha_composite(p, ((out.width - p.width) // 2, y))
        y += p.height + gap
    return trim(out)


def gradient(size: tuple[int, int], a: tuple, b: tuple, vertical: bool) -> Image.Image:
    """An opaque RGBA linear gradient from colour ``a`` to ``b``."""
    w, h = size
    t = np.linspace(0, 1, h if vertical else w)
    t = np.broadcast_to(t[:, None] if vertical else t[None, :], (h, w))[..., None]
    rgb = (np.array(a) * (1 - t) + np.array(b) * t).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, np.full((h, w), 255, np.uint8)]), "RGBA")


def button(label: Image.Image, fill: Image.Image, radius: int, border: tuple | None,
           pad: tuple[int, int]) -> Image.Image:
    """``label`` (RGBA text) on a rounded ``fill`` (an RGBA picture) ``pad`` = (x, y) px
    beyond the text, with an optional 1 px ``border``."""
    w, h = label.width + 2 * pad[0], label.height + 2 * pad[1]
    mask = Image.new("L", (w, h))
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius, fill=255)
    out = Image.new("RGBA", (w, h))
    out.paste(fill.resize((w, h)), (0, 0), mask)
    if border:
        ImageDraw.Draw(out).rounded_rectangle([0, 0, w - 1, h - 1], radius, outline=border, width=1)
    out.alpha_composite(label, pad)
    return out


def texture(path: Path, rng: Random, w: int, h: int) -> Image.Image:
    """A small patch of a photo mirror-tiled over ``w`` x ``h``: a seamless texture."""
    tile = photo_crop(path, rng, rng.randint(48, 160), rng.randint(48, 160))
    quad = Image.new("RGB", (tile.width * 2, tile.height * 2))
    for fx, fy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        t = tile.transpose(Image.FLIP_LEFT_RIGHT) if fx else tile
        quad.paste(t.transpose(Image.FLIP_TOP_BOTTOM) if fy else t, (fx * tile.width, fy * tile.height))
    out = Image.new("RGB", (w, h))
    for y in range(0, h, quad.height):
        for x in range(0, w, quad.width):
            out.paste(quad, (x, y))
    return out
