"""Crops a split kept but never pushed (a heap larger than one project), as tasks that carry
the project's latest model's prediction, so the export can take the confident ones as
model-labelled without their ever becoming Label Studio tasks."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ml_backend.offline import latest_model, model_proba, split_tasks
from studio.tasks import prediction


def model_labelled(outs: Sequence[Path], document_root: Path, model_dir: Path, project_id: int,
                   min_confidence: float) -> Callable[[set[str]], list[dict]]:
    """For ``export``: given the sha256 of the crops in the project, the other crops of the
    splits in ``outs`` that the latest model predicts at least ``min_confidence``, each
    with that prediction (no task id); none before the project's first trained model."""
    def unpushed(known: set[str]) -> list[dict]:
        found = latest_model(model_dir, project_id)
        tasks = [t for out in outs for t in split_tasks(out, document_root) if t["data"]["sha256"] not in known]
        if found is None or not tasks:
            return []
        version, model = found
        proba = model_proba(tasks, model, model_dir, document_root)
        best, scores = proba.argmax(axis=1), proba.max(axis=1)
        return [{**task, "annotations": [],
                 "predictions": [prediction(None, str(model.classes_[b]), float(s), version)]}
                for task, b, s in zip(tasks, best, scores) if s >= min_confidence]
    return unpushed
