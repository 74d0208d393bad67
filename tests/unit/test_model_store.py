"""A backend killed while saving a model: whatever it left half done in MODEL_DIR, a restarted
trainer serves the last good model (the end-to-end kill is in test_backend_restart_e2e.py)."""
from __future__ import annotations

import numpy as np
import pytest

from ml_backend.model import CropClassifier
from ml_backend.model_store import ModelStore, version_number
from ml_backend.trainer import Trainer

PID = 7
X = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
GOOD, OLDER, NEXT = "v2-20260101T000002", "v1-20260101T000001", "v3-20260101T000003"


def _model(seed: int) -> CropClassifier:
    labels = np.where(np.random.default_rng(seed).random(len(X)) < 0.5, "symbol", "garbage")
    return CropClassifier().fit(X, labels)


@pytest.fixture
def store(tmp_path) -> ModelStore:
    """Two good models, the newer one marked latest."""
    store = ModelStore(tmp_path)
    for seed, version in enumerate((OLDER, GOOD)):
        store.save(PID, version, _model(seed))
        store.mark_latest(PID, version)
    return store


def _restarted(store: ModelStore) -> Trainer:
    return Trainer(lambda pid: None, None, store.root)


def _assert_serves(store: ModelStore, version: str) -> None:
    served = _restarted(store).served(PID)
    assert served is not None and served.version == version
    expected = CropClassifier.load(store.root / f"project-{PID}" / f"{version}.npz")
    np.testing.assert_allclose(served.model.predict_proba(X), expected.predict_proba(X))


def _killed_inside_save(folder):  # save() writes a temp file beside the model, then renames it
    (folder / f"{NEXT}.npz.k1ll3d.tmp").write_bytes((folder / f"{GOOD}.npz").read_bytes()[:500])


def _killed_before_mark_latest(folder):  # the new model file is complete, nothing points at it
    _model(5).save(folder / f"{NEXT}.npz")


def _killed_inside_mark_latest(folder):  # the pointer's temp file, half written
    (folder / "latest.k1ll3d.tmp").write_text(NEXT[:5])


@pytest.mark.parametrize("kill", [_killed_inside_save, _killed_before_mark_latest, _killed_inside_mark_latest])
def test_a_save_killed_midway_leaves_the_last_good_model_in_service(store, kill):
    kill(store.root / f"project-{PID}")
    assert store.projects() == [PID]  # so resume() retrains it
    _assert_serves(store, GOOD)
    assert version_number(_restarted(store).served(PID).version) + 1 == 3  # the retrain's number


# Not reachable by SIGKILL (save and mark_latest rename complete files), but by a power loss
# before the data reached the disk (neither fsyncs) or a file removed by hand.
def test_latest_naming_a_missing_file_falls_back_to_the_newest_readable_model(store):
    (store.root / f"project-{PID}" / f"{GOOD}.npz").unlink()
    _assert_serves(store, OLDER)


def test_latest_naming_a_truncated_file_falls_back_to_the_newest_readable_model(store):
    path = store.root / f"project-{PID}" / f"{GOOD}.npz"
    path.write_bytes(path.read_bytes()[:300])
    _assert_serves(store, OLDER)
