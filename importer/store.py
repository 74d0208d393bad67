"""Store: content-addressed PNG crops (and the collections they came from) and the crop manifest."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np


def pixel_sha256(rgb: np.ndarray) -> str:
    """Hex sha256 of a crop's pixels and shape: equal pixels, equal hash, whatever the file."""
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}:".encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    return digest.hexdigest()


def crop_relpath(sha256: str, folder: str = "crops") -> str:
    """Where a crop (or, with ``folder="sources"``, a source picture) lives inside the store,
    relative to the output folder."""
    return f"{folder}/{sha256[:2]}/{sha256}.png"


def save_crop(out: Path, sha256: str, rgb: np.ndarray, folder: str = "crops") -> str:
    """Write the image as PNG once (atomic; skipped when present); return its relative path."""
    rel = crop_relpath(sha256, folder)
    target = out / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"PNG encoding failed for {rel}")
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(png.tobytes())
        os.replace(tmp, target)
    return rel


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows as JSON Lines atomically (temp file + rename); return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON Lines file (blank lines ignored)."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
