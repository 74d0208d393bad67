"""Scoring: uncertainty scores, cold-start diversity, out-of-fold label-mistake search."""
import numpy as np
import pytest

from ml_backend.scoring import (confidence, disagreements, diverse_order, kmeans, margin,
                                out_of_fold_proba)


def blobs(n_per: int, centres: int, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=10.0, size=(centres, dim))
    ids = np.repeat(np.arange(centres), n_per)
    return (means[ids] + rng.normal(size=(len(ids), dim))).astype(np.float32), ids


def test_confidence_and_margin():
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    assert np.allclose(confidence(proba), [0.5, 0.9, 0.8])
    assert np.allclose(margin(proba), [0.0, 0.8, 0.6])


@pytest.mark.parametrize("bad", [np.array([0.5, 0.5]), np.array([[0.7, 0.7]]), np.array([[np.nan, 1.0]]),
                                 np.array([[1.0]])])
def test_scores_reject_bad_proba(bad):
    with pytest.raises(ValueError):
        confidence(bad)


def test_kmeans_finds_separated_blobs():
    x, truth = blobs(30, 4)
    _, ids = kmeans(x, 4)
    for c in range(4):
        assert len(set(ids[truth == c])) == 1
    assert len({ids[truth == c][0] for c in range(4)}) == 4, "each blob its own cluster"


def test_diverse_order_covers_every_group_first():
    # 1,000 rows of one kind listed first, then four small groups: the first five served
    # (lowest scores) must come from five different groups, not the first rows imported.
    big, _ = blobs(1000, 1, seed=1)
    small, ids = blobs(10, 4, seed=2)
    x = np.vstack([big, small])
    group = np.concatenate([np.zeros(1000, int), ids + 1])
    scores = diverse_order(x, n=5)
    assert scores.shape == (len(x),) and len(np.unique(scores)) == len(x)
    assert 0 <= scores.min() and scores.max() < 1
    assert len(set(group[np.argsort(scores)[:5]])) == 5


@pytest.mark.parametrize("with_pool", [False, True])
def test_out_of_fold_finds_flipped_labels(with_pool):
    x, truth = blobs(40, 2, seed=3)
    labels = np.where(truth == 0, "symbol", "garbage")
    flipped = [3, 50]
    labels[flipped] = np.where(labels[flipped] == "symbol", "garbage", "symbol")
    pool = np.vstack([x, blobs(200, 2, seed=4)[0]]) if with_pool else None
    oof, classes = out_of_fold_proba(x, labels, k=5, pool=pool)
    assert oof.shape == (80, 2) and list(classes) == ["garbage", "symbol"]
    assert sorted(disagreements(oof, labels, classes, threshold=0.9)) == flipped


def test_out_of_fold_validates():
    x, _ = blobs(5, 2)
    with pytest.raises(ValueError):
        out_of_fold_proba(x, ["a"] * 10, k=3)
    with pytest.raises(ValueError):
        out_of_fold_proba(x, ["a", "b"] * 4, k=3)
    with pytest.raises(ValueError, match="pool"):
        out_of_fold_proba(x, ["a", "b"] * 5, k=2, pool=np.zeros((4, x.shape[1] + 1)))
