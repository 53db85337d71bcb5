#!/bin/sh
# cli.sh — the `plast` program end to end: exit codes, the message on stderr, and that a
# failing command leaves no output behind (no new directory, nothing new in an old one).
#
# usage: sh tests/cli.sh PATH/TO/plast [SOURCE_DIR]
# Prints one line per failed check and "N passed, M failed"; exits 1 when any failed.
set -u

BIN=${1:?usage: cli.sh PLAST_BIN [SOURCE_DIR]}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || { echo "cli.sh: $BIN is not an executable" >&2; exit 2; }
SRC=${2:-$(cd "$(dirname "$0")/.." && pwd)}

T=$(mktemp -d "${TMPDIR:-/tmp}/plast_cli.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
# Work inside the temporary directory, so a default output directory (results/...) made by
# mistake would land here and be seen.
mkdir "$T/cwd" && cd "$T/cwd" || exit 2

passed=0
failed=0
CASE=

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL [$CASE]: $*"
    if [ -s "$T/stderr" ]; then sed -n '1,5s/^/    stderr: /p' "$T/stderr"; fi
}

# run CMD...: runs CMD, keeping its stdout, stderr and exit code (RC).
run() {
    "$@" >"$T/stdout" 2>"$T/stderr" </dev/null
    RC=$?
}
want_rc() { if [ "$RC" -eq "$1" ]; then ok; else bad "exit code $RC, want $1"; fi; }
want_err() { if grep -qF -- "$1" "$T/stderr"; then ok; else bad "stderr lacks '$1'"; fi; }
want_out() { if grep -qF -- "$1" "$T/stdout"; then ok; else bad "stdout lacks '$1'"; fi; }
want_absent() { if [ ! -e "$1" ]; then ok; else bad "$1 was created"; fi; }

# expect NAME RC FRAGMENT CMD...: the exit code and a fragment of stderr.
expect() {
    CASE=$1
    want=$2
    frag=$3
    shift 3
    run "$@"
    want_rc "$want"
    want_err "$frag"
}

# Lines in a file, -1 when it cannot be read.
lines() { { wc -l <"$1"; } 2>/dev/null || echo -1; }

# The listing of a directory (names and sizes), to see that a failed command added nothing.
snapshot() { (cd "$1" && ls -la | awk 'NR > 1 { print $1, $5, $NF }') ; }

# ---------------- inputs ----------------

cat >"$T/good.json" <<'EOF'
{
  "runs": 2,
  "bootstrap": 200,
  "net": {"hidden": [8]},
  "rule": "sgd",
  "task": {"name": "sine", "n_batches": 2}
}
EOF
# line 4 lacks the comma after "sgd": the error is at line 5, column 3
cat >"$T/malformed.json" <<'EOF'
{
  "runs": 2,
  "net": {"hidden": [8]},
  "rule": "sgd"
  "task": "sine"
}
EOF
cat >"$T/unknown.json" <<'EOF'
{"runs": 2, "rule": "sgd", "task": {"name": "sine", "ordr": "iid"}}
EOF
cat >"$T/range.json" <<'EOF'
{"runs": 2, "rule": "sgd", "task": {"name": "sine", "n_batches": 2, "batch": 1000}}
EOF
cat >"$T/params-missing.json" <<EOF
{"runs": 2, "params": "$T/nope-params.json", "net": {"hidden": [8]}, "rule": "sgd",
 "task": {"name": "sine", "n_batches": 2}}
EOF
cat >"$T/params-corrupt.json" <<EOF
{"runs": 2, "params": "$T/corrupt-params.json", "net": {"hidden": [8]}, "rule": "sgd",
 "task": {"name": "sine", "n_batches": 2}}
EOF
cat >"$T/params-rule.json" <<EOF
{"runs": 2, "params": "$T/sgd-params.json", "net": {"hidden": [8]}, "rule": "sgd",
 "task": {"name": "sine", "n_batches": 2}}
