"""The model store: each project's versioned models on disk and the ``latest`` pointer a restart serves."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ml_backend.model import CropClassifier
from storage.files import write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """The model a project is served with; ``model`` None means cold-start scores only."""

    version: str
    model: CropClassifier | None = None
    cold_scores: dict[int, float] = field(default_factory=dict)


class ModelStore:
    """Models under ``root/project-<id>/<version>.npz`` plus an atomically replaced ``latest``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _folder(self, pid: int) -> Path:
        return self.root / f"project-{pid}"

    def save(self, pid: int, version: str, model: CropClassifier) -> None:
        """Write the model file (``mark_latest`` makes it the one loaded after a restart)."""
        model.save(self._folder(pid) / f"{version}.npz")

    def mark_latest(self, pid: int, version: str) -> None:
        """Point ``latest`` at ``version`` (atomically)."""
        write_text(self._folder(pid) / "latest", version + "\n")

    def projects(self) -> list[int]:
        """Ids of the projects that have a latest good model."""
        return sorted(int(p.parent.name.split("-", 1)[1]) for p in self.root.glob("project-*/latest"))

    def load_latest(self, pid: int) -> Served | None:
        """The model ``latest`` names or, should that file be missing or unreadable (a power
        loss, a hand), the newest readable older one; None when the project has no ``latest``."""
        folder = self._folder(pid)
        pointer = folder / "latest"
        if not pointer.exists():
            return None
        named = pointer.read_text().strip()
        older = sorted((p.stem for p in folder.glob("v*.npz")
                        if version_number(p.stem) < version_number(named)), key=version_number, reverse=True)
        for version in [named, *older]:
            try:
                return Served(version, CropClassifier.load(folder / f"{version}.npz"))
            except Exception as error:
                log.warning("project %s: model %s cannot be loaded (%s)", pid, version, error)
        return None


def version_number(version: str | None) -> int:
    """The n of a ``v<n>-...`` version string (0 for anything else)."""
    match = re.match(r"v(\d+)-", version or "")
    return int(match.group(1)) if match else 0
