// pgpolicy for Sequelize: RLS declared beside the models, sequelize-cli migrations,
// sync() that applies RLS, and a transaction-local RLS context.
//
// Sequelize itself is never required here: everything comes from the instance the
// application passes in, so the application's copy of Sequelize is the one used.
'use strict';
const fs = require('fs');
const path = require('path');
const { AsyncLocalStorage } = require('async_hooks');
const pgpolicy = require('..');
const { PgPolicyError } = pgpolicy;

/** Roles and grants declared per Sequelize instance. */
const declarations = new WeakMap();
/** Instances whose sync hooks are installed. */
const hooked = new WeakSet();
/** The innermost RLS context of the running async call chain. */
const contextStore = new AsyncLocalStorage();
let warnedDialect = false;

function isPostgres(sequelize) {
  if (sequelize.getDialect() === 'postgres') return true;
  if (!warnedDialect) {
    warnedDialect = true;
    process.emitWarning(
      `pgpolicy: row-level security is PostgreSQL only; skipped for dialect ${sequelize.getDialect()}`,
      { code: 'PGPOLICY_DIALECT' }
    );
  }
  return false;
}

function declarationsOf(sequelize) {
  let d = declarations.get(sequelize);
  if (!d) {
    d = { roles: null, grants: [], defaultPrivileges: [], functions: [] };
    declarations.set(sequelize, d);
  }
  return d;
}

// ---------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------

/** Reads `rls` as declared: `true`, `false`, or `{ enabled, force, policies, grants, lintAllow }`. */
function normalizeSpec(spec) {
  if (spec === undefined || spec === null) return null;
  if (spec === true) return { enabled: true, force: null, policies: [], grants: [], lintAllow: [] };
  if (spec === false) return { enabled: false, force: null, policies: [], grants: [], lintAllow: [] };
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError('rls must be true, false or { enabled, force, policies, grants }');
  }
  const force = spec.force ?? spec.forced;
  return {
    // Declaring RLS (or a policy) implies RLS enabled unless `enabled: false` says otherwise.
    enabled: spec.enabled === undefined ? true : !!spec.enabled,
    // FORCE only when declared: otherwise left as the database has it (never turned off
    // implicitly).
    force: force === undefined || force === null ? null : !!force,
    policies: spec.policies ? [...spec.policies] : [],
    grants: spec.grants ? [...spec.grants] : [],
    // the table's inline lint opt-out (rule ids, or 'all'); checked by the core
    lintAllow: spec.lintAllow ? [...spec.lintAllow] : [],
  };
}

/**
 * Declares the RLS of a model defined without `rls` in its options (for models written
 * as `module.exports = function (sequelize, DataTypes) { ... }`). Returns the model.
 */
function definePolicies(Model, spec) {
  if (!Model || !Model.options || !Model.sequelize) {
    throw new TypeError('definePolicies expects a Sequelize model class');
  }
  Model.options.rls = spec;
  installHooks(Model.sequelize);
  return Model;
}

/**
 * Declares the roles pgpolicy manages for this Sequelize instance (names or `{ name,
 * login, inherit, bypassrls, memberOf }`). Once declared, every role a policy or grant
 * names must be among them.
 */
function declareRoles(sequelize, roles) {
  const d = declarationsOf(sequelize);
  const byName = new Map((d.roles || []).map((r) => [r.name, r]));
  for (const r of roles) {
    const role = typeof r === 'string' ? { name: r } : { ...r };
    byName.set(role.name, role); // declaring a role again replaces it
  }
  d.roles = [...byName.values()];
  installHooks(sequelize);
}

/**
 * Declares grants: `[{ table: Model | 'Users', schema?, role, privileges, columns?,
 * grantOption?, sequences? }]` on tables (or their columns), or on another object named by
 * `sequence`, `function` (with `args`, its argument types) or only `schema`. Grants are
 * managed for the grantees named here, on their objects.
 */
function declareGrants(sequelize, grants) {
  const d = declarationsOf(sequelize);
  for (const g of grants) {
    if (g.table !== undefined) {
      const { table, schema } = tableRef(g.table, g.schema);
      d.grants.push(grantJson(g, { schema, table }));
    } else {
      const target = { schema: g.schema };
      if (g.sequence !== undefined) target.sequence = g.sequence;
      if (g.function !== undefined) target.function = g.function;
      d.grants.push(grantJson(g, target));
    }
  }
  installHooks(sequelize);
}

