"""Command line: ``python -m importer {split,push,import,export,simulate,up}``.

Every option is a field of a settings object and defaults from its environment variable
(Label Studio's own names where they exist), so the same settings work on the command
line, in a shell profile and in docker-compose. ``export``, ``simulate``, ``up`` and
``push --max-tasks`` run code outside the import stages (``export/``, ``benchmarks/``,
``stack/``, ``waves/``), imported only when they run, so ``--help`` stays fast and the
import stages never load the ML backend.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.simulation_options import SimulationOptions
from export.variant import Variant
from importer.pipeline import JobOptions
from settings.fields import add_options, from_args, setting
from stack.settings import StackSettings
from studio.settings import ProjectSettings, StudioSettings
from waves.settings import UnpushedSettings, WaveSettings

log = logging.getLogger("importer")


@dataclass(frozen=True)
class LogSettings:
    log_level: str = setting("WARNING", env="LOG_LEVEL", help="logging level")


def _split(a: argparse.Namespace) -> None:
    from importer.pipeline import run_split
    summary = run_split(a.heap, a.out, from_args(JobOptions, a))
    print(f"{summary.files} files: {summary.crops} crops kept, {summary.duplicates} duplicates, "
          f"{summary.blanks} blank crops dropped, {summary.bad_files} unreadable files "
          f"(see {a.out / 'bad_files.jsonl'})")


def _studio(a: argparse.Namespace):
    from studio.client import Studio
    return Studio(a.url, a.api_key)


def cmd_push(a: argparse.Namespace) -> None:
    from importer.push import push
    if a.document_root is None:
        sys.exit("error: --document-root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT) is required to push")
    rank = None
    if a.max_tasks is not None:
        from waves.priority import ranker
        rank = ranker(a.model_dir, a.document_root)
    summary = push(a.out, _studio(a), a.document_root, a.project, a.classes, max_tasks=a.max_tasks, rank=rank)
    print(f"project {summary.project_id}: {summary.imported} tasks imported, "
          f"{summary.already_there} already there, {summary.left} left for later waves")


def cmd_import(a: argparse.Namespace) -> None:
    _split(a)
    cmd_push(a)


def cmd_up(a: argparse.Namespace) -> None:
    """Start the local stack, import the heap, connect the backend, serve until Ctrl-C."""
    from importer.push import push
    from stack.local import LocalStack
    stack = LocalStack(a.state, ls_port=a.port, backend_port=a.backend_port)
    out = a.out or stack.document_root / a.heap.resolve().name
    with stack:
        _split(argparse.Namespace(**{**vars(a), "out": out}))
        summary = push(out, stack.studio(), stack.document_root, a.project, a.classes)
        stack.connect(summary.project_id)
        print(f"\nLabel Studio: {stack.ls_url}/projects/{summary.project_id}  "
              f"({summary.imported} new tasks, {summary.already_there} already there)\n"
              f"Log in with the user and password in {stack.state / 'credentials.env'}.\n"
              "Press Ctrl-C to stop.")
        if not a.detach:
            signal.sigwait({signal.SIGINT, signal.SIGTERM})


def cmd_export(a: argparse.Namespace) -> None:
    from export.curated import export
    from importer.push import find_project
    from studio.project import LabelStudioProject
    if a.crops and (a.min_confidence is None or a.document_root is None):
        sys.exit("error: --crops exports model-labelled crops: it needs --min-confidence and "
                 "--document-root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)")
    project_id = find_project(_studio(a), a.project)
    if project_id is None:
        sys.exit(f"error: no Label Studio project called {a.project!r}")
    project = LabelStudioProject(a.url, a.api_key, project_id, a.document_root)
    counts = export(project, a.out, a.min_confidence, from_args(Variant, a), _unpushed(a, project_id))
    print(f"exported to {a.out}: " + ", ".join(f"{n} {c}" for c, n in counts.items()))


def _unpushed(a: argparse.Namespace, project_id: int):
    """``export``'s source of model-labelled crops that never became tasks (``export --crops``), or None."""
    if not a.crops:
        return None
    from waves.unpushed import model_labelled
    return model_labelled([Path(c) for c in a.crops], a.document_root, a.model_dir, project_id, a.min_confidence)


