// pgpolicy: PostgreSQL row-level security as code. The work happens in the Rust core;
// this module turns JS values into JSON for it and its errors into Error subclasses.
'use strict';
const native = require('./native.js').load();

const ERROR_PREFIX = 'PGPOLICY_ERROR:';

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

const classes = {
  Validation: ValidationError,
  Source: SourceError,
  Database: DatabaseError,
  Embedded: EmbeddedError,
  Weakening: WeakeningError,
};

function convertError(e) {
  if (!(e instanceof Error) || typeof e.message !== 'string' || !e.message.startsWith(ERROR_PREFIX)) {
    return e;
  }
  const payload = JSON.parse(e.message.slice(ERROR_PREFIX.length));
  const first = payload.errors[0] || {};
  const Cls = classes[payload.kind] || PgPolicyError;
  return new Cls(payload.message, {
    code: payload.code,
    table: first.table,
    policy: first.policy,
    clause: first.clause,
    errors: payload.errors,
  });
}

function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    throw convertError(e);
  }
}

async function callAsync(fn, ...args) {
  try {
    return await fn(...args);
  } catch (e) {
    throw convertError(e);
  }
}

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
  const text = call(native.diffJson, schemaText(current, 'current'), schemaText(desired, 'desired'), options);
  return JSON.parse(text);
}

/** Reads the RLS state of a database. Resolves to a schema in the exchange format. */
async function introspect(url, options) {
  return JSON.parse(await callAsync(native.introspectJson, url, options));
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
  return JSON.parse(await callAsync(native.applyJson, url, schemaText(desired, 'desired'), options));
}

/**
 * The statements that pin a transaction before any statement carrying user text, each to
 * be run on its own right after BEGIN (`SET LOCAL` standard_conforming_strings,
 * search_path, lock_timeout, statement_timeout). `{ lockTimeout, statementTimeout }` as
 * `'5s'` or milliseconds.
 */
function sessionPins(options) {
  return call(native.sessionPins, options);
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
  const { enter, snapshot } = call(native.contextStatements, r, names, values);
  return {
    enter,
    snapshot,
    restore: (row) => call(native.contextRestore, r, names, values, row.map((v) => (v === null || v === undefined ? null : String(v)))),
  };
}

/**
 * Checks the columns the policies of a schema name, for tables whose columns are declared
 * (models): throws a `ValidationError` (code `UNKNOWN_COLUMN`, with a "did you mean", and
 * the quoting hint for camelCase names) for each column the core proves unknown.
 */
function checkColumns(schema) {
  call(native.checkColumnsJson, schemaText(schema, 'schema'));
}

/**
 * The schema a `.sql` read returned, with the skipped statements as a non-enumerable
 * `warnings`: readable, but not part of the schema that `diff`, `apply` or
 * `JSON.stringify` see, so the result is itself a valid schema.
 */
function sqlSchema(text) {
  const { warnings, ...schema } = JSON.parse(text);
  Object.defineProperty(schema, 'warnings', { value: warnings, enumerable: false });
  return schema;
}

/** Reads a `.sql` file into a schema; skipped statements are listed in `warnings`. */
function fromSqlFile(path) {
  return sqlSchema(call(native.fromSqlFileJson, String(path)));
}

/** Reads SQL text into a schema, like `fromSqlFile`. */
function fromSql(sql) {
  return sqlSchema(call(native.fromSqlJson, sql));
}

/** Validates a schema and returns it in the exchange format (throws ValidationError). */
function parseSchema(schema) {
  return JSON.parse(call(native.parseSchemaJson, schemaText(schema, 'schema')));
}

/** Every validation error of a schema; an empty array when it is valid. */
function check(schema) {
  return JSON.parse(call(native.checkJson, schemaText(schema, 'schema')));
}

const running = new Set();
let exitHook = false;

/**
 * Starts a throwaway PostgreSQL (unix socket only; superuser `postgres`). Stop it with
 * `stop()`; it is also stopped when the process exits.
 */
function startEmbeddedPostgres() {
  const cluster = call(native.startEmbeddedPostgres);
  const handle = {
    get socketDir() {
      return cluster.socketDir;
    },
    get port() {
      return cluster.port;
    },
    url: (database = 'postgres') => call(() => cluster.url(database)),
    createDatabase: (name) => call(() => cluster.createDatabase(name)),
    psql: (database, sql) => call(() => cluster.psql(database, sql)),
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

module.exports = {
  diff,
  introspect,
  apply,
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
