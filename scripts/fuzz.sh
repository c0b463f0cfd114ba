#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (build-fuzz) and runs each for a while on its seeds.
#   scripts/fuzz.sh [SECONDS]                  build, then run every fuzzer SECONDS (default 60)
#   scripts/fuzz.sh --build-only               configure and build build-fuzz, run nothing
#   scripts/fuzz.sh --run NAME [SECONDS]       run one fuzzer already built (ctest's fuzz tests do this)
#   --build-dir DIR                            instead of build-fuzz (also FUZZ_BUILD_DIR); JOBS (default 2)
# Fails if a fuzzer crashes, leaks or times out, and prints the input that did it and the command that
# replays it. Seeds are copied to a temporary corpus: the repository is not written. No network is used.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fuzzers=(fuzz_webhook fuzz_protocol fuzz_irc fuzz_http)
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-2}
mode=all
name=
seconds=60

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
die() {
  echo "fuzz.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) mode=build ;;
    --run)
      mode=run
      [ $# -ge 2 ] || die "--run needs a fuzzer name: ${fuzzers[*]}"
      name=$2
      shift
      ;;
    --build-dir)
      [ $# -ge 2 ] || die "--build-dir needs a folder"
      build_dir=$2
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *[!0-9]* | '') die "unknown argument '$1' (try --help)" ;;
    *) seconds=$1 ;;
  esac
  shift
done
[ "$seconds" -gt 0 ] || die "SECONDS must be at least 1"
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac

# The fuzzing runtime comes with libclang-rt-14-dev; install-deps.sh --relay installs it and clang.
have_clang() {
  command -v clang++ >/dev/null 2>&1 &&
    [ -e "$(clang++ -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a" ]
}

build() {
  have_clang || scripts/install-deps.sh --relay
  have_clang || die "clang++ or its libFuzzer runtime is still missing after install-deps.sh --relay"
  local configure=(cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMS_FUZZ=ON
    -DSTREAMS_BUILD_APP=OFF -DSTREAMS_BUILD_RELAY=OFF -DSTREAMS_BUILD_TESTS=OFF -DSTREAMS_SANITIZE=)
  if [ -f "$build_dir/CMakeCache.txt" ]; then
    "${configure[@]}" >/dev/null
  else # the compiler is chosen once, when the folder is created
    CC=clang CXX=clang++ "${configure[@]}" >/dev/null
  fi
  cmake --build "$build_dir" -j"$jobs" --target "${fuzzers[@]}"
}

seed_dirs() {
  case "$1" in
    fuzz_webhook) echo tests/fuzz/corpus/webhook ;;
    fuzz_protocol) echo tests/protocol/golden tests/fuzz/corpus/protocol ;;
    fuzz_irc) echo tests/app/golden tests/fuzz/corpus/irc ;;
    fuzz_http) echo tests/fuzz/corpus/http ;;
    *) die "no fuzzer named '$1': ${fuzzers[*]}" ;;
  esac
}

# Runs one fuzzer; prints one summary line, or the failure with its input and the replay command.
run_one() {
  local fuzzer=$1 binary="$build_dir/tests/fuzz/$1" dict="$root/tests/fuzz/dict/${1#fuzz_}.dict"
  local dirs
  dirs=$(seed_dirs "$fuzzer")
  [ -x "$binary" ] || die "$binary is missing: build it first with scripts/fuzz.sh --build-only" \
    "(or point --build-dir / STREAMS_FUZZ_BUILD_DIR at the folder that has it)"
  local work artifacts="$build_dir/fuzz-artifacts"
  work=$(mktemp -d "${TMPDIR:-/tmp}/$fuzzer.XXXXXX")
  mkdir -p "$work/corpus" "$artifacts"
  local seeds=0 dir
  for dir in $dirs; do
    cp "$root/$dir"/* "$work/corpus/"
    seeds=$((seeds + $(find "$root/$dir" -maxdepth 1 -type f | wc -l)))
  done

  # A 64 MB quarantine (ASan's default is 256) keeps a fuzzer near 300 MB instead of 1 GB.
  local status=0
  (cd "$work" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=64} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$artifacts/$fuzzer-" corpus) \
    >"$work/log" 2>&1 || status=$?

  local artifact
  artifact=$(grep -o "Test unit written to [^ ]*" "$work/log" | tail -n 1 | sed 's/^Test unit written to //') || true
  if [ "$status" -ne 0 ] || grep -q "^==[0-9]*==ERROR\|runtime error:\|ERROR: libFuzzer" "$work/log"; then
    tail -n 80 "$work/log" >&2
    echo "$fuzzer: FAILED (exit $status); log: $work/log" >&2
    if [ -n "$artifact" ]; then
      echo "$fuzzer: input: $artifact" >&2
      echo "$fuzzer: replay: $binary $artifact" >&2
    fi
    return 1
  fi
  local execs rate rss last
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -n 1)
  local cov ft corp
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  echo "$fuzzer: ok, ${execs:-?} execs in ${seconds} s (${rate:-?}/s), coverage ${cov:-?} edges, ${ft:-?} features," \
    "corpus ${corp:-?} inputs from $seeds seeds, peak RSS ${rss:-?} MB"
  rm -rf "$work"
}

case "$mode" in
  build) build ;;
  run) run_one "$name" ;;
  all)
    build
    failed=()
    for fuzzer in "${fuzzers[@]}"; do
      run_one "$fuzzer" || failed+=("$fuzzer")
    done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "fuzz.sh: ${#failed[@]} of ${#fuzzers[@]} fuzzers failed: ${failed[*]}" >&2
      exit 1
    fi
    echo "fuzz.sh: ${#fuzzers[@]} fuzzers ran ${seconds} s each without a crash, leak or timeout"
    ;;
esac
