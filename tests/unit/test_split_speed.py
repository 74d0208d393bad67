"""The splitter's fast helpers return what the slower operations they replace returned."""
import cv2
import numpy as np

from importer.split.mask import _hold_runs


def test_runs_are_found_as_an_erosion_finds_them():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        rows, width = int(rng.integers(1, 6)), int(rng.integers(8, 60))
        mask = (rng.random((rows, width)) < rng.random()).astype(np.uint8) * 255
        mask[:, :rng.integers(0, width)] |= 255 * (rng.random() < 0.3)  # runs cut by the left edge
        mask[:, rng.integers(0, width):] |= 255 * (rng.random() < 0.3)  # ... and by the right one
        length = max(1, int(rng.uniform(0.3, 1.0) * width))
        eroded = cv2.erode(mask, np.ones((1, length), np.uint8)).max(axis=1) > 0
        assert np.array_equal(_hold_runs(mask, length), eroded)