/**
 * Declares default privileges: `[{ on: 'tables' | 'sequences' | 'functions' | 'schemas',
 * role, privileges, schema?, forRole?, grantOption? }]`, what objects created later get
 * (`ALTER DEFAULT PRIVILEGES`). An empty `privileges` declares that the role gets nothing.
 */
function declareDefaultPrivileges(sequelize, entries) {
  const d = declarationsOf(sequelize);
  for (const e of entries) {
    const out = { on: e.on, role: e.role, privileges: [...e.privileges] };
    if (e.schema !== undefined) out.schema = e.schema;
    if (e.forRole !== undefined) out.for_role = e.forRole;
    if (e.grantOption) out.grant_option = true;
    d.defaultPrivileges.push(out);
  }
  installHooks(sequelize);
}

/**
 * Declares functions policies call: `[{ name, schema?, arguments?, returns, body, language?,
 * volatility?, securityDefiner?, strict?, searchPath? }]`. They are created before the
 * policies calling them, replaced (`CREATE OR REPLACE`) when their definition changes and
 * dropped after them.
 */
function declareFunctions(sequelize, functions) {
  const d = declarationsOf(sequelize);
  for (const f of functions) {
    const out = { name: f.name, returns: f.returns, body: f.body };
    if (f.schema !== undefined) out.schema = f.schema;
    if (f.arguments !== undefined) out.arguments = f.arguments;
    if (f.language !== undefined) out.language = f.language;
    if (f.volatility !== undefined) out.volatility = f.volatility;
    if (f.securityDefiner) out.security_definer = true;
    if (f.strict) out.strict = true;
    if (f.searchPath !== undefined) out.search_path = [...f.searchPath];
    d.functions.push(out);
  }
  installHooks(sequelize);
}

/** A declared grant in the core's JSON form (the core checks it). */
function grantJson(g, target) {
  const out = { ...target, role: g.role, privileges: [...g.privileges] };
  if (g.args !== undefined) out.args = [...g.args];
  if (g.columns !== undefined) out.columns = [...g.columns];
  if (g.grantOption) out.grant_option = true;
  if (g.sequences === false) out.sequences = false;
  return out;
}

function tableRef(table, schema) {
  if (typeof table === 'function' && table.options) {
    return { table: table.tableName, schema: modelSchema(table) };
  }
  return { table: String(table), schema: schema || 'public' };
}

function modelSchema(Model) {
  return Model._schema || Model.options.schema || 'public';
}

function modelsOf(sequelize) {
  return sequelize.modelManager.models;
}

function rlsSpecOf(Model) {
  return normalizeSpec(Model.options.rls);
}

