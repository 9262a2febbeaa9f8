// Types of the pgpolicy package. Schemas are plain objects: the exchange format
// (docs/json-format.md) or the ModelIR shape.

// The typed values the addon hands out (plans, steps, changes, schemas, validation errors)
// are declared in core-types.d.ts, generated from the core's Rust definitions.
import type {
  Plan,
  Step,
  Change,
  ClauseChange,
  Schema,
  Table,
  Column,
  Rls,
  Policy,
  Command,
  Role,
  Grant,
  Privilege as CorePrivilege,
  TableName,
  DatabaseInfo,
  Catalog,
  ValidationErrorDetail,
  Clause,
  Report,
  Finding,
  Severity,
  Explanation,
  Effective,
  Verdict,
  Impact,
  TableImpact,
  CheckImpact,
  Side as ImpactSide,
  Check as ImpactCheck,
} from './core-types';
export type {
  Impact,
  TableImpact,
  CheckImpact,
  ImpactSide,
  ImpactCheck,
  Report,
  Finding,
  Severity,
  Explanation,
  Effective,
  Verdict,
  Plan,
  Step,
  Change,
  ClauseChange,
  Schema,
  Table,
  Column,
  Rls,
  Policy,
  Command,
  Role,
  Grant,
  TableName,
  DatabaseInfo,
  Catalog,
  ValidationErrorDetail,
  Clause,
};
/** A privilege as declared: the core's privileges, or `ALL`. */
export type Privilege = CorePrivilege | 'ALL';
/** The `kind` of a change (the discriminant of `Change`). */
export type ChangeKind = Change['kind'];

/** A policy as declared (ModelIR fields; `with_check` / `renamed_from` also accepted). */
export interface PolicyDeclaration {
  name: string;
  /** Default `ALL`. */
  command?: Command | Lowercase<Command>;
  /** Default `['PUBLIC']`; `PUBLIC`, `CURRENT_USER`, `CURRENT_ROLE`, `SESSION_USER` in any case. */
  roles?: string[] | string;
  using?: string | null;
  withCheck?: string | null;
  with_check?: string | null;
  /** Default true; false means RESTRICTIVE. */
  permissive?: boolean;
  as?: 'PERMISSIVE' | 'RESTRICTIVE';
  /** The policy's previous name: plans a rename instead of DROP + CREATE. */
  renamedFrom?: string | null;
  renamed_from?: string | null;
  /** Lint rules this policy opts out of (rule ids, or `'all'`; docs/lints.md). */
  lintAllow?: string[];
  lint_allow?: string[];
  comment?: string | null;
}

export interface ColumnDeclaration {
  name?: string;
  type: string;
  nullable?: boolean;
}

/** A table in the ModelIR shape (`tables` is a map from table name). */
export interface ModelIrTable {
  schema?: string;
  columns?: Record<string, ColumnDeclaration> | ColumnDeclaration[];
  rlsEnabled?: boolean;
  rlsForced?: boolean;
  policies?: PolicyDeclaration[];
}

/** A table in the exchange format (`tables` is a list). */
export interface TableDeclaration {
  schema?: string;
  name: string;
  columns?: ColumnDeclaration[] | Record<string, ColumnDeclaration>;
  /** A flag left out (or null) is not declared: the database keeps what it has. */
  rls?: { enabled?: boolean | null; forced?: boolean | null };
  policies?: PolicyDeclaration[];
  /** Lint rules this table opts out of (rule ids, or `'all'`; docs/lints.md). */
  lintAllow?: string[];
  lint_allow?: string[];
}

export interface RoleDeclaration {
  name: string;
  login?: boolean;
  inherit?: boolean;
  bypassrls?: boolean;
  /** `CONNECTION LIMIT` (-1: none); left out, the database keeps what it has. */
  connectionLimit?: number;
  connection_limit?: number;
  /** Group names, or memberships with options (INHERIT and SET need PostgreSQL 16). */
  memberOf?: (string | MembershipDeclaration)[];
  member_of?: (string | MembershipDeclaration)[];
}

/** `GRANT role TO member WITH ADMIN / INHERIT / SET`. */
export interface MembershipDeclaration {
  role: string;
  admin?: boolean;
  /** PostgreSQL 16+; left out, the member's own INHERIT attribute. */
  inherit?: boolean;
  /** PostgreSQL 16+; left out, true. */
  set?: boolean;
}

/**
 * Privileges of one grantee on one object, named by its key: `table` (with `columns` for a
 * column grant), `sequence`, `function` (with `args`, its argument types), or only `schema`.
 * An empty `privileges` declares that the grantee holds nothing there.
 */
