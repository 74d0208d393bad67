"""The whole loop at N crops on this machine, against the real Label Studio and the real backend.

    python -m benchmarks.scale_bench --crops 32000 [--heap DIR ...] [--database sqlite|postgresql]

Files of the heaps (default data/val and data/dev2; data/devheap is the same heap as
data/dev2) are linked into one heap, round robin, until their oracle items reach N; then,
in a fresh local stack (``stack.local.LocalStack``): ``python -m importer split`` (timed),
``python -m importer push`` (timed), the backend connected and timed until every task holds
its cold-start prediction; a burst of labels (from the heaps' oracles, on the tasks Label
Studio serves) and the time until Label Studio serves a task predicted by the new model,
then until that retrain's publish is complete; submits at a person's pace (annotation, then
``/api/projects/ID/next``) while the backend retrains and publishes; ``python -m importer
export`` (timed). The peak RSS of each process group (Label Studio, the backend, each
importer command) and the load average are sampled every half second. Figures are printed
and merged into docs/scale_benchmark.{json,md} (one run per crop count and database).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterator

import requests

from benchmarks.backend_bench import machine
from benchmarks.simulate import Annotator, Oracle
from benchmarks.simulation_options import SimulationOptions
from importer.gather import gather, relative_source
from importer.push import find_project
from ml_backend.model_store import version_number
from stack.local import LocalStack
from stack.services import free_port
from storage.files import read_jsonl

HEAPS = (Path("data/val"), Path("data/dev2"))
TARGETS = {"first_predictions_s": 600.0, "retrain_to_served_s": 10.0, "next_task_p95_s": 1.0,
           "backend_peak_mb": 2048.0}
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2 ** 20
OPTIONS = SimulationOptions()


class Sampler(threading.Thread):
    """Peak RSS (MB) of named process groups and the 1-minute load average, every ``interval`` s."""

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval, self.groups, self.peak_mb, self.load = interval, {}, {}, []
        self.halt = threading.Event()

    def watch(self, name: str, pgid: int) -> None:
        self.groups[pgid] = name

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            rss = Counter()
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) in self.groups:  # fields[2]: process group, fields[21]: RSS pages
                    rss[self.groups[int(fields[2])]] += int(fields[21]) * PAGE_MB
            for name, mb in rss.items():
                self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), round(mb, 1))
            self.load.append(os.getloadavg()[0])


def link_heap(heaps: list[Path], crops: int, folder: Path) -> tuple[dict, Oracle]:
    """Link files of ``heaps`` into ``folder/<heap name>/``, round robin in each heap's sorted
    order, until their oracle items reach ``crops``; the oracle of the linked heap with it."""
    if len({h.name for h in heaps}) != len(heaps):
        raise ValueError("heaps must have distinct folder names")
    rows = [{**r, "source": f"{h.name}/{r['source']}"} for h in heaps for r in read_jsonl(h / "oracle.jsonl")]
    items = Counter(r["source"] for r in rows)
    linked, files = 0, 0
    for heap, path in round_robin([[(h, p) for p in gather(h)] for h in heaps]):
        if linked >= crops:
            break
        name = f"{heap.name}/{relative_source(path, heap)}"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(path.resolve())
        linked, files = linked + items[name], files + 1
    return {"heaps": [str(h) for h in heaps], "files": files, "oracle_items": linked}, Oracle(rows)


def round_robin(queues: list[list]) -> Iterator:
    """The first of each queue, then the second of each, and so on."""
    for depth in range(max(map(len, queues), default=0)):
        yield from (q[depth] for q in queues if depth < len(q))


def run_importer(sampler: Sampler, name: str, args: list[str], env: dict[str, str], log: Path) -> float:
    """``python -m importer ARGS`` in its own process group (its memory sampled); seconds taken."""
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "importer", *args], env={**os.environ, **env},
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        sampler.watch(name, process.pid)
        if process.wait():
            raise RuntimeError(f"importer {name} failed ({process.returncode}): see {log}")
    return round(time.monotonic() - started, 1)


def wait_for(condition: Callable[[], object], timeout: float, every: float = 0.25) -> float:
    """Seconds until ``condition()`` is true; TimeoutError after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not within {timeout:.0f} s")
        time.sleep(every)
    return round(time.monotonic() - started, 2)