/** The column types Sequelize gives the table, as the postgres query generator writes them. */
function columnsOf(Model) {
  const qg = Model.sequelize.getQueryInterface().queryGenerator;
  const attributes = Model.getAttributes ? Model.getAttributes() : Model.rawAttributes;
  const columns = [];
  for (const [key, attr] of Object.entries(attributes)) {
    if (!attr.type || attr.type.key === 'VIRTUAL') continue;
    const name = attr.field || key;
    let type;
    try {
      type = qg.attributeToSQL({ type: attr.type, values: attr.values });
    } catch (_) {
      type = String(attr.type);
    }
    if (/^ENUM\(/.test(type)) {
      // Sequelize creates enum types named enum_<table>_<column>.
      type = `"enum_${Model.tableName}_${name}"${type.endsWith('[]') ? '[]' : ''}`;
    }
    columns.push({ name, type, nullable: attr.allowNull !== false && !attr.primaryKey });
  }
  return columns;
}

function tableOf(Model, spec) {
  return {
    schema: modelSchema(Model),
    name: Model.tableName,
    columns: columnsOf(Model),
    rls: { enabled: spec.enabled, forced: spec.force },
    policies: spec.policies.map((p) => ({ ...p })),
    ...(spec.lintAllow.length ? { lint_allow: spec.lintAllow } : {}),
  };
}

/**
 * The pgpolicy schema declared by a Sequelize instance: every model with an `rls`
 * declaration (table names as Sequelize creates them), plus declared roles and grants.
 * Models without `rls` are not managed.
 */
function schemaFromSequelize(sequelize, options = {}) {
  const models = options.models || modelsOf(sequelize);
  const tables = [];
  const grants = [];
  for (const Model of models) {
    const spec = rlsSpecOf(Model);
    if (!spec) continue;
    tables.push(tableOf(Model, spec));
    for (const g of spec.grants) {
      grants.push(grantJson(g, { schema: modelSchema(Model), table: Model.tableName }));
    }
  }
  const d = declarationsOf(sequelize);
  const names = new Set(tables.map((t) => `${t.schema}.${t.name}`));
  for (const g of d.grants) {
    // With a subset of models, keep only the grants on those tables.
    if (!options.models || g.table === undefined || names.has(`${g.schema}.${g.table}`)) grants.push(g);
  }
  const schema = { tables, grants };
  if (d.roles) schema.roles = d.roles;
  if (d.defaultPrivileges.length) schema.default_privileges = [...d.defaultPrivileges];
  if (d.functions.length) schema.functions = [...d.functions];
  // The models know their columns: a column no table has (a typo, an unquoted camelCase
  // name) is an error now, not at db:migrate.
  pgpolicy.checkColumns(schema);
  return schema;
}

// ---------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------

function enc(s) {
  return encodeURIComponent(s).replace(/%2F/gi, '/');
}

/**
 * The libpq sslmode matching Sequelize's `ssl` / `dialectOptions.ssl` (as node-postgres
 * reads them): off → prefer, `rejectUnauthorized: false` → require (encrypted, not
 * verified), anything else → verify-full.
 */
function sslMode(sequelize) {
  const opts = sequelize.options || {};
  const ssl = (opts.dialectOptions && opts.dialectOptions.ssl) ?? opts.ssl ?? sequelize.config.ssl;
  if (!ssl) return 'prefer';
  if (typeof ssl === 'object' && ssl.rejectUnauthorized === false) return 'require';
  return 'verify-full';
}

/** A libpq URL for the database a Sequelize instance connects to. */
function connectionUrl(sequelize) {
  const c = sequelize.config;
  const user = c.username ? enc(c.username) + (c.password ? ':' + enc(c.password) : '') + '@' : '';
  const host = c.host || 'localhost';
  const port = c.port || 5432;
  if (host.startsWith('/')) {
    return `postgresql://${user}/${enc(c.database)}?host=${enc(host)}&port=${port}`;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `postgresql://${user}${hostPart}:${port}/${enc(c.database)}?sslmode=${sslMode(sequelize)}`;
}

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

function formatStamp(d) {
  return (
    d.getUTCFullYear() +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds())
  );
}

function parseStamp(s) {
  return new Date(
    Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14))
  );
}

/** YYYYMMDDHHmmss (UTC, as sequelize-cli), later than every migration already there. */
function nextStamp(dir) {
  let stamp = formatStamp(new Date());
  const existing = fs
    .readdirSync(dir)
    .map((f) => /^(\d{14})-/.exec(f))
    .filter(Boolean)
    .map((m) => m[1])
    .sort();
  const last = existing[existing.length - 1];
  if (last && last >= stamp) stamp = formatStamp(new Date(parseStamp(last).getTime() + 1000));
  return stamp;
}

function slug(name) {
  return String(name || 'rls').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'rls';
}

/** `// ` comment lines; every line terminator JavaScript knows starts a new one. */
function commentLines(text, indent) {
  return String(text)
    .split(/\r\n|[\n\r\u2028\u2029]/)
    .map((l) => `${indent}// ${l}`)
    .join('\n');
}

function queryLine(stmt, indent) {
  return `${indent}await queryInterface.sequelize.query(${JSON.stringify(stmt)}, { transaction });`;
}

function renderSteps(preamble, steps, indent) {
  const out = [commentLines('Session settings first, each its own statement (pgpolicy): the statements below are read as they were compared.', indent)];
  for (const stmt of preamble) out.push(queryLine(stmt, indent));
  for (const s of steps) {
    out.push(commentLines(s.description, indent));
    if (s.weakens) out.push(commentLines(`WEAKENS: ${s.weakens}`, indent));
    for (const stmt of s.sql) out.push(queryLine(stmt, indent));
  }
  return out.join('\n');
}

