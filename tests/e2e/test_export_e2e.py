"""Export against the real Label Studio: layout, manifest, threshold rule, re-export."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from e2e_helpers import new_project
from studio.tasks import choice
from export.curated import Variant, export
from storage.files import read_jsonl
from studio.tasks import prediction

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def labelled(stack, small_heap):
    """A project with 3 human labels and a prediction of the current version on every task."""
    project = new_project(stack, small_heap, "e2e export")
    pid = project.id
    tasks = sorted(project.tasks(), key=lambda t: t["id"])
    for task, label in zip(tasks[:3], ["symbol", "garbage", "symbol"]):
        project.annotate(task["id"], choice(label))
    # the model says garbage for task 0 (a person said symbol) and alternates confidence elsewhere
    predictions = [prediction(t["id"], "garbage" if i % 2 == 0 else "symbol", 0.99 if i % 3 else 0.6, "v1")
                   for i, t in enumerate(tasks)]
    project.sdk.projects.import_predictions(id=pid, request=predictions)
    project.sdk.projects.update(id=pid, model_version="v1")
    return project, tasks, predictions


def test_human_labels_only_by_default(labelled, tmp_path):
    project, tasks, _ = labelled
    counts = export(project, tmp_path / "set")
    assert counts == {"symbol": 2, "garbage": 1}
    rows = read_jsonl(tmp_path / "set" / "manifest.jsonl")
    assert {r["task_id"] for r in rows} == {t["id"] for t in tasks[:3]}
    first = next(r for r in rows if r["task_id"] == tasks[0]["id"])
    assert first["label"] == "symbol" and first["labelled_by"] == "person"  # the person wins
    assert first["source"] == tasks[0]["data"]["source"] and first["bbox"] == tasks[0]["data"]["bbox"]
    assert sorted(p.relative_to(tmp_path / "set").as_posix() for p in (tmp_path / "set").rglob("*.png")) \
        == sorted(r["file"] for r in rows)


def test_confident_predictions_join_above_the_threshold_only(labelled, tmp_path):
    project, tasks, predictions = labelled
    export(project, tmp_path / "set", min_confidence=0.95)
    rows = {r["task_id"]: r for r in read_jsonl(tmp_path / "set" / "manifest.jsonl")}
    expected_model = {p["task"] for p in predictions[3:] if p["score"] >= 0.95}
    assert {i for i, r in rows.items() if r["labelled_by"] == "model"} == expected_model
    assert all(rows[i]["model_version"] == "v1" and rows[i]["score"] >= 0.95 for i in expected_model)


def image_folder(root):
    """What torchvision's ``ImageFolder`` reads (torchvision is not installed: it does not import
    beside the CPU build of torch): classes are the sorted sub-folders, samples the image files
    under each, opened by PIL and converted to RGB, as its default loader does."""
    classes = sorted(d.name for d in root.iterdir() if d.is_dir())
    samples = [(Image.open(f).convert("RGB"), index) for index, name in enumerate(classes)
               for f in sorted((root / name).rglob("*")) if f.suffix.lower() in (".png", ".jpg")]
    return classes, samples


def test_the_export_and_its_square_variant_are_an_image_folder(labelled, tmp_path):
    project, _, _ = labelled
    export(project, tmp_path / "sq", min_confidence=0.5, variant=Variant(square=32, grayscale=True))
    classes, samples = image_folder(tmp_path / "sq")
    assert classes == ["garbage", "symbol"] and len(samples) > 3
    assert {label for _, label in samples} == {0, 1}
    image = np.asarray(samples[0][0])
    assert image.shape == (32, 32, 3) and (image[..., 0] == image[..., 1]).all()


def test_re_export_removes_stale_images_and_duplicates_nothing(labelled, tmp_path):
    project, tasks, _ = labelled
    out = tmp_path / "set"
    export(project, out, min_confidence=0.95)
    before = {r["task_id"]: r["file"] for r in read_jsonl(out / "manifest.jsonl")}
    annotation = project.annotate(tasks[1]["id"], choice("symbol"))
    try:
        export(project, out)  # human labels only now
        rows = read_jsonl(out / "manifest.jsonl")
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
        assert files == sorted(r["file"] for r in rows) and len(rows) == 3
        moved = next(r for r in rows if r["task_id"] == tasks[1]["id"])
        assert moved["label"] == "symbol" and not (out / before[tasks[1]["id"]]).exists()
    finally:
        project.sdk.annotations.delete(id=annotation.id)


def test_dark_on_light_inverts_light_ink_on_dark_ground():
    dark = np.zeros((20, 20, 3), np.uint8)
    dark[5:15, 5:15] = 230
    flipped = Variant(dark_on_light=True).apply(dark)
    assert flipped[0, 0].tolist() == [255, 255, 255] and flipped[10, 10].tolist() == [25, 25, 25]
    light = 255 - dark
    assert (Variant(dark_on_light=True).apply(light) == light).all()
