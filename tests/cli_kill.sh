#!/bin/sh
# cli_kill.sh — a campaign killed with SIGKILL at many points, including before its first
# checkpoint and in the middle of a checkpoint write, always resumes (--resume) to exactly
# the numbers of an uninterrupted run: the same metrics (all but timing columns), best.json
# and final table. A resumed run leaves no temporary file and records the killed session.
# Exact points come from tests/kill_shim.c (preloaded); two more kills are timed.
# usage: cli_kill.sh PLAST_BIN KILL_SHIM.so
set -u
bin=$1
shim=$2
. "$(dirname "$0")/harness.sh"
# The shim is loaded before the sanitizer runtime in the sanitizer build.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS

cat >"$tmp/c.json" <<'JSON'
{"seed": 11, "runs": 3,
 "net": {"hidden": [12], "bias_init": "uniform", "bias_value": 3},
 "rule": {"name": "flp", "form": "hebb", "granularity": "layer", "feedback_relu": false,
          "p_init": 1e-6, "beta_init": 1},
 "task": {"name": "sine", "order": "iid", "n_batches": 3},
 "campaign": {"optimizer": "sep-cmaes", "generations": 6, "popsize": 5, "episodes": 1,
              "validate_every": 2, "validation_runs": 3, "checkpoint_every": 2, "tune_runs": 2,
              "owns": ["plasticity", "beta", "feedback"]}}
JSON

"$bin" meta-train "$tmp/c.json" --out "$tmp/ref" --quiet >/dev/null 2>"$tmp/err" || { bad "reference run failed"; cat "$tmp/err" >&2; exit 1; }

# same NAME DIR: DIR finished with the reference's numbers, no temporary files.
same() {
  cut -d, -f1-7 "$tmp/ref/metrics.csv" >"$tmp/a"
  cut -d, -f1-7 "$2/metrics.csv" >"$tmp/b" 2>/dev/null
  if [ -s "$tmp/b" ] && cmp -s "$tmp/a" "$tmp/b"; then ok; else bad "$1: metrics differ from an uninterrupted run"; fi
  for f in best.json summary.md start.json config.json; do
    if cmp -s "$tmp/ref/$f" "$2/$f"; then ok; else bad "$1: $f differs from an uninterrupted run"; fi
  done
  grep -q '"status": "finished"' "$2/run.json" && ok || bad "$1: run.json does not say finished"
  if ls "$2" | grep -q '\.tmp\.'; then bad "$1: temporary files left: $(ls "$2" | grep '\.tmp\.')"; else ok; fi
}

# killed NAME MATCH N [half]: runs a new campaign killed at the Nth rename of MATCH.
killed() {
  rm -rf "$tmp/k"
  if [ "${4:-}" = half ]; then half=1; else half=; fi
  LD_PRELOAD=$shim PLAST_KILL_MATCH=$2 PLAST_KILL_AT=$3 PLAST_KILL_HALF=$half \
    "$bin" meta-train "$tmp/c.json" --out "$tmp/k" --quiet >/dev/null 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 137 ] && ok || { bad "$1: exit $rc, wanted death by SIGKILL (137)"; cat "$tmp/err" >&2; }
  [ -z "$half" ] || unset PLAST_KILL_HALF
}

# resumed NAME: resumes $tmp/k to the end and compares.
resumed() {
  "$bin" meta-train --resume "$tmp/k" --quiet >/dev/null 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 0 ] && ok || { bad "$1: resume exit $rc"; sed 's/^/  /' "$tmp/err" >&2; }
  grep -q '"previous_session": {"status": "killed"' "$tmp/k/run.json" && ok ||
    bad "$1: run.json does not record the killed session"
  same "$1" "$tmp/k"
}

# Before the run directory exists under its name: nothing to resume, and nothing half-made.
killed "config.json" config.json.tmp 1
[ ! -e "$tmp/k" ] && ok || bad "config.json: a run directory exists without its config"

# The directory holds its config and nothing else yet.
killed "run.json" run.json.tmp 1
[ -s "$tmp/k/config.json" ] && [ ! -e "$tmp/k/checkpoint.bin" ] && ok || bad "run.json: unexpected state"
resumed "run.json"

# Before the first checkpoint: writing the generation-0 checkpoint, whole or half written.
killed "first checkpoint" checkpoint.bin.tmp 1
[ ! -e "$tmp/k/checkpoint.bin" ] && ok || bad "first checkpoint: checkpoint.bin exists"
resumed "first checkpoint"
killed "first checkpoint, half written" checkpoint.bin.tmp 1 half
resumed "first checkpoint, half written"

# Between checkpoints (after generation 1's metrics), during later checkpoint writes, and
# during the final outputs.
killed "metrics" metrics.csv.tmp 1
resumed "metrics"
killed "second checkpoint" checkpoint.bin.tmp 2 half
resumed "second checkpoint"
killed "last checkpoint" checkpoint.bin.tmp 4
resumed "last checkpoint"
killed "summary" summary.json.tmp 1
resumed "summary"

# Killed twice: again while the resumed session writes its first checkpoint.
killed "twice" checkpoint.bin.tmp 2
LD_PRELOAD=$shim PLAST_KILL_MATCH=checkpoint.bin.tmp PLAST_KILL_AT=1 \
  "$bin" meta-train --resume "$tmp/k" --quiet >/dev/null 2>&1
[ $? -eq 137 ] && ok || bad "twice: the resumed session was not killed"
resumed "twice"

# Timed kills, wherever they land (the directory exists once the config is read).
for delay in 0.05 0.15; do
  rm -rf "$tmp/k"
  "$bin" meta-train "$tmp/c.json" --out "$tmp/k" --quiet >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid"
  if [ -d "$tmp/k" ] && [ ! -e "$tmp/k/summary.md" ]; then resumed "timed $delay s"; else ok; fi
done

# Killed while gnuplot draws a figure: gnuplot dies with the run and writes nothing after it,
# so it cannot race the resumed run (which removes what a killed run left).
gnuplot_child() { # PID: the pid of a live gnuplot child of PID, if any
  for s in /proc/[0-9]*/stat; do
    read -r cpid comm state ppid rest <"$s" 2>/dev/null || continue
    if [ "$ppid" = "$1" ] && [ "$comm" = "(gnuplot)" ] && [ "$state" != Z ]; then echo "$cpid"; return 0; fi
  done
  return 1
}
if command -v gnuplot >/dev/null; then
  g=
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$tmp/k"
    "$bin" meta-train "$tmp/c.json" --out "$tmp/k" --quiet >/dev/null 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do g=$(gnuplot_child "$pid") && break; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    [ -n "$g" ] && break
  done
  before=$(ls -l "$tmp/k" 2>/dev/null)
  if [ -z "$g" ]; then
    bad "plotting: never caught gnuplot running in 10 runs"
  else
    alive=1
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      read -r cpid comm state rest <"/proc/$g/stat" 2>/dev/null && [ "$state" != Z ] || { alive=; break; }
      sleep 0.1
    done
    [ -z "$alive" ] && ok || bad "plotting: gnuplot $g outlived the killed run by 2 s"
    [ "$(ls -l "$tmp/k" 2>/dev/null)" = "$before" ] && ok ||
      bad "plotting: the run directory changed after the run was killed"
    resumed "plotting"
  fi
else
  echo "gnuplot is not installed: the kill-while-plotting check is skipped" >&2
fi

finish
