"""Options of heaps larger than one project: the task budget of a wave and the never-pushed crops to export."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settings.fields import setting
from storage.layout import DEFAULT_MODEL_DIR


@dataclass(frozen=True)
class ModelDirSettings:
    """The backend's model folder, read by the importer's waves and the export."""

    model_dir: Path = setting(DEFAULT_MODEL_DIR, env="MODEL_DIR",
                              help="the ML backend's MODEL_DIR, whose latest model and feature cache "
                                   "rank (push) and label (export --crops) crops never pushed")


@dataclass(frozen=True)
class WaveSettings:
    """``push --max-tasks``: a wave of the crops that need a person most (docs/SCALE.md)."""

    max_tasks: int | None = setting(None, env="MAX_TASKS",
                                    help="push at most this many new tasks, those that need a person most: a "
                                         "diverse sample before the first model, then the crops the latest "
                                         "model is least sure of; a re-run pushes the next wave (default: every crop)")
    models: ModelDirSettings = field(default_factory=ModelDirSettings)


@dataclass(frozen=True)
class UnpushedSettings:
    """``export --crops``: the crops of splits that never became tasks, labelled by the model."""

    crops: tuple[str, ...] | None = setting(None, env="EXPORT_CROPS",
                                     help="comma-separated split output folders: their crops that were never pushed "
                                          "join the set too, labelled by the latest model in --model-dir when at "
                                          "least --min-confidence")
    models: ModelDirSettings = field(default_factory=ModelDirSettings)
