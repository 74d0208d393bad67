"""Offline replay of the labelling loop: the backend's own classifier and scores, no servers.

    python -m benchmarks.replay CROPS_DIR ORACLE.jsonl [--budget 800] [--out docs] [--name replay]

A fast stand-in (minutes) for ``importer simulate`` (an hour), to compare query orders and
to see how far the features can go. It reads the crop manifest that ``importer split``
wrote, labels crops from the oracle (EVAL.md §2's matching), refits the backend's
``CropClassifier`` after every ``--every`` labels and scores the exported keep set as the
simulation does: human labels, plus predictions at least ``--min-confidence`` sure.

Orders: uncertainty (the backend's cold-start order, then lowest confidence first, as
Label Studio serves it), random, and uncertainty with a share of random draws. The
ceiling: 5-fold cross-validated precision at recall 0.95 with every label known.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.simulate import Oracle, Run
from imaging.decode import read_rgb
from ml_backend.features import Embedder
from storage.files import read_jsonl
from ml_backend.model import CropClassifier
from ml_backend.scoring import confidence, diverse_order
from ml_backend.settings import REJECT_COST
from ml_backend.views import Views

KEEP = "symbol"


class Crops:
    """A split's output folder as the backend's tasks and image loader."""

    def __init__(self, crops_dir: Path):
        self.dir = crops_dir
        rows = [r for r in read_jsonl(crops_dir / "manifest.jsonl") if not r.get("duplicate_of")]
        self.tasks = [{"id": i, "data": {"image": r["path"], "source_image": r.get("source_image"),
                                         "source": r["source"], "bbox": r["bbox"], "sha256": r["sha256"]}}
                      for i, r in enumerate(rows)]

    def load_image(self, task: dict) -> np.ndarray:
        return read_rgb(self.dir / task["data"]["image"])

    def load_source(self, task: dict) -> np.ndarray | None:
        source = task["data"]["source_image"]
        return read_rgb(self.dir / source) if source else None


def load(crops_dir: Path, oracle_path: Path, cache: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the kept (non-duplicate) crops: the backend's features (n, d), whether the oracle
    keeps each, and the features of each crop merged with its neighbour (a reject example
    the backend adds once the crop is labelled a keeper; NaN rows for crops without one)."""
    crops, views = Crops(crops_dir), Views(Embedder(cache))
    oracle = Oracle(list(read_jsonl(oracle_path)))
    keep = np.array([oracle.label(t["data"]["source"], t["data"]["bbox"]) == KEEP for t in crops.tasks])
    features = views.features(crops.tasks, crops)
    owners, rows = views.merged(crops.tasks, np.flatnonzero(keep), crops)
    merged = np.full_like(features, np.nan)
    merged[owners] = rows
    return features, keep, merged


def fit(features: np.ndarray, keep: np.ndarray, labelled: np.ndarray, merged: np.ndarray | None) -> CropClassifier:
    """The backend's classifier on the ``labelled`` crops plus the merged-neighbour rows of
    the labelled keepers as garbage, standardised over every crop and with garbage costing
    ``REJECT_COST`` (as the backend does)."""
    extra = merged[labelled & keep] if merged is not None else features[:0]
    extra = extra[~np.isnan(extra).any(axis=1)]
    labels = np.append(np.where(keep[labelled], KEEP, "garbage"), ["garbage"] * len(extra))
    return CropClassifier(costs={"garbage": REJECT_COST}).fit(np.vstack([features[labelled], extra]), labels,
                                                              pool=features)


def replay(features: np.ndarray, keep: np.ndarray, order: str, budget: int, every: int,
           min_confidence: float, random_share: float = 0.0, seed: int = 0,
           merged: np.ndarray | None = None) -> list[dict]:
    """Learning curve of one labelling order: precision and recall after every ``every`` labels."""
    rng = np.random.default_rng(seed)
    cold = np.argsort(diverse_order(features), kind="stable")
    labelled, proba, curve = np.zeros(len(keep), bool), None, []
    while labelled.sum() < min(budget, len(keep)):
        labelled[_next(labelled, proba, cold, order, every, random_share, rng)] = True
        if len(np.unique(keep[labelled])) < 2:
            continue
        model = fit(features, keep, labelled, merged)
        proba = model.predict_proba(features)
        sure = proba[:, list(model.classes_).index(KEEP)] >= min_confidence
        curve.append({"labels": int(labelled.sum()), **_scores(np.where(labelled, keep, sure), keep)})
    return curve


