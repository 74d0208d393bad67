"""Push: create or reuse the Label Studio project and import the manifest's crops as tasks.

Idempotent: the crops already in the project (by sha256) are read back first and only
the missing ones are imported, in batches. A batch whose answer was lost (timeout, server
killed) is not blindly re-sent: the project is read again before retrying, so a re-run or
a retry never duplicates a task.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from importer.context import ensure_contexts
from storage.files import read_jsonl
from storage.layout import CONTEXT, MANIFEST
from studio.client import Studio, StudioUnavailable, with_retries
from studio.config import DEFAULT_CLASSES, label_config
from studio.tasks import task_data

log = logging.getLogger(__name__)
# (tasks not yet pushed, budget, project id) -> the indices of the ``budget`` tasks to push, first first
Rank = Callable[[list[dict], int, int], Sequence[int]]


@dataclass
class PushSummary:
    project_id: int
    imported: int
    already_there: int
    left: int = 0  # crops a task budget kept back for later waves


def check_servable(out: Path, document_root: Path) -> None:
    """The crop store must lie in a subfolder of Label Studio's local-files document root."""
    crops, root = (out / "crops").resolve(), document_root.resolve()
    if root == crops or root not in crops.parents:
        raise ValueError(f"crop store {crops} must be inside LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT "
                         f"({root}) so Label Studio can serve it; use --out under that folder")


def find_project(studio: Studio, title: str) -> int | None:
    """Id of the project called ``title``, if there is one."""
    for project in with_retries(lambda: list(studio.sdk.projects.list(title=title)), "listing projects"):
        if project.title == title:
            return project.id
    return None


def ensure_project(studio: Studio, title: str, classes: tuple[str, ...] = DEFAULT_CLASSES) -> int:
    """Id of the project called ``title``, created with the keep-vs-garbage config if missing."""
    found = find_project(studio, title)
    if found is not None:
        return found
    created = with_retries(lambda: studio.sdk.projects.create(
        title=title, label_config=label_config(classes), sampling="Uncertainty sampling"),
        "creating the project")
    log.info("created project %d %r", created.id, title)
    return created.id


def ensure_storage(studio: Studio, project_id: int, folder: Path) -> None:
    """Register a store folder (crops, sources) as a local storage of the project, which
    authorizes Label Studio to serve its files."""
    path = str(folder.resolve())
    storages = with_retries(lambda: studio.sdk.import_storage.local.list(project=project_id), "listing storages")
    if not any(s.path == path for s in storages):
        with_retries(lambda: studio.sdk.import_storage.local.create(
            project=project_id, path=path, title=folder.name, use_blob_urls=True, regex_filter=r".*\.png"),
            f"adding the {folder.name} storage")


def known_crops(studio: Studio, project_id: int) -> set[str]:
    """sha256 of every crop already imported into the project."""
    return {t["data"].get("sha256") for t in studio.tasks(project_id)}


def push(out: Path, studio: Studio, document_root: Path, title: str,
         classes: tuple[str, ...] = DEFAULT_CLASSES, batch_size: int = 1000,
         max_tasks: int | None = None, rank: Rank | None = None) -> PushSummary:
    """Import the crops of ``out/manifest.jsonl`` that the project does not hold yet; with
    ``max_tasks``, only that many: the first of ``rank``'s order (the command line's is
    ``waves.priority``'s, those that need a person most), else of the manifest's."""
    check_servable(out, document_root)
    if max_tasks is not None and max_tasks < 1:
        raise ValueError(f"--max-tasks must be at least 1, got {max_tasks}")
    project_id = ensure_project(studio, title, classes)
    kept = [row for row in read_jsonl(out / MANIFEST) if "path" in row]
    ensure_contexts(out, kept)
    for folder in ("crops", "sources", CONTEXT) if any("source_image" in r for r in kept) else ("crops",):
        ensure_storage(studio, project_id, out / folder)
    known = known_crops(studio, project_id)
    todo = [row for row in kept if row["sha256"] not in known]
    waiting = len(todo)
    if max_tasks is not None and len(todo) > max_tasks:
        tasks = [{"data": task_data(r, out, document_root)} for r in todo]
        order = rank(tasks, max_tasks, project_id) if rank else range(max_tasks)
        todo = [todo[i] for i in order]
    with tqdm(total=len(todo), desc="push", unit="task") as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            _import_batch(studio, project_id, [task_data(r, out, document_root) for r in batch])
            bar.update(len(batch))
    return PushSummary(project_id, imported=len(todo), already_there=len(kept) - waiting,
                       left=waiting - len(todo))


def _import_batch(studio: Studio, project_id: int, tasks: list[dict], attempts: int = 4) -> None:
    """Import one batch; after a failure, re-read the project and send only what is missing."""
    for attempt in range(attempts):
        try:
            studio.sdk.projects.import_tasks(id=project_id, request=tasks)
            return
        except Exception as exc:
            log.warning("import of %d tasks failed (%s); checking what arrived", len(tasks), type(exc).__name__)
            known = known_crops(studio, project_id)  # retries with backoff itself
            tasks = [t for t in tasks if t["sha256"] not in known]
            if not tasks:
                return
    raise StudioUnavailable(f"could not import {len(tasks)} tasks after {attempts} tries")
