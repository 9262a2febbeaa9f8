// sync() applies RLS, policies, roles and grants for the synced models.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Model, DataTypes } = require('sequelize');
const pgpolicy = require('..');
const { declareRoles, schemaFromSequelize, generateMigration } = require('../sequelize');
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
    state.grants.filter((g) => g.role === 'app_user').map((g) => [g.table, g.privileges]),
    [['Documents', ['SELECT', 'INSERT']]]
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
