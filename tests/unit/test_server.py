"""The flask layer and the background trainer, with an in-memory stand-in for the trainer's
project interface (no HTTP fake of Label Studio: the real-server tests live elsewhere)."""
import base64
import hashlib
import os
import threading
import time

import numpy as np
import pytest

from ml_backend.server import create_app
from ml_backend.settings import BackendSettings
from settings.fields import from_env
from ml_backend.model import CropClassifier
from ml_backend.model_store import ModelStore
from ml_backend.publisher import Publisher
from ml_backend.scheduler import Scheduler
from ml_backend.trainer import Trainer
from ml_backend.views import Views

CLASSES = ["symbol", "garbage"]


class MemoryProject:
    """The trainer's project interface over a list of tasks; records what was published."""

    def __init__(self, n=60, labelled=0, delay=0.0, seed=0):
        rng = np.random.default_rng(seed)
        self.truth = np.where(np.arange(n) % 3 == 0, "garbage", "symbol")
        centres = {"symbol": np.full(8, 3.0), "garbage": np.full(8, -3.0)}
        self.task_list = [{"id": i + 1, "data": {"image": f"/data/local-files/?d=crops/{i}.png",
                                                 "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                                                 "vec": (centres[c] + rng.normal(size=8)).tolist()},
                           "annotations": []} for i, c in enumerate(self.truth)]
        for i in range(labelled):
            self.label(i, self.truth[i])
        self.delay = delay
        self.fail = False
        self.fetches = 0
        self.active = 0
        self.most_active = 0
        self.predictions: list[dict] = []  # the last import
        self.stored: list[dict] = []  # every prediction Label Studio would hold
        self.writes: list[list[dict]] = []  # each replace_predictions call
        self.writes_when_activated = None
        self.version = None
        self.suspects: list[int] = []
        self.lock = threading.Lock()

    def label(self, index, cls):
        self.task_list[index]["annotations"] = [{"id": index + 1, "was_cancelled": False, "result": [
            {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [cls]}}]}]

    def class_names(self):
        return CLASSES

    def tasks(self):
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            self.fetches += 1
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        return [dict(t) for t in self.task_list]

    def load_image(self, task):
        return np.array(task["data"]["vec"], np.float32)

    def load_source(self, task):
        return None

    def activate(self, version):
        self.version = version
        self.writes_when_activated = len(self.writes)

    def replace_predictions(self, predictions):
        if self.fail:
            raise RuntimeError("Label Studio is down")
        tasks = {p["task"] for p in predictions}
        self.stored = [p for p in self.stored if p["task"] not in tasks] + predictions
        self.predictions = self.stored
        self.writes.append(predictions)

    def show_suspects(self, task_ids):
        self.suspects = list(task_ids)


class VectorEmbedder:
    """Features are the vectors the project's load_image returns."""

    def features(self, keys, load):
        return np.stack([load(i) for i in range(len(keys))])


def make(tmp_path, project, debounce=0.05, max_wait=2.0, **config):
    trainer = Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path,
                      Scheduler(debounce=debounce, max_wait=max_wait))
    app = create_app(BackendSettings(model_dir=tmp_path, **config), trainer=trainer, embedder=VectorEmbedder(),
                     connect=lambda pid: project)
    return app.test_client(), trainer


def webhook(client, action="ANNOTATION_CREATED", pid=1, **kw):
    return client.post("/webhook", json={"action": action, "project": {"id": pid}}, **kw)


def train_times(client, trainer, n):
    """n webhooks, each waited for: n trainings one after the other."""
    for _ in range(n):
        webhook(client)
        assert trainer.wait_idle(60)


def test_health_and_root(tmp_path):
    client, _ = make(tmp_path, MemoryProject())
    for path in ("/", "/health"):
        body = client.get(path).get_json()
        assert body["status"] == "UP" and "model_class" in body
        assert body["trainings"] == 0 and body["idle"] is True


