"""Context pictures: the window of a collection around each of its crops, with the crop's box drawn.

A person judges a crop that misses its item (a piece of one, two neighbours, an item with its
patch) only by seeing it in its surroundings. The window reaches one crop size past the box on
every side, which is where the neighbours whose ink a bad box cuts or swallows lie; the box is
outlined just outside its edge, so none of the crop's own pixels is covered.
"""
from __future__ import annotations

from itertools import groupby
from pathlib import Path

import numpy as np
from tqdm import tqdm

from imaging.boxes import context_box
from imaging.decode import read_rgb
from importer.store import save_crop
from storage.layout import CONTEXT as FOLDER, crop_relpath

MARGIN = 1.0  # window = box grown by this many times its longer side on each side
OUTLINE = (255, 0, 200)  # magenta: rare in scans, seen on both white paper and dark photos


def render(picture: np.ndarray, box: tuple[int, int, int, int], margin: float = MARGIN) -> np.ndarray:
    """The window of ``picture`` (RGB) around ``box`` (x, y, w, h), box outlined."""
    x0, y0, w0, h0 = context_box(box, picture.shape, margin)
    window = np.ascontiguousarray(picture[y0:y0 + h0, x0:x0 + w0])
    x, y, w, h = box[0] - x0, box[1] - y0, box[2], box[3]
    line = max(2, round(max(w0, h0) / 150))
    crop = window[y:y + h, x:x + w].copy()
    window[max(0, y - line):y + h + line, max(0, x - line):x + w + line] = OUTLINE
    window[y:y + h, x:x + w] = crop
    return window


def ensure_contexts(out: Path, rows: list[dict]) -> int:
    """Write ``out/context/<sha>.png`` for every row cut from a stored collection picture that
    lacks one (each picture decoded once); return how many were written."""
    todo = sorted((r for r in rows if r.get("source_image")
                   and not (out / crop_relpath(r["sha256"], FOLDER)).exists()), key=lambda r: r["source_image"])
    with tqdm(total=len(todo), desc="context", unit="crop") as bar:
        for source_image, group in groupby(todo, key=lambda r: r["source_image"]):
            picture = read_rgb(out / source_image)
            for row in group:
                save_crop(out, row["sha256"], render(picture, tuple(row["bbox"])), FOLDER)
                bar.update()
    return len(todo)
