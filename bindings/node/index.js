// pgpolicy: PostgreSQL row-level security as code. The work happens in the Rust core;
// what the addon returns are JS values napi builds from the core's typed values, and its
// errors are thrown as instances of the classes below, their fields set by the addon.
'use strict';
const native = require('./native.js').load();

/** Base class of every error pgpolicy throws. */
class PgPolicyError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = this.constructor.name;
    /** Stable machine-readable code, e.g. `INSERT_WITH_USING`, `DATABASE`. */
    this.code = fields.code || 'PGPOLICY';
    /** `schema.table` the (first) error concerns, or null. */
    this.table = fields.table ?? null;
    /** The policy the (first) error concerns, or null. */
    this.policy = fields.policy ?? null;
    /** The clause (`NAME`, `COMMAND`, `ROLES`, `USING`, `WITH_CHECK`, ...), or null. */
    this.clause = fields.clause ?? null;
    /** Every validation error, each `{ code, table, policy, clause, message }`. */
    this.errors = fields.errors || [];
  }
}
/** A declaration that cannot be applied (names the table, policy and clause). */
class ValidationError extends PgPolicyError {}
/** A source (JSON, SQL) that cannot be read. */
class SourceError extends PgPolicyError {}
/** A database error: connection, introspection, comparison or apply. */
class DatabaseError extends PgPolicyError {}
/** The throwaway PostgreSQL could not be started. */
class EmbeddedError extends PgPolicyError {}
/**
 * A plan that weakens protection (disables RLS or FORCE, drops or changes a restrictive
 * policy, opens a policy to PUBLIC, grants BYPASSRLS), refused because `allowWeaken` was
 * not given. `code` is `WEAKENS`; nothing was applied.
 */
class WeakeningError extends PgPolicyError {}

// The addon throws each core error as an instance of the class for its kind, with
// `code`, `table`, `policy`, `clause` and `errors` set and the core's message.
native.registerErrorClasses({
  PgPolicy: PgPolicyError,
  Validation: ValidationError,
  Source: SourceError,
  Database: DatabaseError,
  Embedded: EmbeddedError,
  Weakening: WeakeningError,
});

function schemaText(schema, what) {
  if (typeof schema === 'string') return schema;
  if (schema === null || typeof schema !== 'object') {
    throw new TypeError(`${what} must be a schema object (or its JSON text)`);
  }
  return JSON.stringify(schema);
}

/**
 * Diffs two schemas offline. Schemas are plain objects in the exchange format or the
 * ModelIR shape (`{ tables: { users: { columns, rlsEnabled, policies } } }`).
 */
function diff(current, desired, options) {
  return native.diff(schemaText(current, 'current'), schemaText(desired, 'desired'), options);
}

/** Reads the RLS state of a database. Resolves to a schema in the exchange format. */
async function introspect(url, options) {
  return native.introspect(url, options);
}

/**
 * Brings the database at `url` to `desired` in one transaction; with `{ dryRun: true }`
 * only computes the plan. Expressions the offline canonicalizer cannot prove equal are
 * compared by PostgreSQL. A plan that weakens protection is refused with a
 * `WeakeningError` unless `{ allowWeaken: true }`; a lock wait longer than `lockTimeout`
 * (default 5 s) rolls back and is retried `retries` times (default 3), then fails saying
 * nothing was applied. Resolves to the plan (with `applied`).
 */
async function apply(url, desired, options) {
  return native.apply(url, schemaText(desired, 'desired'), options);
}

/**
 * The plan that drops the policies depending on a column of one of `tables` (`[{ schema,
 * name }]`; PostgreSQL's dependency records: a policy whose USING or WITH CHECK reads the
 * column, on its table or in a sub-select). Run its `statements` before changing the
 * columns' types (PostgreSQL refuses while such a policy exists), then its `preamble` and
 * `reverseStatements` to re-create the policies as the database had them, all in one
 * transaction.
 */
async function columnPolicies(url, tables, options) {
  return native.columnPolicies(
    url,
    tables.map((t) => ({ schema: t.schema || 'public', name: String(t.name) })),
    options
  );
}

/**
 * The statements that pin a transaction before any statement carrying user text, each to
 * be run on its own right after BEGIN (`SET LOCAL` standard_conforming_strings,
 * search_path, lock_timeout, statement_timeout). `{ lockTimeout, statementTimeout }` as
 * `'5s'` or milliseconds.
 */
function sessionPins(options) {
  return native.sessionPins(options);
}

/**
 * The statements of a runtime RLS context, from the core: `enter` (`SET LOCAL ROLE` with
 * the role quoted, one `set_config($1, $2, true)` per setting, values bound), `snapshot`
 * (run before `enter` in a nested context: the role as SET ROLE left it and the settings)
 * and `restore(row)` (the statements that put the snapshot's state back). Each statement
 * is `{ sql, params }`, `$1`, `$2`, ... bound to `params`. Setting names must be
 * `prefix.name`; a `ValidationError` (code `INVALID_CONTEXT`) otherwise.
 */
function contextStatements({ role, settings = {} } = {}) {
  const r = role === undefined || role === null ? null : String(role);
  const names = Object.keys(settings);
  const values = names.map((n) => (settings[n] === null || settings[n] === undefined ? null : String(settings[n])));
  const { enter, snapshot } = native.contextStatements(r, names, values);
  return {
    enter,
    snapshot,
    restore: (row) => native.contextRestore(r, names, values, row.map((v) => (v === null || v === undefined ? null : String(v)))),
  };
}

