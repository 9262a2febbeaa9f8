// Generated from the core's Rust definitions (ts-rs) by
// `cargo run --release -p pgpolicy-node --example gen_types`: do not edit.

/**
 * A plan with everything a binding hands out about it, in one value: the script both
 * ways (with the preamble for the given time limits), the statements, the steps both
 * ways, the weakening mark, the warnings and the typed changes. Serialized with
 * camelCase keys (the Node package's plan object).
 */
export type Plan = {
/**
 * The script, in one transaction (`BEGIN;`, the preamble, each change under its
 * description and a `-- WEAKENS:` line where it weakens protection, `COMMIT;`);
 * empty when nothing changes.
 */
sql: string,
/**
 * The script that undoes `sql`.
 */
reverseSql: string,
/**
 * The session pins that start the plan's transaction, each its own statement, before
 * the first change (`SET LOCAL` standard_conforming_strings, search_path,
 * lock_timeout, statement_timeout).
 */
preamble: Array<string>,
/**
 * Every statement of the changes, in order, without semicolons.
 */
statements: Array<string>, reverseStatements: Array<string>, steps: Array<Step>,
/**
 * The steps of the reverse plan, in its order.
 */
reverseSteps: Array<Step>,
/**
 * Whether a change weakens protection (`apply` refuses the plan unless allowed).
 */
weakens: boolean,
/**
 * What the comparison could not settle and counted as changed, with the reason.
 */
warnings: Array<string>, changes: Array<Change>,
/**
 * Set by `apply`: whether statements were run (false for a dry run or an empty plan).
 */
applied?: boolean, };

/**
 * One step of a plan as bindings and `--format json` show it: a change with its
 * description, its place in plan order, its SQL both ways and its weakening mark.
 */
export type Step = {
/**
 * What the change does, e.g. `Create policy "p" on public.t` (the comment above its
 * SQL in a script).
 */
description: string,
/**
 * The former name of `description`, kept for one release.
 */
comment: string,
/**
 * The change's phase in plan order (roles, grants, RLS off, policies dropped,
 * replaced, renamed, altered, created, comments, RLS on, revokes, roles dropped);
 * steps are ordered by it.
 */
phase: number, sql: Array<string>, reverse: Array<string>,
/**
 * Why the change weakens protection (see [`Change::weakens`]), or null.
 */
weakens: string | null, change: Change, };

/**
 * Serializes with a `kind` tag; deserializes from the same form, so bindings can rebuild
 * a change (e.g. from a migration file's op) and ask it for its SQL.
 */
export type Change = { "kind": "create_role", role: Role, } | { "kind": "alter_role", from: Role, to: Role, } | { "kind": "drop_role", role: Role, } | { "kind": "grant_membership", group: string, member: string, options?: MembershipOptions, } | { "kind": "revoke_membership", group: string, member: string, options?: MembershipOptions, } | { "kind": "alter_membership", group: string, member: string, from: MembershipOptions, to: MembershipOptions, } | { "kind": "grant" } & RolePrivileges | { "kind": "revoke" } & RolePrivileges | { "kind": "create_function", function: Function, } | { "kind": "replace_function", from: Function, to: Function,
/**
 * What differs (body, volatility, SECURITY DEFINER, search_path, ...).
 */
changed: Array<string>, } | { "kind": "drop_function", function: Function, } | { "kind": "recreate_function", from: Function, to: Function, changed: Array<string>, policies: Array<RecreatedPolicy>, } | { "kind": "grant_default" } & DefaultPrivileges | { "kind": "revoke_default" } & DefaultPrivileges | { "kind": "enable_rls", table: TableName, } | { "kind": "disable_rls", table: TableName, } | { "kind": "force_rls", table: TableName, } | { "kind": "no_force_rls", table: TableName, } | { "kind": "create_policy", table: TableName, policy: Policy, } | { "kind": "drop_policy", table: TableName, policy: Policy, } | { "kind": "rename_policy", table: TableName, from: string, to: string, } | { "kind": "alter_policy", table: TableName, from: Policy, to: Policy, clauses: Array<ClauseChange>, } | { "kind": "replace_policy", table: TableName, from: Policy, to: Policy, reason: string, } | { "kind": "comment_on_policy", table: TableName, policy: string, from: string | null, to: string | null, };

