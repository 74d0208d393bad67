"""Store: content-addressed crops written once, collections stored as cheaply as their readers allow, JSON Lines round trip."""
import cv2
import numpy as np
from PIL import Image

from imaging.decode import decode, read_rgb
from importer.store import pixel_sha256, save_crop, save_source
from storage.files import read_jsonl, write_jsonl
from storage.layout import crop_relpath


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


def _saved_source(tmp_path, name, save):
    """Save a collection picture with ``save``, store it as a source; check the readers see its pixels."""
    path = tmp_path / name
    save(Image.fromarray(np.random.default_rng(1).integers(0, 255, (30, 40, 3), dtype=np.uint8)), path)
    picture = decode(path)
    rel = save_source(tmp_path / "out", path, picture)
    assert np.array_equal(read_rgb(tmp_path / "out" / rel), picture.rgb)  # what the readers see
    assert rel.startswith("sources/") and pixel_sha256(picture.rgb) in rel
    return path, tmp_path / "out" / rel


def test_a_source_the_readers_decode_alike_is_stored_as_its_own_bytes(tmp_path):
    path, stored = _saved_source(tmp_path, "sheet.jpg", lambda im, p: im.save(p, quality=80))
    assert stored.suffix == ".jpg" and stored.read_bytes() == path.read_bytes()


def test_a_source_the_readers_would_decode_otherwise_is_stored_as_png(tmp_path):
    def rotated(im, p):  # the EXIF orientation decode applies and OpenCV's raw read does not
        exif = Image.Exif()
        exif[0x0112] = 6
        im.save(p, exif=exif)

    _, stored = _saved_source(tmp_path, "turned.jpg", rotated)
    assert stored.suffix == ".png" and stored.read_bytes()[:4] == b"\x89PNG"
    _, gif = _saved_source(tmp_path, "sheet.gif", lambda im, p: im.quantize(16).save(p))
    assert gif.suffix == ".png"


def test_samples_stored_as_they_are_skip_the_second_decode(tmp_path, monkeypatch):
    import importer.store as store

    checked = []
    monkeypatch.setattr(store, "_decodes_to", lambda data, rgb: checked.append(1) or False)
    for name in ("sheet.png", "sheet.bmp", "sheet.tif"):
        path, stored = _saved_source(tmp_path, name, lambda im, p: im.save(p))
        assert stored.read_bytes() == path.read_bytes()
    assert not checked  # read alike by every decoder: not decoded again


def test_a_file_decoders_may_read_otherwise_is_checked(tmp_path):
    rgba = np.random.default_rng(2).integers(0, 255, (30, 40, 4), dtype=np.uint8)
    saves = {"photo.jpg": lambda p: Image.fromarray(rgba[..., :3]).save(p, quality=80),
             "alpha.png": lambda p: Image.fromarray(rgba).save(p),  # composited on white: rounding may differ
             "deep.png": lambda p: Image.fromarray(rgba[..., 0].astype(np.uint16) * 257).save(p),
             "palette.png": lambda p: Image.fromarray(rgba[..., :3]).quantize(16).save(p)}
    frames = [Image.fromarray(rgba[..., :3]), Image.fromarray(255 - rgba[..., :3])]
    saves["animated.png"] = lambda p: frames[0].save(p, save_all=True, append_images=frames[1:])
    exif = Image.Exif()
    exif[0x0112] = 3  # upside down: shape kept, pixels turned by decode only
    saves["turned.png"] = lambda p: Image.fromarray(rgba[..., :3]).save(p, exif=exif)
    for name, save in saves.items():
        save(tmp_path / name)
        picture = decode(tmp_path / name)
        assert not picture.as_stored, name
        rel = save_source(tmp_path / "out", tmp_path / name, picture)
        assert np.array_equal(read_rgb(tmp_path / "out" / rel), picture.rgb), name
    assert rel.endswith(".png") and (tmp_path / "out" / rel).read_bytes() != (tmp_path / "turned.png").read_bytes()
