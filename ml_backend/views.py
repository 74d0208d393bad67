"""What the classifier sees of a task: the crop, and the crop in its surroundings.

A splitter's typical mistakes, a piece of an item or two neighbours in one box, look like
fine symbols on their own; their surroundings show ink going on past the box edge, or a
box holding two of what its neighbours hold one of. So every task is featurised twice,
the crop and a window around it in the source picture, and training adds, for each crop
labelled as a keeper, that crop merged with its nearest neighbour as a reject example.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Hashable, Protocol, Sequence

import numpy as np

from imaging.boxes import Box, context_box
from studio.tasks import task_key


class Loader(Protocol):
    """Where pixels come from (see project.LabelStudioProject)."""

    def load_image(self, task: dict) -> np.ndarray: ...
    def load_source(self, task: dict) -> np.ndarray | None: ...


class Features(Protocol):
    """What views need of the feature extractor (see features.Embedder)."""

    def features(self, keys: Sequence[str], load: Callable[[int], object]) -> np.ndarray: ...


def merged_box(box: Box, others: Sequence[Box], max_share: float = 0.7) -> Box | None:
    """The union of ``box`` and its nearest box among ``others``, when that neighbour lies within
    the box's longer side and the union is clearly more than the box (the box covers at most
    ``max_share`` of it); otherwise None."""
    if not len(others):
        return None
    x, y, w, h = box
    o = np.asarray(others, float)
    gaps = np.maximum(np.maximum(o[:, 0] - (x + w), x - (o[:, 0] + o[:, 2])),
                      np.maximum(o[:, 1] - (y + h), y - (o[:, 1] + o[:, 3])))
    nearest = int(gaps.argmin())
    if gaps[nearest] >= max(w, h):
        return None
    ox, oy, ow, oh = (int(v) for v in o[nearest])
    x0, y0 = min(x, ox), min(y, oy)
    union = (x0, y0, max(x + w, ox + ow) - x0, max(y + h, oy + oh) - y0)
    return union if w * h <= max_share * union[2] * union[3] else None


def region_key(source_url: str, box: Box, margin: float) -> str:
    """Feature-cache key of ``box`` grown by ``margin`` in the source picture at ``source_url``."""
    return "region-" + hashlib.sha256(f"{source_url}|{tuple(box)}|{margin}".encode()).hexdigest()


def _box(task: dict) -> Box:
    x, y, w, h = (int(v) for v in task["data"]["bbox"])
    return x, y, w, h


def _source_of(task: dict) -> str | None:
    return task.get("data", {}).get("source_image")


def row_key(task: dict) -> Hashable:
    """What a task's feature row depends on: its crop, its source picture and its box."""
    data = task.get("data", {})
    return task_key(task), _source_of(task), tuple(data.get("bbox") or ())


@dataclass(frozen=True)
class TaskFeatures:
    """A project's feature matrix and the ``row_key`` of each row, kept between retrains."""

    keys: list[Hashable]
    matrix: np.ndarray


