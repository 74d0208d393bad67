"""Dedup: exact and near duplicates kept once, other crops kept."""
import cv2
import imagehash
import numpy as np
import pytest
from PIL import Image

from importer.dedup import Deduper, perceptual_hash
from importer.store import pixel_sha256


def _glyph(text: str, size: int = 64) -> np.ndarray:
    img = np.full((size, size, 3), 255, np.uint8)
    cv2.putText(img, text, (size // 8, size * 3 // 4), cv2.FONT_HERSHEY_SIMPLEX, size / 40, (0, 0, 0), 3)
    return img


def _keep(deduper: Deduper, rgb: np.ndarray):
    return deduper.check(pixel_sha256(rgb), rgb)


def test_exact_copy_is_a_duplicate_of_the_first():
    d = Deduper()
    a = _glyph("A")
    assert _keep(d, a) is None
    assert _keep(d, a.copy()) == pixel_sha256(a)


def test_rescaled_and_recompressed_copy_is_a_near_duplicate():
    d = Deduper(max_distance=6)
    a = _glyph("K", 96)
    assert _keep(d, a) is None
    small = cv2.resize(a, (61, 61), interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
    copy = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
    assert _keep(d, copy) == pixel_sha256(a)


def test_different_items_are_kept():
    d = Deduper()
    kept = [_keep(d, _glyph(t)) for t in "AXO"]
    assert kept == [None, None, None]


def test_near_duplicates_off_keeps_rescaled_copy():
    d = Deduper(max_distance=0)
    a = _glyph("K", 96)
    assert _keep(d, a) is None
    assert _keep(d, cv2.resize(a, (60, 60))) is None


def test_aspect_change_prevents_a_match():
    d = Deduper(max_distance=64)
    assert _keep(d, _glyph("A")) is None
    assert _keep(d, cv2.resize(_glyph("A"), (64, 32))) is None


def test_rejects_impossible_distance():
    with pytest.raises(ValueError):
        Deduper(max_distance=65)


def test_the_perceptual_hash_is_imagehash_phash():
    rng = np.random.default_rng(3)
    noise = [rng.integers(0, 255, (int(h), int(w), 3), dtype=np.uint8) for h, w in rng.integers(1, 120, (20, 2))]
    flat = [np.full((9, 17, 3), 200, np.uint8)]  # every coefficient but one ties at 0
    mirrored = [np.hstack([c, c[:, ::-1]]) for c in noise + [_glyph("W")]]  # odd coefficients vanish
    for rgb in noise + flat + mirrored:
        bits = imagehash.phash(Image.fromarray(rgb)).hash.flatten()
        assert perceptual_hash(rgb) == int("".join("1" if b else "0" for b in bits), 2)


def test_scipy_decides_only_where_rounding_may_tip_a_bit(monkeypatch):
    import importer.dedup as dedup
    from scipy.fft import dct

    calls = []
    monkeypatch.setattr(dedup, "dct", lambda x, axis: calls.append(axis) or dct(x, axis=axis))
    glyph = _glyph("R")
    perceptual_hash(glyph)
    assert not calls  # the matrix products alone: no coefficient near the median
    perceptual_hash(np.hstack([glyph, glyph[:, ::-1]]))  # odd coefficients vanish: zeros at ±rounding
    assert calls