/**
 * The text of a sequelize-cli migration running the plan (up) and its reverse (down),
 * each in one transaction that starts with the plan's preamble (the core's session pins),
 * with a `// WEAKENS:` line above each change that weakens protection. `notes`: comment
 * blocks (the core's impact reports, already behind `// `) written above the migration.
 */
function renderMigration(plan, { notes = [] } = {}) {
  const { preamble, steps: up, reverseSteps: down } = plan;
  const ind = '      ';
  const head = notes.map((n) => `\n${n.trimEnd()}\n`).join('');
  return `'use strict';

// Row-level security, generated by pgpolicy. The statements of each direction run in one
// transaction; down undoes up in reverse order.
${head}
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.sequelize.transaction(async (transaction) => {
${renderSteps(preamble, up, ind)}
    });
  },

  async down(queryInterface, Sequelize) {
    await queryInterface.sequelize.transaction(async (transaction) => {
${renderSteps(preamble, down, ind)}
    });
  },
};
`;
}

/**
 * Introspects the database, diffs it with the models' declarations (expressions compared
 * by PostgreSQL where the offline canonicalizer cannot decide) and writes
 * `YYYYMMDDHHmmss-<name>.js` in `migrationsPath`. Returns its path, or null (writing
 * nothing) when the database already matches.
 */
async function generateMigration(options) {
  const {
    sequelize,
    migrationsPath,
    name = 'rls',
    url,
    schemas,
    models,
    lockTimeout,
    statementTimeout,
    connectTimeout,
    lint,
    impact,
  } = options || {};
  if (!sequelize) throw new TypeError('generateMigration: `sequelize` is required');
  if (!migrationsPath) throw new TypeError('generateMigration: `migrationsPath` is required');
  if (!isPostgres(sequelize)) return null;
  const desired = schemaFromSequelize(sequelize, { models });
  if (lint) await lintAtGeneration(desired, url || connectionUrl(sequelize), lint === true ? {} : lint, schemas);
  const plan = await pgpolicy.apply(url || connectionUrl(sequelize), desired, {
    dryRun: true,
    schemas,
    lockTimeout,
    statementTimeout,
    connectTimeout,
  });
  if (plan.steps.length === 0) return null;
  const notes = [];
  for (const spec of impact == null ? [] : Array.isArray(impact) ? impact : [impact]) {
    const report = await pgpolicy.impact(url || connectionUrl(sequelize), desired, {
      ...spec,
      schemas,
      lockTimeout,
      statementTimeout,
      connectTimeout,
    });
    notes.push(report.comment);
  }
  fs.mkdirSync(migrationsPath, { recursive: true });
  const file = path.join(path.resolve(migrationsPath), `${nextStamp(migrationsPath)}-${slug(name)}.js`);
  fs.writeFileSync(file, renderMigration(plan, { notes }));
  return file;
}

/**
 * `generateMigration({ lint })`: the core's lint findings for the models checked against
 * the database (docs/lints.md), each printed with `console.warn` (or `lint.log`); with
 * `lint.failOn` (`'info'`, `'warning'` or `'error'`) a finding at that level throws
 * `LintFailedError` and no migration is written. `lint.config`: a pgpolicy.toml path or
 * its `[lint]` section as an object (default ./pgpolicy.toml when present).
 */
async function lintAtGeneration(desired, url, options, schemas) {
  let config = options.config;
  if (config === undefined && fs.existsSync('pgpolicy.toml')) config = 'pgpolicy.toml';
  const report = await pgpolicy.lint(desired, { db: url, config, schemas });
  const log = options.log || ((line) => console.warn(line));
  for (const f of report.findings) log(`pgpolicy lint: ${f.severity} ${f.rule}: ${f.message}`);
  const order = { info: 0, warning: 1, error: 2 };
  if (options.failOn !== undefined && !(options.failOn in order)) {
    throw new TypeError(`generateMigration: lint.failOn must be 'info', 'warning' or 'error', not ${options.failOn}`);
  }
  if (options.failOn && report.findings.some((f) => order[f.severity] >= order[options.failOn])) {
    throw new LintFailedError(`pgpolicy lint: findings at or above ${options.failOn}:\n${report.text}`, report);
  }
}

/** `generateMigration({ lint: { failOn } })` found what it was told to fail on. */
class LintFailedError extends Error {
  constructor(message, report) {
    super(message);
    this.name = 'LintFailedError';
    /** The lint report (`findings`, `skipped`, `text`, `sarif`). */
    this.report = report;
  }
}

