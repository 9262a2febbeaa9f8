// Roles are cluster-wide, Sequelize migrations per database: the guide's migration runs on
// two databases of one cluster (the second run finds the role and brings it to the
// declared state), the app role inserts with only its declared grants on both, and
// db:migrate:undo:all succeeds on both; the role goes with the last database using it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { generateMigration, withRlsContext } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop, project, GUIDE_USING, packageDir } = require('./helpers');

test.after(stop);

/** The guide's User model; the app role (a login role) may read and insert Users and Tenants. */
const USER_MODEL = `'use strict';
const { definePolicies, declareRoles, declareGrants } = require(${JSON.stringify(path.join(packageDir, 'sequelize'))});
module.exports = function (sequelize, DataTypes) {
  const User = sequelize.define('User', {
    name: { type: DataTypes.STRING, allowNull: false },
  });
  User.associate = function (models) {
    User.belongsTo(models.Tenant, { foreignKey: 'tenantId', as: 'tenant' });
  };
  declareRoles(sequelize, [{ name: 'app_user', login: true }]);
  definePolicies(User, {
    policies: [{ name: 'tenant_isolation', roles: ['app_user'], using: ${JSON.stringify(GUIDE_USING)} }],
    grants: [{ role: 'app_user', privileges: ['SELECT', 'INSERT'] }],
  });
  declareGrants(sequelize, [{ table: 'Tenants', role: 'app_user', privileges: ['SELECT', 'INSERT'] }]);
  return User;
};
`;

async function asApp(database, tenant, sql) {
  const sequelize = sequelizeFor(database);
  try {
    return await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.current_tenant': String(tenant) } }, async (t) => {
      const [rows] = await sequelize.query(sql, { transaction: t });
      return rows;
    });
  } finally {
    await sequelize.close();
  }
}

function roleExists(database) {
  return pg().psql(database, "SELECT count(*) FROM pg_roles WHERE rolname = 'app_user'").trim() === '1';
}

test('the guide migration runs on two databases and is undone on both', async () => {
  const first = freshDatabase('first');
  const second = freshDatabase('second');
  const projects = [project(first), project(second)];
  try {
    for (const p of projects) {
      fs.writeFileSync(path.join(p.dir, 'models', 'user.js'), USER_MODEL);
      p.cli('db:migrate'); // the tables
    }
    const models = projects[0].load();
    const file = await generateMigration({ sequelize: models.sequelize, migrationsPath: projects[0].migrations, name: 'rls' });
    await models.sequelize.close();
    assert.match(fs.readFileSync(file, 'utf8'), /CREATE ROLE app_user WITH LOGIN/);
    fs.copyFileSync(file, path.join(projects[1].migrations, path.basename(file)));

    projects[0].cli('db:migrate');
    // The role exists now (roles are cluster-wide): the second database's run brings it
    // to the declared state instead of failing.
    projects[1].cli('db:migrate');

    for (const db of [first, second]) {
      // Only the declared grants: INSERT on a serial id needs USAGE on its sequence, which
      // the INSERT grant carries.
      await asApp(db, 1, `INSERT INTO "Tenants" (name, "createdAt", "updatedAt") VALUES ('Acme', now(), now()), ('Globex', now(), now())`);
      await asApp(db, 1, `INSERT INTO "Users" (name, "tenantId", "createdAt", "updatedAt") VALUES ('John', 1, now(), now())`);
      await asApp(db, 2, `INSERT INTO "Users" (name, "tenantId", "createdAt", "updatedAt") VALUES ('Sarah', 2, now(), now())`);
      assert.deepEqual((await asApp(db, 1, 'SELECT name FROM "Users"')).map((r) => r.name), ['John']);
      assert.deepEqual((await asApp(db, 2, 'SELECT name FROM "Users"')).map((r) => r.name), ['Sarah']);
      await assert.rejects(asApp(db, 1, 'DELETE FROM "Users"'), /permission denied for table Users/);
    }

    // Undone on the first database: the role still holds privileges in the second, so it
    // is kept (a NOTICE says why) and the undo does not fail.
    projects[0].cli('db:migrate:undo:all');
    assert.ok(roleExists(first));
    assert.equal(pg().psql(first, `SELECT to_regclass('"Users"') IS NULL`).trim(), 't');
    // Undone on the second: nothing depends on the role any more; it is dropped.
    projects[1].cli('db:migrate:undo:all');
    assert.ok(!roleExists(second));
  } finally {
    for (const p of projects) p.remove();
  }
});
