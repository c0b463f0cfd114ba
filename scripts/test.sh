#!/usr/bin/env bash
# Installs what is missing, configures, builds, runs clang-tidy (scripts/clang-tidy.sh) and the whole test
# suite with ctest. Fails when either finds something.
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
# clang-tidy before ctest, so that ctest's summary stays the last lines; a finding still fails the run.
tidy_status=0
scripts/clang-tidy.sh "$build_dir" || tidy_status=$?
ctest_status=0
scripts/test-session.sh ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "$@" || ctest_status=$?
if [ "$ctest_status" -ne 0 ]; then
  exit "$ctest_status"
fi
exit "$tidy_status"
