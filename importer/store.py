"""Store: content-addressed PNG crops (and the collections they came from)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from storage.files import write_bytes
from storage.layout import crop_relpath


def pixel_sha256(rgb: np.ndarray) -> str:
    """Hex sha256 of a crop's pixels and shape: equal pixels, equal hash, whatever the file."""
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}:".encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    return digest.hexdigest()


def save_crop(out: Path, sha256: str, rgb: np.ndarray, folder: str = "crops") -> str:
    """Write the image as PNG once (atomic; skipped when present); return its relative path."""
    rel = crop_relpath(sha256, folder)
    if not (out / rel).exists():
        write_once(out, rel, encode_png(rgb))
    return rel


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
