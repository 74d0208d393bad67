"""End to end: a task budget pushes a heap in waves, most needed first, and the export
labels the crops that never became tasks with the project's model."""
from __future__ import annotations

import numpy as np
import pytest

from e2e_helpers import Backend, true_labels, wait_version
from export.curated import export
from importer.pipeline import JobOptions, run_split
from importer.push import push
from ml_backend.offline import latest_model, model_proba, split_tasks
from storage.files import read_jsonl
from storage.layout import MANIFEST
from studio.tasks import choice
from waves.priority import ranker
from waves.unpushed import model_labelled

pytestmark = pytest.mark.e2e


def test_waves_then_export_of_crops_never_pushed(stack, small_heap, tmp_path):
    root, models = stack.document_root, stack.state / "models"
    out = root / "e2e-waves"
    run_split(small_heap, out, JobOptions(workers=1))
    kept = [r for r in read_jsonl(out / MANIFEST) if "path" in r]
    wave = len(kept) // 3  # two waves leave a third of the crops never pushed
    assert wave >= 10
    studio = stack.studio()
    rank = ranker(models, root)

    first = push(out, studio, root, "e2e waves", max_tasks=wave, rank=rank)
    assert (first.imported, first.already_there, first.left) == (wave, 0, len(kept) - wave)
    project = stack.project(first.project_id)
    wave1 = {t["data"]["sha256"] for t in project.tasks()}
    sources = {r["sha256"]: r["source"] for r in kept}
    # the cold-start wave is a diverse sample: it spans more files than the manifest's first crops
    assert len({sources[s] for s in wave1}) > len({r["source"] for r in kept[:wave]})

    stack.connect(first.project_id)
    truth = true_labels(project, small_heap)
    for task_id, label in truth.items():
        project.sdk.annotations.create(id=task_id, result=choice(label))
    wait_version(project, lambda v: "cold" not in v)
    backend = Backend.of(stack)
    backend.wait_idle()
    version, model = latest_model(models, first.project_id)  # the model that ranks the second wave

    second = push(out, studio, root, "e2e waves", max_tasks=wave, rank=rank)
    assert (second.imported, second.already_there, second.left) == (wave, wave, len(kept) - 2 * wave)
    shas = [t["data"]["sha256"] for t in project.tasks()]
    assert len(shas) == len(set(shas)) == 2 * wave  # nothing pushed twice
    wave2 = set(shas) - wave1
    # the model's least confident crops came first: every crop of the wave is at most as
    # confident as every crop left behind
    rest = [t for t in split_tasks(out, root) if t["data"]["sha256"] not in wave1]
    confidence = model_proba(rest, model, models, root).max(axis=1)
    pushed = np.array([t["data"]["sha256"] in wave2 for t in rest])
    assert confidence[pushed].max() <= confidence[~pushed].min()

    backend.wait_idle()  # the new tasks were scored (and may have retrained: same labels, new version)
    version = latest_model(models, first.project_id)[0]
    counts = export(project, tmp_path / "set", 0.5, unpushed=model_labelled([out], root, models, project.id, 0.5))
    rows = read_jsonl(tmp_path / "set" / "manifest.jsonl")
    never_pushed = {r["sha256"] for r in kept} - set(shas)
    by_model = [r for r in rows if r["task_id"] is None]
    assert {r["sha256"] for r in by_model} == never_pushed  # two classes: every prediction is >= 0.5
    assert all(r["labelled_by"] == "model" and r["model_version"] == version and r["score"] >= 0.5
               for r in by_model)
    assert {r["task_id"] for r in rows if r["labelled_by"] == "person"} == set(truth)
    assert sum(counts.values()) == len(rows)
    assert all((tmp_path / "set" / r["file"]).read_bytes() == (out / "crops" / r["sha256"][:2] / f"{r['sha256']}.png").read_bytes()
               for r in by_model)
