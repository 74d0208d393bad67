"""The splitter on sheets it splits perfectly, changed as scans and saved copies change them.

    python -m benchmarks.perturb_bench HEAP [--out docs] [--most 96]

From HEAP (a development heap with truth.json; never the validation heap) the collection
sheets of eight items or more whose every item ``split`` finds, with no other crop, are
taken; each is then changed in one way a real heap changes pictures (saved as a JPEG,
scaled, turned by a degree or three, framed by a scanner's edge, a border line or a bed),
its true boxes moved with it, and split again. Per change: items found and crops on no
item (IoU >= 0.8), and the files that lose a fifth of their items or more, by layout. A
change that costs many items is a failure class the heaps do not show; figures are printed
and written to OUT/perturb_benchmark.{json,md}.
"""
from __future__ import annotations

import argparse
import io
import json
from collections import Counter
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from benchmarks.boxes import MATCH_IOU, iou
from imaging.border import border_colour
from imaging.decode import Picture, decode
from importer.split import split
from importer.split.skew import mapped_box

Change = Callable[[np.ndarray], tuple[np.ndarray, Callable[[list], list]]]  # rgb -> (rgb, box mover)


def jpeg(quality: int) -> Change:
    """Saved as a JPEG of ``quality`` and read back; the boxes stay."""
    def change(rgb):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
        return np.asarray(Image.open(buf).convert("RGB")), lambda box: box
    return change


def scaled(factor: float) -> Change:
    """Resized by ``factor`` (area-averaged down, bilinear up); the boxes scale with it."""
    def change(rgb):
        h, w = rgb.shape[:2]
        size = (round(w * factor), round(h * factor))
        out = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
        return out, lambda box: [round(v * factor) for v in box]
    return change


def turned(degrees: float, bed: int | None = None) -> Change:
    """Turned about the middle, the corners filled with the sheet's colour (or a scanner's
    ``bed`` of that grey showing there); a true box becomes the box round its turned corners."""
    def change(rgb):
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)  # about the middle pixel
        fill = border_colour(rgb) if bed is None else (bed, bed, bed)
        out = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=tuple(int(v) for v in fill))

        def move(box):
            left, top, right, bottom = mapped_box(box, m)
            return [round(left), round(top), round(right - left), round(bottom - top)]
        return out, move
    return change


def framed(sides: tuple[int, int, int, int], grey: int, margin: int = 0) -> Change:
    """Inside ``margin`` px of the sheet's own colour, then bands ``sides`` (left, top, right,
    bottom) px wide of ``grey`` (its opposite, 255 - ``grey``, round a dark sheet)."""
    def change(rgb):
        sheet = border_colour(rgb)
        out = cv2.copyMakeBorder(rgb, *(margin,) * 4, cv2.BORDER_CONSTANT, value=tuple(int(v) for v in sheet))
        left, top, right, bottom = sides
        band = grey if sheet.mean() > 128 else 255 - grey
        out = cv2.copyMakeBorder(out, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(band,) * 3)
        return out, lambda box: [box[0] + left + margin, box[1] + top + margin, box[2], box[3]]
    return change


CHANGES: dict[str, Change] = {
    "as saved": lambda rgb: (rgb, lambda box: box),
    "JPEG quality 90": jpeg(90), "JPEG quality 50": jpeg(50), "JPEG quality 30": jpeg(30),
    "scaled 0.5": scaled(0.5), "scaled 1.5": scaled(1.5), "scaled 2": scaled(2.0),
    "turned 1 degree": turned(1.0), "turned 3 degrees": turned(3.0),
    "turned 2 degrees on a dark bed": turned(2.0, 40),
    "scanner's edge, two sides": framed((12, 12, 0, 0), 30),
    "border line round a margin": framed((2, 2, 2, 2), 40, margin=6),
    "bed on two sides": framed((0, 0, 25, 25), 150),
}


def matched(truth: list, crops: list) -> tuple[int, int]:
    """(true boxes some crop matches, crops matching no true box)."""
    found = sum(any(iou(t, c) >= MATCH_IOU for c in crops) for t in truth)
    return found, sum(not any(iou(t, c) >= MATCH_IOU for t in truth) for c in crops)


def perfect_sheets(heap: Path, most: int) -> list[tuple[str, str, np.ndarray, list]]:
    """(source, layout, pixels, true boxes) of up to ``most`` collection sheets of ``heap``,
    eight items or more, that ``split`` reads perfectly (sprite sheets decoded without their
    transparency, on white, as the changes keep no alpha)."""
    truth = json.loads((heap / "truth.json").read_text())
    sheets = []
    for source, entry in sorted(truth.items()):
        boxes = [item["bbox"] for item in entry["items"]]
        if entry["kind"] == "single" or len(boxes) < 8:
            continue
        rgb = decode(heap / source).rgb
        crops = split(Picture(rgb, None))
        if matched(boxes, crops) == (len(boxes), 0) and len(crops) == len(boxes):
            sheets.append((source, entry["layout"], rgb, boxes))
        if len(sheets) == most:
            break
    return sheets


def run(heap: Path, most: int) -> dict:
    """Every change's figures over the perfect sheets of ``heap``."""
    sheets = perfect_sheets(heap, most)
    figures = {}
    for name, change in tqdm(CHANGES.items(), desc="changes", unit="change"):
        found = wrong = items = 0
        lost = Counter()
        for source, layout, rgb, boxes in sheets:
            out, move = change(rgb)
            moved = [move(b) for b in boxes]
            hit, miss = matched(moved, split(Picture(np.ascontiguousarray(out), None, lossy="JPEG" in name)))
            found, wrong, items = found + hit, wrong + miss, items + len(boxes)
            if hit < 0.8 * len(boxes):
                lost[layout] += 1
        figures[name] = {"items": items, "found": found, "wrong": wrong, "files losing a fifth": dict(lost)}
    return {"heap": str(heap), "sheets": len(sheets), "changes": figures}


def markdown(result: dict) -> str:
    """``run``'s figures as the page docs/perturb_benchmark.md holds."""
    rows = [f"| {name} | {f['found']} / {f['items']} ({f['found'] / max(f['items'], 1):.3f}) | {f['wrong']} | "
            + (", ".join(f"{k} {v}" for k, v in sorted(f["files losing a fifth"].items())) or "-") + " |"
            for name, f in result["changes"].items()]
    return "\n".join([
        "# The splitter on sheets it reads perfectly, changed as real heaps change pictures", "",
        f"Heap `{result['heap']}`: {result['sheets']} collection sheets of eight items or more that `split` "
        "reads perfectly (every item found, no other crop). Each is changed one way, its true boxes moved "
        "with it (a turned box: the box round its turned corners), and split again (IoU >= 0.8). Written by "
        "`python -m benchmarks.perturb_bench`.", "",
        "| change | items found | crops on no item | files losing a fifth of their items, by layout |",
        "|---|---|---|---|", *rows, ""])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.perturb_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("heap", type=Path, help="a development heap (with truth.json); never the validation heap")
    ap.add_argument("--out", type=Path, default=Path("docs"), help="folder for perturb_benchmark.{json,md}")
    ap.add_argument("--most", type=int, default=96, help="perfectly read sheets to change (default 96)")
    a = ap.parse_args(argv)
    result = run(a.heap, a.most)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "perturb_benchmark.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (a.out / "perturb_benchmark.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
