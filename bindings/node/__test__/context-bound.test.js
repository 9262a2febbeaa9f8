// withRlsContext fails closed: every query of its callback runs in its transaction (CLS on
// AsyncLocalStorage, set up by pgpolicy), or throws; never as the owner on another
// pooled connection.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { DataTypes } = require('sequelize');
const { withRlsContext, definePolicies, declareRoles, declareGrants } = require('../sequelize');
const { PgPolicyError } = require('..');
const { freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

const WHO = `SELECT current_user AS "user", current_setting('app.current_tenant', true) AS tenant`;

async function setup() {
  const db = freshDatabase('bound');
  const sequelize = sequelizeFor(db, { pool: { max: 2, min: 0 } });
  const User = sequelize.define('User', { name: DataTypes.STRING, tenantId: DataTypes.INTEGER });
  declareRoles(sequelize, ['app_user']);
  definePolicies(User, {
    policies: [{ name: 'tenant_isolation', using: `"tenantId" = current_setting('app.current_tenant')::integer` }],
  });
  declareGrants(sequelize, [{ table: User, role: 'app_user', privileges: ['SELECT'] }]);
  await sequelize.sync();
  await User.bulkCreate([
    { name: 'John Doe', tenantId: 1 },
    { name: 'Jane Smith', tenantId: 2 },
  ]);
  return { sequelize, User };
}

const CONTEXT = { role: 'app_user', settings: { 'app.current_tenant': 1 } };

test('a query that is not in the transaction runs as the owner and sees every tenant', async () => {
  // What a query inside the callback without `{ transaction: t }` did before: it took
  // another connection of the pool (of 2), outside the context.
  const { sequelize, User } = await setup();
  assert.equal((await User.findAll({ transaction: null })).length, 2);
  const [who] = await sequelize.query(WHO, { type: 'SELECT', transaction: null });
  assert.equal(who.user, 'postgres');
  await sequelize.close();
});

test('queries inside the callback are bound to its transaction without being given it', async () => {
  const { sequelize, User } = await setup();
  const seen = await withRlsContext(sequelize, CONTEXT, async () => {
    const names = (await User.findAll()).map((u) => u.name);
    const [who] = await sequelize.query(WHO, { type: 'SELECT' });
    const parallel = await Promise.all([User.count(), User.count(), sequelize.query(WHO, { type: 'SELECT' })]);
    return { names, who, counts: parallel.slice(0, 2), who2: parallel[2][0] };
  });
  assert.deepEqual(seen, {
    names: ['John Doe'],
    who: { user: 'app_user', tenant: '1' },
    counts: [1, 1],
    who2: { user: 'app_user', tenant: '1' },
  });
  // The one-call form: a context for one query, no transaction to pass.
  const names = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': 2 } }, () => User.findAll());
  assert.deepEqual(
    names.map((u) => u.name),
    ['Jane Smith']
  );
  // Outside any context, queries are as before.
  assert.equal((await User.findAll()).length, 2);
  await sequelize.close();
});

test('a query inside the callback that would leave the transaction throws', async () => {
  const { sequelize, User } = await setup();
  await assert.rejects(
    withRlsContext(sequelize, CONTEXT, () => User.findAll({ transaction: null })),
    (e) => e instanceof PgPolicyError && /outside its transaction/.test(e.message)
  );
  await assert.rejects(
    withRlsContext(sequelize, CONTEXT, () => sequelize.transaction((t2) => User.findAll({ transaction: t2 }))),
    (e) => e instanceof PgPolicyError && /outside its transaction/.test(e.message)
  );
  // Nested contexts and explicit `t` still work.
  const names = await withRlsContext(sequelize, CONTEXT, async (t) => {
    const own = (await User.findAll({ transaction: t })).map((u) => u.name);
    const inner = await withRlsContext(sequelize, { settings: { 'app.current_tenant': 2 } }, async () =>
      (await User.findAll()).map((u) => u.name)
    );
    return { own, inner, again: (await User.findAll()).map((u) => u.name) };
  });
  assert.deepEqual(names, { own: ['John Doe'], inner: ['Jane Smith'], again: ['John Doe'] });
  await sequelize.close();
});
