# Thin verbs; the work lives in scripts/ and the Python package. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HTTP_ADDR ?= :8080

.PHONY: help bootstrap bootstrap-build run dev build build-web build-nix test test-unit lint fmt lock bench soak repro-check release-check docker clean docs-config

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

bootstrap: ## install what tests and linters need (when missing): Debian packages, venv, npm
	@scripts/bootstrap.sh test

bootstrap-build: ## install only what building and running needs
	@scripts/bootstrap.sh build

build-web: bootstrap-build ## build the dashboard (esbuild) and the docs (mkdocs) into nara-web/public
	@scripts/build-web.sh

build: bootstrap-build ## freeze bin/nara (one-file, static); builds web assets first when stale
	@scripts/build-binary.sh

release-check: ## the release smoke test on bin/nara as `make build` left it (version, health, UI, docs, chau on SIGTERM)
	@test -x bin/nara || { echo "release-check: bin/nara is missing: run make build first" >&2; exit 1; }
	@scripts/release-check.sh bin/nara

run: build ## build bin/nara when stale and run it on :8080 (alone unless MQTT_HOST is set)
	HTTP_ADDR=$${HTTP_ADDR:-$(HTTP_ADDR)} ./bin/nara

dev: bootstrap-build ## run from source (python -m nara) without freezing
	$(PY) -m nara

test: bootstrap ## everything: set-up, web build, unit + integration + browser + binary tests
	@scripts/build-binary.sh
	cd nara-web && npm test
	$(PY) -m pytest -p no:cacheprovider -m "not soak"

test-unit: bootstrap ## only the pure-core unit tests (no network, no Node)
	$(PY) -m pytest tests/unit

lint: bootstrap ## format check, lint, types, and the deployment files' linters
	$(VENV)/bin/ruff format --check nara tests bench scripts
	$(VENV)/bin/ruff check nara tests bench scripts
	$(VENV)/bin/mypy
	@scripts/lint-deploy.sh

fmt: bootstrap ## apply ruff's formatting and autofixes
	$(VENV)/bin/ruff format nara tests bench scripts
	$(VENV)/bin/ruff check --fix nara tests bench scripts

docs-config: bootstrap ## regenerate docs/configuration.md's table from the settings table
	$(PY) -m nara.tools.gendocs

lock: ## re-pin Python dependencies with hashes (needs network to PyPI)
	$(VENV)/bin/pip install -q uv
	$(VENV)/bin/uv pip compile --generate-hashes --extra dev pyproject.toml -o requirements/dev.lock \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --no-header
	sed -i '1i # Pinned with hashes. Regenerate with `make lock`.' requirements/dev.lock
	$(VENV)/bin/uv pip compile --generate-hashes requirements/sbom.in -o requirements/sbom.lock \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --no-header
	sed -i '1i # The release SBOM tool (release.yml). Pinned with hashes. Regenerate with `make lock`.' requirements/sbom.lock

bench: build ## benchmarks vs the targets (bench/RESULTS.md); non-zero exit when one is missed
	$(PY) bench/run.py

soak: bootstrap ## 100,000 hostile messages at a real node, then Go and Python naras for about 28 min (SOAK_ARGS="--seed N")
	$(PY) bench/soak.py $(SOAK_ARGS)
	NARA_REFERENCE_SOAK=1 $(PY) -m pytest -p no:cacheprovider -q tests/reference -m soak

repro-check: bootstrap-build ## build twice in fresh dirs (own venvs, HOME, TMPDIR, umask), compare every member
	@scripts/repro-check.sh

build-nix: ## reproducible build with Nix (nix build)
	nix --extra-experimental-features 'nix-command flakes' build .#default

docker: ## build the container image (needs a Docker engine)
	docker build --build-arg SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) \
	  --build-arg NARA_COMMIT=$$(git rev-parse HEAD) \
	  --build-arg NARA_VERSION=$$($(PY) -c 'import nara; print(nara.__version__)') -t nara:dev .

clean: ## remove build output
	rm -rf build dist bin nara-web/public .pytest_cache .mypy_cache .ruff_cache
