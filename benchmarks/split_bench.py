"""Split quality and speed on the development and validation heaps, ours against the classic
contour splitter, in one run.

    python -m benchmarks.split_bench --dev data/dev2 --validation data/val [--out docs]

For each heap it runs ``python -m importer split`` as a user runs it (all cores: decode,
split, dedup, store) and ``python -m benchmarks.classic`` (one process: decode, Canny,
dilate, contours, boxes) on the same files, each timed whole-process in wall time; scores
both with the shared score_split.py (EVAL.md's IoU ≥ 0.8 matching), per layout; counts
the single pictures that give exactly one crop; and times each stage of ours on one core
(decode, split, dedup/hash, store). The gap between the heaps is printed as a figure of its
own. Writes OUT/split_benchmark.md and .json; with --save-before the run is also kept as
OUT/split_benchmark_before.json, which later runs are compared against.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.boxes import MATCH_IOU, iou, overlap
from benchmarks.classic import classic_split
from imaging.decode import BadImage, decode
from importer.dedup import Deduper
from importer.gather import gather
from importer.pipeline import JobOptions, is_blank
from importer.split import split
from importer.split.geometry import nearest_gaps
from importer.store import pixel_sha256, save_crop, save_source

SCORER = next((p / "shared" / "score_split.py" for p in Path(__file__).resolve().parents
               if (p / "shared" / "score_split.py").is_file()), Path("shared/score_split.py"))
BEFORE = "split_benchmark_before.json"
TARGETS = {"recall": 0.95, "precision": 0.92, "layout_recall": 0.85, "layout_precision": 0.80,
           "one_crop": 0.95, "speed_ratio": 1.0}  # issue 17's bar, on the validation heap


def timed_run(cmd: list[str]) -> float:
    """Wall seconds of a whole process, from start to exit."""
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
    return time.perf_counter() - start


def read_crops(path: Path) -> list[dict]:
    return [json.loads(s) for s in path.read_text().splitlines() if s.strip()]


def run_both(heap: Path, work: Path, repeat: int) -> dict:
    """Crops and best-of-``repeat`` wall seconds of both splitters over ``heap``."""
    ours_s, classic_s = [], []
    for n in range(repeat):
        out = work / f"ours{n}"
        ours_s.append(timed_run([sys.executable, "-m", "importer", "split", str(heap), "--out", str(out)]))
        classic_s.append(timed_run([sys.executable, "-m", "benchmarks.classic", str(heap),
                                    "--out", str(work / "classic.jsonl")]))
    return {"ours": read_crops(work / "ours0" / "manifest.jsonl"),
            "classic": read_crops(work / "classic.jsonl"),
            "ours_s": min(ours_s), "classic_s": min(classic_s)}


def score(truth_path: Path, crops: list[dict], scorer: Path) -> dict:
    """EVAL.md's scores, from the shared scorer run on ``crops``."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.writelines(json.dumps({"source": c["source"], "bbox": c["bbox"]}) + "\n" for c in crops)
    out = subprocess.run([sys.executable, str(scorer), str(truth_path), f.name, "--json"],
                         check=True, capture_output=True, text=True).stdout
    Path(f.name).unlink()
    return json.loads(out)


def one_crop_share(truth: dict, crops: list[dict]) -> dict[str, float]:
    """Share of single pictures giving exactly one crop, per layout and over all of them."""
    count = Counter(c["source"] for c in crops)
    singles = {s: t["layout"] for s, t in truth.items() if t["kind"] == "single"}
    share = {}
    for layout in sorted(set(singles.values())) + ["all"]:
        files = [s for s, lay in singles.items() if layout in (lay, "all")]
        share[layout] = sum(count[s] == 1 for s in files) / len(files) if files else None
    return share


MISSED = ["sheet as one crop", "with other items", "with a margin", "in parts", "part only", "no crop", "shifted"]


def boxes_by_source(crops: list[dict]) -> defaultdict[str, list]:
    """The crops' boxes, by the file they were cut from."""
    by_source = defaultdict(list)
    for c in crops:
        by_source[c["source"]].append(c["bbox"])
    return by_source


