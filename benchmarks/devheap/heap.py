"""Build the development heap: collection sheets, single pictures and broken files, with
ground truth (truth.json), the oracle's labels (oracle.jsonl) and broken.json."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from random import Random

from PIL import Image

from . import items as it
from .degrade import degrade, frame
from .layouts import Captions, Patches, Sheet, grid, scattered, single, sprites
from .pictures import make_photo, make_text
from .sets import DEV, SourceSet
from .sources import Sources, debian_sources, offline_sources

DEFAULT_SHEETS = 185
SMALL_SHEETS = 14
LAYOUTS = ["grid", "ruled", "captioned", "scattered", "dark", "sprites", "patches"]
SINGLES = {"single": 4, "text": 6, "photo": 6}  # one file of each per this many sheets
FOLDERS = ["scrape/bing", "scrape/bing/page_2", "scrape/google/icon sets", "scrape/forum/thread_1187",
           "scrape/forum/thread_2290/attachments", "downloads", "downloads/old"]
OPAQUE_EXTS = [".png", ".png", ".PNG", ".jpg", ".jpg", ".jpeg", ".JPG", ".webp", ".gif",
               ".bmp", ".tif", ".TIF"]
ALPHA_EXTS = [".png", ".png", ".PNG", ".webp", ".tif"]
LOSSY = {".jpg", ".jpeg"}
BROKEN = ["empty", "html_as_jpeg", "truncated_jpeg", "one_pixel", "decompression_bomb",
          "text_as_png"]


def build_heap(out: Path, sheets: int = DEFAULT_SHEETS, seed: int = 0,
               offline: bool = False, kit: SourceSet = DEV, layout: str | None = None) -> dict:
    """Write the heap of source set ``kit`` under ``out`` and return a summary of it: every
    layout in turn, single pictures on top, or ``sheets`` files of one ``layout`` only."""
    start = time.monotonic()
    plans = _plans(sheets, layout)
    src = offline_sources() if offline else debian_sources(kit)
    out = Path(out)
    _clear(out)
    truth, names = {}, set()
    for i, layout in enumerate(plans):
        rng = Random(f"{kit.name}:{seed}:{i}")
        img, boxes = make_file(layout, rng, src).render()
        if not boxes:
            continue
        if layout != "sprites" and rng.random() < src.style.degraded:
            img = degrade(img, rng, src.style)
        if src.style.framed and rng.random() < src.style.framed:
            img, (dx, dy) = frame(img, rng)
            boxes = [([x + dx, y + dy, w, h], label) for (x, y, w, h), label in boxes]
        rel = save(img, out, rng, i, names, lossless=layout == "sprites")
        kind = "sprites" if layout == "sprites" else "single" if layout in SINGLES else "sheet"
        truth[rel] = {"kind": kind, "layout": layout,
                      "items": [{"bbox": b, "label": lab} for b, lab in boxes]}
    each = 1 if sheets <= SMALL_SHEETS else 2
    broken = write_broken(out, Random(f"{seed}:broken"), src, each, names)
    _write_json(out, truth, broken)
    return summarize(truth, broken, src, time.monotonic() - start)


def _plans(sheets: int, layout: str | None) -> list[str]:
    """The layout of each file of a heap (see ``build_heap``)."""
    if layout:
        if layout not in LAYOUTS and layout not in SINGLES:
            raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS + list(SINGLES))}")
        return [layout] * sheets
    return ([LAYOUTS[i % len(LAYOUTS)] for i in range(sheets)]
            + [k for k, per in SINGLES.items() for _ in range(max(2, sheets // per))])


def _clear(out: Path) -> None:
    """Start from an empty folder; only a previous heap (with truth.json) is replaced."""
    if out.exists() and any(out.iterdir()):
        if not (out / "truth.json").exists():
            raise FileExistsError(f"{out} is not empty and holds no previous heap")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


# --- what goes on a sheet ----------------------------------------------------------------

def make_file(layout: str, rng: Random, src: Sources) -> Sheet:
    """The sheet or single picture of one file of the given layout."""
    if layout == "single":
        return make_single(rng, src)
    if layout == "text":
        return make_text(rng, src)
    if layout == "photo":
        return make_photo(rng, src)
    return make_sheet(layout, rng, src)


def make_sheet(layout: str, rng: Random, src: Sources) -> Sheet:
    """A collection sheet of the given layout, sometimes mixed with garbage items."""
    if layout == "sprites":
        return sprite_sheet(rng, src)
    style, dark = src.style, layout == "dark"
    background = rng.choice(style.dark_bg if dark else style.light_bg)
    ink = rng.choice(style.light_inks if dark else style.inks)
    junk = rng.uniform(0.1, 0.5) if rng.random() < 0.35 else 0.0
    patches = patch_style(rng, style, background) if layout == "patches" else None
    make = item_maker(rng, src, ink, junk, patches.colour if patches else background)
    if layout == "scattered" or (dark and rng.random() < 0.5):
        return scattered(rng, make, background)
    captions = caption_style(rng, src) if layout == "captioned" else None
    return grid(rng, make, background, ink, ruled=layout == "ruled", captions=captions,
                patches=patches)


def caption_style(rng: Random, src: Sources) -> Captions:
    """Captions of one sheet: the items' names, short figure labels ("Fig. 12", "a)") or
    longer text, on one to three lines, above or below the items, in one of the set's fonts."""
    mode = rng.choice(["name", "short", "short", "long"])
    first, total = rng.choice([1, 1, rng.randint(2, 400)]), rng.randint(20, 500)
    fmt = rng.choice(src.style.short_labels)
    words = rng.choice(src.texts).split()

    def text(i: int, item: it.Item) -> str:
        if mode == "short":
            letter = "abcdefghijklmnopqrstuvwxyz"[i % 26]
            return fmt.format(n=first + i, a=letter, m=total)
        if mode == "long":
            at = (i * 7) % max(1, len(words) - 8)
            return " ".join([item.name, *words[at:at + rng.randint(2, 8)]])
        return item.name
    lines = 1 if mode == "short" else rng.choice([1, 1, 2, 3] if mode == "long" else [1, 1, 2])
    return Captions(rng.choice(src.text_fonts), rng.randint(9, 16), text, lines,
                    above=rng.random() < 0.3)