class Loop:
    """One project of a running stack, as the benchmark watches it."""

    def __init__(self, stack: LocalStack, pid: int):
        self.stack, self.pid, self.project = stack, pid, stack.project(pid)

    def info(self) -> dict:
        return self.project.studio.get_json(f"/api/projects/{self.pid}")

    def idle(self) -> bool:
        """The backend has no training due or running."""
        return requests.get(f"{self.stack.backend_url}/health", timeout=10).json()["idle"]

    def served_version(self) -> str | None:
        """The model version of the prediction on the task Label Studio serves next."""
        response = self.project.http.get(f"{self.project.url}/api/projects/{self.pid}/next", timeout=300)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return next((p["model_version"] for p in response.json().get("predictions") or []), None)


def cold_start(loop: Loop, tasks: int, timeout: float) -> dict:
    """Connect the backend; seconds until its cold version is served, and until every task holds a prediction."""
    started = time.monotonic()
    loop.stack.connect(loop.pid)
    served = wait_for(lambda: version_number(loop.info().get("model_version")) > 0, timeout, every=2)
    wait_for(lambda: loop.info().get("total_predictions_number", 0) >= tasks and loop.idle(), timeout, every=2)
    return {"cold_version_served_s": served, "first_predictions_s": round(time.monotonic() - started, 1)}


def retrain(loop: Loop, annotator: Annotator, labels: int, done: set[int], timeout: float) -> dict:
    """A burst of labels; seconds from the last until the project serves the new model's most
    uncertain task (its version switched, then the next task asked for, as a person's next
    Submit would: polling the next task instead would hold its lock and keep serving that task),
    and until that retrain's publish is complete (the backend idle)."""
    before = version_number(loop.info().get("model_version"))
    for _ in range(labels):
        task_id = annotator.next_task(done)
        annotator.label(task_id)
        done.add(task_id)
    started = time.monotonic()
    wait_for(lambda: version_number(loop.info().get("model_version")) > before, timeout)
    version = loop.served_version()  # no task was locked for this user: the new model's most uncertain
    served = round(time.monotonic() - started, 2)
    wait_for(loop.idle, timeout, every=1)
    return {"labels": len(done), "retrain_to_served_s": served, "served_task_version": version,
            "complete_publish_s": round(time.monotonic() - started, 1)}


def submits(loop: Loop, annotator: Annotator, count: int, done: set[int], pace: float) -> dict:
    """``count`` submits at ``pace``: each an annotation then the next task, timed; and whether
    the backend was retraining or publishing when it was made."""
    waits, busy = [], []
    task_id = annotator.next_task(done)
    for _ in range(count):
        busy.append(not loop.idle())
        started = time.monotonic()
        annotator.label(task_id)
        done.add(task_id)
        task_id = annotator.next_task(done)
        waits.append(time.monotonic() - started)
        time.sleep(pace)
    return {"all": quantiles(waits), "while_busy": quantiles([w for w, b in zip(waits, busy) if b])}


