#!/usr/bin/env node
// Diff of a 1,000-table schema from Node against the same diff in the core (Rust).
// Not a test: prints both medians and their ratio (the target is within 2x).
//   node bench/diff.js [tables] [iterations]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const pgpolicy = require('..');

const TABLES = Number(process.argv[2] || 1000);
const ITERATIONS = Number(process.argv[3] || 20);

function schema(version) {
  const tables = [];
  for (let i = 0; i < TABLES; i++) {
    const policies = [
      { name: 'tenant_isolation', command: 'ALL', roles: ['app_user'], using: `tenant_id = current_setting('app.current_tenant')::integer`, with_check: `tenant_id = current_setting('app.current_tenant')::integer` },
      { name: 'read_published', command: 'SELECT', using: `status IN ('published', 'archived') OR owner_id = current_setting('app.user_id', true)::integer` },
      { name: 'owner_update', command: 'UPDATE', permissive: false, using: `owner_id = current_setting('app.user_id')::integer`, with_check: null },
    ];
    // The desired side changes a third of the tables: an edited USING, a new policy, RLS forced.
    if (version === 'desired' && i % 3 === 0) {
      policies[1].using = `status = 'published' OR owner_id = current_setting('app.user_id', true)::integer`;
      policies.push({ name: 'admin_all', command: 'ALL', roles: ['app_admin'], using: 'true', with_check: 'true' });
    }
    tables.push({
      schema: 'public',
      name: `table_${String(i).padStart(4, '0')}`,
      columns: [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'tenant_id', type: 'integer', nullable: false },
        { name: 'owner_id', type: 'integer', nullable: true },
        { name: 'status', type: 'text', nullable: true },
      ],
      rls: { enabled: true, forced: version === 'desired' && i % 3 === 0 },
      policies,
    });
  }
  return { tables };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const current = schema('current');
const desired = schema('desired');

// Node: plain objects in, the plan as objects out (what an application gets).
const times = [];
let changes = 0;
for (let i = 0; i < ITERATIONS + 2; i++) {
  const start = process.hrtime.bigint();
  const plan = pgpolicy.diff(current, desired);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
  changes = plan.changes.length;
}
const nodeMs = median(times.slice(2));

// Rust: the same schemas as JSON files, the same diff and rendering.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-bench-'));
fs.writeFileSync(path.join(dir, 'current.json'), JSON.stringify(current));
fs.writeFileSync(path.join(dir, 'desired.json'), JSON.stringify(desired));
const root = path.join(__dirname, '..', '..', '..');
const r = spawnSync(
  'cargo',
  ['run', '--quiet', '--release', '-p', 'pgpolicy-node', '--example', 'node_diff_bench', '--', path.join(dir, 'current.json'), path.join(dir, 'desired.json'), String(ITERATIONS)],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
);
fs.rmSync(dir, { recursive: true, force: true });
if (r.status !== 0) {
  console.error('cargo run --example node_diff_bench failed');
  process.exit(1);
}
const rust = JSON.parse(r.stdout.trim().split('\n').pop());
if (rust.changes !== changes) {
  console.error(`the two sides planned different changes: node ${changes}, rust ${rust.changes}`);
  process.exit(1);
}
console.log(`diff of ${TABLES} tables (${changes} changes), median of ${ITERATIONS}:`);
console.log(`  node (pgpolicy.diff, objects in and out): ${nodeMs.toFixed(2)} ms`);
console.log(`  rust (core, JSON in, SQL out):            ${rust.median_ms.toFixed(2)} ms`);
console.log(`  ratio node/rust: ${(nodeMs / rust.median_ms).toFixed(2)}x (target <= 2x)`);
