"""The split benchmark on a tiny offline heap: both splitters run whole, scored and timed."""
from __future__ import annotations

import json

from benchmarks.devheap import build_heap
from benchmarks.split_bench import main, missed_items, one_crop_share, sprites_by_spacing


def test_one_crop_share_counts_single_pictures_only():
    truth = {"a.png": {"kind": "single", "layout": "text", "items": []},
             "b.png": {"kind": "single", "layout": "photo", "items": []},
             "c.png": {"kind": "sheet", "layout": "grid", "items": []}}
    crops = [{"source": "a.png"}, {"source": "b.png"}, {"source": "b.png"}, {"source": "c.png"}]
    assert one_crop_share(truth, crops) == {"photo": 0.0, "text": 1.0, "all": 0.5}


def test_missed_items_says_why_each_item_is_missed():
    boxes = [[x, 0, 10, 10] for x in range(0, 160, 20)]  # eight items in a row, 10 px apart
    truth = {"sheet.png": {"kind": "sheet", "layout": "grid", "items": [{"bbox": b} for b in boxes]},
             "packed.png": {"kind": "sprites", "layout": "sprites",
                            "items": [{"bbox": [x, 0, 10, 10]} for x in (0, 10, 20)]}}
    crops = [[0, 0, 10, 10],  # matched
             [18, -2, 14, 14],  # the second with a margin
             [40, 0, 30, 10],  # the third and fourth together
             [80, 0, 5, 10], [85, 0, 5, 10],  # the fifth in two parts
             [100, 0, 4, 10],  # a part of the sixth; none on the seventh
             [145, 5, 10, 10]]  # the eighth shifted
    rows = [{"source": "sheet.png", "bbox": c} for c in crops] + [{"source": "packed.png", "bbox": [0, 0, 30, 10]}]
    missed = missed_items(truth, rows)
    assert missed["grid"] == {"with a margin": 1, "with other items": 2, "in parts": 1, "part only": 1,
                              "no crop": 1, "shifted": 1}
    assert missed["sprites"] == {"sheet as one crop": 3}
    assert sum(missed["all"].values()) == 10


def test_sprites_by_spacing_parts_sheets_packed_edge_to_edge_from_spaced_ones():
    truth = {"packed.png": {"layout": "sprites", "items": [{"bbox": [x, 0, 10, 10]} for x in (0, 10, 20)]},
             "spaced.png": {"layout": "sprites", "items": [{"bbox": [x, 0, 10, 10]} for x in (0, 12)]},
             "grid.png": {"layout": "grid", "items": [{"bbox": [x, 0, 10, 10]} for x in (0, 10)]}}
    crops = [{"source": "packed.png", "bbox": [0, 0, 30, 10]}, {"source": "spaced.png", "bbox": [0, 0, 10, 10]},
             {"source": "spaced.png", "bbox": [12, 0, 10, 10]}]
    assert sprites_by_spacing(truth, crops) == {"none": {"sheets": 1, "items": 3, "found": 0},
                                                "some": {"sheets": 1, "items": 2, "found": 2}}


def test_benchmark_reports_both_heaps_side_by_side(tmp_path):
    heap = tmp_path / "heap"
    build_heap(heap, 3, seed=1, offline=True)
    report = main(["--dev", str(heap), "--validation", str(heap), "--out", str(tmp_path / "docs"),
                   "--save-before", "--stage-files", "5"])
    md = (tmp_path / "docs" / "split_benchmark.md").read_text()
    assert set(report["heaps"]) == {"dev", "validation"}
    for h in report["heaps"].values():
        assert h["speed"]["ours_s"] > 0 and h["speed"]["classic_s"] > 0
        assert h["scores"]["ours"]["all"]["items"] == h["scores"]["classic"]["all"]["items"] > 0
        assert 0 < h["stages"]["files"] <= 5 and h["stages"]["split"] > 0
    assert "| text |" in md and "Gap: validation minus development" in md and "Why items are missed" in md
    assert "Sprite sheets by spacing" in md and set(report["heaps"]["dev"]["sprites_by_spacing"]) == {"none", "some"}
    assert json.loads((tmp_path / "docs" / "split_benchmark_before.json").read_text())["heaps"]
    stress = tmp_path / "patches"
    build_heap(stress, 2, seed=1, offline=True, layout="patches")
    again = main(["--dev", str(heap), "--validation", "", "--out", str(tmp_path / "docs"),
                  "--stage-files", "2", "--stress", str(stress)])
    assert set(again["heaps"]) == {"dev"}
    assert again["stress"]["patches"]["scores"]["ours"]["items"] > 0
    md = (tmp_path / "docs" / "split_benchmark.md").read_text()
    assert "Against the starting point" in md and f"| `{stress}` |" in md
    assert "missed" in again["stress"]["patches"]
