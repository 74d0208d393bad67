"""Faults against the real servers: Label Studio killed mid-import, the importer giving up."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from importer.pipeline import JobOptions, run_split
from importer.push import find_project, push
from storage.files import read_jsonl
from studio.client import Studio, StudioUnavailable, with_retries

pytestmark = pytest.mark.e2e


def _kill_after_first_tasks(stack, title: str, killed: threading.Event) -> None:
    """Once the project holds some tasks, SIGKILL Label Studio, wait, start it again."""
    studio = stack.studio()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pid = find_project(studio, title)
        if pid is not None and studio.tasks(pid):
            os.killpg(stack.label_studio.process.pid, signal.SIGKILL)
            stack.label_studio.process.wait()
            killed.set()
            time.sleep(2)
            stack.label_studio.start()
            return
        time.sleep(0.05)


def test_import_goes_on_after_label_studio_is_killed_and_restarted(stack, small_heap):
    out = stack.document_root / "e2e-killed"
    run_split(small_heap, out, JobOptions(workers=1))
    killed = threading.Event()
    killer = threading.Thread(target=_kill_after_first_tasks, args=(stack, "e2e killed", killed))
    killer.start()
    try:
        summary = push(out, stack.studio(), stack.document_root, "e2e killed", batch_size=2)
    finally:
        killer.join()
        stack.label_studio.wait_ready()
    assert killed.is_set(), "Label Studio was killed during the import"
    kept = [r["sha256"] for r in read_jsonl(out / "manifest.jsonl") if "path" in r]
    shas = [t["data"]["sha256"] for t in stack.studio().tasks(summary.project_id)]
    assert sorted(shas) == sorted(kept), "nothing lost, nothing duplicated"
    again = push(out, stack.studio(), stack.document_root, "e2e killed")
    assert again.imported == 0


def test_an_unreachable_label_studio_gives_a_clear_error_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    studio = Studio(f"http://127.0.0.1:{port}", "token-never-printed")
    started = time.monotonic()
    with pytest.raises(StudioUnavailable, match="listing projects: Label Studio did not answer after 3 tries") as err:
        with_retries(lambda: list(studio.sdk.projects.list()), "listing projects", attempts=3, delay=0.2)
    assert time.monotonic() - started >= 0.6  # it backed off 0.2 + 0.4 s between tries
    assert "token-never-printed" not in str(err.value)
