# The two commands of the README: `make up` and `make test` (and `make test-fast` while working).
PY := .venv/bin/python
SAMPLE := data/sample_heap

.PHONY: up test test-fast venv sysdeps sample bench simulate clean

venv:
	@bash scripts/bootstrap.sh

sysdeps:
	@bash scripts/system_deps.sh

$(SAMPLE)/truth.json: | venv
	$(PY) -m benchmarks.devheap --small --out $(SAMPLE)

sample: $(SAMPLE)/truth.json

## Start Label Studio + ML backend locally, import the sample heap, connect them (Ctrl-C stops).
up: venv sample
	$(PY) -m importer up $(SAMPLE)

## Run the whole test suite (starts its own Label Studio and backend on free ports).
test: venv sysdeps
	$(PY) -m pytest -q

## The unit tests only (no servers; under a minute).
test-fast: venv
	$(PY) -m pytest -q tests/unit -m "not slow"

## Benchmark heaps (real material downloaded from Debian once, cached in data/cache): the
## development heap and the validation heap, built from disjoint packages and styles.
data/devheap/oracle.jsonl:
	$(PY) -m benchmarks.devheap --out data/devheap

data/dev2/oracle.jsonl:
	$(PY) -m benchmarks.devheap --set dev --out data/dev2

data/val/oracle.jsonl:
	$(PY) -m benchmarks.devheap --set validation --out data/val

## Stress heaps: dev's sources in a wider style, one layout each (a second development set).
STRESS = patches text captioned sprites scattered grid ruled dark
data/stress/%/oracle.jsonl:
	$(PY) -m benchmarks.devheap --set stress --layout $* --out data/stress/$*

## A heap of the stress sources lit unevenly, on mottled paper (every layout; a third development set).
data/shaded/oracle.jsonl:
	$(PY) -m benchmarks.devheap --set shaded --out data/shaded

## The stress sources framed as scans: border lines, scanners' edges, beds round the page (a fourth).
data/framed/oracle.jsonl:
	$(PY) -m benchmarks.devheap --set framed --out data/framed

## Split benchmark on both heaps side by side (ours against the classic splitter, speed ratio in the
## same run), offline-replay and backend benchmarks (the backend one against a Label Studio it
## starts); figures in docs/.
bench: venv data/dev2/oracle.jsonl data/val/oracle.jsonl $(STRESS:%=data/stress/%/oracle.jsonl) \
		data/shaded/oracle.jsonl data/framed/oracle.jsonl
	$(PY) -m benchmarks.split_bench --dev data/dev2 --validation data/val --out docs --repeat 2 \
		--stress $(STRESS:%=data/stress/%) data/shaded data/framed
	$(PY) -m benchmarks.perturb_bench data/dev2 --out docs
	$(PY) -m importer split data/dev2 --out data/dev2-crops
	$(PY) -m benchmarks.replay data/dev2-crops data/dev2/oracle.jsonl --out docs --name replay_dev2
	$(PY) -m importer split data/val --out data/val-crops
	$(PY) -m benchmarks.replay data/val-crops data/val/oracle.jsonl --budget 1000 --out docs --name replay_validation
	$(PY) -m benchmarks.backend_bench --crops data/dev2-crops/crops --start-label-studio --out docs

## The simulated annotator on the dev heap (EVAL.md section 2; up to 15 % of the tasks labelled
## in Label Studio's order, then random order gets 3.5x the labels that took, enough to tell
## a ratio below 0.3 even if random order never gets there; about an hour); figures in docs/.
simulate: venv data/devheap/oracle.jsonl
	$(PY) -m importer simulate --heap data/devheap --oracle data/devheap/oracle.jsonl \
		--out data/simulation --docs docs

clean:
	rm -rf var data/sample_heap
