"""The command lines: every default comes from the settings objects, environment variables reach them, --help is light."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from benchmarks.simulation_options import SimulationOptions
from export.variant import Variant
from importer.cli import LogSettings, build_parser
from importer.pipeline import JobOptions
from ml_backend import __main__ as backend_cli
from ml_backend.settings import BackendSettings, EmbedSettings
from settings.fields import from_args, from_env
from stack.settings import StackSettings
from studio.settings import ProjectSettings, StudioSettings
from waves.settings import UnpushedSettings, WaveSettings

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {  # a command line of each subcommand, and the settings its options build
    "split": (["split", "heap", "--out", "out"], [JobOptions]),
    "push": (["push", "out"], [StudioSettings, ProjectSettings, WaveSettings]),
    "import": (["import", "heap", "--out", "out"], [JobOptions, StudioSettings, ProjectSettings, WaveSettings]),
    "export": (["export", "out"], [Variant, UnpushedSettings, StudioSettings, ProjectSettings]),
    "simulate": (["simulate", "--heap", "h", "--oracle", "o", "--out", "d"], [SimulationOptions, JobOptions]),
    "up": (["up", "heap"], [StackSettings, JobOptions, ProjectSettings]),
}


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch):
    for cls in (JobOptions, StudioSettings, ProjectSettings, StackSettings, BackendSettings, LogSettings,
                WaveSettings, UnpushedSettings, EmbedSettings):
        for name in _env_names(cls):
            monkeypatch.delenv(name, raising=False)


def _env_names(cls) -> list[str]:
    """The environment variables of a settings class and of the settings it holds."""
    hints = typing.get_type_hints(cls)
    return [name for f in dataclasses.fields(cls)
            for name in (_env_names(hints[f.name]) if dataclasses.is_dataclass(hints[f.name])
                         else [f.metadata.get("env")] if f.metadata.get("env") else [])]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_importer_default_is_the_settings_default(command):
    argv, classes = COMMANDS[command]
    args = build_parser().parse_args(argv)
    for cls in classes:
        assert from_args(cls, args) == cls()
    assert args.log_level == LogSettings().log_level


def test_each_backend_default_is_the_settings_default():
    assert from_args(BackendSettings, backend_cli.build_parser().parse_args([])) == BackendSettings()


def test_each_embed_default_is_the_settings_default():
    from ml_backend.embed import build_parser as embed_parser
    assert from_args(EmbedSettings, embed_parser().parse_args(["out"])) == EmbedSettings()


def test_the_model_dir_is_the_backend_s_wherever_it_is_read():
    assert WaveSettings().models.model_dir == UnpushedSettings().models.model_dir \
        == EmbedSettings().model_dir == BackendSettings().model_dir


def test_environment_variables_reach_the_options(monkeypatch):
    monkeypatch.setenv("MAX_IMAGE_PIXELS", "1000")
    monkeypatch.setenv("SPLIT_MIN_SIZE", "9")
    monkeypatch.setenv("LABEL_CLASSES", "keep, drop ,other")
    job = from_args(JobOptions, build_parser().parse_args(["split", "h", "--out", "o"]))
    assert job.max_pixels == 1000 and job.split.min_size == 9
    assert from_args(ProjectSettings, build_parser().parse_args(["push", "o"])).classes == ("keep", "drop", "other")
    backend = from_args(BackendSettings, backend_cli.build_parser().parse_args([]))
    assert backend.max_pixels == 1000, "the backend's loader gets the same pixel limit"


def test_options_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("WORKERS", "3")
    args = build_parser().parse_args(["split", "h", "--out", "o", "--workers", "1"])
    assert from_args(JobOptions, args).workers == 1


def test_an_empty_optional_variable_means_unset():
    assert from_env(StudioSettings, {"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": ""}).document_root is None
    assert from_env(BackendSettings, {"LABEL_STUDIO_URL": "http://ls:8080"}).studio.url == "http://ls:8080"


def test_help_never_shows_the_api_key(monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "sekrit-token")
    monkeypatch.setenv("BASIC_AUTH_PASS", "sekrit-pass")
    parser = build_parser()
    helps = [parser._subparsers._group_actions[0].choices[c].format_help() for c in COMMANDS]
    helps.append(backend_cli.build_parser().format_help())
    assert all("sekrit" not in h for h in helps)
    assert "LABEL_STUDIO_API_KEY" in helps[1]


def test_help_imports_neither_torch_nor_the_sdk():
    code = ("import sys; from importer.cli import build_parser; from ml_backend.__main__ import build_parser as b; "
            "build_parser().format_help(); b().format_help(); "
            "print(sorted(m for m in ('torch', 'label_studio_sdk', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == "[]"


def test_split_command_writes_the_manifest(tmp_path, capsys):
    from PIL import Image, ImageDraw
    from importer.cli import main
    heap = tmp_path / "heap"
    heap.mkdir()
    picture = Image.new("RGB", (60, 40), "white")
    ImageDraw.Draw(picture).ellipse((10, 8, 45, 32), outline="black", width=3)
    picture.save(heap / "one.png")
    (heap / "broken.jpg").write_bytes(b"<html>not found</html>")
    main(["split", str(heap), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert "2 files: 1 crops kept" in capsys.readouterr().out
    assert (tmp_path / "out" / "manifest.jsonl").exists() and (tmp_path / "out" / "bad_files.jsonl").exists()


def test_a_missing_heap_is_a_clear_error(tmp_path):
    from importer.cli import main
    with pytest.raises(SystemExit, match="heap folder not found"):
        main(["split", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])


def test_export_of_never_pushed_crops_needs_a_confidence_and_the_document_root(tmp_path):
    from importer.cli import main
    with pytest.raises(SystemExit, match="--crops exports model-labelled crops"):
        main(["export", str(tmp_path / "set"), "--crops", str(tmp_path / "out"), "--document-root", str(tmp_path)])


def test_a_task_budget_below_one_is_a_clear_error(tmp_path):
    from importer.push import push
    (tmp_path / "out" / "crops").mkdir(parents=True)
    with pytest.raises(ValueError, match="--max-tasks must be at least 1"):
        push(tmp_path / "out", None, tmp_path, "any", max_tasks=0)


def test_the_readme_option_tables_are_the_generated_ones():
    tables = subprocess.run([sys.executable, str(ROOT / "scripts" / "option_tables.py")], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert tables in (ROOT / "README.md").read_text(), "rerun python scripts/option_tables.py into README.md"
