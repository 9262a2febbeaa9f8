// The core API from Node: diff, introspect, apply, SQL sources.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const pgpolicy = require('..');
const { pg, freshDatabase, stop } = require('./helpers');

test.after(stop);

// The ModelIR guide's schema, verbatim.
const modelIr = {
  tables: {
    tenants: {
      columns: {
        id: { type: 'uuid' },
        tenant_id: { type: 'uuid' },
        name: { type: 'text' },
      },
      rlsEnabled: true,
      policies: [
        {
          name: 'tenant_isolation',
          command: 'ALL',
          roles: ['app_user'],
          using: "tenant_id = current_setting('app.current_tenant')::uuid",
          withCheck: "tenant_id = current_setting('app.current_tenant')::uuid",
        },
      ],
    },
  },
};

test('diff({ tables: {} }, ModelIR) gives SQL PostgreSQL accepts, and its reverse', () => {
  const plan = pgpolicy.diff({ tables: {} }, modelIr);
  assert.deepEqual(plan.changes.map((c) => c.kind), ['create_policy', 'enable_rls']);
  assert.deepEqual(plan.statements, [
    "CREATE POLICY tenant_isolation ON public.tenants AS PERMISSIVE FOR ALL TO app_user USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid)",
    'ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY',
  ]);
  assert.deepEqual(plan.reverseStatements, [
    'ALTER TABLE public.tenants DISABLE ROW LEVEL SECURITY',
    'DROP POLICY tenant_isolation ON public.tenants',
  ]);
  assert.match(plan.sql, /^BEGIN;\n[\s\S]*COMMIT;\n$/);
  assert.equal(plan.steps.length, 2);

  const db = freshDatabase('api');
  pg().psql(db, 'CREATE ROLE app_user; CREATE TABLE tenants (id uuid, tenant_id uuid, name text)');
  pg().psql(db, plan.sql);
  assert.equal(pg().psql(db, `SELECT polname FROM pg_policy`).trim(), 'tenant_isolation');
  pg().psql(db, plan.reverseSql);
  assert.equal(pg().psql(db, `SELECT count(*) FROM pg_policy`).trim(), '0');
  pg().psql(db, 'DROP ROLE app_user');
});

test('diff of equal schemas is empty; JSON text works as well as objects', () => {
  const plan = pgpolicy.diff(modelIr, JSON.stringify(modelIr));
  assert.deepEqual(plan, {
    sql: '',
    reverseSql: '',
    preamble: pgpolicy.sessionPins(),
    statements: [],
    reverseStatements: [],
    steps: [],
    reverseSteps: [],
    weakens: false,
    warnings: [],
    changes: [],
  });
});

test('a changed USING is an ALTER POLICY; a changed command a DROP + CREATE', () => {
  const edited = structuredClone(modelIr);
  edited.tables.tenants.policies[0].using = 'true';
  assert.deepEqual(pgpolicy.diff(modelIr, edited).changes.map((c) => c.kind), ['alter_policy']);
  edited.tables.tenants.policies[0].command = 'UPDATE';
  assert.deepEqual(pgpolicy.diff(modelIr, edited).changes.map((c) => c.kind), ['replace_policy']);
});

test('introspect and apply against a database; the round trip compares what the offline layer cannot', async () => {
  const db = freshDatabase('api');
  const url = pg().url(db);
  pg().psql(db, `CREATE TABLE docs (id serial primary key, status varchar(20), owner text)`);
  const desired = {
    tables: {
      docs: {
        rlsEnabled: true,
        policies: [{ name: 'visible', command: 'SELECT', using: "status IN ('draft', 'published') OR owner = current_user" }],
      },
    },
  };
  const dry = await pgpolicy.apply(url, desired, { dryRun: true });
  assert.equal(dry.applied, false);
  assert.deepEqual(dry.changes.map((c) => c.kind), ['create_policy', 'enable_rls']);
  assert.equal((await pgpolicy.introspect(url)).tables[0].policies.length, 0, 'dry run changes nothing');

  const done = await pgpolicy.apply(url, desired);
  assert.equal(done.applied, true);
  const state = await pgpolicy.introspect(url, { schemas: ['public'] });
  assert.equal(state.database.current_user, 'postgres');
  const docs = state.tables.find((t) => t.name === 'docs');
  assert.deepEqual(docs.rls, { enabled: true, forced: false });
  assert.deepEqual(docs.columns.map((c) => c.type), ['integer', 'character varying(20)', 'text']);
  assert.equal(docs.policies[0].using, "(((status)::text = ANY ((ARRAY['draft'::character varying, 'published'::character varying])::text[])) OR (owner = CURRENT_USER))");

  // Against the database: no change, whatever the offline layer says.
  const again = await pgpolicy.apply(url, desired, { dryRun: true });
  assert.deepEqual(again.changes, []);
  // The introspected schema as the current side of an offline diff.
  assert.deepEqual(pgpolicy.diff(state, state).changes, []);
  // Undeclared tables are left alone against a database unless prune says otherwise.
  assert.deepEqual((await pgpolicy.apply(url, { tables: {} }, { dryRun: true })).changes, []);
  const pruned = await pgpolicy.apply(url, { tables: {} }, { dryRun: true, prune: true, schemas: ['public'] });
  const kinds = pruned.changes.map((c) => c.kind);
  assert.ok(kinds.includes('disable_rls') && kinds.includes('drop_policy'));
});