class Views:
    """Features of tasks as [crop, context per margin] rows, and of merged-neighbour reject examples."""

    def __init__(self, embedder: Features, margins: Sequence[float] = (0.25, 1.0), chunk: int = 1024):
        self.embedder = embedder
        self.margins = tuple(margins)
        self.chunk = chunk

    def features(self, tasks: list[dict], loader: Loader) -> np.ndarray:
        """(n, d × (1 + margins)): each crop's features next to its contexts'. A task without
        a source picture (a single picture, or imported by an older importer) has zeros for
        context, so a project without any learns from its crops alone. The work goes
        ``chunk`` tasks at a time into one matrix, so the transient arrays are a chunk's."""
        out = None
        for start in range(0, len(tasks), self.chunk) or [0]:  # [0]: no tasks, an empty matrix
            rows = self._features(tasks[start:start + self.chunk], loader)
            if out is None:
                out = np.empty((len(tasks), rows.shape[1]), np.float32)
            out[start:start + len(rows)] = rows
        return out

    def update(self, previous: TaskFeatures | None, tasks: list[dict], loader: Loader) -> TaskFeatures:
        """The features of ``tasks``, taking the rows ``previous`` holds from it (the same
        object when the tasks are the same) and only the other tasks' from the embedder."""
        keys = [row_key(t) for t in tasks]
        if previous is None:
            return TaskFeatures(keys, self.features(tasks, loader))
        if previous.keys == keys:
            return previous
        held = {key: i for i, key in enumerate(previous.keys)}
        matrix = np.empty((len(tasks), previous.matrix.shape[1]), np.float32)
        fresh = [i for i, key in enumerate(keys) if key not in held]
        kept = [(i, held[key]) for i, key in enumerate(keys) if key in held]
        for start in range(0, len(fresh), self.chunk):
            rows = fresh[start:start + self.chunk]
            matrix[rows] = self.features([tasks[i] for i in rows], loader)
        for start in range(0, len(kept), self.chunk):
            to, source = zip(*kept[start:start + self.chunk])
            matrix[list(to)] = previous.matrix[list(source)]
        return TaskFeatures(keys, matrix)

    def _features(self, tasks: list[dict], loader: Loader) -> np.ndarray:
        crops = self.embedder.features([task_key(t) for t in tasks], lambda i: loader.load_image(tasks[i]))
        views = [np.zeros_like(crops) for _ in self.margins]
        placed = [i for i, t in enumerate(tasks) if _source_of(t)]
        if placed:
            held = [tasks[i] for i in placed]
            found = self._regions(held, [_box(t) for t in held], loader, self.margins)
            for view, rows in zip(views, found):
                view[placed] = rows
        return np.hstack([crops, *views])

    def merged(self, tasks: list[dict], chosen: Sequence[int], loader: Loader) -> tuple[list[int], np.ndarray]:
        """The chosen tasks that have a neighbour to merge with (see ``merged_box``) and the
        [crop, contexts] rows of each merged with it."""
        boxes: dict[str, list[Box]] = defaultdict(list)
        for t in tasks:
            if _source_of(t):
                boxes[_source_of(t)].append(_box(t))
        owners, unions = [], []
        for i in (i for i in chosen if _source_of(tasks[i])):
            box = _box(tasks[i])
            union = merged_box(box, [b for b in boxes[_source_of(tasks[i])] if b != box])
            if union is not None:
                owners.append(i)
                unions.append(union)
        if not unions:
            return [], np.empty((0, 0), np.float32)
        return owners, np.hstack(self._regions([tasks[i] for i in owners], unions, loader, (0.0, *self.margins)))

    def _regions(self, tasks: list[dict], boxes: list[Box], loader: Loader,
                 margins: Sequence[float]) -> list[np.ndarray]:
        """Features of ``boxes`` grown by each of ``margins`` (see ``context_box``), cut from
        each task's source picture, one array per margin, cached by picture, box and margin.
        The work goes source by source, so each picture is decoded at most once."""
        jobs = sorted(((i, m) for i in range(len(tasks)) for m in margins), key=lambda j: _source_of(tasks[j[0]]))
        last: dict[str, np.ndarray] = {}

        def load(k: int) -> np.ndarray:
            i, margin = jobs[k]
            url = _source_of(tasks[i])
            if url not in last:
                last.clear()
                last[url] = loader.load_source(tasks[i])
            x, y, w, h = context_box(boxes[i], last[url].shape, margin)
            return np.ascontiguousarray(last[url][y:y + h, x:x + w])

        keys = [region_key(_source_of(tasks[i]), boxes[i], m) for i, m in jobs]
        found = self.embedder.features(keys, load)
        out = {m: np.empty((len(tasks), found.shape[1]), np.float32) for m in margins}
        for (i, m), row in zip(jobs, found):
            out[m][i] = row
        return [out[m] for m in margins]
