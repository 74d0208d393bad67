"""``python -m ml_backend.embed``: fill the backend's feature cache for a split, here or on Ray.

Each crop is embedded as the backend would embed it (the crop, and the windows around it in
its collection picture), under the keys the backend looks up, so that the backend scores
the project from the cache and computes nothing. ``--engine ray`` runs a pool of Ray actors,
each loading EfficientNet once and embedding batches (on a GPU where Ray sees one); on a
cluster MODEL_DIR and the crop store must be on a file system every node shares.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from tqdm import tqdm

from cluster.ray_engine import ENGINES, import_ray, ray_session
from imaging.decode import read_rgb
from ml_backend.features import Embedder
from ml_backend.offline import StoreLoader, backend_views, split_tasks
from ml_backend.views import context_box, region_key
from ml_backend.settings import EmbedSettings
from settings.fields import add_options, from_args
from studio.tasks import task_key

RAY_BATCH = 64


@dataclass(frozen=True)
class Job:
    """One cache entry to fill: the whole picture at ``path``, or ``box`` grown by ``margin`` in it."""

    key: str
    path: str
    box: tuple[int, int, int, int] | None = None
    margin: float = 0.0


def feature_jobs(tasks: list[dict], loader: StoreLoader, margins: Sequence[float]) -> list[Job]:
    """The entries the backend's views need for ``tasks``: crops first, then the context
    windows grouped by source picture (each picture is then decoded once per batch)."""
    crops = [Job(task_key(t), str(loader.path(t["data"]["image"]))) for t in tasks]
    regions = [Job(region_key(t["data"]["source_image"], tuple(t["data"]["bbox"]), m),
                   str(loader.path(t["data"]["source_image"])), tuple(t["data"]["bbox"]), m)
               for t in tasks if t["data"].get("source_image") for m in margins]
    return crops + sorted(regions, key=lambda j: j.path)


def _pixels(jobs: Sequence[Job]):
    """``load(i)`` for ``Embedder.features``: job i's pixels, the last picture decoded kept."""
    last: dict[str, np.ndarray] = {}

    def load(i: int) -> np.ndarray:
        job = jobs[i]
        if job.path not in last:
            last.clear()
            last[job.path] = read_rgb(job.path)
        rgb = last[job.path]
        if job.box is None:
            return rgb
        x, y, w, h = context_box(job.box, rgb.shape, job.margin)
        return np.ascontiguousarray(rgb[y:y + h, x:x + w])
    return load


def embed_jobs(embedder: Embedder, jobs: Sequence[Job]) -> int:
    """Compute and cache the jobs' missing features; return how many were computed."""
    missing = [j for j in jobs if j.key not in embedder.cache]
    embedder.features([j.key for j in missing], _pixels(missing))
    return len(missing)


class EmbedActor:
    """A Ray actor of the pool: EfficientNet loaded once, then batch after batch embedded
    (jobs arrive as plain columns; a zero-width box stands for the whole picture)."""

    def __init__(self, cache_dir: str, threads: int, device: str):
        self.embedder = Embedder(Path(cache_dir), threads=threads, device=device)

    def __call__(self, batch: dict) -> dict:
        jobs = [Job(key, path, None if box[2] == 0 else tuple(int(v) for v in box), float(margin))
                for key, path, box, margin in zip(batch["key"], batch["path"], batch["box"], batch["margin"])]
        return {"jobs": np.array([len(jobs)]), "computed": np.array([embed_jobs(self.embedder, jobs)])}


def embed_on_ray(jobs: list[Job], model_dir: Path, workers: int) -> int:
    """Embed ``jobs`` with a pool of ``workers`` actors; return how many were computed."""
    with ray_session(workers) as ray:
        gpus = ray.cluster_resources().get("GPU", 0)
        per_actor = {"num_gpus": min(1.0, gpus / workers)} if gpus else {"num_cpus": 1}
        dataset = ray.data.from_items([{"key": j.key, "path": j.path, "box": list(j.box or (0, 0, 0, 0)), "margin": j.margin}
                                       for j in jobs]).map_batches(
            EmbedActor, batch_size=RAY_BATCH, compute=ray.data.ActorPoolStrategy(size=workers),
            fn_constructor_kwargs={"cache_dir": str(Path(model_dir) / "features"), "threads": 1,
                                   "device": "cuda" if gpus else "cpu"}, **per_actor)
        computed = 0
        with tqdm(total=len(jobs), desc="embed", unit="crop") as bar:
            for row in dataset.iter_rows():
                computed += int(row["computed"])
                bar.update(int(row["jobs"]))
        return computed


def embed_split(out: Path, document_root: Path, model_dir: Path, engine: str = "local",
                workers: int = 1) -> tuple[int, int]:
    """Fill ``model_dir``'s feature cache for the split in ``out``: (entries, computed)."""
    tasks = split_tasks(out, document_root)
    views = backend_views(model_dir)
    jobs = feature_jobs(tasks, StoreLoader(document_root), views.margins)
    if engine == "ray":
        return len(jobs), embed_on_ray(jobs, model_dir, workers)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return len(jobs), sum(embed_jobs(views.embedder, chunk) for chunk in tqdm(
        list(_chunks(jobs, 256)), desc="embed", unit="batch"))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml_backend.embed", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, nargs="+", help="output folders of earlier splits")
    add_options(parser, EmbedSettings)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    a = parser.parse_args(argv)
    settings = from_args(EmbedSettings, a)
    if settings.document_root is None:
        parser.error("--document-root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT) is required")
    if settings.engine == "ray":
        import_ray()
    for out in a.out:
        entries, computed = embed_split(out, settings.document_root, settings.model_dir, settings.engine,
                                        settings.workers)
        print(f"{out}: {entries} features, {computed} computed, {entries - computed} already cached")


if __name__ == "__main__":
    main()
