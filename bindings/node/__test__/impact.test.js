// plan --impact from Node: pgpolicy.impact and generateMigration({ impact }) measure what
// a plan changes for a role's rows, as that role, before it runs.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const pgpolicy = require('..');
const { generateMigration } = require('../sequelize');
const { pg, freshDatabase, stop, project } = require('./helpers');

test.after(stop);

test('impact counts the rows a plan makes visible to a role, and changes nothing', async () => {
  const db = freshDatabase('impact');
  const role = `${db}_app`;
  pg().psql(
    db,
    `CREATE ROLE ${role} NOLOGIN;
CREATE TABLE docs (id int, tenant_id int);
GRANT SELECT, UPDATE ON docs TO ${role};
INSERT INTO docs VALUES (1, 1), (2, 2), (3, 2), (4, 3);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON docs USING (tenant_id = current_setting('app.t')::int);`,
  );
  const url = pg().url(db);
  const desired = {
    tables: [{ name: 'docs', rls: { enabled: true }, policies: [{ name: 't', using: "tenant_id >= current_setting('app.t')::int" }] }],
  };
  const report = await pgpolicy.impact(url, desired, { role, settings: { 'app.t': 2 } });
  assert.equal(report.role, role);
  assert.deepEqual(report.settings, { 'app.t': '2' });
  const [table] = report.tables;
  assert.equal(table.table, 'public.docs');
  assert.equal(table.evaluated, 4);
  const select = table.checks.find((c) => c.check === 'select');
  assert.deepEqual([select.before.rows, select.after.rows, select.gained, select.lost], [2, 3, 1, 0]);
  const del = table.checks.find((c) => c.check === 'delete');
  assert.equal(del.before.verdict, 'no_privilege');
  assert.equal(del.gained, 0);
  assert.deepEqual(report.headlines.filter((h) => /visible/.test(h)), [`1 more row(s) of public.docs become visible to ${role} with app.t=2`]);
  assert.match(report.comment, /^\/\/ Impact of the plan on the rows of /);
  assert.match(report.text, /SELECT USING\s+2 -> 3/);
  // nothing applied
  assert.match(pg().psql(db, 'SELECT pg_get_expr(polqual, polrelid) FROM pg_policy'), /tenant_id = /);
  // fails closed: a setting the predicates read and not given, an unknown role
  await assert.rejects(pgpolicy.impact(url, desired, { role }), (e) => {
    assert.ok(e instanceof pgpolicy.SourceError, String(e));
    assert.match(e.message, /public\.docs, policy "t", USING reads the setting\(s\) "app\.t"/);
    return true;
  });
  await assert.rejects(pgpolicy.impact(url, desired, { role: 'nobody_here', settings: { 'app.t': '1' } }), /role "nobody_here" does not exist/);
  await assert.rejects(pgpolicy.impact(url, desired, { role, settings: { search_path: 'x' } }), (e) => e.code === 'INVALID_CONTEXT');
  await assert.rejects(pgpolicy.impact(url, desired, {}), TypeError);
});

test('generateMigration({ impact }) writes the report above the migration', async () => {
  const db = freshDatabase('impactgen');
  const p = project(db);
  try {
    p.cli('db:migrate');
    pg().psql(
      db,
      `DO $$ BEGIN CREATE ROLE app_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
INSERT INTO "Tenants" (id, name, "createdAt", "updatedAt") VALUES (1, 'a', now(), now()), (2, 'b', now(), now());
INSERT INTO "Users" (name, "tenantId", "createdAt", "updatedAt") VALUES ('x', 1, now(), now()), ('y', 2, now(), now()), ('z', 2, now(), now());`,
    );
    const models = p.load();
    const file = await generateMigration({
      sequelize: models.sequelize,
      migrationsPath: p.migrations,
      name: 'rls',
      impact: { role: 'app_user', settings: { 'app.current_tenant': '2' } },
    });
    const text = fs.readFileSync(file, 'utf8');
    const head = text.slice(0, text.indexOf('module.exports'));
    assert.match(head, /\/\/ Impact of the plan on the rows of app_user with app\.current_tenant=2:/);
    // today app_user has no grant: the migration grants SELECT and lets it see tenant 2's rows
    assert.match(head, /\/\/ {3}2 more row\(s\) of public\.Users become visible to app_user with app\.current_tenant=2/);
    p.cli('db:migrate');
    assert.match(pg().psql(db, `SELECT count(*) FROM pg_policy`), /1/);
    await models.sequelize.close();
  } finally {
    p.remove();
  }
});
