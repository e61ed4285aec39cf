#!/usr/bin/env bash
# Size and time of the three ways to install keras-zoo, each into a fresh virtual environment:
# the default (`pip install .`, TensorFlow's full build), TensorFlow's CPU build, and JAX (CPU).
# Usage: bench/install_size.sh [PIP_OPTIONS...]   e.g. --no-cache-dir for a cold download.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

measure() {  # measure LABEL COMMAND...: install into $work/venv, then print its size and the time taken
  local label="$1"; shift
  rm -rf "$work/venv" "$work/run"
  python3 -m venv "$work/venv"
  local start=$SECONDS
  (. "$work/venv/bin/activate" && "$@" > "$work/log" 2>&1) || { tail -20 "$work/log"; exit 1; }
  local took=$((SECONDS - start))
  local size
  size="$(du -sm "$work/venv" | cut -f1)"
  local check
  check="$(. "$work/venv/bin/activate" && cd "$work" && zoo build synthetic-cf-bias --out "$work/run" 2>&1 | tail -1)"
  printf '%-28s %6s MB %5s s   %s\n' "$label" "$size" "$took" "$check"
}

echo "install                      size       time   then: zoo build synthetic-cf-bias"
measure "pip install ." pip install -q "$@" .
measure "tensorflow-cpu" bash -c "pip install -q $* -r requirements/core.txt tensorflow-cpu && pip install -q $* --no-deps ."
measure "jax (KERAS_BACKEND=jax)" bash -c "pip install -q $* -r requirements/core.txt 'jax[cpu]' && pip install -q $* --no-deps ."
