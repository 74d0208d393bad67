"""Context pictures: the window around a crop, its box outlined without covering the crop."""
from __future__ import annotations

import numpy as np

from imaging.decode import read_rgb
from importer.context import OUTLINE, ensure_contexts, render
from importer.store import save_crop
from storage.layout import crop_relpath


def _sheet() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 200, (300, 400, 3), dtype=np.uint8)


def test_the_window_reaches_one_crop_size_past_the_box_and_keeps_the_crop_intact():
    sheet, box = _sheet(), (150, 100, 40, 20)
    window = render(sheet, box)
    assert window.shape == (20 + 2 * 40, 40 + 2 * 40, 3)  # clipped nowhere: 40 px each side
    x, y = 40, 40  # the box's corner inside the window
    assert np.array_equal(window[y:y + 20, x:x + 40], sheet[100:120, 150:190]), "crop pixels untouched"
    assert (window[y - 1, x:x + 40] == OUTLINE).all() and (window[y:y + 20, x - 1] == OUTLINE).all()
    assert (window[y + 20, x:x + 40] == OUTLINE).all() and (window[y:y + 20, x + 40] == OUTLINE).all()


def test_the_window_is_clipped_at_the_picture_edge():
    window = render(_sheet(), (0, 0, 50, 50))
    assert window.shape == (100, 100, 3)


def test_contexts_are_written_once_per_crop_of_a_collection(tmp_path):
    sheet = _sheet()
    source = save_crop(tmp_path, "ab" * 32, sheet, "sources")
    rows = [{"sha256": "cd" * 32, "bbox": [10, 10, 30, 30], "source_image": source},
            {"sha256": "ef" * 32, "bbox": [0, 0, 400, 300]}]  # a single picture: no context
    assert ensure_contexts(tmp_path, rows) == 1
    written = read_rgb(tmp_path / crop_relpath("cd" * 32, "context"))
    assert written.shape == (70, 70, 3)
    assert ensure_contexts(tmp_path, rows) == 0, "a re-run writes nothing"
