// Loads the native addon built by `napi build --platform` (pgpolicy.<platform>-<arch>[-abi].node).
'use strict';
const fs = require('fs');
const path = require('path');

let cached = null;

/**
 * The addon. When none loads and `build` is true, it is built first (cargo, release):
 * npm 11 skips dependencies' install scripts unless the project allows them, so the
 * first require() on a fresh machine may be where the build happens.
 */
function load({ build = !process.env.PGPOLICY_NO_BUILD } = {}) {
  if (cached) return cached;
  try {
    return tryLoad();
  } catch (e) {
    if (!build) throw e;
    const r = require('child_process').spawnSync(process.execPath, [path.join(__dirname, 'scripts', 'install.js')], {
      stdio: ['ignore', process.stderr, process.stderr],
    });
    if (r.status !== 0) throw e;
    return tryLoad();
  }
}

function tryLoad() {
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
