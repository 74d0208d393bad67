"""run_split's crops: workers hash and encode them, the parent decides duplicates; every crop
file is the PNG of its manifest line's pixels, and blank crops are counted, not stored."""
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from importer.pipeline import JobOptions, run_split
from importer.store import pixel_sha256


def _manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_crop_files_hold_their_rows_pixels_and_duplicates_name_a_kept_crop(tmp_path):
    """Two sheets holding the same three shapes: the second sheet's crops are duplicates."""
    heap = tmp_path / "heap"
    heap.mkdir()
    sheet = np.full((70, 200, 3), 255, np.uint8)
    cv2.circle(sheet, (30, 35), 20, (0, 0, 0), 4)
    cv2.rectangle(sheet, (75, 15), (115, 55), (40, 90, 200), 4)
    cv2.line(sheet, (140, 15), (180, 55), (200, 60, 30), 5)
    cv2.line(sheet, (140, 55), (160, 15), (200, 60, 30), 5)
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(heap / name), sheet)
    run_split(heap, tmp_path / "out", JobOptions(workers=2))
    rows = _manifest(tmp_path / "out")
    kept = {row["sha256"] for row in rows if "path" in row}
    assert len(rows) == 6 and len(kept) == 3 and all("duplicate_of" in row for row in rows[3:])
    for row in rows:
        if "path" in row:
            rgb = cv2.cvtColor(cv2.imread(str(tmp_path / "out" / row["path"])), cv2.COLOR_BGR2RGB)
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


def test_a_whole_png_read_as_stored_is_its_own_crop_file(tmp_path):
    """A photo filling its frame is one crop, the whole picture: from a PNG of 8-bit samples
    the crop file is the heap file's own bytes; from a JPEG or a PNG with alpha, a PNG encoded."""
    heap = tmp_path / "heap"
    heap.mkdir()
    rng = np.random.default_rng(5)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), (9, 9), 3)
    cv2.imwrite(str(heap / "photo.png"), photo)
    cv2.imwrite(str(heap / "photo.jpg"), photo[:, ::-1])
    cv2.imwrite(str(heap / "alpha.png"), np.dstack([photo[::-1], np.full(photo.shape[:2], 255, np.uint8)]))
    run_split(heap, tmp_path / "out", JobOptions(workers=1))
    rows = {row["source"]: row for row in _manifest(tmp_path / "out")}
    assert all(rows[name]["bbox"] == [0, 0, 80, 60] for name in rows) and len(rows) == 3
    stored = {name: (tmp_path / "out" / row["path"]).read_bytes() for name, row in rows.items()}
    assert stored["photo.png"] == (heap / "photo.png").read_bytes()
    for name in ("photo.jpg", "alpha.png"):
        assert stored[name][:4] == b"\x89PNG" and stored[name] != (heap / name).read_bytes()
        rgb = cv2.cvtColor(cv2.imread(str(tmp_path / "out" / rows[name]["path"])), cv2.COLOR_BGR2RGB)
        assert pixel_sha256(rgb) == rows[name]["sha256"]


def test_saturated_and_light_sprites_are_not_blank(tmp_path):
    """A red ring on black (its least channel 0 throughout) and a near-white ring on a
    transparent sheet (white on white once composited) are crops; a flat square, opaque on
    black or on the transparent sheet, is blank."""
    heap = tmp_path / "heap"
    heap.mkdir()
    rgba = np.zeros((60, 180, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[10:40, 10:40] = (255, 0, 0, 255)  # RGBA red ring on black
    rgba[20:30, 20:30] = (0, 0, 0, 255)
    rgba[10:40, 70:100] = (0, 0, 255, 255)  # a flat blue square
    Image.fromarray(rgba[..., :3]).save(heap / "red.png")
    light = np.zeros((60, 120, 4), np.uint8)  # transparent
    light[10:40, 10:40] = (250, 250, 246, 255)
    light[20:30, 20:30] = 0
    light[10:40, 70:100] = (248, 248, 248, 255)
    Image.fromarray(light).save(heap / "light.png")
    summary = run_split(heap, tmp_path / "out", JobOptions(workers=1))
    assert (summary.crops, summary.blanks) == (2, 2)
    assert sorted((row["source"], tuple(row["bbox"])) for row in _manifest(tmp_path / "out")) == [
        ("light.png", (10, 10, 30, 30)), ("red.png", (10, 10, 30, 30))]
