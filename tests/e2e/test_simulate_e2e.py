"""The simulated annotator against the real Label Studio and the real ML backend."""
from __future__ import annotations

import pytest

from e2e_helpers import new_project, true_labels
from benchmarks.simulate import Annotator, Oracle, wait_for_model
from storage.files import read_jsonl

pytestmark = pytest.mark.e2e


def test_annotator_labels_what_label_studio_serves_and_scores_its_export(stack, small_heap, tmp_path):
    project = new_project(stack, small_heap, "e2e simulate")
    stack.connect(project.id)
    wait_for_model(project, timeout=300)
    truth = true_labels(project, small_heap)
    annotator = Annotator(project, Oracle(read_jsonl(small_heap / "oracle.jsonl")), "symbol", tmp_path / "set",
                          min_confidence=0.8, seconds_per_label=0.2, order="uncertainty")

    run = annotator.run(every=4, max_labels=12)

    labelled = {t["id"]: t["annotations"] for t in project.tasks() if t.get("annotations")}
    assert len(labelled) == run.curve[-1]["labels"]
    assert [p["labels"] for p in run.curve] == [4, 8, 12] or run.labels_to_bar == run.curve[-1]["labels"], \
        "a point every 4 labels, up to 12 unless the bar was reached before"
    assert len(run.curve) >= 2 or run.labels_to_bar == 4
    assert all(len(a) == 1 for a in labelled.values()), "Label Studio never serves a labelled task again"
    assert {i: a[0]["result"][0]["value"]["choices"][0] for i, a in labelled.items()} \
        == {i: truth[i] for i in labelled}, "every label is the oracle's"
    kept = {r["task_id"] for r in read_jsonl(tmp_path / "set" / "manifest.jsonl") if r["label"] == "symbol"}
    true = {i for i, label in truth.items() if label == "symbol"}
    last = run.curve[-1]
    assert last["exported"] == len(kept) > 0
    assert last["precision"] == pytest.approx(len(kept & true) / len(kept))
    assert last["recall"] == pytest.approx(len(kept & true) / len(true))
