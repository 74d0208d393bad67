"""Flask layer speaking label-studio-ml's protocol: /health, /setup, /predict, /webhook, /train.

The model lives in memory (the trainer's), never rebuilt per call; training runs in the
background, so /webhook answers within Label Studio's 1 s webhook timeout.
"""

from __future__ import annotations

import hmac
from typing import Callable

from flask import Flask, Response, jsonify, request

from ml_backend.features import Embedder
from ml_backend.predictor import NO_MODEL_VERSION, Predictor
from settings.fields import from_env
from studio.project import connector, project_id
from ml_backend.settings import BackendSettings
from ml_backend.scheduler import Scheduler
from ml_backend.trainer import Trainer
from ml_backend.views import Views


# Label changes retrain; new tasks too, so that they are scored (and their features cached)
# in the background before anyone opens them.
TRAIN_ACTIONS = {"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED",
                 "ANNOTATIONS_DELETED", "ANNOTATIONS_CREATED", "START_TRAINING", "TASKS_CREATED"}
MODEL_CLASS = "CropClassifier(EfficientNet-Lite0 features of crop and context)"


def create_app(config: BackendSettings, trainer: Trainer | None = None, embedder: Embedder | None = None,
               connect: Callable | None = None) -> Flask:
    """The WSGI app; ``trainer``, ``embedder`` and ``connect`` are built from ``config`` unless given."""
    connect = connect or connector(config.studio.url, config.studio.api_key, config.studio.document_root,
                                   config.max_pixels)
    views = Views(embedder or Embedder(config.model_dir / "features"))
    if trainer is None:
        scheduler = Scheduler(debounce=config.debounce, nice=config.train_nice)
        trainer = Trainer(connect, views, config.model_dir, scheduler, reject_cost=config.reject_cost)
        trainer.resume()
    predictor = Predictor(trainer, views, connect)
    app = Flask(__name__)
    app.config["trainer"] = trainer

    @app.before_request
    def _authenticate():
        if not config.basic_auth_user or request.path in ("/", "/health"):
            return None
        auth = request.authorization
        if auth and hmac.compare_digest(auth.username or "", config.basic_auth_user) \
                and hmac.compare_digest(auth.password or "", config.basic_auth_pass or ""):
            return None
        return Response("authentication required", 401, {"WWW-Authenticate": 'Basic realm="ml-backend"'})

    @app.get("/")
    @app.get("/health")
    def health():
        """Liveness plus the trainer's state: trainings finished and failed so far, and whether none is due or running."""
        return jsonify(status="UP", model_class=MODEL_CLASS, trainings=trainer.trainings, failed=trainer.failed,
                       idle=trainer.wait_idle(0))

    @app.post("/setup")
    def setup():
        pid = project_id((request.get_json(force=True) or {}).get("project"))
        trainer.bootstrap(pid)
        served = trainer.served(pid)
        return jsonify(model_version=served.version if served else NO_MODEL_VERSION)

    @app.post("/predict")
    def predict():
        payload = request.get_json(force=True) or {}
        tasks = payload.get("tasks") or []
        if not tasks:
            return jsonify(results=[])
        pid = project_id(payload.get("project") or tasks[0].get("project"))
        trainer.bootstrap(pid)
        return jsonify(results=predictor.predict(pid, tasks))

    @app.post("/webhook")
    def webhook():
        payload = request.get_json(force=True, silent=True) or {}
        action = payload.get("action")
        project = payload.get("project") or {}
        if action in TRAIN_ACTIONS and isinstance(project, dict) and "id" in project:
            trainer.request(project_id(project["id"]))
        return jsonify(status="ok"), 201

    @app.post("/train")
    def train():
        payload = request.get_json(force=True, silent=True) or {}
        trainer.request(project_id(payload.get("project")))
        return jsonify(status="ok"), 201

    return app


def __getattr__(name: str):
    """``app`` for ``gunicorn ml_backend.server:app``, built from the environment on first use."""
    if name == "app":
        globals()["app"] = create_app(from_env(BackendSettings))
        return globals()["app"]
    raise AttributeError(name)