/**
 * One clause of a policy that differs, with the texts on each side and, where the
 * comparison computed them, their canonical forms.
 */
export type ClauseChange = { clause: Clause, from: string | null, to: string | null, from_canonical?: string, to_canonical?: string, };

/**
 * A policy that calls a function being recreated: dropped as it is (`from`) before the
 * function goes, created as declared (`to`) after it is back; None on a side that does
 * not have it.
 */
export type RecreatedPolicy = { table: TableName, from: Policy | null, to: Policy | null, };

export type Schema = { tables: Array<Table>, roles?: Array<Role>, grants?: Array<Grant>,
/**
 * Functions the policies call, created and replaced with them.
 */
functions?: Array<Function>,
/**
 * `ALTER DEFAULT PRIVILEGES`: what objects created later get.
 */
default_privileges?: Array<DefaultPrivilege>, database?: DatabaseInfo,
/**
 * User-defined functions and types that policy expressions use (from a database's
 * catalog, or CREATE FUNCTION / CREATE TYPE in a `.sql` source); lets the offline
 * comparison type literals next to them.
 */
catalog?: Catalog, };

export type Table = { schema: string, name: string, columns: Array<Column>, rls: Rls, policies: Array<Policy>,
/**
 * Lint rules this table opts out of (rule ids, or `all`): the declaration's inline
 * opt-out, never planned or applied.
 */
lint_allow?: Array<string>, };

export type Column = { name: string, type: string, nullable: boolean, };

/**
 * A table's RLS flags. `None` is "not declared": the flag is left as the database has
 * it (a source that names a table only through its policies says nothing about RLS, and
 * only an explicit declaration may turn protection off).
 */
export type Rls = { enabled: boolean | null, forced: boolean | null, };

export type Policy = { name: string, command: Command, permissive: boolean, roles: Array<string>, using: string | null, with_check: string | null, comment?: string,
/**
 * The name this policy had before; a rename is planned only when this says so.
 */
renamed_from?: string,
/**
 * Lint rules this policy opts out of (rule ids, or `all`): the declaration's inline
 * opt-out, never planned or applied.
 */
lint_allow?: Array<string>, };

/**
 * What a policy applies to (`FOR ...`).
 */
export type Command = "ALL" | "SELECT" | "INSERT" | "UPDATE" | "DELETE";

export type Role = { name: string, login: boolean, inherit: boolean, bypassrls: boolean,
/**
 * `CONNECTION LIMIT` (-1: none); absent: left as the database has it.
 */
connection_limit?: number, member_of: Array<string>,
/**
 * Options of memberships in `member_of` that are not the default, by group.
 */
membership_options?: { [key in string]: MembershipOptions }, };

/**
 * `GRANT group TO member WITH ADMIN / INHERIT / SET`. INHERIT and SET are options of a
 * membership from PostgreSQL 16 on; before, the member's INHERIT attribute decides and
 * SET is always true, so declaring either otherwise is an error there.
 */
export type MembershipOptions = {
/**
 * `WITH ADMIN OPTION`: the member may grant the group to others.
 */
admin?: boolean,
/**
 * `INHERIT` (16+); absent: the member's own INHERIT attribute.
 */
inherit?: boolean,
/**
 * `SET` (16+): the member may `SET ROLE` to the group; absent: true.
 */
set?: boolean, };

/**
 * Privileges of one grantee on one object, as JSON writes a [`Grant`]: the object is
 * named by its key (`table`, with `columns` for a column grant; `sequence`; `function`
 * with `args`; or only `schema`). An empty `privileges` declares that the grantee holds
 * nothing there.
 */
export type Grant = { schema: string, table?: string, sequence?: string, function?: string, args?: Array<string>, columns?: Array<string>, role: string, privileges: Array<Privilege>, grant_option?: boolean, sequences?: boolean, };

