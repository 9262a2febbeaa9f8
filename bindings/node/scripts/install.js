#!/usr/bin/env node
// npm's install script for installs from the repository (`npm install ./bindings/node`):
// builds the native addon with cargo, so it matches the sources (cargo does nothing when it
// is up to date). Published packages carry prebuilt binaries in their platform package and
// have no install script. When npm skips install scripts (--ignore-scripts, or npm 11 before
// the package is approved), the first require('pgpolicy') builds instead.
// PGPOLICY_SKIP_BUILD=1 skips the build.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const native = require('../native.js');

if (process.env.PGPOLICY_SKIP_BUILD) process.exit(0);
if (!native.hasSources()) {
  try {
    native.load({ build: false });
    process.exit(0);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status || 1);
try {
  native.load({ build: false });
} catch (e) {
  console.error(`pgpolicy: built, but the addon does not load:\n${e.message}`);
  process.exit(1);
}
