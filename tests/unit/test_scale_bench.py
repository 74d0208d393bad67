"""The scale benchmark's pure parts: the linked heap, quantiles, runs merged, targets judged."""
import json

from benchmarks.scale_bench import link_heap, markdown, merge, quantiles, verdicts


def heap(folder, name, items_per_file):
    root = folder / name
    (root / "sub").mkdir(parents=True)
    rows = []
    for i, n in enumerate(items_per_file):
        (root / "sub" / f"{i}.png").write_bytes(b"png")
        rows += [{"source": f"sub/{i}.png", "bbox": [0, 0, 1, 1], "label": "symbol"}] * n
    (root / "oracle.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_link_heap_takes_files_round_robin_until_the_oracle_items_reach_the_count(tmp_path):
    a, b = heap(tmp_path, "a", [3, 3, 3]), heap(tmp_path, "b", [5, 5])
    summary, oracle = link_heap([a, b], 10, tmp_path / "linked")
    assert summary["files"] == 3 and summary["oracle_items"] == 11  # a/0, b/0, then a/1
    assert sorted(p.relative_to(tmp_path / "linked").as_posix() for p in (tmp_path / "linked").rglob("*.png")) == \
        ["a/sub/0.png", "a/sub/1.png", "b/sub/0.png"]
    assert oracle.label("b/sub/0.png", [0, 0, 1, 1]) == "symbol"  # sources as the linked heap names them


def test_quantiles_use_the_nearest_rank():
    q = quantiles([float(i) for i in range(1, 21)])
    assert q == {"n": 20, "p50_s": 10.5, "p95_s": 19.0, "max_s": 20.0}
    assert quantiles([]) == {"n": 0}


def run(crops, database, **steps):
    return {"crops_asked": crops, "database": database, "tasks": crops, "machine": {"nproc": 2, "cpu": "x"},
            "heap": {"files": 1, "heaps": ["h"], "oracle_items": crops}, "labels": 20, "submits": 30, "pace": 2.0,
            "finished": None, "steps": steps, "peak_rss_mb": {"backend": 1500.0}}


def test_a_new_run_replaces_the_one_of_the_same_size_and_database():
    old = [run(32000, "sqlite", split_s=1), run(2500, "sqlite", split_s=2)]
    runs = merge(old, run(32000, "sqlite", split_s=3))
    assert [(r["crops_asked"], r["steps"]["split_s"]) for r in runs] == [(2500, 2), (32000, 3)]
    assert len(merge(runs, run(2500, "postgresql"))) == 3


def test_targets_are_judged_only_where_the_step_ran():
    partial = run(100, "sqlite", first_predictions_s=700.0, retrain_to_served_s=4.0)
    assert verdicts(partial) == {"first_predictions_s": False, "retrain_to_served_s": True,
                                 "next_task_p95_s": None, "backend_peak_mb": True}
    table = markdown([partial])
    assert "| connect → every task has a first prediction (s; target ≤ 600) | 700.0 |" in table
    assert "first_predictions_s ✗, retrain_to_served_s ✓, next_task_p95_s –" in table
