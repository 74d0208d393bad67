"""Print the README's option tables, built from the settings objects: `python scripts/option_tables.py`."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project's packages, without PYTHONPATH

from benchmarks.simulation_options import SimulationOptions
from export.variant import Variant
from importer.cli import LogSettings
from importer.pipeline import JobOptions
from ml_backend.settings import BackendSettings, EmbedSettings
from settings.fields import table
from stack.settings import StackSettings
from studio.settings import ProjectSettings, StudioSettings
from waves.settings import UnpushedSettings, WaveSettings

TABLES = {
    "`python -m importer` (split, push, import, export, up)":
        (StudioSettings, ProjectSettings, JobOptions, WaveSettings, Variant, UnpushedSettings,
         StackSettings, LogSettings),
    "`python -m importer simulate`": (SimulationOptions,),
    "`python -m ml_backend` (and gunicorn, from the environment)": (BackendSettings,),
    "`python -m ml_backend.embed` (heaps past one machine, docs/SCALE.md)": (EmbedSettings,),
}


def tables() -> str:
    """The tables as Markdown, one titled block per program."""
    return "\n\n".join(f"{title}:\n\n" + "\n".join(table(*classes)) for title, classes in TABLES.items())


if __name__ == "__main__":
    print(tables())
