#!/usr/bin/env bash
# The main job: the guides' scenarios end to end on a throwaway PostgreSQL, with pgpolicy
# alone: the CLI on the ModelIR and SQL declarations, then the SQLAlchemy and Sequelize
# examples. Build output goes to target/demo-build.log (shown when a build fails); every
# build uses the workspace's target/ directory, so the dependencies are compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
mkdir -p target
log="$root/target/demo-build.log"
: >"$log"

part() { printf '\n=== %s\n\n' "$*"; }
build() {  # build DESCRIPTION COMMAND...: a preparation step, its output in the log
  local what="$1" start=$SECONDS
  shift
  printf '%s ... ' "$what"
  echo "### $what: $*" >>"$log"
  if "$@" >>"$log" 2>&1; then
    echo "done ($((SECONDS - start)) s)"
  else
    echo "FAILED"
    echo "--- the end of $log:"
    tail -n 80 "$log"
    exit 1
  fi
}

part "Preparing (build output in target/demo-build.log)"
build "checking prerequisites" bash scripts/setup.sh
build "building the CLI and the demo (cargo build --release)" \
  cargo build --release -p pgpolicy --bin pgpolicy --example demo
build "building the Python package into .venv (maturin)" bash -c 'ROOT="$PWD"; source scripts/python-env.sh'
build "building the Node addon (cargo) and installing the Sequelize example" \
  bash -c 'node bindings/node/scripts/build.js && cd examples/sequelize && npm ci --no-audit --no-fund'

part "1. The CLI on the ModelIR and SQL declarations (tests/fixtures)"
target/release/examples/demo tests/fixtures

part "2. The SQLAlchemy guide (examples/sqlalchemy): Alembic autogenerate, rls_context"
PGPOLICY_VENV_READY=1 bash scripts/demo-python.sh

part "3. The Sequelize guide (examples/sequelize): generateMigration, withRlsContext"
(cd examples/sequelize && node main.js)

part "Done: every part of the demo ran"