export interface GrantDeclaration {
  schema?: string;
  table?: string;
  sequence?: string;
  function?: string;
  args?: string[];
  columns?: string[];
  role: string;
  privileges: Privilege[];
  grant_option?: boolean;
  /** INSERT on a table also grants USAGE on its owned sequences unless `false`. */
  sequences?: boolean;
}

/** `ALTER DEFAULT PRIVILEGES` as declared (see docs/json-format.md). */
export interface DefaultPrivilegeEntry {
  for_role?: string;
  schema?: string;
  on: 'tables' | 'sequences' | 'functions' | 'routines' | 'schemas';
  role: string;
  privileges: Privilege[];
  grant_option?: boolean;
}

/** A schema as declared. Roles are managed only when `roles` is present. */
export interface SchemaDeclaration {
  tables?: TableDeclaration[] | Record<string, ModelIrTable>;
  roles?: RoleDeclaration[];
  grants?: GrantDeclaration[];
  default_privileges?: DefaultPrivilegeEntry[];
  database?: DatabaseInfo;
}

/** A plan `apply` resolved to. */
export type AppliedPlan = Plan & {
  /** Whether statements were run (false for a dry run or an empty plan). */
  applied: boolean;
};

/** A duration: a string as PostgreSQL writes it (`'5s'`, `'500ms'`, `'2min'`) or milliseconds. */
export type Duration = string | number;

export interface SessionOptions {
  /** How long one statement waits for a lock (`lock_timeout`, default `'5s'`; at least 1 ms). */
  lockTimeout?: Duration;
  /** `statement_timeout` (default `'5min'`; 0 means none). */
  statementTimeout?: Duration;
}

export interface DiffOptions extends SessionOptions {
  /**
   * Remove RLS objects the current side has and the desired side does not name. Default:
   * true when the current side is a declaration, false when it was introspected.
   */
  prune?: boolean;
}

export interface IntrospectOptions extends SessionOptions {
  /** PostgreSQL schemas to read (default `['public']`). */
  schemas?: string[];
  /** How long connecting may take (default `'10s'`; the URL's `connect_timeout` wins). */
  connectTimeout?: Duration;
}

export interface ApplyOptions extends IntrospectOptions, DiffOptions {
  /** Compute the plan only. */
  dryRun?: boolean;
  /**
   * Run a plan that weakens protection (disables RLS or FORCE, drops or changes a
   * restrictive policy, opens a policy to PUBLIC with `true`, grants BYPASSRLS). Without
   * it such a plan is refused with a `WeakeningError` (code `WEAKENS`).
   */
  allowWeaken?: boolean;
  /** Retries after a lock timeout, with backoff (default 3); then nothing was applied. */
  retries?: number;
}

export type SchemaInput = SchemaDeclaration | Schema | string;

/** Diffs two schemas offline. */
export function diff(current: SchemaInput, desired: SchemaInput, options?: DiffOptions): Plan;
/** Reads the RLS state of a database (libpq URL; `?host=/socket/dir` for a unix socket). */
export function introspect(url: string, options?: IntrospectOptions): Promise<Schema>;
/** The `[lint]` section of `pgpolicy.toml` (docs/lints.md), spelt as in the file. */
export interface LintConfig {
  /** Roles the application uses (default: those the policies and grants name). */
  app_roles?: string[];
  /** Roles meant to see everything: exempt from the app-role rules. */
  admin_roles?: string[];
  /** Schemas whose functions the application can call (default: the linted tables'). */
  exposed_schemas?: string[];
  /** Per rule id: `off`, `on`, or a severity. */
  rules?: Record<string, 'off' | 'on' | Severity>;
  /** Per `schema.table`, view, function or role: rule ids (or `all`) not to report. */
  allow?: Record<string, string[]>;
}
export interface LintOptions extends IntrospectOptions {
  /** Check the declaration against the database at this URL. */
  db?: string;
  /** A path to a `pgpolicy.toml`, or its `[lint]` section as an object. */
  config?: string | LintConfig;
}
/** The core's lint report, with its text and SARIF 2.1.0 forms. */
export interface LintResult extends Report {
  text: string;
  sarif: string;
}
/**
 * Lints a declaration, a database (a postgres URL), or a declaration checked against the
 * database it will run on (`{ db }`).
 */
