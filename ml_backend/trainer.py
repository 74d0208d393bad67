"""The trainer: fits a project's classifier on every annotation in Label Studio and scores every task."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from ml_backend.model import CropClassifier
from ml_backend.model_store import ModelStore, Served, version_number
from ml_backend.publisher import Publisher
from ml_backend.scheduler import Scheduler
from ml_backend.scoring import confidence, disagreements, diverse_order, out_of_fold_proba
from ml_backend.settings import REJECT_COST
from ml_backend.views import TaskFeatures, Views
from studio.config import DEFAULT_CLASSES
from studio.tasks import prediction, task_label

log = logging.getLogger(__name__)


class Project(Protocol):
    """What the trainer needs of one Label Studio project (see project.LabelStudioProject)."""

    def class_names(self) -> list[str]: ...
    def tasks(self) -> list[dict]: ...
    def load_image(self, task: dict): ...
    def load_source(self, task: dict): ...
    def activate(self, version: str) -> None: ...
    def replace_predictions(self, predictions: list[dict]) -> None: ...
    def show_suspects(self, task_ids: list[int]) -> None: ...


class Trainer:
    """Retrains per project (its ``scheduler`` runs one training at a time in the background)
    and serves the newest model.

    Each training reads every annotation from Label Studio, so no label is missed however
    webhooks were batched, fits the classifier (or, before two classes are labelled, ranks
    the tasks for a diverse sample), saves it in the ``ModelStore`` and has the
    ``publisher`` write its predictions. The features of a project's tasks are kept from one
    training to the next (the backend's only copy of them: the feature cache is on disk), so a
    training reads from the cache only the tasks added since. Each crop labelled as anything but ``reject``
    also teaches, merged with its nearest neighbour, what a ``reject`` looks like; a
    ``reject`` taken for a keeper costs ``reject_cost`` keepers taken for rejects.
    """

    def __init__(self, connect: Callable[[int], Project], views: Views, model_dir: Path,
                 scheduler: Scheduler | None = None, publisher: Publisher | None = None,
                 folds: int = 5, cold_clusters: int = 64, mistake_threshold: float = 0.9,
                 reject: str = DEFAULT_CLASSES[-1], reject_cost: float = REJECT_COST):
        if reject_cost <= 0:
            raise ValueError(f"reject_cost must be positive, got {reject_cost}")
        self.connect = connect
        self.views, self.reject, self.reject_cost = views, reject, reject_cost
        self.store = ModelStore(model_dir)
        self.scheduler = scheduler or Scheduler()
        self.scheduler.job = self.retrain
        self.publisher = publisher or Publisher()
        self.folds, self.cold_clusters, self.mistake_threshold = folds, cold_clusters, mistake_threshold
        self._served: dict[int, Served | None] = {}
        self._features: dict[int, TaskFeatures] = {}  # per project: the last retrain's, reused by the next
        self._lock = threading.Lock()

    @property
    def trainings(self) -> int:
        """Trainings finished so far."""
        return self.scheduler.trainings

    @property
    def failed(self) -> int:
        """Trainings failed so far."""
        return self.scheduler.failed

    def request(self, pid: int) -> None:
        """Ask for a retrain of project ``pid``; returns immediately."""
        self.scheduler.request(pid)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no training is due or running; False on timeout."""
        return self.scheduler.wait_idle(timeout)

    def served(self, pid: int) -> Served | None:
        """The current model of ``pid`` (loaded from MODEL_DIR on first use), or None."""
        with self._lock:
            if pid not in self._served:
                self._served[pid] = self._load(pid)
            return self._served[pid]

    def bootstrap(self, pid: int) -> None:
        """Request a first scoring of a project this process has nothing for (cold start)."""
        with self._lock:
            fresh = pid not in self._served
        if fresh and self.served(pid) is None:
            self.request(pid)

    def resume(self) -> None:
        """After a restart, retrain every project with a saved model: labels given while the
        backend was down (or during a killed training) are then learnt without a new webhook."""
        for pid in self.store.projects():
            self.request(pid)

    def _load(self, pid: int) -> Served | None:
        try:
            return self.store.load_latest(pid)
        except Exception:
            log.exception("cannot load the latest model of project %s", pid)
            return None

    def retrain(self, pid: int) -> Served:
        """One full cycle: fetch, featurise, fit (or cold-start), save, publish to Label Studio."""
        started = time.monotonic()
        log.info("project %s: training started", pid)
        project = self.connect(pid)
        classes, tasks = project.class_names(), project.tasks()
        if not tasks:
            raise ValueError("the project has no tasks")
        self._features[pid] = self.views.update(self._features.get(pid), tasks, project)
        features = self._features[pid].matrix
        labels = np.array([task_label(t) for t in tasks], dtype=object)
        known = np.flatnonzero([label in classes for label in labels])
        number = version_number(getattr(self.served(pid), "version", None)) + 1
        stamp = time.strftime("%Y%m%dT%H%M%S")
        if len(set(labels[known])) >= 2:
            served = Served(f"v{number}-{stamp}", self._fit(project, tasks, features, labels, known, classes))
            predictions, suspects = self._model_predictions(served, tasks, features, labels, known)
            self.store.save(pid, served.version, served.model)
        else:
            scores = diverse_order(features, self.cold_clusters)
            served = Served(f"v{number}-cold-{stamp}", None, {t["id"]: s for t, s in zip(tasks, scores)})
            predictions, suspects = [prediction(t["id"], None, s, served.version) for t, s in zip(tasks, scores)], []
        self.publisher.publish(pid, project, served.version, predictions, suspects, {tasks[i]["id"] for i in known},
                               switched=lambda: self._switch(pid, served),
                               superseded=lambda: self.scheduler.waiting(pid))
        log.info("project %s: %s from %d labels over %d tasks in %.1f s (%d likely mistakes)",
                 pid, served.version, len(known), len(tasks), time.monotonic() - started, len(suspects))
        return served

    def _fit(self, project: Project, tasks: list[dict], features: np.ndarray, labels: np.ndarray,
             known: np.ndarray, classes: list[str]) -> CropClassifier:
        """The classifier on the labelled tasks plus, when ``reject`` is a class, their
        merged-neighbour examples labelled ``reject``, standardised over every task."""
        x, y = features[known], labels[known].astype(str)
        keepers = [i for i in known if labels[i] != self.reject] if self.reject in classes else []
        _, merged = self.views.merged(tasks, keepers, project)
        if len(merged):
            x, y = np.vstack([x, merged]), np.append(y, [self.reject] * len(merged))
        return self._classifier().fit(x, y, pool=features)

    def _classifier(self) -> CropClassifier:
        return CropClassifier(costs={self.reject: self.reject_cost})

    def _model_predictions(self, served: Served, tasks: list[dict], features: np.ndarray,
                           labels: np.ndarray, known: np.ndarray) -> tuple[list[dict], list[int]]:
        proba = served.model.predict_proba(features)
        classes = served.model.classes_
        suspects: list[int] = []
        smallest = min(np.unique(labels[known].astype(str), return_counts=True)[1])
        if smallest >= 2:
            oof, _ = out_of_fold_proba(features[known], labels[known].astype(str), k=min(self.folds, smallest),
                                       make_model=self._classifier, pool=features)
            proba[known] = oof
            flagged = disagreements(oof, labels[known].astype(str), classes, self.mistake_threshold)
            suspects = [tasks[known[i]]["id"] for i in flagged]
        scores = confidence(proba)
        predicted = classes[proba.argmax(axis=1)]
        return [prediction(t["id"], str(c), s, served.version)
                for t, c, s in zip(tasks, predicted, scores)], suspects

    def _switch(self, pid: int, served: Served) -> None:
        """Serve ``served`` from now on (and, for a model, after a restart too)."""
        if served.model is not None:
            self.store.mark_latest(pid, served.version)
        with self._lock:
            self._served[pid] = served
