"""Split quality and speed: our splitter against the classic contour splitter, same run.

    python -m benchmarks.split_bench HEAP_DIR [--out docs/]

Decodes each file of HEAP_DIR/truth.json once, times both splitters on the same pictures,
writes their crops as JSON Lines, scores both with /work/shared/score_split.py (EVAL.md's
IoU ≥ 0.8 matching) and writes OUT/split_benchmark.md and OUT/split_benchmark.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from benchmarks.classic import classic_split
from imaging.decode import BadImage, decode
from importer.split import split

SCORER = Path(__file__).resolve().parents[2] / "shared" / "score_split.py"


def timed_crops(pictures: dict, splitter, desc: str) -> tuple[list[dict], float]:
    """All crops of ``splitter`` over ``pictures`` and the seconds it took."""
    crops, start = [], time.perf_counter()
    for source, picture in tqdm(pictures.items(), desc=desc, unit="file"):
        crops += [{"source": source, "bbox": list(b)} for b in splitter(picture)]
    return crops, time.perf_counter() - start


def score(truth_path: Path, crops: list[dict], scorer: Path) -> dict:
    """EVAL.md's scores, from the shared scorer run on ``crops``."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.writelines(json.dumps(c) + "\n" for c in crops)
    out = subprocess.run([sys.executable, str(scorer), str(truth_path), f.name, "--json"],
                         check=True, capture_output=True, text=True).stdout
    Path(f.name).unlink()
    return json.loads(out)


def table(ours: dict, classic: dict) -> list[str]:
    """Markdown rows per layout: recall and precision of both splitters."""
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    rows = ["| layout | items | recall ours | recall classic | precision ours | precision classic "
            "| crops ours | crops classic |", "|---|---|---|---|---|---|---|---|"]
    groups = sorted(g for g in ours if g not in ("all", "unknown_sources") and not g.startswith("label:"))
    for g in groups + ["all"]:
        o, c = ours[g], classic.get(g, {})
        rows.append(f"| {g} | {o['items']} | {fmt(o['recall'])} | {fmt(c.get('recall'))} | "
                    f"{fmt(o['precision'])} | {fmt(c.get('precision'))} | {o['crops']} | {c.get('crops')} |")
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("heap", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs"))
    ap.add_argument("--scorer", type=Path, default=SCORER)
    a = ap.parse_args(argv)
    truth_path = a.heap / "truth.json"
    truth = json.loads(truth_path.read_text())

    pictures, bad, start = {}, {}, time.perf_counter()
    for source in tqdm(sorted(truth), desc="decode", unit="file"):
        try:
            pictures[source] = decode(a.heap / source)
        except BadImage as exc:
            bad[source] = str(exc)
    decode_s = time.perf_counter() - start

    ours, ours_s = timed_crops(pictures, split, "ours")
    classic, classic_s = timed_crops({s: p.rgb for s, p in pictures.items()}, classic_split, "classic")
    a.out.mkdir(parents=True, exist_ok=True)
    for name, crops in (("ours", ours), ("classic", classic)):
        (a.out / f"split_crops_{name}.jsonl").write_text("".join(json.dumps(c) + "\n" for c in crops))
    scores = {"ours": score(truth_path, ours, a.scorer), "classic": score(truth_path, classic, a.scorer)}

    n = len(pictures)
    speed = {"files": n, "bad_files": len(bad), "decode_s": decode_s,
             "ours_s": ours_s, "classic_s": classic_s,
             "ours_files_per_s": n / ours_s, "classic_files_per_s": n / classic_s,
             "speed_ratio": classic_s / ours_s,
             "speed_ratio_with_decode": (classic_s + decode_s) / (ours_s + decode_s),
             "machine": f"{platform.processor() or platform.machine()}, {platform.system()}, one process"}
    report = {"heap": str(a.heap), "scores": scores, "speed": speed, "bad_files": bad}
    (a.out / "split_benchmark.json").write_text(json.dumps(report, indent=1))
    lines = [f"# Split benchmark: `{a.heap}`", "",
             f"{n} decoded files ({len(bad)} refused as bad). IoU ≥ 0.8, scored by "
             "`/work/shared/score_split.py`.", "", *table(scores["ours"], scores["classic"]), "",
             f"Speed (same run, same decoded pictures, {speed['machine']}): ours "
             f"{speed['ours_files_per_s']:.1f} files/s, classic {speed['classic_files_per_s']:.1f} files/s, "
             f"ratio ours/classic {speed['speed_ratio']:.2f}× "
             f"({speed['speed_ratio_with_decode']:.2f}× counting decoding, {decode_s:.1f} s).", ""]
    (a.out / "split_benchmark.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return report


if __name__ == "__main__":
    main()
