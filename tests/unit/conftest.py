"""Unit tests: the modules that take more than a few seconds count as slow, so ``make test-fast`` leaves them to ``make test``."""
from __future__ import annotations

import pytest

# docker-compose's own config check, heaps built from fonts, decoding under a memory cap, the offline loop, local Ray.
SLOW_MODULES = {"test_compose.py", "test_devheap.py", "test_decode_limits.py", "test_replay.py",
                "test_ray_split.py", "test_ray_embed.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
