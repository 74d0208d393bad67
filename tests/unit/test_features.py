"""Embedder: the real EfficientNet-Lite0 features, tapped blocks included, and their cache."""
import os
import subprocess
import sys

import numpy as np
import torch

from imaging.border import letterbox
from ml_backend.features import FEATURE_DIM, Embedder, lite0


def images(n=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rgb = np.full((40 + 10 * i, 30, 3), 255, np.uint8)
        rgb[10:30, 5:25] = rng.integers(0, 255, 3)
        out.append(rgb)
    return out


def test_features_hold_the_networks_own_output_and_the_tapped_blocks(tmp_path):
    embedder = Embedder(tmp_path)
    rgbs = images()
    features = embedder.embed(rgbs)
    assert features.shape == (3, FEATURE_DIM) and np.isfinite(features).all()
    batch = torch.from_numpy((np.stack([letterbox(r, embedder.size) for r in rgbs]).astype(np.float32) - 127) / 128)
    with torch.inference_mode():
        last = lite0(embedder.size).extract_features(batch.permute(0, 3, 1, 2)).mean(dim=(2, 3)).numpy()
    assert np.allclose(features[:, :1280], last, atol=1e-4)
    means, maxima = features[:, 1280:1320], features[:, 1320:1360]  # block 4: 40 channels
    assert (maxima >= means - 1e-5).all() and not np.allclose(features[0, 1280:], features[1, 1280:])


def test_cached_features_are_read_back_without_loading(tmp_path):
    rgbs = images()
    first = Embedder(tmp_path).features(["a", "b", "c"], lambda i: rgbs[i])

    def refuse(i):
        raise AssertionError("loaded a cached crop")

    again = Embedder(tmp_path).features(["a", "b", "c"], refuse)
    assert np.array_equal(first, again)


def test_the_backend_makes_openmp_threads_wait_passively_unless_told_otherwise():
    show = [sys.executable, "-c", "import os, ml_backend; print(os.environ['OMP_WAIT_POLICY'])"]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert subprocess.run(show, env=env, capture_output=True, text=True).stdout.strip() == "PASSIVE"
    told = subprocess.run(show, env={**env, "OMP_WAIT_POLICY": "ACTIVE"}, capture_output=True, text=True)
    assert told.stdout.strip() == "ACTIVE"
