"""Single pictures that are not collections: text images (banners, buttons, headings) and
photos, textures and illustrations filling most of their frame; truth is the content box."""
from __future__ import annotations

import re
from random import Random

from PIL import Image

from . import items as it
from .layouts import Sheet, single
from .sources import Sources


def luminance(c) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def contrasting(c) -> tuple:
    """Black or white, whichever reads on colour ``c``."""
    return (0, 0, 0) if luminance(c) > 140 else (255, 255, 255)


def far_colour(rng: Random, page) -> tuple:
    """A random colour at least 64 grey levels off ``page`` in some channel."""
    while True:
        c = tuple(rng.randint(0, 255) for _ in range(3))
        if max(abs(a - b) for a, b in zip(c, page)) >= 64:
            return c


def words(rng: Random, src: Sources, most: int) -> str:
    """One to ``most`` consecutive real words, as a heading, a title or capitals."""
    pool = re.findall(r"[A-Za-z][A-Za-z'-]+", rng.choice(src.texts))
    at = rng.randrange(max(1, len(pool) - most))
    text = " ".join(pool[at:at + rng.randint(1, most)]) or "Download"
    return rng.choice([text, text.title(), text.upper(), text.capitalize()])


def text_label(rng: Random, src: Sources, ink) -> Image.Image | None:
    """A line of words, sometimes with a smaller second line in another font."""
    px = int(rng.choice([rng.uniform(14, 30), rng.uniform(24, 60), rng.uniform(48, 110)]))
    lines = [(words(rng, src, 6), it.font(rng.choice(src.text_fonts), px))]
    if rng.random() < 0.3:
        lines.append((words(rng, src, 8), it.font(rng.choice(src.text_fonts), max(10, px // 2))))
    return it.text_lines(lines, ink)


def make_text(rng: Random, src: Sources) -> Sheet:
    """An image that is only text: words on a plain page, a button, or a gradient banner."""
    style = src.style
    dark = rng.random() < 0.3
    page = rng.choice(style.dark_bg if dark else style.light_bg)
    kind = rng.choice(["plain", "button", "button", "banner"])
    if kind == "plain":
        label = text_label(rng, src, rng.choice(style.light_inks if dark else style.inks))
        return single(rng, it.Item(label, "garbage", "text"), page, (2, 80))
    fill = far_colour(rng, page)
    other = far_colour(rng, page) if rng.random() < 0.5 else fill
    label = text_label(rng, src, contrasting(fill))
    pad = (rng.randint(8, 60), rng.randint(4, 30))
    back = it.gradient((label.width + 2 * pad[0], label.height + 2 * pad[1]), fill, other,
                       vertical=rng.random() < 0.7)
    if kind == "banner":  # filling the frame; a flat fill is plain margin, trimmed (EVAL.md)
        img = it.button(label, back, 0, None, pad)
        flat = img.getpixel((0, 0))[:3] if other == fill else None
        return Sheet(img.size, flat, [(0, 0, it.Item(img, "garbage", "banner"))])
    border = contrasting(page) if rng.random() < 0.3 else None
    img = it.button(label, back, rng.randint(0, min(label.height, 24)), border, pad)
    return single(rng, it.Item(img, "garbage", "button"), page, (0, 40))


def make_photo(rng: Random, src: Sources) -> Sheet:
    """A photo, texture, poster or illustration filling most of its frame."""
    kind = rng.choice(["full", "full", "margin", "texture", "poster", "illustration"])
    w = rng.randint(300, 1600)
    h = max(200, int(w * rng.uniform(0.5, 1.4)))
    path = rng.choice(src.photos)
    if kind == "illustration":
        return _illustration(rng, src, min(w, h))
    if kind == "texture":
        img = it.texture(path, rng, w, h)
    else:
        img = it.photo_crop(path, rng, w, h)
    if kind == "poster":
        label = text_label(rng, src, rng.choice([(255, 255, 255), (0, 0, 0), (250, 220, 60)]))
        if label is not None and label.width < w:
            img.paste(label, ((w - label.width) // 2, rng.randint(0, max(0, h - label.height))), label)
    item = it.Item(img.convert("RGBA"), "garbage", kind)
    if kind != "margin":
        return Sheet(img.size, None, [(0, 0, item)])
    edge = max(2, min(w, h) // 25)
    return single(rng, item, rng.choice(src.style.light_bg + src.style.dark_bg), (1, edge))


def _illustration(rng: Random, src: Sources, side: int) -> Sheet:
    """A large icon on a plain page with narrow margins (a bare page when none shows)."""
    theme = src.icons[rng.choice(sorted(src.icons))]
    page = rng.choice(src.style.light_bg)
    for _ in range(20):
        item = it.picture(rng.choice(theme), rng.randint(200, max(201, min(side, 600))))
        if item and it.stands_out(item, page):
            return single(rng, item, page, (2, max(3, item.image.width // 20)))
    return Sheet((side, side), page)
