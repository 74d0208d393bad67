"""The labelling config: what the screen is built from."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from studio.config import SAYS_NAME, class_names, label_config
from studio.tasks import result


def test_the_screen_shows_crop_context_path_choices_with_hotkeys_and_the_model_line():
    root = ET.fromstring(label_config(("keep", "junk", "unsure")))
    images = {i.get("name"): i.get("value") for i in root.iter("Image")}
    assert images == {"image": "$image", "context": "$context"}
    headers = [h.get("value") for h in root.iter("Header")]
    assert headers == ["$source_path"], "the path, never $source (the editor puts the task JSON there)"
    assert [(c.get("value"), c.get("hotkey")) for c in root.iter("Choice")] == [("keep", "1"), ("junk", "2"), ("unsure", "3")]
    (says,) = root.iter("TextArea")
    assert says.get("name") == SAYS_NAME and says.get("readonly") == "true"
    assert not list(root.iter("Text")), "no Text object tag"
    assert class_names(label_config(("keep", "junk"))) == ["keep", "junk"]


def test_a_prediction_result_names_its_class_and_score_and_nothing_without_a_class():
    choice, says = result("junk", 0.934)
    assert choice["value"]["choices"] == ["junk"] and says["value"]["text"] == ["model: junk, 93% sure"]
    assert result(None, 0.5) == []


@pytest.mark.parametrize("classes", [("only",), ("a", "a")])
def test_bad_class_lists_are_refused(classes):
    with pytest.raises(ValueError):
        label_config(classes)
