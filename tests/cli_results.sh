#!/bin/sh
# cli_results.sh — results a researcher can publish (issue 14, second half): plast compare
# (its refusal of results scored differently, naming the keys; a difference CI on known
# per-run scores, paired and unpaired), seed sweeps of meta-training (pooled over seeds,
# the sweep resumed after an interrupt equal to an uninterrupted one) and
# scripts/reproduce on a cheap committed reference, and on a probe suite from the run.json it
# writes.
#
# usage: sh tests/cli_results.sh PATH/TO/plast SOURCE_DIR
set -u
BIN=${1:?usage: cli_results.sh PLAST_BIN SOURCE_DIR}
SRC=${2:?usage: cli_results.sh PLAST_BIN SOURCE_DIR}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
case $SRC in /*) ;; *) SRC=$(pwd)/$SRC ;; esac
. "$SRC/tests/harness.sh"
T=$tmp
mkdir "$T/cwd" && cd "$T/cwd" || exit 2
CASE=
run() { "$@" >"$T/stdout" 2>"$T/stderr" </dev/null; RC=$?; }
fail_case() { bad "[$CASE] $*"; sed -n '1,5s/^/    stderr: /p' "$T/stderr" >&2; }
want_rc() { if [ "$RC" -eq "$1" ]; then ok; else fail_case "exit code $RC, want $1"; fi; }
want_err() { if grep -qF -- "$1" "$T/stderr"; then ok; else fail_case "stderr lacks '$1'"; fi; }
want_out() { if grep -qF -- "$1" "$T/stdout"; then ok; else fail_case "stdout lacks '$1'"; fi; }
want_file() { if [ -s "$1" ]; then ok; else fail_case "no $1"; fi; }
want_absent() { if [ ! -e "$1" ]; then ok; else fail_case "$1 exists"; fi; }

CASE="compare --help"
run "$BIN" compare --help
want_rc 0; want_out "usage: plast compare"

# ---- compare: real evals, a refusal naming the differing keys ----
EV="$SRC/meta/campaigns/eval-sine-sgd.json"
SMALL="--set net.hidden=[16] --set task.n_functions=3 --set task.n_batches=5 --runs 6 --quiet"
"$BIN" eval "$EV" $SMALL --out "$T/e1" >/dev/null 2>&1
"$BIN" eval "$EV" $SMALL --set rule.lr=0.001 --out "$T/e2" >/dev/null 2>&1
"$BIN" eval "$EV" $SMALL --set task.order=iid --set task.batch=16 --out "$T/e3" >/dev/null 2>&1
CASE="compare two evals of one protocol"
run "$BIN" compare "$T/e1" "$T/e2" --out "$T/c1"
want_rc 0; want_out "difference from #1"; want_out "paired"
want_file "$T/c1/compare.json"; want_file "$T/c1/curves.gp"; want_file "$T/c1/curves.csv"
CASE="compare refuses another protocol"
run "$BIN" compare "$T/e1" "$T/e3" --out "$T/c2"
want_rc 65; want_err 'task.order ("continual" vs "iid")'; want_err "task.batch (32 vs 16)"; want_absent "$T/c2"
CASE="compare a missing directory"
run "$BIN" compare "$T/e1" "$T/nothing" --out "$T/c3"
want_rc 66; want_absent "$T/c3"

# ---- compare: the difference CI on known per-run scores ----
# b = a + 0.5 run for run on the same episodes: paired, exactly +0.5 [+0.5, +0.5]. Another
# seed makes them independent samples: constant 1 and constant 3 give exactly +2 [+2, +2],
# and the unpaired interval of a spread sample is wider than the paired one.
known() { # DIR SEED FINALS
    mkdir -p "$1"
    cp "$T/e1/config.json" "$1/config.json"
    cat >"$1/results.json" <<EOJ
{"rule": "sgd", "task": "sine", "runs": 4, "seed": $2, "score": "MSE (lower is better)",
 "diverged": 0, "final_median_all": 2.5, "final": {"mean": 2.5, "std": 1, "ci95": [1, 4], "n": 4, "diverged": 0},
 "curve": [], "final_per_run": [$3]}
EOJ
    sed -i "s/^  \"seed\": [0-9]*,/  \"seed\": $2,/" "$1/config.json"
}
known "$T/k1" 1 "1, 2, 3, 4"
known "$T/k2" 1 "1.5, 2.5, 3.5, 4.5"
known "$T/k3" 2 "1, 1, 1, 1"
known "$T/k4" 3 "3, 3, 3, 3"
known "$T/k5" 2 "1.5, 2.5, 3.5, 4.5"
CASE="paired difference of a known shift"
run "$BIN" compare "$T/k1" "$T/k2" --out "$T/ck1"
want_rc 0; want_out "+0.5000 [+0.5000, +0.5000] paired, worse"
if grep -q '"difference": {"mean": 0.5, "ci95": \[0.5, 0.5\], "paired": true, "n": 4' "$T/ck1/compare.json"; then ok; else fail_case "compare.json difference"; fi
CASE="unpaired difference of constants"
run "$BIN" compare "$T/k3" "$T/k4" --out "$T/ck2" --baseline sgd
want_rc 0; want_out "+2.0000 [+2.0000, +2.0000] unpaired, worse"
CASE="unpaired interval of a shifted sample is wide"
run "$BIN" compare "$T/k1" "$T/k5" --out "$T/ck3"
want_rc 0; want_out "unpaired, no clear difference (CI contains 0)"
# ---- seed sweeps: pooled over seeds; interrupted (on 2 threads) and resumed = uninterrupted ----
CAMP="$SRC/meta/campaigns/flp-sine-es.json"
TINY="--set campaign.generations=30 --set campaign.popsize=4 --set campaign.optimizer=openai-es --set campaign.validation_runs=2 --set runs=4 --set campaign.tune_runs=1 --set task.n_functions=2 --set campaign.validate_every=5 --set campaign.checkpoint_every=5"
CASE="seed sweep"
run "$BIN" meta-train "$CAMP" $TINY --seeds 1-2 --out "$T/swA" --quiet
want_rc 0; want_out "mean over seeds [95% CI over seeds]"; want_out "| starting point | 2 of 2 |"
for f in seeds.json seeds.md seeds.csv seeds.gp seed-1/summary.json seed-2/best.json; do want_file "$T/swA/$f"; done
if [ "$(head -1 "$T/swA/seeds.csv")" = "generation,mean_seed1,validation_seed1,mean_seed2,validation_seed2" ]; then ok; else fail_case "seeds.csv header"; fi
if grep -q '"seed": 2' "$T/swA/seed-2/config.json"; then ok; else fail_case "seed-2 does not run seed 2"; fi
CASE="seed sweep pooled = the seeds' own summaries"
if command -v python3 >/dev/null 2>&1; then
    if python3 - "$T/swA" <<'EOP'
import json, sys, math
d = sys.argv[1]
p = json.load(open(d + "/seeds.json"), parse_constant=lambda c: sys.exit(1))
for m, meth in enumerate(p["methods"]):
    xs = [json.load(open("%s/seed-%d/summary.json" % (d, s)))["methods"][m]["final"]["mean"] for s in (1, 2)]
    mean = sum(xs) / 2
    half = 12.706 * math.sqrt(sum((x - mean) ** 2 for x in xs)) / math.sqrt(2)
    assert abs(meth["mean_over_seeds"] - mean) < 1e-6 * max(1, abs(mean)), (meth, xs)
    assert abs(meth["ci95_over_seeds"][1] - (mean + half)) < 1e-5 * max(1, abs(mean + half)), (meth, xs)
EOP
    then ok; else fail_case "seeds.json does not pool the seeds' summaries (mean, t interval)"; fi
fi
CASE="seed sweep interrupted"
"$BIN" meta-train "$CAMP" $TINY --seeds 1-2 --out "$T/swB" --threads 2 --quiet >/dev/null 2>"$T/stderr" </dev/null &
pid=$!
i=0
while [ ! -s "$T/swB/seed-2/metrics.csv" ] && [ $i -lt 1200 ]; do sleep 0.02; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
want_rc 75; want_err "resume the sweep with --resume"
want_absent "$T/swB/seeds.json"
CASE="seed sweep resumed"
run "$BIN" meta-train --resume "$T/swB" --quiet
want_rc 0
for f in seeds.json seeds.md seeds.csv seed-2/summary.json; do
    if cmp -s "$T/swA/$f" "$T/swB/$f"; then ok; else fail_case "$f differs from the uninterrupted sweep"; fi
done
if [ "$(grep -c '"status"' "$T/swB/sweep.json")" -eq 2 ] && grep -q '"threads": 2,' "$T/swB/sweep.json" \
    && grep -q '"campaign": ".*flp-sine-es.json"' "$T/swB/sweep.json"; then ok; else fail_case "sweep.json lacks the sessions/threads/campaign"; fi
CASE="seed sweep bad list"
run "$BIN" meta-train "$CAMP" --seeds 3-1 --out "$T/swC"
want_rc 64; want_err "not a list of seeds"; want_absent "$T/swC"

# ---- reproduce: every committed reference says how it was made; a rerun reports differences ----
CASE="every reference has a run.json (a suite: bench.json) with a plast command"
for d in "$SRC"/results/reference/*/; do
    rec=$d/run.json
    [ -f "$rec" ] || rec=$d/bench.json
    if grep -q '"command": "plast \(meta-train\|bench\|analyze\|eval\|probe\) ' "$rec" 2>/dev/null; then ok; else fail_case "$d lacks run.json (or bench.json) or its command"; fi
