#!/usr/bin/env bash
# Node package tests: install the test tools, build the addon and the CLI from these sources
# (cargo, the workspace's target/), run node --test against a throwaway PostgreSQL (started
# by the tests from the local server binaries), then the npm bin's core commands.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/bindings/node"

# Dependencies, with the test tools (sequelize, pg, sequelize-cli, umzug, typescript).
PGPOLICY_SKIP_BUILD=1 npm ci --no-audit --no-fund
# Always build, so the addon and the CLI match the sources being tested.
node scripts/build.js --all

# core-types.d.ts is generated from the core's Rust definitions: it must be what they say.
echo "== core-types.d.ts matches the Rust definitions"
generated="$(mktemp)"
cargo run --release --quiet -p pgpolicy-node --example gen_types >"$generated"
if ! diff -u core-types.d.ts "$generated"; then
  echo "core-types.d.ts differs from the Rust definitions; regenerate it:" >&2
  echo "  cargo run --release -p pgpolicy-node --example gen_types > bindings/node/core-types.d.ts" >&2
  rm -f "$generated"; exit 1
fi
rm -f "$generated"

export PGPOLICY_CORPUS="${PGPOLICY_CORPUS:-$root/tests/corpus}"
node --test __test__/

echo "== the npm bin runs the Rust CLI"
version="$(node bin/pgpolicy.js --version)"
[ "$version" = "pgpolicy $(node -p 'require("./package.json").version')" ] || { echo "unexpected: $version" >&2; exit 1; }
plan="$(node bin/pgpolicy.js plan --from empty --to "$root/tests/fixtures/sequelize-schema.sql")"
grep -q "CREATE POLICY" <<<"$plan" || { echo "bin plan printed no policy:" >&2; echo "$plan" >&2; exit 1; }
echo "$version; plan --from empty: $(grep -c 'CREATE POLICY' <<<"$plan") policies"
