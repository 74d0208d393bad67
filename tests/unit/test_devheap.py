"""The development heap generator, in its offline small mode (no download)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from random import Random

import numpy as np
import pytest
from PIL import Image

from benchmarks.devheap import SMALL_SHEETS, build_heap
from benchmarks.devheap.heap import make_sheet
from benchmarks.devheap.sources import Sources, offline_sources


@pytest.fixture(scope="module")
def heap(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heap")
    build_heap(out, SMALL_SHEETS, seed=7, offline=True)
    return out


def load(heap: Path, name: str):
    return json.loads((heap / name).read_text())


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_truth_describes_every_layout(heap):
    truth = load(heap, "truth.json")
    assert 15 <= len(truth) <= 40
    layouts = {t["layout"] for t in truth.values()}
    assert layouts == {"grid", "ruled", "captioned", "scattered", "dark", "sprites", "single"}
    labels = {i["label"] for t in truth.values() for i in t["items"]}
    assert labels == {"symbol", "garbage"}
    for t in truth.values():
        assert t["kind"] == {"single": "single", "sprites": "sprites"}.get(t["layout"], "sheet")
        assert t["items"] and (t["layout"] != "single" or len(t["items"]) == 1)


def test_boxes_lie_inside_their_images(heap):
    for src, t in load(heap, "truth.json").items():
        with Image.open(heap / src) as im:
            width, height = im.size
        for item in t["items"]:
            x, y, w, h = item["bbox"]
            assert w > 0 and h > 0 and x >= 0 and y >= 0, src
            assert x + w <= width and y + h <= height, src


def test_items_do_not_overlap(heap):
    for src, t in load(heap, "truth.json").items():
        boxes = [i["bbox"] for i in t["items"]]
        for i, a in enumerate(boxes):
            assert not any(overlap(a, b) for b in boxes[i + 1:]), src


def test_oracle_lists_every_item(heap):
    truth = load(heap, "truth.json")
    lines = [json.loads(s) for s in (heap / "oracle.jsonl").read_text().splitlines()]
    expected = sorted((s, tuple(i["bbox"]), i["label"]) for s, t in truth.items() for i in t["items"])
    assert sorted((o["source"], tuple(o["bbox"]), o["label"]) for o in lines) == expected


@pytest.mark.parametrize("layout", ["captioned", "ruled"])
def test_captions_and_rules_stay_outside_item_boxes(layout):
    src = offline_sources()
    for n in range(4):
        sheet = make_sheet(layout, Random(f"decor:{n}"), src)
        with_decor, boxes = sheet.render()
        sheet.decor = []
        bare, _ = sheet.render()
        diff = (np.asarray(with_decor) != np.asarray(bare)).any(axis=2)
        assert diff.any(), "the sheet has captions or rules"
        for (x, y, w, h), _ in boxes:
            assert not diff[y:y + h, x:x + w].any()


def test_broken_files_exist_and_stay_out_of_truth(heap):
    broken, truth = load(heap, "broken.json"), load(heap, "truth.json")
    assert set(broken.values()) == {"empty", "html_as_jpeg", "truncated_jpeg", "one_pixel",
                                    "decompression_bomb", "text_as_png"}
    for rel, kind in broken.items():
        assert (heap / rel).is_file() and rel not in truth
        if kind == "one_pixel":
            assert Image.open(heap / rel).size == (1, 1)
            continue
        with pytest.raises((OSError, SyntaxError, Image.DecompressionBombError)):
            with Image.open(heap / rel) as im:
                im.load()


def test_files_mimic_a_scrape(heap):
    files = [p for p in heap.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert {".png", ".jpg"} <= {s.lower() for s in suffixes}
    assert any(s != s.lower() for s in suffixes), "some suffixes are upper case"
    assert all(len(Path(s).parts) >= 2 for s in load(heap, "truth.json"))


def digest(heap: Path) -> dict[str, str]:
    return {p.relative_to(heap).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(heap.rglob("*")) if p.is_file()}


def test_same_seed_same_heap(heap, tmp_path):
    build_heap(tmp_path / "again", SMALL_SHEETS, seed=7, offline=True)
    assert digest(tmp_path / "again") == digest(heap)
    build_heap(tmp_path / "other", SMALL_SHEETS, seed=8, offline=True)
    assert load(tmp_path / "other", "truth.json") != load(heap, "truth.json")


def test_missing_kind_fails_clearly():
    with pytest.raises(RuntimeError, match="no source for .*photos"):
        Sources(fonts=[1], text_fonts=[1], icons={"x": []}, sprites={"x": []}, texts=["t"]).check()


def test_refuses_to_overwrite_a_folder_that_is_not_a_heap(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_heap(tmp_path, 1, offline=True)
