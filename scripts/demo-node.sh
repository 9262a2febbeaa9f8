#!/usr/bin/env bash
# The Sequelize guide with pgpolicy (examples/sequelize): installs what it needs and runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

cd "$root/bindings/node"
node scripts/build.js     # builds the addon with cargo (nothing to do when up to date)

cd "$root/examples/sequelize"
npm ci --no-audit --no-fund
node main.js
