# Entry points for users; each sets up the environment from uv.lock first.
.PHONY: setup run test lint bench docs

# One environment for every target (the test tools and the documentation's builder included),
# so that switching targets never re-syncs .venv.
setup:
	./tools/bootstrap.sh --extra test --extra docs

run: setup
	.venv/bin/snakemake --cores 4

# `snakemake --lint` runs inside the test suite (tests/test_workflow.py), which names the lints
# we accept on purpose.
test: setup
	.venv/bin/ruff check src tests tools workflow/scripts
	.venv/bin/pytest

bench: setup
	.venv/bin/python tools/benchmark.py

# The documentation site, in site/ (strict: a broken link, reference or include fails the build).
# The config reference is generated from config/schema.yaml by the hook tools/config_reference.py.
# NO_MKDOCS_2_WARNING: Material's notice about its future (end of life May 2027, Zensical as
# successor), printed on every build.
docs: setup
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict
