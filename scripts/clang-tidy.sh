#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) on the C++ sources of relay/ and app/ in a build's compile database,
# through run-clang-tidy. Prints only the findings; fails when there is one.
#   scripts/clang-tidy.sh [--all] [BUILD_DIR]    default build dir: $BUILD_DIR or build; JOBS as in test.sh
#   --all    the whole tree: app/, relay/, ui/ and tests/ (the tree is kept clean of findings everywhere)
# The build must have run (the sources include AUTOMOC's .moc files). scripts/test.sh runs this after the
# build and before ctest.
#
# Why relay/ and app/ only by default: CI runs on a fresh clone of main, so there is no "files changed
# since…" to narrow to, and the whole tree is too slow for its budget. Measured on the 2-core test machine
# (clang-tidy 14, other work running beside it): the whole tree is 100 files, 11-18 min of CPU and 6-12.5
# min on 2 cores (a relay source with Boost.Beast takes up to 50 s alone); relay/ and app/ are 42 files,
# 4.5-7 min of CPU and 2.5-4 min on 2 cores. They are the code that faces the network and holds the logic;
# ui/ and tests/ are checked with --all (after changing .clang-tidy, before a release). The whole tree was
# clean when this was written.
set -euo pipefail
cd "$(dirname "$0")/.."
folders="relay|app"
if [ "${1:-}" = "--all" ]; then
  folders="app|relay|ui|tests"
  shift
fi
build_dir=${1:-${BUILD_DIR:-build}}
jobs=${JOBS:-2}

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
run=$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)
if [ -z "$tidy" ] || [ -z "$run" ]; then
  echo "clang-tidy: clang-tidy and run-clang-tidy are missing (scripts/install-deps.sh installs them)" >&2
  exit 1
fi
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "clang-tidy: no $build_dir/compile_commands.json; configure and build first" >&2
  exit 1
fi

count=$(grep -cE "\"file\": \"$PWD/($folders)/.*\.cpp\"" "$build_dir/compile_commands.json" || true)
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$run" -clang-tidy-binary "$tidy" -p "$build_dir" -j "$jobs" -quiet "^$PWD/($folders)/.*\.cpp$" >"$log" 2>&1 ||
  status=$?
seconds=$(($(date +%s) - start))
# run-clang-tidy echoes each invocation and clang-tidy counts what it suppressed: keep the findings.
grep -vE "^$tidy |^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter" \
  "$log" || true
if [ "$status" -ne 0 ]; then
  echo "clang-tidy: findings above ($count files of ${folders//|/, }; ${seconds} s); fix them, or NOLINT(check) with a reason" >&2
  exit 1
fi
echo "clang-tidy: $count files of ${folders//|/, } clean (${seconds} s)"
