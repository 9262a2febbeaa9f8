// Finds the native parts of pgpolicy: the addon (`pgpolicy.<platform>.node`) and the
// `pgpolicy` CLI executable. In order:
//   1. built beside this file (a build from the repository's sources),
//   2. the platform package (`pgpolicy-linux-x64-gnu`, ...), an optional dependency of the
//      published package carrying prebuilt binaries,
//   3. a build from source with cargo, when this package sits in a clone of the repository
//      (scripts/build.js; `PGPOLICY_NO_BUILD=1` turns this off),
// and otherwise throws an error that says what to install or run.
'use strict';
const fs = require('fs');
const path = require('path');

const PACKAGE_DIR = __dirname;
const REPO_DIR = path.join(PACKAGE_DIR, '..', '..');

let cachedAddon = null;

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    if (fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return true;
  } catch (_) {
    // no ldd: ask the runtime
  }
  try {
    const report = process.report.getReport();
    const header = typeof report === 'string' ? JSON.parse(report).header : report.header;
    return !header.glibcVersionRuntime;
  } catch (_) {
    return false;
  }
}

/** Platform ids for this machine, best first, as napi-rs names them (`linux-x64-gnu`). */
function platformIds() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    const libcs = isMusl() ? ['musl', 'gnu'] : ['gnu', 'musl'];
    return libcs.map((libc) => `${base}-${libc}`);
  }
  if (process.platform === 'win32') return [`${base}-msvc`];
  return [base];
}

const EXE = process.platform === 'win32' ? 'pgpolicy.exe' : 'pgpolicy';

/** The repository's sources are beside this package (a clone, or `npm install ./bindings/node`). */
function hasSources() {
  return (
    fs.existsSync(path.join(PACKAGE_DIR, 'Cargo.toml')) &&
    fs.existsSync(path.join(PACKAGE_DIR, 'src', 'lib.rs')) &&
    fs.existsSync(path.join(REPO_DIR, 'core', 'Cargo.toml'))
  );
}

function buildFromSource(what) {
  const script = path.join(PACKAGE_DIR, 'scripts', 'build.js');
  const r = require('child_process').spawnSync(process.execPath, [script, ...(what === 'cli' ? ['--cli'] : [])], {
    stdio: ['ignore', process.stderr, process.stderr],
  });
  return r.status === 0;
}

function noBinaryError(what, failures) {
  const ids = platformIds();
  const lines = [`pgpolicy: no ${what} for ${ids[0]}.`];
  if (failures.length) lines.push(...failures.map((f) => `  ${f}`));
  if (hasSources()) {
    lines.push(
      `This package sits in a clone of the repository: build it from source with`,
      `  node ${path.join(PACKAGE_DIR, 'scripts', 'build.js')}${what === 'cli' ? ' --cli' : ''}`,
      `(needs Rust's cargo: https://rustup.rs).`
    );
  } else {
    lines.push(
      `The prebuilt binaries come in the optional dependency pgpolicy-${ids[0]}: reinstall without`,
      `--omit=optional / --no-optional. On a platform without a prebuilt package, install from a clone`,
      `of the repository (needs cargo): npm install /path/to/pgpolicy/bindings/node`
    );
  }
  const e = new Error(lines.join('\n'));
  e.code = 'PGPOLICY_NO_NATIVE';
  return e;
}

function loadLocal(failures) {
  for (const id of platformIds()) {
    const file = path.join(PACKAGE_DIR, `pgpolicy.${id}.node`);
    if (!fs.existsSync(file)) continue;
    try {
      return require(file);
    } catch (e) {
      failures.push(`${file}: ${e.message}`);
    }
  }
  return null;
}

function loadPlatformPackage(failures) {
  for (const id of platformIds()) {
    let resolved;
    try {
      resolved = require.resolve(`pgpolicy-${id}`);
    } catch (_) {
      continue;
    }
    try {
      return require(resolved);
    } catch (e) {
      failures.push(`pgpolicy-${id}: ${e.message}`);
    }
  }
  return null;
}

/**
 * The addon. When none is built or installed and the sources are here, it is built first
 * (cargo, release): npm 11 skips dependencies' install scripts unless the project allows
 * them, so the first require() may be where the build happens.
 */
function load({ build = !process.env.PGPOLICY_NO_BUILD } = {}) {
  if (cachedAddon) return cachedAddon;
  const failures = [];
  cachedAddon = loadLocal(failures) || loadPlatformPackage(failures);
  if (cachedAddon) return cachedAddon;
  if (build && hasSources() && buildFromSource('addon')) {
    cachedAddon = loadLocal(failures);
    if (cachedAddon) return cachedAddon;
  }
  throw noBinaryError('native addon', failures);
}

/** Path of the `pgpolicy` CLI executable (the Rust CLI), built from source when needed. */
function cliPath({ build = !process.env.PGPOLICY_NO_BUILD } = {}) {
  const candidates = [];
  for (const id of platformIds()) candidates.push(path.join(PACKAGE_DIR, `pgpolicy.${id}${process.platform === 'win32' ? '.exe' : ''}`));
  for (const id of platformIds()) {
    try {
      candidates.push(path.join(path.dirname(require.resolve(`pgpolicy-${id}/package.json`)), EXE));
    } catch (_) {
      // not installed
    }
  }
  const found = candidates.find((f) => fs.existsSync(f));
  if (found) return found;
  if (build && hasSources() && buildFromSource('cli')) {
    const built = candidates.find((f) => fs.existsSync(f));
    if (built) return built;
  }
  throw noBinaryError('pgpolicy CLI executable', []);
}

module.exports = { load, cliPath, platformIds, hasSources };
