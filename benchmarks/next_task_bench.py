"""The wait a person feels: submit → next task, measured in headless Chromium.

    python -m benchmarks.next_task_bench [--tasks 10000] [--submits 25] [--state DIR] [--running]

A project of N tasks (the small offline heap's crops, repeated under distinct sha256) gets
a first set of predictions; then a person's submits are timed in the label stream, first
with the backend quiet, then while the backend's own publisher (``ml_backend.publisher.Publisher``: chunks
of deletes + imports with pauses, the code a retrain runs) rewrites every task's prediction.
The time is from the Submit click until the next task's crop and context have loaded.
Prints p50/p95 for both phases and writes docs/next_task_benchmark.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.browser import Browser
from benchmarks.screens import LabellingScreen
from importer.pipeline import JobOptions, run_split
from importer.push import push
from studio.tasks import task_data
from ml_backend.publisher import Publisher
from stack.local import LocalStack
from stack.services import free_port
from storage.files import read_jsonl
from studio.tasks import prediction

TARGET_P95 = 1.0


def build_project(stack: LocalStack, tasks: int, work: Path) -> tuple[int, list[int]]:
    """A project of ``tasks`` tasks with one prediction each (version ``bench-v1``), and its
    task ids (kept from the imports: listing 10,000 tasks takes Label Studio minutes here)."""
    from benchmarks.devheap import build_heap
    heap, out = work / "heap", stack.document_root / f"bench-{tasks}"
    if not (heap / "oracle.jsonl").exists():
        build_heap(heap, sheets=6, seed=1, offline=True)
    run_split(heap, out, JobOptions(workers=1))
    studio = stack.studio()
    pid = push(out, studio, stack.document_root, f"next-task bench {tasks} {int(time.time())}").project_id
    rows = [r for r in read_jsonl(out / "manifest.jsonl") if "path" in r]
    have = len(rows)
    extra = [{**task_data(rows[i % have], out, stack.document_root), "sha256": f"{i:064x}"} for i in range(tasks - have)]
    ids = [t["id"] for t in studio.tasks(pid)]
    for start in range(0, len(extra), 1000):
        ids += studio.sdk.projects.import_tasks(id=pid, request=extra[start:start + 1000],
                                                return_task_ids=True).task_ids
    publish(stack, pid, ids, "bench-v1", pause=0.0)
    return pid, ids


def publish(stack: LocalStack, pid: int, ids: list[int], version: str, pause: float = 0.5) -> float:
    """Rewrite every task's prediction as a retrain does (the trainer's publisher); seconds taken."""
    project = stack.project(pid)
    rng = random.Random(version)
    predictions = [prediction(i, rng.choice(["symbol", "garbage"]), rng.uniform(0.5, 1.0), version) for i in ids]
    started = time.monotonic()
    Publisher(pause=pause).publish(pid, project, version, predictions, [], set(),
                                   switched=lambda: None, superseded=lambda: False)
    return time.monotonic() - started


def submits(screen: LabellingScreen, count: int, keep_going=lambda: True) -> list[float]:
    """Seconds from each Submit to the next task shown, ``count`` times (or until told to stop);
    a submit that brought no next task within a minute (Label Studio answered with an error,
    e.g. SQLite's "database is locked") counts as infinite, and the stream is opened again."""
    waits = []
    for _ in range(count):
        if not keep_going():
            break
        screen.press(random.choice("12"))
        try:
            waits.append(screen.submit())
        except TimeoutError:
            waits.append(float("inf"))
            screen.open()
    return waits


def summary(waits: list[float]) -> dict:
    ordered = sorted(waits)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else None
    return {"n": len(waits), "failed": sum(w == float("inf") for w in waits),
            "p50_s": round(statistics.median(waits), 3) if waits else None,
            "p95_s": round(p95, 3) if p95 is not None else None, "max_s": round(max(waits), 3) if waits else None}


def measure(stack: LocalStack, tasks: int, count: int, work: Path) -> dict:
    pid, ids = build_project(stack, tasks, work)
    stack.project(pid).activate("bench-v1")
    with Browser(work / "screenshots") as browser:
        browser.login(stack.ls_url, stack.credentials.username, stack.credentials.password)
        screen = LabellingScreen(browser, stack.ls_url, pid)
        screen.open()
        submits(screen, 2)  # warm-up: the page's first loads
        quiet = submits(screen, count)
        done = threading.Event()
        took = {}
        writer = threading.Thread(target=lambda: (took.setdefault("s", publish(stack, pid, ids, "bench-v2")), done.set()))
        writer.start()
        busy = submits(screen, count, keep_going=lambda: not done.is_set())
        writer.join()
        browser.screenshot("next-task-bench")
    return {"tasks": tasks, "quiet": summary(quiet), "while_publishing": summary(busy),
            "publish_seconds": round(took["s"], 1), "target_p95_s": TARGET_P95,
            "quiet_waits_s": [round(w, 3) for w in quiet], "publishing_waits_s": [round(w, 3) for w in busy],
            "load_average": round(os.getloadavg()[0], 2), "nproc": os.cpu_count()}


def write(result: dict, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "next_task_benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    q, b = result["quiet"], result["while_publishing"]
    (docs / "next_task_benchmark.md").write_text(
        "# Submit → next task, as a person waits for it (headless Chromium)\n\n"
        f"`python -m benchmarks.next_task_bench --tasks {result['tasks']}`: {result['tasks']} tasks, "
        f"Label Studio on SQLite, {result['nproc']} CPUs (load average {result['load_average']}).\n\n"
        "| phase | submits | failed | p50 | p95 | max |\n|---|---|---|---|---|---|\n"
        f"| quiet | {q['n']} | {q['failed']} | {q['p50_s']} s | {q['p95_s']} s | {q['max_s']} s |\n"
        f"| while the backend publishes a retrain ({result['publish_seconds']} s) | {b['n']} | {b['failed']} | "
        f"{b['p50_s']} s | {b['p95_s']} s | {b['max_s']} s |\n\n"
        f"Target: p95 ≤ {TARGET_P95} s.\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the project (default 10000)")
    parser.add_argument("--submits", type=int, default=25, help="submits timed per phase (default 25)")
    parser.add_argument("--state", type=Path, default=None,
                        help="stack state folder (default: a new temporary one; a used one restarts fast)")
    parser.add_argument("--running", action="store_true",
                        help="the stack of --state is already running on --ls-port: use it, start nothing")
    parser.add_argument("--ls-port", type=int, default=None, help="Label Studio's port (default: a free one)")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where the figures go (default docs/)")
    args = parser.parse_args(argv)
    state = args.state or Path(tempfile.mkdtemp(prefix="next-task-bench-"))
    stack = LocalStack(state, ls_port=args.ls_port or free_port(), backend_port=free_port())
    if args.running:
        result = measure(stack, args.tasks, args.submits, state)
    else:
        with stack:
            result = measure(stack, args.tasks, args.submits, state)
    write(result, args.out)
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("waits_s")}, indent=2))


if __name__ == "__main__":
    main()
