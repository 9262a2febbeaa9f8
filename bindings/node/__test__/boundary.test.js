// What crosses the addon's boundary: JS values napi builds from the core's typed values
// (plans, steps, changes, schemas), and errors thrown by the addon itself as instances of
// the package's error classes, their fields set there and their messages the core's.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const pgpolicy = require('..');
const native = require('../native.js').load();
const { PgPolicyError, ValidationError, SourceError, DatabaseError, EmbeddedError } = pgpolicy;
const { pg, freshDatabase, stop } = require('./helpers');

test.after(stop);

const declared = {
  tables: {
    docs: {
      columns: { id: { type: 'integer' }, owner: { type: 'text' } },
      rlsEnabled: true,
      policies: [
        { name: 'own', command: 'SELECT', roles: ['app_user'], using: 'owner = current_user' },
        { name: 'gate', permissive: false, using: 'id > 0' },
      ],
    },
  },
};

test('the addon returns plans as objects: steps with description, phase, SQL both ways, weakens and the change', () => {
  const plan = native.diff('{"tables": {}}', JSON.stringify(declared));
  assert.equal(typeof plan, 'object');
  assert.deepEqual(
    plan.steps.map((s) => [s.change.kind, s.phase, s.description]),
    [
      ['create_policy', 9, 'Create policy "gate" on public.docs'],
      ['create_policy', 9, 'Create policy "own" on public.docs'],
      ['enable_rls', 12, 'Enable row-level security on public.docs'],
    ]
  );
  assert.deepEqual(plan.steps.map((s) => s.change), plan.changes);
  for (const s of plan.steps) {
    assert.equal(s.comment, s.description, 'the former name stays for one release');
    assert.equal(s.weakens, null);
    assert.ok(plan.sql.includes(`-- ${s.description}\n${s.sql.join(';\n')};\n`));
  }
  assert.deepEqual(plan.steps[1].reverse, ['DROP POLICY own ON public.docs']);
  // The reverse plan drops the restrictive policy: marked, with the core's reason.
  assert.deepEqual(
    plan.reverseSteps.map((s) => [s.change.kind, s.weakens]),
    [
      ['disable_rls', 'turns row-level security off on public.docs'],
      ['drop_policy', null],
      ['drop_policy', 'drops the restrictive policy "gate" on public.docs'],
    ]
  );
  assert.deepEqual(plan.preamble, pgpolicy.sessionPins());
  assert.equal(plan.changes[0].policy.with_check, null, "the core's values keep the core's spelling");

  // Through the package: the same plan.
  assert.deepEqual(pgpolicy.diff({ tables: {} }, declared), plan);
});

test('the addon returns schemas as objects', () => {
  const schema = native.parseSchema(JSON.stringify(declared));
  assert.equal(typeof schema, 'object');
  assert.deepEqual(schema.tables[0].policies.map((p) => [p.name, p.command, p.permissive]), [
    ['gate', 'ALL', false],
    ['own', 'SELECT', true],
  ]);
  const { schema: fromSql, warnings } = native.fromSql('CREATE TABLE t (id int); CREATE INDEX i ON t (id);');
  assert.equal(fromSql.tables[0].name, 't');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /line 1/);
});

test('the addon throws core errors as the package error classes, fields set, messages as the core writes them', async () => {
  const bad = { tables: { docs: { rlsEnabled: true, policies: [{ name: 'sel', command: 'SELECT', using: 'true', withCheck: 'true' }] } } };
  assert.throws(
    () => native.diff('{"tables": {}}', JSON.stringify(bad)),
    (e) => {
      assert.ok(e instanceof ValidationError && e instanceof PgPolicyError && e instanceof Error);
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.code, 'SELECT_WITH_CHECK');
      assert.equal(e.table, 'public.docs');
      assert.equal(e.policy, 'sel');
      assert.equal(e.clause, 'WITH_CHECK');
      assert.equal(e.message, 'table public.docs, policy "sel", clause WITH CHECK: a SELECT policy takes only USING, not WITH CHECK');
      assert.deepEqual(e.errors, [
        { code: 'SELECT_WITH_CHECK', table: 'public.docs', policy: 'sel', clause: 'WITH_CHECK', message: 'a SELECT policy takes only USING, not WITH CHECK' },
      ]);
      assert.match(e.stack, /^ValidationError: table public\.docs/);
      return true;
    }
  );
  assert.throws(() => native.parseSchema('{'), (e) => e instanceof SourceError && e.code === 'SOURCE' && e.table === null && e.clause === null);
  // Rejections of the worker-pool tasks are the same objects.
  await assert.rejects(native.introspect('postgresql://nobody@/none?host=/nonexistent/dir&connect_timeout=2'), (e) => {
    assert.ok(e instanceof DatabaseError);
    assert.equal(e.code, 'DATABASE');
    assert.deepEqual(e.errors, []);
    return true;
  });
  const db = freshDatabase('boundary');
  pg().psql(db, 'CREATE TABLE docs (id int, owner text)');
  await assert.rejects(native.apply(pg().url(db), JSON.stringify({ tables: { nodocs: { rlsEnabled: true } } })), (e) => {
    assert.ok(e instanceof DatabaseError, String(e));
    assert.match(e.message, /nodocs/);
    return true;
  });
  // Methods of the addon's classes too.
  assert.throws(() => pg().psql(db, 'SELECT * FROM missing'), (e) => e instanceof EmbeddedError || e instanceof DatabaseError);
  // index.js formats and parses nothing: no message is read back.
  const indexJs = fs.readFileSync(path.join(__dirname, '..', 'index.js'), 'utf8');
  assert.doesNotMatch(indexJs, /PGPOLICY_ERROR|JSON\.parse/);
});
