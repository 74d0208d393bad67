"""The split job: gather → decode → split → drop blanks → dedup → store, writing the manifest.

Decoding, splitting, hashing and PNG encoding run in worker processes (or Ray tasks,
``engine="ray"``); the duplicate decisions and writing crops run in the parent, in the
heap's sorted order, so a run is deterministic whatever the engine and the worker count.
"""
from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np
from tqdm import tqdm

from cluster.ray_engine import DEFAULT_ENGINE, ENGINES, all_cores
from importer.dedup import DEFAULT_DISTANCE, Deduper
from importer.gather import gather, relative_source
from importer.split import SplitOptions, split
from importer.store import crop_png, pixel_sha256, save_source, write_once
from imaging.decode import DEFAULT_MAX_PIXELS, BadImage, decode
from settings.fields import setting
from storage.files import write_jsonl
from storage.layout import BAD_FILES, MANIFEST, crop_relpath

log = logging.getLogger(__name__)
WRITER_THREADS = 4


@dataclass(frozen=True)
class JobOptions:
    """Knobs of the split job (the splitter's own live in ``SplitOptions``)."""

    max_pixels: int = setting(DEFAULT_MAX_PIXELS, env="MAX_IMAGE_PIXELS",
                              help="images with more pixels are reported as too large, not decoded")
    blank_contrast: int = 12
    dedup_distance: int = setting(DEFAULT_DISTANCE, env="DEDUP_DISTANCE",
                                  help="perceptual-hash bits within which two crops count as one; "
                                       "0 keeps only exact duplicates out")
    workers: int = setting(default_factory=all_cores, env="WORKERS",
                           help="decoding and splitting processes; the default is every core of this machine")
    engine: str = setting(DEFAULT_ENGINE, env="SPLIT_ENGINE",
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


def is_blank(rgb: np.ndarray, contrast: int, alpha: np.ndarray | None = None) -> bool:
    """A crop is blank when it is one flat colour: each channel's levels, and its opacity
    (``alpha``, where the picture has one: a light sprite on a transparent sheet reads white
    on white), span less than ``contrast``. A red sprite on black spans its red channel, though
    its least channel is 0 throughout. Every 8th row, read first, shows most crops (ink on a
    sheet) are not, at an eighth of the cost."""
    planes = [rgb] if alpha is None else [rgb, alpha[..., None]]
    return all(_span(p[::8]) < contrast and _span(p) < contrast for p in planes)


def _span(pixels: np.ndarray) -> float:
    """How far the levels of the most spread channel of ``pixels`` (H × W × C) reach."""
    if not pixels.size:
        return 0.0
    return max(high - low for low, high, _, _ in map(cv2.minMaxLoc, cv2.split(np.ascontiguousarray(pixels))))


@dataclass(frozen=True)
class Crop:
    """One crop as a worker hands it over: hashed and PNG-encoded, so that the parent only
    decides duplicates and writes files."""

    box: tuple[int, int, int, int]
    sha256: str
    phash: int
    png: bytes


def _split_file(args: tuple[Path, Path, JobOptions]) -> tuple[list[Crop], int, str | None, str | None]:
    """Worker: decode one file, cut, hash and encode its crops; return (crops, blank crops
    dropped, the stored source picture of a collection, bad reason). Collections are stored
    so that the ML backend can look at each crop in its surroundings."""
    path, out, options = args
    try:
        picture = decode(path, max_pixels=options.max_pixels)
        boxes = split(picture, options.split)
    except BadImage as exc:
        return [], 0, None, str(exc)
    except Exception as exc:  # one odd file must not stop the heap
        return [], 0, None, f"unexpected {type(exc).__name__}: {exc}"
    deduper, crops = Deduper(options.dedup_distance), []
    for x, y, w, h in boxes:
        rgb = np.ascontiguousarray(picture.rgb[y:y + h, x:x + w])
        alpha = None if picture.alpha is None else picture.alpha[y:y + h, x:x + w]
        if not is_blank(rgb, options.blank_contrast, alpha):
            crops.append(Crop((x, y, w, h), pixel_sha256(rgb), deduper.phash(rgb),
                              crop_png(rgb, (x, y, w, h), path, picture)))
    source = save_source(out, path, picture) if len(boxes) > 1 else None
    return crops, len(boxes) - len(crops), source, None


def _results(files: list[Path], out: Path, options: JobOptions) -> Iterator[tuple]:
    """Per-file split results in order, from worker processes when more than one worker."""
    jobs = [(f, out, options) for f in files]
    if options.engine == "ray":
        from cluster.ray_engine import ordered_map, ray_session
        with ray_session(options.workers):
            yield from ordered_map(_split_file, jobs, options.workers, lost=_died)
        return
    if options.workers <= 1:
        yield from map(_split_file, jobs)
        return
    yield from _pooled(jobs, options.workers)


def _pooled(jobs: list[tuple], workers: int) -> Iterator[tuple]:
    """``_split_file`` over ``jobs`` in a process pool, in order. A worker that dies (the
    kernel kills the largest process when memory runs out) breaks the pool and every file
    then in flight: from the first of those on, each file runs alone in a fresh process
    until the one that kills its worker is found and reported bad; then a new pool takes
    the rest."""
    done = 0
    with _opencv_on_one_thread():
        while done < len(jobs):
            try:
                with ProcessPoolExecutor(workers) as pool:
                    for result in pool.map(_split_file, jobs[done:], chunksize=4):
                        yield result
                        done += 1
            except BrokenProcessPool:
                while done < len(jobs):
                    result, died = _alone(jobs[done])
                    yield result
                    done += 1
                    if died:
                        break


@contextmanager
def _opencv_on_one_thread() -> Iterator[None]:
    """Run OpenCV on one thread here and in the workers forked meanwhile, which inherit the
    setting: the pool fills the cores, and a thread pool in each worker only spins (on 2
    cores, 80,000 sched_yield calls over dev2). Set before forking, as a worker that set it
    itself hung on the thread pool state it had copied."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


def _alone(job: tuple) -> tuple[tuple, bool]:
    """``_split_file(job)`` in a process of its own: (its result, whether the process died)."""
    try:
        with ProcessPoolExecutor(1) as solo:
            return solo.submit(_split_file, job).result(), False
    except BrokenProcessPool:
        return _died(job), True


def _died(job: tuple) -> tuple:
    """The result of a file whose worker process died on it: no crops, the reason."""
    return [], 0, None, "its worker process died on it (killed, most likely for want of memory)"


def run_split(heap: Path, out: Path, options: JobOptions = JobOptions()) -> JobSummary:
    """Split every image of ``heap`` into ``out``: crops/, manifest.jsonl, bad_files.jsonl."""
    if not heap.is_dir():
        raise FileNotFoundError(f"heap folder not found: {heap}")
    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    files = list(gather(heap))
    summary = JobSummary(files=len(files))
    deduper = Deduper(options.dedup_distance)
    rows, bad, writes = [], [], []
    results = _results(files, out, options)
    with ThreadPoolExecutor(WRITER_THREADS) as writer:  # creating files waits on the disk: overlap it

        def store(rel: str, png: bytes) -> str:
            writes.append(writer.submit(write_once, out, rel, png))
            return rel

        for path, (crops, blanks, source_image, reason) in tqdm(zip(files, results), total=len(files),
                                                                desc="split", unit="file"):
            source = relative_source(path, heap)
            if reason is not None:
                bad.append({"source": source, "reason": reason})
                log.warning("skipped %s: %s", source, reason)
                continue
            summary.blanks += blanks
            rows += [_manifest_row(source, crop, deduper, summary, source_image, store) for crop in crops]
        for done in writes:
            done.result()  # a failed write fails the run before the manifest names its file
    summary.bad_files = len(bad)
    write_jsonl(out / BAD_FILES, bad)
    write_jsonl(out / MANIFEST, rows)
    return summary


def _manifest_row(source: str, crop: Crop, deduper: Deduper, summary: JobSummary,
                  source_image: str | None, store: Callable[[str, bytes], str]) -> dict:
    """Dedup one crop and ``store`` it (relative path, PNG) when kept; return its manifest line."""
    w, h = crop.box[2:]
    row = {"source": source, "bbox": [int(v) for v in crop.box], "sha256": crop.sha256,
           "label_hint": None, "width": int(w), "height": int(h)}
    original = deduper.check_hashed(crop.sha256, crop.phash, w, h)
    if original is None:
        row["path"] = store(crop_relpath(crop.sha256), crop.png)
        if source_image:
            row["source_image"] = source_image
        summary.crops += 1
    else:
        row["duplicate_of"] = original
        summary.duplicates += 1
    return row
