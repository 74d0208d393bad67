"""python -m benchmarks.devheap --out DIR [--set dev|validation|stress|shaded|framed] [--layout L]
[--sheets N] [--seed S] [--small] [--offline]"""
import argparse
import json
import logging
from pathlib import Path

from .heap import LAYOUTS, SINGLES, SMALL_SHEETS, build_heap
from .sets import SETS


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.devheap", description=__doc__)
    ap.add_argument("--out", type=Path, required=True, help="heap folder to (re)create")
    ap.add_argument("--set", choices=sorted(SETS), default="dev",
                    help="source set: dev (to develop on), validation (disjoint sources, kept for "
                         "checking that rules generalise) or stress (dev's sources, more text fonts, a wider "
                         "style: a second development heap, best built one layout at a time) shaded (the "
                         "stress sources lit unevenly on mottled paper) or framed (the stress sources inside "
                         "border lines, scanners' edges and beds); default dev")
    ap.add_argument("--layout", choices=LAYOUTS + sorted(SINGLES),
                    help="only files of this layout (a stress heap of one failure class)")
    ap.add_argument("--sheets", type=int,
                    help=f"sheets to lay out (default {', '.join(f'{k.sheets} for {n}' for n, k in SETS.items())}; "
                         f"{SMALL_SHEETS} with --small); single pictures come on top")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small", action="store_true", help="a tiny heap from offline material")
    ap.add_argument("--offline", action="store_true",
                    help="use only material shipped with matplotlib (no download)")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    sheets = a.sheets or (SMALL_SHEETS if a.small else SETS[a.set].sheets)
    summary = build_heap(a.out, sheets, a.seed, offline=a.offline or a.small, kit=SETS[a.set], layout=a.layout)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
