"""The local stack: Label Studio (SQLite, or PostgreSQL when configured) plus the ML backend.

Everything lives under one state folder: ``label-studio/`` (Label Studio's data),
``files/`` (the local-files document root, holding crop stores), ``models/`` (the
backend's models and feature cache) and ``credentials.env`` (the pre-made user and API
token, created once with random secrets, readable by the owner only).
"""
from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from stack import services
from stack.settings import StackSettings
from studio.client import Studio, with_retries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str
    backend_user: str
    backend_password: str


def _fresh_secrets() -> dict[str, str]:
    return {"LABEL_STUDIO_USERNAME": "curator@localhost",
            "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(12),
            "LABEL_STUDIO_API_KEY": secrets.token_hex(20),
            "BASIC_AUTH_USER": "labelstudio",
            "BASIC_AUTH_PASS": secrets.token_urlsafe(16)}


def load_credentials(path: Path) -> Credentials:
    """Read ``credentials.env``, adding fresh random secrets for whatever it lacks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    if set(_fresh_secrets()) - set(values):
        values = {**_fresh_secrets(), **values}
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return Credentials(values["LABEL_STUDIO_USERNAME"], values["LABEL_STUDIO_PASSWORD"],
                       values["LABEL_STUDIO_API_KEY"], values["BASIC_AUTH_USER"], values["BASIC_AUTH_PASS"])


@dataclass
class LocalStack:
    """Start and stop Label Studio and the ML backend on loopback ports."""

    state: Path
    ls_port: int = StackSettings.port
    backend_port: int = StackSettings.backend_port
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
            {"BASIC_AUTH_USER": c.backend_user, "BASIC_AUTH_PASS": c.backend_password,
             **(self.backend_env or {})})

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

    def project(self, project_id: int):
        """A project of this stack's Label Studio, as the backend and the export see it."""
        from studio.project import LabelStudioProject
        return LabelStudioProject(self.ls_url, self.credentials.token, project_id, self.document_root)

    def connect(self, project_id: int) -> int:
        """Connect this stack's backend to a project of its Label Studio."""
        c = self.credentials
        return connect_backend(self.studio(), project_id, self.backend_url, (c.backend_user, c.backend_password))


def connect_backend(studio: Studio, project_id: int, backend_url: str,
                    auth: tuple[str, str] | None = None, title: str = "heap-curator") -> int:
    """Attach the ML backend to the project (once) and ask it to score every task now.

    With ``auth`` (the backend's BASIC_AUTH_USER and BASIC_AUTH_PASS), Label Studio sends
    basic auth on its ML calls, and the webhook it creates for the backend gets the same
    header. The "train" call is what Label Studio's own "Start training" button sends:
    with no labels yet the backend answers it by ranking the tasks for a diverse sample.
    """
    backend_url = backend_url.rstrip("/")
    backends = with_retries(lambda: studio.sdk.ml.list(project=project_id), "listing ML backends")
    existing = [b for b in backends if b.url.rstrip("/") == backend_url]
    login = {"auth_method": "BASIC_AUTH", "basic_auth_user": auth[0], "basic_auth_pass": auth[1]} if auth else {}
    backend = existing[0] if existing else with_retries(lambda: studio.sdk.ml.create(
        project=project_id, url=backend_url, title=title, is_interactive=False, **login),
        "connecting the backend")
    if auth:
        _authorize_webhook(studio, project_id, backend_url + "/webhook", auth)
    with_retries(lambda: studio.sdk.ml.train(id=backend.id), "starting the first scoring")
    return backend.id


def _authorize_webhook(studio: Studio, project_id: int, url: str, auth: tuple[str, str]) -> None:
    """Give the backend's webhook (created by Label Studio without credentials) basic auth."""
    header = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    hooks = with_retries(lambda: studio.sdk.webhooks.list(project=str(project_id)), "listing webhooks")
    for hook in hooks:
        if hook.url.rstrip("/") == url and (hook.headers or {}).get("Authorization") != header:
            with_retries(lambda: studio.sdk.webhooks.update(id=hook.id, url=hook.url,
                                                            headers={"Authorization": header}),
                         "authorizing the webhook")
