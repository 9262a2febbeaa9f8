// generateMigration and the CLI: files sequelize-cli and Umzug run, up and down.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { Umzug, SequelizeStorage } = require('umzug');
const { Sequelize } = require('sequelize');
const pgpolicy = require('..');
const { generateMigration, withRlsContext } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop, project, GUIDE_USING } = require('./helpers');

test.after(stop);

async function seed(sequelize) {
  await sequelize.query(`INSERT INTO "Tenants" (id, name, "createdAt", "updatedAt") VALUES (1, 'Tenant A', now(), now()), (2, 'Tenant B', now(), now())`);
  await sequelize.query(`INSERT INTO "Users" (id, name, "tenantId", "createdAt", "updatedAt") VALUES (1, 'John Doe', 1, now(), now()), (2, 'Jane Smith', 2, now(), now())`);
}

async function namesFor(models, tenant) {
  return withRlsContext(models.sequelize, { role: 'app_user', settings: { 'app.current_tenant': tenant } }, async (t) =>
    (await models.User.findAll({ transaction: t, order: [['id', 'ASC']] })).map((u) => u.name)
  );
}

/** The statements a migration file runs, each direction in its one transaction. */
async function statementsOf(file) {
  delete require.cache[require.resolve(file)];
  const migration = require(file);
  const recorder = (list) => ({
    sequelize: {
      transaction: async (fn) => fn('T'),
      query: async (sql, options) => {
        assert.equal(options.transaction, 'T');
        list.push(sql);
      },
    },
  });
  const up = [];
  const down = [];
  await migration.up(recorder(up), Sequelize);
  await migration.down(recorder(down), Sequelize);
  return { up, down };
}

async function storedPolicy(database) {
  const schema = await pgpolicy.introspect(pg().url(database));
  const users = schema.tables.find((t) => t.name === 'Users');
  return { rls: users.rls, policies: users.policies };
}

test('generate, db:migrate, isolation, no-op, ALTER POLICY, db:migrate:undo', async () => {
  const db = freshDatabase('migrate');
  const p = project(db);
  try {
    p.cli('db:migrate');

    let models = p.load();
    const file = await generateMigration({ sequelize: models.sequelize, migrationsPath: p.migrations, name: 'users-rls' });
    await models.sequelize.close();
    assert.match(path.basename(file), /^\d{14}-users-rls\.js$/);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /async up\(queryInterface, Sequelize\)/);
    assert.match(text, /async down\(queryInterface, Sequelize\)/);
    assert.match(text, /queryInterface\.sequelize\.transaction\(async \(transaction\) =>/);
    // Undoing the migration turns RLS off: down says so, up does not.
    const downText = text.slice(text.indexOf('async down('));
    assert.match(downText, /\/\/ WEAKENS: turns row-level security off on public\."Users"\n/);
    assert.doesNotMatch(text.slice(0, text.indexOf('async down(')), /WEAKENS/);
    // Each direction pins its transaction first (the core's session pins), then runs the plan.
    const pins = pgpolicy.sessionPins();
    assert.deepEqual(pins, [
      'SET LOCAL standard_conforming_strings TO on',
      'SET LOCAL search_path TO public',
      "SET LOCAL lock_timeout TO '5000ms'",
      "SET LOCAL statement_timeout TO '300000ms'",
    ]);
    // Roles are cluster-wide: creating one is idempotent, dropping one tolerant (the core's
    // statements for them).
    const rolePlan = pgpolicy.diff({ tables: [] }, { tables: [], roles: [{ name: 'app_user' }] });
    const [createRole] = rolePlan.statements;
    const [dropRole] = rolePlan.reverseStatements;
    assert.match(createRole, /^DO \$role\$DECLARE .* BEGIN IF EXISTS \(.*\) THEN .* ALTER ROLE app_user WITH NOLOGIN INHERIT NOBYPASSRLS; ELSE CREATE ROLE app_user WITH NOLOGIN INHERIT NOBYPASSRLS; COMMENT ON ROLE app_user IS 'created by pgpolicy';/);
    assert.match(dropRole, /DROP ROLE app_user; EXCEPTION WHEN dependent_objects_still_exist THEN RAISE NOTICE/);
    assert.deepEqual(await statementsOf(file), {
      up: [
        ...pins,
        createRole,
        'GRANT SELECT ON TABLE public."Users" TO app_user',
        `CREATE POLICY tenant_isolation ON public."Users" AS PERMISSIVE FOR ALL TO PUBLIC USING (${GUIDE_USING})`,
        'ALTER TABLE public."Users" ENABLE ROW LEVEL SECURITY',
      ],
      // The reverse plan, in reverse order: RLS is disabled before the policy is dropped.
      down: [
        ...pins,
        'ALTER TABLE public."Users" DISABLE ROW LEVEL SECURITY',
        'DROP POLICY tenant_isolation ON public."Users"',
        'REVOKE SELECT ON TABLE public."Users" FROM app_user',
        dropRole,
      ],
    });

    p.cli('db:migrate');
    assert.deepEqual(await storedPolicy(db).then((s) => s.rls), { enabled: true, forced: false });

    models = p.load();
    await seed(models.sequelize);
    assert.deepEqual(await namesFor(models, '1'), ['John Doe']);
    assert.deepEqual(await namesFor(models, '2'), ['Jane Smith']);

    // Nothing changed: no file.
    const before = fs.readdirSync(p.migrations).length;
    assert.equal(await generateMigration({ sequelize: models.sequelize, migrationsPath: p.migrations, name: 'again' }), null);
    assert.equal(fs.readdirSync(p.migrations).length, before);
    await models.sequelize.close();

    // Edit the policy: an ALTER POLICY only.
    const stored = await storedPolicy(db);
    p.setUsing(`"tenantId" = current_setting('app.current_tenant', true)::integer`);
    models = p.load();
    const edit = await generateMigration({ sequelize: models.sequelize, migrationsPath: p.migrations, name: 'edit' });
    await models.sequelize.close();
    assert.ok(edit > file, 'the new migration sorts after the previous one');
    const editStatements = await statementsOf(edit);
    assert.deepEqual(editStatements.up, [
      ...pins,
      `ALTER POLICY tenant_isolation ON public."Users" USING ("tenantId" = current_setting('app.current_tenant', true)::integer)`,
    ]);
    assert.equal(editStatements.down.length, 5);
    assert.match(editStatements.down[4], /^ALTER POLICY tenant_isolation ON public\."Users" USING /);
    p.cli('db:migrate');
    const altered = await storedPolicy(db);
    assert.equal(altered.policies[0].using, `("tenantId" = (current_setting('app.current_tenant'::text, true))::integer)`);

    models = p.load();
    assert.equal(await generateMigration({ sequelize: models.sequelize, migrationsPath: p.migrations, name: 'again' }), null);
    await models.sequelize.close();

    // Undo the edit: the previous policy is back.
    p.cli('db:migrate:undo');
    assert.deepEqual(await storedPolicy(db), stored);
  } finally {
    p.remove();
  }
});

