// Compiled with `tsc --noEmit` by types.test.js: the declarations describe the API.
import { diff, introspect, apply, lint, explain, impact, ImpactCheck, Finding, Verdict, fromSqlFile, sessionPins, startEmbeddedPostgres, PgPolicyError, ValidationError, WeakeningError, Plan, Schema, Change, ChangeKind, Clause, Step } from 'pgpolicy';
import { definePolicies, generateMigration, LintFailedError, withRlsContext, withRlsScope, schemaFromSequelize, declareRoles, applyToDatabase } from 'pgpolicy/sequelize';
import { Sequelize, DataTypes, Model, Transaction } from 'sequelize';

const plan: Plan = diff({ tables: {} }, {
  tables: {
    tenants: {
      columns: { id: { type: 'uuid' }, tenant_id: { type: 'uuid' } },
      rlsEnabled: true,
      policies: [{ name: 'tenant_isolation', command: 'ALL', roles: ['app_user'], using: 'true', withCheck: 'true' }],
    },
  },
});
const statements: string[] = plan.statements;
const preamble: string[] = plan.preamble;
const weakens: boolean = plan.weakens;
const reasons: (string | null)[] = plan.steps.map((s) => s.weakens).concat(plan.reverseSteps.map((s) => s.weakens));
const pins: string[] = sessionPins({ lockTimeout: '2s', statementTimeout: 60000 });
const kinds: string[] = plan.changes.map((c) => c.kind);

// Changes are a union discriminated by `kind`: each kind's fields after narrowing.
function describeChange(c: Change): string {
  switch (c.kind) {
    case 'create_policy':
    case 'drop_policy': {
      const using: string | null = c.policy.using;
      const withCheck: string | null = c.policy.with_check;
      return `${c.table.schema}.${c.table.name} ${c.policy.name} ${using} ${withCheck}`;
    }
    case 'alter_policy': {
      const clauses: Clause[] = c.clauses.map((x) => x.clause);
      return `${c.from.name} -> ${c.to.name}: ${clauses.join(', ')}`;
    }
    case 'grant':
    case 'revoke':
      return `${c.role}: ${c.privileges.join(', ')}`;
    case 'create_role':
      // @ts-expect-error a role change has no table
      return c.table.name;
    default:
      return c.kind;
  }
}
const step: Step = plan.steps[0];
const phase: number = step.phase;
const description: string = step.description;
const stepText: string = describeChange(step.change);
// @ts-expect-error not a kind of change
const wrongKind: ChangeKind = 'create_polcy';

async function run(url: string): Promise<void> {
  const schema: Schema = await introspect(url, { schemas: ['public'] });
  const applied = await apply(url, schema, { dryRun: true });
  const ok: boolean = applied.applied;
  try {
    await apply(url, schema, { allowWeaken: false, lockTimeout: '200ms', statementTimeout: '1min', connectTimeout: 3000, retries: 1 });
  } catch (e) {
    if (e instanceof WeakeningError) {
      const code: string = e.code;
    }
  }
  const fromFile = fromSqlFile('schema.sql');
  const w: string[] = fromFile.warnings;
  try {
    diff(schema, { tables: [{ name: 't', policies: [{ name: 'p', command: 'INSERT', using: 'x' }] }] });
  } catch (e) {
    if (e instanceof ValidationError) {
      const code: string = e.code;
      const policy: string | null = e.policy;
    } else if (e instanceof PgPolicyError) {
      const clause: Clause | null = e.clause;
      const withCheck: Clause = 'WITH_CHECK';
      // @ts-expect-error the core spells the clause WITH_CHECK
      const spaced: Clause = 'WITH CHECK';
    }
  }
  const pg = startEmbeddedPostgres();
  const sequelize = new Sequelize({ dialect: 'postgres', ...pg.sequelizeOptions('app') });
  const User = sequelize.define('User', { name: DataTypes.STRING }, {
    rls: { policies: [{ name: 'own', using: '"id" = 1' }] },
  });
  class Doc extends Model {}
  Doc.init({ title: DataTypes.TEXT }, { sequelize, rls: { force: true, policies: [] } });
  definePolicies(User, { policies: [{ name: 'p', command: 'SELECT', using: 'true', permissive: false }] });
  declareRoles(sequelize, ['app_user', { name: 'admin', bypassrls: true }]);
  const file: string | null = await generateMigration({ sequelize, migrationsPath: 'migrations', name: 'rls', lockTimeout: '10s' });
  try {
    await generateMigration({ sequelize, migrationsPath: 'migrations', lint: { failOn: 'error', config: 'pgpolicy.toml' } });
  } catch (e) {
    if (e instanceof LintFailedError) void e.report.findings.length;
  }
  await applyToDatabase(sequelize, { allowWeaken: true, lockTimeout: 500, retries: 0 });
  await sequelize.sync({ pgpolicy: { allowWeaken: true, lockTimeout: '1s' } });
  const n: number = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.tenant': 1 } }, async (t: Transaction) =>
    User.count({ transaction: t })
  );
  const scoped: number = await withRlsScope(sequelize, { role: 'app_user', settings: { 'app.tenant': 1 } }, () => User.count());
  const one = await User.findAll({ rls: { role: 'app_user', settings: { 'app.tenant': 2 } } });
  const ir = schemaFromSequelize(sequelize);
  const report = await lint(ir, { db: url, config: { admin_roles: ['app_admin'], rules: { per_row_function_call: 'error' } } });
  const worst: Finding | undefined = report.findings.find((f) => f.severity === 'error');
  const sarif: string = report.sarif;
  const ex = await explain('schema.json', 'public.users', { role: 'app_user', command: 'SELECT' });
  const verdicts: Verdict[] = ex.entries.map((e) => e.verdict);
  const measured = await impact(url, ir, { role: 'app_user', settings: { 'app.tenant': 2 }, sampleLimit: 1000 });
  const gained: number = measured.tables[0].checks[0].gained;
  const checks: ImpactCheck[] = measured.tables.flatMap((t) => t.checks.map((c) => c.check));
  const comment: string = measured.comment;
  await generateMigration({ sequelize, migrationsPath: 'migrations', impact: [{ role: 'app_user', settings: { 'app.tenant': 2 } }] });
  void gained;
  void checks;
  void comment;
  void worst;
  void sarif;
  void verdicts;
  pg.stop();
}
void run;
void statements;
void preamble;
void weakens;
void reasons;
void pins;
void kinds;
void phase;
void description;
void stepText;
void wrongKind;
