"""Background retraining: debounced, one at a time, always on every annotation in Label Studio."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from ml_backend.model import CropClassifier
from storage.files import write_text
from studio.config import DEFAULT_CLASSES
from studio.tasks import prediction, task_label
from ml_backend.settings import REJECT_COST
from ml_backend.scoring import confidence, disagreements, diverse_order, out_of_fold_proba
from ml_backend.views import Views

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


@dataclass(frozen=True)
class Served:
    """The model a project is served with; ``model`` None means cold-start scores only."""

    version: str
    model: CropClassifier | None = None
    cold_scores: dict[int, float] = field(default_factory=dict)


class ModelStore:
    """Models under ``root/project-<id>/<version>.npz`` plus an atomically replaced ``latest``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _folder(self, pid: int) -> Path:
        return self.root / f"project-{pid}"

    def save(self, pid: int, version: str, model: CropClassifier) -> None:
        """Write the model file (``mark_latest`` makes it the one loaded after a restart)."""
        model.save(self._folder(pid) / f"{version}.npz")

    def mark_latest(self, pid: int, version: str) -> None:
        """Point ``latest`` at ``version`` (atomically)."""
        write_text(self._folder(pid) / "latest", version + "\n")

    def projects(self) -> list[int]:
        """Ids of the projects that have a latest good model."""
        return sorted(int(p.parent.name.split("-", 1)[1]) for p in self.root.glob("project-*/latest"))

    def load_latest(self, pid: int) -> Served | None:
        """The model ``latest`` names or, should that file be missing or unreadable (a power
        loss, a hand), the newest readable older one; None when the project has no ``latest``."""
        folder = self._folder(pid)
        pointer = folder / "latest"
        if not pointer.exists():
            return None
        named = pointer.read_text().strip()
        older = sorted((p.stem for p in folder.glob("v*.npz")
                        if version_number(p.stem) < version_number(named)), key=version_number, reverse=True)
        for version in [named, *older]:
            try:
                return Served(version, CropClassifier.load(folder / f"{version}.npz"))
            except Exception as error:
                log.warning("project %s: model %s cannot be loaded (%s)", pid, version, error)
        return None


def version_number(version: str | None) -> int:
    """The n of a ``v<n>-...`` version string (0 for anything else)."""
    match = re.match(r"v(\d+)-", version or "")
    return int(match.group(1)) if match else 0


