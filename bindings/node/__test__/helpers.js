// Shared by the tests: one throwaway PostgreSQL per test file, fresh databases, and
// throwaway sequelize-cli projects.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { Sequelize, DataTypes } = require('sequelize');
const pgpolicy = require('..');

const packageDir = path.join(__dirname, '..');
let cluster = null;
let counter = 0;

function pg() {
  if (!cluster) cluster = pgpolicy.startEmbeddedPostgres();
  return cluster;
}

/** A new empty database; returns its name. */
function freshDatabase(prefix = 'test') {
  const name = `${prefix}_${process.pid}_${counter++}`;
  pg().createDatabase(name);
  return name;
}

function sequelizeFor(database, options = {}) {
  return new Sequelize({ dialect: 'postgres', ...pg().sequelizeOptions(database), logging: false, ...options });
}

function stop() {
  if (cluster) cluster.stop();
  cluster = null;
}

/** The guide's models, in the `module.exports = function (sequelize, DataTypes)` style. */
const TENANT_MODEL = `'use strict';
module.exports = function (sequelize, DataTypes) {
  const Tenant = sequelize.define('Tenant', {
    name: { type: DataTypes.STRING, allowNull: false },
  });
  Tenant.associate = function (models) {
    Tenant.hasMany(models.User, { foreignKey: 'tenantId', as: 'Users' });
  };
  return Tenant;
};
`;

function userModel(using) {
  return `'use strict';
const { definePolicies, declareRoles } = require(${JSON.stringify(path.join(packageDir, 'sequelize'))});
module.exports = function (sequelize, DataTypes) {
  const User = sequelize.define('User', {
    name: { type: DataTypes.STRING, allowNull: false },
  });
  User.associate = function (models) {
    User.belongsTo(models.Tenant, { foreignKey: 'tenantId', as: 'tenant' });
  };
  declareRoles(sequelize, ['app_user']);
  definePolicies(User, {
    policies: [{ name: 'tenant_isolation', using: ${JSON.stringify(using)} }],
    grants: [{ role: 'app_user', privileges: ['SELECT'] }],
  });
  return User;
};
`;
}

/** The table migration the guide's tables come from (as sequelize-cli model:generate writes it). */
const TABLES_MIGRATION = `'use strict';
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('Tenants', {
      id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },
      name: { type: Sequelize.STRING, allowNull: false },
      createdAt: { allowNull: false, type: Sequelize.DATE },
      updatedAt: { allowNull: false, type: Sequelize.DATE },
    });
    await queryInterface.createTable('Users', {
      id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },
      name: { type: Sequelize.STRING, allowNull: false },
      tenantId: { type: Sequelize.INTEGER, references: { model: 'Tenants', key: 'id' }, onUpdate: 'CASCADE', onDelete: 'CASCADE' },
      createdAt: { allowNull: false, type: Sequelize.DATE },
      updatedAt: { allowNull: false, type: Sequelize.DATE },
    });
  },
  async down(queryInterface) {
    await queryInterface.dropTable('Users');
    await queryInterface.dropTable('Tenants');
  },
};
`;

const GUIDE_USING = `"tenantId" = current_setting('app.current_tenant')::integer`;

/**
 * A sequelize-cli project in a temporary directory: .sequelizerc, config/config.json for
 * `database`, models/ (the guide's), migrations/ (the table migration). node_modules links
 * to this package's, so sequelize-cli and the models find sequelize.
 */
function project(database, { using = GUIDE_USING } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-project-'));
  fs.symlinkSync(path.join(packageDir, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(
    path.join(dir, '.sequelizerc'),
    `const path = require('path');
module.exports = {
  config: path.resolve('config', 'config.json'),
  'models-path': path.resolve('models'),
  'migrations-path': path.resolve('migrations'),
};
`
  );
  fs.mkdirSync(path.join(dir, 'config'));
  const c = pg();
  const config = { dialect: 'postgres', host: c.socketDir, port: c.port, username: 'postgres', database, logging: false };
  fs.writeFileSync(path.join(dir, 'config', 'config.json'), JSON.stringify({ development: config, test: config }, null, 2));
  fs.mkdirSync(path.join(dir, 'models'));
  fs.writeFileSync(path.join(dir, 'models', 'tenant.js'), TENANT_MODEL);
  fs.writeFileSync(path.join(dir, 'models', 'user.js'), userModel(using));
  fs.mkdirSync(path.join(dir, 'migrations'));
  fs.writeFileSync(path.join(dir, 'migrations', '20000101000000-create-tables.js'), TABLES_MIGRATION);
  return {
    dir,
    migrations: path.join(dir, 'migrations'),
    setUsing(u) {
      fs.writeFileSync(path.join(dir, 'models', 'user.js'), userModel(u));
    },
    /** Loads the models into a new Sequelize instance, as models/index.js would. */
    load() {
      const sequelize = sequelizeFor(database);
      const models = {};
      for (const f of ['tenant.js', 'user.js']) {
        const file = path.join(dir, 'models', f);
        delete require.cache[require.resolve(file)];
        const m = require(file)(sequelize, DataTypes);
        models[m.name] = m;
      }
      for (const m of Object.values(models)) m.associate(models);
      return { sequelize, ...models };
    },
    cli(...args) {
      return run(process.execPath, [require.resolve('sequelize-cli/lib/sequelize'), ...args], dir);
    },
    pgpolicy(...args) {
      return run(process.execPath, [path.join(packageDir, 'bin', 'pgpolicy.js'), ...args], dir);
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'development' } });
  if (r.status !== 0) {
    throw new Error(`${path.basename(args[0])} ${args.slice(1).join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

module.exports = { pg, freshDatabase, sequelizeFor, stop, project, GUIDE_USING, packageDir };