EOF
echo '{"format": "plast-params", "version": 1, "rule": "sgd"}' >"$T/sgd-params.json"
# a params file cut off in the middle of a tensor
printf '%s\n%s' '{"format": "plast-params", "version": 1, "rule": "sgd",' \
    ' "net": {"W[0]": {"shape": [8, 1], "values": [0.1, 0.2' >"$T/corrupt-params.json"

OUT=$T/out # every failing eval names an output directory under here that must not appear
mkdir "$OUT"

# ---------------- usage ----------------

CASE="no arguments"
run "$BIN"
want_rc 64
if cat "$T/stdout" "$T/stderr" | grep -qF "usage: plast"; then ok; else bad "no usage text"; fi

expect "unknown command" 64 "unknown command 'frobnicate'" "$BIN" frobnicate
expect "unknown flag" 64 "--bogus" "$BIN" eval "$T/good.json" --bogus --out "$OUT/flag"
want_absent "$OUT/flag"
expect "--runs abc" 64 "--runs expects an integer" "$BIN" eval "$T/good.json" --runs abc --out "$OUT/runs-abc"
want_err "'abc'"
want_absent "$OUT/runs-abc"
expect "--runs 0" 64 "--runs expects an integer in 1.." "$BIN" eval "$T/good.json" --runs 0 --out "$OUT/runs-0"
want_absent "$OUT/runs-0"
expect "--runs 2x" 64 "--runs" "$BIN" eval "$T/good.json" --runs 2x --out "$OUT/runs-2x"
want_absent "$OUT/runs-2x"
expect "eval without config" 64 "usage: plast eval" "$BIN" eval
expect "two configs" 64 "unexpected argument" "$BIN" eval "$T/good.json" "$T/good.json" --out "$OUT/two"
want_absent "$OUT/two"
expect "list what" 64 "list rules|tasks" "$BIN" list widgets
expect "help what" 64 "no help for 'widgets'" "$BIN" help widgets

# ---------------- bad inputs ----------------

expect "missing config" 66 "$T/nope.json" "$BIN" eval "$T/nope.json" --out "$OUT/missing"
want_absent "$OUT/missing"
# without --out: no default directory either
expect "missing config, default out" 66 "nope.json" "$BIN" eval "$T/nope.json"
want_absent "$T/cwd/results"

expect "malformed JSON" 78 "$T/malformed.json:5:3" "$BIN" eval "$T/malformed.json" --out "$OUT/malformed"
want_err "malformed JSON"
want_absent "$OUT/malformed"

expect "unknown key" 78 "task.ordr" "$BIN" eval "$T/unknown.json" --out "$OUT/unknown"
want_err "unknown key"
want_absent "$OUT/unknown"

expect "out of range" 78 "task.batch" "$BIN" eval "$T/range.json" --out "$OUT/range"
want_err "1000 is out of range 1..256"
want_absent "$OUT/range"

expect "bad --set" 64 "--set novalue" "$BIN" eval "$T/good.json" --set novalue --out "$OUT/set"
want_absent "$OUT/set"
expect "bad --set key" 64 "--set a..b=1" "$BIN" eval "$T/good.json" --set a..b=1 --out "$OUT/set2"
want_absent "$OUT/set2"
expect "--set out of range" 78 "task.order" "$BIN" eval "$T/good.json" --set task.order=random --out "$OUT/set3"
want_err "continual, iid"
want_absent "$OUT/set3"

expect "params missing" 66 "$T/nope-params.json" "$BIN" eval "$T/params-missing.json" --out "$OUT/pm"
want_absent "$OUT/pm"
expect "params corrupt" 65 "$T/corrupt-params.json" "$BIN" eval "$T/params-corrupt.json" --out "$OUT/pc"
want_absent "$OUT/pc"
expect "params for another rule" 65 "params are for rule 'sgd', the config uses 'fa'" \
    "$BIN" eval "$T/params-rule.json" --set rule=fa --out "$OUT/pr"
want_absent "$OUT/pr"

