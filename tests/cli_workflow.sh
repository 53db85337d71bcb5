#!/bin/sh
# cli_workflow.sh — the researcher's workflow (issue 14) end to end: help on every command,
# "did you mean", --set on a list element, show's best generation, plot on any directory,
# eval's divergence headline and continual metrics, bench interrupt + resume equal to an
# uninterrupted suite, --runs/--set/--only, suite-relative paths, meta-train --resume
# remembering its threads and sessions, a gradient campaign's progress line.
#
# usage: sh tests/cli_workflow.sh PATH/TO/plast SOURCE_DIR
set -u
BIN=${1:?usage: cli_workflow.sh PLAST_BIN SOURCE_DIR}
SRC=${2:?usage: cli_workflow.sh PLAST_BIN SOURCE_DIR}
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

# ---- help on every command, with --help and -h, exit 0 ----
for c in meta-train eval bench analyze show plot list; do
    for h in --help -h; do
        CASE="$c $h"
        run "$BIN" "$c" "$h"
        want_rc 0
        want_out "usage: plast $c"
    done
done
CASE="help meta-train lists the campaign keys with defaults"
run "$BIN" help meta-train
want_rc 0; want_out "validate_every"; want_out "default"; want_out "fitness_cap"
CASE="list optimizers"
run "$BIN" list optimizers
want_rc 0; want_out "sep-cmaes"; want_out "snes"

# ---- did you mean ----
CASE="mistyped command"
run "$BIN" meta-trian x.json
want_rc 64; want_err "did you mean 'meta-train'"
CASE="mistyped config key"
run "$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --set task.nfunctions=3 --out "$T/typo"
want_rc 78; want_err "did you mean 'n_functions'"; want_absent "$T/typo"
CASE="mistyped rule"
run "$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --set rule.name=hebbb --out "$T/typo"
want_rc 78; want_err "did you mean 'hebb'"

# ---- --set on a list element ----
CASE="--set net.hidden[0]=7"
run "$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --set 'net.hidden=[5,6]' --set 'net.hidden[0]=7' \
    --set task.n_functions=2 --set task.n_batches=2 --runs 2 --out "$T/idx" --quiet
want_rc 0
if tr -d ' \n' <"$T/idx/config.json" | grep -q '"hidden":\[7,6\]'; then ok; else fail_case "hidden is not [7,6]"; fi
CASE="--set out of range index"
run "$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --set 'net.hidden=[5,6]' --set 'net.hidden[2]=7' --out "$T/idx2"
want_rc 64; want_err "index out of range"; want_absent "$T/idx2"

# ---- eval's default directory has no doubled prefix ----
CASE="eval default directory name"
run "$BIN" eval "$SRC/meta/campaigns/eval-sine-sgd.json" --set task.n_functions=2 --set task.n_batches=2 --runs 1 --quiet
want_rc 0
if ls results | grep -q '^eval-sine-sgd-' && ! ls results | grep -q 'eval-eval'; then ok; else fail_case "$(ls results)"; fi

# ---- plot works on an eval directory ----
CASE="plot an eval directory"
run "$BIN" plot "$T/idx"
if command -v gnuplot >/dev/null 2>&1; then want_rc 0; want_out "redrawn"; else want_rc 66; fi
CASE="plot a missing directory"
run "$BIN" plot "$T/nothing"
want_rc 66

# ---- eval: divergence first, the headline rule, continual metrics, strict JSON ----
EV="$SRC/meta/campaigns/eval-sine-sgd.json"
SMALL="--set net.hidden=[20] --set task.n_functions=3 --set task.n_batches=10"
CASE="eval with diverging runs"
run "$BIN" eval "$EV" $SMALL --set rule.lr=0.1 --runs 10 --out "$T/div" --quiet
want_rc 0
if head -1 "$T/stdout" | grep -q '^DIVERGED: [1-9][0-9]* of 10 runs'; then ok; else fail_case "first line: $(head -1 "$T/stdout")"; fi
want_out "median of all runs, diverged = worst"
want_out "BWT"; want_out "forgetting"; want_out "for MSE (lower is better) BWT > 0"
if grep -q '"diverged": [1-9]' "$T/div/results.json" && grep -q '"final_median_all": [0-9]' "$T/div/results.json" \
    && grep -q '"BWT": {"mean"' "$T/div/results.json"; then ok; else fail_case "results.json lacks diverged/final_median_all/BWT"; fi
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]), parse_constant=lambda c: sys.exit(1))' "$T/div/results.json"; then ok; else fail_case "results.json is not strict JSON"; fi
fi
CASE="eval where every run diverges"
run "$BIN" eval "$EV" $SMALL --set rule.lr=3 --runs 4 --out "$T/div4" --quiet
want_rc 0; want_out "DIVERGED: 4 of 4"; want_out "none (half or more diverged)"
if grep -q '"final_median_all": null' "$T/div4/results.json"; then ok; else fail_case "final_median_all is not null"; fi

