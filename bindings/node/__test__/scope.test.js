// withRlsScope: Orchid's query-scoped form. Every query of the callback (or a call given
// `{ rls }`) runs in a short transaction of its own that starts with the core's context
// statements; no transaction is held across the callback and nothing stays on the pool.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { DataTypes } = require('sequelize');
const { PgPolicyError, ValidationError } = require('..');
const { withRlsScope, withRlsContext, installHooks } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

async function setup() {
  const db = freshDatabase('scope');
  // One pooled connection: whatever a query leaves on it, the next one sees.
  const sequelize = sequelizeFor(db, { pool: { max: 1, min: 0 } });
  const Doc = sequelize.define('Doc', { tenantId: DataTypes.INTEGER, title: DataTypes.TEXT }, { timestamps: false });
  installHooks(sequelize);
  await Doc.sync();
  pg().psql(
    db,
    `DO $$ BEGIN CREATE ROLE scope_app; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
     GRANT SELECT ON "Docs" TO scope_app;
     ALTER TABLE "Docs" ENABLE ROW LEVEL SECURITY;
     CREATE POLICY tenant ON "Docs" USING ("tenantId" = current_setting('app.tenant')::integer);
     INSERT INTO "Docs" ("tenantId", title) VALUES (1, 'one'), (1, 'uno'), (2, 'two');`
  );
  return { sequelize, Doc };
}

const titles = (rows) => rows.map((r) => r.title).sort();

/** The pooled connection as the next query finds it: the login role, no tenant, no transaction. */
async function assertCleanConnection(sequelize) {
  const [rows] = await sequelize.query(
    `SELECT current_user AS "user", coalesce(current_setting('app.tenant', true), '') AS tenant, pg_catalog.now() = pg_catalog.statement_timestamp() AS "outsideTransaction"`
  );
  // A custom setting set with SET LOCAL reads '' (not NULL) once its transaction is over.
  assert.deepEqual(rows[0], { user: 'postgres', tenant: '', outsideTransaction: true });
}

test('withRlsScope runs each query with the role and settings, in its own transaction, leaving nothing on the pool', async () => {
  const { sequelize, Doc } = await setup();
  const t1 = { role: 'scope_app', settings: { 'app.tenant': 1 } };
  const t2 = { role: 'scope_app', settings: { 'app.tenant': 2 } };
  assert.deepEqual(titles(await Doc.findAll()), ['one', 'two', 'uno'], 'the login role (superuser) sees every row');

  const seen = await withRlsScope(sequelize, t1, async () => {
    const first = titles(await Doc.findAll());
    const count = await Doc.count();
    return { first, count };
  });
  assert.deepEqual(seen, { first: ['one', 'uno'], count: 2 });
  await assertCleanConnection(sequelize);

  // Two scopes interleaved on one connection: each query sees its own tenant.
  const [a, b] = await Promise.all([
    withRlsScope(sequelize, t1, async () => [titles(await Doc.findAll()), titles(await Doc.findAll())]),
    withRlsScope(sequelize, t2, async () => [titles(await Doc.findAll()), titles(await Doc.findAll())]),
  ]);
  assert.deepEqual(a, [['one', 'uno'], ['one', 'uno']]);
  assert.deepEqual(b, [['two'], ['two']]);

  // For one call: the `rls` option.
  assert.deepEqual(titles(await Doc.findAll({ rls: t2 })), ['two']);
  assert.equal(await Doc.count({ rls: t1 }), 2);
  await assertCleanConnection(sequelize);

  // A transaction opened in the scope takes the role and settings.
  const inTransaction = await withRlsScope(sequelize, t2, () => sequelize.transaction(async (t) => Doc.count({ transaction: t })));
  assert.equal(inTransaction, 1);
  await assertCleanConnection(sequelize);
  await sequelize.close();
});

test('withRlsScope fails closed', async () => {
  const { sequelize, Doc } = await setup();
  // A role that does not exist: the query does not run as the login role, it fails.
  await assert.rejects(
    withRlsScope(sequelize, { role: 'no_such_role_x', settings: { 'app.tenant': 1 } }, () => Doc.findAll()),
    /no_such_role_x/
  );
  await assert.rejects(Doc.findAll({ rls: { role: 'no_such_role_x' } }), /no_such_role_x/);
  // A setting name the core refuses: nothing runs.
  await assert.rejects(
    withRlsScope(sequelize, { role: 'scope_app', settings: { tenant: 1 } }, () => Doc.findAll()),
    (e) => e instanceof ValidationError && e.code === 'INVALID_CONTEXT'
  );
  // Inside withRlsContext the transaction decides; a scope there is refused.
  await assert.rejects(
    withRlsContext(sequelize, { role: 'scope_app', settings: { 'app.tenant': 1 } }, () =>
      withRlsScope(sequelize, { role: 'scope_app', settings: { 'app.tenant': 2 } }, () => Doc.findAll())
    ),
    (e) => e instanceof PgPolicyError && /withRlsScope/.test(e.message)
  );
  // So is a call given `rls` there: it would change the context's role for the rest of it.
  await assert.rejects(
    withRlsContext(sequelize, { role: 'scope_app', settings: { 'app.tenant': 1 } }, () => Doc.findAll({ rls: { role: 'scope_app', settings: { 'app.tenant': 2 } } })),
    (e) => e instanceof PgPolicyError && /withRlsContext/.test(e.message)
  );
  // A withRlsContext inside a scope: its transaction decides.
  const nested = await withRlsScope(sequelize, { role: 'scope_app', settings: { 'app.tenant': 2 } }, () =>
    withRlsContext(sequelize, { role: 'scope_app', settings: { 'app.tenant': 1 } }, async () => [titles(await Doc.findAll()), titles(await Doc.findAll())])
  );
  assert.deepEqual(nested, [['one', 'uno'], ['one', 'uno']]);
  await assertCleanConnection(sequelize);
  await sequelize.close();
});
