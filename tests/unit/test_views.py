"""What the classifier sees: crop and context boxes, merged neighbours, feature rows."""
from __future__ import annotations

import numpy as np
import pytest

from imaging.boxes import context_box
from ml_backend.publisher import Publisher
from ml_backend.trainer import Trainer
from ml_backend.views import Views, merged_box, row_key


def test_context_box_grows_by_the_longer_side_and_stays_inside_the_picture():
    assert context_box((40, 50, 20, 10), (200, 300, 3), 0.25) == (35, 45, 30, 20)
    assert context_box((2, 3, 20, 10), (20, 30, 3), 1.0) == (0, 0, 30, 20)
    assert context_box((5, 6, 7, 8), (100, 100, 3), 0.0) == (5, 6, 7, 8)


def test_merged_box_joins_the_nearest_neighbour_within_reach():
    box = (10, 10, 10, 10)
    far, near = (100, 10, 10, 10), (24, 12, 10, 10)
    assert merged_box(box, [far, near]) == (10, 10, 24, 12)
    assert merged_box(box, [far]) is None  # 80 px away: beyond the box's longer side
    assert merged_box(box, []) is None


def test_merged_box_skips_a_speck_that_hardly_grows_the_box():
    assert merged_box((10, 10, 10, 10), [(21, 12, 1, 1)]) is None


class MeanEmbedder:
    """Features: an image's mean colour and its height and width."""

    def features(self, keys, load):
        images = [load(i) for i in range(len(keys))]
        return np.array([[*image.reshape(-1, 3).mean(axis=0), *image.shape[:2]] for image in images], np.float32)


class SheetLoader:
    """One 100×100 black source picture with a white 10×10 square at (40, 40)."""

    def __init__(self):
        self.picture = np.zeros((100, 100, 3), np.uint8)
        self.picture[40:50, 40:50] = 255
        self.decoded = 0

    def load_image(self, task):
        x, y, w, h = task["data"]["bbox"]
        return self.picture[y:y + h, x:x + w]

    def load_source(self, task):
        self.decoded += 1
        return self.picture if task["data"].get("source_image") else None


def task(i, bbox, source="sheet.png"):
    data = {"image": f"crop{i}.png", "bbox": list(bbox), "sha256": f"{i:064x}"}
    if source:
        data["source_image"] = source
    return {"id": i, "data": data}


def test_features_are_the_crop_then_each_context():
    loader, embedder = SheetLoader(), MeanEmbedder()
    rows = Views(embedder, margins=(0.5, 1.0)).features(
        [task(1, (40, 40, 10, 10)), task(2, (40, 40, 10, 10), source=None)], loader)
    assert rows.shape == (2, 15)
    crop, half, whole = rows[0, :5], rows[0, 5:10], rows[0, 10:]
    assert crop.tolist() == [255, 255, 255, 10, 10]
    assert half[3:].tolist() == [20, 20] and 0 < half[0] < 255  # the square and black around it
    assert whole[3:].tolist() == [30, 30] and whole[0] < half[0]
    assert rows[1].tolist() == crop.tolist() + [0] * 10  # no source picture, no context
    assert loader.decoded == 1  # once for both margins


class CountingEmbedder(MeanEmbedder):
    """MeanEmbedder that counts the keys it was asked for."""

    def __init__(self):
        self.asked = 0

    def features(self, keys, load):
        self.asked += len(keys)
        return super().features(keys, load)


def test_update_reuses_the_rows_it_holds_and_embeds_only_new_tasks():
    loader, embedder = SheetLoader(), CountingEmbedder()
    views = Views(embedder, margins=(0.5,), chunk=2)
    first = [task(1, (40, 40, 10, 10)), task(2, (30, 30, 20, 20)), task(3, (40, 40, 10, 10), source=None)]
    held = views.update(None, first, loader)
    assert views.update(held, first, loader) is held and embedder.asked == 5  # 3 crops, 2 contexts
    later = [first[2], task(4, (35, 35, 10, 10)), first[0]]  # one gone, one new, in another order
    again = views.update(held, later, loader)
    assert embedder.asked == 7  # the new task's crop and context only
    assert again.keys == [row_key(t) for t in later]
    assert np.array_equal(again.matrix, Views(MeanEmbedder(), margins=(0.5,)).features(later, loader))


def test_merged_rows_belong_to_chosen_tasks_with_a_neighbour():
    loader = SheetLoader()
    tasks = [task(1, (40, 40, 10, 10)), task(2, (52, 40, 5, 10)), task(3, (0, 90, 5, 5), source="other.png")]
    owners, rows = Views(MeanEmbedder(), margins=(0.25,)).merged(tasks, [0, 2], loader)
    assert owners == [0]  # task 3 is alone in its picture
    assert rows.shape == (1, 10)
    assert rows[0, 3:5].tolist() == [10, 17]  # the union of the square and its neighbour


class SheetProject:
    """A project of crops from one black sheet with pairs of white squares 2 px apart."""

    def __init__(self):
        self.picture = np.zeros((60, 200, 3), np.uint8)
        boxes = []
        for x in (10, 60, 110):
            for dx in (0, 12):
                self.picture[20:30, x + dx:x + dx + 10] = 255
                boxes.append((x + dx, 20, 10, 10))
        boxes += [(160, 20, 10, 10), (170, 40, 10, 10), (110, 20, 22, 10)]  # two blanks, one merged pair
        self.task_list = [task(i + 1, b) for i, b in enumerate(boxes)]
        for i, label in enumerate(["symbol"] * 4 + [None] * 2 + ["garbage"] * 2):
            if label:
                self.task_list[i]["annotations"] = [{"result": [{"from_name": "label", "type": "choices",
                                                                 "value": {"choices": [label]}}]}]
        self.predictions = {}

    def class_names(self):
        return ["symbol", "garbage"]

    def tasks(self):
        return self.task_list

    def load_image(self, task):
        x, y, w, h = task["data"]["bbox"]
        return self.picture[y:y + h, x:x + w]

    def load_source(self, task):
        return self.picture

    def activate(self, version):
        pass

    def replace_predictions(self, predictions):
        self.predictions.update((p["task"], p["result"][0]["value"]["choices"][0]) for p in predictions)

    def show_suspects(self, task_ids):
        pass


@pytest.mark.parametrize("reject, merged_pair", [("garbage", "garbage"), ("nothing", "symbol")])
def test_training_learns_merged_neighbours_as_the_reject_class(tmp_path, reject, merged_pair):
    project = SheetProject()
    Trainer(lambda pid: project, Views(MeanEmbedder()), tmp_path, publisher=Publisher(pause=0), reject=reject).retrain(1)
    assert project.predictions[5] == project.predictions[6] == "symbol"  # unlabelled single squares
    assert project.predictions[9] == merged_pair