# ---- eval: exit 75 on SIGINT, no directory ----
CASE="eval interrupted"
"$BIN" eval "$EV" --set 'net.hidden=[64]' --set task.n_functions=3 --runs 100000 --out "$T/evint" --quiet \
    >"$T/stdout" 2>"$T/stderr" </dev/null &
pid=$!
sleep 1
kill -INT $pid
wait $pid
RC=$?
want_rc 75; want_err "interrupted"; want_absent "$T/evint"

# ---- bench: interrupted, resumed (on another thread count) = uninterrupted, bit for bit ----
mkdir -p "$T/suites/params"
cat >"$T/suites/s.json" <<'EOS'
{"name": "s", "seed": 5, "runs": 200,
 "base": {"net": {"hidden": [64]}, "rule": "sgd", "task": {"name": "sine", "n_functions": 3, "n_batches": 10, "batch": 8}},
 "variants": [{"label": "continual", "set": ["task.order=continual"]}, {"label": "i.i.d.", "set": ["task.order=iid"]}],
 "methods": [{"label": "SGD", "set": ["rule.lr=0.01"]}, {"label": "DFA", "set": ["rule=dfa"]}]}
EOS
CASE="bench uninterrupted"
run "$BIN" bench "$T/suites/s.json" --out "$T/b-full" --quiet
want_rc 0
want_file "$T/b-full/heatmap_continual_sgd.gp"; want_file "$T/b-full/curves_i.i.d.csv"; want_file "$T/b-full/heatmap_i.i.d_dfa.dat"
CASE="bench interrupted"
"$BIN" bench "$T/suites/s.json" --out "$T/b-int" >"$T/stdout" 2>"$T/stderr" </dev/null &
pid=$!
i=0
while [ "$(ls "$T/b-int/cells" 2>/dev/null | grep -c '\.bin$')" -lt 1 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
want_rc 75; want_err "--resume"; want_err "ETA"
n_done=$(ls "$T/b-int/cells" | grep -c '\.bin$')
if [ "$n_done" -ge 1 ] && [ "$n_done" -lt 4 ]; then ok; else fail_case "$n_done cells done at the interrupt"; fi
if grep -q '"status": "interrupted"' "$T/b-int/bench.json"; then ok; else fail_case "bench.json does not say interrupted"; fi
CASE="bench records its suite's directory relative to itself"
if grep -q '"suite_dir": "../suites"' "$T/b-int/bench.json"; then ok; else fail_case "suite_dir is not ../suites"; fi
# the suite and its results copied elsewhere together (another checkout): still resumable,
# and the finished cells are read back, not computed again
mkdir -p "$T/moved"
cp -r "$T/suites" "$T/b-int" "$T/moved/"
CASE="bench resumed"
run "$BIN" bench --resume "$T/moved/b-int" --threads 2
want_rc 0; want_err "read back from"
for f in table.md table.csv table.json curves_continual.csv heatmap_i.i.d_dfa.dat; do
    if cmp -s "$T/b-full/$f" "$T/moved/b-int/$f"; then ok; else fail_case "$f differs from the uninterrupted suite"; fi
done
if [ "$(grep -c '"status"' "$T/moved/b-int/bench.json")" -eq 2 ] && grep -q '"status": "finished"' "$T/moved/b-int/bench.json"; then ok; else fail_case "bench.json lacks the two sessions"; fi

# ---- meta-train --resume remembers --threads and keeps every session in run.json ----
CASE="meta-train resume remembers threads"
"$BIN" meta-train "$SRC/meta/campaigns/flp-sine-es.json" --set campaign.generations=400 --set campaign.popsize=4 --set campaign.optimizer=openai-es \
    --set campaign.validation_runs=2 --set runs=2 --set campaign.tune_runs=1 --set task.n_functions=2 \
    --set campaign.validate_every=100 --threads 2 --out "$T/mtr" --quiet >/dev/null 2>"$T/stderr" &
pid=$!
i=0
while [ ! -s "$T/mtr/metrics.csv" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
want_rc 75
"$BIN" meta-train --resume "$T/mtr" --quiet >/dev/null 2>"$T/stderr" &
pid=$!
i=0
while [ "$(grep -c '{"command": *"plast meta-train' "$T/mtr/run.json")" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
want_rc 75
if grep -q '^  "threads": 2,' "$T/mtr/run.json"; then ok; else fail_case "run.json threads: $(grep threads "$T/mtr/run.json")"; fi
if [ "$(grep -c '{"command": *"plast meta-train' "$T/mtr/run.json")" -eq 2 ] && grep -q '"status": "interrupted"}' "$T/mtr/run.json"; then ok; else fail_case "run.json lacks the session history"; fi

# ---- a gradient campaign's progress: steps, loss, lr, gradient norm; idle threads named ----
CASE="gradient campaign progress"
run "$BIN" meta-train "$SRC/meta/campaigns/default.json" --set campaign.generations=2 --set campaign.episodes=1 \
    --set campaign.validate_every=2 --set campaign.validation_runs=2 --set runs=2 --set task.n_functions=2 \
    --threads 2 --out "$T/grad"
want_rc 0; want_err "step     2/2  loss "; want_err "  lr 0.03  |grad| "; want_err "episodes/s"
want_err "campaign.episodes is 1: a step keeps 1 of the 2 threads busy"

# ---- bench: --runs, --set, --only ----
CASE="bench --only --runs --set"
run "$BIN" bench "$T/suites/s.json" --only DFA --only continual --runs 3 --set task.n_functions=2 --out "$T/b-only" --quiet
want_rc 0
if [ "$(ls "$T/b-only/cells" | wc -l)" -eq 1 ] && grep -q '| DFA' "$T/b-only/table.md" && grep -q '(3 runs' "$T/b-only/table.md"; then ok; else fail_case "not one DFA cell of 3 runs"; fi
if [ "$(head -1 "$T/b-only/curves_continual.csv" | tr ',' '\n' | wc -l)" -eq 4 ] && [ "$(wc -l <"$T/b-only/curves_continual.csv")" -eq 3 ]; then ok; else fail_case "--set task.n_functions=2 not applied"; fi
CASE="bench --only unknown label"
run "$BIN" bench "$T/suites/s.json" --only DFX --out "$T/b-bad"
want_rc 64; want_err "did you mean 'DFA'"; want_absent "$T/b-bad"

# ---- bench: params paths relative to the suite file, checked before anything is written ----
"$BIN" meta-train "$SRC/meta/campaigns/flp-sine-es.json" --set campaign.generations=1 --set campaign.popsize=4 \
    --set campaign.validation_runs=2 --set runs=2 --set campaign.tune_runs=1 --set task.n_functions=2 \
    --out "$T/mt" --quiet >/dev/null 2>&1
cp "$T/mt/best.json" "$T/suites/params/best.json"
cat >"$T/suites/rel.json" <<'EOS'
{"name": "rel", "seed": 1, "runs": 2,
 "base": {"net": {"hidden": [100], "act": "relu"}, "rule": {"name": "flp", "form": "hebb", "granularity": "layer", "feedback_relu": false}, "task": {"name": "sine", "n_functions": 2, "n_batches": 4, "order": "iid"}},
 "methods": [{"label": "flp", "set": ["params=params/best.json"]}]}
EOS
sed 's|params/best.json|params/missing.json|' "$T/suites/rel.json" >"$T/suites/rel-missing.json"
CASE="suite-relative params from another directory"
run "$BIN" bench "$T/suites/rel.json" --out "$T/b-rel" --quiet
want_rc 0
CASE="suite-relative params missing"
run "$BIN" bench "$T/suites/rel-missing.json" --out "$T/b-relm" --quiet
want_rc 66; want_err "$T/suites/params/missing.json"; want_absent "$T/b-relm"

finish
