"""Embedding on Ray fills the backend's feature cache exactly as the local engine does, and
the backend then scores the split's crops from that cache without computing any."""
from __future__ import annotations

from pathlib import Path

import pytest

from importer.pipeline import JobOptions, run_split
from storage.layout import MANIFEST
from storage.files import read_jsonl, write_jsonl
from ml_backend.embed import embed_split
from ml_backend.features import Embedder
from ml_backend.offline import StoreLoader, backend_views, split_tasks

pytest.importorskip("ray.data")
from ray_helpers import ray_two_cpus  # noqa: E402,F401


class CountingEmbedder(Embedder):
    """The backend's embedder, counting the crops it has to compute."""

    computed = 0

    def _embed_batch(self, rgbs):
        CountingEmbedder.computed += len(rgbs)
        return super()._embed_batch(rgbs)


def _cache(model_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(model_dir).as_posix(): p.read_bytes() for p in sorted(model_dir.rglob("*.npy"))}


@pytest.fixture(scope="module")
def split_out(small_heap, tmp_path_factory) -> tuple[Path, Path]:
    """(document root, split folder) of 30 crops cut from the small heap's collections and its single pictures."""
    root = tmp_path_factory.mktemp("files")
    out = root / "split"
    run_split(small_heap, out, JobOptions(workers=1))
    kept = [r for r in read_jsonl(out / MANIFEST) if "path" in r]
    rows = [r for r in kept if "source_image" in r][:30] + [r for r in kept if "source_image" not in r][:10]
    assert len(rows) > 30  # single pictures among them
    write_jsonl(out / MANIFEST, rows)
    return root, out


def test_ray_embedding_equals_the_local_one_and_the_backend_computes_nothing(split_out, tmp_path, ray_two_cpus):
    root, out = split_out
    entries, computed = embed_split(out, root, tmp_path / "local", "local")
    assert entries == computed > len(read_jsonl(out / MANIFEST))  # crops and their context windows
    assert embed_split(out, root, tmp_path / "ray", "ray", workers=2) == (entries, entries)
    assert _cache(tmp_path / "ray") == _cache(tmp_path / "local")  # byte for byte
    assert embed_split(out, root, tmp_path / "ray", "ray", workers=2) == (entries, 0)  # a re-run: all cached

    tasks = [{**t, "id": i} for i, t in enumerate(split_tasks(out, root))]
    CountingEmbedder.computed = 0
    features = backend_views(tmp_path / "ray", CountingEmbedder).features(tasks, StoreLoader(root))
    assert CountingEmbedder.computed == 0
    assert features.shape[0] == len(tasks) and (features != 0).any(axis=1).all()
