// lint and explain from Node: the core's findings and effective predicates for a
// declaration, a database, and a declaration checked against a database.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const pgpolicy = require('..');
const { generateMigration, LintFailedError } = require('../sequelize');
const { pg, freshDatabase, stop, project } = require('./helpers');

test.after(stop);

const guide = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'practical-guide.sql');

const hits = (report) =>
  report.findings.map((f) => `${f.rule} ${f.table ?? f.object ?? f.role}`);

test('lint a declaration offline, with a configuration object or pgpolicy.toml', async () => {
  const schema = pgpolicy.fromSqlFile(guide);
  const report = await pgpolicy.lint(schema);
  assert.ok(hits(report).includes('bypassrls_app_role app_admin'), hits(report).join('\n'));
  assert.ok(hits(report).includes('per_row_function_call public.posts'));
  assert.ok(report.skipped.includes('view_bypasses_rls'));
  assert.match(report.text, /error bypassrls_app_role/);
  assert.equal(JSON.parse(report.sarif).runs[0].results.length, report.findings.length);
  const quiet = await pgpolicy.lint(schema, {
    config: { admin_roles: ['app_admin'], rules: { per_row_function_call: 'off' } },
  });
  assert.ok(!hits(quiet).some((h) => /^(bypassrls_app_role|per_row_function_call) /.test(h)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-lint-'));
  const toml = path.join(dir, 'pgpolicy.toml');
  fs.writeFileSync(toml, '[lint.rules]\nno_such_rule = "off"\n');
  await assert.rejects(pgpolicy.lint(schema, { config: toml }), (e) => {
    assert.ok(e instanceof pgpolicy.SourceError);
    assert.match(e.message, /unknown rule "no_such_rule"/);
    return true;
  });
});

test('lint and explain a database, and a declaration against it', async () => {
  const db = freshDatabase('lint');
  const user = `${db}_user`;
  pg().psql(
    db,
    `CREATE ROLE ${user} LOGIN;
CREATE TABLE docs (id int PRIMARY KEY, tenant_id int);
CREATE TABLE tenants (id int);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON docs, tenants TO ${user};
CREATE POLICY by_tenant ON docs TO ${user} USING (tenant_id = (SELECT current_setting('app.tenant', true))::int);
INSERT INTO docs VALUES (1, 1), (2, 2);`,
  );
  const url = pg().url(db);
  const report = await pgpolicy.lint(url);
  assert.ok(hits(report).includes('table_without_rls_granted_to_app_role public.tenants'));
  assert.ok(hits(report).includes('unindexed_policy_column public.docs'));
  assert.deepEqual(report.skipped, []);
  const declared = {
    tables: [
      {
        name: 'tenants',
        rls: { enabled: true },
        policies: [{ name: 't', roles: [user], using: 'id = (SELECT 1)' }],
      },
    ],
  };
  const checked = await pgpolicy.lint(declared, { db: url });
  assert.ok(!hits(checked).includes('table_without_rls_granted_to_app_role public.tenants'));
  assert.ok(hits(checked).includes('unindexed_policy_column public.tenants'));
  await assert.rejects(pgpolicy.lint(url, { db: url }), /already a database/);

  const ex = await pgpolicy.explain(url, 'docs', { role: user, command: 'select' });
  assert.equal(ex.entries.length, 1);
  const [entry] = ex.entries;
  assert.equal(entry.verdict, 'filtered');
  // the predicate, evaluated by a superuser, selects what the role sees
  const seen = pg().psql(
    db,
    `BEGIN; SET LOCAL ROLE ${user}; SELECT set_config('app.tenant', '1', true); SELECT count(*) FROM docs; ROLLBACK;`,
  );
  const expected = pg().psql(
    db,
    `BEGIN; SELECT set_config('app.tenant', '1', true); SELECT count(*) FROM docs WHERE ${entry.using}; ROLLBACK;`,
  );
  assert.equal(seen.trim().split('\n').pop(), '1');
  assert.equal(expected.trim().split('\n').pop(), '1');
  const matrix = await pgpolicy.explain(url, 'public.docs');
  assert.deepEqual([...new Set(matrix.entries.map((e) => e.role))], [user, 'PUBLIC']);
  assert.match(matrix.text, /filtered/);
  await assert.rejects(pgpolicy.explain(url, 'nope'), (e) => e instanceof pgpolicy.SourceError);
  await assert.rejects(pgpolicy.explain(declared, 'tenants', { command: 'ALL' }), /expected SELECT/);
});

test('generateMigration lints the models against the database; failOn stops it', async () => {
  const db = freshDatabase('lintgen');
  const p = project(db);
  try {
    p.cli('db:migrate');
    const models = p.load();
    const lines = [];
    const log = (line) => lines.push(line);
    const options = { sequelize: models.sequelize, migrationsPath: p.migrations, name: 'rls' };
    await assert.rejects(generateMigration({ ...options, lint: { failOn: 'warning', log } }), (e) => {
      assert.ok(e instanceof LintFailedError, String(e));
      assert.match(e.message, /per_row_function_call/);
      assert.ok(e.report.findings.length > 0);
      return true;
    });
    assert.deepEqual(fs.readdirSync(p.migrations).filter((f) => f.endsWith('-rls.js')), []);
    assert.ok(lines.some((l) => /^pgpolicy lint: warning per_row_function_call: /.test(l)), lines.join('\n'));
    lines.length = 0;
    const file = await generateMigration({ ...options, lint: { log } });
    assert.match(path.basename(file), /-rls\.js$/);
    assert.ok(lines.length > 0);
    await models.sequelize.close();
  } finally {
    p.remove();
  }
});

test('pgpolicy/testing runs the examples policy tests', async () => {
  const { runPolicyTests, assertPolicyTests } = require('../testing');
  const db = freshDatabase('ptests');
  const app = `${db}_app`;
  const examples = path.join(__dirname, '..', '..', '..', 'examples', 'policy-tests');
  pg().psql(db, fs.readFileSync(path.join(examples, 'tables.sql'), 'utf8').replaceAll('app_user', app));
  const cases = fs.readFileSync(path.join(examples, 'tenant-isolation.toml'), 'utf8').replaceAll('app_user', app);
  pg().psql(db, `CREATE POLICY tenant_isolation ON users USING (tenant_id = current_setting('app.current_tenant')::integer)`);
  const url = pg().url(db);
  const outcomes = await runPolicyTests(cases, url);
  const failed = outcomes.filter((o) => !o.passed).map((o) => o.name);
  assert.ok(failed.includes('tenant 1 sees only its users'), failed.join('\n'));
  await assert.rejects(assertPolicyTests(cases, url), /tenant 1 cannot insert a user into tenant 2/);
  pg().psql(db, 'ALTER TABLE users ENABLE ROW LEVEL SECURITY');
  await assertPolicyTests(cases, url);
  await assert.rejects(
    runPolicyTests('[[test]]\nname = "x"\nselect = "a"\n', url),
    (e) => e instanceof pgpolicy.SourceError && /expects nothing/.test(e.message),
  );
});

test('inline opt-out on declarations and Sequelize models (lintAllow)', async () => {
  const { Sequelize, DataTypes } = require('sequelize');
  const { schemaFromSequelize } = require('../sequelize');
  const declaration = (allow) => ({
    roles: [{ name: 'app_user' }],
    tables: [
      {
        name: 'items',
        rls: { enabled: true },
        policies: [
          { name: 'anyone', command: 'UPDATE', roles: ['app_user'], using: 'true', ...(allow ? { lintAllow: ['permissive_true_for_write'] } : {}) },
        ],
      },
      { name: 'audit', rls: { enabled: true }, ...(allow ? { lintAllow: ['all'] } : {}) },
    ],
  });
  const before = hits(await pgpolicy.lint(declaration(false)));
  assert.ok(before.includes('permissive_true_for_write public.items'), before.join('\n'));
  assert.ok(before.includes('rls_enabled_no_policy public.audit'), before.join('\n'));
  const after = hits(await pgpolicy.lint(declaration(true)));
  assert.ok(!after.includes('permissive_true_for_write public.items'), after.join('\n'));
  assert.ok(!after.includes('rls_enabled_no_policy public.audit'), after.join('\n'));
  await assert.rejects(
    pgpolicy.lint({ tables: [{ name: 'audit', rls: { enabled: true }, lintAllow: ['no_such_rule'] }] }),
    (e) => {
      assert.ok(e instanceof pgpolicy.ValidationError, String(e));
      assert.equal(e.code, 'UNKNOWN_LINT_RULE');
      assert.equal(e.table, 'public.audit');
      return true;
    },
  );
  // a model's rls.lintAllow reaches the core
  const sequelize = new Sequelize('postgres://localhost/none', { logging: false });
  sequelize.define('Audit', { id: { type: DataTypes.INTEGER, primaryKey: true } }, {
    tableName: 'audit',
    rls: { lintAllow: ['rls_enabled_no_policy'] },
  });
  const schema = schemaFromSequelize(sequelize);
  assert.deepEqual(schema.tables.find((t) => t.name === 'audit').lint_allow, ['rls_enabled_no_policy']);
  assert.ok(!hits(await pgpolicy.lint(schema)).includes('rls_enabled_no_policy public.audit'));
});
