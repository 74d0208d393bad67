"""Export: the curated training set from a Label Studio project.

Writes an ImageFolder layout (``OUT/<class>/<sha256>.png``) that torchvision's
``ImageFolder`` and Hugging Face ``datasets``' ``imagefolder`` load as they are, and
``OUT/manifest.jsonl`` tracing each image to its source file and box, with who labelled
it (``person`` or ``model``), the model version and score. Human labels always win;
unlabelled tasks join only when ``min_confidence`` is given and their newest prediction
is at least that confident. Re-exporting into the same folder leaves exactly
the current set: stale images are removed, unchanged ones are not rewritten.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import cv2
from tqdm import tqdm

from export.variant import Variant
from storage.files import read_jsonl, write_bytes, write_jsonl
from studio.project import LabelStudioProject
from studio.tasks import chosen, local_file, task_label

log = logging.getLogger(__name__)
MANIFEST = "manifest.jsonl"


def prediction_of(task: dict) -> tuple[str, float, str] | None:
    """(class, score, model version) of the task's newest prediction that names a class.

    The backend keeps one prediction per task and rewrites them after each retrain, most
    uncertain first, so during a rewrite some tasks still hold the previous version's."""
    for p in sorted(task.get("predictions") or [], key=lambda p: p.get("id", 0), reverse=True):
        label = chosen(p.get("result"))
        if label is not None and p.get("score") is not None:
            return label, float(p["score"]), p.get("model_version")
    return None


def decide(task: dict, min_confidence: float | None) -> dict | None:
    """The task's label and who gave it, or None when it stays out of the set."""
    human = task_label(task)
    if human is not None:
        return {"label": human, "labelled_by": "person", "model_version": None, "score": None}
    predicted = prediction_of(task)
    if min_confidence is None or predicted is None or predicted[1] < min_confidence:
        return None
    label, score, version = predicted
    return {"label": label, "labelled_by": "model", "model_version": version, "score": score}


def export(project: LabelStudioProject, out: Path, min_confidence: float | None = None,
           variant: Variant = Variant(),
           unpushed: Callable[[set[str]], list[dict]] | None = None) -> dict[str, int]:
    """Write the curated set into ``out``; return the count per class. ``unpushed`` gives,
    for the sha256 of the project's crops, task-like crops that never became tasks, with a
    prediction (``waves.unpushed``); they join like unlabelled tasks (no task id)."""
    classes = project.class_names()
    rows = []
    tasks = project.tasks(with_predictions=True)
    if unpushed is not None:
        tasks += unpushed({t["data"].get("sha256") for t in tasks})
    for task in tqdm(tasks, desc="export", unit="task"):
        decision = decide(task, min_confidence)
        if decision is None or decision["label"] not in classes:
            continue
        data = task["data"]
        file = f"{decision['label']}/{data['sha256']}.png"
        _write_image(out / file, project, task, variant)
        rows.append({"file": file, **decision, "source": data.get("source"), "bbox": data.get("bbox"),
                     "sha256": data.get("sha256"), "task_id": task["id"]})
    _remove_stale(out, classes, {r["file"] for r in rows})
    write_jsonl(out / MANIFEST, rows)
    return {c: sum(r["label"] == c for r in rows) for c in classes}


def _write_image(path: Path, project: LabelStudioProject, task: dict, variant: Variant) -> None:
    """The task's crop as a PNG at ``path``: the stored file's bytes when the variant changes
    nothing (no decoding), else the decoded, transformed and re-encoded image."""
    stored = local_file(task["data"]["image"], project.document_root)
    if variant == Variant() and stored is not None and stored.suffix == ".png":
        _write_bytes(path, stored.read_bytes())
        return
    _, png = cv2.imencode(".png", cv2.cvtColor(variant.apply(project.load_image(task)), cv2.COLOR_RGB2BGR))
    _write_bytes(path, png.tobytes())


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` atomically unless the same bytes are already there."""
    if not (path.exists() and path.read_bytes() == data):
        write_bytes(path, data)


def _remove_stale(out: Path, classes: list[str], keep: set[str]) -> None:
    """Delete images of earlier exports that are no longer in the set (or changed class).

    Only class folders, and folders the previous manifest wrote to, are touched."""
    previous = read_jsonl(out / MANIFEST) if (out / MANIFEST).exists() else []
    folders = {out / c for c in classes} | {(out / r["file"]).parent for r in previous}
    for folder in folders:
        for image in folder.glob("*.png"):
            if image.relative_to(out).as_posix() not in keep:
                image.unlink()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
