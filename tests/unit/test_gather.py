"""Gather: image files found in a stable order, symlink loops walked once."""
import os
from pathlib import Path

from importer.gather import gather, relative_source


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_gathers_image_suffixes_in_any_case_recursively_in_sorted_order(tmp_path):
    for name in ("a/b/one.PNG", "a/two.jpeg", "three.Tiff", "z.webp"):
        _touch(tmp_path / name)
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / "a/readme.md")
    found = [p.relative_to(tmp_path).as_posix() for p in gather(tmp_path)]
    assert found == ["three.Tiff", "z.webp", "a/two.jpeg", "a/b/one.PNG"]


def test_symlink_loop_is_walked_once(tmp_path):
    _touch(tmp_path / "d/pic.png")
    os.symlink(tmp_path, tmp_path / "d/loop")
    os.symlink(tmp_path / "d", tmp_path / "again")
    found = list(gather(tmp_path))
    assert [p.name for p in found] == ["pic.png"]


def test_relative_source_uses_forward_slashes(tmp_path):
    assert relative_source(tmp_path / "x" / "y.png", tmp_path) == "x/y.png"