def _next(labelled, proba, cold, order, every, random_share, rng) -> np.ndarray:
    """Indices of the next ``every`` tasks to label."""
    open_ = np.flatnonzero(~labelled)
    if order == "random":
        return rng.choice(open_, min(every, len(open_)), replace=False)
    if proba is None:
        return cold[~labelled[cold]][:every]
    draws = int(round(random_share * every))
    ranked = open_[np.argsort(confidence(proba[open_]), kind="stable")]
    picked = ranked[:every - draws]
    rest = np.setdiff1d(open_, picked)
    return np.concatenate([picked, rng.choice(rest, min(draws, len(rest)), replace=False)])


def _scores(exported: np.ndarray, keep: np.ndarray) -> dict:
    hits = (exported & keep).sum()
    return {"precision": float(hits / max(exported.sum(), 1)), "recall": float(hits / keep.sum())}


def ceiling(features: np.ndarray, keep: np.ndarray, folds: int = 5, seed: int = 0,
            merged: np.ndarray | None = None) -> dict:
    """Cross-validated precision at recall 0.95 (and 0.9) with every label known."""
    fold = np.random.default_rng(seed).integers(0, folds, len(keep))
    p = np.zeros(len(keep))
    for k in range(folds):
        train = fold != k
        model = fit(features, keep, train, merged)
        p[~train] = model.predict_proba(features[~train])[:, list(model.classes_).index(KEEP)]
    ranked = keep[np.argsort(-p, kind="stable")]
    precision = np.cumsum(ranked) / np.arange(1, len(ranked) + 1)
    recall = np.cumsum(ranked) / keep.sum()
    return {f"precision_at_recall_{r}": float(precision[np.searchsorted(recall, r)]) for r in (0.9, 0.95)}


def report(result: dict) -> list[str]:
    """Markdown: the ceiling, labels to the bar per order, and the curves every 100 labels."""
    orders = result["orders"]
    lines = ["# Offline replay of the labelling loop", "",
             f"{result['tasks']} crops from `{result['crops']}`, {result['keep_share']:.1%} kept by the "
             f"oracle. The backend's classifier and scores, no servers (`python -m benchmarks.replay`).", "",
             "Ceiling, every label known (5-fold): precision "
             f"{result['ceiling']['precision_at_recall_0.95']:.3f} at recall 0.95, "
             f"{result['ceiling']['precision_at_recall_0.9']:.3f} at recall 0.9.", "",
             "| labels | " + " | ".join(f"{name} precision / recall" for name in orders) + " |",
             "|---|" + "---|" * len(orders)]
    by_labels = {name: {p["labels"]: p for p in curve} for name, curve in orders.items()}
    for n in range(100, result["budget"] + 1, 100):
        cells = [f"{by_labels[o][n]['precision']:.3f} / {by_labels[o][n]['recall']:.3f}"
                 if n in by_labels[o] else "-" for o in orders]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += ["", "Labels to the bar (precision ≥ 0.98, recall ≥ 0.95): "
              + ", ".join(f"{o} {Run(o, c).labels_to_bar or 'not reached'}" for o, c in orders.items()), ""]
    return lines


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("crops", type=Path, help="folder written by `python -m importer split`")
    ap.add_argument("oracle", type=Path, help="JSON Lines of {source, bbox, label}")
    ap.add_argument("--budget", type=int, default=800, help="labels per order")
    ap.add_argument("--every", type=int, default=10, help="refit and score after this many labels")
    ap.add_argument("--min-confidence", type=float, default=0.8)
    ap.add_argument("--random-share", type=float, default=0.2, help="random draws in the mixed order")
    ap.add_argument("--cache", type=Path, default=Path("data/cache/features"), help="feature cache")
    ap.add_argument("--out", type=Path, default=Path("docs"))
    ap.add_argument("--name", default="replay", help="file name (without suffix) of the figures written to --out")
    a = ap.parse_args(argv)
    features, keep, merged = load(a.crops, a.oracle, a.cache)
    plans = {"uncertainty": ("uncertainty", 0.0), "random": ("random", 0.0),
             f"uncertainty + {a.random_share:.0%} random": ("uncertainty", a.random_share)}
    orders = {name: replay(features, keep, order, a.budget, a.every, a.min_confidence, share, merged=merged)
              for name, (order, share) in tqdm(plans.items(), desc="orders")}
    result = {"crops": str(a.crops), "tasks": len(keep), "keep_share": float(keep.mean()),
              "budget": a.budget, "options": {k: str(v) for k, v in vars(a).items()},
              "ceiling": ceiling(features, keep, merged=merged), "orders": orders}
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{a.name}.json").write_text(json.dumps(result, indent=1))
    lines = report(result)
    (a.out / f"{a.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main()