def patch_style(rng: Random, style, background) -> Patches:
    """Tiles or cards a little lighter or darker than ``background``, rounded or square,
    with a light shadow, an outline or neither."""
    delta = rng.randint(*style.patch_delta) * rng.choice([-1, 1] if max(background) < 240 else [-1])
    colour = tuple(max(0, min(255, c + delta)) for c in background)
    pad = rng.randint(4, 16)
    edge = rng.choice(["none", "none", "shadow", "border"])
    darker = tuple(max(0, c - rng.randint(20, 50)) for c in background)
    return Patches(colour, pad, min(2 * pad, rng.randint(*style.patch_radius)),
                   shadow=darker if edge == "shadow" else None,
                   border=darker if edge == "border" else None, hug=rng.random() < 0.4)


def item_maker(rng: Random, src: Sources, ink, junk: float, background):
    """A function ``side -> Item`` drawing distinct items from one or two sources of one
    kind (glyphs, icons or sprites), with a share ``junk`` of garbage items; every item
    stands out from ``background`` (one-colour icons are tinted with ``ink`` if need be)."""
    kind = rng.choices(["glyph", "icon", "sprite"], weights=[45, 40, 15])[0]
    if kind == "glyph":
        fonts = rng.sample(src.fonts, min(len(src.fonts), rng.choice([1, 1, 2])))
        pool = [(f, cp) for f in fonts for cp in rng.sample(f.codepoints, min(300, len(f.codepoints)))]
        symbol = lambda side, f, cp: _fit(it.glyph(f, cp, int(side * rng.uniform(0.7, 1.1)), ink), side)
    elif kind == "icon":
        theme = src.icons[rng.choice(sorted(src.icons))]
        pool = [(p,) for p in rng.sample(theme, min(300, len(theme)))]
        symbol = lambda side, p: it.picture(p, max(10, int(side * rng.uniform(0.6, 1.0))))
    else:
        refs = src.sprites[rng.choice(sorted(src.sprites))]
        pool = [(r,) for r in rng.sample(refs, min(300, len(refs)))]
        symbol = lambda side, r: _fit(it.sprite(r), side)
    rng.shuffle(pool)
    seen: set[bytes] = set()

    def make(side: int) -> it.Item | None:
        if rng.random() < junk:
            item = garbage(rng, src, ink, side)
            return item if item and it.stands_out(item, background) else None
        while pool:
            item = symbol(side, *pool.pop())
            if item and not it.stands_out(item, background):
                item = it.tinted(item, ink)
            if item and _new(item, seen):
                return item
        return None
    return make


