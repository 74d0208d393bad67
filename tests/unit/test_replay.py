"""benchmarks.replay: the offline labelling loop on synthetic features."""
import numpy as np

from benchmarks.replay import _next, ceiling, replay
from benchmarks.simulate import Run


def _blobs(n=300, seed=0, overlap=0.0):
    """Two Gaussian blobs in 8-D; ``overlap`` of the keep labels flipped at random."""
    rng = np.random.default_rng(seed)
    keep = rng.random(n) < 0.7
    features = rng.normal(size=(n, 8)).astype(np.float32) + np.where(keep, 3.0, -3.0)[:, None]
    flip = rng.random(n) < overlap
    return features, keep ^ flip


def test_separable_heap_reaches_the_bar_with_few_labels():
    features, keep = _blobs()
    curve = replay(features, keep, "uncertainty", budget=60, every=10, min_confidence=0.9)
    assert curve[-1]["labels"] == 60
    needed = Run("uncertainty", curve).labels_to_bar
    assert needed is not None and needed <= 30
    assert ceiling(features, keep)["precision_at_recall_0.95"] == 1.0


def test_label_noise_lowers_the_ceiling():
    features, keep = _blobs(overlap=0.1)
    assert ceiling(features, keep)["precision_at_recall_0.95"] < 0.95


def test_mixed_order_takes_the_least_confident_then_random_draws():
    labelled = np.zeros(20, bool)
    labelled[:2] = True
    sure = np.linspace(0.5, 1.0, 20)
    proba = np.column_stack([1 - sure, sure])
    picked = _next(labelled, proba, np.arange(20), "uncertainty", 5, 0.4, np.random.default_rng(0))
    assert len(set(picked)) == 5 and not labelled[picked].any()
    assert list(picked[:3]) == [2, 3, 4]  # lowest confidence among the unlabelled first
