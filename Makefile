# The two commands of the README: `make up` and `make test`.
PY := .venv/bin/python
SAMPLE := data/sample_heap

.PHONY: up test venv sysdeps sample bench clean

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

## Benchmarks on the development heap (downloads real material from Debian once).
bench: venv
	$(PY) -m benchmarks.devheap --out data/devheap
	$(PY) -m benchmarks.split_bench data/devheap --out docs
	$(PY) -m benchmarks.backend_bench

clean:
	rm -rf var data/sample_heap
