#!/usr/bin/env bash
# Python package tests: a venv under the repo (.venv, shared with the demo), the package
# built by maturin through pip, then pytest against a throwaway PostgreSQL.
#   bash scripts/test-python.sh [pytest args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/python-env.sh
source "$ROOT/scripts/python-env.sh"
cd "$ROOT/bindings/python"
"$PY" -m pytest -q -p no:cacheprovider "$@"
