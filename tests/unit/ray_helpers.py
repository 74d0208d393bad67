"""A local Ray of 2 CPUs for the Ray tests, as CI runs them."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_two_cpus():
    """One local Ray of 2 CPUs for a test module; the commands under test join it."""
    from cluster.ray_engine import import_ray
    ray = import_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
