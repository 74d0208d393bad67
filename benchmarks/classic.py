"""The classic contour splitter, the reference to beat (used only by the benchmark)."""
from __future__ import annotations

import cv2
import numpy as np


def classic_split(rgb: np.ndarray, min_side: int = 4) -> list[tuple[int, int, int, int]]:
    """Gray → Canny → dilate → external contours → bounding boxes, tiny ones dropped."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, 50, 150)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=1)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [cv2.boundingRect(c) for c in contours]
    return [tuple(map(int, b)) for b in boxes if min(b[2], b[3]) >= min_side]
