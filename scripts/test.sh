#!/usr/bin/env bash
# Install everything the tests need, then run them all (library, golden DOT, pages, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
python -m pytest "$@"
