#!/bin/sh
# The fuzz campaign driver (tools/fuzz-campaign.py, make fuzz-long) on the
# fastest real target, fuzz_psc, in a build directory of its own (its corpus
# and logs in a temporary directory): two fuzzers of one target share the
# corpus and split the executions exactly, and the summary adds them up; a
# fuzzer that fails (libFuzzer's own out-of-memory check at 1 MB, a real
# failing run with an oom- artifact) makes the campaign fail and is counted;
# more fuzzers per target than jobs is refused.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
build=${SNPV_BUILD:-build}
bin="$build/fuzz/fuzz_psc"
[ -x "$bin" ] || fail "$bin missing: make $bin (make test builds it)"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/b"
ln -s "$(cd "$build" && pwd)/fuzz" "$t/b/fuzz"
camp() { python3 tools/fuzz-campaign.py --build "$t/b" "$@"; }

camp --out "$t/two" --runs 3001 --time 120 --jobs 2 --fuzzers 2 psc >"$t/log" 2>&1 \
  || { cat "$t/log"; fail "two fuzzers of fuzz_psc failed"; }
for i in 1 2; do [ -s "$t/two/fuzz_psc.$i.log" ] || fail "no log of fuzzer $i"; done
[ -n "$(ls "$t/b/fuzz-corpus/fuzz_psc")" ] || fail "the shared corpus is empty"
python3 - "$t/two/summary.json" <<'PYEOF' || fail "the summary of two fuzzers is wrong"
import json, sys
s = json.load(open(sys.argv[1]))
r = s["targets"]["fuzz_psc"]
parts = r["fuzzers"]
assert s["fuzzers"] == 2, s["fuzzers"]
assert [p["executions"] for p in parts] == [1501, 1500], [p["executions"] for p in parts]
assert r["executions"] == 3001, r["executions"]
assert r["crashes"] == 0 and r["violations"] == 0 and r["exit"] == 0, r
assert r["cov"] == max(p["cov"] for p in parts) > 0, r["cov"]
PYEOF
[ "$(grep -c '^| fuzz_psc' "$t/two/summary.md")" -eq 3 ] || fail "summary.md: not a row per target and per fuzzer"

rc=0
camp --out "$t/oom" --runs 100000000 --time 60 --jobs 1 --libfuzzer-arg=-rss_limit_mb=1 psc \
  >"$t/log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$t/log"; fail "a fuzzer that ran out of memory: exit $rc, expected 1"; }
grep -q 'fuzz_psc FAILED: 1 failing inputs' "$t/log" || { cat "$t/log"; fail "the failure is not reported"; }
python3 - "$t/oom/summary.json" <<'PYEOF' || fail "the summary of the failing fuzzer is wrong"
import json, sys
r = json.load(open(sys.argv[1]))["targets"]["fuzz_psc"]
assert r["crashes"] == 1 and r["artifacts"][0].startswith("oom-"), r
assert r["exit"] != 0, r["exit"]
PYEOF
ls "$t/oom/artifacts/fuzz_psc"/oom-* >/dev/null || fail "no oom- artifact"

rc=0
camp --out "$t/bad" --jobs 1 --fuzzers 2 psc >"$t/log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'need 1 <= fuzzers <= jobs' "$t/log" \
  || { cat "$t/log"; fail "--fuzzers 2 --jobs 1 not refused (exit $rc)"; }
echo "fuzz campaign driver: ok"
