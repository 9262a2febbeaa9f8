#!/usr/bin/env node
// Builds the native addon when no built one loads on this machine.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');

function loads() {
  try {
    require('../native.js').load({ build: false });
    return true;
  } catch (_) {
    return false;
  }
}

if (process.env.PGPOLICY_SKIP_BUILD || loads()) process.exit(0);

console.log('pgpolicy: building the native addon (cargo, release)...');
const cli = require.resolve('@napi-rs/cli/package.json', { paths: [root] });
const bin = path.join(path.dirname(cli), require(cli).bin.napi || require(cli).bin['napi-raw']);
const r = spawnSync(process.execPath, [bin, 'build', '--platform', '--release', '--no-js', '--dts', 'native.d.ts'], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error('pgpolicy: the native build failed; a Rust toolchain (cargo) is needed to build from source.');
  process.exit(r.status || 1);
}
if (!loads()) {
  console.error('pgpolicy: built, but the addon does not load');
  process.exit(1);
}
