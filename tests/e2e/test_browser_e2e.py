"""What a person sees in Label Studio, in headless Chromium, against the real servers.

One browser and one project for the module; the tests run in order, each a step a curator
takes: label after a retrain, label with a hotkey, scan the uncertain tab, accept a page of
confident predictions with Label Studio's own bulk action. Screenshots of each screen go to
pytest's temporary folder and to ``test-artifacts/`` (gitignored).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from e2e_helpers import BackendLog, new_project, true_labels, wait_version
from ml_backend.model_store import version_number
from studio.project import REVIEW_VIEW, UNCERTAIN_VIEW
from studio.tasks import choice, task_label

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One logged-out Chromium for the module; its screenshots are copied to test-artifacts/."""
    from benchmarks.browser import Browser
    shots = tmp_path_factory.mktemp("screenshots")
    with Browser(shots) as opened:
        yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    for shot in shots.glob("*.png"):
        shutil.copy(shot, ARTIFACTS / shot.name)


@pytest.fixture(scope="module")
def trained(stack, small_heap, browser):
    """A project whose model was trained on 4 + 4 labels, with the browser logged in."""
    project = new_project(stack, small_heap, "e2e browser")
    stack.connect(project.id)
    cold = wait_version(project, lambda v: "-cold-" in v)
    truth = true_labels(project, small_heap)
    chosen = ([i for i, label in truth.items() if label == "symbol"][:4]
              + [i for i, label in truth.items() if label == "garbage"][:4])
    for task_id in chosen:
        project.annotate(task_id, choice(truth[task_id]))
    wait_version(project, lambda v: version_number(v) > version_number(cold) and "-cold-" not in v)
    browser.login(stack.ls_url, stack.credentials.username, stack.credentials.password)
    return project


def _view(project, title: str) -> int:
    return next(v.id for v in project.sdk.views.list(project=project.id) if (v.data or {}).get("title") == title)


def test_the_labelling_screen_shows_crop_context_path_and_the_selected_prediction(stack, trained, browser):
    from benchmarks.screens import LabellingScreen
    screen = LabellingScreen(browser, stack.ls_url, trained.id)
    task_id = screen.open(images=2)  # the crop and its context, both loaded (natural width > 0)
    browser.screenshot("1-labelling-screen")
    task = trained.sdk.tasks.get(id=task_id)
    text = screen.text()
    assert task.data["source"] in text, "the crop's source path is on the screen"
    assert '"predictions"' not in text and '{"id"' not in text and task.data["sha256"] not in text, "no task JSON"
    (predicted,) = screen.checked()
    assert predicted in ("symbol", "garbage"), "the retrained model's pre-annotation comes selected"
    assert f"model: {predicted}, " in text and "% sure" in text, "its score is shown beside it"
    assert "symbol[1]" in text.replace(" ", "") and "garbage[2]" in text.replace(" ", ""), "choices show hotkeys"


def test_hotkey_1_and_submit_label_the_task_and_bring_the_next(stack, trained, browser):
    from benchmarks.screens import LabellingScreen
    screen = LabellingScreen(browser, stack.ls_url, trained.id)
    task_id = screen.open(images=2)
    screen.press("2")  # a choice's hotkey toggles it: after 2, whatever was preselected, 1 picks symbol
    browser.wait(lambda: screen.checked() != ["symbol"], "hotkey 2 to move off symbol")
    screen.press("1")
    browser.wait(lambda: screen.checked() == ["symbol"], "hotkey 1 to pick symbol")
    screen.submit()  # waits for another task and its images
    browser.screenshot("2-next-task")
    exported = {t["id"]: t for t in trained.tasks()}
    assert task_label(exported[task_id]) == "symbol", "the submitted label reached Label Studio"


def test_the_uncertain_tab_shows_thumbnails_on_screen(stack, trained, browser):
    from benchmarks.screens import DataManager
    manager = DataManager(browser, stack.ls_url, trained.id)
    manager.open_tab(_view(trained, UNCERTAIN_VIEW), at_least=5)
    browser.screenshot("3-most-uncertain-first")
    width = browser.js("return window.innerWidth")
    shown = manager.thumbnails()
    assert len(shown) >= 5 and all(t["width"] > 0 and t["right"] <= width for t in shown), \
        "the crops' thumbnails are loaded and within a 1440-px window"


def test_bulk_accepting_confident_predictions_labels_them_and_retrains(stack, trained, browser):
    from benchmarks.screens import DataManager
    manager = DataManager(browser, stack.ls_url, trained.id)
    labelled = {t["id"] for t in trained.tasks() if t["annotations"]}
    review = max((REVIEW_VIEW.format(name) for name in trained.class_names()),
                 key=lambda title: len(trained.studio.tasks(trained.id, _view_filters(trained, title))))
    assert manager.open_tab(_view(trained, review), at_least=3), "the review grid shows thumbnails"
    browser.screenshot("4-review-grid")
    log = BackendLog(stack.backend)
    manager.select(3)
    browser.screenshot("5-review-selected")
    manager.run_action("Create Annotations From Predictions")
    name = review.removeprefix(REVIEW_VIEW.format(""))

    def created():
        tasks = [t for t in trained.tasks() if t["annotations"] and t["id"] not in labelled]
        return tasks if len(tasks) >= 3 else None
    accepted = browser.wait(created, "the bulk action's annotations")
    assert all(task_label(t) == name for t in accepted), "each accepted prediction became its annotation"
    trained_on = browser.wait(lambda: [t for t in log.trainings(trained.id) if t.labels >= len(labelled) + 3],
                              "a retrain on the accepted labels", timeout=300)
    assert trained_on, "ANNOTATIONS_CREATED reached the backend, which retrained on them"


def _view_filters(project, title: str) -> list[dict]:
    view = next(v for v in project.sdk.views.list(project=project.id) if (v.data or {}).get("title") == title)
    return view.data["filters"]["items"]
