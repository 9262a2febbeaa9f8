// withRlsContext: transaction-local role and settings, nesting, CLS, nothing left in the pool.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const cls = require('cls-hooked');
const { Sequelize, DataTypes } = require('sequelize');
const { withRlsContext, definePolicies, declareRoles, declareGrants } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

const SESSION = `SELECT current_user AS "user", current_setting('app.current_tenant', true) AS tenant, current_setting('app.reason', true) AS reason`;

async function session(sequelize, transaction) {
  const [row] = await sequelize.query(SESSION, { type: 'SELECT', transaction });
  return { user: row.user, tenant: row.tenant || null, reason: row.reason || null };
}

async function setup(options = {}) {
  const db = freshDatabase('ctx');
  const sequelize = sequelizeFor(db, { pool: { max: 1, min: 0 }, ...options });
  const User = sequelize.define('User', { name: DataTypes.STRING, tenantId: DataTypes.INTEGER });
  declareRoles(sequelize, ['app_user', 'auditor']);
  definePolicies(User, {
    policies: [{ name: 'tenant_isolation', using: `"tenantId" = current_setting('app.current_tenant')::integer` }],
  });
  declareGrants(sequelize, [
    { table: User, role: 'app_user', privileges: ['SELECT', 'INSERT'] },
    { table: User, role: 'auditor', privileges: ['SELECT'] },
  ]);
  await sequelize.sync();
  await User.bulkCreate([
    { name: 'John Doe', tenantId: 1 },
    { name: 'Jane Smith', tenantId: 2 },
  ]);
  return { sequelize, User };
}

test('role and settings hold inside the transaction and nothing leaks into the pool (max 1)', async () => {
  const { sequelize, User } = await setup();
  const inside = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': 1 } }, async (t) => ({
    session: await session(sequelize, t),
    names: (await User.findAll({ transaction: t })).map((u) => u.name),
  }));
  assert.deepEqual(inside, { session: { user: 'app_user', tenant: '1', reason: null }, names: ['John Doe'] });
  // The one pooled connection is back to the session's own role and settings.
  assert.deepEqual(await session(sequelize), { user: 'postgres', tenant: null, reason: null });
  await sequelize.close();
});

test('a failing callback rolls back and leaks nothing', async () => {
  const { sequelize } = await setup();
  await assert.rejects(
    withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': '2' } }, async () => {
      throw new Error('boom');
    }),
    /boom/
  );
  assert.deepEqual(await session(sequelize), { user: 'postgres', tenant: null, reason: null });
  await sequelize.close();
});

test("the guide's SET app.current_tenant leaks into the next use of the pooled connection", async () => {
  const { sequelize, User } = await setup();
  await sequelize.query(`SET app.current_tenant = '1';`);
  // A later, unrelated request on the same (only) connection still sees tenant 1.
  assert.equal((await session(sequelize)).tenant, '1');
  assert.deepEqual((await User.findAll()).length, 2, 'as the owner, RLS does not even apply');
  await sequelize.close();
});

test('nested calls override role and settings and restore the outer ones', async () => {
  const { sequelize } = await setup();
  const seen = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': '1' } }, async (t) => {
    const outer = await session(sequelize, t);
    const inner = await withRlsContext(sequelize, { role: 'auditor', settings: { 'app.reason': 'review' } }, async (t2) => {
      assert.notEqual(t2, t);
      return session(sequelize, t2);
    });
    const after = await session(sequelize, t);
    const settingsOnly = await withRlsContext(sequelize, { settings: { 'app.current_tenant': '2' } }, (t3) => session(sequelize, t3));
    const afterSettings = await session(sequelize, t);
    return { outer, inner, after, settingsOnly, afterSettings };
  });
  assert.deepEqual(seen, {
    outer: { user: 'app_user', tenant: '1', reason: null },
    // Settings are shallow-merged over the outer ones.
    inner: { user: 'auditor', tenant: '1', reason: 'review' },
    after: { user: 'app_user', tenant: '1', reason: null },
    settingsOnly: { user: 'app_user', tenant: '2', reason: null },
    afterSettings: { user: 'app_user', tenant: '1', reason: null },
  });
  assert.deepEqual(await session(sequelize), { user: 'postgres', tenant: null, reason: null });
  await sequelize.close();
});

