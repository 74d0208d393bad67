"""The simulated annotator's offline parts: oracle matching, the report and the docs it writes."""
import json

from benchmarks.boxes import iou
from benchmarks.simulate import Oracle, Run, SimulationOptions, plot, report, write_docs
from storage.files import write_jsonl


def test_iou():
    assert iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert iou([0, 0, 10, 10], [10, 10, 5, 5]) == 0.0
    assert abs(iou([0, 0, 10, 10], [5, 0, 10, 10]) - 50 / 150) < 1e-9


def test_oracle_matches_by_source_and_overlap_and_defaults_to_garbage():
    oracle = Oracle([{"source": "a.png", "bbox": [10, 10, 20, 20], "label": "symbol"},
                     {"source": "a.png", "bbox": [50, 10, 20, 20], "label": "garbage"}])
    assert oracle.label("a.png", [11, 10, 20, 20]) == "symbol"
    assert oracle.label("a.png", [10, 10, 40, 20]) == "garbage"  # too loose a box matches nothing
    assert oracle.label("b.png", [10, 10, 20, 20]) == "garbage"


def test_labels_to_bar_is_the_first_point_meeting_both_bars():
    run = Run("x", [{"labels": 10, "precision": 0.99, "recall": 0.90},
                    {"labels": 20, "precision": 0.97, "recall": 0.96},
                    {"labels": 30, "precision": 0.985, "recall": 0.951}])
    assert run.labels_to_bar == 30
    assert Run("y", run.curve[:2]).labels_to_bar is None


def test_report_bounds_the_ratio_when_random_never_reaches_the_bar():
    active = Run("uncertainty", [{"labels": 40, "precision": 1.0, "recall": 1.0}])
    never = Run("random", [{"labels": 200, "precision": 0.9, "recall": 0.5}])
    out = report([active, never], tasks=1000, random_budget=200)
    assert out["labels_to_bar"] == 40 and out["labels_to_bar_random"] is None
    assert out["ratio"] is None and out["ratio_upper_bound"] == 0.2 and out["fraction_to_bar"] == 0.04


def test_docs_hold_the_figures_the_plot_and_a_summary(tmp_path):
    runs = [Run("uncertainty", [{"labels": 10, "precision": 0.9, "recall": 0.5},
                                {"labels": 20, "precision": 0.99, "recall": 0.96}]),
            Run("random", [{"labels": 50, "precision": 0.99, "recall": 0.97}])]
    result = {**report(runs, tasks=400, random_budget=100), "heap": "heap", "keep": "symbol",
              "options": vars(SimulationOptions())}
    (tmp_path / "simulation.json").write_text(json.dumps(result))
    plot(runs, 400, tmp_path / "learning_curve.png")
    oracle = Oracle([{"source": "a.png", "bbox": [0, 0, 10, 10], "label": "symbol"},
                     {"source": "a.png", "bbox": [20, 0, 10, 10], "label": "garbage"}])
    (tmp_path / "export-uncertainty").mkdir()
    write_jsonl(tmp_path / "export-uncertainty" / "manifest.jsonl", [
        {"label": "symbol", "source": "a.png", "bbox": [0, 0, 10, 10]},  # right
        {"label": "symbol", "source": "a.png", "bbox": [20, 0, 10, 10]},  # oracle garbage
        {"label": "symbol", "source": "a.png", "bbox": [0, 0, 10, 20]},  # half an item: splitter error
        {"label": "symbol", "source": "b.png", "bbox": [0, 0, 10, 10]}])  # no item
    write_docs(tmp_path, tmp_path / "docs", oracle)
    summary = (tmp_path / "docs" / "simulation.md").read_text()
    assert "20 labels (5.0% of the tasks)" in summary and "50 labels (12.5%" in summary
    assert "Ratio: 0.40" in summary
    assert "uncertainty: {'oracle garbage': 1, 'splitter error': 1, 'no item': 1}" in summary
    assert json.loads((tmp_path / "docs" / "simulation.json").read_text())["labels_to_bar"] == 20
    assert (tmp_path / "docs" / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
