// pgpolicy/testing: policy tests (the TOML cases of `pgpolicy test`) from `node --test`.
'use strict';
const fs = require('fs');
const native = require('../native.js').load();
require('..'); // registers the error classes the addon throws

function testsText(tests) {
  return typeof tests === 'string' && tests.includes('\n') ? tests : fs.readFileSync(tests, 'utf8');
}

/**
 * Runs policy tests (a TOML file path, or its text) on the database at `url`: each case in
 * a transaction that is rolled back. Resolves to `[{ name, passed, detail }]`. A file's
 * `setup` and `declaration` are for the CLI's throwaway database and are not run here.
 */
async function runPolicyTests(tests, url, options) {
  return native.policyTests(url, testsText(tests), options);
}

/** `runPolicyTests`, rejecting with an AssertionError that lists every failed case. */
async function assertPolicyTests(tests, url, options) {
  const failed = (await runPolicyTests(tests, url, options)).filter((o) => !o.passed);
  if (failed.length) {
    const { AssertionError } = require('assert');
    throw new AssertionError({
      message: `policy tests failed:\n${failed.map((o) => `${o.name}: ${o.detail}`).join('\n')}`,
    });
  }
}

module.exports = { runPolicyTests, assertPolicyTests };
