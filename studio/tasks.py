"""Task shapes: task data's local-files URLs, the Choices result, predictions with the model line, a task's label and cache key."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

from storage.layout import CONTEXT, crop_relpath
from studio.config import FROM_NAME, SAYS_NAME, TO_NAME

LOCAL_FILES = "/data/local-files/"


def choice(label: str) -> list[dict]:
    """An annotation's or prediction's result that picks ``label``."""
    return [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": [label]}}]


def chosen(result: list[dict] | None) -> str | None:
    """The class a result picks (see ``choice``), or None when it picks none."""
    for region in result or []:
        if region.get("from_name") == FROM_NAME and region.get("type", "choices") == "choices":
            choices = region.get("value", {}).get("choices") or []
            if choices:
                return choices[0]
    return None


def result(label: str | None, score: float) -> list[dict]:
    """A prediction's result: the class chosen and, for the screen (Label Studio's label stream
    shows no prediction score), a read-only line saying it with its score; none without a label."""
    if label is None:
        return []
    return choice(label) + [{"from_name": SAYS_NAME, "to_name": TO_NAME, "type": "textarea",
                             "value": {"text": [f"model: {label}, {score:.0%} sure"]}}]


def prediction(task_id: int | None, label: str | None, score: float, version: str) -> dict:
    """One prediction in import_predictions' shape (in /predict's, without ``task``, for
    ``task_id`` None); no label means an empty result."""
    shape = {"result": result(label, score), "score": float(score), "model_version": version}
    return shape if task_id is None else {"task": task_id, **shape}


def task_label(task: dict) -> str | None:
    """The class of the task's latest non-skipped annotation, or None when unlabelled."""
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    for annotation in sorted(annotations, key=lambda a: (a.get("updated_at") or "", a.get("id", 0)),
                             reverse=True):
        if (label := chosen(annotation.get("result"))) is not None:
            return label
    return None


def task_key(task: dict) -> str:
    """Feature-cache key: the crop's pixel sha256 from task data, else a hash of its URL."""
    data = task.get("data", {})
    sha = data.get("sha256")
    if isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha):
        return sha
    return "url-" + hashlib.sha256(str(data.get("image", "")).encode()).hexdigest()


def local_url(path: Path, document_root: Path) -> str:
    """The URL Label Studio serves ``path`` (a file below ``document_root``) at."""
    rel = Path(os.path.relpath(path.resolve(), document_root.resolve())).as_posix()
    return LOCAL_FILES + "?d=" + quote(rel, safe="/")


def task_data(row: dict, out: Path, document_root: Path) -> dict:
    """A task's data: the crop's local-files URL, its provenance, and the picture the labelling
    screen shows it in: for a crop of a collection its context window (importer.context), and
    the stored collection's URL, which the ML backend reads for context; for a crop of a
    single picture the crop itself, which is all of that picture there is to see.
    ``source_path`` repeats ``source`` for the screen: Label Studio's editor replaces a task
    field called ``source`` with the whole task as JSON before the config reads it."""
    image = local_url(out / row["path"], document_root)
    data = {"image": image, "context": image, "source": row["source"], "source_path": row["source"],
            "bbox": row["bbox"], "sha256": row["sha256"]}
    if row.get("source_image"):
        data["source_image"] = local_url(out / row["source_image"], document_root)
        data["context"] = local_url(out / crop_relpath(row["sha256"], CONTEXT), document_root)
    return data


def local_file(url: str, document_root: Path | None) -> Path | None:
    """The file behind ``/data/local-files/?d=<rel>`` under ``document_root`` if it exists.

    Raises ValueError for a path that escapes the root."""
    parsed = urlparse(url)
    if document_root is None or not parsed.path.rstrip("/").endswith(LOCAL_FILES.rstrip("/")):
        return None
    relative = (parse_qs(parsed.query).get("d") or [""])[0]
    root = Path(document_root).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"local file {relative!r} escapes the document root")
    return path if path.is_file() else None
