"""Names of what the stages share on disk: a split's manifest, its store's paths and the backend's model folder."""
from __future__ import annotations

from pathlib import Path

MANIFEST = "manifest.jsonl"  # a split's crops, one JSON object each (docs/DESIGN.md)
BAD_FILES = "bad_files.jsonl"  # a split's unreadable files
DEFAULT_MODEL_DIR = Path("models")  # the backend's MODEL_DIR: models, 'latest' pointers, feature cache
CONTEXT = "context"  # per crop of a collection: its surroundings with its box drawn (importer.context)
SOURCES = "sources"  # the collections the crops were cut from (importer.store.save_source)


def crop_relpath(sha256: str, folder: str = "crops", suffix: str = ".png") -> str:
    """Where a crop (or, with ``folder=SOURCES`` or ``CONTEXT``, a source picture or a crop's
    context) lives inside a split's store, relative to the output folder."""
    return f"{folder}/{sha256[:2]}/{sha256}{suffix}"
