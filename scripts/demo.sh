#!/usr/bin/env bash
# The main job: the guides' scenarios end to end on a throwaway PostgreSQL, with
# pgpolicy alone: the CLI on the ModelIR and SQL declarations, then the SQLAlchemy and
# Sequelize examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -q --release -p pgpolicy
cargo run -q --release -p pgpolicy --example demo -- tests/fixtures
if [ -f scripts/demo-python.sh ]; then bash scripts/demo-python.sh; fi
if [ -f scripts/demo-node.sh ]; then bash scripts/demo-node.sh; fi