/** The options of `apply` that pass through (time limits, retries, allowWeaken). */
function applyOptions(options) {
  const out = {};
  for (const k of ['schemas', 'allowWeaken', 'lockTimeout', 'statementTimeout', 'connectTimeout', 'retries']) {
    if (options[k] !== undefined) out[k] = options[k];
  }
  return out;
}

/** The plan that would bring the database to the models' declarations (nothing applied). */
async function planFromSequelize(sequelize, options = {}) {
  const desired = schemaFromSequelize(sequelize, options);
  return pgpolicy.apply(options.url || connectionUrl(sequelize), desired, { ...applyOptions(options), dryRun: true });
}

/**
 * Applies the models' declarations to the database now, in one transaction on a
 * connection of pgpolicy's own (pinned first; a weakening plan is refused unless
 * `allowWeaken`; `lockTimeout`, `statementTimeout`, `retries` as for `apply`).
 */
async function applyToDatabase(sequelize, options = {}) {
  if (!isPostgres(sequelize)) return null;
  const desired = schemaFromSequelize(sequelize, options);
  return pgpolicy.apply(options.url || connectionUrl(sequelize), desired, applyOptions(options));
}

// ---------------------------------------------------------------------------
// sync()
// ---------------------------------------------------------------------------

const BULK = Symbol('pgpolicy.bulkSync');

/** `sync({ pgpolicy: { allowWeaken, lockTimeout, statementTimeout, retries } })`. */
function syncOptions(options) {
  const o = options && options.pgpolicy;
  return o && typeof o === 'object' ? applyOptions(o) : {};
}

/**
 * Makes `sequelize.sync()` (and `Model.sync()`) also apply the RLS flags, policies,
 * roles and grants of the synced models. Installed by every function of this module that
 * sees the instance; call it yourself when models declare `rls` in define/init options only.
 */
function installHooks(sequelize) {
  if (hooked.has(sequelize)) return;
  hooked.add(sequelize);
  wrapSyncAlter(sequelize);
  scopeQueries(sequelize);
  sequelize.addHook('beforeBulkSync', 'pgpolicy', (options) => {
    options[BULK] = true;
  });
  sequelize.addHook('afterBulkSync', 'pgpolicy', async (options) => {
    if (options && options[IN_ALTER]) return;
    if (!isPostgres(sequelize)) return;
    if (!modelsOf(sequelize).some((m) => rlsSpecOf(m))) return;
    await applyToDatabase(sequelize, syncOptions(options));
  });
  // Global model hook, called with the model as `this` after each Model.sync(); bulk
  // syncs apply once, above.
  sequelize.addHook('afterSync', 'pgpolicy', async function afterSync(options) {
    if (options && (options[BULK] || options[IN_ALTER])) return;
    const Model = this;
    if (!Model || !Model.options || !rlsSpecOf(Model) || !isPostgres(sequelize)) return;
    await applyToDatabase(sequelize, { ...syncOptions(options), models: [Model] });
  });
}

const IN_ALTER = Symbol('pgpolicy.syncAlter');

/**
 * `sequelize.sync({ alter: true })` with policies: Sequelize re-issues `ALTER COLUMN ...
 * TYPE` for every column of every model, which PostgreSQL refuses for a column a policy
 * reads. The policies that depend on a column of the models' tables (the core reads
 * PostgreSQL's dependency records: `columnPolicies`) are dropped before the sync and
 * re-created after it exactly as the database had them, all in one transaction with the
 * sync's statements (a failure leaves every policy in place). The declared RLS is applied
 * after the commit, as for any sync. `Model.sync({ alter: true })` likewise, for the
 * policies on that model's columns (models defined later are wrapped by `afterDefine`).
 */
function wrapSyncAlter(sequelize) {
  const original = sequelize.sync;
  sequelize.sync = async function sync(options = {}) {
    if (!needsHold(sequelize, options)) return original.call(this, options);
    const models = modelsOf(sequelize);
    const held = await holdPolicies(sequelize, models, options, (o) => original.call(this, o));
    if (held && options.hooks !== false && models.some((m) => rlsSpecOf(m))) {
      await applyToDatabase(sequelize, syncOptions(options));
    }
    return sequelize;
  };
  for (const Model of modelsOf(sequelize)) wrapModelSyncAlter(Model);
  sequelize.addHook('afterDefine', 'pgpolicySyncAlter', (Model) => wrapModelSyncAlter(Model));
}

