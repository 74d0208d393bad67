"""The split job: every file accounted for, duplicates and blanks dropped, the same result whatever the worker count or re-run."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from importer import pipeline
from importer.pipeline import BAD_FILES, MANIFEST, JobOptions, run_split
from storage.files import read_jsonl


def _sheet(path: Path, shapes: int, offset: int = 0) -> None:
    """A white sheet with ``shapes`` separate outlined shapes in a row."""
    sheet = Image.new("RGB", (60 * shapes + 20, 80), "white")
    draw = ImageDraw.Draw(sheet)
    for i in range(shapes):
        x = 20 + 60 * i
        draw.ellipse((x, 20, x + 30 + (i + offset) % 3 * 5, 55), outline="black", width=3)
    sheet.save(path)


@pytest.fixture
def heap(tmp_path) -> Path:
    heap = tmp_path / "heap"
    (heap / "sub").mkdir(parents=True)
    _sheet(heap / "a.png", 3)
    _sheet(heap / "sub" / "copy.png", 3)  # the same pixels again: every crop a duplicate
    Image.new("RGB", (50, 50), "white").save(heap / "blank.png")
    (heap / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return heap


def test_every_file_is_accounted_for(heap, tmp_path):
    summary = run_split(heap, tmp_path / "out", JobOptions(workers=1))
    rows = read_jsonl(tmp_path / "out" / MANIFEST)
    kept = [r for r in rows if "path" in r]
    assert (summary.files, summary.crops, summary.duplicates, summary.bad_files) == (4, 3, 3, 1)
    assert {r["source"] for r in kept} == {"a.png"} and all((tmp_path / "out" / r["path"]).is_file() for r in kept)
    assert {r["duplicate_of"] for r in rows if "duplicate_of" in r} == {r["sha256"] for r in kept}
    assert [b["source"] for b in read_jsonl(tmp_path / "out" / BAD_FILES)] == ["broken.png"]


def test_the_result_does_not_depend_on_the_worker_count(heap, tmp_path):
    run_split(heap, tmp_path / "one", JobOptions(workers=1))
    run_split(heap, tmp_path / "two", JobOptions(workers=2))
    assert read_jsonl(tmp_path / "one" / MANIFEST) == read_jsonl(tmp_path / "two" / MANIFEST)


def test_a_rerun_rewrites_the_same_manifest_and_no_crop(heap, tmp_path):
    run_split(heap, tmp_path / "out", JobOptions(workers=1))
    crops = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.png")}
    first = read_jsonl(tmp_path / "out" / MANIFEST)
    run_split(heap, tmp_path / "out", JobOptions(workers=1))
    assert read_jsonl(tmp_path / "out" / MANIFEST) == first
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.png")} == crops
    assert not list((tmp_path / "out").rglob("*.tmp")), "no temp file left behind"


def test_a_file_that_kills_its_worker_is_reported_and_the_run_goes_on(heap, tmp_path, monkeypatch):
    """A worker killed mid-file (the kernel's answer to a picture that eats the memory) broke
    the whole pool and stopped the import; now that file alone is bad."""
    for i in range(6):
        _sheet(heap / f"more{i}.png", 2, offset=i)
    _sheet(heap / "killer.png", 4, offset=1)
    killer = np.asarray(Image.open(heap / "killer.png").convert("RGB"))
    split = pipeline.split

    def dies_on_the_killer(picture, options):
        if picture.rgb.shape == killer.shape and (picture.rgb == killer).all():
            os._exit(9)
        return split(picture, options)

    monkeypatch.setattr(pipeline, "split", dies_on_the_killer)  # the forked workers inherit it
    summary = run_split(heap, tmp_path / "out", JobOptions(workers=2))
    bad = {b["source"]: b["reason"] for b in read_jsonl(tmp_path / "out" / BAD_FILES)}
    assert sorted(bad) == ["broken.png", "killer.png"] and "worker process died" in bad["killer.png"]
    assert (summary.files, summary.bad_files) == (11, 2)
    sources = {r["source"] for r in read_jsonl(tmp_path / "out" / MANIFEST)}
    assert sources == {"a.png", "sub/copy.png", *(f"more{i}.png" for i in range(6))}
