"""CropClassifier: fit/predict_proba conventions, validation, atomic save and load."""
import os
import time

import numpy as np
import pytest

from ml_backend.model import CropClassifier


def data(n=200, dim=32, seed=0, minority=0.1):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < minority, "garbage", "symbol")
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x[:, 0] += np.where(y == "garbage", 2.5, -2.5)
    return x, y


def test_fit_predicts_held_out_rows():
    x, y = data(400)
    model = CropClassifier().fit(x[:200], y[:200])
    proba = model.predict_proba(x[200:])
    assert list(model.classes_) == ["garbage", "symbol"]
    assert proba.shape == (200, 2) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert (model.predict(x[200:]) == y[200:]).mean() > 0.95


def test_class_balance_keeps_the_rare_class():
    x, y = data(1000, dim=8, minority=0.03, seed=1)
    model = CropClassifier().fit(x[:300], y[:300])
    rare = y[300:] == "garbage"
    assert (model.predict(x[300:])[rare] == "garbage").mean() > 0.9


@pytest.mark.parametrize("x, y", [
    (np.zeros((4, 3)), ["a", "a", "a", "a"]),          # single class
    (np.zeros((4, 3)), ["a", "b", "a"]),               # length mismatch
    (np.zeros((4,)), ["a", "b", "a", "b"]),            # not 2-D
    (np.full((2, 3), np.nan), ["a", "b"]),             # not finite
])
def test_fit_rejects_bad_input(x, y):
    with pytest.raises(ValueError):
        CropClassifier().fit(x, y)


def test_predict_rejects_wrong_width():
    x, y = data(50)
    with pytest.raises(ValueError):
        CropClassifier().fit(x, y).predict_proba(np.zeros((2, 5)))


def test_a_costly_class_takes_over_the_uncertain_rows():
    x, y = data(400, minority=0.5, seed=2)
    x[:, 0] *= 0.3  # overlapping classes, so the boundary's place matters
    plain = CropClassifier().fit(x, y).predict_proba(x)[:, 0]
    costly = CropClassifier(costs={"garbage": 2.5}).fit(x, y).predict_proba(x)[:, 0]
    assert costly.mean() > plain.mean() + 0.02
    assert (costly > 0.5).sum() > (plain > 0.5).sum()
    # an unnamed class keeps cost 1
    assert np.allclose(CropClassifier(costs={"other": 5.0}).fit(x, y).predict_proba(x)[:, 0], plain, atol=1e-4)


def test_costs_must_be_positive():
    x, y = data(50)
    with pytest.raises(ValueError, match="costs"):
        CropClassifier(costs={"garbage": 0.0}).fit(x, y)


@pytest.mark.parametrize("costs", [None, {"garbage": 2.5}])
def test_save_is_atomic_and_round_trips(tmp_path, costs):
    x, y = data(100)
    model = CropClassifier(weight_decay=0.01, costs=costs).fit(x, y)
    path = tmp_path / "m" / "v1.npz"
    model.save(path)
    assert os.listdir(path.parent) == ["v1.npz"]  # no temp file left behind
    loaded = CropClassifier.load(path)
    assert loaded.weight_decay == 0.01 and list(loaded.classes_) == list(model.classes_)
    assert loaded.costs == (costs or {})
    assert np.allclose(loaded.predict_proba(x), model.predict_proba(x))


def test_pool_sets_the_standardisation():
    x, y = data(400)
    pool = x * 3.0 + 1.0  # statistics unlike the labelled rows'
    model = CropClassifier().fit(x[:100], y[:100], pool=pool)
    assert np.allclose(model.mean_, pool.mean(0), atol=1e-5)
    assert np.allclose(model.scale_, pool.std(0) + 1e-6, atol=1e-5)
    assert (model.predict(x[100:]) == y[100:]).mean() > 0.95
    unpooled = CropClassifier().fit(x[:100], y[:100])
    assert not np.allclose(unpooled.mean_, model.mean_)


def test_pool_of_another_width_is_refused():
    x, y = data(50)
    with pytest.raises(ValueError, match="pool"):
        CropClassifier().fit(x, y, pool=np.zeros((10, 5)))
