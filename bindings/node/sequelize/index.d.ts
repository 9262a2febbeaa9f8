// Types of pgpolicy/sequelize.
import type { Sequelize, ModelStatic, Model, Transaction } from 'sequelize';
import type { PolicyDeclaration, Privilege, RoleDeclaration, SchemaDeclaration, AppliedPlan, Plan, Duration, LintConfig, LintResult } from '..';

export interface ModelGrant {
  role: string;
  /** An empty list declares that the role holds nothing there. */
  privileges: Privilege[];
  /** A column grant's columns (SELECT, INSERT, UPDATE, REFERENCES). */
  columns?: string[];
  /** `WITH GRANT OPTION`. */
  grantOption?: boolean;
  /** INSERT also grants USAGE on the table's owned sequences (serial, identity); default true. */
  sequences?: boolean;
}

/**
 * A grant for declareGrants: on a table (`table`), or on a sequence (`sequence`), a function
 * or procedure (`function` with `args`, its argument types) or a schema (only `schema`).
 */
export interface GrantDeclaration extends ModelGrant {
  table?: AnyModel | string;
  schema?: string;
  sequence?: string;
  function?: string;
  args?: string[];
}

/** RLS of one model: `rls` in define/init options, or definePolicies(Model, spec). */
export interface RlsSpec {
  /** Default true (declaring RLS or a policy implies RLS enabled). */
  enabled?: boolean;
  /**
   * FORCE ROW LEVEL SECURITY (the owner is subject to the policies too). Left out: the
   * database keeps what it has.
   */
  force?: boolean;
  policies?: PolicyDeclaration[];
  grants?: ModelGrant[];
  /** Lint rules this table opts out of (rule ids, or `'all'`; docs/lints.md). */
  lintAllow?: string[];
}

declare module 'sequelize' {
  interface ModelOptions {
    /** Row-level security for this model's table (pgpolicy). */
    rls?: RlsSpec | boolean;
  }
}

export type AnyModel = ModelStatic<Model>;

export function definePolicies<M extends AnyModel>(model: M, spec: RlsSpec | boolean): M;
/** `ALTER DEFAULT PRIVILEGES`: what objects created later get. */
export interface DefaultPrivilegeDeclaration {
  on: 'tables' | 'sequences' | 'functions' | 'routines' | 'schemas';
  role: string;
  /** An empty list declares that the role gets nothing. */
  privileges: Privilege[];
  /** `IN SCHEMA`; left out: every schema. */
  schema?: string;
  /** `FOR ROLE`; left out: the role that runs the migration. */
  forRole?: string;
  grantOption?: boolean;
}
export function declareDefaultPrivileges(sequelize: Sequelize, entries: DefaultPrivilegeDeclaration[]): void;
/** A function policies call, declared beside them. */
export interface FunctionDeclaration {
  name: string;
  schema?: string;
  /** The argument list as written between the parentheses, e.g. `'account uuid'`. */
  arguments?: string;
  returns: string;
  body: string;
  /** Default `sql`. */
  language?: string;
  /** `VOLATILE` (default), `STABLE` or `IMMUTABLE`. */
  volatility?: string;
  securityDefiner?: boolean;
  strict?: boolean;
  /** `SET search_path TO ...` (`[]` for `''`). */
  searchPath?: string[];
}
export function declareFunctions(sequelize: Sequelize, functions: FunctionDeclaration[]): void;
export function declareRoles(sequelize: Sequelize, roles: Array<string | RoleDeclaration>): void;
export function declareGrants(
  sequelize: Sequelize,
  grants: Array<GrantDeclaration>
): void;
export function schemaFromSequelize(sequelize: Sequelize, options?: { models?: AnyModel[] }): SchemaDeclaration;
export function connectionUrl(sequelize: Sequelize): string;