export function lint(source: SchemaInput, options?: LintOptions): Promise<LintResult>;
export interface ExplainOptions extends IntrospectOptions {
  db?: string;
  /** Default: every role the table's policies and grants name, and PUBLIC. */
  role?: string;
  /** Default: all four. */
  command?: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'select' | 'insert' | 'update' | 'delete';
}
/** The predicates PostgreSQL applies on `table` per role and command, with their text form. */
export function explain(
  source: SchemaInput,
  table: string,
  options?: ExplainOptions,
): Promise<Explanation & { text: string }>;
export interface ImpactOptions extends IntrospectOptions {
  /** The role whose rows are measured. */
  role: string;
  /** The settings the role runs with; every setting a predicate reads must be given. */
  settings?: Record<string, string | number | boolean>;
  /** Rows evaluated per table (default 10,000); above it, a sample of this size. */
  sampleLimit?: number;
}
/** The core's impact report with its sentences, its text and its `// ` comment block. */
export interface ImpactResult extends Impact {
  headlines: string[];
  text: string;
  comment: string;
}
/**
 * What the plan that takes the database at `url` to `desired` changes for a role's rows,
 * measured before it runs (evaluated as the role in a read-only, rolled-back transaction).
 */
export function impact(url: string, desired: SchemaInput, options: ImpactOptions): Promise<ImpactResult>;
/** Brings a database to `desired` in one transaction, comparing expressions through PostgreSQL. */
export function apply(url: string, desired: SchemaInput, options?: ApplyOptions): Promise<AppliedPlan>;
/**
 * The plan that drops the policies depending on a column of one of `tables` (PostgreSQL's
 * dependency records): run `statements` before changing those columns' types, then
 * `preamble` and `reverseStatements` to re-create the policies as the database had them,
 * in one transaction (what `sequelize.sync({ alter: true })` does).
 */
export function columnPolicies(url: string, tables: Array<{ schema?: string; name: string }>, options?: SessionOptions): Promise<Plan>;
/** The statements that pin a transaction, each to be run on its own right after BEGIN. */
export function sessionPins(options?: SessionOptions): string[];
/** Throws a `ValidationError` (code `UNKNOWN_COLUMN`) for a policy column its table does not have. */
export function checkColumns(schema: SchemaInput): void;
/** One statement of a runtime RLS context, `$1`, `$2`, ... bound to `params`. */
export interface ContextStatement {
  sql: string;
  params: Array<string | null>;
}
/** The core's statements for a runtime RLS context (what `withRlsContext` runs). */
export function contextStatements(context: { role?: string | null; settings?: Record<string, unknown> }): {
  enter: ContextStatement[];
  snapshot: ContextStatement;
  restore(row: Array<string | null>): ContextStatement[];
};
/**
 * Reads a `.sql` file into a schema. The skipped statements are in `warnings`, a
 * non-enumerable property: the result is passed to `diff`/`apply` as it is.
 */
export function fromSqlFile(path: string): Schema & { readonly warnings: string[] };
/** Reads SQL text into a schema, like `fromSqlFile`. */
export function fromSql(sql: string): Schema & { readonly warnings: string[] };
/** Validates a schema and returns it in the exchange format. */
export function parseSchema(schema: SchemaInput): Schema;
/** Every validation error of a schema (empty when valid). */
export function check(schema: SchemaInput): ValidationErrorDetail[];

export interface EmbeddedPostgres {
  /** The unix socket directory (`host` for pg and Sequelize). */
  readonly socketDir: string;
  readonly port: number;
  url(database?: string): string;
  /** Creates a database; returns its URL. */
  createDatabase(name: string): string;
  /** Runs SQL through psql as the superuser; returns the output. */
  psql(database: string, sql: string): string;
  /** Options for `new Sequelize({ dialect: 'postgres', ...sequelizeOptions('app') })`. */
  sequelizeOptions(database: string): { host: string; port: number; username: string; database: string };
  /** Stops the server and removes its directory. */
  stop(): void;
}

/** Starts a throwaway PostgreSQL from the local server binaries. */
export function startEmbeddedPostgres(): EmbeddedPostgres;

export class PgPolicyError extends Error {
  /** Stable machine-readable code, e.g. `INSERT_WITH_USING`, `DATABASE`, `SOURCE`, `WEAKENS`. */
  readonly code: string;
  readonly table: string | null;
  readonly policy: string | null;
  readonly clause: Clause | null;
  /** Every validation error (empty for other errors). */
  readonly errors: ValidationErrorDetail[];
}
export class ValidationError extends PgPolicyError {}
export class SourceError extends PgPolicyError {}
export class DatabaseError extends PgPolicyError {}
export class EmbeddedError extends PgPolicyError {}
/** A plan that weakens protection, refused without `allowWeaken` (code `WEAKENS`). */
export class WeakeningError extends PgPolicyError {}
