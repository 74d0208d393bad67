"""Store: content-addressed PNG crops (and the collections they came from, see ``save_source``)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from imaging.decode import Picture, decode_bytes
from storage.files import write_bytes
from storage.layout import SOURCES, crop_relpath

# Formats every OpenCV the project allows (pyproject: >= 4.9) reads, with their stored suffix;
# GIF is not one (OpenCV reads it from 4.11 on).
SOURCE_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp", "TIFF": ".tif", "WEBP": ".webp"}


def pixel_sha256(rgb: np.ndarray) -> str:
    """Hex sha256 of a crop's pixels and shape: equal pixels, equal hash, whatever the file."""
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}:".encode())
    digest.update(np.ascontiguousarray(rgb))  # its buffer, not a copy
    return digest.hexdigest()


def save_crop(out: Path, sha256: str, rgb: np.ndarray, folder: str = "crops") -> str:
    """Write the image as PNG once (atomic; skipped when present); return its relative path."""
    rel = crop_relpath(sha256, folder)
    if not (out / rel).exists():
        write_once(out, rel, encode_png(rgb))
    return rel


def save_source(out: Path, path: Path, picture: Picture) -> str:
    """Store the collection ``picture`` decoded from the heap file ``path`` once; return its
    relative path. It is the file's own bytes, copied (far cheaper than encoding a PNG), when
    the readers of stored pictures (``imaging.decode.read_rgb``, ``decode_bytes``) decode them
    to ``picture``'s very pixels, so that its crops' boxes hold there; else a PNG. Samples
    stored as they are (``Picture.as_stored``) are read alike by every decoder, so only
    the other files are decoded again to compare."""
    sha256 = pixel_sha256(picture.rgb)
    suffix = SOURCE_SUFFIXES.get(picture.format)
    if suffix:
        rel = crop_relpath(sha256, SOURCES, suffix)
        if (out / rel).exists():
            return rel
        data = Path(path).read_bytes()
        if picture.as_stored or _decodes_to(data, picture.rgb):
            return write_once(out, rel, data)
    return save_crop(out, sha256, picture.rgb, SOURCES)


def _decodes_to(data: bytes, rgb: np.ndarray) -> bool:
    """Whether ``decode_bytes`` reads ``data`` as exactly ``rgb``."""
    try:
        decoded = decode_bytes(data, max_pixels=rgb.shape[0] * rgb.shape[1])
    except ValueError:  # BadImage included: OpenCV cannot read it
        return False
    return decoded.shape == rgb.shape and not cv2.norm(decoded, rgb, cv2.NORM_INF)


def crop_png(rgb: np.ndarray, box: tuple[int, int, int, int], path: Path, picture: Picture) -> bytes:
    """The PNG of the crop ``rgb`` at ``box`` of ``picture``, decoded from the heap file
    ``path``: the file's own bytes when the crop is the whole of a PNG whose samples are
    stored as they are (read alike by every decoder, see ``save_source``), else encoded."""
    h, w = picture.rgb.shape[:2]
    if picture.format == "PNG" and picture.as_stored and tuple(box) == (0, 0, w, h):
        return Path(path).read_bytes()
    return encode_png(rgb)


def encode_png(rgb: np.ndarray) -> bytes:
    """The RGB image as PNG bytes (OpenCV's default, fastest, compression)."""
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError("PNG encoding failed")
    return png.tobytes()


def write_once(out: Path, rel: str, data: bytes) -> str:
    """Write ``data`` to ``out / rel`` atomically unless it is there; return ``rel``."""
    target = out / rel
    if not target.exists():
        write_bytes(target, data)
    return rel