class Trainer:
    """Retrains per project in one background thread.

    ``request`` returns at once. The worker waits until no request came for ``debounce``
    seconds (but never longer than ``max_wait`` after the first), runs one training at a
    time, and trains again if requests arrived meanwhile. Each training reads every
    annotation from Label Studio, so no label is missed however webhooks were batched; a
    failed one is tried again after ``retry_delay`` seconds, doubling up to five minutes.
    Publishing sleeps ``pause`` times as long as each chunk of writes took, so that people's
    annotations get Label Studio's write lock in between. Each crop labelled as anything but
    ``reject`` also teaches, merged with its nearest neighbour, what a ``reject`` looks like;
    a ``reject`` taken for a keeper costs ``reject_cost`` keepers taken for rejects.
    """

    def __init__(self, connect: Callable[[int], Project], views: Views, model_dir: Path,
                 debounce: float = 1.5, max_wait: float = 10.0, folds: int = 5,
                 cold_clusters: int = 64, mistake_threshold: float = 0.9, chunk: int = 250,
                 pause: float = 0.5, retry_delay: float = 5.0, tolerance: float = 0.05,
                 reject: str = DEFAULT_CLASSES[-1], reject_cost: float = REJECT_COST):
        if reject_cost <= 0:
            raise ValueError(f"reject_cost must be positive, got {reject_cost}")
        self.connect = connect
        self.views, self.reject, self.reject_cost = views, reject, reject_cost
        self.store = ModelStore(model_dir)
        self.debounce, self.max_wait = debounce, max_wait
        self.folds, self.cold_clusters, self.mistake_threshold = folds, cold_clusters, mistake_threshold
        self.chunk, self.pause, self.retry_delay, self.tolerance = chunk, pause, retry_delay, tolerance
        self._held: dict[int, dict[int, tuple]] = {}  # per project: task -> (class, score) written
        self.trainings = 0  # finished, successful ones
        self.failed = 0
        self._served: dict[int, Served | None] = {}
        self._first: dict[int, float] = {}
        self._retry: dict[int, float] = {}  # failed trainings: when to try again
        self._failures: dict[int, int] = {}
        self._last: dict[int, float] = {}
        self._running = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self, pid: int) -> None:
        """Ask for a retrain of project ``pid``; returns immediately."""
        with self._cond:
            now = time.monotonic()
            self._first.setdefault(pid, now)
            self._last[pid] = now
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="trainer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def served(self, pid: int) -> Served | None:
        """The current model of ``pid`` (loaded from MODEL_DIR on first use), or None."""
        with self._cond:
            if pid not in self._served:
                self._served[pid] = self._load(pid)
            return self._served[pid]

    def bootstrap(self, pid: int) -> None:
        """Request a first scoring of a project this process has nothing for (cold start)."""
        with self._cond:
            fresh = pid not in self._served
        if fresh and self.served(pid) is None:
            self.request(pid)

    def resume(self) -> None:
        """After a restart, retrain every project with a saved model: labels given while the
        backend was down (or during a killed training) are then learnt without a new webhook."""
        for pid in self.store.projects():
            self.request(pid)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._first and not self._running, timeout)

    def _load(self, pid: int) -> Served | None:
        try:
            return self.store.load_latest(pid)
        except Exception:
            log.exception("cannot load the latest model of project %s", pid)
            return None

    def _work(self) -> None:
        while True:
            pid = self._next_due()
            try:
                self.retrain(pid)
                self._failures.pop(pid, None)
                with self._cond:
                    self.trainings += 1
            except Exception:
                with self._cond:
                    self.failed += 1
                failures = self._failures[pid] = self._failures.get(pid, 0) + 1
                delay = min(self.retry_delay * 2 ** (failures - 1), 300.0)
                log.exception("training project %s failed; the previous model stays in service, "
                              "retry in %.0f s", pid, delay)
                with self._cond:
                    self._retry[pid] = time.monotonic() + delay
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()

    def _next_due(self) -> int:
        with self._cond:
            while True:
                now = time.monotonic()
                due = {pid: min(self._last[pid] + self.debounce, self._first[pid] + self.max_wait)
                       for pid in self._first}
                for pid, at in self._retry.items():
                    due[pid] = min(at, due.get(pid, at))
                ready = [pid for pid, at in due.items() if at <= now]
                if ready:
                    pid = min(ready, key=due.get)
                    for pending in (self._first, self._last, self._retry):
                        pending.pop(pid, None)
                    self._running = True
                    return pid
                self._cond.wait(min(due.values()) - now if due else None)

    def retrain(self, pid: int) -> Served:
        """One full cycle: fetch, featurise, fit (or cold-start), save, publish to Label Studio."""
        started = time.monotonic()
        log.info("project %s: training started", pid)
        project = self.connect(pid)
        classes, tasks = project.class_names(), project.tasks()
        if not tasks:
            raise ValueError("the project has no tasks")
        features = self.views.features(tasks, project)
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
        self._publish(pid, project, served, predictions, suspects, {tasks[i]["id"] for i in known})
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

    def _publish(self, pid: int, project: Project, served: Served, predictions: list[dict],
                 suspects: list[int], labelled: set[int]) -> None:
        """Replace each task's prediction with this version's and switch the project to it
        after the first chunk (the most uncertain unlabelled tasks): from then on Label Studio
        serves the new model's most uncertain task. Then come the tasks whose class or score
        changed, then the rest; a waiting retrain of this project skips that unchanged rest.
        Label Studio deletes predictions one by one (~8 ms each, holding SQLite's write
        lock), so chunks are small and a pause after each lets annotations through."""
        held = self._held.setdefault(pid, {})
        ordered = sorted(predictions, key=lambda p: (p["task"] in labelled, p["score"]))
        first, rest = ordered[:self.chunk], ordered[self.chunk:]
        changed, unchanged = [], []
        for p in rest:
            (changed if _changed(p, held.get(p["task"]), self.tolerance) else unchanged).append(p)
        self._replace(project, held, first)
        project.activate(served.version)
        if served.model is not None:
            self.store.mark_latest(pid, served.version)
        with self._cond:
            self._served[pid] = served
        project.show_suspects(suspects)
        for start in range(0, len(changed), self.chunk):
            self._replace(project, held, changed[start:start + self.chunk])
        for start in range(0, len(unchanged), self.chunk):
            with self._cond:
                if pid in self._first:
                    log.info("project %s: a retrain waits; %d unchanged predictions keep their "
                             "older version", pid, len(unchanged) - start)
                    return
            self._replace(project, held, unchanged[start:start + self.chunk])

    def _replace(self, project: Project, held: dict[int, tuple], chunk: list[dict]) -> None:
        """Write one chunk, remember what Label Studio now holds, and pause."""
        started = time.monotonic()
        project.replace_predictions(chunk)
        held.update((p["task"], _content(p)) for p in chunk)
        time.sleep(self.pause * (time.monotonic() - started))  # let annotations through


def _content(p: dict) -> tuple[str | None, float]:
    """A prediction's class (None for an empty result) and score."""
    return (p["result"][0]["value"]["choices"][0] if p["result"] else None), p["score"]


def _changed(p: dict, held: tuple | None, tolerance: float) -> bool:
    """Whether Label Studio's copy differs in class or by more than ``tolerance`` in score."""
    if held is None:
        return True
    label, score = _content(p)
    return label != held[0] or abs(score - held[1]) > tolerance
