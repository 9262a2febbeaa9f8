#!/usr/bin/env node
// Builds the native addon from the repository's sources with cargo (release) and copies it
// beside the package as `pgpolicy.<platform>.node`, where native.js loads it first.
//   node scripts/build.js          the addon (crate pgpolicy-node)
//   node scripts/build.js --cli    the `pgpolicy` CLI executable (crate pgpolicy), copied as
//                                  `pgpolicy.<platform>`, which bin/pgpolicy.js runs
//   node scripts/build.js --all    both
// Needs nothing from npm: cargo only. The build goes to the workspace's target directory
// (or $CARGO_TARGET_DIR), so it shares its dependencies with the CLI and Python builds.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PACKAGE_DIR = path.join(__dirname, '..');
const REPO_DIR = path.join(PACKAGE_DIR, '..', '..');

function findCargo() {
  const candidates = [process.env.CARGO, 'cargo', path.join(os.homedir(), '.cargo', 'bin', 'cargo')].filter(Boolean);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return c;
  }
  return null;
}

function fail(message) {
  console.error(`pgpolicy: ${message}`);
  process.exit(1);
}

/** Runs `cargo build --release` with the given args; returns the compiler artifacts. */
function cargoBuild(cargo, args) {
  const r = spawnSync(cargo, ['build', '--release', '--message-format=json-render-diagnostics', ...args], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.error) fail(`could not run ${cargo}: ${r.error.message}`);
  if (r.status !== 0) fail(`cargo build ${args.join(' ')} failed (exit ${r.status}); see the errors above.`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((m) => m.reason === 'compiler-artifact');
}

function copy(from, to, mode) {
  // Copy to a temporary name and rename: a process that has the old file loaded keeps it.
  const tmp = `${to}.tmp-${process.pid}`;
  fs.copyFileSync(from, tmp);
  if (mode) fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, to);
}

function main(argv) {
  const all = argv.includes('--all');
  const wantCli = all || argv.includes('--cli');
  const wantAddon = all || !argv.includes('--cli');
  if (!fs.existsSync(path.join(REPO_DIR, 'core', 'Cargo.toml')) || !fs.existsSync(path.join(PACKAGE_DIR, 'src', 'lib.rs'))) {
    fail(
      `the Rust sources are not here (${REPO_DIR}/core, ${PACKAGE_DIR}/src): building from source needs a clone of ` +
        `the repository (npm install /path/to/pgpolicy/bindings/node); published packages use the prebuilt ` +
        `platform package instead.`
    );
  }
  const cargo = findCargo();
  if (!cargo) fail('cargo not found: install Rust (https://rustup.rs), then run `node ' + path.join(PACKAGE_DIR, 'scripts', 'build.js') + '` again.');
  const { platformIds } = require('../native.js');
  const id = platformIds()[0];

  if (wantAddon) {
    console.error('pgpolicy: building the native addon from source (cargo build --release -p pgpolicy-node)...');
    const artifacts = cargoBuild(cargo, ['-p', 'pgpolicy-node', '--lib']);
    const lib = artifacts
      .filter((a) => a.target.name === 'pgpolicy_node' && a.target.kind.includes('cdylib'))
      .flatMap((a) => a.filenames)
      .find((f) => /\.(so|dylib|dll)$/.test(f));
    if (!lib) fail('cargo built no cdylib for pgpolicy-node');
    const dest = path.join(PACKAGE_DIR, `pgpolicy.${id}.node`);
    copy(lib, dest);
    console.error(`pgpolicy: built ${dest}`);
  }
  if (wantCli) {
    console.error('pgpolicy: building the pgpolicy CLI from source (cargo build --release -p pgpolicy --bin pgpolicy)...');
    const artifacts = cargoBuild(cargo, ['-p', 'pgpolicy', '--bin', 'pgpolicy']);
    const exe = artifacts.map((a) => a.executable).find(Boolean);
    if (!exe) fail('cargo built no pgpolicy executable');
    const dest = path.join(PACKAGE_DIR, `pgpolicy.${id}${process.platform === 'win32' ? '.exe' : ''}`);
    copy(exe, dest, 0o755);
    console.error(`pgpolicy: built ${dest}`);
  }
}

main(process.argv.slice(2));