# an existing, non-empty output directory: refused without --force, and left as it was
mkdir "$T/old"
echo keep >"$T/old/keep.txt"
before=$(snapshot "$T/old")
expect "non-empty --out" 64 "not empty" "$BIN" eval "$T/good.json" --quiet --out "$T/old"
want_err "--force"
if [ "$(snapshot "$T/old")" = "$before" ]; then ok; else bad "$T/old changed"; fi
# a bad config with an existing directory: still untouched
expect "bad config, existing --out" 78 "task.ordr" "$BIN" eval "$T/unknown.json" --force --out "$T/old"
if [ "$(snapshot "$T/old")" = "$before" ]; then ok; else bad "$T/old changed"; fi

CASE="non-empty --out with --force"
run "$BIN" eval "$T/good.json" --quiet --force --out "$T/old"
want_rc 0
for f in keep.txt config.json results.json curve.csv loss.csv curve.gp; do
    if [ -s "$T/old/$f" ]; then ok; else bad "no $f"; fi
done
if grep -qx keep "$T/old/keep.txt"; then ok; else bad "keep.txt changed"; fi

# ---------------- information ----------------

CASE="--version"
run "$BIN" --version
want_rc 0
if head -n 1 "$T/stdout" | grep -q '^plast [0-9][0-9]*\.[0-9][0-9]*\.[0-9]'; then ok; else bad "first line is not 'plast X.Y.Z'"; fi
CASE="an unknown PLAST_ISA is named, not ignored"
run env PLAST_ISA=avx9 "$BIN" --version
want_rc 0; want_err "PLAST_ISA=avx9 is not one of default, avx2, avx512"

CASE="help eval"
run "$BIN" help eval
want_rc 0
want_out "usage: plast eval CONFIG.json"
want_out "--force"

CASE="list rules"
run "$BIN" list rules
want_rc 0
for r in flp hebb dfa fa sgd; do
    if grep -q "^$r - " "$T/stdout"; then ok; else bad "rule $r not listed"; fi
done
if grep "^sgd - " "$T/stdout" | grep -qF "NON-LOCAL"; then ok; else bad "sgd not marked NON-LOCAL"; fi
if grep "^flp - " "$T/stdout" | grep -qF "NON-LOCAL"; then bad "flp marked NON-LOCAL"; else ok; fi
# the declared exceptions only: online SGD and the end-to-end backprop hinge reference
if [ -z "$(grep 'NON-LOCAL' "$T/stdout" | grep -vE '^(sgd|hinge-bp) - ')" ]; then ok; else bad "a rule other than sgd, hinge-bp marked NON-LOCAL"; fi

CASE="list tasks"
run "$BIN" list tasks
want_rc 0
if grep -q "^sine - " "$T/stdout"; then ok; else bad "task sine not listed"; fi
want_out "order"

# ---------------- a tiny evaluation ----------------

CASE="eval"
run "$BIN" eval "$T/good.json" --quiet --out "$T/run1"
want_rc 0
for f in config.json results.json curve.csv loss.csv curve.gp; do
    if [ -s "$T/run1/$f" ]; then ok; else bad "no $f"; fi
done
if ls "$T/run1" 2>/dev/null | grep -q '\.tmp\.'; then bad "temporary files left"; else ok; fi
if grep -qF '"final": {"mean": ' "$T/run1/results.json" 2>/dev/null; then ok; else bad "results.json has no final"; fi
if grep -qF '"runs": 2,' "$T/run1/results.json" 2>/dev/null; then ok; else bad "results.json runs is not 2"; fi
if grep -qF '"rule": "sgd"' "$T/run1/results.json" 2>/dev/null; then ok; else bad "results.json rule is not sgd"; fi
if grep -qF '"hidden": [8]' "$T/run1/config.json" 2>/dev/null; then ok; else bad "config.json lacks hidden [8]"; fi
if grep -qF '"n_batches": 2' "$T/run1/config.json" 2>/dev/null; then ok; else bad "config.json lacks n_batches 2"; fi
# 10 functions (the default): a header and 10 rows; 10 x 2 steps of loss
if [ "$(lines "$T/run1/curve.csv")" -eq 11 ]; then ok; else bad "curve.csv is not 11 lines"; fi
if [ "$(lines "$T/run1/loss.csv")" -eq 21 ]; then ok; else bad "loss.csv is not 21 lines"; fi
if head -n 1 "$T/run1/curve.csv" 2>/dev/null | grep -qx 'segments_seen,mean,ci_lo,ci_hi,std,n'; then ok; else bad "curve.csv header"; fi
want_out "| sgd (non-local) | sine | 2 |"
if grep -q '^eval:' "$T/stderr"; then bad "progress printed despite --quiet"; else ok; fi

