"""The split job: gather → decode → split → drop blanks → dedup → store, writing the manifest.

Decoding and splitting run in worker processes (or Ray tasks, ``engine="ray"``);
deduplication and storage run in the parent, in the heap's sorted order, so a run is
deterministic whatever the engine and the worker count.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from cluster.ray_engine import ENGINES
from importer.dedup import DEFAULT_DISTANCE, Deduper
from importer.gather import gather, relative_source
from importer.split import SplitOptions, split
from importer.store import pixel_sha256, save_crop
from imaging.decode import DEFAULT_MAX_PIXELS, BadImage, decode
from settings.fields import setting
from storage.files import write_jsonl
from storage.layout import BAD_FILES, MANIFEST

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOptions:
    """Knobs of the split job (the splitter's own live in ``SplitOptions``)."""

    max_pixels: int = setting(DEFAULT_MAX_PIXELS, env="MAX_IMAGE_PIXELS",
                              help="images with more pixels are reported as too large, not decoded")
    blank_contrast: int = 12
    dedup_distance: int = setting(DEFAULT_DISTANCE, env="DEDUP_DISTANCE",
                                  help="perceptual-hash bits within which two crops count as one; "
                                       "0 keeps only exact duplicates out")
    workers: int = setting(default_factory=lambda: os.cpu_count() or 1, env="WORKERS",
                           help="decoding and splitting processes; the default is every core of this machine")
    engine: str = setting("local", env="SPLIT_ENGINE",
                          help="local: a process pool on this machine; ray: Ray tasks on the cluster at "
                               "RAY_ADDRESS, or on a local Ray of --workers CPUs (pip install '.[ray]')")
    split: SplitOptions = field(default_factory=SplitOptions)


@dataclass
class JobSummary:
    files: int = 0
    bad_files: int = 0
    crops: int = 0
    duplicates: int = 0
    blanks: int = 0


def is_blank(rgb: np.ndarray, contrast: int) -> bool:
    """A crop is blank when its gray levels span less than ``contrast``."""
    gray = rgb.min(axis=2)
    return int(gray.max()) - int(gray.min()) < contrast


def _split_file(args: tuple[Path, Path, JobOptions]) -> tuple[list, str | None, str | None]:
    """Worker: decode one file and cut its crops; return (crops with boxes, the stored source
    picture of a collection, bad reason). Collections are stored so that the ML backend can
    look at each crop in its surroundings."""
    path, out, options = args
    try:
        picture = decode(path, max_pixels=options.max_pixels)
        boxes = split(picture, options.split)
    except BadImage as exc:
        return [], None, str(exc)
    except Exception as exc:  # one odd file must not stop the heap
        return [], None, f"unexpected {type(exc).__name__}: {exc}"
    crops = [(box, picture.rgb[box[1]:box[1] + box[3], box[0]:box[0] + box[2]].copy())
             for box in boxes]
    source = save_crop(out, pixel_sha256(picture.rgb), picture.rgb, "sources") if len(boxes) > 1 else None
    return crops, source, None


def _results(files: list[Path], out: Path, options: JobOptions) -> Iterator[tuple[list, str | None, str | None]]:
    """Per-file split results in order, from worker processes when more than one worker."""
    jobs = [(f, out, options) for f in files]
    if options.engine == "ray":
        from cluster.ray_engine import ordered_map, ray_session
        with ray_session(options.workers):
            yield from ordered_map(_split_file, jobs, options.workers)
        return
    if options.workers <= 1:
        yield from map(_split_file, jobs)
        return
    with ProcessPoolExecutor(options.workers) as pool:
        yield from pool.map(_split_file, jobs, chunksize=4)


def run_split(heap: Path, out: Path, options: JobOptions = JobOptions()) -> JobSummary:
    """Split every image of ``heap`` into ``out``: crops/, manifest.jsonl, bad_files.jsonl."""
    if not heap.is_dir():
        raise FileNotFoundError(f"heap folder not found: {heap}")
    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    files = list(gather(heap))
    summary = JobSummary(files=len(files))
    deduper = Deduper(options.dedup_distance)
    rows, bad = [], []
    results = _results(files, out, options)
    for path, (crops, source_image, reason) in tqdm(zip(files, results), total=len(files), desc="split", unit="file"):
        source = relative_source(path, heap)
        if reason is not None:
            bad.append({"source": source, "reason": reason})
            log.warning("skipped %s: %s", source, reason)
            continue
        for box, rgb in crops:
            if is_blank(rgb, options.blank_contrast):
                summary.blanks += 1
                continue
            rows.append(_manifest_row(out, source, box, rgb, deduper, summary, source_image))
    summary.bad_files = len(bad)
    write_jsonl(out / BAD_FILES, bad)
    write_jsonl(out / MANIFEST, rows)
    return summary


def _manifest_row(out: Path, source: str, box, rgb: np.ndarray, deduper: Deduper,
                  summary: JobSummary, source_image: str | None) -> dict:
    """Dedup and store one crop; return its manifest line."""
    sha = pixel_sha256(rgb)
    row = {"source": source, "bbox": [int(v) for v in box], "sha256": sha, "label_hint": None,
           "width": int(rgb.shape[1]), "height": int(rgb.shape[0])}
    original = deduper.check(sha, rgb)
    if original is None:
        row["path"] = save_crop(out, sha, rgb)
        if source_image:
            row["source_image"] = source_image
        summary.crops += 1
    else:
        row["duplicate_of"] = original
        summary.duplicates += 1
    return row
