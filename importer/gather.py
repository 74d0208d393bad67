"""Gather: walk a heap and yield the image files in it, in a stable order."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"})


def gather(heap: Path) -> Iterator[Path]:
    """Yield image files under ``heap`` recursively, sorted, each real directory once.

    Symlinked directories are followed, but a directory reached twice (a symlink loop or
    two links to one place) is walked only once. Suffixes are matched in any letter case;
    the decoder trusts the file's content, not its suffix.
    """
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(heap, followlinks=True):
        st = os.stat(root)
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def relative_source(path: Path, heap: Path) -> str:
    """The manifest's ``source``: ``path`` relative to the heap root, forward slashes."""
    return Path(os.path.relpath(path, heap)).as_posix()
