"""Ray engine benchmark: split files/s and embedded crops/s, the local engine beside 1, 2 and
4 Ray workers, in one run (ratios against the local engine), plus the push rate into a real
Label Studio. Figures to OUT/ray_benchmark.md and OUT/ray_benchmark.json.

    python -m benchmarks.ray_bench [--heap HEAP] [--sheets 24] [--workers 1 2 4] [--out docs]

Without --heap it builds an offline heap (fonts and photos of installed packages) of
``--sheets`` sheets under --work. Every run writes into a fresh folder, so no run reuses
another's crops or features; every Ray run must give the local engine's manifest.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import time
from pathlib import Path

from benchmarks.devheap import build_heap
from cluster.ray_engine import ordered_map, ray_session
from importer.pipeline import JobOptions, run_split
from ml_backend.embed import embed_split
from storage.layout import MANIFEST


def machine() -> dict:
    """Where the figures come from (the load average says how shared the machine was)."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_at_start": round(os.getloadavg()[0], 2)}


def timed(call) -> tuple[object, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def split_run(heap: Path, out: Path, workers: int, engine: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    summary, seconds = timed(lambda: run_split(heap, out, JobOptions(workers=workers, engine=engine)))
    return {"engine": engine, "workers": workers, "seconds": round(seconds, 2),
            "files_per_s": round(summary.files / seconds, 2), "crops_per_s": round(summary.crops / seconds, 2),
            "files": summary.files, "crops": summary.crops}


def embed_run(out: Path, root: Path, models: Path, workers: int, engine: str, crops: int) -> dict:
    shutil.rmtree(models, ignore_errors=True)
    (entries, computed), seconds = timed(lambda: embed_split(out, root, models, engine, workers))
    assert computed == entries, "a fresh cache must compute every entry"
    return {"engine": engine, "workers": workers, "seconds": round(seconds, 2),
            "crops_per_s": round(crops / seconds, 2), "features_per_s": round(entries / seconds, 2),
            "features": entries}


def push_rate(out: Path, root: Path, work: Path) -> dict:
    """Seconds per 1,000 tasks imported into a real Label Studio (SQLite), and a re-run's reading."""
    from importer.push import push
    from stack.local import LocalStack
    from stack.services import free_port
    with LocalStack(work / "stack", ls_port=free_port(), backend_port=free_port()) as stack:
        target = stack.document_root / "bench"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(out, target)
        first, seconds = timed(lambda: push(target, stack.studio(), stack.document_root, "ray bench"))
        _, again = timed(lambda: push(target, stack.studio(), stack.document_root, "ray bench"))
    return {"tasks": first.imported, "import_s_per_1000": round(1000 * seconds / first.imported, 2),
            "rerun_s_per_1000": round(1000 * again / first.imported, 2)}


def driver_rates(out: Path, root: Path, models: Path) -> dict:
    """The serial parts at scale: per kept crop, the driver's hashing and PNG encoding; a
    near-duplicate check against 10k / 100k / 1M kept crops; reading cached features back."""
    import cv2
    import numpy as np
    from importer.dedup import Deduper, perceptual_hash
    from imaging.decode import read_rgb
    from importer.store import pixel_sha256
    from ml_backend.offline import split_tasks, task_features
    from storage.files import read_jsonl
    rows = [r for r in read_jsonl(out / MANIFEST) if "path" in r]
    crops = [read_rgb(out / r["path"]) for r in rows]
    _, seconds = timed(lambda: [(pixel_sha256(c), perceptual_hash(c), cv2.imencode(".png", c)) for c in crops])
    rates = {"driver_crops_per_s": round(len(crops) / seconds, 1), "dedup_check_ms": {}}
    rng = np.random.default_rng(0)
    for kept in (10_000, 100_000, 1_000_000):
        deduper = Deduper()  # made to hold `kept` crops of random hashes
        for value in rng.integers(0, 2**63, kept, dtype=np.uint64).tolist():
            deduper._index.add(value, 0.0)
        deduper._owners = [""] * kept
        _, seconds = timed(lambda: [deduper.check(f"{i:064x}", c) for i, c in enumerate(crops[:50])])
        rates["dedup_check_ms"][kept] = round(1000 * seconds / min(50, len(crops)), 2)
    tasks = split_tasks(out, root)
    _, seconds = timed(lambda: [f for _, f in task_features(tasks, models, root)])
    rates["cached_crops_per_s"] = round(len(tasks) / seconds, 1)
    return rates


def run(heap: Path, work: Path, workers: list[int], with_label_studio: bool) -> dict:
    root = work / "files"
    local = root / "split-local"
    cores = os.cpu_count() or 1
    result = {"machine": machine(), "heap": str(heap), "split": [split_run(heap, local, cores, "local")]}
    crops = result["split"][0]["crops"]
    result["embed"] = [embed_run(local, root, work / "models-local", cores, "local", crops)]
    ray_start = time.perf_counter()
    with ray_session(max(workers)):
        list(ordered_map(abs, range(4 * max(workers)), max(workers), batch_size=1))  # workers up before timing
        result["ray_start_s"] = round(time.perf_counter() - ray_start, 2)
        for n in workers:
            run_ = split_run(heap, root / f"split-ray{n}", n, "ray")
            same = (root / f"split-ray{n}" / MANIFEST).read_bytes() == (local / MANIFEST).read_bytes()
            result["split"].append({**run_, "same_manifest_as_local": same})
        for n in workers:
            result["embed"].append(embed_run(local, root, work / f"models-ray{n}", n, "ray", crops))
    for rows in (result["split"], result["embed"]):
        for row in rows:
            row["ratio_to_local"] = round(rows[0]["seconds"] / row["seconds"], 2)
    result["serial"] = driver_rates(local, root, work / "models-local")
    result["driver_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if with_label_studio:
        result["push"] = push_rate(local, root, work)
    return result


def write_docs(result: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "ray_benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    lines = ["# Ray engine benchmark", "",
             f"Machine: {m['cores']} CPU cores ({m['cpu']}), Python {m['python']}; 1-min load average "
             f"at start {m['load_average_at_start']}: the machine is shared with other work, so the "
             "figures are ratios against the local engine measured in the same run. Heap: "
             f"`{result['heap']}`. Run: `python -m benchmarks.ray_bench`.", "",
             "Ray workers run one CPU each; more workers than cores share the cores. A local Ray "
             f"started, its worker processes up, in {result['ray_start_s']} s (not counted below); the "
             "embedding actors' start (each loads EfficientNet) is counted.", "",
             "## Split (decode, split; the driver dedups and stores)", "",
             "| engine | workers | s | files/s | crops/s | × local | same manifest |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['engine']} | {r['workers']} | {r['seconds']} | {r['files_per_s']} | {r['crops_per_s']} | "
              f"{r['ratio_to_local']} | {r.get('same_manifest_as_local', '—')} |" for r in result["split"]]
    lines += ["", "## Embedding (EfficientNet-Lite0 on each crop and two context windows, into the feature cache)", "",
              "| engine | workers | s | crops/s | features/s | × local |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['engine']} | {r['workers']} | {r['seconds']} | {r['crops_per_s']} | {r['features_per_s']} | "
              f"{r['ratio_to_local']} |" for r in result["embed"]]
    d = result["serial"]
    lines += ["", f"Driver peak memory: {result['driver_peak_rss_mb']} MB.", "",
              "## The serial parts", "",
              f"- The split's driver (exact hash, perceptual hash, PNG encoding of each kept crop): "
              f"{d['driver_crops_per_s']} crops/s on one core, whatever the number of workers.",
              "- One near-duplicate check against a deduper already holding n crops: " +
              ", ".join(f"{n:,}: {ms} ms" for n, ms in d["dedup_check_ms"].items()) + ".",
              f"- Scoring from the cache (a crop and its two windows read back): {d['cached_crops_per_s']} crops/s."]
    if "push" in result:
        p = result["push"]
        lines += ["", f"Push into Label Studio (SQLite, local): {p['tasks']} tasks at {p['import_s_per_1000']} s "
                      f"per 1,000; a re-run that finds them all there reads the project at "
                      f"{p['rerun_s_per_1000']} s per 1,000 tasks."]
    (out / "ray_benchmark.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--heap", type=Path, default=None, help="heap to split (default: build one offline)")
    parser.add_argument("--sheets", type=int, default=24, help="sheets of the heap built without --heap")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="Ray worker counts")
    parser.add_argument("--work", type=Path, default=Path("data/ray-bench"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where the figures go")
    parser.add_argument("--no-label-studio", action="store_true", help="skip the push into Label Studio")
    a = parser.parse_args()
    heap = a.heap
    if heap is None:
        heap = a.work / f"heap-{a.sheets}"
        if not (heap / "truth.json").exists():
            build_heap(heap, sheets=a.sheets, seed=3, offline=True)
    result = run(heap, a.work, a.workers, not a.no_label_studio)
    write_docs(result, a.out)
    print((a.out / "ray_benchmark.md").read_text())


if __name__ == "__main__":
    main()