/** `Model.sync({ alter: true })` of one model, as `sequelize.sync({ alter: true })` does it. */
function wrapModelSyncAlter(Model) {
  if (Object.prototype.hasOwnProperty.call(Model, SYNC_WRAPPED)) return;
  Model[SYNC_WRAPPED] = true;
  const original = Model.sync;
  Model.sync = async function sync(options = {}) {
    const sequelize = this.sequelize;
    if (!needsHold(sequelize, options)) return original.call(this, options);
    const held = await holdPolicies(sequelize, [this], options, (o) => original.call(this, o));
    if (held && options.hooks !== false && rlsSpecOf(this)) {
      await applyToDatabase(sequelize, { ...syncOptions(options), models: [this] });
    }
    return this;
  };
}

const SYNC_WRAPPED = Symbol('pgpolicy.syncAlterWrapped');
/** Set on the options of a sync that already knows no policy needs holding. */
const NOTHING_HELD = Symbol('pgpolicy.nothingHeld');

function needsHold(sequelize, options) {
  return !!(options && options.alter && !options.transaction && !options[NOTHING_HELD] && isPostgres(sequelize));
}

/**
 * Runs `sync(options)` between dropping the policies that depend on a column of `models`'
 * tables and re-creating them as the database had them, in one transaction. Returns
 * whether policies were held (the sync's own RLS apply is then left to the caller, after
 * the commit); without any, runs the sync as it is.
 */
async function holdPolicies(sequelize, models, options, sync) {
  const tables = models.map((m) => ({ schema: modelSchema(m), name: m.tableName }));
  const held = await pgpolicy.columnPolicies(connectionUrl(sequelize), tables, syncOptions(options));
  if (held.steps.length === 0) {
    await sync({ ...options, [NOTHING_HELD]: true });
    return false;
  }
  await sequelize.transaction(async (transaction) => {
    for (const stmt of held.statements) await sequelize.query(stmt, { transaction });
    await sync({ ...options, transaction, [IN_ALTER]: true });
    // The policies come back as the database printed them: under the core's pins.
    for (const stmt of held.preamble) await sequelize.query(stmt, { transaction });
    for (const stmt of held.reverseStatements) await sequelize.query(stmt, { transaction });
  });
  return true;
}

/**
 * Registers the sync hooks on a Sequelize class (`require('sequelize').Sequelize`) for
 * every instance created afterwards, so that `rls` in define/init options is enough.
 */
function register(SequelizeClass) {
  if (registered.has(SequelizeClass)) return;
  registered.add(SequelizeClass);
  SequelizeClass.addHook('afterInit', 'pgpolicy', (sequelize) => installHooks(sequelize));
}
const registered = new WeakSet();

// Best effort: the application's Sequelize (resolved from the working directory and the
// main module) gets the hooks without a call to register().
for (const base of [process.cwd(), require.main && path.dirname(require.main.filename)]) {
  if (!base) continue;
  try {
    const resolved = require.resolve('sequelize', { paths: [base] });
    if (require.cache[resolved] || fs.existsSync(resolved)) register(require(resolved).Sequelize);
  } catch (_) {
    // No Sequelize reachable from there.
  }
}

// ---------------------------------------------------------------------------
// withRlsContext
// ---------------------------------------------------------------------------

const GUARDED = Symbol('pgpolicy.rlsContextGuard');

/**
 * A CLS namespace for Sequelize (`Sequelize.useCLS`) on Node's AsyncLocalStorage: what
 * Sequelize calls (`get`, `set`, `run`, `bind`, `active`) with cls-hooked's meaning. Each
 * `run` starts a context that inherits the current one's values.
 */
function asyncLocalNamespace() {
  const als = new AsyncLocalStorage();
  return {
    pgpolicy: true,
    get active() {
      return als.getStore() || null;
    },
    get(key) {
      const store = als.getStore();
      return store ? store.get(key) : undefined;
    },
    set(key, value) {
      const store = als.getStore();
      if (!store) throw new Error('pgpolicy CLS: set() outside a context');
      store.set(key, value);
      return value;
    },
    run(fn) {
      const context = new Map(als.getStore() || []);
      als.run(context, () => fn(context));
      return context;
    },
    runAndReturn(fn) {
      const context = new Map(als.getStore() || []);
      return als.run(context, () => fn(context));
    },
    bind(fn, context) {
      const ctx = context || als.getStore() || new Map();
      return (...args) => als.run(ctx, () => fn(...args));
    },
  };
}

