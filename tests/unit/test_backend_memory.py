"""The backend holds a project's features once (issue 19: 2 GB at 32,000 tasks): the traced
memory of retrains over cached features, against the size of the feature matrix."""
from __future__ import annotations

import tracemalloc

import numpy as np

from ml_backend import model as model_module
from ml_backend.features import FEATURE_DIM, Embedder, FeatureCache
from ml_backend.scheduler import Scheduler
from ml_backend.trainer import Trainer
from ml_backend.model import CropClassifier
from ml_backend.scoring import diverse_order
from ml_backend.views import Views, region_key
from studio.tasks import choice

TASKS, MARGINS = 1200, (0.25, 1.0)


class CachedProject:
    """Tasks of crops in collection pictures whose features are all cached (nothing is decoded)."""

    def __init__(self):
        self.task_list = [{"id": i + 1, "annotations": [], "data": {
            "image": f"crop{i}.png", "sha256": f"{i + 1:064x}", "source_image": f"sheet{i // 8}.png",
            "bbox": [i % 8 * 20, 0, 10, 10]}} for i in range(TASKS)]

    def class_names(self):
        return ["symbol", "garbage"]

    def tasks(self):
        return self.task_list

    def load_image(self, task):
        raise AssertionError("a cached crop was decoded")

    load_source = load_image


class Silent:
    """A publisher that writes nothing and switches at once."""

    def publish(self, pid, project, version, predictions, suspects, labelled, switched, superseded):
        switched()


def fill_cache(root, tasks) -> None:
    cache, rng = FeatureCache(root / "lite0-128-taps"), np.random.default_rng(0)
    for t in tasks:
        d = t["data"]
        for key in [d["sha256"], *(region_key(d["source_image"], tuple(d["bbox"]), m) for m in MARGINS)]:
            cache.put(key, rng.random(FEATURE_DIM, np.float32))


def traced_peak(run) -> int:
    """Bytes allocated at the peak of ``run()`` above what was allocated before it."""
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    run()
    return tracemalloc.get_traced_memory()[1] - before


def warm_up() -> None:
    """Import what training imports on first use, so that the modules' memory is not counted."""
    x = np.eye(4, dtype=np.float32)
    CropClassifier().fit(x, ["a", "b", "a", "b"]).predict_proba(x)
    diverse_order(x, 2)


def test_retrains_hold_the_features_once_not_a_cached_copy_beside_them(tmp_path, monkeypatch):
    monkeypatch.setattr(model_module, "CHUNK", 128)  # the model's chunks as small as the views'
    warm_up()
    project = CachedProject()
    fill_cache(tmp_path / "features", project.task_list)
    trainer = Trainer(lambda pid: project, Views(Embedder(tmp_path / "features"), MARGINS, chunk=128),
                      tmp_path / "models", Scheduler(debounce=3600, max_wait=3600), Silent())
    matrix = TASKS * FEATURE_DIM * (1 + len(MARGINS)) * 4
    tracemalloc.start()
    try:
        cold = traced_peak(lambda: trainer.retrain(1))  # the cold start: read, cluster, rank
        held = tracemalloc.get_traced_memory()[0]
        for i, t in enumerate(project.task_list[:30]):
            t["annotations"] = [{"id": i, "result": choice("symbol" if i % 3 else "garbage")}]
        model = traced_peak(lambda: trainer.retrain(1))  # labels: fit, score every task
    finally:
        tracemalloc.stop()
    # The matrix and a chunk's transients; before, the cache's memory mirror, the views' arrays
    # per view, k-means' unit-length copies and the squares of every feature (about 5 matrices).
    assert cold < 1.6 * matrix, cold / matrix
    assert held < 1.3 * matrix, held / matrix  # what stays between retrains: the matrix
    # The same tasks again: the kept matrix is reused, neither read again nor copied.
    assert model < 0.5 * matrix, model / matrix
