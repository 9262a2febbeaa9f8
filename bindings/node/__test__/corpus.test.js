// Every corpus policy, declared through definePolicies beside a Sequelize model, compares
// equal to what PostgreSQL stores for it: generateMigration writes nothing.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const pgpolicy = require('..');
const { definePolicies, generateMigration, planFromSequelize } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

// The project's corpus (tests/corpus), or $PGPOLICY_CORPUS. A missing corpus fails the tests.
function corpusDir() {
  const d = process.env.PGPOLICY_CORPUS || path.join(__dirname, '..', '..', '..', 'tests', 'corpus');
  if (!fs.existsSync(path.join(d, 'policies.jsonl'))) {
    throw new Error(`corpus not found at ${d} (tests/corpus in the repository, or set PGPOLICY_CORPUS)`);
  }
  return d;
}

const dir = corpusDir();

function jsonl(file) {
  return fs
    .readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

test('corpus policies declared beside models: generateMigration returns null', async () => {
  const policies = jsonl('policies.jsonl');
  const db = freshDatabase('corpus');
  pg().psql(db, fs.readFileSync(path.join(dir, 'schema.sql'), 'utf8'));
  pg().psql(db, policies.map((p) => p.sql).join('\n'));

  const schemas = [...new Set(policies.map((p) => p.schema))].sort();
  const live = await pgpolicy.introspect(pg().url(db), { schemas });
  const sequelize = sequelizeFor(db);
  const byTable = new Map();
  for (const p of policies) {
    const key = `${p.schema}.${p.table}`;
    if (!byTable.has(key)) byTable.set(key, []);
    byTable.get(key).push(p);
  }
  for (const [key, list] of byTable) {
    const { schema, table } = list[0];
    const stored = live.tables.find((t) => t.schema === schema && t.name === table);
    assert.ok(stored, `table ${key} exists`);
    // The models' columns as they are in the database (Sequelize takes type names as text).
    const attributes = {};
    for (const c of stored.columns) {
      attributes[c.name] = { type: c.type, allowNull: c.nullable, primaryKey: c.name === 'id' };
    }
    const Model = sequelize.define(key, attributes, { tableName: table, schema, timestamps: false });
    if (!stored.columns.some((c) => c.name === 'id')) Model.removeAttribute('id');
    definePolicies(Model, {
      enabled: stored.rls.enabled,
      force: stored.rls.forced,
      policies: list.map((p) => ({
        name: p.name,
        command: p.command,
        permissive: p.permissive,
        roles: p.roles,
        using: p.using,
        withCheck: p.with_check,
      })),
    });
  }

  const plan = await planFromSequelize(sequelize);
  assert.deepEqual(
    plan.steps.map((s) => s.comment),
    [],
    `policies reported as changed:\n${plan.changes.map((c) => JSON.stringify(c)).join('\n')}`
  );
  assert.equal(await generateMigration({ sequelize, migrationsPath: '/nonexistent-never-written' }), null);
  await sequelize.close();
});

test('corpus mutations are reported as changed, equivalents are not', async () => {
  const policies = new Map(jsonl('policies.jsonl').map((p) => [p.id, p]));
  const db = freshDatabase('corpusmut');
  pg().psql(db, fs.readFileSync(path.join(dir, 'schema.sql'), 'utf8'));
  pg().psql(db, [...policies.values()].map((p) => p.sql).join('\n'));
  const url = pg().url(db);
  const declare = (parent, variant) => ({
    tables: [
      {
        schema: parent.schema,
        name: parent.table,
        rls: { enabled: true },
        policies: [
          {
            name: parent.name,
            command: parent.command,
            permissive: parent.permissive,
            roles: parent.roles,
            using: variant.using,
            with_check: variant.with_check,
          },
        ],
      },
    ],
  });
  const wrong = [];
  for (const m of jsonl('mutations.jsonl')) {
    const plan = await pgpolicy.apply(url, declare(policies.get(m.of), m), { dryRun: true });
    const touched = plan.changes.some((c) => ['alter_policy', 'replace_policy'].includes(c.kind));
    if (!touched) wrong.push(`mutation ${m.id} (${m.change}) not reported`);
  }
  for (const e of jsonl('equivalents.jsonl')) {
    const plan = await pgpolicy.apply(url, declare(policies.get(e.of), e), { dryRun: true });
    const touched = plan.changes.filter((c) => ['alter_policy', 'replace_policy'].includes(c.kind));
    if (touched.length) wrong.push(`equivalent ${e.id} (${e.change}) reported: ${plan.statements.join('; ')}`);
  }
  assert.deepEqual(wrong, []);
});