/**
 * `ALTER DEFAULT PRIVILEGES [FOR ROLE owner] [IN SCHEMA schema] GRANT privileges ON
 * tables | sequences | functions | schemas TO role [WITH GRANT OPTION]`: the privileges
 * objects get when `owner` creates them later. An empty privilege list declares that the
 * grantee gets nothing (`REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`).
 */
export type DefaultPrivilege = {
/**
 * `FOR ROLE`; absent: the role that runs the plan.
 */
for_role?: string,
/**
 * `IN SCHEMA`; absent: in every schema.
 */
schema?: string,
/**
 * Tables, sequences, functions (and procedures) or schemas.
 */
on: ObjectKind, role: string,
/**
 * Sorted, without duplicates.
 */
privileges: Array<Privilege>, grant_option?: boolean, };

/**
 * A function policies call (`current_user_id()`, `auth.uid()`), declared so that it is
 * created before the policies that call it, replaced (`CREATE OR REPLACE`) when its
 * definition changes, and dropped after them. Compared as PostgreSQL stores it: the body
 * is `prosrc` (the text between the quotes, verbatim), the result type as
 * `pg_get_function_result` prints it, the search_path as `proconfig` holds it.
 */
export type Function = { schema: string, name: string,
/**
 * The argument list as written between the parentheses (modes, names, types,
 * defaults): what `CREATE FUNCTION` is given.
 */
arguments: string,
/**
 * The identity argument types (`format_type` spellings): what names the function.
 */
args: Array<string>, returns: string,
/**
 * `sql`, `plpgsql`, ...
 */
language: string,
/**
 * `VOLATILE`, `STABLE` or `IMMUTABLE`.
 */
volatility: string, security_definer?: boolean, strict?: boolean,
/**
 * `SET search_path TO ..`: the schemas, in order (`[]` for `''`).
 */
search_path?: Array<string>,
/**
 * `PARALLEL SAFE` or `RESTRICTED`; `UNSAFE` (the default) is not written.
 */
parallel?: string, leakproof?: boolean,
/**
 * `COST` as PostgreSQL prints it (`25`, `0.5`); absent: the default, 100.
 */
cost?: string, body: string, };

/**
 * Privileges of one grantee on one object, as a `grant` or `revoke` change carries
 * them. `table` names the object: a table, or with `on` a sequence, a function (with
 * `args`) or a schema (`table.schema`; `table.name` is empty).
 */
export type RolePrivileges = { table: TableName, on?: ObjectKind, args?: Array<string>,
/**
 * A column grant's columns.
 */
columns?: Array<string>, role: string, privileges: Array<Privilege>,
/**
 * A grant: `WITH GRANT OPTION`; a revoke: the privileges were held with it (its
 * reverse grants them with it again).
 */
grant_option?: boolean,
/**
 * Only the grant option changes: `GRANT .. WITH GRANT OPTION` on privileges already
 * held, or `REVOKE GRANT OPTION FOR ..` keeping them.
 */
option_only?: boolean,
/**
 * On a table, INSERT also grants (revokes) USAGE on the table's owned sequences
 * (serial and identity columns), found when the statement runs; `false` opts out.
 */
sequences?: boolean, };

/**
 * Default privileges one grantee gets on objects an owner creates later, as a
 * `grant_default` or `revoke_default` change carries them.
 */
export type DefaultPrivileges = {
/**
 * `FOR ROLE`; absent: the role that runs the plan.
 */
owner?: string,
/**
 * `IN SCHEMA`; absent: every schema.
 */
schema?: string, on: ObjectKind, role: string, privileges: Array<Privilege>, grant_option?: boolean, option_only?: boolean, };

/**
 * What a grant is on.
 */
export type ObjectKind = "table" | "sequence" | "schema" | "function";

/**
 * Privileges, in PostgreSQL's order: a table's seven, then `USAGE` (sequences,
 * schemas), `CREATE` (schemas) and `EXECUTE` (functions and procedures).
 */
export type Privilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE" | "REFERENCES" | "TRIGGER" | "USAGE" | "CREATE" | "EXECUTE";

/**
 * A schema-qualified table name.
 */
