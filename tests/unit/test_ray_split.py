"""The Ray engine splits a heap into the same manifest, crops and report as the local engine."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from importer.pipeline import JobOptions, run_split

pytest.importorskip("ray.data")
from ray_helpers import ray_two_cpus  # noqa: E402,F401  (the fixture; started after the first test, which needs no Ray running)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ray_engine_starts_and_stops_its_own_ray_without_an_address(small_heap, tmp_path, monkeypatch):
    from cluster.ray_engine import import_ray
    ray = import_ray()
    if ray.is_initialized():
        pytest.skip("a Ray session of this process is running")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    files = sorted(small_heap.rglob("*.png"))[:3]
    heap = tmp_path / "heap"
    heap.mkdir()
    for f in files:
        (heap / f.name).write_bytes(f.read_bytes())
    summary = run_split(heap, tmp_path / "out", JobOptions(workers=1, engine="ray"))
    assert summary.files == 3
    assert not ray.is_initialized()


def test_ray_engine_writes_what_the_local_engine_writes(small_heap, tmp_path, ray_two_cpus):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    expected = run_split(small_heap, local, JobOptions(workers=1))
    got = run_split(small_heap, on_ray, JobOptions(workers=2, engine="ray"))
    assert got == expected
    assert expected.crops > 10 and expected.bad_files > 0 and expected.duplicates > 0
    assert _tree(on_ray) == _tree(local)  # manifest, bad_files, crops/ and sources/, byte for byte


def test_unknown_engine_is_a_clear_error(small_heap, tmp_path):
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        run_split(small_heap, tmp_path / "out", JobOptions(engine="spark"))


def test_an_item_whose_worker_dies_is_lost_and_the_rest_go_on(ray_two_cpus):
    """Ray Data retries a task whose worker died for ever; a file that kills its worker
    (memory) would hang the split. Now it is tried twice, then stands as lost, in its place."""
    from cluster.ray_engine import ordered_map

    def dies_on_five(x):  # nested: Ray ships it by value to its workers
        if x == 5:
            os._exit(9)
        return 2 * x

    got = list(ordered_map(dies_on_five, list(range(12)), 2, lost=lambda x: ("lost", x)))
    assert got == [0, 2, 4, 6, 8, ("lost", 5), 12, 14, 16, 18, 20, 22]
    with pytest.raises(ray_two_cpus.exceptions.WorkerCrashedError):  # no one to stand in
        list(ordered_map(dies_on_five, list(range(8)), 2))
