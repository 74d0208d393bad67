"""Which crops need a person first: the order in which ``push --max-tasks`` sends them.

Before the project has a trained model, a diverse sample: the backend's own cold-start
order (k-means clusters of the crops' features visited round-robin, nearest the centre
first) over the crops not pushed yet, so a first wave covers every kind of crop the heap
holds. Once it has one, the crops that model is least sure of (lowest top-class
probability, the score Label Studio's uncertainty sampling serves first): those are the
ones a label teaches most, while the confident rest can be exported as model-labelled.
Features come from the backend's shared cache (``python -m ml_backend.embed``), computed
and cached here where missing.
"""
from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import numpy as np

from ml_backend.offline import latest_model, model_proba, task_features
from ml_backend.scoring import diverse_order

log = logging.getLogger(__name__)
COLD_POOL = 20_000  # the cold start draws its diverse sample from at most max(this, 2 × budget) crops


def ranker(model_dir: Path, document_root: Path):
    """``push``'s ``rank``: waves ranked with the backend's models and feature cache in ``model_dir``."""
    return partial(next_wave, model_dir=model_dir, document_root=document_root)


def next_wave(tasks: list[dict], budget: int, project_id: int, model_dir: Path,
              document_root: Path) -> list[int]:
    """Indices of the ``budget`` tasks (not yet in the project) that need a person most, most first."""
    if budget >= len(tasks):
        return list(range(len(tasks)))
    found = latest_model(model_dir, project_id)
    if found is not None:
        version, model = found
        try:
            scores = model_proba(tasks, model, model_dir, document_root).max(axis=1)
            log.info("wave of %d: the least confident crops by model %s", budget, version)
            return np.argsort(scores, kind="stable")[:budget].tolist()
        except ValueError as error:  # a model of other features: as before any model
            log.warning("model %s cannot score these crops (%s); sending a diverse sample", version, error)
    return _diverse(tasks, budget, model_dir, document_root)


def _diverse(tasks: list[dict], budget: int, model_dir: Path, document_root: Path) -> list[int]:
    """A diverse sample of ``budget`` tasks, drawn from a seeded random pool of the rest."""
    size = min(len(tasks), max(COLD_POOL, 2 * budget))
    pool = np.sort(np.random.default_rng(0).choice(len(tasks), size, replace=False))
    chosen = [tasks[i] for i in pool]
    features = np.vstack([f for _, f in task_features(chosen, model_dir, document_root)])
    log.info("wave of %d: a diverse sample of %d crops", budget, size)
    return pool[np.argsort(diverse_order(features), kind="stable")[:budget]].tolist()
