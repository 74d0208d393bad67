"""ML backend speed: /predict latency per task and retrain + re-score time for N tasks.

    python -m benchmarks.backend_bench [--crops DIR] [--tasks 10000]
                                       [--start-label-studio | --label-studio URL --api-key KEY]

/predict goes through the flask test client with the real EfficientNet-Lite0 extractor and
model: "cold" = the crop's features are extracted in the request, "cached" = read from the
feature cache. The retrain uses N tasks whose features are real crop features plus small
noise, stored in the on-disk cache and read back by a fresh process-level cache, exactly as
a retrain after a restart would. Without --label-studio the Label Studio side is an
in-memory stand-in (compute only); with it (or with a Label Studio this command starts), a
real project of N tasks is created and the trainer's reads and writes hit that server. Writes
docs/backend_benchmark.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from ml_backend.features import Embedder
from stack import services
from stack.local import load_credentials
from stack.services import free_port
from studio.project import LabelStudioProject
from studio.tasks import prediction
from ml_backend.server import create_app
from ml_backend.settings import BackendSettings
from ml_backend.scheduler import Scheduler
from ml_backend.trainer import Trainer
from ml_backend.views import Views

CONFIG = ('<View><Image name="image" value="$image"/><Choices name="label" toName="image" '
          'choice="single"><Choice value="symbol"/><Choice value="garbage"/></Choices></View>')


def machine() -> dict:
    """nproc, CPU model and torch threads of this machine."""
    import torch
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"nproc": os.cpu_count(), "cpu": model, "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__,
            "load_average_at_start": round(os.getloadavg()[0], 2)}


def real_crops(folder: Path | None, count: int, seed: int = 0) -> list[Path]:
    """Up to ``count`` PNG files: from ``folder``, else icons and pictures under /usr/share."""
    roots = [folder] if folder else [Path("/usr/share")]
    files = sorted(p for root in roots for p in root.rglob("*.png") if p.stat().st_size > 200)
    random.Random(seed).shuffle(files)
    return files[:count]


def percentiles(seconds: list[float]) -> dict:
    """p50/p95/mean in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "mean_ms": round(statistics.fmean(ms), 2), "n": len(ms)}