def _fit(item: it.Item | None, side: int) -> it.Item | None:
    """Shrink an item whose longer side exceeds ``side``."""
    if item is None or max(item.image.size) <= side:
        return item
    img = it.scale(item.image, side)
    return it.Item(img, item.label, item.name) if img and max(img.size) >= 10 else None


def _new(item: it.Item, seen: set[bytes]) -> bool:
    """True the first time a sheet meets this exact picture."""
    key = hashlib.sha1(item.image.tobytes() + bytes(str(item.image.size), "ascii")).digest()
    if key in seen:
        return False
    seen.add(key)
    return True


def garbage(rng: Random, src: Sources, ink, side: int) -> it.Item | None:
    """A photo thumbnail or, on room enough, a block of text."""
    if side >= 60 and rng.random() < 0.4:
        text = rng.choice(src.texts)
        return it.text_block(rng.choice(src.text_fonts), text, rng, side, ink)
    return it.thumbnail(rng.choice(src.photos), rng, max(16, int(side * rng.uniform(0.6, 1.0))))


def sprite_sheet(rng: Random, src: Sources) -> Sheet:
    """Sprites of one game in short runs of consecutive files or frames, so that some
    animation frames stay together."""
    refs = src.sprites[rng.choice(sorted(src.sprites))]
    count, zoom = rng.randint(8, 60), rng.choice([1, 1, 1, 2])
    seen: set[bytes] = set()
    background = rng.choice(src.style.sprite_bg)
    chosen: list[it.Item] = []
    for _ in range(count):
        start = rng.randrange(len(refs))
        run = [it.sprite(r, zoom) for r in refs[start:start + rng.randint(1, 8)]]
        chosen += [s for s in run if s and it.stands_out(s, background) and _new(s, seen)]
        if len(chosen) >= count:
            break
    chosen = chosen[:count]
    if not chosen:
        return Sheet((32, 32), (255, 255, 255))
    return sprites(rng, chosen, background)


def make_single(rng: Random, src: Sources) -> Sheet:
    """A single picture: a resized photo (garbage), or an icon or glyph on a plain margin."""
    if rng.random() < 0.5:
        img = it.photo(rng.choice(src.photos))
        side = rng.randint(300, 1600)
        f = side / max(img.size)
        img = img.resize((max(1, int(img.width * f)), max(1, int(img.height * f))), Image.LANCZOS)
        item = it.Item(img.convert("RGBA"), "garbage", "photo")
        if rng.random() < 0.5:
            return Sheet(img.size, None, [(0, 0, item)])
        return single(rng, item, rng.choice([(255, 255, 255), (0, 0, 0), (240, 240, 240)]))
    background = rng.choice(src.style.light_bg)
    make = item_maker(rng, src, rng.choice(src.style.inks), 0.0, background)
    item = next(filter(None, (make(rng.randint(48, 400)) for _ in range(50))))
    return single(rng, item, background)


# --- files ---------------------------------------------------------------------------------

