#!/usr/bin/env bash
# Node package tests: install, build the addon, run node --test against a throwaway
# PostgreSQL (started by the tests from the local server binaries).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/bindings/node"

# Dependencies, with the test tools (sequelize, pg, sequelize-cli, umzug, typescript).
PGPOLICY_SKIP_BUILD=1 npm ci --no-audit --no-fund
# Always build, so the addon matches the sources being tested.
npx napi build --platform --release --no-js --dts native.d.ts

export PGPOLICY_CORPUS="${PGPOLICY_CORPUS:-$root/../shared/corpus}"
node --test __test__/
