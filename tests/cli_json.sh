#!/bin/sh
# cli_json.sh — every JSON file plast writes is strict JSON, also when runs diverge: a
# non-finite number (a diverged run's NaN mean) must be written as null, never as `nan`,
# which JSON has not got. Checked with Python's parser with NaN and Infinity refused.
#
# usage: sh tests/cli_json.sh PATH/TO/plast SOURCE_DIR
# Exits 77 (skipped) without python3, 1 when a file is not strict JSON.
set -u
BIN=${1:?usage: cli_json.sh PLAST_BIN SOURCE_DIR}
SRC=${2:?usage: cli_json.sh PLAST_BIN SOURCE_DIR}
command -v python3 >/dev/null 2>&1 || { echo "cli_json.sh: no python3, skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/plast_json.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

failed=0
# strict FILE...: each FILE parses as JSON without NaN or Infinity.
strict() {
    for f in "$@"; do
        if ! python3 -c '
import json, sys
def refuse(c):
    raise ValueError("not JSON: " + c)
json.load(open(sys.argv[1]), parse_constant=refuse)
' "$f"; then
            echo "FAIL: $f is not strict JSON"
            failed=$((failed + 1))
        fi
    done
}

# A learning rate of 1000 makes online SGD diverge in every run: the means are NaN.
"$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --runs 2 --set rule.lr=1000 \
    --set 'net.hidden=[20]' --out "$T/eval" --quiet >"$T/out" 2>&1 || {
    echo "FAIL: eval exited $?"; cat "$T/out"; exit 1; }
grep -q '"diverged": 2' "$T/eval/results.json" || { echo "FAIL: the runs did not diverge"; failed=$((failed + 1)); }
strict "$T/eval/results.json"

# The analysis of a rule against an SGD that diverges (a small network: analysis is slow).
cat >"$T/small.json" <<'JSON'
{"seed": 1, "runs": 2, "net": {"hidden": [20], "act": "relu"},
 "rule": {"name": "sgd", "lr": 0.003}, "task": {"name": "sine", "pool": "eval", "order": "continual"}}
JSON
"$BIN" analyze "$T/small.json" --runs 2 --sgd-lr 1000 --probes 2 \
    --out "$T/an" --quiet >"$T/out" 2>&1 || { echo "FAIL: analyze exited $?"; cat "$T/out"; exit 1; }
strict "$T/an/analysis.json"

[ "$failed" -eq 0 ] && echo "all JSON strict" || exit 1
