#!/usr/bin/env bash
# Install everything the tests need, then run them all: unit, worker, app (AppTest), browser.
# The fast loop: python -m pytest -m "not browser" (or -m unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
# Lint and import order (pyproject.toml's [tool.ruff]); the import contracts run as a test.
python -m ruff check tsviz tests app.py pages benchmarks
python -m pytest "$@"
