#!/usr/bin/env bash
# Installs what is missing, configures, builds and runs the whole test suite with ctest.
#   scripts/test.sh [extra ctest arguments]     e.g. scripts/test.sh -R relay
# Environment: BUILD_DIR (default build), STREAMS_SANITIZE (e.g. address,undefined), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-2}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTREAMS_SANITIZE="${STREAMS_SANITIZE:-}"
cmake --build "$build_dir" -j"$jobs"
scripts/fuzz.sh --build-only # clang build of tests/fuzz in build-fuzz; ctest runs the fuzzers (label fuzz)
exec scripts/test-session.sh ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "$@"
