"""Names of what the stages share on disk: a split's manifest and the backend's model folder."""
from __future__ import annotations

from pathlib import Path

MANIFEST = "manifest.jsonl"  # a split's crops, one JSON object each (docs/DESIGN.md)
BAD_FILES = "bad_files.jsonl"  # a split's unreadable files
DEFAULT_MODEL_DIR = Path("models")  # the backend's MODEL_DIR: models, 'latest' pointers, feature cache
