"""One Label Studio project as the backend and the export use it (label-studio-sdk plus plain requests)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from imaging.decode import DEFAULT_MAX_PIXELS, decode_bytes, read_rgb
from studio.client import Studio
from studio.config import class_names
from studio.tasks import local_file

PREDICTION_BATCH = 2000
UNCERTAIN_VIEW = "Most uncertain first"
MISTAKES_VIEW = "Likely label mistakes"
MAX_SUSPECTS = 200


def project_id(value) -> int:
    """Label Studio's project reference (``12``, ``"12"`` or setup's ``"12.1700000000"``) as an int."""
    try:
        return int(str(value).split(".")[0])
    except ValueError:
        raise ValueError(f"not a project reference: {value!r}") from None


class LabelStudioProject:
    """One Label Studio project as the trainer and server need it."""

    def __init__(self, url: str, api_key: str, pid: int, document_root: Path | None = None,
                 timeout: float = 120.0, max_pixels: int = DEFAULT_MAX_PIXELS):
        self.studio = Studio(url, api_key, timeout)
        self.id = pid
        self.document_root = Path(document_root) if document_root else None
        self.max_pixels = max_pixels
        self._known: dict[int, dict] = {}

    def __repr__(self) -> str:  # never shows the token
        return f"LabelStudioProject({self.url!r}, {self.id})"

    @property
    def url(self) -> str:
        return self.studio.url

    @property
    def sdk(self):
        return self.studio.sdk

    @property
    def http(self):
        return self.studio.http

    @property
    def timeout(self) -> float:
        return self.studio.timeout

    def class_names(self) -> list[str]:
        """Class names from the project's labeling config."""
        return class_names(self.sdk.projects.get(id=self.id).label_config)

    def tasks(self, with_predictions: bool = False) -> list[dict]:
        """Every task (id, data) with its annotations and, if asked, its predictions.

        Listing 10,000 tasks takes Label Studio about 20 s, so the list is kept between calls
        and only tasks added since are fetched (all again when the count shows deletions).
        Annotations come from the JSON export (annotated tasks only, fast); predictions
        from ``/api/predictions``."""
        self._refresh_tasks()
        annotated = {t["id"]: t.get("annotations") or []
                     for t in self.studio.get_json(f"/api/projects/{self.id}/export", exportType="JSON")}
        predicted: dict[int, list[dict]] = {}
        for p in self.studio.get_json("/api/predictions/", project=self.id) if with_predictions else []:
            predicted.setdefault(p["task"], []).append(p)
        return [{**task, "annotations": annotated.get(task["id"], []),
                 **({"predictions": predicted.get(task["id"], [])} if with_predictions else {})}
                for task in self._known.values()]

    def _refresh_tasks(self) -> None:
        count = self.studio.get_json(f"/api/projects/{self.id}")["task_number"]
        newest = max(self._known, default=None)
        fresh = self._list_tasks(after=newest) if newest is not None else []
        if newest is None or len(self._known) + len(fresh) != count:
            self._known, fresh = {}, self._list_tasks()
        self._known.update((t["id"], {"id": t["id"], "data": t["data"]}) for t in fresh)

    def _list_tasks(self, after: int | None = None) -> list[dict]:
        """Tasks without computed fields, all or only those with an id above ``after``."""
        if after is None:
            return self.studio.tasks(self.id)
        return self.studio.tasks(self.id, filters=[
            {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": after}])

    def load_image(self, task: dict) -> np.ndarray:
        """The task's image: from the local document root when it is there, else over HTTP."""
        return self._load(task["data"]["image"])

    def load_source(self, task: dict) -> np.ndarray | None:
        """The picture the task's crop was cut from, when the importer stored it (collections)."""
        url = task["data"].get("source_image")
        return self._load(url) if url else None

    def _load(self, url: str) -> np.ndarray:
        path = local_file(url, self.document_root)
        if path is not None:
            return read_rgb(path, self.max_pixels)
        absolute = url if urlparse(url).scheme else self.url + url
        return decode_bytes(self.http.get(absolute, timeout=self.timeout).content, self.max_pixels)

    def import_predictions(self, predictions: list[dict]) -> None:
        """Write predictions in batches of 2,000."""
        for start in range(0, len(predictions), PREDICTION_BATCH):
            self.sdk.projects.import_predictions(
                id=self.id, request=predictions[start:start + PREDICTION_BATCH])

    def activate(self, version: str) -> None:
        """Make ``version`` the project's model version and serve the lowest score first."""
        self.sdk.projects.update(id=self.id, model_version=version, sampling="Uncertainty sampling")

    def replace_predictions(self, predictions: list[dict]) -> None:
        """Delete every prediction of these predictions' tasks, then import these.

        Label Studio deletes predictions one by one (about 8 ms each, holding SQLite's
        write lock), so callers pass a few hundred at a time."""
        response = self.http.post(f"{self.url}/api/dm/actions", timeout=self.timeout,
                                  params={"id": "delete_tasks_predictions", "project": self.id},
                                  json={"selectedItems": {"all": False, "included": [p["task"] for p in predictions]}})
        response.raise_for_status()
        self.import_predictions(predictions)

    def show_suspects(self, task_ids: list[int]) -> None:
        """Keep the two Data Manager tabs current: the uncertainty order and the mistakes list
        (a filter on task ids, OR-ed; a task id of -1 matches nothing)."""
        ids = list(task_ids[:MAX_SUSPECTS]) or [-1]
        items = [{"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": int(i)}
                 for i in ids]
        self._upsert_view(UNCERTAIN_VIEW, {"title": UNCERTAIN_VIEW, "ordering": ["tasks:predictions_score"]})
        self._upsert_view(MISTAKES_VIEW, {"title": MISTAKES_VIEW, "ordering": ["-tasks:predictions_score"],
                                          "filters": {"conjunction": "or", "items": items}})

    def _upsert_view(self, title: str, data: dict) -> None:
        views = [v for v in self.sdk.views.list(project=self.id) if (v.data or {}).get("title") == title]
        if views:
            self.sdk.views.update(id=str(views[0].id), project=self.id, data=data)
        else:
            self.sdk.views.create(project=self.id, data=data)


def connector(url: str, api_key: str, document_root: Path | None, max_pixels: int = DEFAULT_MAX_PIXELS):
    """A ``project_id -> LabelStudioProject`` factory for the trainer and server."""
    cache: dict[int, LabelStudioProject] = {}

    def connect(pid: int) -> LabelStudioProject:
        if pid not in cache:
            cache[pid] = LabelStudioProject(url, api_key, pid, document_root, max_pixels=max_pixels)
        return cache[pid]

    return connect