def missed_items(truth: dict, crops: list[dict]) -> dict[str, dict[str, int]]:
    """Why the true items no crop matches are missed, counted per layout and over all (see
    ``miss_kind``): counts only, so a heap's failure classes show without opening its files."""
    by_source = boxes_by_source(crops)
    kinds: dict[str, Counter] = defaultdict(Counter)
    for source, t in truth.items():
        boxes = [i["bbox"] for i in t["items"]]
        for item in boxes:
            kind = miss_kind(item, boxes, by_source.get(source, []))
            if kind:
                kinds[t["layout"]][kind] += 1
                kinds["all"][kind] += 1
    return {layout: dict(counts) for layout, counts in kinds.items()}


def miss_kind(item, items: list, crops: list) -> str | None:
    """Why ``item`` (a true box among its file's ``items``) is missed by its file's ``crops``,
    or None when a crop matches it: held by a crop with other items (the file's only crop
    holding three or more: the sheet as one crop), held by a crop with a margin of something
    else (its card, its caption), cut into parts (two crops or more lie mostly inside it), a
    part of it only, no crop on it, or shifted."""
    if any(iou(item, c) >= MATCH_IOU for c in crops):
        return None
    holders = [c for c in crops if overlap(item, c) >= 0.9 * item[2] * item[3]]
    if holders:
        held = max(sum(overlap(i, c) >= 0.5 * i[2] * i[3] for i in items) for c in holders)
        if held < 2:
            return "with a margin"
        return "sheet as one crop" if len(crops) == 1 and held >= 3 else "with other items"
    inside = sum(overlap(item, c) >= 0.5 * c[2] * c[3] for c in crops)
    if inside:
        return "in parts" if inside > 1 else "part only"
    return "shifted" if any(overlap(item, c) for c in crops) else "no crop"


def sprites_by_spacing(truth: dict, crops: list[dict]) -> dict[str, dict[str, int]]:
    """Sprite sheets' items found, by the sheet's spacing: "none" where its true boxes abut
    (the median gap from each to its nearest is 0: packed edge to edge), else "some".
    Counts only, as ``missed_items``."""
    by_source = boxes_by_source(crops)
    out = {k: {"sheets": 0, "items": 0, "found": 0} for k in ("none", "some")}
    for source, t in truth.items():
        if t["layout"] != "sprites" or len(t["items"]) < 2:
            continue
        boxes = np.array([i["bbox"] for i in t["items"]])
        boxes[:, 2:] += boxes[:, :2]
        row = out["none" if np.median(nearest_gaps(boxes)) <= 0 else "some"]
        row["sheets"] += 1
        row["items"] += len(boxes)
        row["found"] += sum(any(iou(i["bbox"], c) >= MATCH_IOU for c in by_source[source]) for i in t["items"])
    return out


