"""A small classifier head on frozen CNN features, with scikit-learn's conventions."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from storage.files import atomic_writer

CHUNK = 4096  # rows standardised at a time: the temporary arrays stay a chunk's, not the pool's


def _check_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"features must be a non-empty 2-D array, got shape {features.shape}")
    if not np.isfinite(features).all():
        raise ValueError("features contain NaN or infinity")
    return features


class CropClassifier:
    """Multinomial logistic regression on standardised features, fitted full-batch with
    L-BFGS, class-balanced cross-entropy and an L2 penalty (``weight_decay``).

    ``costs`` weighs a class's rows beyond the balance (1 where not named): with
    ``{"garbage": 2.5}`` a garbage row taken for a keeper costs 2.5 keepers taken for
    garbage, so the classes' probabilities are even where a keeper's balanced probability
    is about 0.7, and the most uncertain tasks are those near that point.

    The standardisation's mean and scale come from ``pool`` when ``fit`` is given one:
    pass the features of every task, labelled or not, so that a few hundred labels do not
    set the scale of thousands of dimensions (in the dev heap's offline replay, with the last
    stage's features alone, precision at 100 labels rose from 0.954 to 0.968; see
    ml_backend/README.md)."""

    def __init__(self, weight_decay: float = 2e-2, max_iter: int = 200,
                 costs: Mapping[str, float] | None = None):
        self.weight_decay = weight_decay
        self.max_iter = max_iter
        self.costs = dict(costs or {})

    def fit(self, features: np.ndarray, labels: Sequence[str],
            pool: np.ndarray | None = None) -> "CropClassifier":
        """Fit on ``features`` (n, d) and string ``labels`` (n,) with at least two classes,
        standardising with the statistics of ``pool`` (m, d) if given, else of ``features``."""
        features = _check_features(features)
        pool = features if pool is None else _check_features(pool)
        if pool.shape[1] != features.shape[1]:
            raise ValueError(f"pool has {pool.shape[1]} features, expected {features.shape[1]}")
        labels = np.asarray(labels)
        if labels.shape != (features.shape[0],):
            raise ValueError(f"labels shape {labels.shape} does not match {features.shape[0]} rows")
        self.classes_, targets = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least two classes, got {list(self.classes_)}")
        if any(c <= 0 for c in self.costs.values()):
            raise ValueError(f"costs must be positive, got {self.costs}")
        self.mean_ = pool.mean(axis=0)
        self.scale_ = _std(pool, self.mean_) + 1e-6
        self.coef_, self.intercept_ = self._optimise(self._standardise(features), targets)
        return self

    def _standardise(self, features: np.ndarray) -> torch.Tensor:
        return torch.from_numpy((features - self.mean_) / self.scale_)

    def _optimise(self, x: torch.Tensor, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = torch.from_numpy(targets)
        counts = np.bincount(targets, minlength=len(self.classes_))
        costs = np.array([self.costs.get(c, 1.0) for c in self.classes_])
        balance = torch.tensor(costs * len(targets) / (len(counts) * counts), dtype=torch.float32)
        weight = torch.zeros((len(self.classes_), x.shape[1]), requires_grad=True)
        bias = torch.zeros(len(self.classes_), requires_grad=True)
        optimiser = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=self.max_iter,
                                      line_search_fn="strong_wolfe")

        def loss() -> torch.Tensor:
            optimiser.zero_grad()
            value = torch.nn.functional.cross_entropy(x @ weight.T + bias, y, weight=balance)
            value = value + self.weight_decay * weight.pow(2).sum()
            value.backward()
            return value

        optimiser.step(loss)
        return weight.detach().numpy(), bias.detach().numpy()

    @property
    def n_features_in_(self) -> int:
        """The width of the features it was fitted on."""
        return self.coef_.shape[1]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in ``classes_`` order."""
        features = _check_features(features)
        if features.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {features.shape[1]}")
        out = np.empty((len(features), len(self.classes_)), np.float32)
        for start in range(0, len(features), CHUNK):
            x = self._standardise(features[start:start + CHUNK])
            logits = x @ torch.from_numpy(self.coef_.T) + torch.from_numpy(self.intercept_)
            out[start:start + len(x)] = torch.softmax(logits, dim=1).numpy()
        return out

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.predict_proba(features).argmax(axis=1)]

    def save(self, path: Path) -> None:
        """Write to ``path`` atomically."""
        with atomic_writer(path) as handle:
            np.savez(handle, classes=self.classes_.astype(str), mean=self.mean_, scale=self.scale_,
                     coef=self.coef_, intercept=self.intercept_,
                     params=np.array([self.weight_decay, self.max_iter], np.float64),
                     cost_classes=np.array(list(self.costs), str),
                     costs=np.array(list(self.costs.values()), float))

    @classmethod
    def load(cls, path: Path) -> "CropClassifier":
        """Read a classifier written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            weight_decay, max_iter = data["params"]
            costs = dict(zip(data["cost_classes"].tolist(), data["costs"].tolist())) if "costs" in data else {}
            model = cls(weight_decay=float(weight_decay), max_iter=int(max_iter), costs=costs)
            model.classes_ = data["classes"]
            model.mean_, model.scale_ = data["mean"], data["scale"]
            model.coef_, model.intercept_ = data["coef"], data["intercept"]
        return model


def _std(pool: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Each column's standard deviation around ``mean``, ``CHUNK`` rows at a time."""
    squares = np.zeros(pool.shape[1], np.float64)
    for start in range(0, len(pool), CHUNK):
        squares += np.square(pool[start:start + CHUNK] - mean).sum(axis=0)
    return np.sqrt(squares / len(pool)).astype(pool.dtype)
