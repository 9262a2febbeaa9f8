#!/usr/bin/env bash
# The Sequelize guide with pgpolicy (examples/sequelize): installs what it needs and runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

cd "$root/bindings/node"
node scripts/install.js   # builds the addon with cargo unless a built one loads

cd "$root/examples/sequelize"
npm ci --no-audit --no-fund
node main.js
