"""Where Label Studio is and which project to use: settings shared by the importer, the export and the backend."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings.fields import setting
from studio.config import DEFAULT_CLASSES


@dataclass(frozen=True)
class StudioSettings:
    """A Label Studio server (its own environment variable names)."""

    url: str = setting("http://127.0.0.1:8080", env="LABEL_STUDIO_URL", help="Label Studio address")
    api_key: str | None = setting(None, env="LABEL_STUDIO_API_KEY", secret=True,
                                  help="Label Studio's legacy API token; never printed, prefer the variable")
    document_root: Path | None = setting(None, env="LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT",
                                         help="Label Studio's local-files root: the crop store lies below it, "
                                              "and the backend reads crops from it instead of over HTTP")


@dataclass(frozen=True)
class ProjectSettings:
    """The project the crops go to."""

    project: str = setting("Heap curation", env="LABEL_STUDIO_PROJECT", help="project title, created if missing")
    classes: tuple[str, ...] = setting(DEFAULT_CLASSES, env="LABEL_CLASSES",
                                       help="comma-separated class names, the one to keep first")