# The resolved config reproduces the run exactly; --runs overrides the config.
CASE="eval of the resolved config"
run "$BIN" eval "$T/run1/config.json" --quiet --out "$T/run2"
want_rc 0
a=$(grep '"final_per_run"' "$T/run1/results.json" 2>/dev/null)
b=$(grep '"final_per_run"' "$T/run2/results.json" 2>/dev/null)
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok; else bad "final_per_run differs: '$a' vs '$b'"; fi

CASE="eval --runs 3 into a new nested directory"
run "$BIN" eval "$T/good.json" --quiet --runs 3 --out "$T/deep/er/run3"
want_rc 0
if grep -qF '"runs": 3,' "$T/deep/er/run3/results.json" 2>/dev/null; then ok; else bad "results.json runs is not 3"; fi

# Bad data behind a task: each its exit code, the file in the message, no output directory.
expect "missing Omniglot directory" 66 "$T/no-omniglot" \
  "$BIN" eval "$T/good.json" --set 'task={"name":"omniglot","data":"'"$T"'/no-omniglot"}' \
  --set rule=ncm --set 'net.hidden=[]' --out "$OUT/omni-missing"
printf 'not a zip at all' >"$T/broken.zip"
expect "corrupt Omniglot zip" 65 "$T/broken.zip" \
  "$BIN" eval "$T/good.json" --set 'task={"name":"omniglot","data":"'"$T"'/broken.zip","cache":""}' \
  --set rule=ncm --set 'net.hidden=[]' --out "$OUT/omni-corrupt"
printf '\000\000\010\001\000\000\000\001\000' >"$T/bad-magic.idx"
expect "IDX with a wrong magic" 65 "$T/bad-magic.idx" \
  "$BIN" eval "$T/good.json" --set 'task={"name":"images","train_images":"'"$T"'/bad-magic.idx"}' \
  --set rule=ncm --set 'net.hidden=[]' --out "$OUT/idx-magic"
expect "bench suite with an unknown key" 78 "good.json: net: unknown key" "$BIN" bench "$T/good.json" --out "$OUT/bench-bad"
printf '{"name": "x", "base": {"rule": "sgd", "task": "sine"}, "methods": [{"label": "a"}], "notes": ["%0600d"]}' 0 >"$T/long-note.json"
expect "bench suite with a note too long" 78 "long-note.json: notes[0]: longer than 511" "$BIN" bench "$T/long-note.json" --out "$OUT/bench-note"
printf '{"name": "x", "base": {"rule": "sgd", "task": "sine"}, "methods": [{"label": "a", "set": ["rule.lr=-1"]}]}' >"$T/suite.json"
expect "bench suite with a bad method" 78 "rule.lr" "$BIN" bench "$T/suite.json" --out "$OUT/bench-method"

# A small suite end to end: two variants, a swept method and a fixed one, a published figure.
cat >"$T/gsuite.json" <<'EOF2'
{"name": "g", "seed": 3, "runs": 3,
 "base": {"net": {"hidden": []}, "rule": "ncm", "task": {"name": "gauss", "n_classes": 3, "n_train": 4, "n_query": 5}},
 "variants": [{"label": "three", "reference": [{"label": "paper X", "final": 0.5}]},
              {"label": "four", "set": ["task.n_classes=4"]}],
 "methods": [{"label": "sgd", "set": ["rule=sgd"], "sweep": {"key": "rule.lr", "values": [0.1, 0.01], "runs": 2}},
             {"label": "ncm", "set": []}]}
