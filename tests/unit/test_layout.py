"""The package layout: importer/ and ml_backend/ never import each other, and the backend's image holds what it imports."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
IMPORT = re.compile(r"^\s*(?:from|import)\s+(\w+)", re.M)


def imported_packages(package: str) -> set[str]:
    """The project's packages that the modules of ``package`` import."""
    return {name for path in (ROOT / package).rglob("*.py")
            for name in IMPORT.findall(path.read_text()) if name in PACKAGES and name != package}


def test_importer_and_ml_backend_do_not_import_each_other():
    assert "ml_backend" not in imported_packages("importer")
    assert "importer" not in imported_packages("ml_backend")


def test_the_import_stages_never_reach_the_backend():
    """Only importer/cli.py reaches past the stages (to export/, stack/, benchmarks/, waves/), and lazily:
    importing the command line and every stage loads no ml_backend module."""
    stages = {name for path in (ROOT / "importer").glob("*.py") if path.name != "cli.py"
              for name in IMPORT.findall(path.read_text()) if name in PACKAGES}
    assert stages <= {"importer", "cluster", "imaging", "storage", "settings", "studio"}
    modules = [f"importer.{p.stem}" for p in (ROOT / "importer").glob("*.py") if p.stem != "__main__"]
    code = (f"import sys; import {', '.join(modules)}; importer.cli.build_parser().format_help(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ml_backend'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() == "[]"


def test_the_shared_packages_import_neither_side():
    for shared in ("studio", "imaging", "storage", "settings", "cluster"):
        assert not imported_packages(shared) & {"importer", "ml_backend", "export", "stack", "benchmarks", "waves"}, shared


def test_the_backend_image_copies_exactly_what_the_backend_imports():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dict(re.findall(r"^FROM \S+ AS (\w+)\n(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S))
    copied = lambda stage: set(re.findall(r"^COPY (\w+) \1$", stages[stage], re.M))
    backend = copied("base") | copied("backend")
    needed, todo = set(), ["ml_backend"]
    while todo:
        package = todo.pop()
        needed.add(package)
        todo += sorted(imported_packages(package) - needed)
    assert backend == needed
