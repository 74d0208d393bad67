"""Scan noise and paper texture over a rendered opaque sheet (truth boxes are taken before)."""
from __future__ import annotations

from random import Random

import numpy as np
from PIL import Image

from .sets import Style

PAPER_CELL = 48  # px between the random points a paper texture is smoothed from


def degrade(img: Image.Image, rng: Random, style: Style) -> Image.Image:
    """``img`` with a smooth paper texture and per-pixel noise of the style's strength;
    a transparent image is returned as it is."""
    if img.getextrema()[3][0] < 255:
        return img
    gen = np.random.default_rng(rng.getrandbits(32))
    w, h = img.size
    coarse = gen.uniform(-1, 1, (h // PAPER_CELL + 2, w // PAPER_CELL + 2)).astype(np.float32)
    paper = np.asarray(Image.fromarray(coarse, "F").resize((w, h), Image.BICUBIC))
    grain = gen.normal(0, rng.uniform(*style.noise), (h, w, 1))
    rgb = np.asarray(img.convert("RGB")).astype(np.float32)
    rgb += paper[..., None] * rng.uniform(*style.paper) + grain
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).convert("RGBA")