def stage_costs(heap: Path, scratch: Path, most: int) -> dict[str, float]:
    """Seconds each stage of ours takes on one core over ``most`` files spread evenly over
    the heap, and the classic splitter on the same decoded pictures."""
    cost, deduper, blank = Counter(), Deduper(), JobOptions().blank_contrast
    files = list(gather(heap))
    if most and len(files) > most:
        files = [files[i * len(files) // most] for i in range(most)]
    for path in tqdm(files, desc=f"stages {heap.name}", unit="file"):
        t0 = time.perf_counter()
        try:
            picture = decode(path)
        except BadImage:
            continue
        t1 = time.perf_counter()
        boxes = split(picture)
        t2 = time.perf_counter()
        classic_split(picture.rgb)
        t3 = time.perf_counter()
        alpha = picture.alpha
        crops = [(picture.rgb[y:y + h, x:x + w].copy(), None if alpha is None else alpha[y:y + h, x:x + w])
                 for x, y, w, h in boxes]
        keep = [(pixel_sha256(c), c) for c, a in crops if not is_blank(c, blank, a)]
        keep = [(sha, c) for sha, c in keep if deduper.check(sha, c) is None]
        t4 = time.perf_counter()
        for sha, c in keep:
            save_crop(scratch, sha, c)
        if len(boxes) > 1:
            save_source(scratch, path, picture)
        t5 = time.perf_counter()
        cost.update({"decode": t1 - t0, "split": t2 - t1, "classic split": t3 - t2,
                     "dedup/hash": t4 - t3, "store": t5 - t4, "files": 1})
    return dict(cost)


def bench_heap(heap: Path, scorer: Path, repeat: int, stage_files: int) -> dict:
    """Every figure of one heap."""
    truth_path = heap / "truth.json"
    truth = json.loads(truth_path.read_text())
    files = sum(1 for _ in gather(heap))
    with tempfile.TemporaryDirectory(prefix="split-bench-") as work:
        runs = run_both(heap, Path(work), repeat)
        stages = stage_costs(heap, Path(work) / "stages", stage_files)
    return {"heap": str(heap), "files": files,
            "scores": {k: score(truth_path, runs[k], scorer) for k in ("ours", "classic")},
            "one_crop": {k: one_crop_share(truth, runs[k]) for k in ("ours", "classic")},
            "missed": missed_items(truth, runs["ours"]),
            "sprites_by_spacing": sprites_by_spacing(truth, runs["ours"]),
            "speed": {"ours_s": runs["ours_s"], "classic_s": runs["classic_s"],
                      "ours_files_per_s": files / runs["ours_s"],
                      "classic_files_per_s": files / runs["classic_s"],
                      "speed_ratio": runs["classic_s"] / runs["ours_s"]},
            "stages": stages}


# --- report ---------------------------------------------------------------------------------

def bench_stress(heap: Path, scorer: Path) -> dict:
    """Quality alone (ours and the classic) on a stress heap of one layout."""
    with tempfile.TemporaryDirectory(prefix="split-stress-") as work:
        runs = run_both(heap, Path(work), 1)
    truth = json.loads((heap / "truth.json").read_text())
    return {"heap": str(heap), "scores": {k: score(heap / "truth.json", runs[k], scorer)["all"]
                                          for k in ("ours", "classic")},
            "missed": missed_items(truth, runs["ours"]).get("all", {}),
            "sprites_by_spacing": sprites_by_spacing(truth, runs["ours"])}


def stress_table(stress: dict) -> list[str]:
    """Each stress heap's recall and precision, ours and the classic."""
    rows = ["| stress heap | items | recall ours / classic | precision ours / classic |", "|---|---|---|---|"]
    for name, h in stress.items():
        o, c = h["scores"]["ours"], h["scores"]["classic"]
        rows.append(f"| `{h['heap']}` | {o['items']} | {fmt(o['recall'])} / {fmt(c['recall'])} | "
                    f"{fmt(o['precision'])} / {fmt(c['precision'])} |")
    return rows


def missed_table(first: str, rows: dict[str, dict]) -> list[str]:
    """Missed items by kind (see ``miss_kind``), one row per name in ``rows``."""
    out = [f"| {first} | missed | " + " | ".join(MISSED) + " |", "|---" * (2 + len(MISSED)) + "|"]
    for name, counts in rows.items():
        out.append(f"| {name} | {sum(counts.values())} | " + " | ".join(str(counts.get(k, 0)) for k in MISSED) + " |")
    return out


def spacing_table(rows: dict[str, dict]) -> list[str]:
    """Sprite sheets' recall by spacing (see ``sprites_by_spacing``), one row per heap and spacing."""
    out = ["| heap | spacing | sheets | items | found | recall |", "|---|---|---|---|---|---|"]
    for name, by in rows.items():
        for spacing, r in by.items():
            if r["sheets"]:
                out.append(f"| {name} | {spacing} | {r['sheets']} | {r['items']} | {r['found']} | "
                           f"{fmt(r['found'] / r['items'])} |")
    return out


def fmt(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def groups(scores: dict) -> list[str]:
    names = {g for s in scores for g in s if g not in ("all", "unknown_sources")
             and not g.startswith("label:")}
    return sorted(names) + ["all"]


def quality_table(heaps: dict) -> list[str]:
    """Per layout, each heap side by side: recall and precision of ours and the classic."""
    names = list(heaps)
    head = "| layout | " + " | ".join(
        f"{n} items | {n} recall ours / classic | {n} precision ours / classic" for n in names) + " |"
    rows = [head, "|---" * (1 + 3 * len(names)) + "|"]
    for g in groups([h["scores"]["ours"] for h in heaps.values()]):
        cells = []
        for n in names:
            o, c = heaps[n]["scores"]["ours"].get(g, {}), heaps[n]["scores"]["classic"].get(g, {})
            cells += [str(o.get("items", "-")),
                      f"{fmt(o.get('recall'))} / {fmt(c.get('recall'))}",
                      f"{fmt(o.get('precision'))} / {fmt(c.get('precision'))}"]
        rows.append(f"| {g} | " + " | ".join(cells) + " |")
    return rows


def gap_table(dev: dict, val: dict) -> list[str]:
    """Validation minus development, ours, per layout: the cost of fitting one heap."""
    rows = ["| layout | recall dev → validation | gap | precision dev → validation | gap |",
            "|---|---|---|---|---|"]
    for g in groups([dev["scores"]["ours"], val["scores"]["ours"]]):
        d, v = dev["scores"]["ours"].get(g, {}), val["scores"]["ours"].get(g, {})
        cells = []
        for k in ("recall", "precision"):
            a, b = d.get(k), v.get(k)
            gap = f"{b - a:+.3f}" if a is not None and b is not None else "-"
            cells += [f"{fmt(a)} → {fmt(b)}", gap]
        rows.append(f"| {g} | " + " | ".join(cells) + " |")
    return rows


def one_crop_table(heaps: dict) -> list[str]:
    rows = ["| single pictures | " + " | ".join(f"{n} ours | {n} classic" for n in heaps) + " |",
            "|---" * (1 + 2 * len(heaps)) + "|"]
    layouts = sorted({g for h in heaps.values() for g in h["one_crop"]["ours"]} - {"all"}) + ["all"]
    for g in layouts:
        cells = [fmt(h["one_crop"][k].get(g)) for h in heaps.values() for k in ("ours", "classic")]
        rows.append(f"| {g} | " + " | ".join(cells) + " |")
    return rows


def speed_table(heaps: dict) -> list[str]:
    rows = ["| heap | files | ours: `importer split`, s | classic, s | ours files/s | classic files/s "
            "| ratio ours/classic |", "|---|---|---|---|---|---|---|"]
    for n, h in heaps.items():
        s = h["speed"]
        rows.append(f"| {n} | {h['files']} | {s['ours_s']:.1f} | {s['classic_s']:.1f} | "
                    f"{s['ours_files_per_s']:.1f} | {s['classic_files_per_s']:.1f} | "
                    f"**{s['speed_ratio']:.2f}×** |")
    return rows


def stage_table(heaps: dict) -> list[str]:
    stages = ["decode", "split", "dedup/hash", "store", "classic split"]
    rows = ["| stage (one core) | " + " | ".join(f"{n} s | {n} ms/file | {n} share of ours"
                                                 for n in heaps) + " |",
            "|---" * (1 + 3 * len(heaps)) + "|"]
    for st in stages:
        cells = []
        for h in heaps.values():
            c = h["stages"]
            ours = sum(c.get(k, 0) for k in stages[:4])
            share = f"{c.get(st, 0) / ours:.0%}" if st != "classic split" and ours else "-"
            cells += [f"{c.get(st, 0):.1f}", f"{1000 * c.get(st, 0) / max(1, c.get('files', 0)):.1f}",
                      share]
        rows.append(f"| {st} | " + " | ".join(cells) + " |")
    return rows


def targets(val: dict) -> list[str]:
    """Issue 17's bar on the validation heap, each line met or not."""
    o, t = val["scores"]["ours"], TARGETS
    layouts = [g for g in groups([o]) if g != "all"]
    worst_r = min(layouts, key=lambda g: o[g]["recall"] or 0)
    worst_p = min(layouts, key=lambda g: o[g]["precision"] or 0)
    checks = [
        (f"recall {fmt(o['all']['recall'])} ≥ {t['recall']}", o["all"]["recall"] >= t["recall"]),
        (f"precision {fmt(o['all']['precision'])} ≥ {t['precision']}",
         (o["all"]["precision"] or 0) >= t["precision"]),
        (f"every layout recall ≥ {t['layout_recall']} (lowest: {worst_r} {fmt(o[worst_r]['recall'])})",
         (o[worst_r]["recall"] or 0) >= t["layout_recall"]),
        (f"every layout precision ≥ {t['layout_precision']} (lowest: {worst_p} "
         f"{fmt(o[worst_p]['precision'])})", (o[worst_p]["precision"] or 0) >= t["layout_precision"]),
        (f"single pictures giving one crop {fmt(val['one_crop']['ours']['all'])} ≥ {t['one_crop']}",
         (val["one_crop"]["ours"]["all"] or 0) >= t["one_crop"]),
        (f"speed ratio {val['speed']['speed_ratio']:.2f} ≥ {t['speed_ratio']}",
         val["speed"]["speed_ratio"] >= t["speed_ratio"]),
    ]
    return [f"- [{'x' if ok else ' '}] {text}" for text, ok in checks]


def before_table(before: dict, now: dict) -> list[str]:
    """Overall figures of the kept starting point against this run, per heap."""
    rows = ["| heap | recall before → now | precision before → now | one crop before → now "
            "| speed ratio before → now |", "|---|---|---|---|---|"]
    for n in now["heaps"]:
        b, h = before["heaps"].get(n), now["heaps"][n]
        if not b:
            continue
        pair = lambda f: f"{fmt(f(b))} → {fmt(f(h))}"  # noqa: E731
        rows.append(f"| {n} | {pair(lambda x: x['scores']['ours']['all']['recall'])} | "
                    f"{pair(lambda x: x['scores']['ours']['all']['precision'])} | "
                    f"{pair(lambda x: x['one_crop']['ours']['all'])} | "
                    f"{pair(lambda x: x['speed']['speed_ratio'])} |")
    return rows


def render(report: dict, before: dict | None, starting: bool = False) -> str:
    heaps = report["heaps"]
    lines = ["# Split benchmark: development and validation heaps", "",
             f"Commit `{report['commit']}`, {report['machine']}. Heaps: "
             + ", ".join(f"{n} `{h['heap']}` ({h['files']} files)"
                         for n, h in heaps.items())
             + ". IoU ≥ 0.8, scored by the shared `score_split.py`; crops are every line of "
               "`importer split`'s manifest (duplicates included, blanks dropped as the importer "
               "drops them). The validation heap is built from other packages (fonts, icon themes, "
               "wallpapers, games) and other styles than the development heap; no constant is "
               "read from it.", "",
             "## Recall and precision per layout (ours / classic)", "", *quality_table(heaps), ""]
    if "dev" in heaps and "validation" in heaps:
        lines += ["## Gap: validation minus development (ours)", "",
                  *gap_table(heaps["dev"], heaps["validation"]), ""]
    lines += ["## Why items are missed (ours)", "",
              "Each true item no crop matches, by what the crops do to it: held with other items "
              "(the file's only crop holding three or more: the sheet as one crop), held with a "
              "margin of something else (its card, its caption), cut in parts, a part only, no crop "
              "on it, or shifted. Counts only: the validation heap's failure classes without "
              "opening its files.", ""]
    for n, h in heaps.items():
        missed = h.get("missed", {})
        layouts = sorted(missed, key=lambda g: (g == "all", g))  # "all" last
        lines += [f"{n}:", "", *missed_table("layout", {g: missed[g] for g in layouts}), ""]
    spacing = {n: h["sprites_by_spacing"] for n, h in heaps.items()}
    spacing |= {f"`{h['heap']}`": h["sprites_by_spacing"] for h in report.get("stress", {}).values()}
    lines += ["## Sprite sheets by spacing (ours)", "",
              "Sprites packed edge to edge (the median gap between true boxes 0) against sheets with "
              "spacing: the sprites layout's misses gather on the first.", "", *spacing_table(spacing), "",
              "## Single pictures giving exactly one crop", "", *one_crop_table(heaps), "",
              "## Speed: whole process, wall time, same files, same run", "",
              "Ours is `python -m importer split HEAP --out DIR` as a user runs it (all cores: "
              "decode, split, dedup, store crops and collections); the classic is `python -m benchmarks.classic HEAP` "
              "(one process: decode, Canny, dilate, contours, boxes).", "", *speed_table(heaps), "",
              "## Cost of each stage (one process, one core)", "",
              "Over " + ", ".join(f"{h['stages'].get('files', 0)} decoded files of {n}"
                                  for n, h in heaps.items()) + ", spread evenly over the heap.", "",
              *stage_table(heaps), ""]
    if report.get("stress"):
        lines += ["## Stress heaps: one layout each, the dev sources in a wider style", "",
                  "Built by `python -m benchmarks.devheap --set stress --layout L`: more cases of one "
                  "failure class than the dev heap holds, from no validation source.", "",
                  *stress_table(report["stress"]), "",
                  *missed_table("stress heap", {f"`{h['heap']}`": h.get("missed", {})
                                                for h in report["stress"].values()}), ""]
    if "validation" in heaps:
        lines += ["## Issue 17's bar on the validation heap", "", *targets(heaps["validation"]), ""]
    if starting:
        lines += ["This run is kept as the starting point (`split_benchmark_before.json`): later "
                  "runs of the benchmark list their figures against it.", ""]
    if before:
        lines += [f"## Against the starting point (commit `{before['commit']}`)", "",
                  *before_table(before, report), ""]
    return "\n".join(lines)


def commit() -> str:
    run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.split_bench",
                                 description=__doc__.split("\n\n")[0])
    heap = lambda s: Path(s) if s else None  # noqa: E731  ("" leaves a heap out)
    ap.add_argument("--dev", type=heap, default=Path("data/dev2"),
                    help="development heap (default data/dev2; '' to leave it out)")
    ap.add_argument("--validation", type=heap, default=Path("data/val"),
                    help="validation heap (default data/val; '' to leave it out)")
    ap.add_argument("--out", type=Path, default=Path("docs"), help="folder for the report")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each whole run this many times and keep the fastest (default 1)")
    ap.add_argument("--stage-files", type=int, default=300,
                    help="files per heap, spread evenly, to time each stage on (0: all; default 300)")
    ap.add_argument("--save-before", action="store_true",
                    help=f"also keep this run as OUT/{BEFORE}, the starting point to compare with")
    ap.add_argument("--stress", type=Path, nargs="*", default=[],
                    help="stress heaps of one layout each (python -m benchmarks.devheap --set stress "
                         "--layout L): quality alone, reported beside the two heaps")
    ap.add_argument("--scorer", type=Path, default=SCORER)
    a = ap.parse_args(argv)
    heaps = {n: p for n, p in (("dev", a.dev), ("validation", a.validation)) if p}
    for n, p in heaps.items():
        if not (p / "truth.json").is_file():
            ap.error(f"{n} heap {p} has no truth.json (build it: python -m benchmarks.devheap "
                     f"--set {n} --out {p})")
    report = {"commit": commit(),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, "
                         f"load average {os.getloadavg()[0]:.1f} at the start",
              "heaps": {n: bench_heap(p, a.scorer, a.repeat, a.stage_files) for n, p in heaps.items()},
              "stress": {p.name: bench_stress(p, a.scorer) for p in a.stress}}
    a.out.mkdir(parents=True, exist_ok=True)
    before_path = a.out / BEFORE
    if a.save_before:
        before_path.write_text(json.dumps(report, indent=1))
    before = json.loads(before_path.read_text()) if before_path.exists() and not a.save_before else None
    (a.out / "split_benchmark.json").write_text(json.dumps(report, indent=1))
    text = render(report, before, starting=a.save_before)
    (a.out / "split_benchmark.md").write_text(text + "\n")
    print(text)
    return report


if __name__ == "__main__":
    main()
