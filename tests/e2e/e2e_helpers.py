"""Helpers for the end-to-end tests: a fresh project, labels, waits, the backend's log and HTTP API."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

from importer.pipeline import JobOptions, run_split
from importer.push import push
from benchmarks.simulate import Oracle
from storage.files import read_jsonl
from studio.project import LabelStudioProject

TRAINED = re.compile(r"^(?P<at>\S+ \S+) INFO ml_backend\.trainer: project (?P<pid>\d+): (?P<version>\S+) "
                     r"from (?P<labels>\d+) labels over \d+ tasks in (?P<seconds>[\d.]+) s", re.M)
FAILED = re.compile(r"training project (?P<pid>\d+) failed")


def new_project(stack, heap: Path, title: str) -> LabelStudioProject:
    """Split ``heap`` into crops and push them into a new project of the stack's Label Studio."""
    out = stack.document_root / title.replace(" ", "-")
    run_split(heap, out, JobOptions(workers=1))
    return stack.project(push(out, stack.studio(), stack.document_root, title).project_id)


def true_labels(project: LabelStudioProject, heap: Path) -> dict[int, str]:
    """Task id -> the label the heap's oracle gives its crop."""
    oracle = Oracle(read_jsonl(heap / "oracle.jsonl"))
    return {t["id"]: oracle.label(t["data"]["source"], t["data"]["bbox"]) for t in project.tasks()}


def model_version(project: LabelStudioProject) -> str | None:
    """The project's model version as Label Studio holds it."""
    return project.sdk.projects.get(id=project.id).model_version


def wait_version(project: LabelStudioProject, accept, timeout: float = 300.0) -> str:
    """Wait until Label Studio's model version of the project is one that ``accept`` takes."""
    deadline = time.monotonic() + timeout
    version = None
    while time.monotonic() < deadline:
        version = model_version(project)
        if version and accept(version):
            return version
        time.sleep(1)
    raise AssertionError(f"no model version accepted within {timeout} s; last {version!r}")


@dataclass(frozen=True)
class Training:
    """One finished retrain, from the backend's log (times in seconds since the epoch)."""

    pid: int
    version: str
    labels: int
    start: float
    end: float


class BackendLog:
    """What the backend logged since this object was made."""

    def __init__(self, service):
        self.path = service.log_path
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def text(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")

    def trainings(self, pid: int | None = None) -> list[Training]:
        """Finished trainings (of ``pid``, or all), in log order; start = end - logged duration."""
        found = []
        for m in TRAINED.finditer(self.text()):
            end = datetime.strptime(m["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            found.append(Training(int(m["pid"]), m["version"], int(m["labels"]), end - float(m["seconds"]), end))
        return [t for t in found if pid is None or t.pid == pid]

    def failures(self, pid: int) -> int:
        return sum(int(m["pid"]) == pid for m in FAILED.finditer(self.text()))

    def wait_for(self, pattern: re.Pattern, timeout: float = 300.0, poll: float = 0.05) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := pattern.search(self.text()):
                return match
            time.sleep(poll)
        raise AssertionError(f"the backend logged no {pattern.pattern!r} within {timeout} s")


class Backend:
    """The ML backend's HTTP API as Label Studio calls it (basic auth)."""

    def __init__(self, url: str, auth: tuple[str, str]):
        self.url, self.auth = url.rstrip("/"), auth
        self.http = requests.Session()
        self.http.auth = auth

    @classmethod
    def of(cls, stack) -> "Backend":
        c = stack.credentials
        return cls(stack.backend_url, (c.backend_user, c.backend_password))

    def predict(self, pid: int, tasks: list[dict]) -> tuple[int, float, list[dict]]:
        """Status, seconds taken and results of one /predict call."""
        started = time.perf_counter()
        response = self.http.post(f"{self.url}/predict", json={"tasks": tasks, "project": f"{pid}.1"}, timeout=60)
        seconds = time.perf_counter() - started
        return response.status_code, seconds, response.json()["results"] if response.ok else []

    def health(self) -> dict:
        return self.http.get(f"{self.url}/health", timeout=30).json()

    def wait_idle(self, timeout: float = 300.0) -> dict:
        """Wait until no training is due or running; the last /health answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (health := self.health())["idle"]:
                return health
            time.sleep(0.5)
        raise AssertionError(f"the backend still trains after {timeout} s")