export interface GenerateMigrationOptions {
  sequelize: Sequelize;
  migrationsPath: string;
  /** The file name after the timestamp (default `rls`). */
  name?: string;
  /** Connect here instead of the Sequelize instance's database. */
  url?: string;
  schemas?: string[];
  models?: AnyModel[];
  /** `lock_timeout` the migration sets at the start of up and down (default `'5s'`). */
  lockTimeout?: Duration;
  /** `statement_timeout` the migration sets at the start of up and down (default `'5min'`). */
  statementTimeout?: Duration;
  connectTimeout?: Duration;
  /**
   * Lint the models against the database first (docs/lints.md): findings are printed;
   * with `failOn`, a finding at that level throws `LintFailedError` and nothing is written.
   */
  lint?: boolean | GenerateLintOptions;
  /**
   * Measure what the migration changes for a role's rows before it runs (`pgpolicy plan
   * --impact`) and write the report as a comment block at the top of the file; one role,
   * or several.
   */
  impact?: GenerateImpactOptions | GenerateImpactOptions[];
}

export interface GenerateImpactOptions {
  role: string;
  settings?: Record<string, string | number | boolean>;
  sampleLimit?: number;
}

export interface GenerateLintOptions {
  failOn?: 'info' | 'warning' | 'error';
  /** A pgpolicy.toml path or its `[lint]` section (default ./pgpolicy.toml when present). */
  config?: string | LintConfig;
  /** Where each finding line goes (default `console.warn`). */
  log?: (line: string) => void;
}

/** `generateMigration({ lint: { failOn } })` found what it was told to fail on. */
export class LintFailedError extends Error {
  report: LintResult;
}

/** Options of `applyToDatabase`, `planFromSequelize` and `sync({ pgpolicy })`. */
export interface ApplyToDatabaseOptions {
  models?: AnyModel[];
  url?: string;
  schemas?: string[];
  /** Run a plan that weakens protection (refused with a `WeakeningError` otherwise). */
  allowWeaken?: boolean;
  lockTimeout?: Duration;
  statementTimeout?: Duration;
  connectTimeout?: Duration;
  /** Retries after a lock timeout (default 3). */
  retries?: number;
}

declare module 'sequelize' {
  interface SyncOptions {
    /** How the sync hooks apply RLS (pgpolicy). */
    pgpolicy?: Omit<ApplyToDatabaseOptions, 'models' | 'url' | 'schemas'>;
  }
}

/** Writes `YYYYMMDDHHmmss-<name>.js`; resolves to its path, or null when nothing changed. */
export function generateMigration(options: GenerateMigrationOptions): Promise<string | null>;
export function renderMigration(plan: Plan, options?: { notes?: string[] }): string;
export function planFromSequelize(sequelize: Sequelize, options?: ApplyToDatabaseOptions): Promise<AppliedPlan>;
export function applyToDatabase(sequelize: Sequelize, options?: ApplyToDatabaseOptions): Promise<AppliedPlan | null>;
export function installHooks(sequelize: Sequelize): void;
export function register(SequelizeClass: typeof Sequelize): void;

export interface RlsContext {
  /** `SET LOCAL ROLE` for the transaction. */
  role?: string | null;
  /** `set_config(name, value, true)` for each entry (values bound). */
  settings?: Record<string, string | number | boolean | null>;
  /** Run inside this transaction (a savepoint) instead of a new one. */
  transaction?: Transaction;
}

export function withRlsContext<T>(sequelize: Sequelize, context: RlsContext, fn: (t: Transaction) => Promise<T>): Promise<T>;

/** The role and settings of a query-scoped RLS context (`withRlsScope`, the `rls` option). */
export interface RlsScope {
  /** `SET LOCAL ROLE` for each query's transaction. */
  role?: string | null;
  /** `set_config(name, value, true)` for each entry (values bound); names are `prefix.name`. */
  settings?: Record<string, string | number | boolean | null>;
}

/**
 * The query-scoped form (Orchid's `$withOptions({ role, setConfig })`): every query of `fn`
 * runs in a short transaction of its own that starts with the role and settings; no
 * transaction is held across `fn` and nothing stays on the pooled connection.
 */
export function withRlsScope<T>(sequelize: Sequelize, context: RlsScope, fn: () => Promise<T> | T): Promise<T>;
/** Routes the queries of a scope (and calls given `rls`) through the context; `installHooks` does it. */
export function scopeQueries(sequelize: Sequelize): void;

declare module 'sequelize' {
  interface QueryOptions {
    /** Run this call with the role and settings, in a transaction of its own (pgpolicy). */
    rls?: RlsScope;
  }
}