def cmd_simulate(a: argparse.Namespace) -> None:
    from benchmarks.simulate import Oracle, simulate, write_docs
    from storage.files import read_jsonl
    result = simulate(a.heap, a.oracle, a.out, from_args(SimulationOptions, a), from_args(JobOptions, a))
    if a.docs:
        write_docs(a.out, a.docs, Oracle(read_jsonl(a.oracle)))
    print(f"{result['tasks']} tasks; bar reached after {result['labels_to_bar']} labels "
          f"(random order: {result['labels_to_bar_random']}); ratio {result['ratio']}; "
          f"see {a.out / 'simulation.json'} and {a.out / 'learning_curve.png'}")


def _options(p: argparse.ArgumentParser, *groups: tuple[str, type]) -> None:
    for title, cls in groups:
        add_options(p.add_argument_group(title), cls)


SPLITTING, STUDIO, PROJECT = ("splitting", JobOptions), ("Label Studio", StudioSettings), ("project", ProjectSettings)
WAVES = ("heaps larger than one project (docs/SCALE.md)", WaveSettings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m importer", description=__doc__.split("\n\n")[0])
    add_options(parser, LogSettings)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("split", help="split a heap into crops, write manifest.jsonl and bad_files.jsonl")
    p.add_argument("heap", type=Path, help="folder of scraped images, walked recursively")
    p.add_argument("--out", type=Path, required=True, help="output folder (crops/, manifest, report)")
    _options(p, SPLITTING)
    p.set_defaults(func=_split)

    p = sub.add_parser("push", help="import the crops of a split output folder into Label Studio")
    p.add_argument("out", type=Path, help="output folder of a previous split")
    _options(p, STUDIO, PROJECT, WAVES)
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("import", help="split, then push (re-runs add only new crops)")
    p.add_argument("heap", type=Path, help="folder of scraped images, walked recursively")
    p.add_argument("--out", type=Path, required=True, help="output folder, below the document root")
    _options(p, SPLITTING, STUDIO, PROJECT, WAVES)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write the curated set: OUT/<class>/*.png and OUT/manifest.jsonl")
    p.add_argument("out", type=Path, help="export folder; re-exporting updates it in place")
    p.add_argument("--min-confidence", type=float, default=None,
                   help="also export unlabelled tasks whose current prediction is at least this "
                        "confident (0.5-1), marked labelled_by=model; default: human labels only")
    _options(p, ("image variant", Variant), ("never-pushed crops (docs/SCALE.md)", UnpushedSettings), STUDIO, PROJECT)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("simulate", help="measure hand labels needed, with a simulated annotator (EVAL.md §2)")
    p.add_argument("--heap", type=Path, required=True, help="folder of images to import")
    p.add_argument("--oracle", type=Path, required=True,
                   help="JSON Lines of {source, bbox, label}: the true label of crops")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for simulation.json, learning_curve.png and the run's own Label Studio")
    p.add_argument("--docs", type=Path, default=None,
                   help="also copy the figures and plot here, with a summary (simulation.md)")
    _options(p, ("simulation", SimulationOptions), SPLITTING)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("up", help="start Label Studio and the ML backend locally, import a heap, connect")
    p.add_argument("heap", type=Path, help="folder of scraped images")
    p.add_argument("--out", type=Path, default=None, help="crop store (default: STATE/files/HEAP_NAME)")
    p.add_argument("--detach", action="store_true", help="stop the stack once the import is done")
    _options(p, ("local stack", StackSettings), SPLITTING, PROJECT)
    p.set_defaults(func=cmd_up)
    return parser


def main(argv: list[str] | None = None) -> None:
    a = build_parser().parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so servers this command started are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=a.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from tqdm.contrib.logging import logging_redirect_tqdm
    try:
        with logging_redirect_tqdm():
            a.func(a)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"error: {exc}")
