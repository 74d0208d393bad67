"""Start, watch and stop the local servers: Label Studio and the ML backend.

Each runs as a child process with its own log file; ``wait_ready`` polls its health URL.
Used by the ``up`` and ``simulate`` commands and by the test session.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

# Unprefixed names Label Studio also reads; they must not leak into its environment.
_LEAKY_NAMES = ("USERNAME", "PASSWORD", "USER_TOKEN")
# Label Studio's feature flag (read from the environment) for importing predictions with one
# bulk insert per batch instead of validating and saving them one by one: 10,000 take
# seconds instead of half a minute.
PREDICTIONS_BULK_IMPORT = "fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short"


@dataclass
class Service:
    """A child process with a health URL and a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "Service":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float = 600.0) -> "Service":
        """Poll the health URL until it answers 200; raise with the log's tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.health_url, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "Service":
        return self.start().wait_ready()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_NAMES}
    env.update(extra)
    return env


def label_studio(data_dir: Path, document_root: Path, port: int, username: str, password: str,
                 token: str, database: dict[str, str] | None = None) -> Service:
    """Label Studio on 127.0.0.1:``port`` with a pre-made user and legacy API token.

    Local file serving is enabled under ``document_root``. The ML backend runs on this
    machine, so Label Studio's guards against loopback ML URLs and webhooks
    (ML_BLOCK_LOCAL_IP, SSRF_PROTECTION_ENABLED) are switched off: anyone who can create
    an ML backend or webhook in this Label Studio can then make it call local addresses.
    ``database`` adds Django DB settings (e.g. PostgreSQL's DJANGO_DB and POSTGRE_*).
    """
    env = _clean_env({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(document_root),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        PREDICTIONS_BULK_IMPORT: "true",
        **(database or {}),
    })
    executable = Path(sys.executable).with_name("label-studio")
    command = [str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1",
               "--port", str(port)]
    return Service("Label Studio", command, env, f"http://127.0.0.1:{port}/health",
                   data_dir / "label-studio.log")


def ml_backend(model_dir: Path, port: int, label_studio_url: str, token: str,
               document_root: Path, extra: dict[str, str] | None = None) -> Service:
    """The project's ML backend on 127.0.0.1:``port``, talking to ``label_studio_url``."""
    env = _clean_env({
        "LABEL_STUDIO_URL": label_studio_url,
        "LABEL_STUDIO_API_KEY": token,
        "MODEL_DIR": str(model_dir),
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(document_root),
        **(extra or {}),
    })
    command = [sys.executable, "-m", "ml_backend", "--host", "127.0.0.1", "--port", str(port)]
    return Service("ML backend", command, env, f"http://127.0.0.1:{port}/health",
                   model_dir / "ml-backend.log")
