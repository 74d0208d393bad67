"""The local stack: Label Studio (SQLite, or PostgreSQL when configured) plus the ML backend.

Everything lives under one state folder: ``label-studio/`` (Label Studio's data),
``files/`` (the local-files document root, holding crop stores), ``models/`` (the
backend's models and feature cache) and ``credentials.env`` (the pre-made user and API
token, created once with random secrets, readable by the owner only).
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from importer import services
from importer.studio import Studio, with_retries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str


def load_credentials(path: Path) -> Credentials:
    """Read ``credentials.env``, creating it with fresh random secrets on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {"LABEL_STUDIO_USERNAME": "curator@localhost",
                 "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(12),
                 "LABEL_STUDIO_API_KEY": secrets.token_hex(20)}
        path.touch(mode=0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in fresh.items()))
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return Credentials(values["LABEL_STUDIO_USERNAME"], values["LABEL_STUDIO_PASSWORD"],
                       values["LABEL_STUDIO_API_KEY"])


@dataclass
class LocalStack:
    """Start and stop Label Studio and the ML backend on loopback ports."""

    state: Path
    ls_port: int = 8080
    backend_port: int = 9090
    database: dict[str, str] | None = None
    backend_env: dict[str, str] | None = None

    def __post_init__(self):
        self.state = self.state.resolve()
        self.credentials = load_credentials(self.state / "credentials.env")
        self.document_root = self.state / "files"
        self.ls_url = f"http://127.0.0.1:{self.ls_port}"
        self.backend_url = f"http://127.0.0.1:{self.backend_port}"
        c = self.credentials
        self.label_studio = services.label_studio(
            self.state / "label-studio", self.document_root, self.ls_port,
            c.username, c.password, c.token, self.database)
        self.backend = services.ml_backend(
            self.state / "models", self.backend_port, self.ls_url, c.token, self.document_root,
            self.backend_env)

    def start(self) -> "LocalStack":
        self.document_root.mkdir(parents=True, exist_ok=True)
        self.label_studio.start()
        self.backend.start()
        self.label_studio.wait_ready()
        self.backend.wait_ready()
        return self

    def stop(self) -> None:
        self.backend.stop()
        self.label_studio.stop()

    def __enter__(self) -> "LocalStack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def studio(self) -> Studio:
        return Studio(self.ls_url, self.credentials.token)


def connect_backend(studio: Studio, project_id: int, backend_url: str, title: str = "heap-curator") -> int:
    """Attach the ML backend to the project (once) and ask it to score every task now.

    The "train" call is what Label Studio's own "Start training" button sends: with no
    labels yet the backend answers it by ranking the tasks for a diverse first sample.
    """
    backends = with_retries(lambda: studio.sdk.ml.list(project=project_id), "listing ML backends")
    existing = [b for b in backends if b.url.rstrip("/") == backend_url.rstrip("/")]
    backend = existing[0] if existing else with_retries(lambda: studio.sdk.ml.create(
        project=project_id, url=backend_url, title=title, is_interactive=False), "connecting the backend")
    with_retries(lambda: studio.sdk.ml.train(id=backend.id), "starting the first scoring")
    return backend.id
