#!/usr/bin/env bash
# Install what tsviz needs. System packages (Graphviz's `dot`, bubblewrap to sandbox the worker, g++, make and
# cmake to build the Deploy page's LibTorch C++ runner once against the installed torch; with
# --test also Chromium for the browser tests) come from apt-get when it is there and we may use it;
# Python packages from pip.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(graphviz bubblewrap g++ make cmake)
requirements=requirements.txt
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium)
  requirements=requirements-dev.txt
fi

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "tsviz: please install these system packages yourself: ${missing[*]}" >&2
  fi
fi

python -m pip install -q --disable-pip-version-check -r "$requirements"
# tsviz itself, editable: the `tsviz` command, and the package the tests and the app import.
python -m pip install -q --disable-pip-version-check --no-deps -e .