test('prune against a database never drops the connected role', async () => {
  const db = freshDatabase('api');
  const plan = await pgpolicy.apply(pg().url(db), { tables: {} }, { dryRun: true, prune: true });
  assert.deepEqual(plan.changes.filter((c) => c.kind === 'drop_role').map((c) => c.role.name), []);
});

test('fromSqlFile reads a hand-written schema.sql, as in the Atlas guide', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-sql-')), 'schema.sql');
  fs.writeFileSync(
    file,
    `-- Enable row-level security on the users table.
ALTER TABLE "Users" ENABLE ROW LEVEL SECURITY;
-- Create a policy that restricts access to rows in the users table based on the current tenant.
CREATE POLICY tenant_isolation ON "Users"
    USING ("tenantId" = current_setting('app.current_tenant')::integer);
`
  );
  const schema = pgpolicy.fromSqlFile(file);
  assert.deepEqual(schema.warnings, []);
  assert.equal(schema.tables[0].name, 'Users');
  // FORCE is not declared: left as the database has it.
  assert.deepEqual(schema.tables[0].rls, { enabled: true, forced: null });
  assert.equal(schema.tables[0].policies[0].name, 'tenant_isolation');
  assert.deepEqual(pgpolicy.fromSql(fs.readFileSync(file, 'utf8')), schema);
  // The result is a schema as it is: the warnings travel beside it, not in it.
  assert.ok(!Object.keys(schema).includes('warnings'));
  assert.deepEqual(pgpolicy.diff({ tables: {} }, schema).changes.map((c) => c.kind), ['create_policy', 'enable_rls']);
});

test('parseSchema normalizes the ModelIR shape into the exchange format', () => {
  const s = pgpolicy.parseSchema(modelIr);
  assert.equal(s.tables[0].schema, 'public');
  assert.equal(s.tables[0].policies[0].with_check, "tenant_id = current_setting('app.current_tenant')::uuid");
  assert.deepEqual(s.tables[0].policies[0].roles, ['app_user']);
});

test('memberships carry their options: granted, changed in place, reversed', () => {
  const roles = (member) => ({ tables: [], roles: [{ name: 'grp' }, { name: 'mem', memberOf: [member] }] });
  const grant = pgpolicy.diff({ tables: [], roles: [{ name: 'grp' }, { name: 'mem' }] }, roles({ role: 'grp', admin: true }));
  assert.deepEqual(grant.changes.map((c) => [c.kind, c.options]), [['grant_membership', { admin: true }]]);
  assert.deepEqual(grant.statements, ['GRANT grp TO mem WITH ADMIN OPTION']);
  assert.deepEqual(grant.reverseStatements, ['REVOKE grp FROM mem']);
  const change = pgpolicy.diff(roles({ role: 'grp', admin: true }), roles('grp'));
  assert.deepEqual(change.changes[0].kind, 'alter_membership');
  assert.deepEqual(change.statements, ['REVOKE ADMIN OPTION FOR grp FROM mem']);
  assert.deepEqual(change.reverseStatements, ['GRANT grp TO mem WITH ADMIN OPTION']);
  // INHERIT and SET are PostgreSQL 16's: the statement checks the server first.
  const inherit = pgpolicy.diff(roles('grp'), roles({ role: 'grp', inherit: false }));
  assert.match(inherit.statements[0], /need PostgreSQL 16.*EXECUTE 'GRANT grp TO mem WITH INHERIT FALSE'/);
});
