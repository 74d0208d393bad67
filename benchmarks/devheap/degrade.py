"""Scan noise, paper texture and uneven lighting over a rendered opaque sheet (truth boxes
are taken before)."""
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
