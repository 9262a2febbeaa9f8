// Compiled with `tsc --noEmit` by types.test.js: the declarations describe the API.
import { diff, introspect, apply, fromSqlFile, startEmbeddedPostgres, PgPolicyError, ValidationError, Plan, Schema } from 'pgpolicy';
import { definePolicies, generateMigration, withRlsContext, schemaFromSequelize, declareRoles } from 'pgpolicy/sequelize';
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
const kinds: string[] = plan.changes.map((c) => c.kind);

async function run(url: string): Promise<void> {
  const schema: Schema = await introspect(url, { schemas: ['public'] });
  const applied = await apply(url, schema, { dryRun: true });
  const ok: boolean = applied.applied;
  const fromFile = fromSqlFile('schema.sql');
  const w: string[] = fromFile.warnings;
  try {
    diff(schema, { tables: [{ name: 't', policies: [{ name: 'p', command: 'INSERT', using: 'x' }] }] });
  } catch (e) {
    if (e instanceof ValidationError) {
      const code: string = e.code;
      const policy: string | null = e.policy;
    } else if (e instanceof PgPolicyError) {
      const clause = e.clause;
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
  const file: string | null = await generateMigration({ sequelize, migrationsPath: 'migrations', name: 'rls' });
  const n: number = await withRlsContext(sequelize, { role: 'app_user', settings: { 'app.tenant': 1 } }, async (t: Transaction) =>
    User.count({ transaction: t })
  );
  const ir = schemaFromSequelize(sequelize);
  pg.stop();
}
void run;
void statements;
void kinds;