def test_cold_start_scores_a_diverse_sample_first(tmp_path):
    project = MemoryProject()
    client, trainer = make(tmp_path, project)
    assert client.post("/setup", json={"project": "1.1700000000"}).get_json()["model_version"] == "v0-none"
    assert trainer.wait_idle(60)  # /setup started the cold-start scoring
    version = client.post("/setup", json={"project": "1.1700000000"}).get_json()["model_version"]
    assert version.startswith("v1-cold-") and project.version == version
    first = sorted(project.predictions, key=lambda p: p["score"])[:4]
    assert {project.truth[p["task"] - 1] for p in first} == set(CLASSES)
    results = client.post("/predict", json={"tasks": project.task_list[:3], "project": "1.17"}).get_json()["results"]
    assert [r["result"] for r in results] == [[], [], []] and results[0]["model_version"] == version


def test_predict_after_training(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    webhook(client)
    assert trainer.wait_idle(60)
    tasks = project.task_list[20:30]
    results = client.post("/predict", json={"tasks": tasks, "project": "1.1700000000",
                                            "label_config": "", "params": {}}).get_json()["results"]
    assert len(results) == len(tasks)
    version = trainer.served(1).version
    for task, result in zip(tasks, results):
        region, says = result["result"]
        assert (region["from_name"], region["to_name"], region["type"]) == ("label", "image", "choices")
        assert says["from_name"] == "model" and says["value"]["text"][0].startswith(f"model: {project.truth[task['id'] - 1]}, ")
        assert region["value"]["choices"] == [project.truth[task["id"] - 1]]
        assert 0.5 <= result["score"] <= 1.0 and result["model_version"] == version
    assert version.startswith("v1-") and project.version == version
    assert len(project.predictions) == len(project.task_list)  # every task re-scored


def test_likely_label_mistakes_are_published(tmp_path):
    project = MemoryProject(labelled=30)
    project.label(4, "garbage")  # truth: symbol
    client, trainer = make(tmp_path, project)
    webhook(client)
    assert trainer.wait_idle(60)
    assert project.suspects == [5]


def test_basic_auth(tmp_path):
    client, _ = make(tmp_path, MemoryProject(), basic_auth_user="ls", basic_auth_pass="secret")
    assert client.post("/setup", json={"project": 1}).status_code == 401
    wrong = {"Authorization": "Basic " + base64.b64encode(b"ls:nope").decode()}
    assert client.post("/setup", json={"project": 1}, headers=wrong).status_code == 401
    good = {"Authorization": "Basic " + base64.b64encode(b"ls:secret").decode()}
    assert client.post("/setup", json={"project": 1}, headers=good).status_code == 200
    assert client.get("/health").status_code == 200


def test_webhook_answers_while_a_slow_training_runs(tmp_path):
    project = MemoryProject(labelled=12, delay=1.0)
    client, trainer = make(tmp_path, project, debounce=0.0)
    webhook(client)
    time.sleep(0.2)  # the training is now inside the slow fetch
    assert client.get("/health").get_json()["idle"] is False
    start = time.perf_counter()
    response = webhook(client)
    assert response.status_code == 201 and time.perf_counter() - start < 0.5  # not the 1 s training
    assert trainer.wait_idle(60)
    assert trainer.trainings == 2  # the request during training caused one more
    health = client.get("/health").get_json()
    assert (health["trainings"], health["idle"]) == (2, True)


def test_burst_of_webhooks_trains_once(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project, debounce=0.3)
    for _ in range(20):
        assert webhook(client).status_code == 201
    assert trainer.wait_idle(60)
    assert trainer.trainings == 1 and project.fetches == 1


def test_steady_stream_still_trains_within_max_wait(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project, debounce=0.3, max_wait=0.5)
    end = time.monotonic() + 1.5
    while time.monotonic() < end:  # never quiet for the debounce period
        webhook(client)
        time.sleep(0.05)
    assert trainer.trainings >= 1


def test_new_tasks_are_scored_in_the_background(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    assert webhook(client, action="TASKS_CREATED").status_code == 201
    assert trainer.wait_idle(60) and trainer.trainings == 1
    assert len(project.stored) == len(project.task_list)


def test_ignored_actions_do_not_train(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    assert webhook(client, action="PROJECT_UPDATED").status_code == 201
    assert trainer.wait_idle(1) and trainer.trainings == 0


def test_one_training_at_a_time(tmp_path):
    project = MemoryProject(labelled=12, delay=0.3)
    client, trainer = make(tmp_path, project, debounce=0.0)
    for pid in (1, 2, 3):
        webhook(client, pid=pid)
    assert trainer.wait_idle(60)
    assert trainer.trainings == 3 and project.most_active == 1


def test_each_task_keeps_one_prediction_of_the_current_version(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    train_times(client, trainer, 3)
    assert sorted(p["task"] for p in project.stored) == [t["id"] for t in project.task_list]
    assert {p["model_version"] for p in project.stored} == {trainer.served(1).version}


def test_predictions_are_written_most_uncertain_first_and_served_after_the_first_chunk(tmp_path):
    project = MemoryProject(labelled=12)
    Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path, publisher=Publisher(chunk=10)).retrain(1)
    written = [p for chunk in project.writes for p in chunk]
    labelled = [p["task"] <= 12 for p in written]
    assert len(project.writes) == 6 and project.writes_when_activated == 1
    assert labelled == sorted(labelled)  # unlabelled tasks first
    scores = [p["score"] for p in written if p["task"] > 12]
    assert scores == sorted(scores) and scores[0] < scores[-1]  # lowest confidence first


def test_a_waiting_retrain_skips_only_predictions_that_did_not_change(tmp_path):
    project = MemoryProject(labelled=12)
    trainer = Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path, Scheduler(debounce=60), Publisher(chunk=10))
    first = trainer.retrain(1)
    trainer.request(1)  # due only in a minute: the next pass sees it waiting
    before = len(project.writes)
    flipped = max((p for p in project.stored if p["task"] > 12), key=lambda p: p["score"])  # a sure one
    trainer.publisher.held[1][flipped["task"]] = ("other", flipped["score"])  # as if Label Studio held another class
    second = trainer.retrain(1)  # same labels: same model, same scores
    rewritten = {p["task"] for chunk in project.writes[before:] for p in chunk}
    assert len(rewritten) == 11 and flipped["task"] in rewritten  # the uncertain chunk + the change
    assert project.version == second.version != first.version


def test_failed_training_keeps_the_previous_model(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    train_times(client, trainer, 1)
    before = trainer.served(1).version
    project.fail = True
    project.label(40, "symbol")
    webhook(client)
    assert trainer.wait_idle(60) and (trainer.trainings, trainer.failed) == (1, 1)
    assert trainer.served(1).version == before and project.version == before
    assert client.get("/health").get_json()["failed"] == 1
    results = client.post("/predict", json={"tasks": project.task_list[:2], "project": 1}).get_json()["results"]
    assert results[0]["model_version"] == before
    project.fail = False
    webhook(client)
    assert trainer.wait_idle(60) and trainer.served(1).version.startswith("v2-")


def test_a_failed_training_is_tried_again_by_itself(tmp_path):
    project = MemoryProject(labelled=12)
    project.fail = True
    trainer = Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path, Scheduler(debounce=0.0, retry_delay=0.3))
    trainer.request(1)
    deadline = time.monotonic() + 60
    while trainer.failed < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert trainer.served(1) is None and trainer.trainings == 0
    project.fail = False  # Label Studio is back; no new webhook comes
    while trainer.served(1) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert trainer.served(1).version.startswith("v1-") and trainer.trainings == 1 and trainer.failed >= 1


def test_restart_loads_the_latest_saved_model(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    train_times(client, trainer, 2)
    version = trainer.served(1).version
    folder = tmp_path / "project-1"
    assert sorted(p.suffix for p in folder.iterdir()) == ["", ".npz", ".npz"]  # no temp files
    restarted, fresh = make(tmp_path, project)
    assert restarted.post("/setup", json={"project": "1.1"}).get_json()["model_version"] == version
    assert fresh.wait_idle(1) and fresh.trainings == 0  # a saved model needs no retraining


@pytest.mark.parametrize("payload", [{"tasks": []}, {"tasks": [], "project": "2.5"}])
def test_predict_without_tasks(tmp_path, payload):
    client, _ = make(tmp_path, MemoryProject())
    assert client.post("/predict", json=payload).get_json() == {"results": []}


def test_a_restarted_backend_serves_the_last_model_and_retrains_on_every_label(tmp_path):
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    train_times(client, trainer, 1)
    saved = trainer.served(1).version
    for i in range(12, 20):  # labels given while the backend was down
        project.label(i, project.truth[i])
    restarted = Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path, Scheduler(debounce=0.05, max_wait=2.0))
    assert restarted.served(1).version == saved
    restarted.resume()
    assert restarted.wait_idle(60) and restarted.trainings == 1
    assert restarted.served(1).version != saved


def test_a_model_saved_on_other_features_is_not_served_until_the_retrain(tmp_path):
    project = MemoryProject(labelled=12)
    x = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    old = CropClassifier().fit(x, np.where(np.arange(20) % 2, "symbol", "garbage"))
    store = ModelStore(tmp_path)
    store.save(1, "v3-old", old)
    store.mark_latest(1, "v3-old")
    client, trainer = make(tmp_path, project)
    task = project.task_list[0]
    answer = client.post("/predict", json={"tasks": [task], "project": "1.1"}).get_json()
    assert answer["results"][0]["result"] == [] and answer["results"][0]["model_version"] == "v3-old"
    trainer.resume()
    assert trainer.wait_idle(60)
    answer = client.post("/predict", json={"tasks": [task], "project": "1.1"}).get_json()
    assert answer["results"][0]["result"][0]["value"]["choices"] == [project.truth[0]]


@pytest.mark.parametrize("cost", [1.0, 4.0])
def test_the_served_and_saved_model_weighs_rejects_by_the_reject_cost(tmp_path, cost):
    project = MemoryProject(labelled=12)
    served = Trainer(lambda pid: project, Views(VectorEmbedder()), tmp_path, reject_cost=cost).retrain(1)
    assert served.model.costs == {"garbage": cost}
    assert ModelStore(tmp_path).load_latest(1).model.costs == {"garbage": cost}


def test_the_reject_cost_comes_from_the_environment(tmp_path):
    config = from_env(BackendSettings, {"REJECT_COST": "4", "MODEL_DIR": str(tmp_path)})
    app = create_app(config, embedder=VectorEmbedder(), connect=lambda pid: MemoryProject())
    assert config.reject_cost == 4.0 and app.config["trainer"].reject_cost == 4.0


def test_a_reject_cost_below_zero_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="reject_cost"):
        Trainer(lambda pid: None, None, tmp_path, reject_cost=-1.0)


def test_bulk_annotations_from_predictions_retrain(tmp_path):
    """Label Studio's "Create Annotations From Predictions" action sends ANNOTATIONS_CREATED
    (plural) with lists of annotations and tasks; it must retrain like a single label."""
    project = MemoryProject(labelled=12)
    client, trainer = make(tmp_path, project)
    payload = {"action": "ANNOTATIONS_CREATED", "project": {"id": 1, "title": "heap"},
               "annotation": [{"id": 7, "task": 3, "result": []}, {"id": 8, "task": 4, "result": []}],
               "task": [{"id": 3, "data": {}}, {"id": 4, "data": {}}]}
    assert client.post("/webhook", json=payload).status_code == 201
    assert trainer.wait_idle(120)
    assert trainer.trainings == 1 and project.fetches == 1


def test_the_training_thread_runs_nicer_than_the_server():
    seen = {}
    scheduler = Scheduler(debounce=0.0, nice=3)
    scheduler.job = lambda pid: seen.setdefault("nice", os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    server = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    scheduler.request(1)
    assert scheduler.wait_idle(10)
    assert seen["nice"] == min(19, server + 3), "the job ran 3 steps nicer"
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == server, "the calling thread is untouched"


@pytest.mark.parametrize("nice", [-1, 20])
def test_a_niceness_out_of_range_is_refused_at_start(nice):
    with pytest.raises(ValueError, match="nice must be 0-19"):
        Scheduler(nice=nice)
