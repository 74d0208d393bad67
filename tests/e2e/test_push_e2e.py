"""End to end: split a small heap and import it into the real Label Studio, twice."""
from __future__ import annotations

import shutil
from collections import Counter

import numpy as np
import pytest

from importer.pipeline import JobOptions, run_split
from importer.push import push
from storage.files import read_jsonl
from imaging.decode import decode_bytes

pytestmark = pytest.mark.e2e


def _kept(out):
    return [r for r in read_jsonl(out / "manifest.jsonl") if "path" in r]


def test_import_carries_provenance_and_serves_crops(stack, small_heap):
    out = stack.document_root / "e2e-provenance"
    run_split(small_heap, out, JobOptions(workers=1))
    studio = stack.studio()
    summary = push(out, studio, stack.document_root, "e2e provenance")
    kept = _kept(out)
    assert summary.imported == len(kept) > 10
    tasks = studio.tasks(summary.project_id)
    assert len(tasks) == len(kept)
    data = {t["data"]["sha256"]: t["data"] for t in tasks}
    for row in kept:
        assert data[row["sha256"]]["source"] == row["source"]
        assert data[row["sha256"]]["bbox"] == row["bbox"]
    image = studio.http.get(studio.url + tasks[0]["data"]["image"], timeout=10)
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_crops_of_a_collection_carry_their_source_picture(stack, small_heap):
    out = stack.document_root / "e2e-sources"
    run_split(small_heap, out, JobOptions(workers=1))
    studio = stack.studio()
    tasks = studio.tasks(push(out, studio, stack.document_root, "e2e sources").project_id)
    per_source = Counter(r["source"] for r in read_jsonl(out / "manifest.jsonl"))
    assert all("source_image" in t["data"] for t in tasks if per_source[t["data"]["source"]] > 1)
    assert any("source_image" not in t["data"] for t in tasks)  # single pictures: no copy
    data = next(t["data"] for t in tasks if "source_image" in t["data"])
    source, crop = (decode_bytes(studio.http.get(studio.url + data[key], timeout=10).content)
                    for key in ("source_image", "image"))
    x, y, w, h = data["bbox"]
    assert np.array_equal(source[y:y + h, x:x + w], crop)


def test_reimport_adds_nothing_and_a_grown_heap_adds_only_new_crops(any_stack, small_heap, tmp_path):
    heap = tmp_path / "heap"
    shutil.copytree(small_heap, heap)
    newcomer = sorted(p for p in heap.rglob("*.png") if "broken" not in p.name)[-1]
    moved = tmp_path / newcomer.name
    shutil.move(newcomer, moved)
    out = any_stack.document_root / "e2e-rerun"
    studio = any_stack.studio()
    run_split(heap, out, JobOptions(workers=1))
    first = push(out, studio, any_stack.document_root, "e2e rerun")
    again = push(out, studio, any_stack.document_root, "e2e rerun")
    assert (again.project_id, again.imported, again.already_there) == (first.project_id, 0, first.imported)

    shutil.move(moved, newcomer)
    run_split(heap, out, JobOptions(workers=1))
    grown = push(out, studio, any_stack.document_root, "e2e rerun")
    kept = _kept(out)
    assert grown.imported == len(kept) - first.imported > 0
    shas = [t["data"]["sha256"] for t in studio.tasks(first.project_id)]
    assert len(shas) == len(set(shas)) == len(kept)


@pytest.mark.parametrize("path", ["../credentials.env", "e2e-provenance/../../credentials.env",
                                  "/etc/passwd", "e2e-provenance/manifest.jsonl"])
def test_file_serving_reaches_nothing_outside_the_crop_store(stack, path):
    studio = stack.studio()
    response = studio.http.get(f"{studio.url}/data/local-files/", params={"d": path}, timeout=10)
    assert response.status_code != 200  # Label Studio answers 404, or 500 for a '..' path
    assert b"LABEL_STUDIO" not in response.content and b"root:" not in response.content