/**
 * Checks the columns the policies of a schema name, for tables whose columns are declared
 * (models): throws a `ValidationError` (code `UNKNOWN_COLUMN`, with a "did you mean", and
 * the quoting hint for camelCase names) for each column the core proves unknown.
 */
function checkColumns(schema) {
  native.checkColumns(schemaText(schema, 'schema'));
}

/**
 * The schema a `.sql` read returned, with the skipped statements as a non-enumerable
 * `warnings`: readable, but not part of the schema that `diff`, `apply` or
 * `JSON.stringify` see, so the result is itself a valid schema.
 */
function sqlSchema({ schema, warnings }) {
  Object.defineProperty(schema, 'warnings', { value: warnings, enumerable: false });
  return schema;
}

/** Reads a `.sql` file into a schema; skipped statements are listed in `warnings`. */
function fromSqlFile(path) {
  return sqlSchema(native.fromSqlFile(String(path)));
}

/** Reads SQL text into a schema, like `fromSqlFile`. */
function fromSql(sql) {
  return sqlSchema(native.fromSql(sql));
}

/** Validates a schema and returns it in the exchange format (throws ValidationError). */
function parseSchema(schema) {
  return native.parseSchema(schemaText(schema, 'schema'));
}

/** Every validation error of a schema; an empty array when it is valid. */
function check(schema) {
  return native.check(schemaText(schema, 'schema'));
}

const running = new Set();
let exitHook = false;

/**
 * Starts a throwaway PostgreSQL (unix socket only; superuser `postgres`). Stop it with
 * `stop()`; it is also stopped when the process exits.
 */
function startEmbeddedPostgres() {
  const cluster = native.startEmbeddedPostgres();
  const handle = {
    get socketDir() {
      return cluster.socketDir;
    },
    get port() {
      return cluster.port;
    },
    url: (database = 'postgres') => cluster.url(database),
    createDatabase: (name) => cluster.createDatabase(name),
    psql: (database, sql) => cluster.psql(database, sql),
    /** Connection options for `new Sequelize({ dialect: 'postgres', ...sequelizeOptions(db) })`. */
    sequelizeOptions: (database) => ({
      host: cluster.socketDir,
      port: cluster.port,
      username: 'postgres',
      database,
    }),
    stop: () => {
      running.delete(handle);
      cluster.stop();
    },
  };
  running.add(handle);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const h of [...running]) h.stop();
    });
  }
  return handle;
}

function isUrl(source) {
  return typeof source === 'string' && /^postgres(ql)?:\/\//.test(source);
}

function lintOptions(options, what) {
  const { config, db, ...rest } = options || {};
  const out = { ...rest };
  if (config != null) {
    if (typeof config === 'string') {
      // a path to a pgpolicy.toml
      out.configToml = require('fs').readFileSync(config, 'utf8');
    } else if (typeof config === 'object') {
      out.configJson = JSON.stringify(config);
    } else {
      throw new TypeError(`${what}: config must be a path to pgpolicy.toml or an object shaped like its [lint] section`);
    }
  }
  return { db, out };
}

function sources(source, db, what) {
  if (isUrl(source)) {
    if (db != null) throw new TypeError(`${what}: source is already a database; db checks a declaration against one`);
    return [null, source];
  }
  return [schemaText(source, what), db ?? null];
}

/**
 * Lints a declaration (a schema object or its JSON text), a database (a postgres URL),
 * or a declaration checked against the database it will run on (`{ db: url }`). Resolves
 * to `{ findings, skipped, text, sarif }` (see docs/lints.md). `config` is a path to a
 * `pgpolicy.toml` or an object shaped like its `[lint]` section.
 */
async function lint(source, options) {
  const { db, out } = lintOptions(options, 'lint');
  const [declaration, url] = sources(source, db, 'lint');
  return native.lint(declaration, url, out);
}

/**
 * The predicate PostgreSQL applies on `table` for `{ role, command }` (default: every
 * role the table's policies and grants name, and PUBLIC; every command), from a
 * declaration, a database, or both (`{ db: url }`). Resolves to `{ table, rlsEnabled...}`
 * as the core spells it (`rls_enabled`, `entries`, ...) plus `text`.
 */
async function explain(source, table, options) {
  const { db, out } = lintOptions(options, 'explain');
  const [declaration, url] = sources(source, db, 'explain');
  return native.explain(declaration, url, table, out);
}

/**
 * What the plan that takes the database at `url` to `desired` changes for `role`'s rows,
 * measured before it runs: per table, the rows that become visible or invisible,
 * updatable, deletable and (a proxy judged on existing rows) insertable. The core
 * evaluates the old and new predicates as the role with `settings` (each setting a
 * predicate reads must be given) in a read-only transaction that is rolled back, on every
 * row up to `sampleLimit` (default 10,000), else on a sample of that size. Resolves to the
 * core's `Impact` plus `headlines`, `text` and `comment` (the text behind `// `).
 */
async function impact(url, desired, options) {
  const { role, settings, ...rest } = options || {};
  if (typeof role !== 'string') throw new TypeError('impact: options.role (the role whose rows are measured) is required');
  const values = {};
  for (const [k, v] of Object.entries(settings || {})) values[k] = String(v);
  return native.impact(url, schemaText(desired, 'impact: desired'), { ...rest, role, settings: values });
}

module.exports = {
  lint,
  explain,
  impact,
  diff,
  introspect,
  apply,
  columnPolicies,
  sessionPins,
  contextStatements,
  checkColumns,
  fromSqlFile,
  fromSql,
  parseSchema,
  check,
  startEmbeddedPostgres,
  PgPolicyError,
  ValidationError,
  SourceError,
  DatabaseError,
  EmbeddedError,
  WeakeningError,
};