export type TableName = { schema: string, name: string, };

/**
 * Facts about the database a schema was read from. Present only on introspected schemas.
 */
export type DatabaseInfo = {
/**
 * The role that read the catalog; a declared `CURRENT_USER` stands for this role.
 */
current_user: string, server_version_num: number,
/**
 * The search_path under which expressions were printed.
 */
search_path: string, };

/**
 * User-defined functions and types: what the canonicalizer needs beyond tables to type
 * literals (`auth.role() = 'x'` gets `'x'::text` because `auth.role()` returns text;
 * `role = 'owner'` gets `'owner'::team_role` for an enum column).
 */
export type Catalog = { functions: Array<FunctionSig>, types: Array<TypeDef>,
/**
 * The settings literals of date and time types are read and printed under (read at
 * introspection). Without them, the offline default applies (see [`SessionSettings`]).
 */
session?: SessionSettings, };

/**
 * A user-defined function signature (argument and result types as written in SQL).
 */
export type FunctionSig = { schema: string, name: string, args: Array<string>, returns: string, returns_set: boolean,
/**
 * The input parameters' names, in order (`""` for an unnamed one; empty when no
 * parameter has a name): what a call in named notation (`f(a => 1)`) matches.
 */
arg_names?: Array<string>,
/**
 * How many trailing parameters have defaults (`pronargdefaults`): a call may leave
 * them out, and PostgreSQL stores the call without them.
 */
defaults?: number,
/**
 * The last parameter is `VARIADIC` (its type is the array type).
 */
variadic?: boolean, };

/**
 * The settings the stored text of a date or time literal depends on, as `current_setting`
 * reports them: `TimeZone` (how a `timestamptz` without an offset is read and how every
 * `timestamptz` is printed), `DateStyle` (how dates and timestamps are printed, and the
 * field order ambiguous input such as `01/02/2024` is read in) and `IntervalStyle` (how
 * intervals are printed, and how a leading minus of SQL-standard input reads).
 *
 * Offline, without them, pgpolicy prints as PostgreSQL does under `TimeZone=UTC`,
 * `DateStyle=ISO, MDY` and `IntervalStyle=postgres`, and a `timestamptz` literal without an
 * offset is undecidable (its value depends on the creating session's time zone).
 *
 * With them, every `DateStyle` (ISO, SQL, Postgres, German with DMY, MDY or YMD order) and
 * every `IntervalStyle` is printed offline. A `timestamptz` is settled offline when the
 * time zone is known exactly: UTC or an `Etc/` zone, or a POSIX-style fixed offset as
 * `current_setting` shows it (`<+02>-02`, `UTC+3`: three hours west), at every instant; or
 * a named zone of the IANA database bundled with pgpolicy whose rules agree with the
 * server's (`zone`, read at introspection), for instants from 1970 to 2037. Anything else
 * (a zone name the bundled database lacks, rules that differ or were not read, an instant
 * outside that range) is left to the round trip; see docs/core-api.md for the input forms
 * read offline.
 */
export type SessionSettings = { timezone: string, datestyle: string, intervalstyle: string,
/**
 * The server's rules for `timezone` from 1970 to 2037, as PostgreSQL applies them: the
 * UTC offset and abbreviation at 1970-01-01 00:00 UTC, then every change of the offset
 * (found by sampling every 14 days and bisecting to the second). Empty: not read.
 */
zone?: Array<ZoneChange>,
/**
 * `timezone_abbreviations`: the abbreviations (`CEST`, `EST`) a literal may carry are
 * read with this set; only `Default` is modelled.
 */
abbreviations?: string, };

/**
 * From the instant `at` (seconds since 1970-01-01 00:00 UTC) on, the time zone is
 * `utc_offset` seconds east of UTC and abbreviated `abbreviation`.
 */
export type ZoneChange = { at: number, utc_offset: number, abbreviation: string, };

/**
 * A user-defined type.
 */
export type TypeDef = { schema: string, name: string, kind: TypeKind, };

export type TypeKind = { "enum": Array<string> } | { "domain": string } | "other";

/**
 * A declaration that cannot be applied: names what and where.
 */
