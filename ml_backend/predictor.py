"""Answers /predict: each task scored by its project's served model, or by the cold-start rank before one exists."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ml_backend.trainer import Trainer
from ml_backend.views import Views
from studio.tasks import prediction

NO_MODEL_VERSION = "v0-none"


class Predictor:
    """Predictions for tasks Label Studio sends, from the model the trainer serves (never rebuilt per call)."""

    def __init__(self, trainer: Trainer, views: Views, connect: Callable):
        self.trainer, self.views, self.connect = trainer, views, connect

    def predict(self, pid: int, tasks: list[dict]) -> list[dict]:
        """One prediction per task, in order, without task ids (label-studio-ml's /predict shape)."""
        served = self.trainer.served(pid)
        features = self.views.features(tasks, self.connect(pid)) if served and served.model else None
        # A model saved by a version of the backend with other features cannot score these
        # ones: it answers as before any model until the retrain that resume() requested.
        if features is None or features.shape[1] != served.model.n_features_in_:
            version = served.version if served else NO_MODEL_VERSION
            cold = served.cold_scores if served else {}
            return [prediction(None, None, cold.get(t.get("id"), 1.0), version) for t in tasks]
        proba = np.asarray(served.model.predict_proba(features))
        best = proba.argmax(axis=1)
        return [prediction(None, str(served.model.classes_[b]), p[b], served.version) for b, p in zip(best, proba)]