/**
 * Makes sure queries inside `withRlsContext` find its transaction without being given it:
 * Sequelize's CLS, on AsyncLocalStorage unless the application set up its own namespace
 * (`Sequelize.useCLS`). Then every query of the callback that is not given a transaction
 * runs in the context's. And a guard: a query of the callback that would run on another
 * connection (an explicit `transaction: null`, another transaction) throws instead of
 * running as the login role.
 */
function bindQueries(sequelize) {
  const Ctor = sequelize.constructor;
  if (!Ctor._cls && typeof Ctor.useCLS === 'function') {
    Ctor.useCLS(asyncLocalNamespace());
  }
  if (sequelize[GUARDED]) return;
  sequelize[GUARDED] = true;
  sequelize.addHook('beforeQuery', 'pgpolicyRlsContext', (options) => {
    const store = contextStore.getStore();
    if (!store || store.sequelize !== sequelize || store.transaction.finished) return;
    const t = options && options.transaction;
    if (t && t.connection === store.transaction.connection) return;
    throw new PgPolicyError(
      'withRlsContext: a query inside the callback would run outside its transaction, on another ' +
        'connection, without the role and settings (as the login role). Run it in the transaction ' +
        '(leave `transaction` out, or pass the callback\'s `t`), or outside withRlsContext.'
    );
  });
}

/** Runs the core's context statements in order, parameters bound. */
async function runStatements(sequelize, t, statements) {
  for (const { sql, params } of statements) {
    // Only a statement with parameters is given `bind`: the others may carry a quoted
    // role name, in which Sequelize must not look for `$n`.
    await sequelize.query(sql, params.length ? { transaction: t, bind: params, raw: true } : { transaction: t, raw: true });
  }
}

/** The snapshot row (role as SET ROLE left it, then each setting), as text or null. */
async function snapshot(sequelize, t, statement) {
  const [rows] = await sequelize.query(statement.sql, { transaction: t, bind: statement.params, raw: true });
  return Object.values(rows[0]).map((v) => (v === null || v === undefined ? null : String(v)));
}

/**
 * Runs `fn(t)` in a transaction `t` where `SET LOCAL ROLE role` and
 * `set_config(name, value, true)` (values bound) hold; both end with the transaction, so
 * nothing stays on the pooled connection. Nested calls run in a savepoint of the outer
 * transaction, override its role and settings, and restore them when they return.
 *
 * Fails closed: every query of `fn` runs in `t` without being given it (Sequelize's CLS,
 * set up by pgpolicy on AsyncLocalStorage unless the application has its own namespace),
 * and a query of `fn` that would run on another connection (`transaction: null`, another
 * transaction) throws instead of running as the login role. One call, no transaction to
 * pass: `withRlsContext(sequelize, ctx, () => Model.findAll())`.
 */
async function withRlsContext(sequelize, context, fn) {
  if (typeof context === 'function') {
    fn = context;
    context = {};
  }
  const { role, settings = {}, transaction } = context || {};
  const outer = contextStore.getStore();
  const cls = sequelize.constructor._cls;
  const parent =
    transaction ||
    (outer && outer.sequelize === sequelize ? outer.transaction : null) ||
    (cls && cls.get('transaction')) ||
    null;
  const options = parent ? { transaction: parent } : {};
  const statements = pgpolicy.contextStatements({ role, settings });
  bindQueries(sequelize);
  return sequelize.transaction(options, async (t) => {
    const before = parent ? await snapshot(sequelize, t, statements.snapshot) : null;
    await runStatements(sequelize, t, statements.enter);
    const result = await contextStore.run({ sequelize, transaction: t }, () => fn(t));
    if (before) {
      // RELEASE SAVEPOINT keeps SET LOCAL changes: put the outer context back.
      await runStatements(sequelize, t, statements.restore(before));
    }
    return result;
  });
}

// ---------------------------------------------------------------------------
// withRlsScope: the query-scoped form
// ---------------------------------------------------------------------------

