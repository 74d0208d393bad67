"""The active-learning loop against the real Label Studio and the real ML backend."""
from __future__ import annotations

import pytest

from e2e_helpers import new_project, true_labels, wait_version
from studio.tasks import choice
from studio.project import LabelStudioProject
from ml_backend.model_store import version_number

pytestmark = pytest.mark.e2e


def _current_scores(project: LabelStudioProject, version: str) -> dict[int, float]:
    """Unlabelled task id -> score of its prediction of ``version`` (missing ones absent)."""
    scores = {}
    for task in project.tasks(with_predictions=True):
        if task.get("annotations"):
            continue
        for p in task.get("predictions") or []:
            if p.get("model_version") == version:
                scores[task["id"]] = p["score"]
    return scores


def test_labels_retrain_the_model_and_uncertain_tasks_come_first(any_stack, small_heap):
    project = new_project(any_stack, small_heap, "e2e loop")
    pid = project.id
    any_stack.connect(pid)

    cold = wait_version(project, lambda v: "-cold-" in v)
    tasks = project.tasks()
    assert len(_current_scores(project, cold)) == len(tasks), "cold start scores every task"

    truth = true_labels(project, small_heap)
    chosen = ([i for i, label in truth.items() if label == "symbol"][:4]
              + [i for i, label in truth.items() if label == "garbage"][:4])
    assert len(chosen) == 8, "the small heap has both classes"
    for task_id in chosen:
        project.sdk.annotations.create(id=task_id, result=choice(truth[task_id]))

    trained = wait_version(project, lambda v: version_number(v) > version_number(cold) and "-cold-" not in v)
    scores = _current_scores(project, trained)
    assert set(scores) == set(truth) - set(chosen), "every unlabelled task carries the new version"

    response = project.http.get(f"{any_stack.ls_url}/api/projects/{pid}/next", timeout=30)
    assert response.status_code == 200
    served = response.json()["id"]
    lowest = sorted(scores.values())[:max(3, len(scores) // 20)]
    assert scores[served] <= lowest[-1], "Label Studio serves one of the most uncertain tasks"
    assert any_stack.credentials.token not in any_stack.backend.log_tail(100_000), "the token is never logged"
