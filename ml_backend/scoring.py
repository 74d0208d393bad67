"""Pure scoring functions: uncertainty, cold-start diversity, likely label mistakes.

Label Studio's uncertainty sampling serves the unlabeled task with the LOWEST prediction
score first, so every score here is "low = ask a person about this next".
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ml_backend.model import CropClassifier


def _check_proba(proba: np.ndarray) -> np.ndarray:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(f"proba must be (n, n_classes >= 2), got shape {proba.shape}")
    if not np.isfinite(proba).all() or (proba < 0).any():
        raise ValueError("proba must be finite and non-negative")
    if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("proba rows must sum to 1")
    return proba


def _check_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] == 0 or not np.isfinite(features).all():
        raise ValueError(f"features must be a finite non-empty 2-D array, got {features.shape}")
    return features


def confidence(proba: np.ndarray) -> np.ndarray:
    """Probability of the predicted class: the prediction score (lowest served first)."""
    return _check_proba(proba).max(axis=1)


def margin(proba: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 probability (0 = a coin flip)."""
    top = np.sort(_check_proba(proba), axis=1)
    return top[:, -1] - top[:, -2]


KMEANS_ITERATIONS = 15
CHUNK = 4096  # rows summed at a time into a centroid


def kmeans(features: np.ndarray, k: int, iterations: int = KMEANS_ITERATIONS, seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeded Lloyd iterations on L2-normalised rows: (centroids (k, d), cluster ids (n,))."""
    return _kmeans(_UnitRows(_check_features(features)), k, iterations, seed)


class _UnitRows:
    """The rows of ``x`` scaled to length 1 (zero rows stay zero) without a scaled copy of
    ``x``: rows and products are scaled as they are taken, so k-means over a project's
    features costs no second matrix of their size."""

    def __init__(self, x: np.ndarray):
        self.x = x
        self.scale = 1.0 / np.maximum(np.sqrt(_row_squares(x)), 1e-12)
        self.squares = _row_squares(x) * self.scale ** 2

    def __len__(self) -> int:
        return len(self.x)

    def rows(self, index) -> np.ndarray:
        return self.x[index] * (self.scale[index, None] if np.ndim(index) else self.scale[index])

    def sq_distances(self, centroids: np.ndarray) -> np.ndarray:
        dots = (self.x @ centroids.T) * self.scale[:, None]
        return np.maximum(self.squares[:, None] - 2.0 * dots + _row_squares(centroids)[None, :], 0.0)

    def mean(self, members: np.ndarray) -> np.ndarray:
        total = np.zeros(self.x.shape[1], np.float64)
        for start in range(0, len(members), CHUNK):
            chunk = members[start:start + CHUNK]
            total += self.scale[chunk] @ self.x[chunk]
        return total / len(members)


def _kmeans(x: _UnitRows, k: int, iterations: int = KMEANS_ITERATIONS, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be in 1..{len(x)}, got {k}")
    rng = np.random.default_rng(seed)
    centroids = _kmeans_plus_plus(x, k, rng)
    for _ in range(iterations):
        ids = x.sq_distances(centroids).argmin(axis=1)
        for c in range(k):
            members = np.flatnonzero(ids == c)
            if len(members):
                centroids[c] = x.mean(members)
    return centroids, x.sq_distances(centroids).argmin(axis=1)


def _row_squares(x: np.ndarray) -> np.ndarray:
    """Each row's sum of squares, without an array of the squares."""
    return np.einsum("ij,ij->i", x, x)


def _sq_distances(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    d = _row_squares(x)[:, None] - 2.0 * (x @ centroids.T) + _row_squares(centroids)[None, :]
    return np.maximum(d, 0.0)


def _kmeans_plus_plus(x: _UnitRows, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++: each step draws a few D²-weighted candidates and keeps the best."""
    trials = 2 + int(np.log(k))
    centroids = [x.rows(rng.integers(len(x)))]
    closest = x.sq_distances(centroids[0][None])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:
            candidates = rng.integers(len(x), size=trials)
        else:
            candidates = rng.choice(len(x), size=trials, p=closest / total)
        options = np.minimum(closest[None, :], x.sq_distances(x.rows(candidates)).T)
        best = int(options.sum(axis=1).argmin())
        centroids.append(x.rows(candidates[best]))
        closest = options[best]
    return np.array(centroids, np.float32)


def diverse_order(features: np.ndarray, n: int = 64, seed: int = 0) -> np.ndarray:
    """Cold-start scores in [0, 1): the lowest go to a diverse, representative sample.

    The rows are clustered into ``n`` k-means clusters; each cluster is sorted by distance
    to its centroid and the clusters are visited round-robin (clusters in farthest-point
    order of their centroids), so every prefix of the order covers the whole heap.
    """
    x = _UnitRows(_check_features(features))
    centroids, ids = _kmeans(x, min(n, len(x)), seed=seed)
    distance = x.sq_distances(centroids)[np.arange(len(x)), ids]
    visit = _farthest_point_order(centroids, start=int(np.bincount(ids).argmax()))
    rank_in_cluster = np.empty(len(x), np.int64)
    for c in range(len(centroids)):
        members = np.flatnonzero(ids == c)
        rank_in_cluster[members[np.argsort(distance[members], kind="stable")]] = np.arange(len(members))
    cluster_position = np.empty(len(centroids), np.int64)
    cluster_position[visit] = np.arange(len(visit))
    order = np.lexsort((cluster_position[ids], rank_in_cluster))
    scores = np.empty(len(x))
    scores[order] = np.arange(len(x)) / len(x)
    return scores


def _farthest_point_order(points: np.ndarray, start: int) -> np.ndarray:
    order = [start]
    closest = _sq_distances(points, points[start][None])[:, 0]
    for _ in range(1, len(points)):
        pick = int(closest.argmax())
        order.append(pick)
        closest = np.minimum(closest, _sq_distances(points, points[pick][None])[:, 0])
    return np.array(order)


def out_of_fold_proba(features: np.ndarray, labels: Sequence[str], k: int = 5,
                      make_model: Callable[[], CropClassifier] = CropClassifier, seed: int = 0,
                      pool: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stratified k-fold probabilities: each row predicted by a model that never saw it.

    Returns (proba (n, n_classes), classes). A fold whose training part holds a single
    class predicts that class's training frequency. ``pool`` goes to every fold's ``fit``
    (the rows its standardisation is taken from), as it does to the served model's.
    """
    features = _check_features(features)
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        raise ValueError(f"labels shape {labels.shape} does not match {len(features)} rows")
    classes, targets = np.unique(labels, return_inverse=True)
    if len(classes) < 2 or k < 2:
        raise ValueError("need at least two classes and k >= 2")
    folds = _stratified_folds(targets, k, np.random.default_rng(seed))
    proba = np.zeros((len(features), len(classes)))
    for fold in range(k):
        held, kept = folds == fold, folds != fold
        if held.any():
            proba[held] = _fold_proba(features[kept], targets[kept], features[held], classes, make_model, pool)
    return proba, classes


def _stratified_folds(targets: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    folds = np.empty(len(targets), np.int64)
    for c in np.unique(targets):
        members = rng.permutation(np.flatnonzero(targets == c))
        folds[members] = (np.arange(len(members)) + rng.integers(k)) % k
    return folds


def _fold_proba(train_x, train_y, test_x, classes, make_model, pool) -> np.ndarray:
    present = np.unique(train_y)
    if len(present) < 2:
        out = np.zeros((len(test_x), len(classes)))
        out[:, present] = 1.0
        return out
    model = make_model().fit(train_x, classes[train_y], pool=pool)
    out = np.zeros((len(test_x), len(classes)))
    out[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(test_x)
    return out


def disagreements(oof_proba: np.ndarray, labels: Sequence[str], classes: Sequence[str],
                  threshold: float = 0.9) -> np.ndarray:
    """Rows whose out-of-fold prediction is another class with probability >= ``threshold``
    (likely label mistakes), most confident first."""
    proba = _check_proba(oof_proba)
    classes = np.asarray(classes)
    labels = np.asarray(labels)
    if labels.shape != (len(proba),) or len(classes) != proba.shape[1]:
        raise ValueError("labels and classes must match oof_proba's rows and columns")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    predicted = proba.argmax(axis=1)
    confident = proba.max(axis=1)
    flagged = np.flatnonzero((classes[predicted] != labels) & (confident >= threshold))
    return flagged[np.argsort(-confident[flagged], kind="stable")]
