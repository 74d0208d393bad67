"""Fixtures of unit and end-to-end tests alike."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_heap(tmp_path_factory) -> Path:
    """A small heap built offline from fonts and photos that installed packages ship."""
    from benchmarks.devheap import build_heap
    heap = tmp_path_factory.mktemp("heap")
    build_heap(heap, sheets=6, seed=1, offline=True)
    return heap
