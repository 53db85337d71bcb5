#!/bin/sh
# cli_mpi.sh — a campaign gives bit-identical metrics and best parameters on 1 thread,
# 2 threads and 2 MPI ranks (mpirun --oversubscribe -np 2).
# usage: cli_mpi.sh PLAST_BIN SOURCE_DIR; exit 77 (skipped) when plast was built without MPI.
set -u
bin=$1
. "$(dirname "$0")/harness.sh"

if ! "$bin" --version | grep -q "MPI: yes"; then
  echo "plast was built without MPI: the MPI case is skipped (scripts/setup installs OpenMPI)"
  exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
  echo "FAIL: plast has MPI but mpirun is not on PATH" >&2
  exit 1
fi

cat >"$tmp/c.json" <<'JSON'
{"seed": 5, "runs": 3,
 "net": {"hidden": [16], "bias_init": "uniform", "bias_value": 3},
 "rule": {"name": "flp", "form": "hebb", "granularity": "layer", "feedback_relu": false,
          "p_init": 1e-6, "beta_init": 1},
 "task": {"name": "sine", "order": "iid", "n_batches": 4},
 "campaign": {"optimizer": "sep-cmaes", "generations": 8, "popsize": 7, "episodes": 2,
              "validate_every": 2, "validation_runs": 3, "tune_runs": 2,
              "owns": ["plasticity", "beta", "feedback"]}}
JSON

"$bin" meta-train "$tmp/c.json" --out "$tmp/t1" --threads 1 --quiet >/dev/null 2>"$tmp/e1" || bad "1 thread run failed"
"$bin" meta-train "$tmp/c.json" --out "$tmp/t2" --threads 2 --quiet >/dev/null 2>"$tmp/e2" || bad "2 thread run failed"
# Root is allowed explicitly (CI runs as root); shared memory only, no network needed.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  mpirun --oversubscribe -np 2 --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
  "$bin" meta-train "$tmp/c.json" --out "$tmp/m2" --threads 1 --quiet >/dev/null 2>"$tmp/em" \
  || { bad "mpirun -np 2 failed"; cat "$tmp/em" >&2; }

for d in t2 m2; do
  cut -d, -f1-7 "$tmp/t1/metrics.csv" >"$tmp/a"
  cut -d, -f1-7 "$tmp/$d/metrics.csv" >"$tmp/b" 2>/dev/null
  if [ -s "$tmp/b" ] && cmp -s "$tmp/a" "$tmp/b"; then ok; else bad "$d metrics differ from 1 thread"; fi
  if cmp -s "$tmp/t1/best.json" "$tmp/$d/best.json"; then ok; else bad "$d best.json differs"; fi
done
grep -q '"ranks": 2' "$tmp/m2/run.json" && ok || bad "run.json does not record 2 ranks"
finish