def quantiles(seconds: list[float]) -> dict:
    """n, p50, p95 and max in seconds (p95: the nearest rank)."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    return {"n": len(ordered), "p50_s": round(statistics.median(ordered), 3),
            "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
            "max_s": round(ordered[-1], 3)}


def measure(args: argparse.Namespace, work: Path, result: dict, save: Callable[[], None]) -> None:
    """Run the loop, filling ``result`` and calling ``save`` after each step."""
    result["heap"], oracle = link_heap(args.heap, args.crops, work / "heap")
    sampler = Sampler()
    sampler.start()
    with ExitStack() as servers:
        database = None
        if args.database == "postgresql":
            from stack.postgres import postgres_server
            database = servers.enter_context(postgres_server(free_port()))
        stack = servers.enter_context(LocalStack(work / "stack", ls_port=free_port(), backend_port=free_port(),
                                                 database=database))
        sampler.watch("label_studio", stack.label_studio.process.pid)
        sampler.watch("backend", stack.backend.process.pid)
        out, title = stack.document_root / "heap", f"scale {args.crops}"
        env = {"LABEL_STUDIO_URL": stack.ls_url, "LABEL_STUDIO_API_KEY": stack.credentials.token,
               "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(stack.document_root), "LABEL_STUDIO_PROJECT": title}
        log = work / "importer.log"
        steps = result["steps"]

        def step(name: str, run: Callable[[], object]) -> None:
            value = run()
            steps.update(value if isinstance(value, dict) else {name: value})
            result.update(peak_rss_mb=dict(sampler.peak_mb), load_average=load(sampler.load))
            save()
            print(f"{name}: {value}", flush=True)

        step("split_s", lambda: run_importer(sampler, "importer split", ["split", str(work / "heap"), "--out", str(out)], env, log))
        result["tasks"] = sum(1 for r in read_jsonl(out / "manifest.jsonl") if "path" in r)
        step("import_s", lambda: run_importer(sampler, "importer push", ["push", str(out)], env, log))
        pid = find_project(stack.studio(), title)
        loop = Loop(stack, pid)
        step("cold_start", lambda: cold_start(loop, result["tasks"], args.timeout))
        annotator = Annotator(stack.project(pid), oracle, oracle_keep(oracle), work / "unused",
                              OPTIONS.min_confidence, 0.0, "uncertainty")
        done: set[int] = set()
        step("retrain", lambda: retrain(loop, annotator, args.labels, done, args.timeout))
        step("next_task_during_publishing", lambda: {"next_task": submits(loop, annotator, args.submits, done, args.pace)})
        step("export_s", lambda: run_importer(sampler, "importer export",
                                              ["export", str(work / "export"), "--min-confidence", str(OPTIONS.min_confidence)],
                                              env, log))
    sampler.halt.set()


def oracle_keep(oracle: Oracle) -> str:
    """The class to keep: the oracle's most common label."""
    return Counter(label for items in oracle.items.values() for _, label in items).most_common(1)[0][0]


def load(samples: list[float]) -> dict:
    return {"mean": round(statistics.fmean(samples), 2), "max": round(max(samples), 2)} if samples else {}


def run_key(run: dict) -> str:
    return f"{run['crops_asked']}-{run['database']}"


def merge(runs: list[dict], run: dict) -> list[dict]:
    """``runs`` with ``run`` in place of an earlier run of the same crop count and database, by crop count."""
    kept = [r for r in runs if run_key(r) != run_key(run)] + [run]
    return sorted(kept, key=lambda r: (r["crops_asked"], r["database"]))


def verdicts(run: dict) -> dict[str, bool | None]:
    """Each target: met, missed, or None when that step did not run."""
    s, figures = run["steps"], {}
    figures["first_predictions_s"] = s.get("first_predictions_s")
    figures["retrain_to_served_s"] = s.get("retrain_to_served_s")
    figures["next_task_p95_s"] = s.get("next_task", {}).get("all", {}).get("p95_s")
    figures["backend_peak_mb"] = run.get("peak_rss_mb", {}).get("backend")
    return {k: None if v is None else v <= TARGETS[k] for k, v in figures.items()}


ROWS = [("split (s)", lambda r: r["steps"].get("split_s")),
        ("import: push every task (s)", lambda r: r["steps"].get("import_s")),
        ("connect → the cold version served (s)", lambda r: r["steps"].get("cold_version_served_s")),
        ("connect → every task has a first prediction (s; target ≤ 600)", lambda r: r["steps"].get("first_predictions_s")),
        ("last of a burst of labels → a task the new model predicted served (s; target ≤ 10)",
         lambda r: r["steps"].get("retrain_to_served_s")),
        ("last label → that retrain's publish complete (s)", lambda r: r["steps"].get("complete_publish_s")),
        ("submit → next task p50 / p95 / max (s; target p95 ≤ 1)", lambda r: _next(r, "all")),
        ("… of which made while the backend retrained or published", lambda r: _next(r, "while_busy")),
        ("export (s)", lambda r: r["steps"].get("export_s")),
        ("peak RSS Label Studio (MB)", lambda r: r.get("peak_rss_mb", {}).get("label_studio")),
        ("peak RSS backend (MB; target ≤ 2048)", lambda r: r.get("peak_rss_mb", {}).get("backend")),
        ("peak RSS importer split / push / export (MB)", lambda r: " / ".join(
            str(r.get("peak_rss_mb", {}).get(f"importer {c}", "–")) for c in ("split", "push", "export"))),
        ("load average, mean / max", lambda r: " / ".join(str(v) for v in r.get("load_average", {}).values()))]


