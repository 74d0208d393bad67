"""A split's crops as the backend sees them, without Label Studio: the tasks push would make
of them, their pixels from the crop store, their features from the shared cache, and the
scores of the project's latest model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from imaging.decode import read_rgb
from ml_backend.features import Embedder
from ml_backend.model import CropClassifier
from ml_backend.model_store import ModelStore
from ml_backend.views import Views
from storage.files import read_jsonl
from storage.layout import MANIFEST
from studio.tasks import local_file, task_data


def split_tasks(out: Path, document_root: Path) -> list[dict]:
    """A task (no id, the data push imports) for each crop the split in ``out`` kept."""
    return [{"id": None, "data": task_data(row, out, document_root)}
            for row in read_jsonl(out / MANIFEST) if "path" in row]


class StoreLoader:
    """Pixels of tasks read from the crop store under Label Studio's document root."""

    def __init__(self, document_root: Path):
        self.document_root = Path(document_root)

    def path(self, url: str) -> Path:
        found = local_file(url, self.document_root)
        if found is None:
            raise FileNotFoundError(f"{url} is not a file under {self.document_root}")
        return found

    def load_image(self, task: dict) -> np.ndarray:
        return read_rgb(self.path(task["data"]["image"]))

    def load_source(self, task: dict) -> np.ndarray | None:
        url = task["data"].get("source_image")
        return read_rgb(self.path(url)) if url else None


def backend_views(model_dir: Path, embedder_class: type[Embedder] = Embedder) -> Views:
    """The views the backend serving from ``model_dir`` computes, on its feature cache."""
    return Views(embedder_class(Path(model_dir) / "features"))


def latest_model(model_dir: Path, project_id: int) -> tuple[str, CropClassifier] | None:
    """(version, classifier) of the project's latest trained model, or None before the first."""
    served = ModelStore(model_dir).load_latest(project_id)
    return (served.version, served.model) if served and served.model else None


def task_features(tasks: list[dict], model_dir: Path, document_root: Path, chunk: int = 5000):
    """Yield (start, features) chunk by chunk, each chunk on a fresh cache view, so memory
    stays that of one chunk however many tasks; missing features are computed and cached."""
    loader = StoreLoader(document_root)
    for start in tqdm(range(0, len(tasks), chunk), desc="features", unit="chunk", disable=len(tasks) <= chunk):
        yield start, backend_views(model_dir).features(tasks[start:start + chunk], loader)


def model_proba(tasks: list[dict], model: CropClassifier, model_dir: Path, document_root: Path) -> np.ndarray:
    """The model's class probabilities (n, classes) for the tasks (columns: ``model.classes_``)."""
    proba = np.empty((len(tasks), len(model.classes_)))
    for start, features in task_features(tasks, model_dir, document_root):
        proba[start:start + len(features)] = model.predict_proba(features)
    return proba
