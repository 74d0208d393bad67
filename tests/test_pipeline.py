"""run_split: workers hash and encode, the parent decides duplicates; the result is the same
whatever the worker count, and every crop file is the PNG of its manifest line's pixels."""
import json
from pathlib import Path

import cv2
import numpy as np

from importer.pipeline import JobOptions, run_split
from importer.store import pixel_sha256


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_same_manifest_with_one_or_two_workers(small_heap, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    summary = run_split(small_heap, one, JobOptions(workers=1))
    run_split(small_heap, two, JobOptions(workers=2))
    assert _manifest(one) == _manifest(two)
    assert summary.crops == sum("path" in row for row in _manifest(one)) > 0


def test_crop_files_hold_their_rows_pixels_and_duplicates_name_a_kept_crop(small_heap, tmp_path):
    run_split(small_heap, tmp_path, JobOptions(workers=2))
    rows = _manifest(tmp_path)
    kept = {row["sha256"] for row in rows if "path" in row}
    for row in rows:
        if "path" in row:
            rgb = cv2.cvtColor(cv2.imread(str(tmp_path / row["path"])), cv2.COLOR_BGR2RGB)
            assert pixel_sha256(rgb) == row["sha256"] and rgb.shape[:2] == (row["height"], row["width"])
        else:
            assert row["duplicate_of"] in kept


def test_blank_crops_are_counted_not_stored(tmp_path):
    """A solid square (one grey level in its least channel) is blank; a ring is not."""
    heap = tmp_path / "heap"
    heap.mkdir()
    sheet = np.full((60, 120, 3), 255, np.uint8)
    sheet[10:40, 10:40] = 0
    sheet[20:30, 20:30] = 255
    sheet[10:40, 70:100] = (255, 0, 0)  # BGR blue
    cv2.imwrite(str(heap / "sheet.png"), sheet)
    summary = run_split(heap, tmp_path / "out", JobOptions(workers=1))
    assert (summary.crops, summary.blanks) == (1, 1)
    assert [row["bbox"] for row in _manifest(tmp_path / "out")] == [[10, 10, 30, 30]]
