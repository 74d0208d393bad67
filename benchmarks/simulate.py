"""The simulated annotator (../shared/EVAL.md §2): how many hand labels reach a clean set?

It imports a heap into its own Label Studio with the real ML backend connected, then
labels tasks from an oracle file, one by one, exactly as a person would: it asks Label
Studio for the next task ("Label All Tasks", uncertainty sampling), submits the oracle's
label as an annotation through the API, and leaves retraining to the backend's webhooks
and debouncing. After every ``every`` labels it exports the curated set as a user would
(human labels plus predictions at least ``min_confidence`` sure) and scores the exported
``symbol`` images against the oracle. A second project with the same tasks is labelled
in a random order, in the same run, for comparison.

A task's oracle label is the label of the oracle item of the same source whose box
overlaps the task's box with IoU ≥ 0.8; a task matching no item counts as garbage.
"""
from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from export.curated import export
from importer.pipeline import JobOptions, run_split
from importer.push import push
from benchmarks.boxes import MATCH_IOU, iou
from benchmarks.simulation_options import SimulationOptions
from ml_backend.model_store import version_number
from stack.local import LocalStack
from stack.services import free_port
from storage.files import read_jsonl
from studio.client import with_retries
from studio.project import LabelStudioProject
from studio.tasks import choice

log = logging.getLogger(__name__)
PRECISION_BAR, RECALL_BAR = 0.98, 0.95


class Oracle:
    """True labels by (source, box), matched at IoU ≥ ``threshold``; unknown crops are garbage."""

    def __init__(self, rows: list[dict], threshold: float = MATCH_IOU, default: str = "garbage"):
        self.items = defaultdict(list)
        for row in rows:
            self.items[row["source"]].append((row["bbox"], row["label"]))
        self.threshold, self.default = threshold, default

    def match(self, source: str, bbox) -> tuple[float, str | None]:
        """(IoU, label) of the source's item that overlaps ``bbox`` most; (0.0, None) if none."""
        return max(((iou(box, bbox), label) for box, label in self.items.get(source, [])),
                   key=lambda m: m[0], default=(0.0, None))

    def label(self, source: str, bbox) -> str:
        overlap, label = self.match(source, bbox)
        return label if label is not None and overlap >= self.threshold else self.default


@dataclass
class Run:
    """One labelling order's learning curve."""

    name: str
    curve: list[dict] = field(default_factory=list)

    @property
    def labels_to_bar(self) -> int | None:
        return next((p["labels"] for p in self.curve
                     if p["precision"] >= PRECISION_BAR and p["recall"] >= RECALL_BAR), None)


class Annotator:
    """Labels one project from the oracle, in Label Studio's order or a random one."""

    def __init__(self, project: LabelStudioProject, oracle: Oracle, keep: str, export_dir: Path,
                 min_confidence: float, seconds_per_label: float, order: str, seed: int = 0):
        self.project, self.oracle, self.keep = project, oracle, keep
        self.export_dir, self.min_confidence = export_dir, min_confidence
        self.seconds_per_label, self.order = seconds_per_label, order
        self.rng = random.Random(seed)
        self.truth = {t["id"]: oracle.label(t["data"]["source"], t["data"]["bbox"]) for t in project.tasks()}

    def next_task(self, done: set[int], attempts: int = 3) -> int | None:
        """The next task to label; None when every task is done. Label Studio once found no
        task (404) with 35 of 40 left while a retrain's predictions replaced the old ones (on
        SQLite its next-task query runs outside a transaction), so a None while tasks remain
        is asked again."""
        if self.order == "random":
            todo = sorted(set(self.truth) - done)
            return self.rng.choice(todo) if todo else None
        for attempt in range(attempts):
            task_id = with_retries(self._served_next, "asking for the next task")
            left = len(self.truth) - len(done)
            if task_id is not None or not left:
                return task_id
            log.warning("Label Studio served no task with %d left; asking again", left)
            time.sleep(1.0 + attempt)
        return None

    def _served_next(self) -> int | None:
        """The task Label Studio serves next, None when none is left (404)."""
        response = self.project.http.get(f"{self.project.url}/api/projects/{self.project.id}/next", timeout=300)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()["id"]

    def label(self, task_id: int) -> None:
        result = choice(self.truth[task_id])
        self.project.annotate(task_id, result)

    def score(self) -> dict:
        """Export as a user would and measure the kept class against the oracle."""
        export(self.project, self.export_dir, self.min_confidence)
        kept = {r["task_id"] for r in read_jsonl(self.export_dir / "manifest.jsonl") if r["label"] == self.keep}
        true = {i for i, label in self.truth.items() if label == self.keep}
        hit = len(kept & true)
        return {"precision": hit / len(kept) if kept else 0.0, "recall": hit / len(true) if true else 1.0,
                "exported": len(kept)}

    def run(self, every: int, max_labels: int) -> Run:
        run, done = Run(self.order), set()
        with tqdm(total=max_labels, desc=f"label ({self.order})", unit="label") as bar:
            while len(done) < max_labels:
                task_id = self.next_task(done)
                if task_id is None:
                    break
                self.label(task_id)
                done.add(task_id)
                bar.update(1)
                time.sleep(self.seconds_per_label)
                if len(done) % every == 0:
                    self._measure(run, len(done), bar)
                    if run.labels_to_bar is not None:
                        break
            if done and (not run.curve or run.curve[-1]["labels"] != len(done)):
                self._measure(run, len(done), bar)  # the run ended between two measurements
        return run

    def _measure(self, run: Run, labels: int, bar: tqdm) -> None:
        run.curve.append({"labels": labels, **self.score()})
        bar.set_postfix(p=f"{run.curve[-1]['precision']:.3f}", r=f"{run.curve[-1]['recall']:.3f}")


