#!/usr/bin/env node
// `npx pgpolicy generate --name <name>`: writes a sequelize-cli migration for the RLS
// declared beside the models, finding config, models and migrations as sequelize-cli does
// (`.sequelizerc`, then config/config.json, models/, migrations/; env from --env or NODE_ENV).
// Every other command (`plan --from A --to B`, `inspect`, `apply`, `--version`, `help`) runs
// the Rust `pgpolicy` CLI, the same executable as `cargo install` and the Python package's.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { pathToFileURL } = require('url');

const USAGE = `usage: pgpolicy <command> [options]

Sequelize commands (read the project's models and config):
  generate --name <name>   write a migration for the RLS declared beside the models
                           (nothing is written when the database already matches)
  plan                     print the SQL that would bring the database to the models
  check                    exit 1 when the database differs from the models

options:
  --env <env>              config environment (default NODE_ENV or development)
  --config <file>          config file (default from .sequelizerc or config/config.json)
  --models-path <dir>      models directory (default from .sequelizerc or models/)
  --migrations-path <dir>  migrations directory (default from .sequelizerc or migrations/)
  --url <url>              connect to this postgres URL instead of the config's database

Core commands (the Rust pgpolicy CLI; \`pgpolicy help <command>\` for their options):
  plan --from SRC --to SRC print the DDL from one source to another (URL, .json, .sql, empty)
  inspect URL              print a database's RLS as JSON or SQL
  apply --url URL --to SRC apply the plan to a database
  --version                the version
`;

const SEQUELIZE_COMMANDS = ['generate', 'plan', 'check'];

/** `plan` with --from/--to is the core CLI's; without, the Sequelize command. */
function isSequelizeCommand(argv) {
  const command = parseArgs(argv)._[0];
  if (!SEQUELIZE_COMMANDS.includes(command)) return false;
  if (command === 'plan' && argv.some((a) => /^--(from|to)(=|$)/.test(a))) return false;
  return true;
}

/** Runs the Rust CLI with these arguments; resolves to its exit status. */
function runCoreCli(argv) {
  let exe;
  try {
    exe = require('../native.js').cliPath();
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  const r = spawnSync(exe, argv, { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`pgpolicy: could not run ${exe}: ${r.error.message}\n`);
    return 1;
  }
  if (r.signal) process.kill(process.pid, r.signal);
  return r.status;
}

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) args[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[a.slice(2)] = argv[++i];
      else args[a.slice(2)] = true;
    } else {
      args._.push(a);
    }
  }
  return args;
}

async function importModule(file) {
  try {
    return require(file);
  } catch (e) {
    if (e.code !== 'ERR_REQUIRE_ESM') throw e;
    const m = await import(pathToFileURL(file).href);
    return m.default || m;
  }
}

async function projectPaths(args) {
  const cwd = process.cwd();
  const rcFile = path.join(cwd, '.sequelizerc');
  const rc = fs.existsSync(rcFile) ? await importModule(rcFile) : {};
  return {
    config: path.resolve(cwd, args.config || rc.config || path.join('config', 'config.json')),
    models: path.resolve(cwd, args['models-path'] || rc['models-path'] || 'models'),
    migrations: path.resolve(cwd, args['migrations-path'] || rc['migrations-path'] || 'migrations'),
  };
}

function requireSequelize() {
  let resolved;
  try {
    resolved = require.resolve('sequelize', { paths: [process.cwd(), __dirname] });
  } catch (_) {
    throw new Error(
      'the Sequelize commands (generate, plan, check) need sequelize in this project (npm install sequelize pg); ' +
        'without Sequelize, `pgpolicy plan --from SRC --to SRC` is the core CLI (pgpolicy help plan)'
    );
  }
  return require(resolved);
}

async function loadSequelize(paths, env) {
  const index = path.join(paths.models, 'index.js');
  if (fs.existsSync(index)) {
    // The sequelize-cli `models/index.js` builds the instance and loads every model.
    const db = await importModule(index);
    if (db && db.sequelize) return db.sequelize;
  }
  const { Sequelize, DataTypes } = requireSequelize();
  const all = await importModule(paths.config);
  const config = all[env];
  if (!config) throw new Error(`no "${env}" environment in ${paths.config}`);
  const options = { logging: false, ...config };
  const sequelize = config.use_env_variable
    ? new Sequelize(process.env[config.use_env_variable], options)
    : new Sequelize(config.database, config.username, config.password, options);
  const models = {};
  for (const f of fs.readdirSync(paths.models).sort()) {
    if (!f.endsWith('.js') || f.startsWith('.') || f.endsWith('.test.js')) continue;
    const define = await importModule(path.join(paths.models, f));
    if (typeof define !== 'function') continue;
    const model = define(sequelize, DataTypes);
    if (model && model.name) models[model.name] = model;
  }
  for (const m of Object.values(models)) if (typeof m.associate === 'function') m.associate(models);
  return sequelize;
}

async function main(argv) {
  if (argv.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!isSequelizeCommand(argv)) return runCoreCli(argv);
  const args = parseArgs(argv);
  const command = args._[0];
  if (args.help || args.h) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = args.env || process.env.NODE_ENV || 'development';
  const paths = await projectPaths(args);
  const sequelize = await loadSequelize(paths, env);
  const rls = require('../sequelize');
  try {
    const url = typeof args.url === 'string' ? args.url : undefined;
    if (command === 'generate') {
      const file = await rls.generateMigration({
        sequelize,
        migrationsPath: paths.migrations,
        name: typeof args.name === 'string' ? args.name : 'rls',
        url,
      });
      if (file) console.log(`New migration was created at ${file}`);
      else console.log('No changes: the database matches the models.');
      return 0;
    }
    const plan = await rls.planFromSequelize(sequelize, { url });
    if (command === 'plan') {
      process.stdout.write(plan.sql || '-- no changes\n');
      return 0;
    }
    if (plan.steps.length > 0) {
      for (const s of plan.steps) console.log(s.comment);
      return 1;
    }
    return 0;
  } finally {
    await sequelize.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`pgpolicy: ${e.message}\n`);
    if (e.code && e.code !== 'PGPOLICY') process.stderr.write(`code: ${e.code}\n`);
    process.exit(1);
  }
);
