#!/bin/sh
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS with its corpus
# (build/fuzz/corpus/<target>, kept between runs), its seeds
# (tests/fuzz/seeds/<target>) and, for IVRS, the real tables of
# ../shared/testdata/ivrs (or their copy in tests/data/ivrs). Stops at the first target that finds a crash.
set -eu
secs=${FUZZ_SECONDS:-60}
build=${BUILD:-build}
for f in "$@"; do
  name=$(basename "$f")
  corpus="$build/fuzz/corpus/$name"
  mkdir -p "$corpus"
  set -- "$corpus"
  [ -d "tests/fuzz/seeds/$name" ] && set -- "$@" "tests/fuzz/seeds/$name"
  if [ "$name" = fuzz_ivrs ]; then
    if [ -d ../shared/testdata/ivrs ]; then set -- "$@" ../shared/testdata/ivrs; else set -- "$@" tests/data/ivrs; fi
  fi
  echo "== $name: ${secs}s"
  "$f" -max_total_time="$secs" -print_final_stats=1 "$@" 2>&1 | grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY|Done" || true
  # libFuzzer leaves crash-* files in the working directory on a finding.
  if ls crash-* leak-* timeout-* >/dev/null 2>&1; then
    echo "fuzz: $name found a failing input: $(ls crash-* leak-* timeout-* 2>/dev/null | head -3)" >&2
    exit 1
  fi
done