def wait_for_model(project: LabelStudioProject, timeout: float = 900.0) -> str:
    """Block until the backend has scored the project (it sets the project's model version)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = project.sdk.projects.get(id=project.id).model_version
        if version_number(version) > 0:  # the backend's own versions, not the one set on connecting
            return version
        time.sleep(2)
    raise TimeoutError(f"the ML backend did not score project {project.id} within {timeout:.0f} s")


def plot(runs: list[Run], tasks: int, path: Path) -> None:
    """Learning curves: precision and recall of the exported set against labels given."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for run, color in zip(runs, ("tab:blue", "tab:orange")):
        x = [p["labels"] for p in run.curve]
        ax.plot(x, [p["precision"] for p in run.curve], "-", color=color, label=f"{run.name}: precision")
        ax.plot(x, [p["recall"] for p in run.curve], "--", color=color, label=f"{run.name}: recall")
        if run.labels_to_bar:
            ax.axvline(run.labels_to_bar, color=color, alpha=0.4)
    ax.axhline(PRECISION_BAR, color="gray", lw=0.8, ls=":")
    ax.axhline(RECALL_BAR, color="gray", lw=0.8, ls=":")
    ax.set(xlabel=f"hand labels (of {tasks} tasks)", ylabel="exported 'keep' set vs oracle",
           ylim=(0, 1.02), title="Labels needed for a clean set: uncertainty-first vs random order")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(runs: list[Run], tasks: int, random_budget: int) -> dict:
    active, rand = runs
    ratio = (active.labels_to_bar / rand.labels_to_bar
             if active.labels_to_bar and rand.labels_to_bar else None)
    return {"tasks": tasks, "bar": {"precision": PRECISION_BAR, "recall": RECALL_BAR},
            "labels_to_bar": active.labels_to_bar,
            "fraction_to_bar": active.labels_to_bar / tasks if active.labels_to_bar else None,
            "labels_to_bar_random": rand.labels_to_bar,
            "fraction_to_bar_random": rand.labels_to_bar / tasks if rand.labels_to_bar else None,
            "ratio": ratio,
            # The random order stops after random_budget labels; if it never reached the bar,
            # the true ratio is below this bound.
            "random_budget": random_budget,
            "ratio_upper_bound": (active.labels_to_bar / random_budget
                                  if active.labels_to_bar and not rand.labels_to_bar else ratio),
            "curve": active.curve, "curve_random": rand.curve}


def wrong_keeps(manifest: list[dict], oracle: Oracle, keep: str) -> dict[str, int]:
    """The exported ``keep`` crops the oracle calls garbage, by cause: an oracle garbage item
    (photo, text), a splitter error (overlapping a true item, but at IoU < the oracle's
    threshold: merged, cut or captioned), or nothing of the oracle's at all."""
    causes = {"oracle garbage": 0, "splitter error": 0, "no item": 0}
    for row in manifest:
        if row["label"] != keep or oracle.label(row["source"], row["bbox"]) == keep:
            continue
        best, _ = oracle.match(row["source"], row["bbox"])
        causes["oracle garbage" if best >= oracle.threshold else "splitter error" if best > 0 else "no item"] += 1
    return causes


