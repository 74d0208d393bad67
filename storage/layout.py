"""Names of what the stages share on disk: a split's manifest, its store's paths and the backend's model folder."""
from __future__ import annotations

from pathlib import Path

MANIFEST = "manifest.jsonl"  # a split's crops, one JSON object each (docs/DESIGN.md)
BAD_FILES = "bad_files.jsonl"  # a split's unreadable files
DEFAULT_MODEL_DIR = Path("models")  # the backend's MODEL_DIR: models, 'latest' pointers, feature cache
CONTEXT = "context"  # per crop of a collection: its surroundings with its box drawn (importer.context)


def crop_relpath(sha256: str, folder: str = "crops") -> str:
    """Where a crop (or, with ``folder="sources"`` or ``CONTEXT``, a source picture or a crop's
    context) lives inside a split's store, relative to the output folder."""
    return f"{folder}/{sha256[:2]}/{sha256}.png"