def save(img: Image.Image, out: Path, rng: Random, index: int, names: set,
         lossless: bool = False) -> str:
    """Save under a scrape-like folder and name, in a random format (one that keeps the
    transparency of a transparent sheet); return the path relative to ``out``."""
    opaque = img.getextrema()[3][0] == 255
    exts = OPAQUE_EXTS if opaque else ALPHA_EXTS
    ext = rng.choice([e for e in exts if e.lower() not in LOSSY] if lossless else exts)
    rel = _name(rng, index, ext, names)
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = ext.lower()
    if opaque:
        img = img.convert("RGB")
        if fmt in (".png", ".tif") and _grey(img) and rng.random() < 0.5:
            img = img.convert("L")
    if fmt in (".jpg", ".jpeg"):
        img.save(path, "JPEG", quality=rng.randint(60, 90))
    elif fmt == ".webp":
        img.save(path, "WEBP", lossless=lossless or not opaque, quality=rng.randint(80, 95))
    elif fmt == ".gif":
        img.convert("P", palette=Image.ADAPTIVE, colors=256).save(path, "GIF")
    elif fmt == ".tif":
        img.save(path, "TIFF", compression="tiff_deflate")
    else:
        img.save(path, fmt.lstrip(".").upper())
    return rel


def _grey(img: Image.Image) -> bool:
    r, g, b = img.split()
    return r.tobytes() == g.tobytes() == b.tobytes()


def _name(rng: Random, index: int, ext: str, names: set) -> str:
    stem = rng.choice([f"sheet_{index:04d}", f"IMG_{rng.randint(1000, 9999)}",
                       f"{rng.getrandbits(40):010x}", f"icons pack {index}", f"sprites-{index}"])
    rel = f"{rng.choice(FOLDERS)}/{stem}{ext}"
    while rel.lower() in names:
        rel = rel.replace(ext, f"-{index}{ext}")
    names.add(rel.lower())
    return rel


def write_broken(out: Path, rng: Random, src: Sources, each: int, names: set) -> dict[str, str]:
    """Unusable files, each named with the kind of failure expected."""
    photo = io.BytesIO()
    it.photo_crop(src.photos[0], rng, 640, 480).save(photo, "JPEG", quality=85)
    one = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 255, 255)).save(one, "PNG")
    data = {
        "empty": (".jpg", b""),
        "html_as_jpeg": (".jpg", b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title>"
                                 b"</head><body><h1>Forbidden</h1></body></html>\n"),
        "truncated_jpeg": (".jpg", photo.getvalue()[: len(photo.getvalue()) * 2 // 5]),
        "one_pixel": (".png", one.getvalue()),
        "decompression_bomb": (".png", bomb_png(100_000, 100_000)),
        "text_as_png": (".PNG", b"This is not a picture.\nThumbnail unavailable.\n"),
    }
    broken = {}
    for n in range(each):
        for kind in BROKEN:
            ext, payload = data[kind]
            rel = _name(rng, 10_000 + len(broken), ext, names)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(payload)
            broken[rel] = kind
    return broken


def bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` grey pixels."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _write_json(out: Path, truth: dict, broken: dict) -> None:
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True))
    (out / "broken.json").write_text(json.dumps(broken, indent=1, sort_keys=True))
    with open(out / "oracle.jsonl", "w") as f:
        for src in sorted(truth):
            for item in truth[src]["items"]:
                f.write(json.dumps({"source": src, "bbox": item["bbox"], "label": item["label"]}) + "\n")


def summarize(truth: dict, broken: dict, src: Sources, seconds: float) -> dict:
    """Counts of files and items per layout and label, and the material used."""
    layouts: dict[str, Counter] = defaultdict(Counter)
    for t in truth.values():
        c = layouts[t["layout"]]
        c["files"] += 1
        c.update(i["label"] for i in t["items"])
    return {"files": len(truth), "items": sum(len(t["items"]) for t in truth.values()),
            "layouts": {k: dict(v) for k, v in sorted(layouts.items())},
            "broken": len(broken), "packages": src.packages,
            "download_bytes": sum(src.packages.values()), "seconds": round(seconds, 1)}
