#!/usr/bin/env bash
# Every test: the Rust core (unit, CLI and live-database tests, the corpus), then the
# Python and Node packages. Each database test starts its own throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== core (cargo test)"
cargo test -p pgpolicy --release 2>&1
echo "== core on another major version (PostgreSQL 16): corpus, guides, comparison"
PGPOLICY_PG_BIN="$(bash scripts/pg16.sh)" PGPOLICY_EXPECT_SERVER_MAJOR=16 \
  cargo test -p pgpolicy --release --test corpus_live --test guides --test compare 2>&1
if [ -f scripts/test-python.sh ]; then
  echo "== Python package"
  bash scripts/test-python.sh
fi
if [ -f scripts/test-node.sh ]; then
  echo "== Node package"
  bash scripts/test-node.sh
fi