EOF2
CASE="bench a small suite"
run "$BIN" bench "$T/gsuite.json" --out "$T/bench" --quiet
want_rc 0
if [ "$(grep -c '^| sgd (rule.lr = ' "$T/bench/table.md" 2>/dev/null)" -eq 2 ]; then ok; else bad "table.md lacks the swept rows"; fi
if grep -qF '| *published, not run here: paper X* | 0.5000 |' "$T/bench/table.md" 2>/dev/null; then ok; else bad "table.md lacks the published figure"; fi
if grep -qF '"label": "paper X", "final": 0.5, "published": true' "$T/bench/table.json" 2>/dev/null; then ok; else bad "table.json lacks the reference"; fi
if [ "$(lines "$T/bench/table.csv")" -eq 5 ]; then ok; else bad "table.csv is not a header and 4 rows"; fi
sed 's/"final": 0.5/"final": "high"/' "$T/gsuite.json" >"$T/gsuite-bad.json"
expect "bench suite with a bad reference" 78 "variants[0].reference[0]" "$BIN" bench "$T/gsuite-bad.json" --out "$OUT/bench-ref"

# plast analyze: a small config works; a missing config, a run without best.json, bad flags.
CASE="analyze a config"
run "$BIN" analyze "$T/good.json" --runs 2 --probes 2 --out "$T/an" --quiet
want_rc 0
if [ -s "$T/an/analysis.json" ] && grep -q '"cos_across_segments"' "$T/an/analysis.json"; then ok; else bad "analysis.json missing or incomplete"; fi
want_out "| online SGD |"
if grep -q '"command": "plast analyze ' "$T/an/run.json" && grep -q '"status": "finished"' "$T/an/run.json"; then ok; else bad "run.json missing, or without its command or status"; fi
expect "analyze a missing config" 66 "$T/none.json" "$BIN" analyze "$T/none.json" --out "$OUT/an-missing"
mkdir -p "$T/norun" && cp "$T/good.json" "$T/norun/config.json"
expect "analyze a run without best.json" 66 "best.json" "$BIN" analyze "$T/norun" --out "$OUT/an-nobest"
expect "analyze --probes 0" 64 "--probes" "$BIN" analyze "$T/good.json" --probes 0 --out "$OUT/an-probes"
expect "analyze --sgd-lr x" 64 "--sgd-lr" "$BIN" analyze "$T/good.json" --sgd-lr x --out "$OUT/an-lr"

# Every run diverged (not one finite point): the curve is an empty frame with its axes
# given (issue 14: plots scaled to the finite runs), not a gnuplot failure, and nothing
# temporary is left.
if command -v gnuplot >/dev/null 2>&1; then
    CASE="an all-diverged eval still plots"
    run "$BIN" eval "$T/good.json" --set rule.lr=1000 --out "$T/div" --quiet
    want_rc 0
    if [ -s "$T/div/curve.png" ]; then ok; else bad "no curve.png"; fi
    if [ -z "$(ls "$T/div" | grep '\.tmp\.')" ]; then ok; else bad "left: $(ls "$T/div")"; fi
fi

# gradcheck: the default campaign's meta-gradient against central differences (smooth units)
CASE="gradcheck of the default campaign"
run "$BIN" gradcheck "$SRC/meta/campaigns/default.json" --set net.act=tanh --set task.n_batches=2 \
    --set net.hidden=[12] --episodes 1 --directions 2
want_rc 0
want_out "worst relative error"
expect "gradcheck of a rule without a backward" 78 "has no backward" \
    "$BIN" gradcheck "$SRC/meta/campaigns/terms-sine.json"

CASE="nothing left by failures"
want_absent "$T/cwd/results"
if [ -z "$(ls -A "$OUT")" ]; then ok; else bad "failing runs left: $(ls -A "$OUT")"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
