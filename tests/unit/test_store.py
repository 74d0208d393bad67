"""Store: content-addressed crops written once, JSON Lines round trip."""
import numpy as np

from importer.store import pixel_sha256, save_crop
from storage.layout import crop_relpath
from storage.files import read_jsonl, write_jsonl
import cv2


def test_pixel_hash_depends_on_pixels_and_shape_only():
    a = np.zeros((4, 6, 3), np.uint8)
    assert pixel_sha256(a) == pixel_sha256(a.copy())
    assert pixel_sha256(a) != pixel_sha256(np.zeros((6, 4, 3), np.uint8))
    b = a.copy(); b[0, 0, 0] = 1
    assert pixel_sha256(a) != pixel_sha256(b)
    assert pixel_sha256(a[:, ::2]) == pixel_sha256(np.ascontiguousarray(a[:, ::2]))


def test_saved_crop_round_trips_and_is_content_addressed(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    sha = pixel_sha256(rgb)
    rel = save_crop(tmp_path, sha, rgb)
    assert rel == crop_relpath(sha) == f"crops/{sha[:2]}/{sha}.png"
    back = cv2.cvtColor(cv2.imread(str(tmp_path / rel)), cv2.COLOR_BGR2RGB)
    assert pixel_sha256(back) == sha
    assert save_crop(tmp_path, sha, rgb) == rel
    assert not list(tmp_path.rglob("*.tmp"))


def test_jsonl_round_trip_replaces_old_content(tmp_path):
    path = tmp_path / "m.jsonl"
    assert write_jsonl(path, [{"a": 1}, {"b": [1, 2]}]) == 2
    write_jsonl(path, [{"c": None}])
    assert read_jsonl(path) == [{"c": None}]