done
if command -v python3 >/dev/null 2>&1; then
    # A cheap reduced form of a reference: a tiny campaign made here, rerun as its run.json says.
    run "$BIN" meta-train "$CAMP" --set campaign.generations=4 --set campaign.popsize=4 --set campaign.validation_runs=2 \
        --set runs=4 --set campaign.tune_runs=1 --set task.n_functions=2 --out "$T/ref1" --quiet
    CASE="reproduce an unchanged result"
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/ref1"
    want_rc 0; want_out "identical: every number of summary.json reproduced"
    CASE="reproduce a result that differs"
    sed 's/"best_validation": [0-9.e+-]*/"best_validation": 12345/' "$T/ref1/summary.json" >"$T/s.json" && mv "$T/s.json" "$T/ref1/summary.json"
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/ref1"
    want_rc 1; want_out "1 difference(s) in summary.json"; want_out "summary.json.best_validation: 12345 ->"
    CASE="reproduce a command whose arguments need shell quoting"
    run "$BIN" meta-train "$CAMP" --set campaign.generations=4 --set campaign.popsize=4 --set campaign.validation_runs=2 \
        --set runs=4 --set campaign.tune_runs=1 --set task.n_functions=2 --set 'net.hidden=[12, 8]' --out "$T/it's ref1" --quiet
    want_rc 0
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/it's ref1"
    want_rc 0; want_out "identical: every number of summary.json reproduced"
    CASE="reproduce a seed of a sweep"
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/swA/seed-2"
    want_rc 0; want_out "identical"
    CASE="reproduce a suite from its bench.json"
    cat >"$T/rs.json" <<'EOS'
{"name": "rs", "seed": 3, "runs": 3,
 "base": {"net": {"hidden": [16]}, "rule": "sgd", "task": {"name": "sine", "n_functions": 2, "n_batches": 5, "batch": 8}},
 "variants": [{"label": "continual", "set": ["task.order=continual"]}],
 "methods": [{"label": "SGD", "set": ["rule.lr=0.01"]}]}
