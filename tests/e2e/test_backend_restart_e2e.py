"""The backend SIGKILLed in the middle of a retrain, against the real Label Studio: once
restarted on the same MODEL_DIR it serves the last good model, never an error, and retrains
by itself on every label, including those given while it was down."""
from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

from e2e_helpers import Backend, BackendLog, model_version, new_project, true_labels, wait_version
from studio.tasks import choice
from stack import services
from stack.local import connect_backend
from ml_backend.model_store import ModelStore, version_number

pytestmark = pytest.mark.e2e

BATCH = 8  # labels per batch: before the kill, during the killed retrain, while the backend is down


@pytest.fixture
def own_backend(stack, tmp_path):
    """A backend of this test's own (the session's is shared), on the session's Label Studio.

    Its DEBUG log shows its Label Studio reads, hence when a retrain has begun."""
    c = stack.credentials
    service = services.ml_backend(
        tmp_path / "models", services.free_port(), stack.ls_url, c.token, stack.document_root,
        {"BASIC_AUTH_USER": c.backend_user, "BASIC_AUTH_PASS": c.backend_password,
         "TRAIN_DEBOUNCE_SECONDS": "0.5", "LOG_LEVEL": "DEBUG"})
    with service:
        yield service


def _studio_call(pid: int, methods: str = "[A-Z]+") -> str:
    """A Label Studio call about the project in the DEBUG log: this backend makes none but when
    it retrains (the crops are local files)."""
    return rf'urllib3\.connectionpool: \S+ "(?:{methods}) /api/\S*(?:project=|projects/){pid}\b'


KILL_AT = {  # where in the retrain the backend dies
    "start": lambda pid: re.compile(rf"ml_backend\.trainer: project {pid}: training started|{_studio_call(pid)}"),
    "publish": lambda pid: re.compile(_studio_call(pid, "POST|PUT|PATCH|DELETE")),  # its first write
}


def _batches(truth: dict[int, str]) -> list[list[tuple[int, str]]]:
    """Three batches of (task id, label), each with both classes in equal numbers (at most BATCH)."""
    by_class = {label: [i for i in sorted(truth) if truth[i] == label] for label in ("symbol", "garbage")}
    half = min(BATCH // 2, *(len(ids) // 3 for ids in by_class.values()))
    assert half >= 1, f"the heap holds too few tasks of a class for three batches: {by_class}"
    return [[(i, label) for label, ids in by_class.items() for i in ids[k * half:(k + 1) * half]]
            for k in range(3)]


def _annotate(project, labels: list[tuple[int, str]]) -> None:
    for task_id, label in labels:
        project.annotate(task_id, choice(label))


def _kill(service: services.Service) -> None:
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait()


def _kill_mid_retrain(service, project, labels, at: re.Pattern) -> BackendLog:
    """Annotate in the background and SIGKILL the backend as soon as the retrain logs ``at``."""
    log = BackendLog(service)
    annotating = threading.Thread(target=_annotate, args=(project, labels))
    annotating.start()
    try:
        log.wait_for(at, timeout=120, poll=0.02)
        _kill(service)
    finally:
        annotating.join(300)
    return log


def _serve_until_retrained(backend: Backend, log: BackendLog, pid: int, tasks: list[dict],
                           timeout: float = 300.0) -> list[tuple[int, set[str]]]:
    """Call /predict until the backend has retrained and is idle: (status, versions) per call."""
    calls = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, results = backend.predict(pid, tasks)
        calls.append((status, {r["model_version"] for r in results}))
        if log.trainings(pid) and backend.health()["idle"]:
            return calls
        time.sleep(0.2)
    raise AssertionError(f"no retrain after the restart within {timeout} s")


@pytest.mark.parametrize("kill_at", sorted(KILL_AT))
def test_a_killed_backend_serves_its_last_good_model_and_retrains_on_every_label(
        stack, small_heap, own_backend, tmp_path, kill_at):
    project = new_project(stack, small_heap, f"e2e restart {kill_at}")
    c = stack.credentials
    backend = Backend(own_backend.health_url.removesuffix("/health"), (c.backend_user, c.backend_password))
    connect_backend(stack.studio(), project.id, backend.url, backend.auth)
    wait_version(project, lambda v: "-cold-" in v)
    before, during, down = batches = _batches(true_labels(project, small_heap))
    _annotate(project, before)
    backend.wait_idle()
    good = model_version(project)
    assert "-cold-" not in good, "a first model was trained"

    killed = _kill_mid_retrain(own_backend, project, during, KILL_AT[kill_at](project.id))
    assert killed.trainings(project.id) == [], "the kill came before the retrain finished"
    _annotate(project, down)  # Label Studio's webhooks to the dead backend fail; the labels stay
    latest = ModelStore(tmp_path / "models").load_latest(project.id).version
    assert latest == good or version_number(latest) == version_number(good) + 1  # killed after `latest`?

    restarted = BackendLog(own_backend)
    own_backend.start().wait_ready()
    calls = _serve_until_retrained(backend, restarted, project.id, project.tasks()[:5])
    (final,) = restarted.trainings(project.id)

    assert all(status == 200 for status, _ in calls), "/predict never failed after the restart"
    assert calls[0][1] == {latest}, "the last good model is served at once"
    assert set().union(*(versions for _, versions in calls)) <= {latest, final.version}
    assert version_number(final.version) > version_number(latest) and "-cold-" not in final.version
    assert final.labels == sum(map(len, batches)), "retrained on every label, those given while down included"
    assert model_version(project) == final.version and calls[-1][1] == {final.version}
    assert stack.credentials.token not in own_backend.log_tail(1_000_000), "not even DEBUG logs the token"
