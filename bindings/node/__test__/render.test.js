// The Sequelize migration is the core's plan script in migration form: the same preamble,
// the same comments (WEAKENS lines included) and the same statements, in the same order,
// both ways.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const pgpolicy = require('..');
const { renderMigration } = require('../sequelize');

/** The core's script as [kind, text] lines, without BEGIN and COMMIT. */
function scriptLines(sql) {
  const lines = sql.split('\n').filter((l) => l !== '');
  assert.equal(lines[0], 'BEGIN;');
  assert.equal(lines[lines.length - 1], 'COMMIT;');
  return lines.slice(1, -1).map((l) => (l.startsWith('-- ') ? ['comment', l.slice(3)] : ['query', l.replace(/;$/, '')]));
}

/** One direction of a rendered migration as [kind, text] lines, after its own header comment. */
function migrationLines(text, direction) {
  const start = text.indexOf(`async ${direction}(`);
  const body = text.slice(start, text.indexOf('\n    });', start));
  const out = [];
  for (const raw of body.split('\n').map((l) => l.trim())) {
    if (raw.startsWith('// ')) out.push(['comment', raw.slice(3)]);
    const q = raw.match(/^await queryInterface\.sequelize\.query\((.*), \{ transaction \}\);$/);
    if (q) out.push(['query', JSON.parse(q[1])]);
  }
  assert.match(out[0][1], /^Session settings first/);
  return out.slice(1);
}

test('a rendered migration is the core plan script, preamble, comments and WEAKENS lines included', () => {
  const before = {
    tables: {
      docs: {
        rlsEnabled: true,
        policies: [
          { name: 'gate', permissive: false, using: 'owner = current_user' },
          { name: 'read', command: 'SELECT', using: 'true' },
        ],
      },
    },
  };
  const after = structuredClone(before);
  after.tables.docs.policies[0].using = 'owner = session_user';
  const plan = pgpolicy.diff(before, after, { lockTimeout: '2s' });
  assert.ok(plan.steps.some((s) => s.weakens) && plan.steps.some((s) => s.description.includes('\n')));
  const text = renderMigration(plan);
  assert.deepEqual(migrationLines(text, 'up'), scriptLines(plan.sql));
  assert.deepEqual(migrationLines(text, 'down'), scriptLines(plan.reverseSql));
  assert.ok(scriptLines(plan.sql).some(([, l]) => l === "SET LOCAL lock_timeout TO '2000ms'"));
});
