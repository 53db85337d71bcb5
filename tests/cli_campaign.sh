#!/bin/sh
# cli_campaign.sh — `plast meta-train` end to end: a run directory with every file, the
# refusal to overwrite, SIGTERM in the middle of a run (exit 75, checkpoint) and --resume
# giving the same metrics as an uninterrupted run, a foreign checkpoint, a config without a
# campaign, a probe meta-loss campaign's plot, `plast show` and `plast plot`.
# usage: cli_campaign.sh PLAST_BIN SOURCE_DIR
set -u
bin=$1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect() { # expect CODE DESCRIPTION CMD...
  want=$1; what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; got=$?
  if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; sed 's/^/  /' "$tmp/err" >&2; fi
}
has() { # has FILE FRAGMENT DESCRIPTION
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1"; fi
}

cat >"$tmp/c.json" <<'JSON'
{"seed": 3, "runs": 4,
 "net": {"hidden": [16], "bias_init": "uniform", "bias_value": 3},
 "rule": {"name": "flp", "form": "hebb", "granularity": "layer", "feedback_relu": false,
          "p_init": 1e-6, "beta_init": 1},
 "task": {"name": "sine", "order": "iid", "n_batches": 4},
 "campaign": {"optimizer": "sep-cmaes", "generations": 6, "popsize": 6, "episodes": 1,
              "validate_every": 2, "validation_runs": 3, "checkpoint_every": 2, "tune_runs": 2,
              "owns": ["plasticity", "beta", "feedback"]}}
JSON

# A whole run.
expect 0 "small campaign" "$bin" meta-train "$tmp/c.json" --out "$tmp/run" --quiet
for f in config.json run.json metrics.csv metrics.jsonl checkpoint.bin best.json start.json \
         summary.json summary.md curves.csv curves.gp metatrain.gp; do
  if [ -s "$tmp/run/$f" ]; then ok; else bad "run directory lacks $f"; fi
done
has "$tmp/run/run.json" '"status": "finished"' "run.json status"
has "$tmp/run/summary.json" '"methods"' "summary.json"
has "$tmp/out" "meta-trained flp" "final table on stdout"
[ "$(wc -l <"$tmp/run/metrics.csv")" -eq 8 ] && ok || bad "metrics.csv has a header and 7 rows (generations 0-6)"
[ "$(wc -l <"$tmp/run/metrics.jsonl")" -eq 7 ] && ok || bad "metrics.jsonl has 7 rows"
if ls "$tmp/run" | grep -q '\.tmp\.'; then bad "temporary files left"; else ok; fi

# best.json is a params file: `plast eval` of the run's config with it reproduces the
# final table's meta-trained row exactly (same seed, same evaluation episodes).
expect 0 "eval best.json" "$bin" eval "$tmp/run/config.json" --set "params=$tmp/run/best.json" \
  --out "$tmp/ev" --quiet
want=$(grep "meta-trained" "$tmp/run/summary.md" | cut -d'|' -f3-4)
got=$(sed -n 3p "$tmp/out" | cut -d'|' -f5-6)
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval of best.json gives '$got', the run said '$want'"

# Never overwritten without --force.
ls "$tmp/run" >"$tmp/before"
expect 64 "existing run directory" "$bin" meta-train "$tmp/c.json" --out "$tmp/run" --quiet
has "$tmp/err" "--force" "message names --force"
ls "$tmp/run" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "existing directory changed"

# show and plot.
expect 0 "show" "$bin" show "$tmp/run"
has "$tmp/out" "learned meta-parameters" "show lists the parameters"
has "$tmp/out" "P\[1\]" "show names the tensors"
if command -v gnuplot >/dev/null 2>&1; then
  expect 0 "plot" "$bin" plot "$tmp/run"
  [ -s "$tmp/run/metatrain.png" ] && [ -s "$tmp/run/curves.png" ] && ok || bad "plots not drawn"
fi

