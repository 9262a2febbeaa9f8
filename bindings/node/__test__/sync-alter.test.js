// sync({ alter: true }) with policies that read the altered columns: Sequelize re-issues
// ALTER COLUMN ... TYPE for every column, which PostgreSQL refuses while a policy reads
// the column; pgpolicy drops those policies and re-creates them around the sync, in one
// transaction.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { DataTypes } = require('sequelize');
const pgpolicy = require('..');
const { withRlsContext, declareRoles } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

function define(sequelize) {
  const Membership = sequelize.define(
    'Membership',
    { documentId: { type: DataTypes.INTEGER, allowNull: false }, userName: DataTypes.TEXT },
    {
      rls: {
        policies: [{ name: 'own_memberships', using: `"userName" = current_setting('app.user')` }],
        grants: [{ role: 'alter_app', privileges: ['SELECT'] }],
      },
    }
  );
  const Document = sequelize.define(
    'Document',
    { tenantId: { type: DataTypes.INTEGER, allowNull: false }, title: DataTypes.TEXT },
    {
      rls: {
        policies: [
          { name: 'tenant_isolation', using: `"tenantId" = current_setting('app.tenant')::integer` },
          {
            name: 'members_only',
            command: 'SELECT',
            permissive: false,
            using: `EXISTS (SELECT 1 FROM "Memberships" m WHERE m."documentId" = "Documents".id AND m."userName" = current_setting('app.user'))`,
          },
        ],
        grants: [{ role: 'alter_app', privileges: ['SELECT'] }],
      },
    }
  );
  // A model without an RLS declaration: its RLS is the database's business.
  sequelize.define('Note', { body: DataTypes.TEXT });
  declareRoles(sequelize, ['alter_app']);
  return { Membership, Document };
}

async function policyTexts(url) {
  const state = await pgpolicy.introspect(url);
  return state.tables.flatMap((t) => t.policies.map((p) => `${t.name}.${p.name}: ${p.permissive} ${p.command} ${p.using}`)).sort();
}

test('sync({ alter: true }) twice on models whose policies read their columns; isolation holds after', async () => {
  const db = freshDatabase('alter');
  const url = pg().url(db);
  const sequelize = sequelizeFor(db);
  const { Membership, Document } = define(sequelize);
  await sequelize.sync();
  const before = await policyTexts(url);
  assert.equal(before.length, 3);
  // A policy made by hand on a table the models do not manage, on a column the sync
  // alters: kept as it is.
  pg().psql(db, `CREATE POLICY extra ON "Notes" AS PERMISSIVE FOR UPDATE TO PUBLIC USING (body <> 'x')`);
  const withExtra = await policyTexts(url);

  await sequelize.sync({ alter: true });
  assert.deepEqual(await policyTexts(url), withExtra);
  await sequelize.sync({ alter: true });
  assert.deepEqual(await policyTexts(url), withExtra);

  const { tables } = await pgpolicy.introspect(url);
  assert.ok(tables.find((t) => t.name === 'Documents').rls.enabled);

  const docs = await Document.bulkCreate([
    { tenantId: 1, title: 'one' },
    { tenantId: 1, title: 'hidden' },
    { tenantId: 2, title: 'two' },
  ]);
  await Membership.bulkCreate([
    { documentId: docs[0].id, userName: 'ann' },
    { documentId: docs[2].id, userName: 'ann' },
  ]);
  const seen = await withRlsContext(sequelize, { role: 'alter_app', settings: { 'app.tenant': 1, 'app.user': 'ann' } }, () =>
    Document.findAll({ order: [['id', 'ASC']] })
  );
  assert.deepEqual(seen.map((d) => d.title), ['one']);
  await sequelize.close();
});

test('sync({ alter: true }) that fails leaves every policy in place', async () => {
  const db = freshDatabase('alter');
  const url = pg().url(db);
  const sequelize = sequelizeFor(db);
  define(sequelize);
  await sequelize.sync();
  const before = await policyTexts(url);
  // A model change PostgreSQL cannot apply (text that is not an integer).
  pg().psql(db, `INSERT INTO "Documents" ("tenantId", title, "createdAt", "updatedAt") VALUES (1, 'x', now(), now())`);
  const other = sequelizeFor(db);
  define(other);
  other.models.Document.rawAttributes.title.type = DataTypes.INTEGER;
  other.models.Document.refreshAttributes();
  await assert.rejects(other.sync({ alter: true }));
  assert.deepEqual(await policyTexts(url), before);
  await other.close();
  await sequelize.close();
});

test('Model.sync({ alter: true }) of one model holds the policies on its columns too, on any table', async () => {
  const db = freshDatabase('alter');
  const url = pg().url(db);
  const sequelize = sequelizeFor(db);
  const { Membership, Document } = define(sequelize);
  await sequelize.sync();
  const before = await policyTexts(url);
  // Documents' members_only reads Memberships' columns: altering Memberships holds it.
  await Membership.sync({ alter: true });
  assert.deepEqual(await policyTexts(url), before);
  await Document.sync({ alter: true });
  await Document.sync({ alter: true });
  assert.deepEqual(await policyTexts(url), before);
  await sequelize.close();
});
