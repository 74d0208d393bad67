"""The classic contour splitter, the reference to beat (used only by the benchmark).

    python -m benchmarks.classic HEAP --out CROPS.jsonl

runs it as a user would: every image of HEAP decoded and split in one process, one JSON
line per box written; unreadable files are skipped.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from imaging.decode import BadImage, decode
from importer.gather import gather, relative_source


def classic_split(rgb: np.ndarray, min_side: int = 4) -> list[tuple[int, int, int, int]]:
    """Gray → Canny → dilate → external contours → bounding boxes, tiny ones dropped."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, 50, 150)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=1)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [cv2.boundingRect(c) for c in contours]
    return [tuple(map(int, b)) for b in boxes if min(b[2], b[3]) >= min_side]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.classic",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("heap", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="crops file to write (JSON Lines)")
    a = ap.parse_args(argv)
    with open(a.out, "w") as f:
        for path in gather(a.heap):
            try:
                rgb = decode(path).rgb
            except BadImage:
                continue
            source = relative_source(path, a.heap)
            f.writelines(json.dumps({"source": source, "bbox": list(b)}) + "\n"
                         for b in classic_split(rgb))


if __name__ == "__main__":
    main()
