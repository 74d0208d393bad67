"""The perturbation benchmark: its changes move true boxes with the pixels, and a small heap's
perfectly read sheets, unchanged, read perfectly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import perturb_bench as bench
from benchmarks.devheap import SMALL_SHEETS, build_heap


def test_a_turned_box_is_the_box_round_its_turned_corners():
    rgb = np.full((100, 100, 3), 255, np.uint8)
    rgb[0:20, 0:10] = 0  # a 10 x 20 block in the top left corner
    out, move = bench.turned(90.0)(rgb)  # a quarter turn anticlockwise: to the bottom left
    assert move([0, 0, 10, 20]) == [0, 90, 20, 10]
    ys, xs = np.nonzero(out[..., 0] < 128)
    assert (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()) == (0, 90, 20, 10)


@pytest.mark.parametrize("change", [bench.framed((5, 7, 0, 3), 40, margin=4), bench.scaled(2.0)])
def test_a_change_moves_the_true_boxes_with_the_pixels(change):
    rgb = np.full((60, 80, 3), 240, np.uint8)
    rgb[10:30, 20:35] = (200, 30, 30)
    out, move = change(rgb)
    x, y, w, h = move([20, 10, 15, 20])
    ys, xs = np.nonzero((out[..., 0] > 150) & (out[..., 1] < 128))  # the red block, not a grey band
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x, y, x + w, y + h)


def test_unchanged_sheets_read_perfectly_and_the_figures_are_written(tmp_path, monkeypatch):
    heap = tmp_path / "heap"
    build_heap(heap, SMALL_SHEETS, seed=7, offline=True)
    monkeypatch.setattr(bench, "CHANGES", {k: bench.CHANGES[k] for k in ("as saved", "turned 1 degree")})
    bench.main([str(heap), "--out", str(tmp_path / "docs"), "--most", "3"])
    result = json.loads((tmp_path / "docs" / "perturb_benchmark.json").read_text())
    assert result["sheets"] == 3
    unchanged = result["changes"]["as saved"]
    assert unchanged["found"] == unchanged["items"] >= 3 * 8 and unchanged["wrong"] == 0
    assert "| turned 1 degree |" in (tmp_path / "docs" / "perturb_benchmark.md").read_text()