/** The RLS scope of the running async call chain: `{ sequelize, context, statements }`. */
const scopeStore = new AsyncLocalStorage();
/** Transactions in which a scope's statements already hold. */
const scopedTransactions = new WeakMap();
const SCOPED = Symbol('pgpolicy.rlsScope');
const TRANSACTION_CONTROL = /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|SET TRANSACTION|SET SESSION CHARACTERISTICS|SET CONSTRAINTS)\b/i;

/** The core's statements for `{ role, settings }` (a ValidationError for a bad name). */
function scopeStatements(context) {
  const { role, settings = {} } = context || {};
  return pgpolicy.contextStatements({ role, settings }).enter;
}

/**
 * Routes every query of a scope (or given `{ rls: { role, settings } }`) through the
 * context: a query without a transaction runs in a transaction of its own that starts
 * with the core's context statements (`SET LOCAL ROLE`, `set_config(..., true)`) and
 * ends right after it, so nothing stays on the pooled connection; a query in a
 * transaction gets the statements in that transaction first (they hold until it ends).
 */
function scopeQueries(sequelize) {
  if (sequelize[SCOPED]) return;
  sequelize[SCOPED] = true;
  const original = sequelize.query;
  sequelize.query = async function query(sql, options) {
    const given = options && options.rls;
    const scope = scopeStore.getStore();
    if (!given && !(scope && scope.sequelize === sequelize)) return original.call(this, sql, options);
    // Sequelize's own transaction control (BEGIN, COMMIT, savepoints) runs as it is: the
    // statements go into the transaction it starts, before its first query.
    if (typeof sql === 'string' && TRANSACTION_CONTROL.test(sql)) return original.call(this, sql, options);
    const context = contextStore.getStore();
    if (context && context.sequelize === sequelize && !context.transaction.finished) {
      // Inside withRlsContext its transaction decides the role and settings.
      if (given) {
        throw new PgPolicyError(
          'the rls option inside withRlsContext would change the role and settings of its transaction; nest withRlsContext instead.'
        );
      }
      return original.call(this, sql, options);
    }
    const statements = given ? scopeStatements(given) : scope.statements;
    const { rls, ...rest } = options || {};
    void rls;
    const cls = sequelize.constructor._cls;
    const current = rest.transaction !== undefined ? rest.transaction : cls ? cls.get('transaction') : undefined;
    const run = async (t) => {
      if (scopedTransactions.get(t) !== statements) {
        scopedTransactions.set(t, statements);
        await runRaw(original, this, t, statements);
      }
      return original.call(this, sql, { ...rest, transaction: t });
    };
    if (current && !current.finished) return run(current);
    const t = await sequelize.transaction();
    try {
      const result = await run(t);
      await t.commit();
      return result;
    } catch (e) {
      if (!t.finished) await t.rollback();
      throw e;
    }
  };
}

/** Runs context statements through the unwrapped `query`. */
async function runRaw(original, self, t, statements) {
  for (const { sql, params } of statements) {
    await original.call(self, sql, params.length ? { transaction: t, bind: params, raw: true } : { transaction: t, raw: true });
  }
}

/**
 * Orchid's query-scoped form: every query of `fn` runs with `role` and `settings`, each
 * in a short transaction of its own that starts with the core's context statements and
 * ends after the query (no transaction is held open across `fn`; nothing stays on the
 * pooled connection). A transaction `fn` opens takes the role and settings for its
 * queries too. For one call: `User.findAll({ rls: { role, settings } })`. Not inside
 * `withRlsContext` (a PgPolicyError): use a nested withRlsContext to override there.
 */
async function withRlsScope(sequelize, context, fn) {
  const outer = contextStore.getStore();
  if (outer && outer.sequelize === sequelize) {
    throw new PgPolicyError('withRlsScope: inside withRlsContext, the transaction decides the role and settings; nest withRlsContext instead.');
  }
  const statements = scopeStatements(context);
  scopeQueries(sequelize);
  return scopeStore.run({ sequelize, statements }, () => fn());
}

module.exports = {
  withRlsScope,
  scopeQueries,
  definePolicies,
  declareRoles,
  declareGrants,
  declareDefaultPrivileges,
  declareFunctions,
  schemaFromSequelize,
  connectionUrl,
  generateMigration,
  LintFailedError,
  renderMigration,
  planFromSequelize,
  applyToDatabase,
  installHooks,
  register,
  withRlsContext,
};
