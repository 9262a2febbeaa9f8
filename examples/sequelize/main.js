// The Sequelize RLS guide, end to end: a throwaway PostgreSQL, the tables from a
// migration, the RLS migration generated from the models and run with sequelize-cli,
// the guide's seed, and each tenant's users read as a non-owner role.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { Sequelize, DataTypes } = require('sequelize');
const { startEmbeddedPostgres } = require('pgpolicy');
const { generateMigration, withRlsContext } = require('pgpolicy/sequelize');

function sequelizeCli(...args) {
  const cli = require.resolve('sequelize-cli/lib/sequelize');
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: __dirname, encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`sequelize-cli ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  process.stdout.write(r.stdout.split('\n').filter((l) => /^== /.test(l)).join('\n') + '\n');
}

function loadModels(sequelize) {
  const models = {};
  for (const f of ['tenant.js', 'user.js']) {
    const model = require(path.join(__dirname, 'models', f))(sequelize, DataTypes);
    models[model.name] = model;
  }
  for (const m of Object.values(models)) m.associate(models);
  return models;
}

async function main() {
  const pg = startEmbeddedPostgres();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-example-'));
  try {
    pg.createDatabase('app');
    Object.assign(process.env, { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: 'postgres', PGDATABASE: 'app' });
    // A fresh copy of migrations/ per run, so the generated file does not pile up in the repo.
    const migrationsPath = path.join(work, 'migrations');
    fs.cpSync(path.join(__dirname, 'migrations'), migrationsPath, { recursive: true });
    process.env.MIGRATIONS_PATH = migrationsPath;

    console.log('Creating the tables with sequelize-cli db:migrate');
    sequelizeCli('db:migrate');

    const sequelize = new Sequelize({ dialect: 'postgres', ...pg.sequelizeOptions('app'), logging: false });
    const { Tenant, User } = loadModels(sequelize);

    const file = await generateMigration({ sequelize, migrationsPath, name: 'tenant-isolation' });
    console.log(`\nGenerated ${path.basename(file)}:\n`);
    console.log(fs.readFileSync(file, 'utf8'));
    console.log('Running it with sequelize-cli db:migrate');
    sequelizeCli('db:migrate');
    const again = await generateMigration({ sequelize, migrationsPath, name: 'tenant-isolation' });
    console.log(`Generating again: ${again === null ? 'nothing to do' : again}\n`);

    await sequelize.authenticate();
    console.log('Database connected.');
    // seed.js of the guide (as the table owner, which RLS does not restrict).
    await Tenant.bulkCreate([
      { id: 1, name: 'Tenant A', createdAt: new Date(), updatedAt: new Date() },
      { id: 2, name: 'Tenant B', createdAt: new Date(), updatedAt: new Date() },
    ]);
    await User.bulkCreate([
      { id: 1, name: 'John Doe', createdAt: new Date(), updatedAt: new Date(), tenantId: 1 },
      { id: 2, name: 'Jane Smith', createdAt: new Date(), updatedAt: new Date(), tenantId: 2 },
    ]);
    console.log('Data inserted successfully.');

    // testRLS.js of the guide, as the non-owner role app_user, with the tenant set for
    // the transaction only (nothing stays on the pooled connection).
    for (const tenantId of [1, 2]) {
      const users = await withRlsContext(
        sequelize,
        { role: 'app_user', settings: { 'app.current_tenant': tenantId } },
        (t) => User.findAll({ attributes: ['id', 'name', 'tenantId'], order: [['id', 'ASC']], transaction: t })
      );
      console.log(`Users for tenant ${tenantId}:`, users.map((user) => user.toJSON()));
    }
    await sequelize.close();
  } finally {
    pg.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