def write_docs(out: Path, docs: Path, oracle: Oracle) -> None:
    """Copy a run's simulation.json and plot into ``docs`` with a summary, simulation.md: the
    labels to the bar, the curves every 50 labels and at the bar, and why exported crops were wrong."""
    r = json.loads((out / "simulation.json").read_text())
    docs.mkdir(parents=True, exist_ok=True)
    for name in ("simulation.json", "learning_curve.png"):
        shutil.copyfile(out / name, docs / name)
    count = lambda n, f: "not reached" if n is None else f"{n} labels ({f:.1%} of the tasks)"
    ratio = (f"{r['ratio']:.2f}" if r["ratio"] is not None else
             f"below {r['ratio_upper_bound']:.2f} (random order had not reached the bar after "
             f"{r['random_budget']} labels)" if r["ratio_upper_bound"] is not None else "unknown")
    lines = ["# Hand labels needed: the simulated annotator (EVAL.md §2)", "",
             f"Heap `{r['heap']}`: {r['tasks']} tasks. Bar: the exported 'keep' set has precision >= "
             f"{r['bar']['precision']} and recall >= {r['bar']['recall']} against the oracle. "
             f"Options: {r['options']}.", "",
             f"- Label Studio's order (uncertainty sampling, the real backend retraining): "
             f"{count(r['labels_to_bar'], r['fraction_to_bar'] or 0)}",
             f"- Random order, same run: {count(r['labels_to_bar_random'], r['fraction_to_bar_random'] or 0)}",
             f"- Ratio: {ratio}", "", "![learning curve](learning_curve.png)", "",
             "| labels | uncertainty precision | recall | random precision | recall |", "|---|---|---|---|---|",
             *[f"| {a['labels']} | {a['precision']:.3f} | {a['recall']:.3f} | "
               + (f"{b['precision']:.3f} | {b['recall']:.3f} |" if b else "| |")
               for a, b in _table_rows(r["curve"], r["curve_random"])], "",
             "Exported 'keep' crops the oracle calls garbage, at the end of each run, by cause:", ""]
    for name in ("uncertainty", "random"):
        manifest = out / f"export-{name}" / "manifest.jsonl"
        if manifest.exists():
            lines.append(f"- {name}: {wrong_keeps(read_jsonl(manifest), oracle, r['keep'])}")
    lines += ["", "Rebuild: `make simulate` (or `python -m importer simulate --heap HEAP --oracle "
              "ORACLE.jsonl --out DIR --docs docs`).", ""]
    (docs / "simulation.md").write_text("\n".join(lines))


def _table_rows(curve: list[dict], other: list[dict], step: int = 50) -> list[tuple[dict, dict | None]]:
    """Points of ``curve`` at multiples of ``step`` labels and its last one (where a run that
    reached the bar stopped), each with ``other``'s point there."""
    at = {p["labels"]: p for p in other}
    return [(p, at.get(p["labels"])) for i, p in enumerate(curve)
            if p["labels"] % step == 0 or i == len(curve) - 1]


def simulate(heap: Path, oracle_path: Path, out: Path, options: SimulationOptions = SimulationOptions(),
             job: JobOptions = JobOptions()) -> dict:
    """Run the whole simulation in a fresh local stack under ``out``; write simulation.json and the plot.

    A previous run's stack (Label Studio's database, crops, models) is removed first: its
    labels would otherwise count, and its crops be skipped as already imported."""
    oracle = Oracle(read_jsonl(oracle_path))
    if (out / "stack").exists():
        log.warning("removing the previous run's stack in %s", out / "stack")
        shutil.rmtree(out / "stack")
    out.mkdir(parents=True, exist_ok=True)
    with LocalStack(out / "stack", ls_port=free_port(), backend_port=free_port()) as stack:
        crops = stack.document_root / "heap"
        run_split(heap, crops, job)
        studio = stack.studio()
        projects = []
        for name in ("uncertainty", "random"):
            pid = push(crops, studio, stack.document_root, f"simulation ({name})").project_id
            stack.connect(pid)
            projects.append(stack.project(pid))
        for project in projects:
            wait_for_model(project)
        keep = projects[0].class_names()[0]
        tasks = len(projects[0].tasks())
        max_labels = max(options.every, int(tasks * options.max_fraction))
        active = Annotator(projects[0], oracle, keep, out / "export-uncertainty", options.min_confidence,
                           options.seconds_per_label, "uncertainty").run(options.every, max_labels)
        # Random order may use random_factor times the labels the bar took, or as many as the
        # uncertainty run used when it never reached the bar (the curves then compare at equal effort).
        budget = min(tasks, int(options.random_factor * active.labels_to_bar) if active.labels_to_bar else max_labels)
        rand = Annotator(projects[1], oracle, keep, out / "export-random", options.min_confidence,
                         options.seconds_per_label, "random", options.seed).run(options.every, budget)
    result = {**report([active, rand], tasks, budget), "heap": str(heap), "keep": keep,
              "options": asdict(options)}
    (out / "simulation.json").write_text(json.dumps(result, indent=2))
    plot([active, rand], tasks, out / "learning_curve.png")
    return result