# A campaign with no final evaluation (a probe meta-loss) still draws its meta-training plot,
# also when every meta-loss is 0 (nothing for a log scale).
cat >"$tmp/pm.json" <<'JSON'
{"seed": 2, "net": {"hidden": [16], "act": "relu"},
 "rule": {"name": "hinge", "feedback": "bp", "lr": 0.002, "head_lr": 0.002, "head": 8},
 "task": {"name": "views", "source": "synthetic", "steps": 10, "pairs": 4, "shift": 1, "out": 8},
 "campaign": {"optimizer": "snes", "generations": 2, "popsize": 4, "episodes": 1,
              "validate_every": 1, "validation_runs": 1, "owns": ["lr"],
              "meta_loss": "probe", "probe_train": 50, "probe_test": 20, "probe_epochs": 1}}
JSON
expect 0 "probe meta-loss campaign" "$bin" meta-train "$tmp/pm.json" --out "$tmp/pm" --quiet
if command -v gnuplot >/dev/null 2>&1; then
  [ -s "$tmp/pm/metatrain.png" ] && ok || bad "no metatrain.png for a probe meta-loss campaign"
fi

# SIGTERM in the middle, then --resume: same metrics as the uninterrupted run.
long="--set campaign.generations=1000 --set campaign.checkpoint_every=1000"
expect 0 "uninterrupted long run" "$bin" meta-train "$tmp/c.json" --out "$tmp/full" --quiet $long
"$bin" meta-train "$tmp/c.json" --out "$tmp/cut" --quiet $long 2>"$tmp/err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
code=$?
if [ $code -eq 75 ]; then ok; else bad "SIGTERM: exit $code, wanted 75"; cat "$tmp/err" >&2; fi
has "$tmp/err" "resume" "interrupt message says how to resume"
has "$tmp/cut/run.json" '"status": "interrupted"' "run.json records the interrupt"
[ -s "$tmp/cut/checkpoint.bin" ] && ok || bad "no checkpoint after SIGTERM"
expect 0 "resume" "$bin" meta-train --resume "$tmp/cut" --quiet --threads 2
cut -d, -f1-7 "$tmp/full/metrics.csv" >"$tmp/m1"
cut -d, -f1-7 "$tmp/cut/metrics.csv" >"$tmp/m2"
cmp -s "$tmp/m1" "$tmp/m2" && ok || bad "resumed metrics differ from the uninterrupted run"
cmp -s "$tmp/full/best.json" "$tmp/cut/best.json" && ok || bad "resumed best.json differs"
cmp -s "$tmp/full/summary.json" "$tmp/cut/summary.json" && ok || bad "resumed summary differs"

# A foreign checkpoint, a truncated one, resume flags, a config without a campaign.
cp "$tmp/run/checkpoint.bin" "$tmp/cut/checkpoint.bin"
expect 65 "foreign checkpoint" "$bin" meta-train --resume "$tmp/cut" --quiet
has "$tmp/err" "another config" "foreign checkpoint message"
head -c 100 "$tmp/full/checkpoint.bin" >"$tmp/cut/checkpoint.bin"
expect 65 "truncated checkpoint" "$bin" meta-train --resume "$tmp/cut" --quiet
expect 64 "--resume with --set" "$bin" meta-train --resume "$tmp/cut" --set seed=2
expect 64 "no campaign file" "$bin" meta-train
expect 66 "missing resume directory" "$bin" meta-train --resume "$tmp/nothing"
printf '{"rule": "flp", "task": "sine"}' >"$tmp/nocamp.json"
expect 78 "config without a campaign" "$bin" meta-train "$tmp/nocamp.json" --out "$tmp/nc"
[ ! -e "$tmp/nc" ] && ok || bad "output directory made for a bad config"
expect 78 "bad campaign key" "$bin" meta-train "$tmp/c.json" --out "$tmp/nc" --set campaign.popsize=-1
has "$tmp/err" "campaign.popsize" "bad campaign key named"
[ ! -e "$tmp/nc" ] && ok || bad "output directory made for a bad campaign key"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
