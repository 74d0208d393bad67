"""Command line: ``python -m importer {split,push,import,up}``.

Every option defaults from an environment variable (Label Studio's own names where they
exist), so the same settings work on the command line, in a shell profile and in
docker-compose.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm.contrib.logging import logging_redirect_tqdm

from importer.pipeline import JobOptions, run_split
from importer.ray_engine import ENGINES
from importer.split import SplitOptions
from importer.studio import DEFAULT_CLASSES, Studio

log = logging.getLogger("importer")


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _add_split_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("splitting")
    g.add_argument("--min-size", type=int, default=int(env("SPLIT_MIN_SIZE", str(SplitOptions().min_size))),
                   help="smallest crop side in pixels; smaller crops are dropped (env SPLIT_MIN_SIZE)")
    g.add_argument("--max-pixels", type=int, default=int(env("MAX_IMAGE_PIXELS", "64000000")),
                   help="images with more pixels are reported as too large, not decoded (env MAX_IMAGE_PIXELS)")
    g.add_argument("--dedup-distance", type=int, default=int(env("DEDUP_DISTANCE", "4")),
                   help="perceptual-hash bits within which two crops count as one; 0 keeps only exact "
                        "duplicates out (env DEDUP_DISTANCE)")
    g.add_argument("--workers", type=int, default=int(env("WORKERS", str(os.cpu_count() or 1))),
                   help="decoding and splitting processes (env WORKERS; default: all cores)")
    g.add_argument("--engine", choices=ENGINES, default=env("SPLIT_ENGINE", "local"),
                   help="local: a process pool on this machine; ray: Ray tasks on the cluster at "
                        "RAY_ADDRESS, or on a local Ray of --workers CPUs (pip install '.[ray]') "
                        "(env SPLIT_ENGINE)")


def _add_studio_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("Label Studio")
    g.add_argument("--url", default=env("LABEL_STUDIO_URL", "http://127.0.0.1:8080"),
                   help="Label Studio address (env LABEL_STUDIO_URL)")
    g.add_argument("--api-key", default=env("LABEL_STUDIO_API_KEY"),
                   help="API token (env LABEL_STUDIO_API_KEY); never printed")
    g.add_argument("--document-root", type=Path, default=env("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"),
                   help="Label Studio's local-files root; the crop store must lie below it "
                        "(env LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)")
    g.add_argument("--project", default=env("LABEL_STUDIO_PROJECT", "Heap curation"),
                   help="project title, created if missing (env LABEL_STUDIO_PROJECT)")
    g.add_argument("--classes", default=env("LABEL_CLASSES", ",".join(DEFAULT_CLASSES)),
                   help="comma-separated class names, the one to keep first (env LABEL_CLASSES)")


def _add_budget_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("heaps larger than one project (docs/SCALE.md)")
    g.add_argument("--max-tasks", type=int, default=env("MAX_TASKS"),
                   help="push at most this many new tasks, those that need a person most: a diverse "
                        "sample before the first model, then the crops the latest model is least sure "
                        "of; a re-run pushes the next wave (env MAX_TASKS; default: every crop)")
    g.add_argument("--model-dir", type=Path, default=Path(env("MODEL_DIR", "models")),
                   help="the ML backend's MODEL_DIR, whose models and feature cache rank the crops "
                        "(env MODEL_DIR)")


def _job_options(a: argparse.Namespace) -> JobOptions:
    return JobOptions(max_pixels=a.max_pixels, dedup_distance=a.dedup_distance, workers=a.workers,
                      engine=a.engine,
                      split=SplitOptions(**{**asdict(SplitOptions()), "min_size": a.min_size}))


def _split(a: argparse.Namespace) -> None:
    summary = run_split(a.heap, a.out, _job_options(a))
    print(f"{summary.files} files: {summary.crops} crops kept, {summary.duplicates} duplicates, "
          f"{summary.blanks} blank crops dropped, {summary.bad_files} unreadable files "
          f"(see {a.out / 'bad_files.jsonl'})")


def cmd_push(a: argparse.Namespace) -> None:
    from importer.push import push
    if a.document_root is None:
        sys.exit("error: --document-root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT) is required to push")
    summary = push(a.out, Studio(a.url, a.api_key), a.document_root, a.project,
                   tuple(a.classes.split(",")), max_tasks=a.max_tasks, model_dir=a.model_dir)
    print(f"project {summary.project_id}: {summary.imported} tasks imported, "
          f"{summary.already_there} already there, {summary.left} left for later waves")


def cmd_import(a: argparse.Namespace) -> None:
    _split(a)
    cmd_push(a)


def cmd_up(a: argparse.Namespace) -> None:
    """Start the local stack, import the heap, connect the backend, serve until Ctrl-C."""
    from importer.push import push
    from importer.stack import LocalStack
    stack = LocalStack(a.state, ls_port=a.port, backend_port=a.backend_port)
    out = a.out or stack.document_root / a.heap.resolve().name
    with stack:
        _split(argparse.Namespace(**{**vars(a), "out": out}))
        studio = stack.studio()
        summary = push(out, studio, stack.document_root, a.project, tuple(a.classes.split(",")))
        stack.connect(summary.project_id)
        print(f"\nLabel Studio: {stack.ls_url}/projects/{summary.project_id}  "
              f"({summary.imported} new tasks, {summary.already_there} already there)\n"
              f"Log in with the user and password in {stack.state / 'credentials.env'}.\n"
              "Press Ctrl-C to stop.")
        if not a.detach:
            signal.sigwait({signal.SIGINT, signal.SIGTERM})


def cmd_export(a: argparse.Namespace) -> None:
    from importer.export import Variant, export
    from importer.push import find_project
    from ml_backend.project import LabelStudioProject
    studio = Studio(a.url, a.api_key)
    project_id = find_project(studio, a.project)
    if project_id is None:
        sys.exit(f"error: no Label Studio project called {a.project!r}")
    project = LabelStudioProject(a.url, a.api_key, project_id, a.document_root)
    unpushed = None
    if a.crops and (a.min_confidence is None or a.document_root is None):
        sys.exit("error: --crops exports model-labelled crops: it needs --min-confidence and "
                 "--document-root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)")
    if a.crops:
        from importer.unpushed import model_labelled
        unpushed = model_labelled(a.crops, a.document_root, a.model_dir, project_id, a.min_confidence)
    counts = export(project, a.out, a.min_confidence, Variant(a.square, a.grayscale, a.dark_on_light),
                    unpushed)
    print(f"exported to {a.out}: " + ", ".join(f"{n} {c}" for c, n in counts.items()))


def cmd_simulate(a: argparse.Namespace) -> None:
    from importer.simulate import Oracle, SimulationOptions, simulate, write_docs
    from importer.store import read_jsonl
    result = simulate(a.heap, a.oracle, a.out, SimulationOptions(
        every=a.every, min_confidence=a.min_confidence, seconds_per_label=a.seconds_per_label,
        max_fraction=a.max_fraction, random_factor=a.random_factor, seed=a.seed))
    if a.docs:
        write_docs(a.out, a.docs, Oracle(read_jsonl(a.oracle)))
    print(f"{result['tasks']} tasks; bar reached after {result['labels_to_bar']} labels "
          f"(random order: {result['labels_to_bar_random']}); ratio {result['ratio']}; "
          f"see {a.out / 'simulation.json'} and {a.out / 'learning_curve.png'}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m importer", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--log-level", default=env("LOG_LEVEL", "WARNING"), help="(env LOG_LEVEL)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("split", help="split a heap into crops, write manifest.jsonl and bad_files.jsonl",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("heap", type=Path, help="folder of scraped images, walked recursively")
    p.add_argument("--out", type=Path, required=True, help="output folder (crops/, manifest, report)")
    _add_split_options(p)
    p.set_defaults(func=_split)

    p = sub.add_parser("push", help="import the crops of a split output folder into Label Studio",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("out", type=Path, help="output folder of a previous split")
    _add_studio_options(p)
    _add_budget_options(p)
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("import", help="split, then push (re-runs add only new crops)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("heap", type=Path)
    p.add_argument("--out", type=Path, required=True, help="output folder, below the document root")
    _add_split_options(p)
    _add_studio_options(p)
    _add_budget_options(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write the curated set: OUT/<class>/*.png and OUT/manifest.jsonl",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("out", type=Path, help="export folder; re-exporting updates it in place")
    p.add_argument("--min-confidence", type=float, default=None,
                   help="also export unlabelled tasks whose current prediction is at least this "
                        "confident (0.5-1), marked labelled_by=model; default: human labels only")
    p.add_argument("--square", type=int, default=None, help="pad every image to a square of this side")
    p.add_argument("--grayscale", action="store_true", help="write grayscale images")
    p.add_argument("--dark-on-light", action="store_true",
                   help="invert light-on-dark crops so every image has dark ink on a light ground")
    p.add_argument("--crops", type=Path, nargs="+", default=[],
                   help="split output folders: their crops that were never pushed join the set too, "
                        "labelled by the latest model in --model-dir when at least --min-confidence")
    p.add_argument("--model-dir", type=Path, default=Path(env("MODEL_DIR", "models")),
                   help="the ML backend's MODEL_DIR (env MODEL_DIR)")
    _add_studio_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("simulate", help="measure hand labels needed, with a simulated annotator (EVAL.md §2)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--heap", type=Path, required=True, help="folder of images to import")
    p.add_argument("--oracle", type=Path, required=True,
                   help="JSON Lines of {source, bbox, label}: the true label of crops")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for simulation.json, learning_curve.png and the run's own Label Studio")
    p.add_argument("--every", type=int, default=10, help="export and score after every this many labels")
    p.add_argument("--min-confidence", type=float, default=0.8,
                   help="exports include unlabelled tasks predicted at least this confidently")
    p.add_argument("--seconds-per-label", type=float, default=2.0,
                   help="the annotator's pause after each label: Label Studio's replies add about 0.5 s, "
                        "so 2 s is a person who reads each crop and presses a key")
    p.add_argument("--max-fraction", type=float, default=0.15,
                   help="stop the uncertainty run after labelling this fraction of the tasks")
    p.add_argument("--random-factor", type=float, default=3.5,
                   help="the random run may use this many times the labels the uncertainty run needed "
                        "(as many as it used when it never reached the bar); 3.5 tells a ratio below 0.3 "
                        "even when random order never gets there")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--docs", type=Path, default=None,
                   help="also copy the figures and plot here, with a summary (simulation.md)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("up", help="start Label Studio and the ML backend locally, import a heap, connect",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("heap", type=Path, help="folder of scraped images")
    p.add_argument("--state", type=Path, default=Path(env("HEAP_CURATOR_STATE", "var")),
                   help="folder for Label Studio's data, crops, models and credentials (env HEAP_CURATOR_STATE)")
    p.add_argument("--out", type=Path, default=None, help="crop store (default: STATE/files/HEAP_NAME)")
    p.add_argument("--port", type=int, default=int(env("LABEL_STUDIO_PORT", "8080")), help="(env LABEL_STUDIO_PORT)")
    p.add_argument("--backend-port", type=int, default=int(env("PORT", "9090")), help="(env PORT)")
    p.add_argument("--detach", action="store_true", help="stop the stack once the import is done")
    _add_split_options(p)
    _add_studio_options(p)
    p.set_defaults(func=cmd_up)
    return parser


def main(argv: list[str] | None = None) -> None:
    a = build_parser().parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so servers this command started are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=a.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        with logging_redirect_tqdm():
            a.func(a)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"error: {exc}")