test('a failing nested call restores the outer context (savepoint rolled back)', async () => {
  const { sequelize } = await setup();
  const after = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': '1' } }, async (t) => {
    await assert.rejects(
      withRlsContext(sequelize, { role: 'auditor', settings: { 'app.current_tenant': '2' } }, async () => {
        throw new Error('inner');
      }),
      /inner/
    );
    return session(sequelize, t);
  });
  assert.deepEqual(after, { user: 'app_user', tenant: '1', reason: null });
  await sequelize.close();
});

test('values are bound, role names quoted', async () => {
  const { sequelize } = await setup();
  const hostile = `1'; DROP TABLE "Users"; --`;
  const tenant = await withRlsContext(sequelize, { settings: { 'app.current_tenant': hostile } }, async (t) => (await session(sequelize, t)).tenant);
  assert.equal(tenant, hostile);
  await assert.rejects(
    withRlsContext(sequelize, { role: 'app_user"; DROP TABLE "Users' }, async () => {}),
    /role "app_user"; DROP TABLE "Users" does not exist/
  );
  const [{ n }] = await sequelize.query(`SELECT count(*)::int AS n FROM "Users"`, { type: 'SELECT' });
  assert.equal(n, 2);
  await sequelize.close();
});

test('with Sequelize CLS, queries inside the callback use the transaction without passing it', async () => {
  const namespace = cls.createNamespace('pgpolicy-test');
  Sequelize.useCLS(namespace);
  try {
    const { sequelize, User } = await setup();
    const result = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': '2' } }, async () => {
      const names = (await User.findAll()).map((u) => u.name);
      const nested = await withRlsContext(sequelize, { settings: { 'app.current_tenant': '1' } }, async () =>
        (await User.findAll()).map((u) => u.name)
      );
      const again = (await User.findAll()).map((u) => u.name);
      return { names, nested, again };
    });
    assert.deepEqual(result, { names: ['Jane Smith'], nested: ['John Doe'], again: ['Jane Smith'] });
    assert.deepEqual(await session(sequelize), { user: 'postgres', tenant: null, reason: null });
    await sequelize.close();
  } finally {
    Sequelize._cls = undefined;
  }
});

test('a nested context restores the role as SET ROLE left it (not current_user)', async () => {
  const { sequelize } = await setup();
  const ROLE = `SELECT current_setting('role') AS role, current_user AS "user"`;
  const seen = await withRlsContext(sequelize, { settings: { 'app.current_tenant': '1' } }, async (t) => {
    const before = (await sequelize.query(ROLE, { type: 'SELECT', transaction: t }))[0];
    await withRlsContext(sequelize, { role: 'auditor' }, async () => {});
    const after = (await sequelize.query(ROLE, { type: 'SELECT', transaction: t }))[0];
    return { before, after };
  });
  // No SET ROLE before, none after: not an explicit `SET ROLE postgres` (what restoring
  // current_user did), which would differ inside a SECURITY DEFINER function.
  assert.deepEqual(seen, { before: { role: 'none', user: 'postgres' }, after: { role: 'none', user: 'postgres' } });
  await sequelize.close();
});

test("the context's statements come from the core; setting names must be prefix.name", async () => {
  const pgpolicy = require('..');
  const s = pgpolicy.contextStatements({ role: 'App User', settings: { 'app.current_tenant': 1, 'app.reason': null } });
  assert.deepEqual(s.enter, [
    { sql: 'SET LOCAL ROLE "App User"', params: [] },
    { sql: 'SELECT pg_catalog.set_config($1, $2, true)', params: ['app.current_tenant', '1'] },
    { sql: 'SELECT pg_catalog.set_config($1, $2, true)', params: ['app.reason', ''] },
  ]);
  assert.equal(s.snapshot.sql, "SELECT pg_catalog.current_setting('role') AS role, pg_catalog.current_setting($1, true) AS setting_1, pg_catalog.current_setting($2, true) AS setting_2");
  assert.deepEqual(s.restore(['none', '7', null]).map((x) => x.sql)[0], 'SET LOCAL ROLE NONE');
  const { sequelize } = await setup();
  for (const name of ['search_path', "app.x'", 'app."x"', 'app.x; SELECT 1']) {
    await assert.rejects(withRlsContext(sequelize, { settings: { [name]: '1' } }, async () => {}), (e) => {
      assert.ok(e instanceof pgpolicy.ValidationError, String(e));
      assert.equal(e.code, 'INVALID_CONTEXT');
      return true;
    });
  }
  await sequelize.close();
});
