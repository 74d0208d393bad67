"""Where the local stack keeps its state and which ports it serves on."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings.fields import setting


@dataclass(frozen=True)
class StackSettings:
    """``python -m importer up``'s servers."""

    state: Path = setting(Path("var"), env="HEAP_CURATOR_STATE",
                          help="folder for Label Studio's data, crops, models and credentials")
    port: int = setting(8080, env="LABEL_STUDIO_PORT", help="Label Studio's port on 127.0.0.1")
    backend_port: int = setting(9090, env="PORT", help="the ML backend's port on 127.0.0.1")
