// sync() applies RLS, policies, roles and grants for the synced models.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Model, DataTypes } = require('sequelize');
const pgpolicy = require('..');
const {
  declareRoles,
  declareGrants,
  declareDefaultPrivileges,
  declareFunctions,
  schemaFromSequelize,
  generateMigration,
  withRlsContext,
} = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

const TENANT = `"tenantId" = current_setting('app.current_tenant')::integer`;

function table(state, name) {
  return state.tables.find((t) => t.name === name);
}

test('sync() on a fresh schema gives RLS and policies (define and init options)', async () => {
  const db = freshDatabase('sync');
  const sequelize = sequelizeFor(db);
  const Tenant = sequelize.define('Tenant', { name: DataTypes.STRING });
  sequelize.define(
    'User',
    { name: { type: DataTypes.STRING, allowNull: false }, tenantId: DataTypes.INTEGER },
    { rls: { force: true, policies: [{ name: 'tenant_isolation', using: TENANT }] } }
  );
  class Document extends Model {}
  Document.init(
    { title: DataTypes.TEXT, ownerId: DataTypes.INTEGER, status: DataTypes.ENUM('draft', 'published') },
    {
      sequelize,
      rls: {
        policies: [
          { name: 'read_published', command: 'SELECT', using: `status = 'published'` },
          { name: 'owner_insert', command: 'INSERT', roles: ['app_user'], withCheck: `"ownerId" = current_setting('app.user_id')::integer` },
          { name: 'no_archive', command: 'UPDATE', permissive: false, using: 'true', withCheck: `status IN ('draft', 'published')` },
        ],
        grants: [{ role: 'app_user', privileges: ['SELECT', 'INSERT'] }],
      },
    }
  );
  declareRoles(sequelize, ['app_user']);
  assert.deepEqual(
    schemaFromSequelize(sequelize).tables.map((t) => [t.name, t.columns.map((c) => `${c.name} ${c.type}`)]),
    [
      ['Users', ['id INTEGER', 'name VARCHAR(255)', 'tenantId INTEGER', 'createdAt TIMESTAMP WITH TIME ZONE', 'updatedAt TIMESTAMP WITH TIME ZONE']],
      ['Documents', ['id INTEGER', 'title TEXT', 'ownerId INTEGER', 'status "enum_Documents_status"', 'createdAt TIMESTAMP WITH TIME ZONE', 'updatedAt TIMESTAMP WITH TIME ZONE']],
    ]
  );

  await sequelize.sync();

  const state = await pgpolicy.introspect(pg().url(db));
  assert.deepEqual(table(state, 'Tenants').rls, { enabled: false, forced: false }, 'models without rls are left alone');
  assert.deepEqual(table(state, 'Users').rls, { enabled: true, forced: true });
  assert.deepEqual(
    table(state, 'Users').policies.map((p) => [p.name, p.command, p.using]),
    [['tenant_isolation', 'ALL', `("tenantId" = (current_setting('app.current_tenant'::text))::integer)`]]
  );
  const docs = table(state, 'Documents');
  assert.deepEqual(docs.rls, { enabled: true, forced: false });
  assert.deepEqual(
    docs.policies.map((p) => [p.name, p.command, p.permissive, p.roles]),
    [
      ['no_archive', 'UPDATE', false, ['PUBLIC']],
      ['owner_insert', 'INSERT', true, ['app_user']],
      ['read_published', 'SELECT', true, ['PUBLIC']],
    ]
  );
  assert.deepEqual(
    state.grants.filter((g) => g.role === 'app_user' && g.table).map((g) => [g.table, g.privileges]),
    [['Documents', ['SELECT', 'INSERT']]]
  );
  // INSERT carries USAGE on the table's serial sequence.
  assert.deepEqual(
    state.grants.filter((g) => g.role === 'app_user' && g.sequence).map((g) => [g.sequence, g.privileges]),
    [['Documents_id_seq', ['USAGE']]]
  );
  assert.ok(state.roles === undefined || state.roles.some((r) => r.name === 'app_user'));

  // Synced state is the declared state: nothing to migrate, and sync() again changes nothing.
  assert.equal(await generateMigration({ sequelize, migrationsPath: '/nonexistent-never-written' }), null);
  await sequelize.sync();
  assert.deepEqual(await pgpolicy.introspect(pg().url(db)), state);

  // sync({ force: true }) recreates the tables, and their RLS with them.
  await sequelize.sync({ force: true });
  const again = await pgpolicy.introspect(pg().url(db));
  assert.deepEqual(table(again, 'Users').policies.map((p) => p.name), ['tenant_isolation']);
  assert.equal(table(again, 'Documents').policies.length, 3);
  await sequelize.close();
});