def _next(run: dict, which: str) -> str | None:
    q = run["steps"].get("next_task", {}).get(which)
    return f"{q['p50_s']} / {q['p95_s']} / {q['max_s']} (n={q['n']})" if q and q.get("n") else None


def markdown(runs: list[dict]) -> str:
    """docs/scale_benchmark.md: one column per run."""
    cell = lambda v: "–" if v is None else str(v)
    m = runs[-1]["machine"]
    lines = ["# The whole loop at scale, on one machine", "",
             f"`python -m benchmarks.scale_bench --crops N [--database postgresql]`: a fresh Label Studio "
             f"and the real ML backend on {m['nproc']} CPU cores ({m['cpu']}), shared with other sessions' "
             "work (load average below); see the module's docstring for each step.", "",
             "| | " + " | ".join(f"{r['tasks'] if 'tasks' in r else '?'} tasks, {r['database']}" for r in runs) + " |",
             "|---|" + "---|" * len(runs)]
    lines += [f"| {name} | " + " | ".join(cell(get(r)) for r in runs) + " |" for name, get in ROWS]
    lines += ["", "Targets met (✓), missed (✗):", ""]
    for r in runs:
        marks = ", ".join(f"{k} {'–' if ok is None else '✓' if ok else '✗'}" for k, ok in verdicts(r).items())
        lines.append(f"- {r.get('tasks', '?')} tasks, {r['database']}: {marks}; heap: {r['heap']['files']} files of "
                     f"{', '.join(r['heap']['heaps'])} ({r['heap']['oracle_items']} oracle items); "
                     f"{r['labels']} labels in the burst, {r['submits']} submits at one per {r['pace']} s; "
                     f"{r['finished'] or 'did not finish'}")
    return "\n".join(lines) + "\n"


def write(runs: list[dict], docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "scale_benchmark.json").write_text(json.dumps(runs, indent=2) + "\n")
    (docs / "scale_benchmark.md").write_text(markdown(runs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crops", type=int, required=True, help="crops to import (oracle items of the linked files)")
    parser.add_argument("--heap", type=Path, nargs="+", default=list(HEAPS),
                        help="heap folders with oracle.jsonl (default: data/val data/dev2)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite", help="Label Studio's database")
    parser.add_argument("--labels", type=int, default=20, help="labels in the burst before the timed retrain")
    parser.add_argument("--submits", type=int, default=30, help="submits timed while the backend publishes")
    parser.add_argument("--pace", type=float, default=OPTIONS.seconds_per_label, help="seconds between submits")
    parser.add_argument("--timeout", type=float, default=7200.0, help="longest wait for one step (s)")
    parser.add_argument("--work", type=Path, help="working folder (default: a new temporary one, removed after)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="where the figures go")
    args = parser.parse_args(argv)
    docs_json = args.docs / "scale_benchmark.json"
    runs = json.loads(docs_json.read_text()) if docs_json.exists() else []
    result = {"crops_asked": args.crops, "database": args.database, "machine": machine(), "labels": args.labels,
              "submits": args.submits, "pace": args.pace, "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "finished": None, "heap": {}, "steps": {}}
    save = lambda: write(merge(runs, result), args.docs)
    with ExitStack() as cleanup:
        work = args.work or Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="scale-bench-")))
        measure(args, work, result, save)
    result["finished"] = time.strftime("finished %Y-%m-%d %H:%M UTC", time.gmtime())
    save()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
