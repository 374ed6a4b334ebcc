# Two entry points for users; both set up the environment from uv.lock first.
.PHONY: setup run test lint bench

setup:
	./tools/bootstrap.sh --extra test

run: setup
	.venv/bin/snakemake --cores 4

# `snakemake --lint` runs inside the test suite (tests/test_workflow.py), which names the lints
# we accept on purpose.
test: setup
	.venv/bin/ruff check src tests tools workflow/scripts
	.venv/bin/pytest

bench: setup
	.venv/bin/python tools/benchmark.py