EOS
    run "$BIN" bench "$T/rs.json" --out "$T/rb" --quiet
    want_rc 0; want_absent "$T/rb/run.json"
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/rb"
    want_rc 0; want_out "identical"
    CASE="probe writes run.json as meta-train does; reproduce reruns it"
    cat >"$T/ps.json" <<'EOS'
{"name": "ps", "seeds": 2, "probe": {"epochs": 3},
 "base": {"net": {"hidden": [8]}, "rule": "hinge",
          "task": {"name": "views", "source": "synthetic", "side": 8, "steps": 5, "out": 4}},
 "methods": [{"name": "random", "train": false}, {"name": "layer-wise hinge"}]}
EOS
    run "$BIN" probe "$T/ps.json" --out "$T/pr" --quiet
    want_rc 0; want_file "$T/pr/run.json"
    if grep -q "^  \"command\": \"plast probe $T/ps.json --out $T/pr --quiet\"," "$T/pr/run.json" \
        && grep -q '^  "git": "[^"]' "$T/pr/run.json" && grep -q '^  "blas": "' "$T/pr/run.json" \
        && grep -q '^  "resumed": false,' "$T/pr/run.json" && grep -q '^  "status": "finished",' "$T/pr/run.json" \
        && grep -q '^  "exit_code": 0' "$T/pr/run.json"; then ok; else fail_case "run.json: $(cat "$T/pr/run.json")"; fi
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/pr" --threads 2 # probe takes no --threads: not passed on
    want_rc 0; want_out "identical"
    CASE="probe --resume adds its session to run.json"
    run "$BIN" probe "$T/ps.json" --out "$T/pr" --resume --quiet
    want_rc 0
    if [ "$(grep -c '{"command": *"plast probe' "$T/pr/run.json")" -eq 2 ] && grep -q '^  "resumed": true,' "$T/pr/run.json" \
        && grep -q '"previous_session": {"status": "finished"' "$T/pr/run.json"; then ok; else fail_case "run.json: $(cat "$T/pr/run.json")"; fi
    CASE="reproduce without run.json"
    run env PLAST="$BIN" sh "$SRC/scripts/reproduce" "$T/e1"
    want_rc 2; want_err "run.json is missing"
fi

finish