class FileProject:
    """Tasks over crop files on disk; the Label Studio side of the trainer kept in memory."""

    def __init__(self, files: list[Path], labels: dict[int, str] | None = None):
        self.files = files
        self.task_list = [{"id": i + 1, "project": 1, "data": {"image": str(f), "sha256": f"{i + 1:064x}"},
                           "annotations": []} for i, f in enumerate(files)]
        for i, label in (labels or {}).items():
            self.task_list[i]["annotations"] = [{"id": i, "result": [{
                "from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [label]}}]}]

    def class_names(self):
        return ["symbol", "garbage"]

    def tasks(self):
        return self.task_list

    def load_image(self, task):
        return task["data"]["image"]

    def load_source(self, task):
        return None

    def import_predictions(self, predictions):
        self.predictions = predictions

    def activate(self, version):
        self.version = version

    def replace_predictions(self, predictions):
        self.predictions = predictions

    def show_suspects(self, task_ids):
        self.suspects = task_ids


def bench_predict(files: list[Path], work: Path) -> dict:
    """Per-task /predict latency, one task per request: cold (extraction) then cached."""
    labels = {i: ("symbol" if i % 2 else "garbage") for i in range(min(40, len(files)))}
    project = FileProject(files, labels)
    trainer = Trainer(lambda pid: project, Views(Embedder(work / "trainer-features")), work)
    trainer.retrain(1)
    embedder = Embedder(work / "features")  # an empty cache: the first pass extracts
    for _ in range(5):  # load the network and let oneDNN settle before timing
        embedder.embed(files[:1])
    client = create_app(BackendSettings(model_dir=work), trainer=trainer, embedder=embedder,
                        connect=lambda pid: project).test_client()
    fresh = project.task_list[len(labels):]
    out = {}
    for mode in ("cold", "cached"):
        timings = []
        for task in fresh:
            start = time.perf_counter()
            response = client.post("/predict", json={"tasks": [task], "project": "1.1"})
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200 and len(response.get_json()["results"]) == 1
        out[mode] = percentiles(timings)
    start = time.perf_counter()
    client.post("/predict", json={"tasks": fresh, "project": "1.1"})
    out["cached_batch_per_task_ms"] = round((time.perf_counter() - start) * 1000 / len(fresh), 3)
    return out


def synthetic_features(embedder: Embedder, files: list[Path], n: int, seed: int = 0) -> np.ndarray:
    """``n`` feature rows: real crop features plus 5 % Gaussian noise."""
    real = embedder.embed(files)
    rng = np.random.default_rng(seed)
    rows = real[rng.integers(len(real), size=n)]
    return np.abs(rows + rng.normal(scale=0.05 * real.std(), size=rows.shape)).astype(np.float32)


def bench_retrain(files: list[Path], work: Path, n: int, labelled: int, studio: tuple | None) -> dict:
    """Retrain + re-score time for ``n`` tasks with ``labelled`` labels (features cached on disk)."""
    embedder = Embedder(work / "features")
    features = synthetic_features(embedder, files, n)
    group = features[:, :640].sum(1) > np.median(features[:, :640].sum(1))
    labels = {i: labels_of(group[i]) for i in range(labelled)}
    project = FileProject([files[0]] * n, labels)
    for task, vector in zip(project.task_list, features):
        embedder.cache.put(task["data"]["sha256"], vector)
    target, setup_s = (project, 0.0) if studio is None else real_project(studio, project)
    # Retrains are called directly; requests (made below) stay pending for an hour.
    trainer = Trainer(lambda pid: target, Views(Embedder(work / "features")), work,
                      Scheduler(debounce=3600, max_wait=3600))
    activated = []
    activate = target.activate
    target.activate = lambda version: (activate(version), activated.append(time.perf_counter()))
    pid = target.id if studio else 1
    timings, serving = {}, {}
    for name in ("first", "second", "labelling"):
        if name == "labelling":  # ten more labels, and another retrain already waiting
            more = range(labelled, labelled + 10)
            add_labels(target, {project.task_list[i]["data"]["sha256"]: labels_of(group[i]) for i in more})
            trainer.request(pid)
        start = time.perf_counter()
        served = trainer.retrain(pid)
        timings[name] = round(time.perf_counter() - start, 2)
        serving[name] = round(activated[-1] - start, 2)
    return {"tasks": n, "labelled": labelled, "label_studio": studio is not None,
            "retrain_rescore_s": timings, "serving_new_version_s": serving, "version": served.version,
            "project_setup_s": round(setup_s, 1)}


def labels_of(in_group: bool) -> str:
    return "symbol" if in_group else "garbage"


def add_labels(target, by_sha: dict[str, str]) -> None:
    """Label the tasks whose crop sha256 is in ``by_sha``, in Label Studio or in the stand-in."""
    for task in target.tasks():
        label = by_sha.get(task["data"]["sha256"])
        if label is None:
            continue
        result = [{"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [label]}}]
        if isinstance(target, FileProject):
            task["annotations"] = [{"id": task["id"], "result": result}]
        else:
            target.sdk.annotations.create(id=task["id"], result=result)


def real_project(studio: tuple, local: FileProject) -> tuple[LabelStudioProject, float]:
    """A Label Studio project holding ``local``'s tasks and annotations (stand-in crops over HTTP)."""
    url, key = studio
    start = time.perf_counter()
    probe = LabelStudioProject(url, key, 0)
    pid = probe.sdk.projects.create(title=f"backend-bench {time.strftime('%H%M%S')}",
                                       label_config=CONFIG).id
    project = LabelStudioProject(url, key, pid)
    tasks = [{"image": "/static/images/logo.png", "sha256": t["data"]["sha256"]} for t in local.task_list]
    ids = []
    for i in range(0, len(tasks), 1000):
        ids += project.sdk.projects.import_tasks(id=pid, request=tasks[i:i + 1000], return_task_ids=True).task_ids
    annotated = [(ids[i], t["annotations"][0]["result"]) for i, t in enumerate(local.task_list) if t["annotations"]]
    for task_id, result in annotated:
        project.sdk.annotations.create(id=task_id, result=result)
    project.import_predictions([prediction(i, None, 0.5, "bench-old") for i in ids])  # a stale version to clean up
    return project, time.perf_counter() - start


@contextmanager
def own_label_studio(state: Path):
    """A fresh Label Studio on SQLite and a free port: yields (url, token)."""
    login = load_credentials(state / "credentials.env")
    port = free_port()
    with services.label_studio(state, state / "files", port, login.username, login.password, login.token):
        yield f"http://127.0.0.1:{port}", login.token


def report(results: dict, out: Path) -> None:
    """docs/backend_benchmark.json and .md."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "backend_benchmark.json").write_text(json.dumps(results, indent=2) + "\n")
    m, p, r = results["machine"], results["predict"], results["retrain"]
    lines = [
        "# ML backend benchmark", "",
        f"Machine: {m['nproc']} CPU cores ({m['cpu']}), torch {m['torch']} with {m['torch_threads']} threads, "
        f"Python {m['python']}; 1-min load average at start {m['load_average_at_start']} "
        f"(the machine is shared). Crops: {results['crops']} real PNGs; EfficientNet-Lite0 at "
        f"{results['input_px']} px. Run with `make bench` (`python -m benchmarks.backend_bench "
        "--crops CROPS --start-label-studio`).", "",
        "## /predict latency per task (flask test client, one task per request)", "",
        "| features | p50 ms | p95 ms | mean ms | n |", "|---|---|---|---|---|",
        *[f"| {mode} | {p[mode]['p50_ms']} | {p[mode]['p95_ms']} | {p[mode]['mean_ms']} | {p[mode]['n']} |"
          for mode in ("cold", "cached")],
        "", f"A batch of all {p['cached']['n']} tasks in one cached request: "
            f"{p['cached_batch_per_task_ms']} ms per task.", "",
        "## Retrain + re-score", "",
        f"{r['tasks']} tasks, {r['labelled']} labelled, features read from the on-disk cache; "
        f"Label Studio: {'real server (fetch tasks and labels, replace every task prediction, activate, views)' if r['label_studio'] else 'in-memory stand-in (compute only)'}.",
        "", "| retrain | re-ranked: new version served after, s (goal <= 60) | publishing pass done, s |",
        "|---|---|---|",
        *[f"| {name} | {r['serving_new_version_s'][name]} | {r['retrain_rescore_s'][name]} |"
          for name in ("first", "second", "labelling")], "",
        "first: right after a restart (10,000 features read from the disk cache; Label Studio's copy "
        "unknown, so every prediction is rewritten); second: the same labels again (every "
        "prediction rewritten, as after a burst of labels ends); labelling: ten more labels with "
        "another retrain already waiting, as during steady labelling (the most uncertain chunk and "
        "every changed prediction written, the unchanged rest left for the next pass). Label "
        "Studio serves the new model's most uncertain task once the first chunk is written; a "
        "complete rewrite costs ~8 ms per deleted prediction inside Label Studio (one signal per "
        "prediction) plus pauses that let annotations through.", ""]
    (out / "backend_benchmark.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    """Run both measurements and write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backend_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crops", type=Path, help="folder of crop PNGs (default: PNGs under /usr/share)")
    parser.add_argument("--count", type=int, default=200, help="real crops to use")
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the retrain measurement")
    parser.add_argument("--labelled", type=int, default=300, help="labelled tasks in the retrain measurement")
    parser.add_argument("--label-studio", help="Label Studio URL for the end-to-end retrain measurement")
    parser.add_argument("--start-label-studio", action="store_true",
                        help="start a fresh Label Studio (SQLite) for the retrain measurement")
    parser.add_argument("--api-key", default=os.environ.get("LABEL_STUDIO_API_KEY"), help="its API token")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="report folder")
    args = parser.parse_args(argv)
    files = real_crops(args.crops, args.count)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        work = Path(tmp)
        studio = (args.label_studio, args.api_key) if args.label_studio else None
        if args.start_label_studio:
            studio = servers.enter_context(own_label_studio(work / "label-studio"))
        results = {"machine": machine(), "crops": len(files), "input_px": Embedder(work).size,
                   "predict": bench_predict(files, work / "predict"),
                   "retrain": bench_retrain(files, work / "retrain", args.tasks, args.labelled, studio)}
    report(results, args.out)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