test('the CLI reads .sequelizerc and config.json; generated files also run with Umzug', async () => {
  const db = freshDatabase('cli');
  const p = project(db);
  try {
    p.cli('db:migrate');
    const out = p.pgpolicy('generate', '--name', 'rls');
    const m = /New migration was created at (.*)/.exec(out);
    assert.ok(m, out);
    assert.ok(fs.existsSync(m[1]));
    assert.equal(p.pgpolicy('plan').includes('CREATE POLICY tenant_isolation'), true);
    p.cli('db:migrate');
    assert.match(p.pgpolicy('generate', '--name', 'rls'), /No changes/);
    p.pgpolicy('check');
    assert.equal(fs.readdirSync(p.migrations).length, 2);

    // Umzug on another database: tables, then RLS; down and up again.
    const db2 = freshDatabase('umzug');
    const sequelize = sequelizeFor(db2);
    const umzug = new Umzug({
      migrations: {
        glob: path.join(p.migrations, '*.js'),
        resolve: ({ name, path: file, context }) => {
          const migration = require(file);
          return { name, up: () => migration.up(context, Sequelize), down: () => migration.down(context, Sequelize) };
        },
      },
      context: sequelize.getQueryInterface(),
      storage: new SequelizeStorage({ sequelize }),
      logger: undefined,
    });
    await umzug.up();
    let state = await pgpolicy.introspect(pg().url(db2));
    let users = state.tables.find((t) => t.name === 'Users');
    assert.equal(users.rls.enabled, true);
    assert.deepEqual(users.policies.map((x) => x.name), ['tenant_isolation']);
    await umzug.down();
    state = await pgpolicy.introspect(pg().url(db2));
    users = state.tables.find((t) => t.name === 'Users');
    assert.equal(users.rls.enabled, false);
    assert.deepEqual(users.policies, []);
    await umzug.up();
    assert.match(p.pgpolicy('plan', '--url', pg().url(db2)), /^-- no changes/);
    await sequelize.close();
  } finally {
    p.remove();
  }
});

test('the guide policy compares equal to what PostgreSQL stores', async () => {
  const db = freshDatabase('guide');
  const url = pg().url(db);
  pg().psql(db, `CREATE TABLE "Users" (id serial primary key, "tenantId" integer)`);
  const desired = { tables: { Users: { rlsEnabled: true, policies: [{ name: 'tenant_isolation', using: GUIDE_USING }] } } };
  const first = await pgpolicy.apply(url, desired);
  assert.equal(first.applied, true);
  const again = await pgpolicy.apply(url, desired, { dryRun: true });
  assert.deepEqual(again.changes, []);
});
