"""Label Studio shapes: the labelling config round trip, the Choices result, and the local-files path guard."""
from __future__ import annotations

import os

import pytest

from studio.config import DEFAULT_CLASSES, class_names, label_config
from studio.tasks import chosen, choice, local_file, local_url, prediction, task_label


def test_the_config_built_reads_back_its_classes_in_order():
    assert class_names(label_config()) == list(DEFAULT_CLASSES)
    assert class_names(label_config(("keep", "a & b", 'say "no"'))) == ["keep", "a & b", 'say "no"']


@pytest.mark.parametrize("classes", [("one",), ("same", "same")])
def test_a_config_needs_two_distinct_classes(classes):
    with pytest.raises(ValueError, match="two or more distinct"):
        label_config(classes)


def test_a_config_without_the_choices_control_is_refused():
    with pytest.raises(ValueError, match="Choices name='label'"):
        class_names('<View><Image name="image" value="$image"/>'
                    '<Choices name="other" toName="image"><Choice value="a"/><Choice value="b"/></Choices></View>')


def test_a_result_names_its_choice_and_predictions_wrap_it():
    assert chosen(choice("symbol")) == "symbol" and chosen([]) is None and chosen(None) is None
    assert prediction(3, "garbage", 0.9, "v1")["task"] == 3
    assert "task" not in prediction(None, None, 0.5, "v1") and prediction(None, None, 0.5, "v1")["result"] == []


def test_the_latest_non_skipped_annotation_is_the_label():
    task = {"annotations": [{"id": 1, "updated_at": "2026-01-01", "result": choice("symbol")},
                            {"id": 2, "updated_at": "2026-01-02", "result": choice("garbage")},
                            {"id": 3, "updated_at": "2026-01-03", "result": choice("symbol"), "was_cancelled": True}]}
    assert task_label(task) == "garbage"
    assert task_label({"annotations": []}) is None


def test_a_local_url_leads_back_to_its_file(tmp_path):
    crop = tmp_path / "heap" / "crops" / "ab" / "a b#c.png"
    crop.parent.mkdir(parents=True)
    crop.write_bytes(b"png")
    url = local_url(crop, tmp_path)
    assert url.startswith("/data/local-files/?d=heap/crops/ab/") and "#" not in url
    assert local_file(url, tmp_path) == crop.resolve()
    assert local_file("http://ls:8080" + url, tmp_path) == crop.resolve()


@pytest.mark.parametrize("relative", ["../secret.txt", "heap/../../secret.txt", "/etc/passwd"])
def test_a_path_escaping_the_document_root_is_refused(tmp_path, relative):
    root = tmp_path / "files"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("token")
    with pytest.raises(ValueError, match="escapes the document root"):
        local_file(f"/data/local-files/?d={relative}", root)


def test_a_symlink_out_of_the_document_root_is_refused(tmp_path):
    root = tmp_path / "files"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("token")
    os.symlink(tmp_path / "secret.txt", root / "link.png")
    with pytest.raises(ValueError, match="escapes"):
        local_file("/data/local-files/?d=link.png", root)


def test_other_urls_and_missing_files_are_not_local(tmp_path):
    assert local_file("/data/upload/1/x.png", tmp_path) is None
    assert local_file("/data/local-files/?d=missing.png", tmp_path) is None
    assert local_file("/data/local-files/?d=x.png", None) is None
