# harness.sh — what the cli_*.sh tests share, sourced after `set -u`: a temporary directory
# ($tmp) removed at exit, pass/fail counters, ok / bad to count a check, finish to report
# and give the exit status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
