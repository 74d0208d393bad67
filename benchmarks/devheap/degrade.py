"""Scan noise, paper texture and uneven lighting over a rendered opaque sheet (truth boxes
are taken before), and the frames round a scanned or saved picture."""
from __future__ import annotations

import math
from random import Random

import numpy as np
from PIL import Image

from .sets import Style

PAPER_CELL = 48  # px between the random points a paper texture is smoothed from


def degrade(img: Image.Image, rng: Random, style: Style) -> Image.Image:
    """``img`` with a smooth paper texture, per-pixel noise of the style's strength and, where
    the style has shading, light falling off across it; a transparent image is returned as
    it is."""
    if img.getextrema()[3][0] < 255:
        return img
    gen = np.random.default_rng(rng.getrandbits(32))
    w, h = img.size
    coarse = gen.uniform(-1, 1, (h // PAPER_CELL + 2, w // PAPER_CELL + 2)).astype(np.float32)
    paper = np.asarray(Image.fromarray(coarse, "F").resize((w, h), Image.BICUBIC))
    grain = gen.normal(0, rng.uniform(*style.noise), (h, w, 1))
    rgb = np.asarray(img.convert("RGB")).astype(np.float32)
    if style.shading[1] > 0:
        rgb *= 1 - rng.uniform(*style.shading) / 255 * _falloff(w, h, rng)[..., None]
    rgb += paper[..., None] * rng.uniform(*style.paper) + grain
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).convert("RGBA")


def _falloff(w: int, h: int, rng: Random) -> np.ndarray:
    """How far each pixel lies in the shade, 0 (full light) to 1: a linear gradient across
    the sheet in a random direction, or a vignette round a point near its middle."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * math.pi)
        along = x * math.cos(angle) + y * math.sin(angle)
        return (along - along.min()) / max(float(np.ptp(along)), 1.0)
    cx, cy = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7)
    far = np.hypot(x - cx, y - cy)
    return (far / max(float(far.max()), 1.0)) ** 2


def frame(img: Image.Image, rng: Random) -> tuple[Image.Image, tuple[int, int]]:
    """An opaque ``img`` framed as a scan or a saved picture, and how far its content moved
    (left, top): a border line drawn round a margin of the sheet's own colour, a scanner's
    dark edge along one or two adjacent sides, or the scanner's bed or a table (2-4 sides)
    showing round the page. Transparent images are returned as they are."""
    if img.getextrema()[3][0] < 255:
        return img, (0, 0)
    rgb = np.asarray(img.convert("RGB"))
    rgb, inside, sides, colour = {"border": _border, "edge": _edge, "bed": _bed}[
        rng.choice(["border", "edge", "bed"])](rgb, rng)
    framed = _pad(rgb, sides, np.array(colour, np.float64))
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0, 3, framed.shape)
    mask = np.ones(framed.shape[:2], bool)
    mask[sides[1]:framed.shape[0] - sides[3], sides[0]:framed.shape[1] - sides[2]] = False
    framed[mask] += noise[mask]  # the frame is a scanned surface, not a flat fill
    out = Image.fromarray(np.clip(framed, 0, 255).astype(np.uint8)).convert("RGBA")
    return out, (sides[0] + inside, sides[1] + inside)


def _border(rgb: np.ndarray, rng: Random) -> tuple[np.ndarray, int, list, tuple]:
    """A 1-4 px line contrasting with the sheet round a 3-24 px margin of its colour:
    (the sheet with its margin, the margin, the line's width per side, its colour)."""
    paper = np.median(np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]), axis=0)
    margin = rng.randint(3, 24)
    line = (rng.randint(0, 90) if paper.mean() > 128 else rng.randint(170, 255),) * 3
    return _pad(rgb, (margin,) * 4, paper), margin, [rng.randint(1, 4)] * 4, line


def _edge(rgb: np.ndarray, rng: Random) -> tuple[np.ndarray, int, list, tuple]:
    """A scanner's dark edge, 6-40 px, along one side or two adjacent ones (as ``_border``)."""
    first, sides = rng.randrange(4), [0] * 4
    for side in {first, (first + rng.choice([1, 3])) % 4} if rng.random() < 0.5 else {first}:
        sides[side] = rng.randint(6, 40)
    return rgb, 0, sides, (rng.randint(5, 60),) * 3


def _bed(rgb: np.ndarray, rng: Random) -> tuple[np.ndarray, int, list, tuple]:
    """A scanner's bed or a table, 10-60 px, in a mid colour round the page (as ``_border``)."""
    sides = [rng.randint(10, 60) if rng.random() < 0.75 else 0 for _ in range(4)]
    if not any(sides):
        sides[rng.randrange(4)] = rng.randint(10, 60)
    return rgb, 0, sides, tuple(rng.randint(90, 200) for _ in range(3))


def _pad(rgb: np.ndarray, sides, colour: np.ndarray) -> np.ndarray:
    """``rgb`` (float64 out) padded by ``sides`` (left, top, right, bottom) px of ``colour``."""
    left, top, right, bottom = sides
    h, w = rgb.shape[:2]
    out = np.empty((h + top + bottom, w + left + right, 3), np.float64)
    out[:] = colour
    out[top:top + h, left:left + w] = rgb
    return out