test('Model.sync() applies the RLS of that model', async () => {
  const db = freshDatabase('modelsync');
  const sequelize = sequelizeFor(db);
  const Note = sequelize.define('Note', { body: DataTypes.TEXT, ownerId: DataTypes.INTEGER }, {
    rls: { policies: [{ name: 'own_notes', using: `"ownerId" = current_setting('app.user_id')::integer` }] },
  });
  await Note.sync();
  const state = await pgpolicy.introspect(pg().url(db));
  assert.deepEqual(table(state, 'Notes').rls, { enabled: true, forced: false });
  assert.deepEqual(table(state, 'Notes').policies.map((p) => p.name), ['own_notes']);
  await sequelize.close();
});

test('grants on sequences, schemas and functions, and default privileges', async () => {
  const db = freshDatabase('grants');
  const sequelize = sequelizeFor(db);
  await sequelize.query('CREATE FUNCTION ledger_total() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 1::bigint $$');
  const Ledger = sequelize.define('Ledger', { amount: DataTypes.INTEGER, note: DataTypes.TEXT }, {
    rls: {
      policies: [{ name: 'everything', roles: ['app_user'], using: 'true', withCheck: 'true' }],
      grants: [{ role: 'app_user', privileges: ['SELECT', 'INSERT'] }, { role: 'auditor', privileges: ['SELECT'], columns: ['id', 'note'] }],
    },
  });
  declareRoles(sequelize, ['app_user', 'auditor']);
  declareGrants(sequelize, [
    { schema: 'public', role: 'app_user', privileges: ['USAGE'] },
    { function: 'ledger_total', args: [], role: 'app_user', privileges: ['EXECUTE'] },
    { function: 'ledger_total', args: [], role: 'PUBLIC', privileges: [] },
  ]);
  declareDefaultPrivileges(sequelize, [{ on: 'tables', schema: 'public', role: 'auditor', privileges: ['SELECT'] }]);
  await sequelize.sync();

  // The app role inserts (its id from the serial sequence) and runs the helper function.
  const total = await withRlsContext(sequelize, { role: 'app_user' }, async (t) => {
    await Ledger.create({ amount: 5 }, { transaction: t });
    const [rows] = await sequelize.query('SELECT ledger_total() AS n', { transaction: t });
    return rows[0].n;
  });
  assert.equal(String(total), '1');
  // The auditor reads two columns only, and not the function (revoked from PUBLIC).
  await assert.rejects(
    withRlsContext(sequelize, { role: 'auditor' }, (t) => sequelize.query('SELECT amount FROM "Ledgers"', { transaction: t })),
    /permission denied for table Ledgers/
  );
  await assert.rejects(
    withRlsContext(sequelize, { role: 'auditor' }, (t) => sequelize.query('SELECT ledger_total()', { transaction: t })),
    /permission denied for function ledger_total/
  );
  // Tables created later are readable by the auditor (default privileges).
  await sequelize.query('CREATE TABLE later (id int)');
  await withRlsContext(sequelize, { role: 'auditor' }, (t) => sequelize.query('SELECT * FROM later', { transaction: t }));

  const state = await pgpolicy.introspect(pg().url(db));
  assert.deepEqual(
    state.grants.filter((g) => g.function === 'ledger_total').map((g) => [g.role, g.privileges]),
    [['app_user', ['EXECUTE']]]
  );
  assert.deepEqual(
    state.default_privileges.map((d) => [d.schema, d.on, d.role, d.privileges]),
    [['public', 'table', 'auditor', ['SELECT']]]
  );
  // What sync() made is what is declared: no migration to write.
  assert.equal(await generateMigration({ sequelize, migrationsPath: '/nonexistent-never-written' }), null);
  await sequelize.close();
});

test('a declared helper function is created with the policies calling it', async () => {
  const db = freshDatabase('functions');
  const sequelize = sequelizeFor(db);
  sequelize.define('Note', { body: DataTypes.TEXT, owner: DataTypes.TEXT }, {
    rls: { policies: [{ name: 'mine', roles: ['writer'], using: 'owner = current_owner()' }], grants: [{ role: 'writer', privileges: ['SELECT'] }] },
  });
  declareRoles(sequelize, ['writer']);
  declareFunctions(sequelize, [
    { name: 'current_owner', returns: 'text', body: " SELECT current_setting('app.owner', true) ", volatility: 'STABLE', securityDefiner: true, searchPath: ['public', 'pg_temp'] },
  ]);
  await sequelize.sync();
  await sequelize.query(`INSERT INTO "Notes" (body, owner, "createdAt", "updatedAt") VALUES ('a', 'ann', now(), now()), ('b', 'bob', now(), now())`);
  const seen = await withRlsContext(sequelize, { role: 'writer', settings: { 'app.owner': 'ann' } }, async (t) =>
    (await sequelize.query('SELECT body FROM "Notes"', { transaction: t }))[0].map((r) => r.body)
  );
  assert.deepEqual(seen, ['a']);
  const state = await pgpolicy.introspect(pg().url(db));
  const fn = state.functions.find((f) => f.name === 'current_owner');
  assert.deepEqual([fn.volatility, fn.security_definer, fn.search_path], ['STABLE', true, ['public', 'pg_temp']]);
  assert.equal(await generateMigration({ sequelize, migrationsPath: '/nonexistent-never-written' }), null);
  await sequelize.close();
});
