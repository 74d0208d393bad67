"""Flask layer speaking label-studio-ml's protocol: /health, /setup, /predict, /webhook, /train.

The model lives in memory (the trainer's), never rebuilt per call; training runs in the
background, so /webhook answers within Label Studio's 1 s webhook timeout.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from flask import Flask, Response, jsonify, request

from ml_backend.features import Embedder
from ml_backend.project import connector, project_id, result
from ml_backend.trainer import REJECT_COST, Trainer
from ml_backend.views import Views


# Label changes retrain; new tasks too, so that they are scored (and their features cached)
# in the background before anyone opens them.
TRAIN_ACTIONS = {"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED",
                 "ANNOTATIONS_DELETED", "ANNOTATIONS_CREATED", "START_TRAINING", "TASKS_CREATED"}
MODEL_CLASS = "CropClassifier(EfficientNet-Lite0 features of crop and context)"
NO_MODEL_VERSION = "v0-none"


@dataclass
class Config:
    """Server settings; ``from_env`` reads label-studio-ml's environment variable names."""

    label_studio_url: str = "http://localhost:8080"
    api_key: str = ""
    model_dir: Path = Path("models")
    document_root: Path | None = None
    basic_auth_user: str | None = None
    basic_auth_pass: str | None = None
    debounce: float = 1.5
    reject_cost: float = REJECT_COST

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Config":
        root = env.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")
        return cls(label_studio_url=env.get("LABEL_STUDIO_URL", cls.label_studio_url),
                   api_key=env.get("LABEL_STUDIO_API_KEY", ""),
                   model_dir=Path(env.get("MODEL_DIR", "models")),
                   document_root=Path(root) if root else None,
                   basic_auth_user=env.get("BASIC_AUTH_USER") or None,
                   basic_auth_pass=env.get("BASIC_AUTH_PASS") or None,
                   debounce=float(env.get("TRAIN_DEBOUNCE_SECONDS", cls.debounce)),
                   reject_cost=float(env.get("REJECT_COST", cls.reject_cost)))


def create_app(config: Config, trainer: Trainer | None = None, embedder: Embedder | None = None,
               connect: Callable | None = None) -> Flask:
    """The WSGI app; ``trainer``, ``embedder`` and ``connect`` are built from ``config`` unless given."""
    connect = connect or connector(config.label_studio_url, config.api_key, config.document_root)
    views = Views(embedder or Embedder(config.model_dir / "features"))
    if trainer is None:
        trainer = Trainer(connect, views, config.model_dir, debounce=config.debounce,
                          reject_cost=config.reject_cost)
        trainer.resume()
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
        """Liveness plus the trainer's state: trainings finished so far, and whether none is due or running."""
        return jsonify(status="UP", model_class=MODEL_CLASS, trainings=trainer.trainings,
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
        return jsonify(results=_predict(pid, tasks))

    def _predict(pid: int, tasks: list[dict]) -> list[dict]:
        served = trainer.served(pid)
        features = views.features(tasks, connect(pid)) if served and served.model else None
        # A model saved by a version of the backend with other features cannot score these
        # ones: it answers as before any model until the retrain that resume() requested.
        if features is None or features.shape[1] != served.model.n_features_in_:
            version = served.version if served else NO_MODEL_VERSION
            cold = served.cold_scores if served else {}
            return [{"result": [], "score": float(cold.get(t.get("id"), 1.0)), "model_version": version}
                    for t in tasks]
        proba = served.model.predict_proba(features)
        best = proba.argmax(axis=1)
        return [{"result": result(str(served.model.classes_[b]), p[b]), "score": float(p[b]),
                 "model_version": served.version}
                for b, p in zip(best, np.asarray(proba))]

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
        globals()["app"] = create_app(Config.from_env())
        return globals()["app"]
    raise AttributeError(name)
