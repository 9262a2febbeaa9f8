#!/usr/bin/env bash
# Scale benchmark: N tables x 3 policies on a throwaway PostgreSQL (unix socket only).
#   bash bench/scale.sh [N] [RUNS]      (default N=1000, RUNS=3)
# Prints, as medians of RUNS whole-process runs and as ratios to the psql catalog floor
# measured in the same run: `inspect`, the empty `plan`, the plan with 10% of USING clauses
# edited; the statements each sends (server log); peak RSS; and the in-process
# canonicalization rate (core example canon_bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-1000}"
RUNS="${2:-3}"
cd "$root"
bash scripts/setup.sh >/dev/null
cargo build --release -q -p pgpolicy --bin pgpolicy --example canon_bench
exec python3 "$root/bench/scale.py" "$N" "$RUNS" "$root"
