#!/usr/bin/env bash
# Every test, every time: the Rust core (unit, CLI and live-database tests, the corpus) on
# the local PostgreSQL and on PostgreSQL 16, then the Python and Node packages. A failing
# suite does not stop the others (and cargo runs every test file: --no-fail-fast); the
# script exits 1 at the end, naming the suites that failed. Each database test starts its
# own throwaway PostgreSQL. One target directory (target/) serves every build.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "test: prerequisites missing (see above)" >&2; exit 1; }

failed=()
suite() {  # suite NAME COMMAND...
  local name="$1" start=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    echo "== $name: ok ($((SECONDS - start)) s)"
  else
    echo "== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

core_pg16() {
  local bin
  bin="$(bash scripts/pg16.sh)" || { echo "could not get PostgreSQL 16 (scripts/pg16.sh)" >&2; return 1; }
  PGPOLICY_PG_BIN="$bin" PGPOLICY_EXPECT_SERVER_MAJOR=16 \
    cargo test -p pgpolicy --release --no-fail-fast --test corpus_live --test grammar --test datetime --test guides --test compare --test safety --test grants --test roles --test functions --test impact --test lint 2>&1
}

suite "core (cargo test)" cargo test -p pgpolicy --release --no-fail-fast
suite "core on PostgreSQL 16: corpus, grammar, date and time literals, guides, comparison, safety, impact, lint" core_pg16
suite "Python package" bash scripts/test-python.sh
suite "Node package" bash scripts/test-node.sh
# Habits as gates: formatting and lints of every language (after the package suites, which
# install ruff and tsc into .venv and bindings/node/node_modules).
gates() {
  local ok=0
  cargo fmt --all --check || { echo "cargo fmt: run \`cargo fmt --all\`"; ok=1; }
  cargo clippy --workspace --all-targets --release -q -- -D warnings || ok=1
  local venv="${PGPOLICY_VENV:-.venv}"
  if [ -x "$venv/bin/ruff" ]; then
    "$venv/bin/ruff" check bindings/python || ok=1
    "$venv/bin/ruff" format --check bindings/python || ok=1
  else
    echo "ruff missing from $venv (scripts/python-env.sh installs it)"; ok=1
  fi
  if [ -x bindings/node/node_modules/.bin/tsc ]; then
    (cd bindings/node && node_modules/.bin/tsc --noEmit -p __test__/tsconfig.json) || ok=1
  else
    echo "tsc missing (scripts/test-node.sh installs it)"; ok=1
  fi
  return $ok
}
suite "style gates (rustfmt, clippy, ruff, tsc)" gates
if [ "${PGPOLICY_TEST_DIST:-0}" = 1 ]; then
  suite "packages: build dist/" bash scripts/package.sh
  suite "packages: install dist/ as users do" bash scripts/test-dist.sh
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "test: FAILED: ${failed[*]}"
  exit 1
fi
echo "test: every suite passed ($SECONDS s)"
