// Loads the native addon built by `napi build --platform` (pgpolicy.<platform>-<arch>[-abi].node).
'use strict';
const fs = require('fs');
const path = require('path');

let cached = null;

function load() {
  if (cached) return cached;
  const prefix = `pgpolicy.${process.platform}-${process.arch}`;
  const candidates = fs
    .readdirSync(__dirname)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.node'))
    // glibc builds first, then musl, then anything else for this platform.
    .sort((a, b) => rank(a) - rank(b));
  const failures = [];
  for (const file of candidates) {
    try {
      cached = require(path.join(__dirname, file));
      return cached;
    } catch (e) {
      failures.push(`${file}: ${e.message}`);
    }
  }
  throw new Error(
    `pgpolicy: no loadable native addon for ${process.platform}-${process.arch} in ${__dirname}` +
      (failures.length ? `\n${failures.join('\n')}` : '') +
      '\nRun `npm run build` in the package (needs cargo) or reinstall it.'
  );
}

function rank(file) {
  if (file.endsWith('-gnu.node')) return 0;
  if (file.endsWith('-musl.node')) return 1;
  return 2;
}

module.exports = { load };