export type ValidationErrorDetail = {
/**
 * Stable machine-readable code, e.g. `INSERT_WITH_USING`.
 */
code: string,
/**
 * `schema.table` as declared, when the error concerns a table.
 */
table: string | null, policy: string | null, clause: Clause | null, message: string, };

/**
 * The clause of a policy or table an error concerns.
 */
export type Clause = "NAME" | "COMMAND" | "ROLES" | "USING" | "WITH_CHECK" | "TABLE" | "ROLE" | "GRANT" | "LINT";

/**
 * What `lint` found.
 */
export type Report = {
/**
 * Sorted by severity (errors first), then table, policy and rule.
 */
findings: Array<Finding>,
/**
 * Rules that need a database and were not run (no database was given).
 */
skipped: Array<string>, };

/**
 * One thing a rule found.
 */
export type Finding = {
/**
 * The rule's stable id (see [`RULES`]).
 */
rule: string, severity: Severity,
/**
 * `schema.table` (unquoted), when the finding is about a table or its policy.
 */
table?: string, policy?: string, role?: string,
/**
 * Another object the finding is about: a view or a function (`schema.name`).
 */
object?: string, message: string,
/**
 * How to fix it (the rule's fix).
 */
fix: string, };

/**
 * How serious a finding is. Ordered: `Info < Warning < Error`.
 */
export type Severity = "info" | "warning" | "error";

/**
 * A table's effective rules for some roles and commands.
 */
export type Explanation = { table: string, rls_enabled: boolean, rls_forced: boolean, owner?: string, entries: Array<Effective>, };

/**
 * The effective rule for one role and command.
 */
export type Effective = {
/**
 * A role name, or `PUBLIC` (a role no policy or grant names).
 */
role: string, command: Command, verdict: Verdict,
/**
 * Why, in words: which bypass, which policies.
 */
reason: string,
/**
 * The filter on existing rows (SELECT, UPDATE, DELETE), as SQL.
 */
using?: string,
/**
 * The check on new rows (INSERT, UPDATE), as SQL.
 */
with_check?: string, permissive: Array<string>, restrictive: Array<string>, };

/**
 * What decides the rows a role's command touches.
 */
export type Verdict = "no_rls" | "bypass" | "no_privilege" | "deny_all" | "filtered";

/**
 * What a plan changes for one role's rows.
 */
export type Impact = { role: string, settings: { [key in string]: string }, sample_limit: number, tables: Array<TableImpact>,
/**
 * Tables the plan touches that were not measured, with the reason.
 */
skipped: Array<string>,
/**
 * What the counts mean and do not mean.
 */
notes: Array<string>, };

/**
 * A table's impact.
 */
export type TableImpact = { table: string,
/**
 * The table's rows: exact up to the sample limit, else the planner's estimate (or an
 * exact count when the table was never analyzed).
 */
rows: number,
/**
 * `rows` is the planner's estimate (`pg_class.reltuples`).
 */
rows_estimated: boolean,
/**
 * Rows the predicates were evaluated on (all of them, or the sample).
 */
evaluated: number,
/**
 * The rows were sampled (`TABLESAMPLE BERNOULLI`, cut at the sample limit).
 */
sampled: boolean, checks: Array<CheckImpact>, };

/**
 * The counts of one check on one table.
 */
export type CheckImpact = { check: Check, command: Command,
/**
 * A WITH CHECK judged against existing rows: a proxy for the rows the role may write.
 */
proxy: boolean, before: Side, after: Side,
/**
 * Rows that pass after the plan and did not before.
 */
gained: number,
/**
 * Rows that passed before the plan and no longer do.
 */
lost: number, };

/**
 * One side (before or after the plan) of a check.
 */
export type Side = { verdict: Verdict,
/**
 * The predicate evaluated, as SQL.
 */
predicate: string,
/**
 * Why, in words (which bypass, which policies).
 */
reason: string,
/**
 * Rows that pass.
 */
rows: number, };

/**
 * Which predicate a count is about.
 */
export type Check = "select" | "update" | "delete" | "insert_check" | "update_check";
