"""The backend's settings, with label-studio-ml's environment variable names (``python -m ml_backend`` and gunicorn read them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cluster.ray_engine import DEFAULT_ENGINE, all_cores
from imaging.decode import DEFAULT_MAX_PIXELS
from settings.fields import setting
from storage.layout import DEFAULT_MODEL_DIR
from studio.settings import StudioSettings

# A reject kept in the curated set costs this many keepers left out of it: the bar a curated
# set is held to (precision 0.98, recall 0.95) allows 2 % rejects among the kept for 5 % of
# keepers lost. It makes the model sure of a keeper only where that bar would be.
REJECT_COST = 2.5


@dataclass(frozen=True)
class BackendSettings:
    """How the backend serves, where it keeps models, and how it trains."""

    studio: StudioSettings = field(default_factory=StudioSettings)
    host: str = setting("0.0.0.0", env="HOST", help="bind address")
    port: int = setting(9090, env="PORT", help="port")
    model_dir: Path = setting(DEFAULT_MODEL_DIR, env="MODEL_DIR", help="models, 'latest' pointers and the feature cache")
    basic_auth_user: str | None = setting(None, env="BASIC_AUTH_USER",
                                          help="require HTTP basic auth except on / and /health")
    basic_auth_pass: str | None = setting(None, env="BASIC_AUTH_PASS", secret=True, help="basic auth password")
    debounce: float = setting(1.5, env="TRAIN_DEBOUNCE_SECONDS", help="seconds without new annotations before retraining")
    train_nice: int = setting(10, env="TRAIN_NICE",
                              help="niceness the training thread adds to the server's (0-19): higher leaves the "
                                   "cores to Label Studio's answers to people while a retrain runs")
    reject_cost: float = setting(REJECT_COST, env="REJECT_COST",
                                 help="how many lost keepers one kept reject is worth; 2.5 suits a bar of precision "
                                      "0.98 and recall 0.95, i.e. (1 - recall) / (1 - precision)")
    max_pixels: int = setting(DEFAULT_MAX_PIXELS, env="MAX_IMAGE_PIXELS",
                              help="images with more pixels are refused before decoding")
    log_level: str = setting("INFO", env="LOG_LEVEL", help="logging level")


@dataclass(frozen=True)
class EmbedSettings:
    """Where the split's crops and the backend's cache are, and what embeds them."""

    model_dir: Path = setting(DEFAULT_MODEL_DIR, env="MODEL_DIR", help="the backend's MODEL_DIR: the cache is MODEL_DIR/features")
    document_root: Path | None = setting(None, env="LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT",
                                         help="Label Studio's local-files root, as for push (required)")
    engine: str = setting(DEFAULT_ENGINE, env="EMBED_ENGINE", help="local: this process, all cores; ray: a pool of Ray "
                                                            "actors on the cluster at RAY_ADDRESS or on a local Ray")
    workers: int = setting(default_factory=all_cores, env="WORKERS",
                           help="Ray actors, each with one CPU or a share of the GPUs")
