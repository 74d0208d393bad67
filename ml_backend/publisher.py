"""The publisher: writes a new model version's predictions to Label Studio and moves the project to it."""

from __future__ import annotations

import logging
import time
from typing import Callable, Protocol

from studio.tasks import chosen

log = logging.getLogger("ml_backend.trainer")  # the trainer's log, where its trainings are


class Target(Protocol):
    """What publishing needs of one Label Studio project (see studio.project.LabelStudioProject)."""

    def activate(self, version: str) -> None: ...
    def replace_predictions(self, predictions: list[dict]) -> None: ...
    def show_suspects(self, task_ids: list[int]) -> None: ...


class Publisher:
    """Replaces each task's prediction in chunks of ``chunk``, pausing ``pause`` times as long as
    each chunk took so that people's annotations get Label Studio's write lock in between;
    predictions within ``tolerance`` of what Label Studio holds count as unchanged."""

    def __init__(self, chunk: int = 50, pause: float = 0.5, tolerance: float = 0.05):
        self.chunk, self.pause, self.tolerance = chunk, pause, tolerance
        self.held: dict[int, dict[int, tuple]] = {}  # per project: task -> (class, score) written

    def publish(self, pid: int, project: Target, version: str, predictions: list[dict], suspects: list[int],
                labelled: set[int], switched: Callable[[], None], superseded: Callable[[], bool]) -> None:
        """Replace each task's prediction with this version's and switch the project to it
        after the first chunk (the most uncertain unlabelled tasks; ``switched`` is called
        then): from then on Label Studio serves the new model's most uncertain task. Then come
        the tasks whose class or score changed, then the rest, which is skipped once
        ``superseded`` says a newer version is coming. Label Studio deletes predictions one by
        one (~8 ms each, holding SQLite's write lock), so chunks are small."""
        held = self.held.setdefault(pid, {})
        ordered = sorted(predictions, key=lambda p: (p["task"] in labelled, p["score"]))
        first, rest = ordered[:self.chunk], ordered[self.chunk:]
        changed, unchanged = [], []
        for p in rest:
            (changed if _changed(p, held.get(p["task"]), self.tolerance) else unchanged).append(p)
        self._replace(project, held, first)
        project.activate(version)
        switched()
        log.info("project %s: %s served (its %d most uncertain predictions written)", pid, version, len(first))
        project.show_suspects(suspects)
        for start in range(0, len(changed), self.chunk):
            self._replace(project, held, changed[start:start + self.chunk])
        for start in range(0, len(unchanged), self.chunk):
            if superseded():
                log.info("project %s: a retrain waits; %d unchanged predictions keep their "
                         "older version", pid, len(unchanged) - start)
                return
            self._replace(project, held, unchanged[start:start + self.chunk])

    def _replace(self, project: Target, held: dict[int, tuple], chunk: list[dict]) -> None:
        """Write one chunk, remember what Label Studio now holds, and pause."""
        started = time.monotonic()
        project.replace_predictions(chunk)
        held.update((p["task"], _content(p)) for p in chunk)
        time.sleep(self.pause * (time.monotonic() - started))  # let annotations through


def _content(p: dict) -> tuple[str | None, float]:
    """A prediction's class (None for an empty result) and score."""
    return chosen(p["result"]), p["score"]


def _changed(p: dict, held: tuple | None, tolerance: float) -> bool:
    """Whether Label Studio's copy differs in class or by more than ``tolerance`` in score."""
    if held is None:
        return True
    label, score = _content(p)
    return label != held[0] or abs(score - held[1]) > tolerance
